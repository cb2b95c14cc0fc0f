package procres

import (
	"context"
	"os/exec"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// BenchmarkRefresh measures the Refresh before each collection when the
// watched process has not changed: the agent itself (no pid configured)
// and another process (a child, by pid).
func BenchmarkRefresh(b *testing.B) {
	child := exec.Command("sleep", "300")
	if err := child.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { kill(child) })
	for _, bc := range []struct {
		name string
		pid  int
	}{{"self", 0}, {"child", child.Process.Pid}} {
		b.Run(bc.name, func(b *testing.B) {
			w, err := New(Options{PID: bc.pid, Health: sdkmetric.NewMeterProvider()})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() {
				if err := w.Shutdown(context.Background()); err != nil {
					b.Error(err)
				}
			})
			ctx := context.Background()
			w.Refresh(ctx)
			b.ReportAllocs()
			for b.Loop() {
				w.Refresh(ctx)
			}
		})
	}
}
