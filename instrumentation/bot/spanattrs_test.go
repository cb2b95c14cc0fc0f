package bot

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/nexusmon/nexusmon/internal/names"
)

// retainingProvider's spans record and keep the slice given to
// SetAttributes as it is, which the API does not forbid; they are not the
// SDK's (they do not tell their times).
type retainingProvider struct {
	embedded.TracerProvider
	spans *[]*retainingSpan
}

func (p retainingProvider) Tracer(string, ...trace.TracerOption) trace.Tracer {
	return retainingTracer{spans: p.spans}
}

type retainingTracer struct {
	embedded.Tracer
	spans *[]*retainingSpan
}

func (t retainingTracer) Start(ctx context.Context, _ string, _ ...trace.SpanStartOption) (context.Context, trace.Span) {
	s := &retainingSpan{Span: tracenoop.Span{}}
	*t.spans = append(*t.spans, s)
	return trace.ContextWithSpan(ctx, s), s
}

type retainingSpan struct {
	trace.Span
	attrs []attribute.KeyValue
}

func (s *retainingSpan) IsRecording() bool                      { return true }
func (s *retainingSpan) SetAttributes(kv ...attribute.KeyValue) { s.attrs = kv }

// The attribute arrays reused between invocations are only for the SDK's
// spans, which copy them: another tracer's span keeps its own.
func TestWrap_spanAttributesOfAnotherTracer(t *testing.T) {
	t.Parallel()
	var spans []*retainingSpan
	in, err := NewInstruments(nil, retainingProvider{spans: &spans}, InstrumentOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := in.Close(); err != nil {
			t.Error(err)
		}
	})
	h := in.Wrap("utility", "ping", func(*Context) error { return nil })
	ids := []string{"1300000000000000101", "1300000000000000102", "1300000000000000103"}
	for _, id := range ids {
		h(nil, newInteraction(id, "ping"))
	}
	if len(spans) != len(ids) {
		t.Fatalf("%d spans, want %d", len(spans), len(ids))
	}
	for n, s := range spans {
		got := ""
		for _, kv := range s.attrs {
			if kv.Key == names.AttrInteractionID {
				got = kv.Value.AsString()
			}
		}
		if got != ids[n] {
			t.Errorf("span %d has interaction id %q, want %q", n, got, ids[n])
		}
	}
}
