package bot

import (
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/nexusmon/nexusmon/internal/names"
)

// On the default clock the span takes its own times and the invocation's
// measurements are read from them: the duration recorded, the ErrorEvent's
// and the first response's are the span's, to the nanosecond.
func TestWrap_defaultClockIsTheSpans(t *testing.T) {
	t.Parallel()
	for _, fail := range []bool{false, true} {
		name := map[bool]string{false: "success", true: "failure"}[fail]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			reader, spans := sdkmetric.NewManualReader(), tracetest.NewSpanRecorder()
			events := make(chan ErrorEvent, 1)
			in, err := NewInstruments(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
				sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)),
				InstrumentOptions{OnError: func(ev ErrorEvent) { events <- ev }})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if err := in.Close(); err != nil {
					t.Error(err)
				}
			})
			s := newFakeDiscord(t).session(t, nil)
			in.Wrap("utility", "ping", func(c *Context) error {
				if err := c.Defer(false); err != nil {
					return err
				}
				if fail {
					return errors.New("boom")
				}
				return nil
			})(s, newInteraction("1300000000000000042", "ping"))

			ended := spans.Ended()
			if len(ended) != 1 {
				t.Fatalf("got %d spans, want 1", len(ended))
			}
			sp := ended[0]
			spanDur := sp.EndTime().Sub(sp.StartTime())
			var respAt time.Time
			for _, ev := range sp.Events() {
				if ev.Name == names.EventFirstResponse {
					respAt = ev.Time
				}
			}
			if respAt.IsZero() {
				t.Fatal("no first-response event on the span")
			}
			h := &harness{reader: reader}
			rm := h.collect(t)
			nm := nameModule("ping", "utility")
			if fail {
				nm = with(nm, attribute.String(names.AttrErrorType, "*errors.errorString"))
			}
			if p, ok := histogram(rm, names.CommandDuration, nm...); !ok || p.Count != 1 || p.Sum != spanDur.Seconds() {
				t.Errorf("%s = %+v (%v), want one of the span's %v", names.CommandDuration, p, ok, spanDur)
			}
			if p, ok := histogram(rm, names.CommandFirstResponse, nameModule("ping", "utility")...); !ok || p.Count != 1 || p.Sum != respAt.Sub(sp.StartTime()).Seconds() {
				t.Errorf("%s = %+v (%v), want one of the span's %v", names.CommandFirstResponse, p, ok, respAt.Sub(sp.StartTime()))
			}
			if !fail {
				return
			}
			select {
			case ev := <-events:
				if ev.Duration != spanDur || !ev.At.Equal(sp.EndTime()) {
					t.Errorf("error event: duration %v at %v, want the span's %v at %v", ev.Duration, ev.At, spanDur, sp.EndTime())
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no error event")
			}
		})
	}
}
