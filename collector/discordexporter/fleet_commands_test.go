package discordexporter

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/collector/discordexporter/internal/fleet"
	"github.com/nexusmon/nexusmon/render"
	"github.com/nexusmon/nexusmon/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -run %s -update to accept):\n--- got\n%s\n--- want\n%s", name, t.Name(), got, want)
	}
}

func commandsOf(ms []report.Message) []report.Message {
	var out []report.Message
	for _, m := range ms {
		if m.Kind == fleet.EventCommands {
			out = append(out, m)
		}
	}
	return out
}

// playShard is a shard that also runs /play: ok and failed runs a
// minute, and the duration histogram's counts a minute on bounds.
type playShard struct {
	*shard
	ok, failed int64
	bounds     []float64
	perMin     []uint64
}

func (p *playShard) step() agentExport {
	e := p.shard.step()
	c := cmdSeries{Name: "play", Module: "music", Bounds: p.bounds}
	if len(p.shard.Cmds) > 0 {
		c = p.shard.Cmds[0]
	}
	c.OK += p.ok
	c.Failed += p.failed
	counts := make([]uint64, len(p.perMin))
	for i := range counts {
		counts[i] = p.perMin[i]
		if c.Counts != nil {
			counts[i] += c.Counts[i]
		}
	}
	c.Counts = counts
	p.shard.Cmds = []cmdSeries{c}
	e.Cmds = p.shard.Cmds
	return e
}

// Three shards over three minutes: the fleet totals add every instance's
// runs, the percentiles come from the merged histograms of the two shards
// with the fleet's bucket bounds (shard 2's bounds differ: it is named and
// left out), and the worst instances are named.
func TestFleetCommands_ExactValues(t *testing.T) {
	clock := &fakeClock{t: t0}
	r := newFleetRig(t, botConfig(), clock, nil)
	std := []float64{0.1, 0.25, 0.5, 1}
	s0 := &playShard{shard: newShard("0", "h1", 10), ok: 100, bounds: std, perMin: []uint64{50, 50, 0, 0, 0}}
	s1 := &playShard{shard: newShard("1", "h1", 10), ok: 90, failed: 10, bounds: std, perMin: []uint64{0, 0, 100, 0, 0}}
	s1.okPerMin, s1.failPerMin = 27, 3
	s2 := &playShard{shard: newShard("2", "h2", 10), ok: 50, bounds: []float64{0.2, 2}, perMin: []uint64{50, 0, 0}}
	for i := 0; i <= 3; i++ {
		clock.Set(t0.Add(time.Duration(i) * time.Minute))
		r.export(s0.step(), s1.step(), s2.step())
	}
	if err := r.f.CommandsTick(t.Context()); err != nil {
		t.Fatal(err)
	}
	ms := commandsOf(r.q.take())
	if len(ms) != 1 {
		t.Fatalf("%d command analyses, want 1", len(ms))
	}
	m := ms[0]
	if m.EditKey != "" || m.Priority != report.PriorityReport || !m.Report.Silent {
		t.Errorf("message = %+v (default mode post, a silent report)", m)
	}
	d := m.Report.Data.(fleet.CommandsData)
	tot := d.Totals
	// Runs in the three minutes since the first export: ping 30/min on
	// each shard (3 failing on shard 1), /play 100, 100 (10 failing), 50.
	if d.Group != "bot-a" || d.IntervalSeconds != 180 || d.Instances != 3 || d.Reporting != 3 ||
		tot.Executions != 1020 || tot.Failures != 39 || tot.Successes != 981 || *tot.SuccessRate != 96.18 {
		t.Errorf("totals = %+v, data %+v", tot, d)
	}
	// Merged buckets of shards 0 and 1: 150 ≤ 0.1 s, 150 in (0.1, 0.25],
	// 300 in (0.25, 0.5].
	if tot.P50MS != 250 || tot.P95MS != 475 || tot.P99MS != 495 || tot.MaxMS != 500 || d.LatencyInstances != 2 {
		t.Errorf("p50/p95/p99/max = %v/%v/%v/%v from %d instances", tot.P50MS, tot.P95MS, tot.P99MS, tot.MaxMS, d.LatencyInstances)
	}
	if len(d.LatencyExcluded) != 1 || d.LatencyExcluded[0] != "shard 2 · h2" {
		t.Errorf("excluded = %q", d.LatencyExcluded)
	}
	if len(d.Commands) != 2 || d.Commands[0].Name != "play" || d.Commands[0].Executions != 750 || d.Commands[0].Failures != 30 ||
		d.Commands[0].Instances != 3 || d.Commands[0].P95MS != 475 || d.Commands[1].Name != "ping" || d.Commands[1].Executions != 270 {
		t.Errorf("commands = %+v", d.Commands)
	}
	if len(d.WorstByErrorRate) != 1 || d.WorstByErrorRate[0].Instance != "shard 1 · h1" || *d.WorstByErrorRate[0].ErrorRatePercent != 10 {
		t.Errorf("worst by error rate = %+v", d.WorstByErrorRate)
	}
	var order []string
	for _, w := range d.WorstByP95 {
		order = append(order, fmt.Sprintf("%s %v", w.Instance, *w.P95MS))
	}
	if got := strings.Join(order, ", "); got != "shard 1 · h1 487.5, shard 0 · h1 235, shard 2 · h2 190" {
		t.Errorf("worst by p95 = %s", got)
	}
	golden(t, "fleet_commands.txt", render.RenderConsole(m.Report))

	// The next analysis counts from this one: one more minute.
	clock.Set(t0.Add(4 * time.Minute))
	r.export(s0.step(), s1.step())
	if err := r.f.CommandsTick(t.Context()); err != nil {
		t.Fatal(err)
	}
	d = commandsOf(r.q.take())[0].Report.Data.(fleet.CommandsData)
	if d.IntervalSeconds != 60 || d.Reporting != 2 || d.Totals.Executions != 260 || len(d.LatencyExcluded) != 0 {
		t.Errorf("second analysis: %+v", d)
	}
	// Nothing sent since: no instance reports, nothing counted.
	if err := r.f.CommandsTick(t.Context()); err != nil {
		t.Fatal(err)
	}
	d = commandsOf(r.q.take())[0].Report.Data.(fleet.CommandsData)
	if d.Reporting != 0 || d.Totals.Executions != 0 || d.Instances != 3 {
		t.Errorf("idle analysis: %+v", d)
	}
}

func TestFleetCommands_EditModeAndGroups(t *testing.T) {
	clock := &fakeClock{t: t0}
	cfg := botConfig()
	cfg.Reports.Commands.Mode = report.ModeEdit
	r := newFleetRig(t, cfg, clock, nil)
	a, b := newShard("0", "h1", 10), newShard("0", "h2", 10)
	b.Service = "bot b"
	r.export(a.step(), b.step())
	clock.Set(t0.Add(time.Minute))
	r.export(a.step(), b.step())
	if err := r.f.CommandsTick(t.Context()); err != nil {
		t.Fatal(err)
	}
	ms := commandsOf(r.q.take())
	if len(ms) != 2 || ms[0].EditKey != "fleet_command_analysis/bot%20b" || ms[1].EditKey != "fleet_command_analysis/bot-a" {
		t.Fatalf("messages = %+v", ms)
	}
	d := ms[0].Report.Data.(fleet.CommandsData)
	if d.Group != "bot b" || d.Totals.Executions != 30 || d.Totals.P95MS != 0 || d.LatencyInstances != 0 ||
		len(d.PerInstance) != 1 || d.PerInstance[0].P95MS != nil || len(d.WorstByP95) != 0 {
		t.Errorf("bot b = %+v", d)
	}
	text := render.RenderConsole(ms[0].Report)
	for _, want := range []string{"p95 n/a", "/ping (core) — 30 runs · 0 failed · p95 n/a · on 1 instance", "no failures in this interval", "no command durations in this interval"} {
		if !strings.Contains(text, want) {
			t.Errorf("no histogram: no %q in\n%s", want, text)
		}
	}
}

// The analysis renders within every Discord limit at 3, 100 and 1,000
// instances with many long-named commands, and its attachment has every
// instance and command.
func TestFleetCommands_WithinDiscordLimits(t *testing.T) {
	for _, size := range []int{3, 100, 1000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			clock := &fakeClock{t: t0}
			r := newFleetRig(t, botConfig(), clock, nil)
			shards := make([]*shard, size)
			for i := range shards {
				host := fmt.Sprintf("gateway-host-%04d.eu-central-1.compute.internal.example.org", i%37)
				shards[i] = newShard(fmt.Sprint(i), host, 10)
				shards[i].failPerMin = float64(i % 7)
			}
			bounds := [][]float64{{0.1, 1}, {0.1, 0.5, 1}}
			for step := 1; step <= 2; step++ {
				var es []agentExport
				for i, s := range shards {
					e := s.step()
					for c := 0; c < 14; c++ {
						b := bounds[(i/50)%2]
						counts := make([]uint64, len(b)+1)
						counts[c%len(counts)] = uint64(step * (i + c + 1))
						e.Cmds = append(e.Cmds, cmdSeries{Name: fmt.Sprintf("command-with-a-long-name-%07d", c), Module: strings.Repeat("m", 60),
							OK: int64(step * (i + c + 1)), Failed: int64(step * (i % 3)), Bounds: b, Counts: counts})
					}
					es = append(es, e)
				}
				r.export(es...)
				clock.Set(clock.Now().Add(time.Minute))
			}
			if err := r.f.CommandsTick(t.Context()); err != nil {
				t.Fatal(err)
			}
			ms := commandsOf(r.q.take())
			if len(ms) != 1 {
				t.Fatalf("%d analyses", len(ms))
			}
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
				t.Errorf("the renderer had to cut the analysis:\n%s", text.String())
			}
			if len(p.Files) != 1 || p.Files[0].Name != "fleet_command_analysis.json" {
				t.Fatalf("files = %+v", p.Files)
			}
			var env struct {
				Data fleet.CommandsData `json:"data"`
			}
			if err := json.Unmarshal(p.Files[0].Data, &env); err != nil {
				t.Fatal(err)
			}
			if len(env.Data.PerInstance) != size || len(env.Data.Commands) != 15 {
				t.Errorf("attachment: %d instances, %d commands", len(env.Data.PerInstance), len(env.Data.Commands))
			}
			if size > 50 && len(env.Data.LatencyExcluded) == 0 {
				t.Error("no instance left out of the percentiles despite other bounds")
			}
		})
	}
}
