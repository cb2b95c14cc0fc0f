package build

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nexusmon/nexusmon/health"
	n "github.com/nexusmon/nexusmon/internal/names"
	"github.com/nexusmon/nexusmon/report/format"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// Probe kinds of the nexusmon.probe.kind attribute (instrumentation/probe).
const (
	ProbeKindDiscordAPI = "discord_api"
	ProbeKindInternet   = "internet"
)

// NetworkData is the data of a network_performance_monitoring report
// (DESIGN §3).
type NetworkData struct {
	// DiscordAPI is the last probe of the Discord API; null when no Discord
	// API probe is configured. With several, the first by URL.
	DiscordAPI *ProbeResult `json:"discord_api"`
	// Internet holds the last probe of every internet target, by URL.
	Internet      []ProbeResult `json:"internet"`
	BotConnection BotConnection `json:"bot_connection"`
	// NetworkMS is the value the network_ms alert rule and the health
	// report's network component use: the gateway latency when a bot
	// session is attached, else the median internet probe time; null when
	// neither is known.
	NetworkMS *float64 `json:"network_ms"`
}

// ProbeResult is the last probe of one target. Phase times are 0 for a
// phase that did not happen (no DNS for an IP address, no TLS for http).
type ProbeResult struct {
	URL                 string  `json:"url"`
	Kind                string  `json:"kind"`
	OK                  bool    `json:"ok"`
	Status              int     `json:"status"` // HTTP status; 0 when no response arrived
	ResponseMS          float64 `json:"response_ms"`
	DNSMS               float64 `json:"dns_ms"`
	ConnectMS           float64 `json:"connect_ms"`
	TLSMS               float64 `json:"tls_ms"`
	FirstByteMS         float64 `json:"first_byte_ms"`
	ErrorType           string  `json:"error_type"`           // "" when OK: timeout, dns, connect, tls, status, reset, other
	AvailabilityPercent float64 `json:"availability_percent"` // successful probes over the last hour
}

// BotConnection is the bot's gateway connection. Without a bot session
// Attached is false, Quality "unknown" and the pointers null.
type BotConnection struct {
	Attached   bool     `json:"attached"`
	Connected  bool     `json:"connected"`
	LatencyMS  *float64 `json:"latency_ms"`
	Quality    string   `json:"quality"` // excellent < 100 ms, good < 200, fair < 500, poor; unknown
	Reconnects *int64   `json:"reconnects"`
	Resumes    *int64   `json:"resumes"`
}

// Connection quality grades.
const (
	QualityExcellent = "excellent"
	QualityGood      = "good"
	QualityFair      = "fair"
	QualityPoor      = "poor"
	QualityUnknown   = "unknown"
)

// latencyQuality grades a gateway heartbeat latency.
func latencyQuality(ms float64) string {
	switch {
	case math.IsNaN(ms) || ms < 0:
		return QualityUnknown
	case ms < 100:
		return QualityExcellent
	case ms < 200:
		return QualityGood
	case ms < 500:
		return QualityFair
	default:
		return QualityPoor
	}
}

// BuildNetworkData extracts the probe and gateway figures from cur; prev
// (this reader's previous snapshot, may be nil) tells which error type the
// last failed probe had.
func BuildNetworkData(cur, prev *reportdata.Snapshot) NetworkData {
	d := NetworkData{Internet: []ProbeResult{}}
	probe := func(kv ...string) []string { return scoped(n.ScopeProbe, kv...) }
	var urls []string
	kinds := map[string]string{}
	for _, p := range cur.Points(n.ProbeUp, probe()...) {
		u := p.Attrs[n.AttrProbeTarget]
		if _, seen := kinds[u]; !seen {
			urls = append(urls, u)
		}
		kinds[u] = p.Attrs[n.AttrProbeKind]
	}
	sort.Strings(urls)
	for _, u := range urls {
		kv := probe(n.AttrProbeTarget, u)
		r := ProbeResult{URL: u, Kind: kinds[u]}
		up, _ := cur.Value(n.ProbeUp, kv...)
		r.OK = up > 0
		if v, ok := cur.Value(n.ProbeStatusCode, kv...); ok {
			r.Status = int(v)
		}
		if v, ok := cur.Value(n.ProbeAvailability, kv...); ok {
			r.AvailabilityPercent = format.Round(100*v, 2)
		}
		phase := func(ph string) float64 {
			v, _ := cur.Value(n.ProbeDuration, append(kv, n.AttrProbePhase, ph)...)
			return format.Round(v*1000, 1)
		}
		r.ResponseMS, r.DNSMS, r.ConnectMS = phase("total"), phase("dns"), phase("connect")
		r.TLSMS, r.FirstByteMS = phase("tls"), phase("first_byte")
		if !r.OK {
			r.ErrorType = lastErrorType(cur, prev, u)
		}
		if r.Kind == ProbeKindDiscordAPI {
			if d.DiscordAPI == nil {
				rc := r
				d.DiscordAPI = &rc
			}
			continue
		}
		d.Internet = append(d.Internet, r)
	}

	b := buildBot(cur, new(vals))
	d.BotConnection = BotConnection{Attached: b.Guilds != nil, Connected: b.Connected, LatencyMS: b.LatencyMS,
		Reconnects: b.Reconnects, Resumes: b.Resumes, Quality: QualityUnknown}
	if b.Connected && b.LatencyMS != nil {
		d.BotConnection.Quality = latencyQuality(*b.LatencyMS)
	}
	if v := NetworkMS(d); !math.IsNaN(v) {
		d.NetworkMS = &v
	}
	return d
}

// lastErrorType returns the error.type whose probe error counter for
// target grew since prev; without prev (or when none grew) the most
// frequent one so far; "other" when the counter has no points.
func lastErrorType(cur, prev *reportdata.Snapshot, target string) string {
	best, bestN := "", -1.0
	grown := ""
	for _, p := range cur.Points(n.ProbeErrors, n.AttrScope, n.ScopeProbe, n.AttrProbeTarget, target) {
		et := p.Attrs[n.AttrErrorType]
		if prev != nil {
			if pv, ok := prev.Value(n.ProbeErrors, n.AttrScope, n.ScopeProbe, n.AttrProbeTarget, target, n.AttrErrorType, et); !ok || p.Value > pv {
				if grown == "" || et < grown {
					grown = et
				}
			}
		}
		if p.Value > bestN || p.Value == bestN && et < best {
			best, bestN = et, p.Value
		}
	}
	switch {
	case grown != "":
		return grown
	case best != "":
		return best
	default:
		return "other"
	}
}

// NetworkMS is the network_ms value: the gateway latency when a bot
// session is attached and reports one, else the median total time of the
// internet probes that succeeded; NaN when neither is known.
func NetworkMS(d NetworkData) float64 {
	if d.BotConnection.Attached && d.BotConnection.LatencyMS != nil {
		return *d.BotConnection.LatencyMS
	}
	var ms []float64
	for _, r := range d.Internet {
		if r.OK {
			ms = append(ms, r.ResponseMS)
		}
	}
	return medianOf(ms)
}

// APIResponseMS is the response_ms value: the Discord API probe's total
// time when it got an answer in time, or the time it waited when it timed
// out (a timeout is the slowest answer there is); NaN otherwise (no probe,
// or it failed for another reason, which the network report shows).
func APIResponseMS(d NetworkData) float64 {
	a := d.DiscordAPI
	switch {
	case a == nil:
		return math.NaN()
	case a.OK || a.ErrorType == "timeout":
		return a.ResponseMS
	default:
		return math.NaN()
	}
}

func medianOf(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// nanMin is the smaller of a and b, ignoring a NaN.
func nanMin(a, b float64) float64 {
	switch {
	case math.IsNaN(a):
		return b
	case math.IsNaN(b):
		return a
	}
	return math.Min(a, b)
}

// NetworkSamples are the series the network report keeps for trends and
// the health chart.
func NetworkSamples(d NetworkData) map[string]float64 {
	v := map[string]float64{}
	if a := d.DiscordAPI; a != nil && a.OK {
		v[SeriesAPI] = a.ResponseMS
	}
	var ms []float64
	for _, r := range d.Internet {
		if r.OK {
			ms = append(ms, r.ResponseMS)
		}
	}
	if m := medianOf(ms); !math.IsNaN(m) {
		v[SeriesNetwork] = m
	}
	if d.BotConnection.Connected && d.BotConnection.LatencyMS != nil {
		v[SeriesLatency] = *d.BotConnection.LatencyMS
	}
	avail := math.NaN()
	for _, p := range d.Internet {
		avail = nanMin(avail, p.AvailabilityPercent)
	}
	if a := d.DiscordAPI; a != nil {
		avail = nanMin(avail, a.AvailabilityPercent)
	}
	if !math.IsNaN(avail) {
		v[SeriesProbeAvailability] = avail
	}
	return v
}

// NetworkReport builds the network performance report.
func NetworkReport(d NetworkData, at time.Time, host string, th reportdata.Thresholds) *reportdata.Report {
	r := &reportdata.Report{Event: reportdata.EventNetwork, Time: at, Host: host, Title: "Network Performance", Emoji: "🌐", Data: d}
	scores := []float64{}
	var summary []string

	if a := d.DiscordAPI; a != nil {
		s := health.Score(a.ResponseMS, th.Response)
		if !a.OK {
			s = 0 // Discord unreachable is the worst network state there is
		}
		scores = append(scores, s)
		summary = append(summary, "Discord API "+probeHeadline(*a))
		r.Sections = append(r.Sections, reportdata.Section{Name: "🛰️ Discord API", Fields: probeFields(*a)})
	}
	if len(d.Internet) > 0 {
		var lines []string
		down := 0
		for _, p := range d.Internet {
			lines = append(lines, p.URL+" — "+probeLine(p))
			if !p.OK {
				down++
			}
		}
		switch {
		case down == len(d.Internet):
			scores = append(scores, 0)
		case down > 0:
			scores = append(scores, 60) // Fair: part of the internet is unreachable
		}
		r.Sections = append(r.Sections, reportdata.Section{Name: "🌍 Internet", Fields: []reportdata.Field{{Value: strings.Join(lines, "\n")}}})
		if m := medianOf(okTimes(d.Internet)); !math.IsNaN(m) {
			summary = append(summary, "internet "+format.MS(m))
		} else {
			summary = append(summary, "internet unreachable")
		}
	}
	if d.DiscordAPI == nil && len(d.Internet) == 0 {
		summary = append(summary, "no probes configured")
		r.Sections = append(r.Sections, reportdata.Section{Name: "📡 Probes", Fields: []reportdata.Field{{Value: "No probes configured: set probes.discord_api or probes.internet to measure reachability."}}})
	}

	bc := d.BotConnection
	if !bc.Attached {
		r.Sections = append(r.Sections, reportdata.Section{Name: "🔌 Bot connection", Fields: []reportdata.Field{{Name: "Session", Value: "no bot session attached"}}})
	} else {
		state := "🔴 disconnected"
		if bc.Connected {
			state = "🟢 connected"
		}
		lat := "n/a"
		if bc.LatencyMS != nil {
			lat = format.MS(*bc.LatencyMS)
			if bc.Connected {
				scores = append(scores, health.Score(*bc.LatencyMS, th.Network))
			}
		}
		if !bc.Connected {
			scores = append(scores, 0)
		}
		r.Sections = append(r.Sections, reportdata.Section{Name: "🔌 Bot connection", Fields: []reportdata.Field{
			{Name: "Gateway", Value: state, Inline: true},
			{Name: "Latency", Value: lat + " (" + bc.Quality + ")", Inline: true},
			{Name: "Reconnects / resumes", Value: fmt.Sprintf("%d / %d", derefInt(bc.Reconnects), derefInt(bc.Resumes)), Inline: true},
		}})
		summary = append(summary, "gateway "+lat+" ("+bc.Quality+")")
	}
	if d.NetworkMS != nil && !bc.Attached {
		scores = append(scores, health.Score(*d.NetworkMS, th.Network))
	}
	r.Level = health.LevelOf(worstScore(scores...))
	if len(scores) == 0 {
		r.Level = health.Good // nothing measured: not an incident, but not "excellent" either
	}
	r.Summary = strings.Join(summary, " · ")
	return r
}

func okTimes(ps []ProbeResult) []float64 {
	var ms []float64
	for _, p := range ps {
		if p.OK {
			ms = append(ms, p.ResponseMS)
		}
	}
	return ms
}

func derefInt(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// probeHeadline is a probe's state in a few words: "212 ms" or "down (timeout)".
func probeHeadline(p ProbeResult) string {
	if p.OK {
		return format.MS(p.ResponseMS)
	}
	return "down (" + p.ErrorType + ")"
}

// probeLine is a probe in one line: time, status, availability.
func probeLine(p ProbeResult) string {
	s := probeHeadline(p)
	if p.Status > 0 {
		s += " · HTTP " + strconv.Itoa(p.Status)
	}
	return s + " · " + format.Pct(p.AvailabilityPercent) + " up (1h)"
}

func probeFields(p ProbeResult) []reportdata.Field {
	status := "no response"
	if p.Status > 0 {
		status = strconv.Itoa(p.Status) + " " + format.StatusText(p.Status)
	}
	phases := fmt.Sprintf("DNS %s · connect %s · TLS %s · first byte %s", format.MS(p.DNSMS), format.MS(p.ConnectMS), format.MS(p.TLSMS), format.MS(p.FirstByteMS))
	f := []reportdata.Field{
		{Name: "Response", Value: probeHeadline(p), Inline: true},
		{Name: "Status", Value: strings.TrimSpace(status), Inline: true},
		{Name: "Availability (1h)", Value: format.Pct(p.AvailabilityPercent), Inline: true},
		{Name: "Phases", Value: phases},
		{Name: "URL", Value: p.URL},
	}
	return f
}
