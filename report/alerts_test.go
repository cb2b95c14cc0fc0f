package report

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/internal/reporttest"
	"github.com/nexusmon/nexusmon/report/reportdata"

	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/internal/store"
	"github.com/nexusmon/nexusmon/report/build"
)

// alertLine is an alert envelope from the events file.
type alertLine struct {
	Event reportdata.Kind      `json:"event"`
	Data  reportdata.AlertData `json:"data"`
}

// alertEvents returns the alert envelopes written to buf so far and
// empties it.
func alertEvents(t *testing.T, buf *bytes.Buffer) []reportdata.AlertData {
	t.Helper()
	var out []reportdata.AlertData
	sc := bufio.NewScanner(buf)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l alertLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		if l.Event == reportdata.EventAlert {
			out = append(out, l.Data)
		}
	}
	buf.Reset()
	return out
}

// memoryFeed hands a Reporter memory snapshots 30 s apart, as the memory
// reader would.
type memoryFeed struct {
	t    *testing.T
	rep  *Reporter
	at   time.Time
	prev *reportdata.Snapshot
}

func (f *memoryFeed) feed(values ...float64) {
	f.t.Helper()
	for _, v := range values {
		f.at = f.at.Add(30 * time.Second)
		s := reporttest.BareSnapshot(f.at, v)
		if err := f.rep.handle(context.Background(), reportdata.EventMemory, s, f.prev); err != nil {
			f.t.Fatal(err)
		}
		f.prev = s
	}
}

func alertOptions(st *store.Store, events *bytes.Buffer, c *clock) Options {
	return Options{
		Host: "host-1", Store: st, Events: events, Now: c.now,
		Alerts: AlertOptions{For: time.Minute, Hysteresis: 0.1}, // memory 75/90: clears below 67.5
	}
}

func TestAlerts_Lifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	st := openStore(t, dir)
	var events bytes.Buffer
	c := &clock{t: testTime}
	f := &memoryFeed{t: t, rep: NewReporter(alertOptions(st, &events, c)), at: testTime}

	// A blip above the line that does not last For: nothing.
	f.feed(41, 76, 70, 41)
	if got := alertEvents(t, &events); len(got) != 0 {
		t.Fatalf("blip: %d alerts: %+v", len(got), got)
	}

	// Oscillating around the warning line: it fires once when it has held
	// for a minute, then hovers above the clear level without a new event.
	f.feed(76, 77, 76, 74, 77, 73, 76, 74, 75, 72, 76)
	got := alertEvents(t, &events)
	if len(got) != 1 || got[0].State != health.EventFiring || got[0].Severity != "warning" || got[0].Threshold != 75 ||
		got[0].Rule != health.RuleMemory || got[0].DurationMS != 60000 {
		t.Fatalf("oscillation: want one WARNING, got %+v", got)
	}

	// Sustained above critical: one escalation, then silence.
	f.feed(92, 93, 95, 91, 94, 92, 96)
	got = alertEvents(t, &events)
	if len(got) != 1 || got[0].Severity != "critical" || got[0].State != health.EventFiring || got[0].Threshold != 90 {
		t.Fatalf("sustained: want one CRITICAL, got %+v", got)
	}
	firedAt := testTime.Add(7 * 30 * time.Second) // the 7th snapshot: above 75 for a minute since the 5th
	if a := f.rep.ActiveAlerts(); len(a) != 1 || a[0].Severity != "critical" || a[0].Value != 96 || a[0].Peak != 96 || !a[0].Since.Equal(firedAt) {
		t.Fatalf("active alerts = %+v (fired at %v)", a, firedAt)
	}
	b, ok, err := st.Get(ctx, AlertNS, health.RuleMemory)
	if err != nil || !ok {
		t.Fatalf("persisted state: ok=%v err=%v", ok, err)
	}
	var saved health.State
	if err := json.Unmarshal(b, &saved); err != nil || saved.Status != health.StatusFiring || saved.Severity != health.SeverityCritical {
		t.Fatalf("persisted state %s (%v)", b, err)
	}

	// Restart: a new Reporter on the same store neither re-fires nor forgets.
	var events2 bytes.Buffer
	f2 := &memoryFeed{t: t, rep: NewReporter(alertOptions(st, &events2, c)), at: f.at, prev: nil}
	if a := f2.rep.ActiveAlerts(); len(a) != 1 || a[0].Rule != health.RuleMemory || a[0].Severity != "critical" {
		t.Fatalf("after restart active alerts = %+v", a)
	}
	f2.feed(93, 91, 70)
	if got := alertEvents(t, &events2); len(got) != 0 {
		t.Fatalf("after restart, still above the clear level: %+v", got)
	}

	// Recovery below the clear level: one RESOLVED with the duration.
	f2.feed(60, 50, 41)
	got = alertEvents(t, &events2)
	if len(got) != 1 || got[0].State != health.EventResolved || got[0].Value != 60 || got[0].Peak != 96 {
		t.Fatalf("recovery: want one RESOLVED, got %+v", got)
	}
	resolvedAt := f2.at.Add(-60 * time.Second)
	if want := resolvedAt.Sub(firedAt).Milliseconds(); got[0].DurationMS != want || !got[0].Since.Equal(firedAt) {
		t.Errorf("resolved duration %d ms since %v, want %d ms since %v", got[0].DurationMS, got[0].Since, want, firedAt)
	}
	if a := f2.rep.ActiveAlerts(); len(a) != 0 {
		t.Errorf("active after recovery: %+v", a)
	}
}

func TestAlerts_RepeatAndOtherRules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var events bytes.Buffer
	rep := NewReporter(Options{Events: &events, Alerts: AlertOptions{RepeatInterval: 2 * time.Minute}})
	at := testTime
	var prev *reportdata.Snapshot
	// System snapshots carry CPU (from the second on), memory and disk.
	for i := range 6 {
		at = at.Add(time.Minute)
		s := reportdata.NewSnapshot(at, nil)
		reporttest.AddHost(s, 100+float64(i)*100, 100, 41, 85) // every core fully busy between snapshots; disk 85 %
		if err := rep.handle(ctx, reportdata.EventSystem, s, prev); err != nil {
			t.Fatal(err)
		}
		prev = s
	}
	var rules []string
	for _, a := range alertEvents(t, &events) {
		rules = append(rules, a.Rule+"/"+a.Severity)
		if a.Repeat {
			rules[len(rules)-1] += "/repeat"
		}
	}
	// Disk (80/90) fires WARNING on the first snapshot, repeats at +2 and
	// +4 min; CPU is 100 % from the second snapshot: CRITICAL at once,
	// repeats at +2 and +4 min from then.
	want := []string{
		"disk_percent/warning", "cpu_percent/critical",
		"disk_percent/warning/repeat", "cpu_percent/critical/repeat",
		"disk_percent/warning/repeat", "cpu_percent/critical/repeat",
	}
	if strings.Join(rules, " ") != strings.Join(want, " ") {
		t.Errorf("events\n got %v\nwant %v", rules, want)
	}

	// Network snapshots carry response_ms and network_ms.
	s := reportdata.NewSnapshot(at.Add(time.Minute), nil)
	reporttest.AddProbe(s, reporttest.ProbeSpec{URL: "https://discord.com/api/v10/gateway", Kind: build.ProbeKindDiscordAPI, OK: true, Status: 200, TotalMS: 2500, Availability: 1})
	reporttest.AddProbe(s, reporttest.ProbeSpec{URL: "https://a.example", Kind: build.ProbeKindInternet, OK: true, Status: 204, TotalMS: 600, Availability: 1})
	if err := rep.handle(ctx, reportdata.EventNetwork, s, nil); err != nil {
		t.Fatal(err)
	}
	rules = rules[:0]
	for _, a := range alertEvents(t, &events) {
		rules = append(rules, a.Rule+"/"+a.Severity)
	}
	if strings.Join(rules, " ") != "response_ms/warning network_ms/critical" {
		t.Errorf("network alerts = %v", rules)
	}
}

func TestReporter_TestAlertAndInfo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	var events bytes.Buffer
	c := &clock{t: testTime}
	rep := NewReporter(alertOptions(st, &events, c))

	r, err := rep.TestAlert(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := r.Data.(reportdata.AlertData)
	if !r.Test || d.Severity != "critical" || d.State != health.EventFiring || d.Value != 94.5 || r.Event != reportdata.EventAlert {
		t.Errorf("test alert = %+v test=%v", d, r.Test)
	}
	p, err := RenderHook(r, false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.Titles[0], "🧪 TEST · 🚨 CRITICAL · memory usage 94.5 %") {
		t.Errorf("title %q", p.Titles[0])
	}
	// The real alert state is untouched: nothing active, nothing stored,
	// nothing published.
	if a := rep.ActiveAlerts(); len(a) != 0 {
		t.Errorf("test alert changed state: %+v", a)
	}
	if _, ok, err := st.Get(ctx, AlertNS, health.RuleMemory); ok || err != nil {
		t.Errorf("test alert persisted state (ok=%v, err=%v)", ok, err)
	}
	if events.Len() != 0 {
		t.Errorf("TestAlert published: %s", events.String())
	}

	if err := rep.Info(ctx, "agent", "agent started"); err != nil {
		t.Fatal(err)
	}
	got := alertEvents(t, &events)
	if len(got) != 1 || got[0].State != health.EventInfo || got[0].Severity != "info" || got[0].Message != "agent started" {
		t.Errorf("info = %+v", got)
	}
}

func TestAlertReport_Golden(t *testing.T) {
	t.Parallel()
	rule := newAlertEngine(reportdata.DefaultThresholds(), AlertOptions{For: time.Minute, Hysteresis: 0.1}).rules.Load().rules[ruleMemory]
	var st health.State
	var firing, resolved health.Event
	for i, v := range []float64{80, 92, 93.1, 88, 60} {
		var ev health.Event
		var fired bool
		st, ev, fired = rule.Evaluate(st, v, testTime.Add(time.Duration(i)*time.Minute))
		if fired && ev.State == health.EventFiring && ev.Severity == health.SeverityCritical {
			firing = ev
		}
		if fired && ev.State == health.EventResolved {
			resolved = ev
		}
	}
	if firing.Rule == "" || resolved.Rule == "" {
		t.Fatalf("fixture events missing: firing %+v resolved %+v", firing, resolved)
	}
	storeRule := newAlertEngine(reportdata.DefaultThresholds(), AlertOptions{}).rules.Load().rules[ruleStore]
	storeFull, _, _ := storeRule.Evaluate(health.State{}, 1, testTime)
	_, storeFiring, _ := storeRule.Evaluate(health.State{}, 1, testTime)
	_, storeBack, _ := storeRule.Evaluate(storeFull, 0, testTime.Add(5*time.Minute))
	storeStatus := store.Status{Path: "/var/lib/nexusmon/nexusmon.db", WriteErrorClass: store.ClassDiskFull}
	for name, r := range map[string]*reportdata.Report{
		"alert_critical":       AlertReport(firing, &rule, "host-1"),
		"alert_resolved":       AlertReport(resolved, &rule, "host-1"),
		"alert_info":           AlertReport(health.Info("discord", "Discord reachable again", testTime), nil, "host-1"),
		"alert_store_full":     storeAlertReport(storeFiring, storeStatus, true, "host-1"),
		"alert_store_resolved": storeAlertReport(storeBack, storeStatus, true, "host-1"),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			checkReportGolden(t, name, r)
		})
	}
}
