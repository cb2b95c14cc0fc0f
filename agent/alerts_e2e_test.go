package agent

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nexusmon/nexusmon/report/reportdata"
)

// TestAgent_allReportsAndAnAlertThatResolves runs the agent with 1 s
// intervals and a deliberately low response threshold against a local
// "Discord API" whose latency the test controls: the events file must hold
// all five report kinds with DESIGN §3's keys, and response_ms must fire
// once and resolve once.
func TestAgent_allReportsAndAnAlertThatResolves(t *testing.T) {
	var slow atomic.Bool
	slow.Store(true)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slow.Load() {
			time.Sleep(300 * time.Millisecond)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"url":"wss://gateway.invalid"}`)) // best effort: the probe only needs the status
	}))
	t.Cleanup(api.Close)

	cfg := testConfig(t)
	cfg.Probes.DiscordAPI = api.URL + "/api/v10/gateway"
	cfg.Probes.Interval = time.Second
	cfg.Probes.Timeout = time.Second
	cfg.Thresholds.ResponseMS.Warning = 100
	cfg.Thresholds.ResponseMS.Critical = 250
	cfg.Alerts.For = 0
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	startAgent(t, cfg)

	fired := func(evs []map[string]any, state string) bool {
		for _, e := range eventsOf(evs, "performance_alert") {
			d := e["data"].(map[string]any)
			if d["rule"] == "response_ms" && d["state"] == state {
				return true
			}
		}
		return false
	}
	waitEvents(t, cfg.Output.JSONL, 60*time.Second, func(evs []map[string]any) bool { return fired(evs, "firing") })
	slow.Store(false)
	evs := waitEvents(t, cfg.Output.JSONL, 60*time.Second, func(evs []map[string]any) bool {
		if !fired(evs, "resolved") {
			return false
		}
		for _, k := range []string{"detailed_system_monitoring", "network_performance_monitoring", "memory_performance_monitoring", "command_performance_analysis", "comprehensive_health_report"} {
			if len(eventsOf(evs, reportdata.Kind(k))) == 0 {
				return false
			}
		}
		return true
	})

	var firing, resolved int
	for _, e := range eventsOf(evs, "performance_alert") {
		d := e["data"].(map[string]any)
		if d["rule"] != "response_ms" {
			continue
		}
		for _, k := range []string{"rule", "severity", "state", "value", "threshold", "since"} {
			if _, ok := d[k]; !ok {
				t.Errorf("performance_alert lacks %q: %v", k, d)
			}
		}
		switch d["state"] {
		case "firing":
			if d["repeat"] != true {
				firing++
			}
			if v, _ := d["value"].(float64); v < 100 {
				t.Errorf("fired at %v ms, below the 100 ms warning line", v)
			}
		case "resolved":
			resolved++
			if ms, _ := d["duration_ms"].(float64); ms <= 0 {
				t.Errorf("resolved without a duration: %v", d)
			}
		}
	}
	// Firing once, maybe escalating once to CRITICAL, resolving once.
	if firing < 1 || firing > 2 || resolved != 1 {
		t.Errorf("response_ms: %d firing and %d resolved notifications, want 1–2 and 1", firing, resolved)
	}
	keys := map[string][]string{
		"detailed_system_monitoring":     {"system_metrics", "bot_process_metrics", "bot_metrics", "runtime_metrics"},
		"network_performance_monitoring": {"discord_api", "internet", "bot_connection"},
		"memory_performance_monitoring":  {"process_memory", "system_memory", "garbage_collection", "trends"},
		"command_performance_analysis":   {"totals", "commands", "modules", "top_guilds", "top_channels"},
		"comprehensive_health_report":    {"overall_health", "component_health", "performance_trends", "recommendations", "active_alerts"},
	}
	for kind, want := range keys {
		e := eventsOf(evs, reportdata.Kind(kind))[0]
		d, ok := e["data"].(map[string]any)
		if !ok {
			t.Fatalf("%s: data is not an object", kind)
		}
		for _, k := range want {
			if _, ok := d[k]; !ok {
				t.Errorf("%s lacks data.%s", kind, k)
			}
		}
	}
	net := eventsOf(evs, "network_performance_monitoring")
	last := net[len(net)-1]["data"].(map[string]any)
	if api, ok := last["discord_api"].(map[string]any); !ok || api["ok"] != true {
		t.Errorf("network report discord_api = %v", last["discord_api"])
	}
}
