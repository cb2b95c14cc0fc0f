package render

import (
	"github.com/nexusmon/nexusmon/internal/reporttest"
	"github.com/nexusmon/nexusmon/report/reportdata"
)
import "testing"

func BenchmarkRender(b *testing.B) {
	for _, bc := range []struct {
		name string
		r    *reportdata.Report
	}{
		{"system", reporttest.SystemFixture()},
		{"health", reporttest.HealthFixture()},
		{"alert", reporttest.AlertFixture(true)},
		{"over_limit", reporttest.OverLimitFixture()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Render(bc.r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRenderConsole(b *testing.B) {
	r := reporttest.SystemFixture()
	b.ReportAllocs()
	for b.Loop() {
		if RenderConsole(r) == "" {
			b.Fatal("empty")
		}
	}
}

func BenchmarkCheckLimits(b *testing.B) {
	p, err := Render(reporttest.SystemFixture())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := CheckLimits(&p); err != nil {
			b.Fatal(err)
		}
	}
}
