package fleet

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/report"
)

// How the overview fits Discord: the worst MaxShownRows instances are
// listed, rowsPerSection to an embed field (a row is at most ~190 code
// points after escaping, so a section stays under the 1,024 of a field
// value and the message under the 6,000 of an embed); the rest are
// summarised by status and level in one more field, and every row is in
// the JSON attachment. MaxShownRows, MaxLabelRunes and CutRunes are
// exported for the component's tests.
const (
	MaxShownRows   = 24
	rowsPerSection = 5
	MaxLabelRunes  = 64 // an instance's name in a row; the JSON has it whole
)

// OverviewData is the data of a fleet_overview report: the group, counts,
// totals and every instance's row, worst first.
type OverviewData struct {
	Group          string         `json:"group"`
	Instances      int            `json:"instances"`
	ByStatus       map[string]int `json:"by_status"`
	ByLevel        map[string]int `json:"by_level"`
	Guilds         int64          `json:"guilds"`
	CommandsPerMin float64        `json:"commands_per_min"`
	Rows           []Row          `json:"rows"`
}

// OverviewReport builds the fleet overview of one group from its rows.
func OverviewReport(group string, rows []Row, at time.Time) *report.Report {
	rows = append([]Row(nil), rows...)
	sortWorstFirst(rows)
	d := OverviewData{Group: group, Instances: len(rows), ByStatus: map[string]int{}, ByLevel: map[string]int{}, Rows: rows}
	worst := health.Excellent
	var cpuSum, cpuMax float64
	cpuN := 0
	for _, r := range rows {
		d.ByStatus[r.Status]++
		if r.Level != "" {
			d.ByLevel[r.Level]++
		}
		if r.Status != StatusWaiting && r.Level != "" && r.level < worst {
			worst = r.level
		}
		if r.Status == StatusSilent || r.Status == StatusWaiting {
			continue
		}
		if r.Guilds != nil {
			d.Guilds += *r.Guilds
		}
		if r.CommandsPerMin != nil {
			d.CommandsPerMin += *r.CommandsPerMin
		}
		if r.CPUPercent != nil {
			cpuSum += *r.CPUPercent
			cpuMax = math.Max(cpuMax, *r.CPUPercent)
			cpuN++
		}
	}
	d.CommandsPerMin = roundTo(d.CommandsPerMin, 2)
	name := groupName(group)
	rep := &report.Report{Event: EventOverview, Time: at, Host: name, Title: "Fleet overview · " + name, Emoji: "🛰️", Level: worst, Data: d}
	var counts []string
	for _, s := range []string{StatusOK, StatusAlerting, StatusSilent, StatusWaiting} {
		if n := d.ByStatus[s]; n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", n, s))
		}
	}
	cpu := "n/a"
	if cpuN > 0 {
		cpu = fmt.Sprintf("avg %s, max %s", pct(cpuSum/float64(cpuN)), pct(cpuMax))
	}
	rep.Summary = fmt.Sprintf("%d instances: %s\nGuilds %s · %s commands/min · CPU %s",
		len(rows), strings.Join(counts, " · "), strconv.FormatInt(d.Guilds, 10), health.FormatValue(d.CommandsPerMin, ""), cpu)
	shown := rows[:min(len(rows), MaxShownRows)]
	for i := 0; i < len(shown); i += rowsPerSection {
		end := min(i+rowsPerSection, len(shown))
		sec := report.Section{Name: fmt.Sprintf("Instances %d–%d (worst first)", i+1, end)}
		for _, r := range shown[i:end] {
			sec.Fields = append(sec.Fields, report.Field{Value: rowEmoji(r) + " " + CutRunes(r.Instance, MaxLabelRunes) + " — " + rowText(r)})
		}
		rep.Sections = append(rep.Sections, sec)
	}
	if rest := rows[len(shown):]; len(rest) > 0 {
		rep.Sections = append(rep.Sections, report.Section{Name: fmt.Sprintf("%d more instances", len(rest)), Fields: []report.Field{
			{Value: summarise(rest) + "\nfull table in " + report.AttachmentName(EventOverview)},
		}})
	}
	return rep
}

// sortWorstFirst orders rows: silent first, then by health level (worst
// first), alerting before ok, lower score first, waiting last, then by
// instance name.
func sortWorstFirst(rows []Row) {
	rank := func(r Row) int {
		switch r.Status {
		case StatusSilent:
			return 0
		case StatusWaiting:
			return 2
		default:
			return 1
		}
	}
	score := func(r Row) float64 {
		if r.Score == nil {
			return 101
		}
		return *r.Score
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra < rb
		}
		if a.level != b.level {
			return a.level < b.level
		}
		if aa, ba := a.Status == StatusAlerting, b.Status == StatusAlerting; aa != ba {
			return aa
		}
		if sa, sb := score(a), score(b); sa != sb {
			return sa < sb
		}
		return a.Instance < b.Instance
	})
}

func rowEmoji(r Row) string {
	switch {
	case r.Status == StatusSilent:
		return "🔇"
	case r.Status == StatusWaiting:
		return "⏳"
	case r.Level == "":
		return "⚪"
	}
	return r.level.Emoji()
}

// rowText is an instance's figures on one line.
func rowText(r Row) string {
	if r.Status == StatusSilent {
		return "silent since " + lastSeen(r.LastSeen)
	}
	if r.Status == StatusWaiting {
		return "no data since the gateway started (last seen " + lastSeen(r.LastSeen) + ")"
	}
	parts := []string{
		"CPU " + pct(val(r.CPUPercent)),
		"mem " + pct(val(r.MemoryPercent)),
		"gw " + ms(val(r.LatencyMS)),
		guilds(r.Guilds) + " guilds",
		num(val(r.CommandsPerMin)) + " cmd/min",
		pct(val(r.ErrorRatePercent)) + " err",
	}
	if r.ActiveAlerts > 0 {
		parts = append(parts, plural(r.ActiveAlerts, "alert"))
	}
	return strings.Join(parts, " · ")
}

// summarise counts rows by status and level: "970 🟢 Excellent · 2 🔇 silent".
func summarise(rows []Row) string {
	type bucket struct {
		label string
		n     int
		order int
	}
	m := map[string]*bucket{}
	for _, r := range rows {
		label, order := r.Status, 100
		switch {
		case r.Status == StatusSilent:
			label, order = "🔇 silent", 0
		case r.Status == StatusWaiting:
			label, order = "⏳ waiting", 50
		case r.Level != "":
			label, order = r.level.Emoji()+" "+r.Level, 1+int(r.level)
		}
		if m[label] == nil {
			m[label] = &bucket{label: label, order: order}
		}
		m[label].n++
	}
	bs := make([]*bucket, 0, len(m))
	for _, b := range m {
		bs = append(bs, b)
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].order < bs[j].order })
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = fmt.Sprintf("%d %s", b.n, b.label)
	}
	return strings.Join(out, " · ")
}

func pct(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " %"
}

func ms(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return strconv.FormatFloat(v, 'f', 0, 64) + " ms"
}

func num(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return health.FormatValue(v, "")
}

func guilds(g *int64) string {
	if g == nil {
		return "n/a"
	}
	return strconv.FormatInt(*g, 10)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// CutRunes keeps s to at most n code points, the last being "…" when cut.
func CutRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
