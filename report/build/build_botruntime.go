package build

import (
	"fmt"
	"slices"

	n "github.com/nexusmon/nexusmon/internal/names"
	"github.com/nexusmon/nexusmon/report/format"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// BotRuntime is the runtime of a bot in another language, from the
// runtime metrics it sends to the OTLP receiver (docs/conventions.md):
// V8's heap and Node's event-loop delay for discord.js, the garbage
// collector for discord.py. Figures the bot does not send are null.
type BotRuntime struct {
	Runtime string `json:"runtime"` // process.runtime.name: nodejs, cpython, …
	Service string `json:"service"` // the bot's service.name
	// Node.js.
	HeapUsed          *uint64  `json:"heap_used"`  // bytes, v8js.memory.heap.used over every space
	HeapLimit         *uint64  `json:"heap_limit"` // bytes, v8js.memory.heap.limit over every space
	EventLoopDelayP50 *float64 `json:"event_loop_delay_p50_ms"`
	EventLoopDelayP99 *float64 `json:"event_loop_delay_p99_ms"`
	EventLoopDelayMax *float64 `json:"event_loop_delay_max_ms"`
	GCPauses          *uint64  `json:"gc_pauses"`         // v8js.gc.duration measurements
	GCPauseTotalMS    *float64 `json:"gc_pause_total_ms"` // their sum
	// CPython.
	GCCollections   *uint64 `json:"gc_collections"` // every generation
	GCCollected     *uint64 `json:"gc_collected_objects"`
	GCUncollectable *uint64 `json:"gc_uncollectable_objects"`
	// Any runtime.
	Memory *uint64 `json:"memory"` // bytes, process.memory.usage as the bot reports it
}

// botRuntimeMetrics are the runtime metrics a received bot runtime is
// read from.
var botRuntimeMetrics = []string{
	n.NodeHeapUsed, n.NodeHeapLimit, n.NodeEventLoopDelayP50, n.NodeEventLoopDelayP99, n.NodeEventLoopDelayMax,
	n.NodeGCDuration, n.PyGCCollections, n.PyGCCollected, n.PyGCUncollectable, n.ProcessMemoryUsage,
}

// buildBotRuntime reads the received runtime of the first bot (by
// service.name) that sends one; nil when none does.
func buildBotRuntime(cur *reportdata.Snapshot) *BotRuntime {
	var services []string
	runtimes := map[string]string{}
	for _, name := range botRuntimeMetrics {
		for _, p := range cur.Points(name, n.AttrScope, n.ScopeReceiver) {
			svc := p.Attrs[n.AttrServiceName]
			if _, ok := runtimes[svc]; !ok {
				services = append(services, svc)
			}
			if rt := p.Attrs[n.AttrRuntimeName]; rt != "" || runtimes[svc] == "" {
				runtimes[svc] = rt
			}
		}
	}
	if len(services) == 0 {
		return nil
	}
	slices.Sort(services)
	svc := services[0]
	kv := scoped(n.ScopeReceiver, n.AttrServiceName, svc)
	sum := func(name string) (float64, bool) { return cur.Sum(name, kv...) }
	ms := func(name string) *float64 {
		v, ok := cur.Value(name, kv...)
		return format.RoundOpt(format.Opt(v*1000, ok), 3)
	}
	r := &BotRuntime{
		Runtime:           runtimes[svc],
		Service:           svc,
		HeapUsed:          format.U64Opt(sum(n.NodeHeapUsed)),
		HeapLimit:         format.U64Opt(sum(n.NodeHeapLimit)),
		EventLoopDelayP50: ms(n.NodeEventLoopDelayP50),
		EventLoopDelayP99: ms(n.NodeEventLoopDelayP99),
		EventLoopDelayMax: ms(n.NodeEventLoopDelayMax),
		GCCollections:     format.U64Opt(sum(n.PyGCCollections)),
		GCCollected:       format.U64Opt(sum(n.PyGCCollected)),
		GCUncollectable:   format.U64Opt(sum(n.PyGCUncollectable)),
		Memory:            format.U64Opt(sum(n.ProcessMemoryUsage)),
	}
	var pauses uint64
	var pauseSum float64
	var seen bool
	for _, p := range cur.Points(n.NodeGCDuration, kv...) {
		if p.Hist != nil {
			pauses, pauseSum, seen = pauses+p.Hist.Count, pauseSum+p.Hist.Sum, true
		}
	}
	if seen {
		r.GCPauses, r.GCPauseTotalMS = &pauses, new(format.Round(pauseSum*1000, 3))
	}
	return r
}

// runtimeTitle names a received runtime for a section title.
func runtimeTitle(rt string) string {
	switch rt {
	case "nodejs":
		return "Node.js"
	case "cpython":
		return "CPython"
	case "go":
		return "Go"
	case "":
		return "Bot"
	}
	return rt
}

// botRuntimeSection is the system report's section of a received runtime.
func botRuntimeSection(b *BotRuntime) reportdata.Section {
	name := "⚙️ " + runtimeTitle(b.Runtime) + " runtime · bot"
	if b.Service != "" {
		name += " " + b.Service
	}
	var fs []reportdata.Field
	if b.HeapUsed != nil || b.HeapLimit != nil {
		fs = append(fs, reportdata.Field{Name: "V8 heap", Value: fmt.Sprintf("%s used of %s", optBytes(b.HeapUsed), optBytes(b.HeapLimit)), Inline: true})
	}
	if b.EventLoopDelayP50 != nil || b.EventLoopDelayP99 != nil || b.EventLoopDelayMax != nil {
		fs = append(fs, reportdata.Field{Name: "Event loop delay", Value: fmt.Sprintf("p50 %s · p99 %s · max %s",
			optMS(b.EventLoopDelayP50), optMS(b.EventLoopDelayP99), optMS(b.EventLoopDelayMax)), Inline: true})
	}
	if b.GCPauses != nil {
		fs = append(fs, reportdata.Field{Name: "GC", Value: fmt.Sprintf("%s pauses · %s total", format.Count(b.GCPauses), optMS(b.GCPauseTotalMS)), Inline: true})
	}
	if b.GCCollections != nil || b.GCCollected != nil || b.GCUncollectable != nil {
		fs = append(fs, reportdata.Field{Name: "GC", Value: fmt.Sprintf("%s collections · %s collected · %s uncollectable",
			format.Count(b.GCCollections), format.Count(b.GCCollected), format.Count(b.GCUncollectable)), Inline: true})
	}
	if b.Memory != nil {
		fs = append(fs, reportdata.Field{Name: "Memory", Value: optBytes(b.Memory), Inline: true})
	}
	if len(fs) == 0 {
		fs = append(fs, reportdata.Field{Name: "Runtime", Value: "no runtime figures received"})
	}
	return reportdata.Section{Name: name, Fields: fs}
}

func optBytes(p *uint64) string {
	if p == nil {
		return "n/a"
	}
	return format.Bytes(float64(*p))
}

func optMS(p *float64) string {
	if p == nil {
		return "n/a"
	}
	return format.MS(*p)
}
