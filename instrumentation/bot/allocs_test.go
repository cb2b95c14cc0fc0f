package bot

import (
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// The allocation budgets of one command invocation through Wrap, on the
// setup of BenchmarkMiddleware (a real metric SDK with exemplars, a real
// trace SDK, the default clock, distinct interactions of one guild and
// channel, every series and tracker entry already made). Issue 14 set the
// budget of a sampled invocation at 8; it allocates 4: the SDK's span, its
// attribute slice and the context holding the span, and the handler's
// Context (the span's attributes are passed in a reused array). An
// unsampled one allocates 3: the SDK's non-recording span and its context,
// the Context. The race detector adds one to a sampled invocation.
const (
	sampledInvocationAllocs       = 8
	sampledInvocationAllocsRace   = 8
	unsampledInvocationAllocs     = 3
	unsampledInvocationAllocsRace = 3
)

func TestWrap_allocBudget(t *testing.T) {
	tests := map[string]struct {
		sampler      sdktrace.Sampler
		budget, race float64
	}{
		"sampled":       {sdktrace.AlwaysSample(), sampledInvocationAllocs, sampledInvocationAllocsRace},
		"never_sampled": {sdktrace.NeverSample(), unsampledInvocationAllocs, unsampledInvocationAllocsRace},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
			tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(tc.sampler))
			in, err := NewInstruments(mp, tp, InstrumentOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if err := in.Close(); err != nil {
					t.Error(err)
				}
			})
			h := in.Wrap("utility", "ping", func(c *Context) error {
				benchSink += len(c.Interaction.ID)
				return nil
			})
			is := benchInteractions()
			for _, i := range is { // every series and tracker entry exists: nothing set up once is counted
				h(nil, i)
			}
			n := 0
			allocs := testing.AllocsPerRun(len(is), func() {
				h(nil, is[n%len(is)])
				n++
			})
			budget := tc.budget
			if raceBuild {
				budget = tc.race
			}
			t.Logf("one %s invocation: %.1f allocations (budget %.0f)", name, allocs, budget)
			if allocs > budget {
				t.Errorf("one %s invocation allocates %.1f times, over its budget of %.0f: find the new allocations (go test -run '^$' -bench 'BenchmarkMiddleware/^%s' -memprofile) or, when they are needed, raise the budget with the reason", name, allocs, budget, name)
			}
		})
	}
}
