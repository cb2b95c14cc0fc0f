package fleet

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/report"
	"github.com/nexusmon/nexusmon/report/build/commands"
	"github.com/nexusmon/nexusmon/report/format"
)

// EventCommands is the fleet command analysis report's kind: its
// envelope's event and its JSON attachment's name.
const EventCommands report.Kind = "fleet_command_analysis"

// How the command analysis fits Discord: the top commands five to an
// embed field (a line is at most ~130 code points), the worst instances
// five to a list; everything is in the JSON attachment.
const (
	topFleetCommands = 10
	worstShown       = 5
	maxNameRunes     = 32 // a command's or module's name in a line
)

// CommandsData is the data of a fleet_command_analysis report: one
// group's commands in the interval since the previous one, summed over its
// instances.
type CommandsData struct {
	Group string `json:"group"`
	// IntervalSeconds is the time since the previous fleet command
	// analysis (or since the gateway started), on the gateway's clock.
	IntervalSeconds float64 `json:"interval_seconds"`
	// Instances is how many instances the group has; Reporting how many
	// sent command data in the interval (the rest are silent, waiting, or
	// have no bot attached).
	Instances int `json:"instances"`
	Reporting int `json:"reporting"`
	// Totals: counts summed over the reporting instances; p50/p95/p99/max
	// from their duration histograms merged bucket by bucket.
	Totals commands.CommandTotals `json:"totals"`
	// LatencyInstances is how many instances' histograms are in the
	// percentiles; LatencyExcluded names those left out because their
	// bucket bounds differ from the fleet's (the bounds of the most
	// values): buckets of different bounds cannot be added.
	LatencyInstances int      `json:"latency_instances"`
	LatencyExcluded  []string `json:"latency_excluded"`
	// Commands is every command across the fleet, most executions first.
	Commands []FleetCommand `json:"commands"`
	// WorstByErrorRate are the instances with failures, highest error
	// rate first; WorstByP95 the instances with a duration histogram,
	// highest p95 first; both at most 5. PerInstance has every reporting instance.
	WorstByErrorRate []InstanceCommands `json:"worst_by_error_rate"`
	WorstByP95       []InstanceCommands `json:"worst_by_p95"`
	PerInstance      []InstanceCommands `json:"per_instance"`
}

// FleetCommand is one command's figures summed over the fleet.
type FleetCommand struct {
	commands.CommandStats
	Instances int `json:"instances"` // how many instances ran it in the interval
}

// InstanceCommands are one instance's command totals in the interval.
type InstanceCommands struct {
	Instance         string   `json:"instance"`
	ID               Identity `json:"id"`
	IntervalSeconds  float64  `json:"interval_seconds"` // between the instance's snapshots
	Executions       uint64   `json:"executions"`
	Failures         uint64   `json:"failures"`
	ErrorRatePercent *float64 `json:"error_rate_percent"` // null without executions
	// P50MS, P95MS and P99MS are the instance's own percentiles; null
	// without a duration histogram (or with mixed bounds).
	P50MS *float64 `json:"p50_ms"`
	P95MS *float64 `json:"p95_ms"`
	P99MS *float64 `json:"p99_ms"`
}

// instanceCommands is what one instance contributes to a command analysis.
type instanceCommands struct {
	row   InstanceCommands
	data  commands.CommandData
	all   commands.DurationAgg
	byCmd map[string]*commands.DurationAgg
}

// CommandsTick queues each group's fleet command analysis: every
// instance's commands between its snapshot at the previous analysis (or
// the first the gateway got from it) and its newest, through the agent's
// commands.BuildCommandData and commands.CommandDurations.
func (f *Fleet) CommandsTick(ctx context.Context) error {
	f.mu.Lock()
	now := f.now()
	secs := format.Round(now.Sub(f.lastCommands).Seconds(), 3)
	f.lastCommands = now
	groups := map[string][]instanceCommands{}
	known := map[string]int{}
	for _, in := range f.inst {
		known[in.id.Group]++
		if _, ok := groups[in.id.Group]; !ok {
			groups[in.id.Group] = nil
		}
		base := in.cmdBase
		if in.prev == nil || base == nil || !in.prev.Time.After(base.Time) {
			continue
		}
		in.cmdBase = in.prev
		d := commands.BuildCommandData(in.prev, base)
		if !d.BotAttached {
			continue
		}
		ic := instanceCommands{data: d}
		ic.all, ic.byCmd = commands.CommandDurations(in.prev, base)
		t := d.Totals
		ic.row = InstanceCommands{Instance: in.id.Label(), ID: in.id, IntervalSeconds: d.IntervalSeconds,
			Executions: t.Executions, Failures: t.Failures}
		if ic.all.Count() > 0 && !ic.all.Mixed() {
			p50, p95, p99 := t.P50MS, t.P95MS, t.P99MS
			ic.row.P50MS, ic.row.P95MS, ic.row.P99MS = &p50, &p95, &p99
		}
		if t.Executions > 0 {
			e := format.Round(100*float64(t.Failures)/float64(t.Executions), 2)
			ic.row.ErrorRatePercent = &e
		}
		groups[in.id.Group] = append(groups[in.id.Group], ic)
	}
	f.mu.Unlock()
	mode := f.cfg.CommandsMode
	var msgs []report.Message
	for _, g := range sortedKeys(groups) {
		d := fleetCommands(g, known[g], secs, groups[g])
		rep := commandsReport(d, now.UTC(), f.cfg.Thresholds)
		rep.Silent = f.cfg.SilentReports
		m := report.Message{Kind: EventCommands, Priority: report.PriorityReport, Report: rep}
		if mode == report.ModeEdit {
			m.EditKey = string(EventCommands) + "/" + url.PathEscape(g)
		}
		msgs = append(msgs, m)
	}
	if len(msgs) == 0 {
		return nil
	}
	if err := f.queue.Commit(ctx, nil, msgs...); err != nil {
		return fmt.Errorf("queue fleet command analysis: %w", err)
	}
	return nil
}

// fleetCommands sums the instances' command figures. Latency histograms
// are merged bucket by bucket over the instances whose bounds are the
// fleet's (those of the instance histogram holding the most values; ties
// by instance name); instances with other bounds count in executions and
// failures but not in the percentiles, and are named in LatencyExcluded.
func fleetCommands(group string, instances int, secs float64, ics []instanceCommands) CommandsData {
	sort.Slice(ics, func(i, j int) bool { return ics[i].row.Instance < ics[j].row.Instance })
	d := CommandsData{Group: group, IntervalSeconds: secs, Instances: instances, Reporting: len(ics),
		LatencyExcluded: []string{}, Commands: []FleetCommand{}, WorstByErrorRate: []InstanceCommands{},
		WorstByP95: []InstanceCommands{}, PerInstance: []InstanceCommands{}}
	var ref []float64
	var refCount uint64
	for _, ic := range ics {
		if c := ic.all.Count(); !ic.all.Mixed() && c > refCount {
			ref, refCount = ic.all.Bounds(), c
		}
	}
	var all commands.DurationAgg
	byCmd := map[string]*commands.DurationAgg{}
	cmds := map[string]*FleetCommand{}
	for _, ic := range ics {
		t := ic.data.Totals
		d.Totals.Executions += t.Executions
		d.Totals.Failures += t.Failures
		d.Totals.LateAnswers += t.LateAnswers
		d.PerInstance = append(d.PerInstance, ic.row)
		for _, c := range ic.data.Commands {
			fc := cmds[c.Name]
			if fc == nil {
				fc = &FleetCommand{CommandStats: commands.CommandStats{Name: c.Name, Module: c.Module}}
				cmds[c.Name] = fc
			}
			fc.Executions += c.Executions
			fc.Failures += c.Failures
			if c.Executions > 0 {
				fc.Instances++
			}
		}
		if ic.all.Count() == 0 {
			continue
		}
		if ic.all.Mixed() || !equalBounds(ic.all.Bounds(), ref) {
			d.LatencyExcluded = append(d.LatencyExcluded, ic.row.Instance)
			continue
		}
		d.LatencyInstances++
		all.Merge(ic.all)
		for name, a := range ic.byCmd {
			if byCmd[name] == nil {
				byCmd[name] = &commands.DurationAgg{}
			}
			byCmd[name].Merge(*a)
		}
	}
	t := &d.Totals
	t.Successes = t.Executions - min(t.Failures, t.Executions)
	t.SuccessRate = successRate(t.Executions, t.Failures)
	t.P50MS, t.P95MS, t.P99MS, t.MaxMS = all.Percentiles()
	for name, fc := range cmds {
		fc.SuccessRate = successRate(fc.Executions, fc.Failures)
		if a := byCmd[name]; a != nil {
			fc.P50MS, fc.P95MS, fc.P99MS, fc.MaxMS = a.Percentiles()
		}
		d.Commands = append(d.Commands, *fc)
	}
	sort.Slice(d.Commands, func(i, j int) bool {
		if a, b := d.Commands[i], d.Commands[j]; a.Executions != b.Executions {
			return a.Executions > b.Executions
		}
		return d.Commands[i].Name < d.Commands[j].Name
	})
	for _, r := range d.PerInstance {
		if r.Failures > 0 {
			d.WorstByErrorRate = append(d.WorstByErrorRate, r)
		}
		if r.P95MS != nil {
			d.WorstByP95 = append(d.WorstByP95, r)
		}
	}
	sort.SliceStable(d.WorstByErrorRate, func(i, j int) bool {
		a, b := d.WorstByErrorRate[i], d.WorstByErrorRate[j]
		if *a.ErrorRatePercent != *b.ErrorRatePercent {
			return *a.ErrorRatePercent > *b.ErrorRatePercent
		}
		return a.Failures > b.Failures
	})
	sort.SliceStable(d.WorstByP95, func(i, j int) bool { return *d.WorstByP95[i].P95MS > *d.WorstByP95[j].P95MS })
	d.WorstByErrorRate = d.WorstByErrorRate[:min(len(d.WorstByErrorRate), worstShown)]
	d.WorstByP95 = d.WorstByP95[:min(len(d.WorstByP95), worstShown)]
	return d
}

func equalBounds(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func successRate(exec, fail uint64) *float64 {
	if exec == 0 {
		return nil
	}
	v := format.Round(100*float64(exec-min(fail, exec))/float64(exec), 2)
	return &v
}

// commandsReport builds the fleet command analysis of one group. Its
// level is the agent's command report's: the worse of the fleet p95
// against thresholds.response_ms and the error rate against 5 % / 25 %,
// at most Fair when commands answered late.
func commandsReport(d CommandsData, at time.Time, th report.Thresholds) *report.Report {
	name := groupName(d.Group)
	rep := &report.Report{Event: EventCommands, Time: at, Host: name, Title: "Fleet commands · " + name, Emoji: "⚡", Level: health.Excellent, Data: d}
	t := d.Totals
	rate := "n/a"
	if t.SuccessRate != nil {
		rate = format.Pct(*t.SuccessRate)
	}
	span := "in " + format.Duration(time.Duration(d.IntervalSeconds*float64(time.Second)))
	rep.Summary = fmt.Sprintf("%d commands %s on %d of %d instances · %s success · p95 %s",
		t.Executions, span, d.Reporting, d.Instances, rate, latency(t.P95MS, d))
	score := math.Inf(1)
	if t.Executions > 0 {
		if d.LatencyInstances > 0 {
			score = math.Min(score, health.Score(t.P95MS, th.Response))
		}
		score = math.Min(score, health.Score(100*float64(t.Failures)/float64(t.Executions), health.Thresholds{Warning: 5, Critical: 25}))
	}
	if t.LateAnswers > 0 {
		score = math.Min(score, 60)
	}
	if !math.IsInf(score, 1) {
		rep.Level = health.LevelOf(score)
	}
	if d.Reporting == 0 {
		rep.Level = health.Good // nothing measured: not an incident, not "excellent" either
	}
	rep.Sections = append(rep.Sections, report.Section{Name: "📊 Totals", Fields: []report.Field{
		{Name: "Executions", Value: fmt.Sprintf("%d (%d failed)", t.Executions, t.Failures), Inline: true},
		{Name: "Success rate", Value: rate, Inline: true},
		{Name: "Late answers", Value: fmt.Sprint(t.LateAnswers), Inline: true},
		{Name: "p50 / p95 / p99", Value: fmt.Sprintf("%s / %s / %s", latency(t.P50MS, d), latency(t.P95MS, d), latency(t.P99MS, d)), Inline: true},
		{Name: "Instances", Value: fmt.Sprintf("%d of %d reporting", d.Reporting, d.Instances), Inline: true},
	}})
	if n := len(d.LatencyExcluded); n > 0 {
		names := make([]string, 0, min(n, worstShown))
		for _, s := range d.LatencyExcluded[:min(n, worstShown)] {
			names = append(names, CutRunes(s, MaxLabelRunes))
		}
		more := ""
		if n > worstShown {
			more = fmt.Sprintf(" … +%d more", n-worstShown)
		}
		rep.Sections = append(rep.Sections, report.Section{Name: "⚠️ Latency", Fields: []report.Field{{Value: fmt.Sprintf(
			"percentiles from %d instances; %s left out (other histogram bounds): %s%s", d.LatencyInstances, plural(n, "instance"), strings.Join(names, ", "), more)}}})
	}
	var lines []string
	for i, c := range d.Commands[:min(len(d.Commands), topFleetCommands)] {
		lines = append(lines, fmt.Sprintf("%d. /%s (%s) — %d runs · %d failed · p95 %s · on %s",
			i+1, CutRunes(c.Name, maxNameRunes), CutRunes(c.Module, maxNameRunes), c.Executions, c.Failures, optMS(c.P95MS, c.MaxMS > 0), plural(c.Instances, "instance")))
	}
	if len(lines) == 0 {
		lines = []string{"no commands run in this interval"}
	}
	for i := 0; i < len(lines); i += rowsPerSection {
		name := "🏆 Top commands"
		if i > 0 {
			name = fmt.Sprintf("🏆 Top commands %d–%d", i+1, min(i+rowsPerSection, len(lines)))
		}
		value := strings.Join(lines[i:min(i+rowsPerSection, len(lines))], "\n")
		if end := i + rowsPerSection; end >= len(lines) && len(d.Commands) > topFleetCommands {
			value += fmt.Sprintf("\n… +%d more in %s", len(d.Commands)-topFleetCommands, report.AttachmentName(EventCommands))
		}
		rep.Sections = append(rep.Sections, report.Section{Name: name, Fields: []report.Field{{Value: value}}})
	}
	worst := func(rows []InstanceCommands, line func(InstanceCommands) string, none string) string {
		if len(rows) == 0 {
			return none
		}
		ls := make([]string, len(rows))
		for i, r := range rows {
			ls[i] = CutRunes(r.Instance, MaxLabelRunes) + " — " + line(r)
		}
		return strings.Join(ls, "\n")
	}
	rep.Sections = append(rep.Sections,
		report.Section{Name: "❗ Worst error rate", Fields: []report.Field{{Value: worst(d.WorstByErrorRate, func(r InstanceCommands) string {
			return fmt.Sprintf("%s (%d of %d failed) · p95 %s", format.Pct(*r.ErrorRatePercent), r.Failures, r.Executions, format.MS(val(r.P95MS)))
		}, "no failures in this interval")}}},
		report.Section{Name: "🐢 Slowest p95", Fields: []report.Field{{Value: worst(d.WorstByP95, func(r InstanceCommands) string {
			return fmt.Sprintf("p95 %s · p99 %s · %d runs", format.MS(*r.P95MS), format.MS(*r.P99MS), r.Executions)
		}, "no command durations in this interval")}}},
	)
	return rep
}

// latency shows a fleet percentile: n/a when no histogram could be merged.
func latency(v float64, d CommandsData) string {
	if d.LatencyInstances == 0 {
		return "n/a"
	}
	return format.MS(v)
}

// optMS shows a latency that is known, else n/a.
func optMS(v float64, known bool) string {
	if !known {
		return "n/a"
	}
	return format.MS(v)
}

// defaultGroupBy is the exporter's default group_by, which names the
// group of instances without it (discordexporter.DefaultGroupBy).
const defaultGroupBy = "service.name"

// groupName is a group as reports name it.
func groupName(g string) string {
	if g == "" {
		return "(no " + defaultGroupBy + ")"
	}
	return g
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
