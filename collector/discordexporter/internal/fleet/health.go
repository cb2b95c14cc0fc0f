package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/report"
	"github.com/nexusmon/nexusmon/report/build"
	"github.com/nexusmon/nexusmon/report/format"
)

// EventHealth is the fleet health report's kind: its envelope's event and
// its JSON attachment's name.
const EventHealth report.Kind = "fleet_health"

// keyHealth keeps each group's previous fleet health (for the trends).
const keyHealth = "health"

// How the health report fits Discord: the worst instances five to an
// embed field, the biggest drops in one more.
const (
	worstHealthShown = 10
	maxProblemRunes  = 80
)

// HealthData is the data of a fleet_health report of one group.
type HealthData struct {
	Group     string `json:"group"`
	Instances int    `json:"instances"`
	// Scored is how many instances sent data in the interval and have a
	// score; Score is the mean of their scores (null when none) and Level
	// its level. WorstLevel is the worst instance's level, a silent
	// instance counting as Critical: the report's colour.
	Scored     int            `json:"scored"`
	Score      *float64       `json:"score"`
	Level      string         `json:"level"`
	WorstLevel string         `json:"worst_level"`
	ByLevel    map[string]int `json:"by_level"` // scored instances by level, and "silent", "waiting"
	// Previous is the group's previous fleet health report; Change is
	// Score minus its score (null when either is missing).
	Previous *HealthPoint `json:"previous"`
	Change   *float64     `json:"change"`
	// Rows is every instance, worst first (silent, then lowest score,
	// then waiting); Drops the instances whose score fell the most since
	// the previous report (at most 5).
	Rows  []InstanceHealth `json:"rows"`
	Drops []InstanceHealth `json:"drops"`
}

// HealthPoint is a group's fleet health at one report.
type HealthPoint struct {
	Score float64   `json:"score"`
	At    time.Time `json:"at"`
}

// InstanceHealth is one instance's health: the agent's health report data
// (build.BuildHealthData) over the interval since the previous fleet
// health report.
type InstanceHealth struct {
	Instance string   `json:"instance"`
	ID       Identity `json:"id"`
	// Status is ok (scored), silent, or waiting (no data in the interval).
	Status   string   `json:"status"`
	Score    *float64 `json:"score"`
	Level    string   `json:"level"`
	Previous *float64 `json:"previous_score"`
	Change   *float64 `json:"change"`
	// Problem is the instance's main problem: its first recommendation,
	// else its worst component when Fair or worse; empty when none.
	Problem         string                           `json:"problem"`
	ActiveAlerts    int                              `json:"active_alerts"`
	Components      map[string]build.ComponentHealth `json:"components,omitempty"`
	Recommendations []build.RecommendationData       `json:"recommendations,omitempty"`

	level health.Level
}

// savedHealth is a group's previous report as kept in the storage.
type savedHealth struct {
	Score     *float64           `json:"score"`
	At        time.Time          `json:"at"`
	Instances map[string]float64 `json:"instances"` // instance key → score
}

// HealthTick queues each group's fleet health report, with every group's
// scores (the next report's trends) in the same commit.
func (f *Fleet) HealthTick(ctx context.Context) error {
	f.mu.Lock()
	now := f.now()
	th := f.cfg.Thresholds
	groups := map[string][]InstanceHealth{}
	keys := map[string][]string{}
	for _, in := range f.inst {
		row := InstanceHealth{Instance: in.id.Label(), ID: in.id, Status: StatusWaiting}
		switch {
		case in.silent.Status == health.StatusFiring:
			row.Status, row.level, row.Level = StatusSilent, health.Critical, health.Critical.String()
			row.Problem = "silent since " + lastSeen(in.lastSeen)
		case in.rep != nil && in.prev != nil && in.healthBase != nil && in.prev.Time.After(in.healthBase.Time):
			alerts := in.rep.ActiveAlerts()
			d, _ := build.BuildHealthData(in.prev, in.healthBase, nil, th, alerts)
			in.healthBase = in.prev
			sc := d.OverallHealth.Score
			row.Status, row.Score, row.level = StatusOK, &sc, health.LevelOf(sc)
			row.Level, row.ActiveAlerts = row.level.String(), len(alerts)
			row.Components, row.Recommendations = d.ComponentHealth, d.Recommendations
			row.Problem = mainProblem(d)
		}
		groups[in.id.Group] = append(groups[in.id.Group], row)
		keys[in.id.Group] = append(keys[in.id.Group], in.key)
	}
	prev := f.health
	next := make(map[string]savedHealth, len(groups))
	var msgs []report.Message
	for _, g := range sortedKeys(groups) {
		d := fleetHealth(g, groups[g], keys[g], prev[g], now)
		saved := savedHealth{Score: d.Score, At: now.UTC(), Instances: map[string]float64{}}
		for i, r := range groups[g] {
			if r.Score != nil {
				saved.Instances[keys[g][i]] = *r.Score
			}
		}
		next[g] = saved
		rep := healthReport(d, now.UTC())
		rep.Silent = f.cfg.SilentReports
		m := report.Message{Kind: EventHealth, Priority: report.PriorityReport, Report: rep}
		if f.cfg.HealthMode == report.ModeEdit {
			m.EditKey = string(EventHealth) + "/" + url.PathEscape(g)
		}
		msgs = append(msgs, m)
	}
	f.health = next
	f.mu.Unlock()
	if len(msgs) == 0 {
		return nil
	}
	b, err := json.Marshal(next)
	if err != nil {
		return fmt.Errorf("encode fleet health: %w", err)
	}
	if err := f.queue.Commit(ctx, []report.KV{{NS: nsFleet, Key: keyHealth, Value: b}}, msgs...); err != nil {
		return fmt.Errorf("queue fleet health: %w", err)
	}
	return nil
}

// readHealth reads the groups' previous fleet health back from st.
func readHealth(ctx context.Context, st StateStore) (map[string]savedHealth, error) {
	out := map[string]savedHealth{}
	b, ok, err := st.Get(ctx, nsFleet, keyHealth)
	if err != nil || !ok {
		return out, err
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// mainProblem is an instance's first recommendation (the most severe)
// with its first evidence's value, else its worst available component
// when that is Fair or worse.
func mainProblem(d build.HealthData) string {
	if len(d.Recommendations) > 0 {
		r := d.Recommendations[0]
		if len(r.Evidence) > 0 {
			return r.Title + " (" + health.FormatValue(r.Evidence[0].Value, r.Evidence[0].Unit) + ")"
		}
		return r.Title
	}
	worst, name := math.Inf(1), ""
	for _, c := range []string{health.ComponentCPU, health.ComponentMemory, health.ComponentDisk, health.ComponentNetwork, health.ComponentDiscord} {
		if ch, ok := d.ComponentHealth[c]; ok && ch.Available && *ch.Score < worst {
			worst, name = *ch.Score, c
		}
	}
	if name == "" || health.LevelOf(worst) >= health.Good {
		return ""
	}
	ch := d.ComponentHealth[name]
	return fmt.Sprintf("%s %d/100 (%s)", name, int(math.Floor(worst)), health.FormatValue(*ch.Value, ch.Unit))
}

// fleetHealth combines a group's instances (rows, keys[i] being rows[i]'s
// instance key): the mean of the scored instances' scores, the worst
// level (a silent instance counts as Critical), and each score's change
// since prev, the group's previous report.
func fleetHealth(group string, rows []InstanceHealth, keys []string, prev savedHealth, now time.Time) HealthData {
	d := HealthData{Group: group, Instances: len(rows), ByLevel: map[string]int{}, Drops: []InstanceHealth{}}
	worst, sum := health.Excellent, 0.0
	for i := range rows {
		r := &rows[i]
		switch r.Status {
		case StatusOK:
			d.Scored++
			sum += *r.Score
			d.ByLevel[r.Level]++
			if p, ok := prev.Instances[keys[i]]; ok {
				c := format.Round(*r.Score-p, 1)
				r.Previous, r.Change = &p, &c
			}
		default:
			d.ByLevel[r.Status]++
		}
		if r.Status != StatusWaiting && r.level < worst {
			worst = r.level
		}
	}
	d.WorstLevel = worst.String()
	if d.Scored > 0 {
		mean := math.Floor(sum/float64(d.Scored)*10) / 10 // rounded down, as the agent's score
		d.Score, d.Level = &mean, health.LevelOf(mean).String()
		if prev.Score != nil {
			d.Previous = &HealthPoint{Score: *prev.Score, At: prev.At}
			c := format.Round(mean-*prev.Score, 1)
			d.Change = &c
		}
	}
	rows = append([]InstanceHealth(nil), rows...)
	rank := func(r InstanceHealth) int {
		switch r.Status {
		case StatusSilent:
			return 0
		case StatusOK:
			return 1
		}
		return 2
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra < rb
		}
		if a.Score != nil && b.Score != nil && *a.Score != *b.Score {
			return *a.Score < *b.Score
		}
		return a.Instance < b.Instance
	})
	d.Rows = rows
	for _, r := range rows {
		if r.Change != nil && *r.Change < 0 {
			d.Drops = append(d.Drops, r)
		}
	}
	sort.SliceStable(d.Drops, func(i, j int) bool { return *d.Drops[i].Change < *d.Drops[j].Change })
	d.Drops = d.Drops[:min(len(d.Drops), worstShown)]
	return d
}

// healthReport builds the fleet health report of one group. Its level
// (the embed's colour) is the worst instance's; the summary gives the
// mean score and its change.
func healthReport(d HealthData, at time.Time) *report.Report {
	name := groupName(d.Group)
	lvl := health.Good // nothing scored and nothing silent: not an incident, not "excellent" either
	if d.Score != nil || d.ByLevel[StatusSilent] > 0 {
		lvl = levelNamed(d.WorstLevel)
	}
	rep := &report.Report{Event: EventHealth, Time: at, Host: name, Title: "Fleet health · " + name, Emoji: "🩺", Level: lvl, Data: d}
	if d.Score == nil {
		rep.Summary = fmt.Sprintf("No instance sent data in this interval (%d known)", d.Instances)
	} else {
		l := health.LevelOf(*d.Score)
		rep.Summary = fmt.Sprintf("Fleet %d/100 %s %s (mean of %s) · %s", int(math.Floor(*d.Score)), l.Emoji(), d.Level,
			plural(d.Scored, "instance"), change(d.Change, d.Previous))
	}
	if n := d.ByLevel[StatusSilent]; n > 0 {
		rep.Summary += fmt.Sprintf(" · %d silent", n)
	}
	if len(d.Rows) > 0 && d.Rows[0].Status != StatusWaiting {
		w := d.Rows[0]
		rep.Summary += "\nWorst: " + CutRunes(w.Instance, MaxLabelRunes) + " " + healthText(w)
	}
	var counts []string
	for _, l := range []health.Level{health.Excellent, health.Good, health.Fair, health.Poor, health.Critical} {
		if n := d.ByLevel[l.String()]; n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s %s", n, l.Emoji(), l))
		}
	}
	for _, s := range []string{StatusSilent, StatusWaiting} {
		if n := d.ByLevel[s]; n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", n, s))
		}
	}
	if len(counts) == 0 {
		counts = []string{"no instances"}
	}
	rep.Sections = append(rep.Sections, report.Section{Name: "🧮 Instances by level", Fields: []report.Field{{Value: strings.Join(counts, " · ")}}})
	var shown []InstanceHealth
	for _, r := range d.Rows {
		if r.Status != StatusWaiting && len(shown) < worstHealthShown {
			shown = append(shown, r)
		}
	}
	for i := 0; i < len(shown); i += rowsPerSection {
		end := min(i+rowsPerSection, len(shown))
		sec := report.Section{Name: fmt.Sprintf("🔻 Worst instances %d–%d", i+1, end)}
		lines := make([]string, 0, end-i)
		for _, r := range shown[i:end] {
			lines = append(lines, healthEmoji(r)+" "+CutRunes(r.Instance, MaxLabelRunes)+" — "+healthText(r))
		}
		sec.Fields = []report.Field{{Value: strings.Join(lines, "\n")}}
		rep.Sections = append(rep.Sections, sec)
	}
	drops := "none"
	if d.Previous == nil && len(d.Drops) == 0 {
		drops = "no previous report to compare with"
	}
	if len(d.Drops) > 0 {
		lines := make([]string, len(d.Drops))
		for i, r := range d.Drops {
			lines[i] = fmt.Sprintf("%s — %d → %d (%s)", CutRunes(r.Instance, MaxLabelRunes), int(math.Floor(*r.Previous)), int(math.Floor(*r.Score)), signed(*r.Change))
		}
		drops = strings.Join(lines, "\n")
	}
	rep.Sections = append(rep.Sections, report.Section{Name: "📉 Biggest drops since the previous report", Fields: []report.Field{{Value: drops}}})
	if len(d.Rows) > len(shown) {
		rep.Sections = append(rep.Sections, report.Section{Name: "📎 Every instance", Fields: []report.Field{{Value: "in " + report.AttachmentName(EventHealth)}}})
	}
	return rep
}

// healthText is an instance's health on one line: score, level, change
// and main problem.
func healthText(r InstanceHealth) string {
	if r.Status == StatusSilent {
		return r.Problem
	}
	s := fmt.Sprintf("%d/100 %s", int(math.Floor(*r.Score)), r.Level)
	if r.Change != nil {
		s += " (" + signed(*r.Change) + ")"
	}
	if r.Problem != "" {
		s += " · " + CutRunes(r.Problem, maxProblemRunes)
	}
	if r.ActiveAlerts > 0 {
		s += " · " + plural(r.ActiveAlerts, "alert")
	}
	return s
}

func healthEmoji(r InstanceHealth) string {
	if r.Status == StatusSilent {
		return "🔇"
	}
	return r.level.Emoji()
}

// change describes the mean score's change since the previous report.
func change(c *float64, prev *HealthPoint) string {
	switch {
	case prev == nil:
		return "first report, no trend yet"
	case *c >= 1:
		return fmt.Sprintf("▲ %s since %s", signed(*c), prev.At.UTC().Format("15:04 UTC"))
	case *c <= -1:
		return fmt.Sprintf("▼ %s since %s", signed(*c), prev.At.UTC().Format("15:04 UTC"))
	}
	return fmt.Sprintf("→ stable (%s) since %s", signed(*c), prev.At.UTC().Format("15:04 UTC"))
}

func signed(v float64) string {
	if v > 0 {
		return "+" + format.Float(v, 1)
	}
	return format.Float(v, 1)
}

// levelNamed is the level of its name (Critical for anything unknown).
func levelNamed(s string) health.Level {
	for _, l := range []health.Level{health.Excellent, health.Good, health.Fair, health.Poor} {
		if l.String() == s {
			return l
		}
	}
	return health.Critical
}
