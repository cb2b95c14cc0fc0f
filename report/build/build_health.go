package build

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/nexusmon/nexusmon/health"
	n "github.com/nexusmon/nexusmon/internal/names"
	"github.com/nexusmon/nexusmon/report/build/commands"
	"github.com/nexusmon/nexusmon/report/format"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// HealthData is the data of a comprehensive_health_report (DESIGN §3, §4).
type HealthData struct {
	OverallHealth     OverallHealth              `json:"overall_health"`
	ComponentHealth   map[string]ComponentHealth `json:"component_health"` // cpu, memory, disk, network, discord
	PerformanceTrends HealthTrends               `json:"performance_trends"`
	Recommendations   []RecommendationData       `json:"recommendations"`
	ActiveAlerts      []reportdata.AlertStatus   `json:"active_alerts"`
	WindowSeconds     float64                    `json:"window_seconds"` // the trend window
}

// OverallHealth is the weighted health score of the components.
type OverallHealth struct {
	Score float64 `json:"score"` // 0–100
	Level string  `json:"level"` // Excellent, Good, Fair, Poor, Critical
	Emoji string  `json:"emoji"`
}

// ComponentHealth is one component's health. Value and Score are null when
// the component is not available (nothing measured it).
//
// The components and their values: cpu, memory and disk are percentages
// (disk: the fullest filesystem); network is network_ms (the gateway
// latency with a bot session, else the median internet probe time) scored
// on the network thresholds; discord is the Discord API probe's response
// time scored on the response thresholds, and scores 0 when the probe
// failed or a bot session is attached but disconnected.
type ComponentHealth struct {
	Value     *float64 `json:"value"`
	Unit      string   `json:"unit"`
	Score     *float64 `json:"score"`
	Level     string   `json:"level"` // "unavailable" when not available
	Emoji     string   `json:"emoji"`
	Available bool     `json:"available"`
	Detail    string   `json:"detail,omitempty"`
}

// HealthTrends are the trends of the last hour of stored samples.
type HealthTrends struct {
	CPUPercent       TrendData `json:"cpu_percent"`
	MemoryPercent    TrendData `json:"memory_percent"`
	GatewayLatencyMS TrendData `json:"gateway_latency_ms"`
	DiscordAPIMS     TrendData `json:"discord_api_ms"`
}

// RecommendationData is a health.Recommendation in JSON form.
type RecommendationData struct {
	Component string         `json:"component"`
	Severity  string         `json:"severity"`
	Title     string         `json:"title"`
	Action    string         `json:"action"`
	Evidence  []EvidenceData `json:"evidence"`
}

// EvidenceData is a health.Evidence in JSON form.
type EvidenceData struct {
	Metric        string  `json:"metric"`
	Value         float64 `json:"value"`
	Unit          string  `json:"unit"`
	WindowSeconds float64 `json:"window_seconds"`
	Detail        string  `json:"detail"`
}

// maxForecast is the longest forecast the health report mentions: beyond
// a week a straight line says little.
const maxForecast = 7 * 24 * time.Hour

// SeriesProbeAvailability is the lowest probe availability (%) of each
// network report; the health report counts its samples as probe rounds.
const SeriesProbeAvailability = "probe_availability_percent"

// HealthSeries are the stored series the health report reads.
var HealthSeries = []string{SeriesCPU, SeriesMemory, SeriesLatency, SeriesAPI, SeriesGoroutines, SeriesHeap, SeriesProbeAvailability}

// BuildHealthData computes the health report's data from cur (prev, this
// reader's previous snapshot, for rates and interval counts) and the
// stored window hist, and returns the chart's input with it.
func BuildHealthData(cur, prev *reportdata.Snapshot, hist SeriesHistory, th reportdata.Thresholds, alerts []reportdata.AlertStatus) (HealthData, reportdata.HealthChart) {
	at := cur.Time.UTC()
	sd := BuildSystemData(cur, prev)
	nd := BuildNetworkData(cur, prev)
	cd := commands.BuildCommandData(cur, prev)
	sm := sd.SystemMetrics

	type comp struct {
		c      health.Component
		shown  float64 // the value shown (c.Value may be a penalty)
		unit   string
		detail string
	}
	penalty := func(t health.Thresholds) float64 { return t.Critical + math.Max(t.Critical-t.Warning, 1) + 1 }
	// CPU % needs an interval: without prev there is none (the counters
	// hold averages since boot), and the component is unavailable.
	cpu := comp{c: health.Component{Name: health.ComponentCPU, Value: format.Num(sm.CPU.Percent), Thresholds: th.CPU, Available: sm.CPU.Percent != nil}, unit: "%"}
	if sd.firstReport() {
		cpu.detail = "no interval yet (first report)"
	}
	comps := []comp{
		cpu,
		{c: health.Component{Name: health.ComponentMemory, Value: format.Num(sm.Memory.Percent), Thresholds: th.Memory, Available: sm.Memory.Percent != nil}, unit: "%"},
	}
	disk := comp{c: health.Component{Name: health.ComponentDisk, Thresholds: th.Disk}, unit: "%"}
	for _, p := range sm.Disk.Partitions {
		if p.Percent != nil && (!disk.c.Available || *p.Percent >= disk.c.Value) {
			disk.c.Value, disk.c.Available, disk.detail = *p.Percent, true, "fullest: "+p.Mountpoint
		}
	}
	comps = append(comps, disk)
	netMS := NetworkMS(nd)
	network := comp{c: health.Component{Name: health.ComponentNetwork, Value: netMS, Thresholds: th.Network, Available: !math.IsNaN(netMS)}, unit: "ms"}
	switch {
	case nd.BotConnection.Attached && nd.BotConnection.LatencyMS != nil:
		network.detail = "gateway latency"
	case network.c.Available:
		network.detail = "median internet probe"
	}
	comps = append(comps, network)
	dc := comp{c: health.Component{Name: health.ComponentDiscord, Thresholds: th.Response}, unit: "ms"}
	switch a := nd.DiscordAPI; {
	case a != nil && a.OK:
		dc.c.Value, dc.c.Available, dc.detail = a.ResponseMS, true, "Discord API probe"
	case a != nil:
		dc.c.Value, dc.c.Available, dc.detail = penalty(th.Response), true, "Discord API probe failed ("+a.ErrorType+")"
	case nd.BotConnection.Attached && !nd.BotConnection.Connected:
		dc.c.Value, dc.c.Available, dc.detail = penalty(th.Response), true, "gateway disconnected"
	default:
		dc.detail = "no Discord API probe configured"
	}
	comps = append(comps, dc)
	for i := range comps {
		comps[i].shown = comps[i].c.Value
		if a := nd.DiscordAPI; comps[i].c.Name == health.ComponentDiscord && a != nil && !a.OK {
			comps[i].shown = a.ResponseMS
		}
	}
	in := make([]health.Component, len(comps))
	for i, c := range comps {
		in[i] = c.c
	}
	overall, level, scores := health.Evaluate(in)

	d := HealthData{
		OverallHealth: OverallHealth{Score: math.Floor(overall*10) / 10, // rounded down: never shown above its level
			Level: level.String(), Emoji: level.Emoji()},
		ComponentHealth: make(map[string]ComponentHealth, len(comps)),
		Recommendations: []RecommendationData{},
		ActiveAlerts:    alerts,
		WindowSeconds:   TrendWindow.Seconds(),
	}
	if d.ActiveAlerts == nil {
		d.ActiveAlerts = []reportdata.AlertStatus{}
	}
	for i, s := range scores {
		ch := ComponentHealth{Unit: comps[i].unit, Level: "unavailable", Emoji: "⚫", Available: s.Available, Detail: comps[i].detail}
		if s.Available {
			v, sc := format.Round(comps[i].shown, 1), format.Round(s.Score, 1)
			ch.Value, ch.Score, ch.Level, ch.Emoji = &v, &sc, s.Level.String(), s.Level.Emoji()
		}
		d.ComponentHealth[s.Name] = ch
	}

	// Trends over the stored hour plus this snapshot's values.
	latNow := math.NaN()
	if nd.BotConnection.Connected && nd.BotConnection.LatencyMS != nil {
		latNow = *nd.BotConnection.LatencyMS
	}
	apiNow := math.NaN()
	if a := nd.DiscordAPI; a != nil && a.OK {
		apiNow = a.ResponseMS
	}
	cpuNow, memNow := format.Num(sm.CPU.Percent), format.Num(sm.Memory.Percent)
	cpuS := withCurrent(hist[SeriesCPU], at, cpuNow)
	memS := withCurrent(hist[SeriesMemory], at, memNow)
	latS := withCurrent(hist[SeriesLatency], at, latNow)
	apiS := withCurrent(hist[SeriesAPI], at, apiNow)
	var trends []health.Trend
	fitted := func(spec seriesSpec, s []health.Sample, critical float64) TrendData {
		td, t := trendData(spec, s)
		trends = append(trends, t)
		if t.Direction == health.Increasing {
			if eta, ok := health.Forecast(s, critical, at); ok && eta <= maxForecast {
				td.Forecast = health.ForecastSentence(spec.label, critical, spec.unit, eta)
			}
		}
		return td
	}
	d.PerformanceTrends = HealthTrends{
		CPUPercent:       fitted(specCPU, cpuS, th.CPU.Critical),
		MemoryPercent:    fitted(specMemory, memS, th.Memory.Critical),
		GatewayLatencyMS: fitted(specLatency, latS, th.Network.Critical),
		DiscordAPIMS:     fitted(specAPI, apiS, th.Response.Critical),
	}

	// Recommendations.
	rin := health.Inputs{
		Scores: scores, Trends: trends, Window: TrendWindow,
		SwapPercent: format.Num(sm.Memory.Swap.Percent), DiskThresholds: th.Disk,
		Goroutines:       format.Num(sd.RuntimeMetrics.Goroutines),
		RuntimeOwner:     runtimeOwner(sd.runtimeOfBot),
		GatewayLatencyMs: latNow, ResponseThresholds: th.Response,
		Commands: int(cd.Totals.Executions), CommandP95Ms: cd.Totals.P95MS, LateAnswers: int(cd.Totals.LateAnswers),
		ProbeAvailability: math.NaN(),
	}
	for _, p := range sm.Disk.Partitions {
		if p.Percent != nil {
			rin.Disks = append(rin.Disks, health.DiskUsage{Mountpoint: p.Mountpoint, Percent: *p.Percent})
		}
	}
	if cd.Totals.Executions > 0 {
		rin.CommandFailureRate = float64(cd.Totals.Failures) / float64(cd.Totals.Executions)
	}
	if nd.BotConnection.Reconnects != nil {
		rc, _, _ := cur.CounterDelta(prev, n.DiscordReconnects, n.AttrScope, n.ScopeBot)
		rin.Reconnects = int(rc)
	}
	// Growth rates only from a window long enough to tell a leak from noise.
	if t := health.TrendOf("goroutines", withCurrent(hist[SeriesGoroutines], at, format.Num(sd.RuntimeMetrics.Goroutines)), true, 0); t.Window >= 30*time.Minute {
		rin.GoroutineGrowthPerHour = t.SlopePerHour
	}
	if t := health.TrendOf("heap", withCurrent(hist[SeriesHeap], at, format.Num(sd.RuntimeMetrics.Heap.Alloc)), true, 0); t.Window >= 30*time.Minute {
		rin.HeapGrowthPerHour = t.SlopePerHour
	}
	probes := append([]ProbeResult{}, nd.Internet...)
	if nd.DiscordAPI != nil {
		probes = append(probes, *nd.DiscordAPI)
	}
	for _, p := range probes {
		rin.ProbeAvailability = nanMin(rin.ProbeAvailability, p.AvailabilityPercent/100)
	}
	rin.ProbeChecks = len(hist[SeriesProbeAvailability])
	for _, rec := range health.Recommend(rin, at) {
		rd := RecommendationData{Component: rec.Component, Severity: string(rec.Severity), Title: rec.Title, Action: rec.Action, Evidence: []EvidenceData{}}
		for _, e := range rec.Evidence {
			rd.Evidence = append(rd.Evidence, EvidenceData{Metric: e.Metric, Value: format.Round(e.Value, 3), Unit: e.Unit,
				WindowSeconds: e.Window.Seconds(), Detail: e.Detail})
		}
		d.Recommendations = append(d.Recommendations, rd)
	}

	ci := reportdata.HealthChart{Start: at.Add(-TrendWindow), End: at, CPU: cpuS, Memory: memS, Gateway: latS, API: apiS,
		CPUTh: th.CPU, MemoryTh: th.Memory, LatencyTh: th.Network}
	return d, ci
}

// HealthReport builds the comprehensive health report; png (may be nil)
// is the chart, attached as ChartFile and shown as the embed image.
func HealthReport(d HealthData, at time.Time, host string, png []byte) *reportdata.Report {
	lvl := health.LevelOf(d.OverallHealth.Score)
	if len(d.ComponentHealth) > 0 && !anyAvailable(d.ComponentHealth) {
		lvl = health.Critical
	}
	r := &reportdata.Report{Event: reportdata.EventHealth, Time: at, Host: host, Title: "Comprehensive Health Report", Emoji: "🩺", Level: lvl, Data: d}
	worst, worstName := math.Inf(1), ""
	var comps []reportdata.Field
	for _, name := range []string{health.ComponentCPU, health.ComponentMemory, health.ComponentDisk, health.ComponentNetwork, health.ComponentDiscord} {
		c, ok := d.ComponentHealth[name]
		if !ok {
			continue
		}
		if !c.Available {
			comps = append(comps, reportdata.Field{Name: name, Value: "⚫ n/a", Inline: true})
			continue
		}
		v := health.FormatValue(*c.Value, c.Unit)
		if strings.Contains(c.Detail, "failed") || strings.Contains(c.Detail, "disconnected") {
			v = c.Detail
		}
		comps = append(comps, reportdata.Field{Name: name, Value: fmt.Sprintf("%s %s · %s", c.Emoji, fmtScore(*c.Score), v), Inline: true})
		if *c.Score < worst {
			worst, worstName = *c.Score, name
		}
	}
	r.Summary = fmt.Sprintf("Overall %s/100 %s %s", fmtScore(d.OverallHealth.Score), d.OverallHealth.Emoji, d.OverallHealth.Level)
	if worstName != "" {
		r.Summary += fmt.Sprintf(" · worst: %s %s/100", worstName, fmtScore(worst))
	}
	if cnt := len(d.ActiveAlerts); cnt > 0 {
		r.Summary += fmt.Sprintf(" · %d active alert(s)", cnt)
	}
	r.Sections = append(r.Sections, reportdata.Section{Name: "🧩 Components", Fields: comps})

	t := d.PerformanceTrends
	r.Sections = append(r.Sections, reportdata.Section{Name: "📈 Trends (1h)", Fields: []reportdata.Field{
		{Name: "CPU", Value: trendText(t.CPUPercent)},
		{Name: "Memory", Value: trendText(t.MemoryPercent)},
		{Name: "Gateway latency", Value: trendText(t.GatewayLatencyMS)},
		{Name: "Discord API", Value: trendText(t.DiscordAPIMS)},
	}})

	var recs []reportdata.Field
	for _, rec := range d.Recommendations {
		var ev []string
		for _, e := range rec.Evidence {
			s := e.Metric + " " + health.FormatValue(e.Value, e.Unit)
			if e.Detail != "" {
				s += " (" + e.Detail + ")"
			}
			ev = append(ev, s)
		}
		recs = append(recs, reportdata.Field{Name: severityEmoji(rec.Severity) + " " + rec.Title, Value: rec.Action + "\nEvidence: " + strings.Join(ev, "; ")})
	}
	if len(recs) == 0 {
		recs = []reportdata.Field{{Value: "No action needed."}}
	}
	r.Sections = append(r.Sections, reportdata.Section{Name: "💡 Recommendations", Fields: recs})

	var alerts []string
	for _, a := range d.ActiveAlerts {
		alerts = append(alerts, fmt.Sprintf("%s %s %s · %s (peak %s) since %s", severityEmoji(a.Severity), strings.ToUpper(a.Severity),
			a.Rule, health.FormatValue(a.Value, a.Unit), health.FormatValue(a.Peak, a.Unit), a.Since.UTC().Format("15:04 UTC")))
	}
	if len(alerts) == 0 {
		alerts = []string{"none"}
	}
	r.Sections = append(r.Sections, reportdata.Section{Name: "🚨 Active alerts", Fields: []reportdata.Field{{Value: strings.Join(alerts, "\n")}}})
	if len(png) > 0 {
		r.Files = []reportdata.File{{Name: reportdata.ChartFile, ContentType: "image/png", Data: png}}
		r.Image = reportdata.ChartFile
	}
	return r
}

func anyAvailable(m map[string]ComponentHealth) bool {
	for _, c := range m {
		if c.Available {
			return true
		}
	}
	return false
}

func severityEmoji(s string) string {
	switch health.Severity(s) {
	case health.SeverityCritical:
		return "🚨"
	case health.SeverityWarning:
		return "⚠️"
	default:
		return "ℹ️"
	}
}

// fmtScore shows a score as a whole number rounded down, so the number
// shown is never at a level boundary above the score's level (74.6 is
// "74/100 Fair", not "75/100 Fair").
func fmtScore(v float64) string { return strconv.Itoa(int(math.Floor(v))) }

// runtimeOwner names the owner of the Go runtime in recommendations when it
// is not the watched bot's.
func runtimeOwner(ofBot bool) string {
	if ofBot {
		return ""
	}
	return "nexusmon agent"
}
