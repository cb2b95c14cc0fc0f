package health

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

var base = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return base.Add(time.Duration(sec) * time.Second) }

type point struct {
	sec   int
	value float64
}

// readCSV returns the rows of a testdata CSV file without its header.
func readCSV(t *testing.T, name string) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() // read-only: nothing to flush
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	if len(rows) == 0 {
		t.Fatalf("read %s: no header", name)
	}
	return rows[1:]
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func atof(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func readTrace(t *testing.T, name string) []point {
	t.Helper()
	var ps []point
	for _, r := range readCSV(t, name) {
		ps = append(ps, point{sec: atoi(t, r[0]), value: atof(t, r[1])})
	}
	return ps
}

// wantEvent is one line of a testdata/*.events.csv file.
type wantEvent struct {
	sec                    int
	state                  string
	severity               Severity
	repeat                 bool
	value, threshold, peak float64
	sinceSec, durationSec  int
}

func readEvents(t *testing.T, name string) []wantEvent {
	t.Helper()
	var ws []wantEvent
	for _, r := range readCSV(t, name) {
		rep, err := strconv.ParseBool(r[3])
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, wantEvent{
			sec: atoi(t, r[0]), state: r[1], severity: Severity(r[2]), repeat: rep,
			value: atof(t, r[4]), threshold: atof(t, r[5]), peak: atof(t, r[6]),
			sinceSec: atoi(t, r[7]), durationSec: atoi(t, r[8]),
		})
	}
	return ws
}

// replay evaluates rule over trace; with roundTrip the state is marshalled
// to JSON and back before every evaluation, as after a restart.
func replay(t *testing.T, rule Rule, trace []point, roundTrip bool) []Event {
	t.Helper()
	var st State
	var evs []Event
	for _, p := range trace {
		if roundTrip {
			st = jsonRoundTrip(t, st)
		}
		var ev Event
		var fire bool
		st, ev, fire = rule.Evaluate(st, p.value, at(p.sec))
		if fire {
			evs = append(evs, ev)
		} else if !reflect.DeepEqual(ev, Event{}) {
			t.Fatalf("t=%ds: fire false but event %+v", p.sec, ev)
		}
	}
	return evs
}

func jsonRoundTrip(t *testing.T, s State) State {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatalf("marshal state: %v", err)
	}
	var out State
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("unmarshal state %s: %v", b, err)
	}
	return out
}

func checkEvents(t *testing.T, rule Rule, got []Event, want []wantEvent) {
	t.Helper()
	if len(got) != len(want) {
		for _, e := range got {
			t.Logf("got t=%v %s %s repeat=%v value=%v", e.At.Sub(base), e.State, e.Severity, e.Repeat, e.Value)
		}
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
		if !g.At.Equal(at(w.sec)) || g.State != w.state || g.Severity != w.severity || g.Repeat != w.repeat ||
			!near(g.Value, w.value) || !near(g.Threshold, w.threshold) || !near(g.Peak, w.peak) ||
			!g.Since.Equal(at(w.sinceSec)) || g.Duration != time.Duration(w.durationSec)*time.Second {
			t.Errorf("event %d:\n got  at=%v %s %s repeat=%v value=%v threshold=%v peak=%v since=%v duration=%v\n want %+v",
				i, g.At.Sub(base), g.State, g.Severity, g.Repeat, g.Value, g.Threshold, g.Peak, g.Since.Sub(base), g.Duration, w)
		}
		if g.Rule != rule.Name || g.Metric != rule.Metric || g.Unit != rule.Unit || g.Message == "" {
			t.Errorf("event %d: labels %q %q %q message %q", i, g.Rule, g.Metric, g.Unit, g.Message)
		}
	}
}

func TestRule_Evaluate_replay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, trace, events string
		rule                Rule
	}{
		{"oscillation notifies once", "oscillation.csv", "oscillation_for0.events.csv",
			Rule{Name: "memory_percent", Metric: "memory usage", Unit: "%", Warning: 90, Critical: 95, RepeatInterval: time.Hour, Hysteresis: 0.05}},
		{"oscillation never holds for", "oscillation.csv", "oscillation_for60.events.csv",
			Rule{Name: "memory_percent", Metric: "memory usage", Unit: "%", Warning: 90, Critical: 95, For: time.Minute, RepeatInterval: time.Hour, Hysteresis: 0.05}},
		{"sustained escalates once and repeats", "sustained.csv", "sustained.events.csv",
			Rule{Name: "cpu_percent", Metric: "CPU usage", Unit: "%", Warning: 80, Critical: 90, For: time.Minute, RepeatInterval: 10 * time.Minute, Hysteresis: 0.1}},
		{"pending breach drops back", "pending_drop.csv", "pending_drop.events.csv",
			Rule{Name: "cpu_percent", Metric: "CPU usage", Unit: "%", Warning: 80, Critical: 90, For: 2 * time.Minute, RepeatInterval: 10 * time.Minute, Hysteresis: 0.1}},
		{"jump straight to critical", "jump.csv", "jump.events.csv",
			Rule{Name: "cpu_percent", Metric: "CPU usage", Unit: "%", Warning: 80, Critical: 90, For: time.Minute, RepeatInterval: 10 * time.Minute, Hysteresis: 0.1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			trace := readTrace(t, tc.trace)
			want := readEvents(t, tc.events)
			checkEvents(t, tc.rule, replay(t, tc.rule, trace, false), want)
			t.Run("restart at every step", func(t *testing.T) {
				checkEvents(t, tc.rule, replay(t, tc.rule, trace, true), want)
			})
		})
	}
}

func TestRule_Evaluate_restartMidAlert(t *testing.T) {
	t.Parallel()
	r := Rule{Name: "memory_percent", Unit: "%", Warning: 75, Critical: 90, For: time.Minute, RepeatInterval: 15 * time.Minute, Hysteresis: 0.1}
	var st State
	var fired []Event
	for sec := 0; sec <= 300; sec += 30 {
		var ev Event
		var fire bool
		st, ev, fire = r.Evaluate(st, 92, at(sec))
		if fire {
			fired = append(fired, ev)
		}
	}
	if len(fired) != 1 || fired[0].Severity != SeverityCritical || st.Status != StatusFiring {
		t.Fatalf("before restart: events %+v, state %+v", fired, st)
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"status":"firing"`, `"severity":"critical"`, `"firing_since":"2026-11-27T10:01:00Z"`, `"peak":92`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("state JSON %s lacks %s", b, key)
		}
	}
	var restored State
	if err := json.Unmarshal(b, &restored); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(restored, st) {
		t.Fatalf("round trip changed state:\n%+v\n%+v", restored, st)
	}
	// Same value after the restart: no re-fire.
	if _, ev, fire := r.Evaluate(restored, 92, at(330)); fire {
		t.Fatalf("re-fired after restart: %+v", ev)
	}
	// The repeat is due 15 min after the last notification (fired at 60 s), not
	// 15 min after the restart.
	if _, _, fire := r.Evaluate(restored, 92, at(60+15*60-1)); fire {
		t.Error("repeat before its interval")
	}
	if _, ev, fire := r.Evaluate(restored, 92, at(60+15*60)); !fire || !ev.Repeat {
		t.Errorf("repeat not sent at its interval: %v %+v", fire, ev)
	}
	// The alert is not forgotten: a recovery resolves it with the original start.
	_, ev, fire := r.Evaluate(restored, 50, at(1200))
	if !fire || ev.State != EventResolved || ev.Duration != (1200-60)*time.Second || ev.Peak != 92 {
		t.Errorf("resolve after restart: %v %+v", fire, ev)
	}
}

func TestRule_Evaluate_cases(t *testing.T) {
	t.Parallel()
	warn := Rule{Name: "r", Warning: 80, Critical: 90, Hysteresis: 0.1, RepeatInterval: time.Minute}
	firingWarn := State{Status: StatusFiring, Severity: SeverityWarning, PendingSince: at(0), FiringSince: at(0), LastNotified: at(0), Peak: 85, Last: 85, UpdatedAt: at(0)}
	tests := []struct {
		name      string
		rule      Rule
		prev      State
		v         float64
		sec       int
		wantFire  bool
		wantState Status
		wantSev   Severity
		wantEvent string
	}{
		{"below line stays inactive", warn, State{}, 79.99, 0, false, StatusInactive, "", ""},
		{"For 0 fires at once", warn, State{}, 80, 0, true, StatusFiring, SeverityWarning, EventFiring},
		{"For 0 critical fires critical", warn, State{}, 90, 0, true, StatusFiring, SeverityCritical, EventFiring},
		{"within hysteresis band keeps firing", warn, firingWarn, 72, 30, false, StatusFiring, SeverityWarning, ""},
		{"below clear level resolves", warn, firingWarn, 71.99, 30, true, StatusInactive, "", EventResolved},
		{"repeat at interval", warn, firingWarn, 85, 60, true, StatusFiring, SeverityWarning, EventFiring},
		{"no repeat before interval", warn, firingWarn, 85, 59, false, StatusFiring, SeverityWarning, ""},
		{"escalates with For 0", warn, firingWarn, 95, 10, true, StatusFiring, SeverityCritical, EventFiring},
		{"no critical level when Critical < Warning", Rule{Name: "r", Warning: 80, Critical: 10}, State{}, 1000, 0, true, StatusFiring, SeverityWarning, EventFiring},
		{"no repeat when interval 0", Rule{Name: "r", Warning: 80, Critical: 90}, firingWarn, 85, 86400, false, StatusFiring, SeverityWarning, ""},
		{"de-escalation is silent", warn, State{Status: StatusFiring, Severity: SeverityCritical, PendingSince: at(0), FiringSince: at(0), LastNotified: at(0), Peak: 95}, 81, 30, false, StatusFiring, SeverityCritical, ""},
		{"pending with For not yet passed", Rule{Name: "r", Warning: 80, Critical: 90, For: time.Minute}, State{Status: StatusPending, PendingSince: at(0), Peak: 81}, 82, 59, false, StatusPending, "", ""},
		{"pending dropping back resets", Rule{Name: "r", Warning: 80, Critical: 90, For: time.Minute}, State{Status: StatusPending, PendingSince: at(0), Peak: 81}, 79, 30, false, StatusInactive, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			next, ev, fire := tc.rule.Evaluate(tc.prev, tc.v, at(tc.sec))
			if fire != tc.wantFire || next.Status != tc.wantState || next.Severity != tc.wantSev || ev.State != tc.wantEvent {
				t.Errorf("got fire=%v status=%q severity=%q event=%q, want %v %q %q %q",
					fire, next.Status, next.Severity, ev.State, tc.wantFire, tc.wantState, tc.wantSev, tc.wantEvent)
			}
			if next.Last != tc.v || !next.UpdatedAt.Equal(at(tc.sec)) {
				t.Errorf("last %v at %v", next.Last, next.UpdatedAt)
			}
		})
	}
}

func TestRule_Evaluate_noData(t *testing.T) {
	t.Parallel()
	r := Rule{Name: "r", Warning: 80, Critical: 90, RepeatInterval: time.Minute}
	prev := State{Status: StatusFiring, Severity: SeverityWarning, PendingSince: at(0), FiringSince: at(0), LastNotified: at(0), Peak: 85, Last: 85, UpdatedAt: at(0)}
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		next, ev, fire := r.Evaluate(prev, v, at(3600))
		if fire || next != prev || ev != (Event{}) {
			t.Errorf("v=%v: state or event changed: %v %+v %+v", v, fire, next, ev)
		}
	}
	bad := Rule{Name: "r", Warning: math.NaN()}
	if next, _, fire := bad.Evaluate(State{}, 100, at(0)); fire || next != (State{}) {
		t.Errorf("NaN warning line: %v %+v", fire, next)
	}
}

func TestRule_Evaluate_steadyPathDoesNotAllocate(t *testing.T) {
	rules := DefaultRules(Thresholds{70, 85}, Thresholds{75, 90}, Thresholds{2000, 5000}, Thresholds{200, 500}, time.Minute, time.Hour, 0.05)
	states := make([]State, len(rules))
	values := []float64{20, 95, 150, 40}
	for i := range rules {
		states[i], _, _ = rules[i].Evaluate(states[i], values[i], at(0)) // memory fires here
	}
	states[1], _, _ = rules[1].Evaluate(states[1], values[1], at(60))
	allocs := testing.AllocsPerRun(100, func() {
		for i := range rules {
			var fire bool
			states[i], _, fire = rules[i].Evaluate(states[i], values[i], at(90))
			if fire {
				t.Fatal("steady path fired")
			}
		}
	})
	if allocs != 0 {
		t.Errorf("steady path allocates %v times per snapshot", allocs)
	}
}

func TestRule_Clear(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		r    Rule
		want float64
	}{
		{"10 %", Rule{Warning: 80, Hysteresis: 0.1}, 72},
		{"none", Rule{Warning: 80}, 80},
		{"negative hysteresis ignored", Rule{Warning: 80, Hysteresis: -0.5}, 80},
		{"hysteresis 1 ignored", Rule{Warning: 80, Hysteresis: 1}, 80},
		{"NaN hysteresis ignored", Rule{Warning: 80, Hysteresis: math.NaN()}, 80},
		{"negative line clears further down", Rule{Warning: -10, Hysteresis: 0.5}, -15},
	}
	for _, tc := range tests {
		if got := tc.r.Clear(); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s: Clear() = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestInfo(t *testing.T) {
	t.Parallel()
	ev := Info("discord", "Discord reachable again", at(5))
	want := Event{Rule: "discord", Severity: SeverityInfo, State: EventInfo, Since: at(5), At: at(5), Message: "Discord reachable again"}
	if ev != want {
		t.Errorf("Info = %+v, want %+v", ev, want)
	}
}

func TestDefaultRules(t *testing.T) {
	t.Parallel()
	rules := DefaultRules(Thresholds{70, 85}, Thresholds{75, 90}, Thresholds{2000, 5000}, Thresholds{200, 500}, 2*time.Minute, time.Hour, 0.05)
	want := []Rule{
		{Name: "cpu_percent", Metric: "CPU usage", Unit: "%", Warning: 70, Critical: 85, For: 2 * time.Minute, RepeatInterval: time.Hour, Hysteresis: 0.05},
		{Name: "memory_percent", Metric: "memory usage", Unit: "%", Warning: 75, Critical: 90, For: 2 * time.Minute, RepeatInterval: time.Hour, Hysteresis: 0.05},
		{Name: "response_ms", Metric: "response time", Unit: "ms", Warning: 2000, Critical: 5000, For: 2 * time.Minute, RepeatInterval: time.Hour, Hysteresis: 0.05},
		{Name: "network_ms", Metric: "network latency", Unit: "ms", Warning: 200, Critical: 500, For: 2 * time.Minute, RepeatInterval: time.Hour, Hysteresis: 0.05},
	}
	if !reflect.DeepEqual(rules, want) {
		t.Errorf("DefaultRules =\n%+v\nwant\n%+v", rules, want)
	}
	d := DiskRule(Thresholds{85, 95}, time.Minute, time.Hour, 0.02)
	if d.Name != "disk_percent" || d.Unit != "%" || d.Warning != 85 || d.Critical != 95 || d.For != time.Minute || d.RepeatInterval != time.Hour || d.Hysteresis != 0.02 {
		t.Errorf("DiskRule = %+v", d)
	}
}

func TestRule_Evaluate_messages(t *testing.T) {
	t.Parallel()
	r := Rule{Name: "memory_percent", Metric: "memory usage", Unit: "%", Warning: 75, Critical: 90, Hysteresis: 0.1}
	st, ev, _ := r.Evaluate(State{}, 80.5, at(0))
	if want := "memory usage is 80.5 %, at or above the warning line of 75 % for less than a minute"; ev.Message != want {
		t.Errorf("firing message %q, want %q", ev.Message, want)
	}
	st, _, _ = r.Evaluate(st, 91, at(60))
	_, ev, _ = r.Evaluate(st, 60, at(3*3600))
	if want := "memory usage resolved after 3 h: now 60 %, below 67.5 % (peak 91 %)"; ev.Message != want {
		t.Errorf("resolved message %q, want %q", ev.Message, want)
	}
}
