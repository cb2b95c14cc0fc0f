package bot

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// benchInteractions are distinct interactions, as a bot sees them: each
// has its own id, so the tracker inserts and removes real entries.
func benchInteractions() []*discordgo.InteractionCreate {
	out := make([]*discordgo.InteractionCreate, 1024)
	for i := range out {
		out[i] = newInteraction(fmt.Sprint(1300000000000000000+i), "ping")
	}
	return out
}

var benchSink int

// cpuTime returns the process's user+system CPU time. The benchmarks report
// it per operation as cpu-ns/op next to the wall-clock ns/op, because on a
// shared, loaded machine wall time also counts the time the benchmark was
// not running.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loop runs f b.N times and reports cpu-ns/op.
func loop(b *testing.B, f func(n int)) {
	b.ReportAllocs()
	start := cpuTime(b)
	n := 0
	for b.Loop() {
		f(n)
		n++
	}
	b.ReportMetric(float64(cpuTime(b)-start)/float64(n), "cpu-ns/op")
}

func bareHandler(_ *discordgo.Session, i *discordgo.InteractionCreate) {
	benchSink += len(i.ID)
}

// BenchmarkBare is the baseline: a discordgo handler doing trivial work.
func BenchmarkBare(b *testing.B) {
	is := benchInteractions()
	loop(b, func(n int) { bareHandler(nil, is[n%len(is)]) })
}

// BenchmarkMiddleware is the same work through Wrap, on a real metric SDK
// (ManualReader, exemplars on) and a real trace SDK (no exporter), with a
// sampler that samples every span and with one that never samples.
func BenchmarkMiddleware(b *testing.B) {
	samplers := map[string]sdktrace.Sampler{
		"sampled":       sdktrace.AlwaysSample(),
		"never_sampled": sdktrace.NeverSample(),
	}
	for name, sampler := range samplers {
		b.Run(name, func(b *testing.B) {
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
			tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler))
			in, err := NewInstruments(mp, tp, InstrumentOptions{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() {
				if err := in.Close(); err != nil {
					b.Error(err)
				}
			})
			h := in.Wrap("utility", "ping", func(c *Context) error {
				benchSink += len(c.Interaction.ID)
				return nil
			})
			is := benchInteractions()
			loop(b, func(n int) { h(nil, is[n%len(is)]) })
		})
	}
}
