package procres

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// BenchmarkRefresh measures the Refresh before each collection when the
// watched process has not changed: the agent itself (no pid configured)
// another process (a child, by pid) and the child named by a pid file.
func BenchmarkRefresh(b *testing.B) {
	child := exec.Command("sleep", "300")
	if err := child.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { kill(child) })
	pidFile := filepath.Join(b.TempDir(), "bot.pid")
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(child.Process.Pid)+"\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		opts Options
	}{{"self", Options{}}, {"child", Options{PID: child.Process.Pid}}, {"pid_file", Options{PIDFile: pidFile}}} {
		b.Run(bc.name, func(b *testing.B) {
			bc.opts.Health = sdkmetric.NewMeterProvider()
			w, err := New(bc.opts)
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
