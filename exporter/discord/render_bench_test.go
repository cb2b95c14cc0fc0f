package discord

import "testing"

func BenchmarkRender(b *testing.B) {
	for _, bc := range []struct {
		name string
		r    *Report
	}{
		{"system", systemFixture()},
		{"health", healthFixture()},
		{"alert", alertFixture(true)},
		{"over_limit", overLimitFixture()},
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
	r := systemFixture()
	b.ReportAllocs()
	for b.Loop() {
		if RenderConsole(r) == "" {
			b.Fatal("empty")
		}
	}
}

func BenchmarkCheckLimits(b *testing.B) {
	p, err := Render(systemFixture())
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
