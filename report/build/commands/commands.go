// Package commands builds the reports about a bot's commands: the command
// performance analysis (with the duration histograms the fleet merges) and
// command errors and their digests.
package commands

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nexusmon/nexusmon/health"
	n "github.com/nexusmon/nexusmon/internal/names"
	"github.com/nexusmon/nexusmon/report/format"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// CommandData is the data of a command_performance_analysis report (DESIGN
// §3). Counts and percentiles cover the interval since this reader's
// previous collection (IntervalSeconds; since the bot's instruments started
// for the first report): the SDK's counters and histograms are cumulative,
// so the report works on their differences.
type CommandData struct {
	BotAttached     bool            `json:"bot_attached"`
	IntervalSeconds float64         `json:"interval_seconds"`
	Totals          CommandTotals   `json:"totals"`
	Commands        []CommandStats  `json:"commands"`
	Modules         []CommandStats  `json:"modules"`
	TopGuilds       []InvocationTop `json:"top_guilds"`
	TopChannels     []InvocationTop `json:"top_channels"`
	// RegisteredModules and RegisteredCommands are what the bot has
	// registered; null without a bot.
	RegisteredModules  *int64 `json:"registered_modules"`
	RegisteredCommands *int64 `json:"registered_commands"`
}

// CommandTotals are the interval's totals over every command.
type CommandTotals struct {
	Executions  uint64   `json:"executions"`
	Successes   uint64   `json:"successes"`
	Failures    uint64   `json:"failures"`
	SuccessRate *float64 `json:"success_rate"` // percent; null without executions
	LateAnswers uint64   `json:"late_answers"` // first responses after Discord's 3 s deadline
	P50MS       float64  `json:"p50_ms"`
	P95MS       float64  `json:"p95_ms"`
	P99MS       float64  `json:"p99_ms"`
	MaxMS       float64  `json:"max_ms"`
}

// CommandStats are one command's (or module's) figures in the interval.
// Percentiles are estimated from the duration histogram's buckets (linear
// within a bucket, as Prometheus' histogram_quantile does); MaxMS is an
// upper bound: the top of the highest bucket that received a value, or the
// histogram's recorded maximum when that is lower.
type CommandStats struct {
	Name        string   `json:"name"`
	Module      string   `json:"module,omitempty"` // commands only
	Executions  uint64   `json:"executions"`
	Failures    uint64   `json:"failures"`
	SuccessRate *float64 `json:"success_rate"` // percent; null without executions
	P50MS       float64  `json:"p50_ms"`
	P95MS       float64  `json:"p95_ms"`
	P99MS       float64  `json:"p99_ms"`
	MaxMS       float64  `json:"max_ms"`
}

// InvocationTop is a guild or channel with its invocations in the interval.
type InvocationTop struct {
	ID          string `json:"id"`
	Invocations uint64 `json:"invocations"`
}

// topN is how many guilds and channels the report lists.
const topN = 5

// hasBot reports whether the snapshot carries any discord.* metric: a bot
// session or command instrumentation is attached.
func hasBot(s *reportdata.Snapshot) bool {
	for _, name := range s.Names() {
		if strings.HasPrefix(name, "discord.") {
			return true
		}
	}
	return false
}

// bucketDelta returns cur's bucket counts minus prev's when prev is a
// valid earlier state of the same histogram (same bounds, no count went
// down); otherwise cur's counts (first report, or a reset).
func bucketDelta(cur, prev *reportdata.Histogram) []uint64 {
	out := append([]uint64(nil), cur.Counts...)
	if prev == nil || !slices.Equal(cur.Bounds, prev.Bounds) || len(prev.Counts) != len(cur.Counts) || prev.Count > cur.Count {
		return out
	}
	for i := range out {
		if prev.Counts[i] > cur.Counts[i] {
			return append(out[:0], cur.Counts...)
		}
		out[i] -= prev.Counts[i]
	}
	return out
}

// quantile estimates the q-quantile (0 < q ≤ 1) of the values counted in
// counts, bucket i holding values in (bounds[i-1], bounds[i]] and the last
// bucket values above the last bound. The value is interpolated linearly
// within its bucket; lo is the bottom of the first bucket and hi the top of
// the last (the histogram's recorded minimum and maximum when known), and
// the result is clamped to [lo, hi]. It returns NaN when counts is empty.
func quantile(bounds []float64, counts []uint64, q, lo, hi float64) float64 {
	var total uint64
	for _, c := range counts {
		total += c
	}
	if total == 0 || len(counts) != len(bounds)+1 {
		return math.NaN()
	}
	rank := q * float64(total)
	var cum float64
	for i, c := range counts {
		if c == 0 {
			continue
		}
		if cum+float64(c) < rank && i < len(counts)-1 {
			cum += float64(c)
			continue
		}
		lower, upper := lo, hi
		if i > 0 {
			lower = math.Max(bounds[i-1], lo)
		}
		if i < len(bounds) {
			upper = math.Min(bounds[i], hi)
		}
		if upper < lower {
			upper = lower
		}
		v := lower + (upper-lower)*(rank-cum)/float64(c)
		return math.Min(math.Max(v, lo), hi)
	}
	return math.NaN()
}

// histMax is the upper bound on the largest value counted in counts: the
// top of the highest non-empty bucket, or hi when that is lower (or the
// bucket has no top).
func histMax(bounds []float64, counts []uint64, hi float64) float64 {
	for i := len(counts) - 1; i >= 0; i-- {
		if counts[i] == 0 {
			continue
		}
		if i < len(bounds) {
			return math.Min(bounds[i], hi)
		}
		return hi
	}
	return math.NaN()
}

// DurationAgg accumulates the bucket deltas of several command duration
// histogram points of one interval (of one command across error types, of
// a module, of everything; of several instances in a fleet). Points with
// other bounds than the first make it mixed: it then has no percentiles.
type DurationAgg struct {
	bounds []float64
	counts []uint64
	lo, hi float64 // recorded min and max of the points, NaN when unknown
	mixed  bool    // points with different bounds: no percentiles
}

func (a *DurationAgg) add(cur, prev *reportdata.Histogram) {
	if a.mixed {
		return
	}
	d := bucketDelta(cur, prev)
	if a.counts == nil {
		a.bounds, a.counts = cur.Bounds, d
		a.lo, a.hi = cur.Min, cur.Max
		return
	}
	if !slices.Equal(a.bounds, cur.Bounds) {
		a.mixed = true
		return
	}
	for i := range d {
		a.counts[i] += d[i]
	}
	a.lo, a.hi = nanMin(a.lo, cur.Min), nanMax(a.hi, cur.Max)
}

// Merge adds o's counts to a's (a fleet merging its instances'
// histograms). Different bounds, or a mixed o, make a mixed.
func (a *DurationAgg) Merge(o DurationAgg) {
	switch {
	case a.mixed || o.counts == nil:
		if o.mixed {
			a.mixed = true
		}
		return
	case o.mixed:
		a.mixed = true
		return
	case a.counts == nil:
		a.bounds, a.counts, a.lo, a.hi = o.bounds, append([]uint64(nil), o.counts...), o.lo, o.hi
		return
	case !slices.Equal(a.bounds, o.bounds):
		a.mixed = true
		return
	}
	for i := range o.counts {
		a.counts[i] += o.counts[i]
	}
	a.lo, a.hi = nanMin(a.lo, o.lo), nanMax(a.hi, o.hi)
}

// Bounds are the bucket bounds (seconds); nil without data.
func (a *DurationAgg) Bounds() []float64 { return a.bounds }

// Mixed reports whether points with different bounds were added.
func (a *DurationAgg) Mixed() bool { return a.mixed }

// Count is how many values the buckets hold.
func (a *DurationAgg) Count() uint64 {
	var n uint64
	for _, c := range a.counts {
		n += c
	}
	return n
}

// Percentiles returns p50, p95, p99 and max in milliseconds, as the
// command report shows them (0 without data, or when mixed).
func (a *DurationAgg) Percentiles() (p50, p95, p99, mx float64) { return a.percentiles() }

// percentiles returns p50, p95, p99 and max in milliseconds (0 without data).
func (a *DurationAgg) percentiles() (p50, p95, p99, mx float64) {
	if a.counts == nil || a.mixed {
		return 0, 0, 0, 0
	}
	lo, hi := a.lo, a.hi
	if math.IsNaN(lo) || lo < 0 {
		lo = 0 // durations are never negative
	}
	if math.IsNaN(hi) {
		hi = math.Inf(1)
		if len(a.bounds) > 0 {
			hi = a.bounds[len(a.bounds)-1] // no better bound for the overflow bucket
		}
	}
	ms := func(v float64) float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0
		}
		return format.Round(v*1000, 1)
	}
	return ms(quantile(a.bounds, a.counts, 0.50, lo, hi)), ms(quantile(a.bounds, a.counts, 0.95, lo, hi)),
		ms(quantile(a.bounds, a.counts, 0.99, lo, hi)), ms(histMax(a.bounds, a.counts, hi))
}

func nanMin(a, b float64) float64 {
	switch {
	case math.IsNaN(a):
		return b
	case math.IsNaN(b):
		return a
	}
	return math.Min(a, b)
}

func nanMax(a, b float64) float64 {
	switch {
	case math.IsNaN(a):
		return b
	case math.IsNaN(b):
		return a
	}
	return math.Max(a, b)
}

// prevHist finds the point of prev's name with exactly p's attributes.
func prevHist(prev *reportdata.Snapshot, name string, p reportdata.Point) *reportdata.Histogram {
	if prev == nil {
		return nil
	}
	m := prev.Metric(name)
	if m == nil {
		return nil
	}
	for _, q := range m.Points {
		if q.Hist != nil && sameAttrs(p.Attrs, q.Attrs) {
			return q.Hist
		}
	}
	return nil
}

func sameAttrs(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// pointDelta is the increase of one cumulative counter point since prev
// (the point with the same attributes), or its value without one or after
// a reset.
func pointDelta(prev *reportdata.Snapshot, name string, p reportdata.Point) float64 {
	if prev != nil {
		if m := prev.Metric(name); m != nil {
			for _, q := range m.Points {
				if sameAttrs(p.Attrs, q.Attrs) {
					if p.Value >= q.Value {
						return p.Value - q.Value
					}
					break
				}
			}
		}
	}
	return p.Value
}

func successRate(exec, fail uint64) *float64 {
	if exec == 0 {
		return nil
	}
	v := format.Round(100*float64(exec-min(fail, exec))/float64(exec), 2)
	return &v
}

// BuildCommandData extracts the command figures of the interval between
// prev (this reader's previous snapshot, may be nil) and cur.
func BuildCommandData(cur, prev *reportdata.Snapshot) CommandData {
	d := CommandData{Commands: []CommandStats{}, Modules: []CommandStats{}, TopGuilds: []InvocationTop{}, TopChannels: []InvocationTop{}}
	if !hasBot(cur) {
		return d
	}
	d.BotAttached = true
	if prev != nil {
		d.IntervalSeconds = format.Round(cur.Time.Sub(prev.Time).Seconds(), 3)
	}
	bot := []string{n.AttrScope, n.ScopeBot}

	type acc struct {
		module     string
		exec, fail uint64
		dur        DurationAgg
	}
	cmds, mods := map[string]*acc{}, map[string]*acc{}
	get := func(m map[string]*acc, key, module string) *acc {
		a := m[key]
		if a == nil {
			a = &acc{module: module}
			m[key] = a
		}
		return a
	}
	for _, p := range cur.Points(n.CommandInvocations, bot...) {
		name, module := p.Attrs[n.AttrCommandName], p.Attrs[n.AttrCommandModule]
		delta := format.U64(pointDelta(prev, n.CommandInvocations, p))
		fail := p.Attrs[n.AttrOutcome] == "failure"
		for _, a := range []*acc{get(cmds, name, module), get(mods, module, "")} {
			a.exec += delta
			if fail {
				a.fail += delta
			}
		}
		d.Totals.Executions += delta
		if fail {
			d.Totals.Failures += delta
		}
	}
	var all DurationAgg
	for _, p := range cur.Points(n.CommandDuration, bot...) {
		if p.Hist == nil {
			continue
		}
		ph := prevHist(prev, n.CommandDuration, p)
		name, module := p.Attrs[n.AttrCommandName], p.Attrs[n.AttrCommandModule]
		get(cmds, name, module).dur.add(p.Hist, ph)
		get(mods, module, "").dur.add(p.Hist, ph)
		all.add(p.Hist, ph)
	}
	d.Totals.Successes = d.Totals.Executions - min(d.Totals.Failures, d.Totals.Executions)
	d.Totals.SuccessRate = successRate(d.Totals.Executions, d.Totals.Failures)
	late, _, _ := cur.CounterDelta(prev, n.CommandLateResponses, bot...)
	d.Totals.LateAnswers = format.U64(late)
	d.Totals.P50MS, d.Totals.P95MS, d.Totals.P99MS, d.Totals.MaxMS = all.percentiles()

	stats := func(m map[string]*acc, withModule bool) []CommandStats {
		out := make([]CommandStats, 0, len(m))
		for name, a := range m {
			s := CommandStats{Name: name, Executions: a.exec, Failures: a.fail, SuccessRate: successRate(a.exec, a.fail)}
			if withModule {
				s.Module = a.module
			}
			s.P50MS, s.P95MS, s.P99MS, s.MaxMS = a.dur.percentiles()
			out = append(out, s)
		}
		sort.Slice(out, func(i, j int) bool {
			if out[i].Executions != out[j].Executions {
				return out[i].Executions > out[j].Executions
			}
			return out[i].Name < out[j].Name
		})
		return out
	}
	d.Commands, d.Modules = stats(cmds, true), stats(mods, false)
	d.TopGuilds = topInvocations(cur, prev, n.CommandGuildInvocations, n.AttrGuildID)
	d.TopChannels = topInvocations(cur, prev, n.CommandChanInvocations, n.AttrChannelID)
	if v, ok := cur.Value(n.DiscordModules, bot...); ok {
		x := int64(v)
		d.RegisteredModules = &x
	}
	if v, ok := cur.Value(n.DiscordCommands, bot...); ok {
		x := int64(v)
		d.RegisteredCommands = &x
	}
	return d
}

// CommandDurations returns the command duration histograms of the
// interval between prev and cur (bucket deltas, as BuildCommandData's
// percentiles use them): of every command together and of each command
// by name. A fleet merges them across instances.
func CommandDurations(cur, prev *reportdata.Snapshot) (all DurationAgg, byCommand map[string]*DurationAgg) {
	byCommand = map[string]*DurationAgg{}
	for _, p := range cur.Points(n.CommandDuration, n.AttrScope, n.ScopeBot) {
		if p.Hist == nil {
			continue
		}
		ph := prevHist(prev, n.CommandDuration, p)
		name := p.Attrs[n.AttrCommandName]
		if byCommand[name] == nil {
			byCommand[name] = &DurationAgg{}
		}
		byCommand[name].add(p.Hist, ph)
		all.add(p.Hist, ph)
	}
	return all, byCommand
}

// topInvocations returns the topN ids of an id-keyed counter by their
// increase in the interval, most first (ties by id); ids without
// invocations in the interval are left out.
func topInvocations(cur, prev *reportdata.Snapshot, name, key string) []InvocationTop {
	by := map[string]uint64{}
	for _, p := range cur.Points(name, n.AttrScope, n.ScopeBot) {
		if id := p.Attrs[key]; id != "" {
			by[id] += format.U64(pointDelta(prev, name, p))
		}
	}
	out := make([]InvocationTop, 0, len(by))
	for id, c := range by {
		if c > 0 {
			out = append(out, InvocationTop{ID: id, Invocations: c})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Invocations != out[j].Invocations {
			return out[i].Invocations > out[j].Invocations
		}
		return out[i].ID < out[j].ID
	})
	return out[:min(len(out), topN)]
}

// CommandsReport builds the command performance analysis report.
func CommandsReport(d CommandData, at time.Time, host string, th reportdata.Thresholds) *reportdata.Report {
	r := &reportdata.Report{Event: reportdata.EventCommands, Time: at, Host: host, Title: "Command Performance", Emoji: "⚡", Data: d, Level: health.Good}
	if !d.BotAttached { // nothing measured: not an incident, but not "excellent" either
		r.Summary = "No bot session attached: no command data."
		r.Sections = []reportdata.Section{{Name: "🛰️ Discord", Fields: []reportdata.Field{{Name: "Session", Value: "no bot session attached"}}}}
		return r
	}
	t := d.Totals
	span := "since start"
	if d.IntervalSeconds > 0 {
		span = "in " + format.Duration(time.Duration(d.IntervalSeconds*float64(time.Second)))
	}
	rate := "n/a"
	if t.SuccessRate != nil {
		rate = format.Pct(*t.SuccessRate)
	}
	r.Summary = fmt.Sprintf("%d commands %s · %s success · p95 %s", t.Executions, span, rate, format.MS(t.P95MS))
	scores := []float64{}
	if t.Executions > 0 {
		scores = append(scores, health.Score(t.P95MS, th.Response))
		scores = append(scores, health.Score(100*float64(t.Failures)/float64(t.Executions), health.Thresholds{Warning: 5, Critical: 25}))
	}
	if t.LateAnswers > 0 {
		scores = append(scores, 60) // at most Fair: users saw "The application did not respond"
	}
	r.Level = health.LevelOf(worstScore(scores...))

	r.Sections = append(r.Sections, reportdata.Section{Name: "📊 Totals", Fields: []reportdata.Field{
		{Name: "Executions", Value: fmt.Sprintf("%d (%d failed)", t.Executions, t.Failures), Inline: true},
		{Name: "Success rate", Value: rate, Inline: true},
		{Name: "Late answers", Value: fmt.Sprint(t.LateAnswers), Inline: true},
		{Name: "p50 / p95 / p99", Value: fmt.Sprintf("%s / %s / %s", format.MS(t.P50MS), format.MS(t.P95MS), format.MS(t.P99MS)), Inline: true},
		{Name: "Max", Value: "≤ " + format.MS(t.MaxMS), Inline: true},
	}})
	var lines []string
	for i, c := range d.Commands {
		if i == 10 {
			lines = append(lines, fmt.Sprintf("… +%d more in %s", len(d.Commands)-10, reportdata.AttachmentName(reportdata.EventCommands)))
			break
		}
		lines = append(lines, fmt.Sprintf("%d. /%s (%s) — %d runs · %d failed · p50 %s · p95 %s · p99 %s",
			i+1, c.Name, c.Module, c.Executions, c.Failures, format.MS(c.P50MS), format.MS(c.P95MS), format.MS(c.P99MS)))
	}
	if len(lines) == 0 {
		lines = []string{"no commands run in this interval"}
	}
	r.Sections = append(r.Sections, reportdata.Section{Name: "🏆 Commands", Fields: []reportdata.Field{{Value: strings.Join(lines, "\n")}}})
	lines = lines[:0]
	for _, m := range d.Modules {
		lines = append(lines, fmt.Sprintf("%s — %d runs · %d failed · p95 %s", m.Name, m.Executions, m.Failures, format.MS(m.P95MS)))
	}
	if len(lines) == 0 {
		lines = []string{"—"}
	}
	r.Sections = append(r.Sections, reportdata.Section{Name: "📦 Modules", Fields: []reportdata.Field{{Value: strings.Join(lines, "\n")}}})
	top := func(ts []InvocationTop) string {
		if len(ts) == 0 {
			return "none in this interval"
		}
		var ls []string
		for _, t := range ts {
			ls = append(ls, fmt.Sprintf("%s — %d runs", t.ID, t.Invocations))
		}
		return strings.Join(ls, "\n")
	}
	r.Sections = append(r.Sections,
		reportdata.Section{Name: "🏰 Top guilds", Fields: []reportdata.Field{{Value: top(d.TopGuilds)}}},
		reportdata.Section{Name: "💬 Top channels", Fields: []reportdata.Field{{Value: top(d.TopChannels)}}},
	)
	if d.RegisteredModules != nil || d.RegisteredCommands != nil {
		r.Sections = append(r.Sections, reportdata.Section{Name: "🧩 Registered", Fields: []reportdata.Field{
			{Name: "Modules", Value: fmt.Sprint(derefInt(d.RegisteredModules)), Inline: true},
			{Name: "Commands", Value: fmt.Sprint(derefInt(d.RegisteredCommands)), Inline: true},
		}})
	}
	return r
}
