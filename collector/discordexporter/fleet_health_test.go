package discordexporter

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/collector/discordexporter/internal/fleet"
	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/render"
	"github.com/nexusmon/nexusmon/report"
)

func healthsOf(ms []report.Message) []report.Message {
	var out []report.Message
	for _, m := range ms {
		if m.Kind == fleet.EventHealth {
			out = append(out, m)
		}
	}
	return out
}

func (r *fleetRig) health() fleet.HealthData {
	r.t.Helper()
	if err := r.f.HealthTick(r.t.Context()); err != nil {
		r.t.Fatalf("health tick: %v", err)
	}
	ms := healthsOf(r.q.take())
	if len(ms) != 1 {
		r.t.Fatalf("%d fleet health reports, want 1", len(ms))
	}
	return ms[0].Report.Data.(fleet.HealthData)
}

func meanOf(rows []fleet.InstanceHealth) float64 {
	sum, n := 0.0, 0
	for _, r := range rows {
		if r.Score != nil {
			sum += *r.Score
			n++
		}
	}
	return math.Floor(sum/float64(n)*10) / 10
}

func order(rows []fleet.InstanceHealth) string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Instance+" "+r.Status)
	}
	return strings.Join(out, ", ")
}

// The fleet health: the mean of the instances' scores, the worst level
// (a silent instance counts as Critical), the worst instances with their
// main problem, and the change since the previous report, which survives
// a restart.
func TestFleetHealth_ScoresWorstAndTrends(t *testing.T) {
	clock := &fakeClock{t: t0}
	r := newFleetRig(t, botConfig(), clock, nil)
	s0, s1, s2, s3 := newShard("0", "h1", 20), newShard("1", "h1", 80), newShard("2", "h2", 10), newShard("3", "h3", 10)
	s2.LatencySec = 0.3
	r.export(s0.step(), s1.step(), s2.step(), s3.step())
	for i := 1; i <= 3; i++ {
		clock.Set(t0.Add(time.Duration(i) * time.Minute))
		r.export(s0.step(), s1.step(), s2.step()) // shard 3 stopped
		r.tick()
	}
	r.q.take()
	if err := r.f.HealthTick(t.Context()); err != nil {
		t.Fatal(err)
	}
	ms := healthsOf(r.q.take())
	if len(ms) != 1 || ms[0].EditKey != "" || !ms[0].Report.Silent || ms[0].Priority != report.PriorityReport {
		t.Fatalf("messages = %+v", ms)
	}
	d := ms[0].Report.Data.(fleet.HealthData)
	if d.Instances != 4 || d.Scored != 3 || d.ByLevel[fleet.StatusSilent] != 1 || d.Previous != nil || d.Change != nil {
		t.Errorf("data = %+v", d)
	}
	if got := order(d.Rows); got != "shard 3 · h3 silent, shard 1 · h1 ok, shard 2 · h2 ok, shard 0 · h1 ok" {
		t.Errorf("order = %s", got)
	}
	if d.Score == nil || *d.Score != meanOf(d.Rows) || d.WorstLevel != health.Critical.String() || ms[0].Report.Level != health.Critical {
		t.Errorf("score %v (mean %v), worst level %s, report level %v", d.Score, meanOf(d.Rows), d.WorstLevel, ms[0].Report.Level)
	}
	// shard 1's CPU (80 %, over the 70 % warning) is its worst component.
	if s1r := d.Rows[1]; s1r.Components["cpu"].Value == nil || *s1r.Components["cpu"].Value != 80 || !strings.Contains(s1r.Problem, "CPU") {
		t.Errorf("shard 1 = %+v", s1r)
	}
	if d.Rows[0].Problem != "silent since 2026-12-03T12:00:00Z" {
		t.Errorf("silent problem = %q", d.Rows[0].Problem)
	}
	golden(t, "fleet_health.txt", render.RenderConsole(ms[0].Report))
	first := *d.Score
	s1Before := *d.Rows[1].Score

	// Shard 1 gets hotter; shard 2 sends nothing in the next interval.
	s1.cpuPct = 95
	for i := 4; i <= 5; i++ {
		clock.Set(t0.Add(time.Duration(i) * time.Minute))
		r.export(s0.step(), s1.step())
	}
	d = r.health()
	if got := order(d.Rows); got != "shard 3 · h3 silent, shard 1 · h1 ok, shard 0 · h1 ok, shard 2 · h2 waiting" {
		t.Errorf("order = %s", got)
	}
	if d.Scored != 2 || d.ByLevel[fleet.StatusWaiting] != 1 || d.Previous == nil || d.Previous.Score != first || !d.Previous.At.Equal(t0.Add(3*time.Minute)) ||
		d.Change == nil || *d.Change != math.Round((*d.Score-first)*10)/10 {
		t.Errorf("trend: previous %+v, change %v, score %v", d.Previous, d.Change, d.Score)
	}
	s1r := d.Rows[1]
	if s1r.Previous == nil || *s1r.Previous != s1Before || *s1r.Change >= 0 || len(d.Drops) == 0 || d.Drops[0].Instance != "shard 1 · h1" {
		t.Errorf("shard 1 = %+v, drops %+v", s1r, d.Drops)
	}

	// A restart keeps the previous scores: the trend continues.
	second := *d.Score
	r2 := newFleetRig(t, r.cfg, clock, r.store)
	clock.Set(t0.Add(6 * time.Minute))
	r2.export(s0.step(), s1.step(), s2.step())
	clock.Set(t0.Add(7 * time.Minute))
	r2.export(s0.step(), s1.step(), s2.step())
	d = r2.health()
	if d.Previous == nil || d.Previous.Score != second || d.Change == nil {
		t.Errorf("after a restart: previous %+v, change %v", d.Previous, d.Change)
	}
}

func TestFleetHealth_EditModeAndEmpty(t *testing.T) {
	clock := &fakeClock{t: t0}
	cfg := botConfig()
	cfg.Reports.Health.Mode = report.ModeEdit
	r := newFleetRig(t, cfg, clock, nil)
	if err := r.f.HealthTick(t.Context()); err != nil {
		t.Fatal(err)
	}
	if ms := r.q.take(); len(ms) != 0 {
		t.Fatalf("no instances: %d messages", len(ms))
	}
	r.export(newShard("0", "h1", 10).step()) // one export: no interval yet
	if err := r.f.HealthTick(t.Context()); err != nil {
		t.Fatal(err)
	}
	ms := healthsOf(r.q.take())
	if len(ms) != 1 || ms[0].EditKey != "fleet_health/bot-a" {
		t.Fatalf("messages = %+v", ms)
	}
	d := ms[0].Report.Data.(fleet.HealthData)
	if d.Score != nil || d.Scored != 0 || ms[0].Report.Level != health.Good ||
		ms[0].Report.Summary != "No instance sent data in this interval (1 known)" {
		t.Errorf("empty: %+v, summary %q", d, ms[0].Report.Summary)
	}
}

// The health report renders within every Discord limit at 3, 100 and
// 1,000 instances, and its attachment has every instance.
func TestFleetHealth_WithinDiscordLimits(t *testing.T) {
	for _, size := range []int{3, 100, 1000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			clock := &fakeClock{t: t0}
			r := newFleetRig(t, botConfig(), clock, nil)
			shards := make([]*shard, size)
			for i := range shards {
				host := fmt.Sprintf("gateway-host-%04d.eu-central-1.compute.internal.example.org", i%37)
				shards[i] = newShard(fmt.Sprint(i), host, float64(i*7%100))
				shards[i].LatencySec = float64(i%9) * 0.08
				shards[i].failPerMin = float64(i % 4)
			}
			for round := 0; round < 2; round++ {
				for step := 0; step < 2; step++ {
					var es []agentExport
					for _, s := range shards {
						es = append(es, s.step())
					}
					r.export(es...)
					clock.Set(clock.Now().Add(time.Minute))
				}
				for _, s := range shards {
					s.cpuPct = math.Mod(s.cpuPct+37, 100)
				}
				if round == 0 {
					r.health()
				}
			}
			if err := r.f.HealthTick(t.Context()); err != nil {
				t.Fatal(err)
			}
			ms := healthsOf(r.q.take())
			p, err := render.Render(ms[0].Report)
			if err != nil {
				t.Fatal(err)
			}
			if err := render.CheckLimits(&p); err != nil {
				t.Fatalf("limits: %v", err)
			}
			var text strings.Builder
			for _, f := range p.Embeds[0].Fields {
				text.WriteString(f.Name + "\n" + f.Value + "\n")
			}
			if strings.Contains(text.String(), "Truncated") || strings.Contains(text.String(), "more lines") {
				t.Errorf("the renderer had to cut the report:\n%s", text.String())
			}
			if len(p.Files) != 1 || p.Files[0].Name != "fleet_health.json" {
				t.Fatalf("files = %+v", p.Files)
			}
			var env struct {
				Data fleet.HealthData `json:"data"`
			}
			if err := json.Unmarshal(p.Files[0].Data, &env); err != nil {
				t.Fatal(err)
			}
			if len(env.Data.Rows) != size || env.Data.Scored != size || env.Data.Previous == nil {
				t.Errorf("attachment: %d rows, %d scored, previous %v", len(env.Data.Rows), env.Data.Scored, env.Data.Previous)
			}
		})
	}
}
