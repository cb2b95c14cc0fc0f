package discordexporter

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/collector/discordexporter/internal/fleet"
	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/report"
)

// fakeClock is the fleet's clock in tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// recQueue is a report.StateQueue that writes state into an outbox (as the
// Delivery does) and records the messages instead of rendering them.
type recQueue struct {
	o    *outbox
	mu   sync.Mutex
	msgs []report.Message
}

func (q *recQueue) Enqueue(ctx context.Context, m report.Message) error { return q.Commit(ctx, nil, m) }

func (q *recQueue) Commit(ctx context.Context, kv []report.KV, ms ...report.Message) error {
	if len(kv) > 0 {
		if _, _, err := q.o.EnqueueWith(ctx, kv); err != nil {
			return err
		}
	}
	q.mu.Lock()
	q.msgs = append(q.msgs, ms...)
	q.mu.Unlock()
	return nil
}

// take returns the messages recorded since the last take.
func (q *recQueue) take() []report.Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.msgs
	q.msgs = nil
	return out
}

func alertsOf(ms []report.Message) []report.Message {
	var out []report.Message
	for _, m := range ms {
		if m.Kind == report.EventAlert {
			out = append(out, m)
		}
	}
	return out
}

func overviewsOf(ms []report.Message) []report.Message {
	var out []report.Message
	for _, m := range ms {
		if m.Kind == fleet.EventOverview {
			out = append(out, m)
		}
	}
	return out
}

type fleetRig struct {
	t     *testing.T
	cfg   *Config
	fc    *fleet.Config // the fleet's view of cfg, taken at the start
	clock *fakeClock
	store *memClient
	q     *recQueue
	f     *fleet.Fleet
}

// newFleetRig starts a fleet on store (a fresh one when nil): a restart
// when store is an earlier rig's.
func newFleetRig(t *testing.T, cfg *Config, clock *fakeClock, store *memClient) *fleetRig {
	t.Helper()
	if store == nil {
		store = newMemClient()
	}
	ctx := context.Background()
	o, err := openOutbox(ctx, store, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	q := &recQueue{o: o}
	fc := cfg.fleetConfig()
	f, err := fleet.New(ctx, fc, q, o, clock.Now, slogOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	return &fleetRig{t: t, cfg: cfg, fc: fc, clock: clock, store: store, q: q, f: f}
}

// export hands the fleet one export at the clock's time.
func (r *fleetRig) export(es ...agentExport) {
	r.t.Helper()
	for i := range es {
		es[i].At = r.clock.Now()
	}
	if err := r.f.Observe(context.Background(), fromPdata(metrics(es...), r.cfg.GroupBy)); err != nil {
		r.t.Fatalf("observe: %v", err)
	}
}

func (r *fleetRig) tick() {
	r.t.Helper()
	if err := r.f.Tick(context.Background()); err != nil {
		r.t.Fatalf("tick: %v", err)
	}
}

// shard is an agent whose cumulative counters advance by one minute at
// cpuPct % busy (two cores) and okPerMin/failPerMin commands a minute.
type shard struct {
	agentExport
	cpuPct, okPerMin, failPerMin float64
}

func (s *shard) step() agentExport {
	s.CPUBusy += 120 * s.cpuPct / 100
	s.CPUIdle += 120 * (100 - s.cpuPct) / 100
	s.OK += int64(s.okPerMin)
	s.Failed += int64(s.failPerMin)
	return s.agentExport
}

func newShard(id, host string, cpuPct float64) *shard {
	return &shard{agentExport: agentExport{Service: "bot-a", InstanceID: "inst-" + id, Shard: id, Host: host,
		MemPercent: 40, LatencySec: 0.05, Guilds: 100}, cpuPct: cpuPct, okPerMin: 30}
}

func TestFleet_OverviewRowsWorstFirst(t *testing.T) {
	clock := &fakeClock{t: t0}
	r := newFleetRig(t, botConfig(), clock, nil)
	a, b, c := newShard("0", "h1", 20), newShard("1", "h1", 80), newShard("2", "h2", 50)
	c.LatencySec, c.failPerMin, c.okPerMin = 0.3, 3, 27
	for i := 0; i < 2; i++ {
		r.export(a.step(), b.step(), c.step())
		clock.Set(clock.Now().Add(time.Minute))
	}
	r.tick()
	ovs := overviewsOf(r.q.take())
	if len(ovs) != 1 {
		t.Fatalf("%d overviews, want 1", len(ovs))
	}
	m := ovs[0]
	if m.EditKey != "fleet_overview/bot-a" || m.Priority != report.PriorityReport || !m.Report.Silent {
		t.Errorf("overview message = %+v", m)
	}
	d := m.Report.Data.(fleet.OverviewData)
	// shard 2's gateway latency alert (network_ms) fired at its second
	// export, after alerts.for.
	if d.Instances != 3 || len(d.Rows) != 3 || d.ByStatus[fleet.StatusOK] != 2 || d.ByStatus[fleet.StatusAlerting] != 1 || d.Guilds != 300 {
		t.Fatalf("overview data = %+v", d)
	}
	// Worst first: shard 1 (CPU 80 %, between the 70 % warning and the 85 %
	// critical: Poor), shard 2 (gateway 300 ms over the 200 ms warning:
	// Fair), shard 0.
	var order []string
	for _, row := range d.Rows {
		order = append(order, row.Instance)
	}
	if got := strings.Join(order, ", "); got != "shard 1 · h1, shard 2 · h2, shard 0 · h1" {
		t.Errorf("order = %s", got)
	}
	row := d.Rows[1]
	if row.CPUPercent == nil || *row.CPUPercent != 50 || *row.MemoryPercent != 40 || *row.LatencyMS != 300 ||
		*row.Guilds != 100 || *row.CommandsPerMin != 30 || *row.ErrorRatePercent != 10 || row.Level != health.Fair.String() {
		t.Errorf("shard 2 row = %+v", row)
	}
	if got := m.Report.Sections[0].Fields[1]; !strings.Contains(got.Value, "CPU 50.0 %") || !strings.Contains(got.Value, "gw 300 ms") ||
		!strings.Contains(got.Value, "30 cmd/min") || !strings.Contains(got.Value, "10.0 % err") {
		t.Errorf("row text = %q", got.Value)
	}
	if m.Report.Level != health.Poor {
		t.Errorf("level = %v, want Poor (the worst row's)", m.Report.Level)
	}
}

func TestFleet_OverviewPerGroupAndModes(t *testing.T) {
	clock := &fakeClock{t: t0}
	cfg := botConfig()
	cfg.Reports.Overview.Mode = report.ModePost
	r := newFleetRig(t, cfg, clock, nil)
	a, b := newShard("0", "h1", 10), newShard("0", "h2", 10)
	b.Service = "bot-b"
	r.export(a.step(), b.step())
	r.tick()
	ovs := overviewsOf(r.q.take())
	if len(ovs) != 2 || ovs[0].Report.Data.(fleet.OverviewData).Group != "bot-a" || ovs[1].Report.Data.(fleet.OverviewData).Group != "bot-b" {
		t.Fatalf("overviews = %+v", ovs)
	}
	if ovs[0].EditKey != "" {
		t.Errorf("post mode: edit key %q", ovs[0].EditKey)
	}
	r.fc.OverviewMode = report.ModeOff
	r.tick()
	if ovs := overviewsOf(r.q.take()); len(ovs) != 0 {
		t.Errorf("off mode: %d overviews", len(ovs))
	}
}

// An instance's threshold alert has the agent's semantics (for, then one
// firing event, then resolved) and names the instance; the others' stay
// quiet.
func TestFleet_AlertsPerInstance(t *testing.T) {
	clock := &fakeClock{t: t0}
	r := newFleetRig(t, botConfig(), clock, nil) // alerts.for 60s, as the agent
	hot, cool := newShard("3", "h1", 95), newShard("4", "h1", 10)
	var fired []report.Message
	for i := 0; i < 4; i++ {
		r.export(hot.step(), cool.step())
		fired = append(fired, alertsOf(r.q.take())...)
		clock.Set(clock.Now().Add(time.Minute))
	}
	if len(fired) != 1 {
		t.Fatalf("%d alerts, want 1: %+v", len(fired), fired)
	}
	rep := fired[0].Report
	if !strings.HasPrefix(rep.Title, "shard 3 · h1 · CRITICAL · CPU usage 95 %") || fired[0].Priority != report.PriorityAlert {
		t.Errorf("alert title = %q", rep.Title)
	}
	d := rep.Data.(fleet.InstanceAlertData)
	if d.Instance.ShardID != "3" || d.Rule != "cpu_percent" || d.State != health.EventFiring {
		t.Errorf("alert data = %+v", d)
	}
	if !strings.Contains(rep.Host, "shard 3") {
		t.Errorf("alert footer host = %q", rep.Host)
	}
	r.tick()
	ov := overviewsOf(r.q.take())[0].Report.Data.(fleet.OverviewData)
	if ov.Rows[0].Instance != "shard 3 · h1" || ov.Rows[0].Status != fleet.StatusAlerting || ov.Rows[0].ActiveAlerts != 1 {
		t.Errorf("first row = %+v", ov.Rows[0])
	}
	hot.cpuPct = 5
	for i := 0; i < 2; i++ {
		r.export(hot.step(), cool.step())
		clock.Set(clock.Now().Add(time.Minute))
	}
	res := alertsOf(r.q.take())
	if len(res) != 1 || res[0].Report.Data.(fleet.InstanceAlertData).State != health.EventResolved ||
		!strings.HasPrefix(res[0].Report.Title, "shard 3 · h1 · RESOLVED") {
		t.Fatalf("resolved = %+v", res)
	}
}

// An instance that sends nothing for silent_after intervals fires one
// alert naming it; it resolves once when the instance is back.
func TestFleet_SilentOnceThenResolved(t *testing.T) {
	clock := &fakeClock{t: t0}
	cfg := botConfig() // silent_after 3 × 60 s
	r := newFleetRig(t, cfg, clock, nil)
	a, b := newShard("0", "h1", 10), newShard("1", "h2", 10)
	r.export(a.step(), b.step())
	var silent []report.Message
	for i := 1; i <= 6; i++ {
		clock.Set(t0.Add(time.Duration(i) * time.Minute))
		r.export(a.step()) // shard 1 stopped
		r.tick()
		ms := alertsOf(r.q.take())
		if i < 3 && len(ms) > 0 {
			t.Fatalf("minute %d: alert before silent_after: %+v", i, ms[0].Report.Title)
		}
		silent = append(silent, ms...)
	}
	if len(silent) != 1 {
		t.Fatalf("%d silent alerts, want 1", len(silent))
	}
	rep := silent[0].Report
	if rep.Title != "WARNING · shard 1 · h2 silent" || !strings.Contains(rep.Summary, "has sent nothing for 3 overview intervals") {
		t.Errorf("silent alert = %q / %q", rep.Title, rep.Summary)
	}
	if d := rep.Data.(fleet.InstanceAlertData); d.Rule != fleet.RuleSilent || d.Instance.InstanceID != "inst-1" {
		t.Errorf("silent alert data = %+v", d)
	}
	r.tick()
	ov := overviewsOf(r.q.take())[0].Report.Data.(fleet.OverviewData)
	if ov.Rows[0].Status != fleet.StatusSilent || ov.Rows[0].Instance != "shard 1 · h2" || ov.ByStatus[fleet.StatusSilent] != 1 {
		t.Errorf("overview rows = %+v", ov.Rows)
	}
	clock.Set(clock.Now().Add(time.Minute))
	r.export(a.step(), b.step())
	res := alertsOf(r.q.take())
	if len(res) != 1 || res[0].Report.Title != "RESOLVED · shard 1 · h2 is back" {
		t.Fatalf("resolved = %+v", res)
	}
	r.tick()
	if ms := alertsOf(r.q.take()); len(ms) != 0 {
		t.Errorf("alerts after resolving: %+v", ms)
	}
}

// A restart on the same storage neither re-fires a firing alert (of an
// instance or a silent one) nor forgets it: the resolution still comes.
func TestFleet_RestartKeepsAlertState(t *testing.T) {
	clock := &fakeClock{t: t0}
	cfg := botConfig()
	r := newFleetRig(t, cfg, clock, nil)
	hot, gone := newShard("0", "h1", 95), newShard("1", "h2", 10)
	r.export(hot.step(), gone.step())
	for i := 1; i <= 4; i++ {
		clock.Set(t0.Add(time.Duration(i) * time.Minute))
		r.export(hot.step())
		r.tick()
	}
	before := alertsOf(r.q.take())
	if len(before) != 2 {
		t.Fatalf("%d alerts before the restart, want 2 (cpu, silent)", len(before))
	}

	r2 := newFleetRig(t, cfg, clock, r.store) // the restart
	for i := 5; i <= 9; i++ {
		clock.Set(t0.Add(time.Duration(i) * time.Minute))
		r2.export(hot.step())
		r2.tick()
	}
	if ms := alertsOf(r2.q.take()); len(ms) != 0 {
		t.Fatalf("alerts re-fired after the restart: %q", ms[0].Report.Title)
	}
	r2.tick()
	rows := overviewsOf(r2.q.take())[0].Report.Data.(fleet.OverviewData).Rows
	if rows[0].Instance != "shard 1 · h2" || rows[0].Status != fleet.StatusSilent {
		t.Errorf("after the restart the silent instance is %+v", rows[0])
	}
	hot.cpuPct = 5
	clock.Set(clock.Now().Add(time.Minute))
	r2.export(hot.step(), gone.step())
	clock.Set(clock.Now().Add(time.Minute))
	r2.export(hot.step(), gone.step())
	var titles []string
	for _, m := range alertsOf(r2.q.take()) {
		titles = append(titles, m.Report.Title)
	}
	if got := strings.Join(titles, " | "); !strings.Contains(got, "RESOLVED · shard 1 · h2 is back") ||
		!strings.Contains(got, "shard 0 · h1 · RESOLVED · CPU usage") {
		t.Errorf("after the restart: %s", got)
	}
	if len(titles) != 2 {
		t.Errorf("alerts = %q, want the two resolutions", titles)
	}
	b, err := json.Marshal(rows[0])
	if err != nil || !strings.Contains(string(b), `"status":"silent"`) {
		t.Errorf("row JSON = %s, %v", b, err)
	}
}

// A gateway that was down longer than silent_after does not call every
// instance silent when it starts: they get silent_after intervals to send.
func TestFleet_RestartAfterDowntimeGivesGrace(t *testing.T) {
	clock := &fakeClock{t: t0}
	cfg := botConfig()
	r := newFleetRig(t, cfg, clock, nil)
	a, b := newShard("0", "h1", 10), newShard("1", "h2", 10)
	r.export(a.step(), b.step())
	r.tick()
	clock.Set(t0.Add(30 * time.Minute)) // the gateway was down for half an hour
	r2 := newFleetRig(t, cfg, clock, r.store)
	for i := 1; i <= 2; i++ {
		clock.Set(t0.Add(30*time.Minute + time.Duration(i)*time.Minute))
		r2.tick()
	}
	if ms := alertsOf(r2.q.take()); len(ms) != 0 {
		t.Fatalf("silent alerts within the grace: %q", ms[0].Report.Title)
	}
	r2.export(a.step()) // shard 0 is back; shard 1 is not
	clock.Set(t0.Add(33 * time.Minute))
	r2.tick()
	ms := alertsOf(r2.q.take())
	if len(ms) != 1 || ms[0].Report.Title != "WARNING · shard 1 · h2 silent" {
		t.Fatalf("alerts = %+v", ms)
	}
}
