package build

import (
	"math"
	"testing"

	n "github.com/nexusmon/nexusmon/internal/names"
	"github.com/nexusmon/nexusmon/internal/reporttest"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// A bot in another language that sends its runtime metrics to the OTLP
// receiver gets its own runtime section, labelled as the bot's; the Go
// runtime section is then the agent's.
func TestBotRuntime_received(t *testing.T) {
	t.Parallel()
	rcv := n.ScopeReceiver
	node := func(v float64, kv ...string) reportdata.Point {
		return reporttest.Pt(rcv, v, append([]string{n.AttrServiceName, "jsbot", n.AttrRuntimeName, "nodejs"}, kv...)...)
	}
	py := func(v float64, kv ...string) reportdata.Point {
		return reporttest.Pt(rcv, v, append([]string{n.AttrServiceName, "pybot", n.AttrRuntimeName, "cpython"}, kv...)...)
	}
	for _, tt := range []struct {
		name  string
		add   func(s *reportdata.Snapshot)
		json  map[string]string
		lines []string
	}{
		{"nodejs", func(s *reportdata.Snapshot) {
			s.Add(n.NodeHeapUsed, "By", node(30<<20, n.AttrNodeHeapSpace, "old_space"), node(2<<20, n.AttrNodeHeapSpace, "new_space"))
			s.Add(n.NodeHeapLimit, "By", node(2<<30, n.AttrNodeHeapSpace, "old_space"))
			s.Add(n.NodeEventLoopDelayP50, "s", node(0.011))
			s.Add(n.NodeEventLoopDelayP99, "s", node(0.045))
			s.Add(n.NodeEventLoopDelayMax, "s", node(0.120))
			gc := node(0.8, n.AttrNodeGCType, "minor")
			gc.Hist = &reportdata.Histogram{Bounds: []float64{0.01}, Counts: []uint64{40, 2}, Count: 42, Sum: 0.8, Min: math.NaN(), Max: math.NaN()}
			s.Add(n.NodeGCDuration, "s", gc)
		}, map[string]string{
			"bot_runtime.runtime": `"nodejs"`, "bot_runtime.service": `"jsbot"`, "bot_runtime.heap_used": "33554432",
			"bot_runtime.event_loop_delay_p99_ms": "45", "bot_runtime.gc_pauses": "42", "bot_runtime.gc_collections": "null",
		}, []string{"⚙️ Node.js runtime · bot jsbot", "32.0 MiB used of 2.0 GiB", "⚙️ Go runtime · nexusmon agent"}},
		{"cpython", func(s *reportdata.Snapshot) {
			s.Add(n.PyGCCollections, "{collection}", py(120, n.AttrPyGCGeneration, "0"), py(10, n.AttrPyGCGeneration, "1"), py(1, n.AttrPyGCGeneration, "2"))
			s.Add(n.PyGCCollected, "{object}", py(5000, n.AttrPyGCGeneration, "0"))
			s.Add(n.PyGCUncollectable, "{object}", py(0, n.AttrPyGCGeneration, "0"))
			s.Add(n.ProcessMemoryUsage, "By", py(80<<20))
		}, map[string]string{
			"bot_runtime.runtime": `"cpython"`, "bot_runtime.gc_collections": "131", "bot_runtime.memory": "83886080", "bot_runtime.heap_used": "null",
		}, []string{"⚙️ CPython runtime · bot pybot", "131 collections · 5000 collected · 0 uncollectable", "80.0 MiB"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cur, prev := systemSnapshot(1), systemSnapshot(0)
			tt.add(cur)
			d := BuildSystemData(cur, prev)
			wantJSON(t, d, tt.json)
			wantLines(t, ConsoleHook(SystemReport(d, cur.Time, "host-1", reportdata.DefaultThresholds())), tt.lines...)
		})
	}
	// Without received runtime metrics: null, and no section.
	cur := systemSnapshot(1)
	d := BuildSystemData(cur, systemSnapshot(0))
	wantJSON(t, d, map[string]string{"bot_runtime": "null"})
}
