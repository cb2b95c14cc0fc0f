package health

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// Evidence is one observation a recommendation rests on.
type Evidence struct {
	Metric string
	Value  float64
	Unit   string
	Window time.Duration // period the value describes; 0 for a current reading
	Detail string        // e.g. "score 40/100 (Poor)" or "limit 85 %"
}

// Recommendation is an action suggested by a rule over the current inputs.
type Recommendation struct {
	Component string // "cpu", "memory", "disk", "network", "discord", "runtime", or a trend's metric
	Severity  Severity
	Title     string
	Action    string
	Evidence  []Evidence
}

// DiskUsage is the usage of one mounted filesystem.
type DiskUsage struct {
	Mountpoint string
	Percent    float64 // 0–100
}

// Inputs are the values Recommend's rules look at. A NaN value means
// "unknown" and no rule fires on it; counts of 0 mean nothing happened (or no
// data). The zero Inputs produces no recommendation.
type Inputs struct {
	Scores []ComponentScore // from Evaluate
	Trends []Trend          // from TrendOf
	Window time.Duration    // the period the counts and growth rates below describe

	SwapPercent            float64     // 0–100
	Disks                  []DiskUsage // per mountpoint
	DiskThresholds         Thresholds  // zero: 85/95 %
	Goroutines             float64     // current count
	RuntimeOwner           string      // whose Go runtime Goroutines and the heap are when not the bot's ("nexusmon agent"); "" for the bot's
	GoroutineGrowthPerHour float64     // least-squares slope over Window
	HeapGrowthPerHour      float64     // bytes per hour, least-squares slope of the live heap over Window
	GatewayLatencyMs       float64     // last heartbeat latency
	Reconnects             int         // gateway reconnects in Window
	Commands               int         // command invocations in Window
	CommandP95Ms           float64     // 95th percentile command duration in Window
	CommandFailureRate     float64     // failed / Commands, 0–1
	LateAnswers            int         // first responses after Discord's 3 s limit in Window
	ResponseThresholds     Thresholds  // for CommandP95Ms; zero: 2000/5000 ms
	ProbeChecks            int         // probes run in Window
	ProbeAvailability      float64     // successful / ProbeChecks, 0–1
}

// Rule thresholds of Recommend. They are documented here because every
// recommendation quotes them as evidence.
const (
	swapWarning, swapCritical             = 50.0, 80.0 // % of swap used
	goroutineCeiling                      = 10000.0    // goroutines
	goroutineLeakPerHour                  = 500.0      // goroutines per hour
	heapLeakPerHour                       = 16 << 20   // bytes per hour
	minGrowthWindow                       = 30 * time.Minute
	gatewayWarning, gatewayCritical       = 500.0, 1000.0 // ms
	reconnectWarning, reconnectCritical   = 3, 10
	minCommandsForP95                     = 5
	minCommandsForRate                    = 20
	failureWarning, failureCritical       = 0.05, 0.25
	probeMinChecks                        = 5
	availabilityWarning, availabilityCrit = 0.99, 0.90
	trendMinSamples                       = 6
	trendMinR2                            = 0.5
)

// Recommend applies nexusmon's recommendation rules to in and returns the
// recommendations sorted by severity (critical first), then component, then
// title. Every recommendation carries the values (and their window) that
// triggered it. When all is well it returns nothing: the health report shows
// the scores themselves, so an "all healthy" entry would only repeat them.
// now is the time the inputs describe; the current rules do not depend on it.
//
// The rules:
//   - an available component scoring below 75 (at or past its warning line):
//     warning, critical below 25; disk only when no per-mount Disks are given;
//   - swap used ≥ 50 % (warning), ≥ 80 % (critical);
//   - a mount at or above its disk thresholds;
//   - more than 10000 goroutines, or growth of ≥ 500 goroutines/h or of the
//     live heap by ≥ 16 MiB/h over a Window of at least 30 min (a leak);
//   - gateway heartbeat latency ≥ 500 ms (warning), ≥ 1000 ms (critical);
//   - ≥ 3 gateway reconnects in Window (warning), ≥ 10 (critical);
//   - command p95 at or above the response thresholds (at least 5 commands);
//   - command failure rate ≥ 5 % (warning), ≥ 25 % (critical) over at least
//     20 commands;
//   - any late first response (Discord fails an interaction not answered
//     within 3 s);
//   - probe availability below 99 % (warning), 90 % (critical) over at least
//     5 probes;
//   - a degrading trend fitted on at least 6 samples with R² ≥ 0.5: info.
func Recommend(in Inputs, now time.Time) []Recommendation {
	var out []Recommendation
	add := func(r Recommendation) { out = append(out, r) }

	for _, cs := range in.Scores {
		if !cs.Available || cs.Score >= 75 || (cs.Name == ComponentDisk && len(in.Disks) > 0) {
			continue
		}
		sev := SeverityWarning
		if cs.Score < 25 {
			sev = SeverityCritical
		}
		title, action := componentAdvice(cs.Name)
		add(Recommendation{
			Component: cs.Name, Severity: sev, Title: title, Action: action,
			Evidence: []Evidence{{Metric: cs.Name, Value: cs.Value, Unit: componentUnit(cs.Name),
				Detail: fmt.Sprintf("score %s/100 (%s)", FormatValue(cs.Score, ""), cs.Level)}},
		})
	}

	if sev, ok := band(in.SwapPercent, swapWarning, swapCritical); ok {
		add(Recommendation{
			Component: ComponentMemory, Severity: sev, Title: "The host is swapping",
			Action: "Free memory on the host or add RAM; a bot paged out to swap answers late. Check which processes hold the most memory.",
			Evidence: []Evidence{{Metric: "swap used", Value: in.SwapPercent, Unit: "%",
				Detail: fmt.Sprintf("warning at %s, critical at %s", FormatValue(swapWarning, "%"), FormatValue(swapCritical, "%"))}},
		})
	}

	dt := in.DiskThresholds
	if dt == (Thresholds{}) {
		dt = Thresholds{Warning: 85, Critical: 95}
	}
	for _, d := range in.Disks {
		sev, ok := band(d.Percent, dt.Warning, dt.Critical)
		if !ok {
			continue
		}
		add(Recommendation{
			Component: ComponentDisk, Severity: sev, Title: "Filesystem " + d.Mountpoint + " is filling up",
			Action: "Delete or rotate old logs and data on " + d.Mountpoint + ", or grow the filesystem; SQLite and log writes fail on a full disk.",
			Evidence: []Evidence{{Metric: "disk used " + d.Mountpoint, Value: d.Percent, Unit: "%",
				Detail: fmt.Sprintf("warning at %s, critical at %s", FormatValue(dt.Warning, "%"), FormatValue(dt.Critical, "%"))}},
		})
	}

	whose := ""
	if in.RuntimeOwner != "" {
		whose = " (" + in.RuntimeOwner + ")"
	}
	if in.Goroutines >= goroutineCeiling {
		add(Recommendation{
			Component: "runtime", Severity: SeverityWarning, Title: "Very many goroutines" + whose,
			Action: "Take a goroutine profile (pprof) and look for handlers or timers that start goroutines without ending them.",
			Evidence: []Evidence{{Metric: "goroutines", Value: in.Goroutines,
				Detail: "more than " + FormatValue(goroutineCeiling, "")}},
		})
	}
	longEnough := in.Window >= minGrowthWindow
	if longEnough && in.GoroutineGrowthPerHour >= goroutineLeakPerHour {
		add(Recommendation{
			Component: "runtime", Severity: SeverityWarning, Title: "Goroutine count keeps growing" + whose,
			Action: "This looks like a goroutine leak: compare two goroutine profiles taken some minutes apart and find the stack that grows.",
			Evidence: []Evidence{{Metric: "goroutine growth", Value: in.GoroutineGrowthPerHour, Unit: "/h", Window: in.Window,
				Detail: fmt.Sprintf("now %s goroutines", FormatValue(in.Goroutines, ""))}},
		})
	}
	if longEnough && in.HeapGrowthPerHour >= heapLeakPerHour {
		add(Recommendation{
			Component: ComponentMemory, Severity: SeverityWarning, Title: "Live heap keeps growing" + whose,
			Action: "This looks like a memory leak: compare two heap profiles (pprof inuse_space) and look for caches or maps that are never trimmed.",
			Evidence: []Evidence{{Metric: "heap growth", Value: in.HeapGrowthPerHour, Unit: "B/h", Window: in.Window,
				Detail: fmt.Sprintf("about %s MiB per hour", FormatValue(in.HeapGrowthPerHour/(1<<20), ""))}},
		})
	}

	if sev, ok := band(in.GatewayLatencyMs, gatewayWarning, gatewayCritical); ok {
		add(Recommendation{
			Component: ComponentDiscord, Severity: sev, Title: "Gateway heartbeat latency is high",
			Action: "Check the host's network path to Discord and whether the bot's event loop is blocked (slow handlers delay heartbeats).",
			Evidence: []Evidence{{Metric: "gateway latency", Value: in.GatewayLatencyMs, Unit: "ms",
				Detail: fmt.Sprintf("warning at %s, critical at %s", FormatValue(gatewayWarning, "ms"), FormatValue(gatewayCritical, "ms"))}},
		})
	}
	if sev, ok := band(float64(in.Reconnects), reconnectWarning, reconnectCritical); ok {
		add(Recommendation{
			Component: ComponentDiscord, Severity: sev, Title: "The gateway connection keeps dropping",
			Action: "Look at the gateway close codes and the host's network stability; a blocked event loop that misses heartbeats also forces reconnects.",
			Evidence: []Evidence{{Metric: "gateway reconnects", Value: float64(in.Reconnects), Window: in.Window,
				Detail: fmt.Sprintf("warning at %d, critical at %d", reconnectWarning, reconnectCritical)}},
		})
	}

	rt := in.ResponseThresholds
	if rt == (Thresholds{}) {
		rt = Thresholds{Warning: 2000, Critical: 5000}
	}
	if in.Commands >= minCommandsForP95 {
		if sev, ok := band(in.CommandP95Ms, rt.Warning, rt.Critical); ok {
			add(Recommendation{
				Component: ComponentDiscord, Severity: sev, Title: "Commands are slow",
				Action: "Defer the interaction response at once and move slow work (HTTP calls, database queries) out of the handler; see the command report for the slowest commands.",
				Evidence: []Evidence{{Metric: "command p95", Value: in.CommandP95Ms, Unit: "ms", Window: in.Window,
					Detail: fmt.Sprintf("%d commands; warning at %s", in.Commands, FormatValue(rt.Warning, "ms"))}},
			})
		}
	}
	if in.Commands >= minCommandsForRate {
		if sev, ok := band(in.CommandFailureRate, failureWarning, failureCritical); ok {
			add(Recommendation{
				Component: ComponentDiscord, Severity: sev, Title: "Many commands fail",
				Action: "Check the command error reports for the most frequent error type and fix or guard that path.",
				Evidence: []Evidence{{Metric: "command failure rate", Value: in.CommandFailureRate * 100, Unit: "%", Window: in.Window,
					Detail: fmt.Sprintf("%d commands", in.Commands)}},
			})
		}
	}
	if in.LateAnswers > 0 {
		add(Recommendation{
			Component: ComponentDiscord, Severity: SeverityWarning, Title: "Interactions answered too late",
			Action: "Discord fails an interaction that gets no response within 3 s: defer the response first, then do the work and edit the reply.",
			Evidence: []Evidence{{Metric: "late first responses", Value: float64(in.LateAnswers), Window: in.Window,
				Detail: fmt.Sprintf("of %d commands", in.Commands)}},
		})
	}

	if in.ProbeChecks >= probeMinChecks && finite(in.ProbeAvailability) && in.ProbeAvailability < availabilityWarning {
		sev := SeverityWarning
		if in.ProbeAvailability < availabilityCrit {
			sev = SeverityCritical
		}
		add(Recommendation{
			Component: ComponentNetwork, Severity: sev, Title: "Probes fail",
			Action: "Check DNS, the default route and any firewall or proxy between the host and Discord; the probe report shows which phase fails.",
			Evidence: []Evidence{{Metric: "probe availability", Value: in.ProbeAvailability * 100, Unit: "%", Window: in.Window,
				Detail: fmt.Sprintf("%d probes", in.ProbeChecks)}},
		})
	}

	for _, t := range in.Trends {
		if t.Meaning != Degrading || t.Samples < trendMinSamples || t.R2 < trendMinR2 {
			continue
		}
		add(Recommendation{
			Component: t.Metric, Severity: SeverityInfo, Title: t.Metric + " is degrading",
			Action: "Watch " + t.Metric + ": it has moved steadily the wrong way over the window; find what changed before it crosses its warning line.",
			Evidence: []Evidence{{Metric: t.Metric, Value: t.SlopePerHour, Unit: "/h", Window: t.Window,
				Detail: fmt.Sprintf("%s over %d samples, R² %s", t.Direction, t.Samples, FormatValue(t.R2, ""))}},
		})
	}

	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Severity != b.Severity {
			return a.Severity.rank() < b.Severity.rank()
		}
		if a.Component != b.Component {
			return a.Component < b.Component
		}
		return a.Title < b.Title
	})
	return out
}

// band classifies a "higher is worse" value against two lines; NaN is never
// in a band.
func band(v, warning, critical float64) (Severity, bool) {
	switch {
	case math.IsNaN(v) || v < warning:
		return "", false
	case v >= critical:
		return SeverityCritical, true
	default:
		return SeverityWarning, true
	}
}

func componentUnit(name string) string {
	switch name {
	case ComponentCPU, ComponentMemory, ComponentDisk:
		return "%"
	case ComponentNetwork, ComponentDiscord:
		return "ms"
	default:
		return ""
	}
}

func componentAdvice(name string) (title, action string) {
	switch name {
	case ComponentCPU:
		return "CPU usage is high", "Find the busiest work with a CPU profile (pprof); move heavy jobs off the bot's event handlers, cache repeated work, or give the host more CPU."
	case ComponentMemory:
		return "Memory usage is high", "Find what holds memory (heap profile of the bot, top processes on the host); trim caches or add RAM before the OOM killer picks the bot."
	case ComponentDisk:
		return "Disk usage is high", "Delete or rotate old logs and data, or grow the filesystem."
	case ComponentNetwork:
		return "Network latency is high", "Check the host's connection and route to Discord and the internet targets; compare with the probe phases (DNS, connect, TLS)."
	case ComponentDiscord:
		return "Discord responsiveness is poor", "Check Discord's status page and the bot's REST rate limits; slow handlers also delay responses."
	default:
		return "Component " + name + " is unhealthy", "Look at " + name + "'s recent values and what changed before it crossed its warning line."
	}
}
