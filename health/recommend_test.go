package health

import (
	"math"
	"slices"
	"testing"
	"time"
)

// healthy is a fully populated Inputs on which no rule fires.
func healthy() Inputs {
	_, _, scores := Evaluate([]Component{
		{Name: ComponentCPU, Value: 20, Thresholds: Thresholds{70, 85}, Available: true},
		{Name: ComponentMemory, Value: 40, Thresholds: Thresholds{75, 90}, Available: true},
		{Name: ComponentDisk, Value: 50, Thresholds: Thresholds{85, 95}, Available: true},
		{Name: ComponentNetwork, Value: 40, Thresholds: Thresholds{200, 500}, Available: true},
		{Name: ComponentDiscord, Value: 300, Thresholds: Thresholds{2000, 5000}, Available: true},
	})
	return Inputs{
		Scores: scores,
		Trends: []Trend{
			{Metric: "memory", Direction: Stable, Meaning: Steady, Samples: 60, R2: 0.1},
			{Metric: "cpu", Direction: Decreasing, Meaning: Improving, SlopePerHour: -3, Samples: 60, R2: 0.9},
			{Metric: "latency", Direction: Increasing, Meaning: Degrading, SlopePerHour: 2, Samples: 60, R2: 0.2}, // noisy
		},
		Window:                 time.Hour,
		SwapPercent:            5,
		Disks:                  []DiskUsage{{"/", 50}, {"/var", 70}},
		Goroutines:             120,
		GoroutineGrowthPerHour: 3,
		HeapGrowthPerHour:      1 << 20,
		GatewayLatencyMs:       45,
		Reconnects:             1,
		Commands:               500,
		CommandP95Ms:           350,
		CommandFailureRate:     0.01,
		LateAnswers:            0,
		ProbeChecks:            60,
		ProbeAvailability:      1,
	}
}

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func TestRecommend_healthy(t *testing.T) {
	t.Parallel()
	if got := Recommend(healthy(), now); len(got) != 0 {
		t.Errorf("healthy inputs gave %+v", got)
	}
	if got := Recommend(Inputs{}, now); len(got) != 0 {
		t.Errorf("zero inputs gave %+v", got)
	}
	in := healthy()
	in.SwapPercent, in.GatewayLatencyMs, in.CommandP95Ms, in.ProbeAvailability = math.NaN(), math.NaN(), math.NaN(), math.NaN()
	if got := Recommend(in, now); len(got) != 0 {
		t.Errorf("unknown (NaN) inputs gave %+v", got)
	}
}

func TestRecommend_rules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		change    func(*Inputs)
		component string
		severity  Severity
		metric    string // evidence metric
		value     float64
		window    time.Duration
	}{
		{"cpu score warning", func(in *Inputs) { in.Scores[0] = score(ComponentCPU, 78, Thresholds{70, 85}) }, "cpu", SeverityWarning, "cpu", 78, 0},
		{"memory score critical", func(in *Inputs) { in.Scores[1] = score(ComponentMemory, 93, Thresholds{75, 90}) }, "memory", SeverityCritical, "memory", 93, 0},
		{"disk score without mounts", func(in *Inputs) { in.Disks = nil; in.Scores[2] = score(ComponentDisk, 90, Thresholds{85, 95}) }, "disk", SeverityWarning, "disk", 90, 0},
		{"network score", func(in *Inputs) { in.Scores[3] = score(ComponentNetwork, 300, Thresholds{200, 500}) }, "network", SeverityWarning, "network", 300, 0},
		{"discord score", func(in *Inputs) { in.Scores[4] = score(ComponentDiscord, 6000, Thresholds{2000, 5000}) }, "discord", SeverityCritical, "discord", 6000, 0},
		{"swap warning", func(in *Inputs) { in.SwapPercent = 60 }, "memory", SeverityWarning, "swap used", 60, 0},
		{"swap critical", func(in *Inputs) { in.SwapPercent = 85 }, "memory", SeverityCritical, "swap used", 85, 0},
		{"mount filling", func(in *Inputs) { in.Disks[1].Percent = 88 }, "disk", SeverityWarning, "disk used /var", 88, 0},
		{"mount full with custom thresholds", func(in *Inputs) { in.DiskThresholds = Thresholds{60, 68}; in.Disks[1].Percent = 70 }, "disk", SeverityCritical, "disk used /var", 70, 0},
		{"goroutine ceiling", func(in *Inputs) { in.Goroutines = 12000 }, "runtime", SeverityWarning, "goroutines", 12000, 0},
		{"goroutine leak", func(in *Inputs) { in.GoroutineGrowthPerHour = 800 }, "runtime", SeverityWarning, "goroutine growth", 800, time.Hour},
		{"heap leak", func(in *Inputs) { in.HeapGrowthPerHour = 64 << 20 }, "memory", SeverityWarning, "heap growth", 64 << 20, time.Hour},
		{"gateway latency", func(in *Inputs) { in.GatewayLatencyMs = 1200 }, "discord", SeverityCritical, "gateway latency", 1200, 0},
		{"reconnects", func(in *Inputs) { in.Reconnects = 4 }, "discord", SeverityWarning, "gateway reconnects", 4, time.Hour},
		{"reconnect storm", func(in *Inputs) { in.Reconnects = 12 }, "discord", SeverityCritical, "gateway reconnects", 12, time.Hour},
		{"slow commands", func(in *Inputs) { in.CommandP95Ms = 2500 }, "discord", SeverityWarning, "command p95", 2500, time.Hour},
		{"slow commands custom thresholds", func(in *Inputs) { in.ResponseThresholds = Thresholds{200, 300}; in.CommandP95Ms = 350 }, "discord", SeverityCritical, "command p95", 350, time.Hour},
		{"failing commands", func(in *Inputs) { in.CommandFailureRate = 0.08 }, "discord", SeverityWarning, "command failure rate", 8, time.Hour},
		{"mostly failing commands", func(in *Inputs) { in.CommandFailureRate = 0.5 }, "discord", SeverityCritical, "command failure rate", 50, time.Hour},
		{"late answers", func(in *Inputs) { in.LateAnswers = 2 }, "discord", SeverityWarning, "late first responses", 2, time.Hour},
		{"probes flaky", func(in *Inputs) { in.ProbeAvailability = 0.95 }, "network", SeverityWarning, "probe availability", 95, time.Hour},
		{"probes down", func(in *Inputs) { in.ProbeAvailability = 0.5 }, "network", SeverityCritical, "probe availability", 50, time.Hour},
		{"degrading trend", func(in *Inputs) {
			in.Trends = append(in.Trends, Trend{Metric: "memory", Direction: Increasing, Meaning: Degrading, SlopePerHour: 4, Samples: 30, Window: 2 * time.Hour, R2: 0.8})
		}, "memory", SeverityInfo, "memory", 4, 2 * time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := healthy()
			in.Scores = append([]ComponentScore(nil), in.Scores...)
			in.Disks = append([]DiskUsage(nil), in.Disks...)
			tc.change(&in)
			got := Recommend(in, now)
			if len(got) != 1 {
				t.Fatalf("got %d recommendations, want 1: %+v", len(got), got)
			}
			r := got[0]
			if r.Component != tc.component || r.Severity != tc.severity || r.Title == "" || r.Action == "" {
				t.Errorf("got %s/%s %q %q, want %s/%s", r.Component, r.Severity, r.Title, r.Action, tc.component, tc.severity)
			}
			if len(r.Evidence) == 0 {
				t.Fatal("no evidence")
			}
			e := r.Evidence[0]
			if e.Metric != tc.metric || math.Abs(e.Value-tc.value) > 1e-9 || e.Window != tc.window || e.Detail == "" {
				t.Errorf("evidence %+v, want metric %q value %v window %v", e, tc.metric, tc.value, tc.window)
			}
		})
	}
}

func score(name string, v float64, th Thresholds) ComponentScore {
	_, _, s := Evaluate([]Component{{Name: name, Value: v, Thresholds: th, Available: true}})
	return s[0]
}

func TestRecommend_guards(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*Inputs)
	}{
		{"leak over a short window", func(in *Inputs) {
			in.Window = 10 * time.Minute
			in.HeapGrowthPerHour = 1 << 30
			in.GoroutineGrowthPerHour = 5000
		}},
		{"failure rate over few commands", func(in *Inputs) { in.Commands = 4; in.CommandFailureRate = 1 }},
		{"availability over few probes", func(in *Inputs) { in.ProbeChecks = 2; in.ProbeAvailability = 0 }},
		{"degrading trend on few samples", func(in *Inputs) {
			in.Trends = []Trend{{Metric: "cpu", Meaning: Degrading, Direction: Increasing, SlopePerHour: 9, Samples: 4, R2: 0.99}}
		}},
		{"unavailable component", func(in *Inputs) { in.Scores[0] = ComponentScore{Name: ComponentCPU, Level: Critical} }},
		{"disk score when mounts are given", func(in *Inputs) { in.Scores[2] = score(ComponentDisk, 90, Thresholds{85, 95}) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := healthy()
			in.Scores = append([]ComponentScore(nil), in.Scores...)
			tc.change(&in)
			if got := Recommend(in, now); len(got) != 0 {
				t.Errorf("got %+v", got)
			}
		})
	}
}

func TestRecommend_sorted(t *testing.T) {
	t.Parallel()
	in := healthy()
	in.SwapPercent = 60                                                            // memory warning
	in.Reconnects = 20                                                             // discord critical
	in.Disks = []DiskUsage{{"/", 99}}                                              // disk critical
	in.LateAnswers = 1                                                             // discord warning
	in.Trends = []Trend{{Metric: "cpu", Meaning: Degrading, Samples: 10, R2: 0.9}} // cpu info
	got := Recommend(in, now)
	want := []struct {
		c string
		s Severity
	}{{"discord", SeverityCritical}, {"disk", SeverityCritical}, {"discord", SeverityWarning}, {"memory", SeverityWarning}, {"cpu", SeverityInfo}}
	if len(got) != len(want) {
		t.Fatalf("got %d: %+v", len(got), got)
	}
	for i, w := range want {
		if got[i].Component != w.c || got[i].Severity != w.s {
			t.Errorf("%d: got %s/%s, want %s/%s", i, got[i].Component, got[i].Severity, w.c, w.s)
		}
	}
}

// TestRecommend_RuntimeOwner: runtime recommendations name whose runtime
// they are about when it is not the bot's.
func TestRecommend_RuntimeOwner(t *testing.T) {
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	in := Inputs{Goroutines: 20000, HeapGrowthPerHour: 64 << 20, Window: time.Hour}
	for owner, want := range map[string]string{"": "Very many goroutines", "nexusmon agent": "Very many goroutines (nexusmon agent)"} {
		in.RuntimeOwner = owner
		var titles []string
		for _, r := range Recommend(in, at) {
			titles = append(titles, r.Title)
		}
		if !slices.Contains(titles, want) {
			t.Errorf("owner %q: titles %q, want %q", owner, titles, want)
		}
		if owner != "" && !slices.Contains(titles, "Live heap keeps growing (nexusmon agent)") {
			t.Errorf("owner %q: titles %q lack the owner on the heap", owner, titles)
		}
	}
}
