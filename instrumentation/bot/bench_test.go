package bot

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/bwmarrin/discordgo"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/nexusmon/nexusmon/internal/metrictest"
	"github.com/nexusmon/nexusmon/internal/names"
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

// loop runs f b.N times and reports cpu-ns/op.
func loop(b *testing.B, f func(n int)) {
	b.ReportAllocs()
	start := metrictest.CPUTime(b)
	n := 0
	for b.Loop() {
		f(n)
		n++
	}
	b.ReportMetric(float64(metrictest.CPUTime(b)-start)/float64(n), "cpu-ns/op")
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

// BenchmarkSDKFloor is the OTel SDK's share of one sampled invocation, on
// the setup of BenchmarkMiddleware, with nothing of the middleware: "span"
// starts a command span (server kind) and ends it, "span_attributes" sets
// the five attributes of a command span between the two, "metrics" makes
// the four measurements of a successful invocation (the duration, with its
// exemplar, the outcome, the guild and the channel) with attribute sets
// built once, and "all" is "span_attributes" and "metrics". What
// BenchmarkMiddleware/sampled costs beyond "all" is the middleware's own.
func BenchmarkSDKFloor(b *testing.B) {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	b.Cleanup(func() {
		if err := errors.Join(mp.Shutdown(b.Context()), tp.Shutdown(b.Context())); err != nil {
			b.Error(err)
		}
	})
	m, tracer := mp.Meter(names.ScopeBot), tp.Tracer(names.ScopeBot)
	dur, err := m.Float64Histogram(names.CommandDuration, metric.WithExplicitBucketBoundaries(durationBuckets...))
	if err != nil {
		b.Fatal(err)
	}
	var counters [3]metric.Int64Counter
	for i, name := range []string{names.CommandInvocations, names.CommandGuildInvocations, names.CommandChanInvocations} {
		if counters[i], err = m.Int64Counter(name); err != nil {
			b.Fatal(err)
		}
	}
	cmd := newCommand("utility", "ping", "command ping")
	guild := []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attribute.String(names.AttrGuildID, testGuild)))}
	channel := []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attribute.String(names.AttrChannelID, testChannel)))}
	is := benchInteractions()
	attrs := make([]attribute.KeyValue, 5) // reused, as the middleware's own array: the SDK copies them
	span := func(n int, withAttrs bool) context.Context {
		ctx, span := tracer.Start(context.Background(), cmd.spanName, startOpts...)
		if withAttrs {
			i := is[n%len(is)]
			attrs[0], attrs[1] = cmd.kv[0], cmd.kv[1]
			attrs[2] = attribute.String(names.AttrGuildID, i.GuildID)
			attrs[3] = attribute.String(names.AttrChannelID, i.ChannelID)
			attrs[4] = attribute.String(names.AttrInteractionID, i.ID)
			span.SetAttributes(attrs...)
		}
		span.End()
		return ctx
	}
	measure := func(ctx context.Context) {
		dur.Record(ctx, 0.001, cmd.rec...)
		counters[0].Add(bg, 1, cmd.success...)
		counters[1].Add(bg, 1, guild...)
		counters[2].Add(bg, 1, channel...)
	}
	b.Run("span", func(b *testing.B) { loop(b, func(n int) { span(n, false) }) })
	b.Run("span_attributes", func(b *testing.B) { loop(b, func(n int) { span(n, true) }) })
	b.Run("metrics", func(b *testing.B) {
		ctx := span(0, false) // a sampled span's: the duration keeps an exemplar
		loop(b, func(int) { measure(ctx) })
	})
	b.Run("all", func(b *testing.B) { loop(b, func(n int) { measure(span(n, true)) }) })
}
