package bot

import (
	"fmt"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/nexusmon/nexusmon/internal/names"
)

// typedError is an error of the given error.type (an ErrorType method wins
// in ErrorType).
type typedError string

func (e typedError) Error() string     { return "failed: " + string(e) }
func (e typedError) ErrorType() string { return string(e) }

// The duration options of a command's failures are kept for the first
// maxCachedErrorTypes error types and built at each failure past them:
// every failure is recorded under its own error.type either way.
func TestWrap_failureOptionsBounded(t *testing.T) {
	t.Parallel()
	h := newHarness(t, InstrumentOptions{})
	const types = maxCachedErrorTypes + 4
	n := 0
	handler := h.in.Wrap("utility", "ping", func(*Context) error {
		et := fmt.Sprintf("type%02d", n%types)
		n++
		return typedError(et)
	})
	for k := range 2 * types {
		handler(nil, newInteraction(fmt.Sprint(1300000000000000200+k), "ping"))
	}
	rm := h.collect(t)
	for k := range types {
		et := fmt.Sprintf("type%02d", k)
		p, ok := histogram(rm, names.CommandDuration, with(nameModule("ping", "utility"), attribute.String(names.AttrErrorType, et))...)
		if !ok || p.Count != 2 {
			t.Errorf("%s{error.type=%s} = %+v (%v), want 2 failures", names.CommandDuration, et, p, ok)
		}
	}
}

func TestErrorTypeCache_bounded(t *testing.T) {
	t.Parallel()
	cmd := newCommand("utility", "ping", "command ping")
	for k := range maxCachedErrorTypes + 4 {
		et := fmt.Sprintf("type%02d", k)
		set := metric.NewRecordConfig(cmd.failed.opts(cmd, et)).Attributes()
		want := attribute.NewSet(cmd.kv[0], cmd.kv[1], attribute.String(names.AttrErrorType, et))
		if !set.Equals(&want) {
			t.Errorf("options of %s = %v, want %v", et, set.ToSlice(), want.ToSlice())
		}
	}
	if got := len(*cmd.failed.seen.Load()); got != maxCachedErrorTypes {
		t.Errorf("%d error types kept, want %d", got, maxCachedErrorTypes)
	}
}
