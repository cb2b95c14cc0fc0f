package discordexporter

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/collector/discordexporter/internal/fleet"
	"github.com/nexusmon/nexusmon/render"
)

// The overview renders within every Discord limit at 3, 100 and 1,000
// instances: the worst are listed, the rest summarised, and the JSON
// attachment holds every row.
func TestOverview_WithinDiscordLimits(t *testing.T) {
	for _, size := range []int{3, 100, 1000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			clock := &fakeClock{t: t0}
			r := newFleetRig(t, botConfig(), clock, nil)
			shards := make([]*shard, size)
			for i := range shards {
				// Long host names and a spread of loads, one in ten silent.
				host := fmt.Sprintf("gateway-host-%04d.eu-central-1.compute.internal.example.org", i%37)
				shards[i] = newShard(fmt.Sprint(i), host, float64(i*7%100))
				shards[i].LatencySec = float64(i%9) * 0.08
				shards[i].failPerMin = float64(i % 4)
			}
			for step := 0; step < 2; step++ {
				var es []agentExport
				for _, s := range shards {
					es = append(es, s.step())
				}
				r.export(es...)
				clock.Set(clock.Now().Add(time.Minute))
			}
			if size > 3 {
				for i := 0; i < 3; i++ { // every tenth shard goes silent
					var es []agentExport
					for j, s := range shards {
						if j%10 != 0 {
							es = append(es, s.step())
						}
					}
					r.export(es...)
					clock.Set(clock.Now().Add(time.Minute))
				}
			}
			r.tick()
			ovs := overviewsOf(r.q.take())
			if len(ovs) != 1 {
				t.Fatalf("%d overviews", len(ovs))
			}
			rep := ovs[0].Report
			p, err := render.Render(rep)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			if err := render.CheckLimits(&p); err != nil {
				t.Fatalf("limits: %v", err)
			}
			if len(p.Embeds) != 1 || len(p.Files) != 1 || p.Files[0].Name != "fleet_overview.json" {
				t.Fatalf("payload: %d embeds, files %+v", len(p.Embeds), p.Files)
			}
			var env struct {
				Event string             `json:"event"`
				Data  fleet.OverviewData `json:"data"`
			}
			if err := json.Unmarshal(p.Files[0].Data, &env); err != nil {
				t.Fatal(err)
			}
			if env.Event != string(fleet.EventOverview) || len(env.Data.Rows) != size || env.Data.Instances != size {
				t.Fatalf("attachment: event %q, %d rows, want %d", env.Event, len(env.Data.Rows), size)
			}
			shown := min(size, fleet.MaxShownRows)
			var text strings.Builder
			for _, f := range p.Embeds[0].Fields {
				text.WriteString(f.Name + "\n" + f.Value + "\n")
			}
			lines := 0
			for _, row := range env.Data.Rows[:shown] {
				if strings.Contains(text.String(), render.EscapeMarkdown(fleet.CutRunes(row.Instance, fleet.MaxLabelRunes))+" — ") {
					lines++
				}
			}
			if lines != shown {
				t.Errorf("%d of the worst %d instances shown:\n%s", lines, shown, text.String())
			}
			if strings.Contains(text.String(), "Truncated") || strings.Contains(text.String(), "more lines") {
				t.Errorf("the renderer had to cut the overview:\n%s", text.String())
			}
			if size > fleet.MaxShownRows {
				want := fmt.Sprintf("%d more instances", size-fleet.MaxShownRows)
				if !strings.Contains(text.String(), want) || !strings.Contains(text.String(), `full table in fleet\_overview.json`) {
					t.Errorf("no summary of the rest (%q) in %s", want, text.String())
				}
				if env.Data.Rows[0].Status != fleet.StatusSilent || env.Data.ByStatus[fleet.StatusSilent] != size/10 {
					t.Errorf("silent first: first row %+v, by status %v", env.Data.Rows[0], env.Data.ByStatus)
				}
			}
		})
	}
}

func TestOverview_EmptyGroupName(t *testing.T) {
	rep := fleet.OverviewReport("", nil, t0)
	if rep.Title != "Fleet overview · (no service.name)" || rep.Event != fleet.EventOverview {
		t.Errorf("title = %q", rep.Title)
	}
	p, err := render.Render(rep)
	if err != nil {
		t.Fatal(err)
	}
	if err := render.CheckLimits(&p); err != nil {
		t.Fatal(err)
	}
}
