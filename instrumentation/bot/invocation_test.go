package bot

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/nexusmon/nexusmon/internal/names"
)

// botMetrics returns the ScopeBot metrics of rm, by name.
func botMetrics(rm metricdata.ResourceMetrics) map[string]metricdata.Metrics {
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name == names.ScopeBot {
			for _, m := range sm.Metrics {
				out[m.Name] = m
			}
		}
	}
	return out
}

// A recorded invocation gives the same metrics and ErrorEvent as the same
// invocation run through Wrap.
func TestRecordInvocation_sameAsWrap(t *testing.T) {
	t.Parallel()
	wrapEvents, recEvents := make(chan ErrorEvent, 2), make(chan ErrorEvent, 2)
	wrapped := newHarness(t, InstrumentOptions{OnError: func(ev ErrorEvent) { wrapEvents <- ev }})
	recorded := newHarness(t, InstrumentOptions{OnError: func(ev ErrorEvent) { recEvents <- ev }})

	ok := wrapped.in.Wrap("fun", "ping", func(*Context) error { wrapped.clock.Advance(40 * time.Millisecond); return nil })
	fail := wrapped.in.Wrap("fun", "boom", func(*Context) error {
		wrapped.clock.Advance(2 * time.Second)
		return errors.New("it broke")
	})
	start := wrapped.clock.Now()
	ok(nil, newInteraction("1300000000000000001", "ping"))
	failStart := wrapped.clock.Now()
	fail(nil, newInteraction("1300000000000000002", "boom"))

	for _, inv := range []Invocation{
		{Command: "ping", Module: "fun", GuildID: testGuild, ChannelID: testChannel, InteractionID: "1300000000000000001",
			Start: start, End: start.Add(40 * time.Millisecond)},
		{Command: "boom", Module: "fun", GuildID: testGuild, ChannelID: testChannel, InteractionID: "1300000000000000002",
			Start: failStart, End: failStart.Add(2 * time.Second), ErrorType: "*errors.errorString", Message: "it broke"},
	} {
		if err := recorded.in.RecordInvocation(inv); err != nil {
			t.Fatal(err)
		}
	}

	want, got := botMetrics(wrapped.collect(t)), botMetrics(recorded.collect(t))
	for _, name := range []string{names.CommandDuration, names.CommandInvocations, names.CommandGuildInvocations, names.CommandChanInvocations} {
		if _, ok := want[name]; !ok {
			t.Fatalf("Wrap recorded no %s", name)
		}
		metricdatatest.AssertEqual(t, want[name], got[name], metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
	}
	w, r := <-wrapEvents, <-recEvents
	w.Goroutines, w.HeapAlloc = 0, 0 // another process's: RecordInvocation has none
	if w != r {
		t.Errorf("recorded ErrorEvent\n%+v\nwant (as Wrap's)\n%+v", r, w)
	}
}

func TestRecordInvocation_firstResponse(t *testing.T) {
	t.Parallel()
	h := newHarness(t, InstrumentOptions{})
	start := h.clock.Now()
	for _, d := range []time.Duration{500 * time.Millisecond, 4 * time.Second} {
		if err := h.in.RecordInvocation(Invocation{Command: "slow", Start: start, End: start.Add(5 * time.Second), FirstResponse: start.Add(d)}); err != nil {
			t.Fatal(err)
		}
	}
	rm := h.collect(t)
	nm := nameModule("slow", "")
	if p, ok := histogram(rm, names.CommandFirstResponse, nm...); !ok || p.Count != 2 || p.Sum != 4.5 {
		t.Errorf("first response = %+v (found %v), want 2 points summing to 4.5 s", p, ok)
	}
	if got := counter(rm, names.CommandLateResponses, nm...); got != 1 {
		t.Errorf("late responses = %d, want 1", got)
	}
}

// Hostile input is bounded: names sanitised and cut, non-snowflake IDs
// dropped, commands and error types capped.
func TestRecordInvocation_hostile(t *testing.T) {
	t.Parallel()
	events := make(chan ErrorEvent, 1)
	h := newHarness(t, InstrumentOptions{OnError: func(ev ErrorEvent) {
		select {
		case events <- ev: // the first
		default:
		}
	}})
	start := h.clock.Now()
	if err := h.in.RecordInvocation(Invocation{Command: "", Start: start, End: start}); !errors.Is(err, ErrInvalidInvocation) {
		t.Errorf("no command: err = %v, want ErrInvalidInvocation", err)
	}
	if err := h.in.RecordInvocation(Invocation{Command: "x", Start: start, End: start.Add(-time.Second)}); !errors.Is(err, ErrInvalidInvocation) {
		t.Errorf("end before start: err = %v, want ErrInvalidInvocation", err)
	}
	long := strings.Repeat("a", 1000)
	err := h.in.RecordInvocation(Invocation{Command: long, GuildID: "<@everyone>", ChannelID: "12x", InteractionID: "1",
		Start: start, End: start, ErrorType: "TypeError", Message: "token " + testBotSecret + " " + strings.Repeat("m", 2000)})
	if err != nil {
		t.Fatal(err)
	}
	ev := <-events
	if len([]rune(ev.Command)) != maxNameRunes || ev.GuildID != "" || ev.ChannelID != "" || ev.InteractionID != "1" {
		t.Errorf("event = command of %d runes, ids %q %q %q; want %d runes, no guild or channel, interaction 1",
			len([]rune(ev.Command)), ev.GuildID, ev.ChannelID, ev.InteractionID, maxNameRunes)
	}
	if strings.Contains(ev.Message, testBotSecret) || len([]rune(ev.Message)) > MaxMessageRunes {
		t.Errorf("message not sanitised or not bounded: %d runes", len([]rune(ev.Message)))
	}
	for i := range MaxRemoteCommands + 10 {
		err := h.in.RecordInvocation(Invocation{Command: fmt.Sprint("c", i), Start: start, End: start, ErrorType: fmt.Sprint("E", i)})
		if i < MaxRemoteCommands-1 && err != nil {
			t.Fatalf("command %d: %v", i, err)
		}
		if i >= MaxRemoteCommands && !errors.Is(err, ErrTooManyCommands) {
			t.Fatalf("command %d: err = %v, want ErrTooManyCommands", i, err)
		}
	}
	rm := h.collect(t)
	m, _ := findMetric(rm, names.CommandDuration)
	types := map[string]bool{}
	for _, p := range m.Data.(metricdata.Histogram[float64]).DataPoints {
		v, _ := p.Attributes.Value(attribute.Key(names.AttrErrorType))
		types[v.AsString()] = true
	}
	if len(types) > MaxRemoteErrorTypes+1 || !types[ErrorTypeOther] {
		t.Errorf("%d error types (other: %v), want at most %d and %s", len(types), types[ErrorTypeOther], MaxRemoteErrorTypes+1, ErrorTypeOther)
	}
}
