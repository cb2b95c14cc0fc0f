package build

import (
	"github.com/nexusmon/nexusmon/report/format"
)
import "math"

// Sample series names kept for trends and charts.
const (
	SeriesCPU        = "cpu_percent"
	SeriesMemory     = "memory_percent"
	SeriesDisk       = "disk_percent"
	SeriesSwap       = "swap_percent"
	SeriesProcessRSS = "process_rss_bytes"
	SeriesGoroutines = "goroutines"
	SeriesHeap       = "heap_alloc_bytes"
	SeriesLatency    = "gateway_latency_ms"
	SeriesAPI        = "discord_api_ms"
	SeriesNetwork    = "internet_ms"
)

// SystemSamples are the samples a system report stores: only values it
// has (no CPU % in the first report, nothing of a failed source).
func SystemSamples(d SystemData) map[string]float64 {
	v := map[string]float64{}
	add := func(series string, x float64) {
		if !math.IsNaN(x) {
			v[series] = x
		}
	}
	add(SeriesCPU, format.Num(d.SystemMetrics.CPU.Percent))
	add(SeriesMemory, format.Num(d.SystemMetrics.Memory.Percent))
	add(SeriesSwap, format.Num(d.SystemMetrics.Memory.Swap.Percent))
	add(SeriesGoroutines, format.Num(d.RuntimeMetrics.Goroutines))
	add(SeriesHeap, format.Num(d.RuntimeMetrics.Heap.Alloc))
	add(SeriesDisk, FullestDisk(d.SystemMetrics.Disk.Partitions))
	add(SeriesProcessRSS, format.Num(d.BotProcessMetrics.Memory.RSS))
	add(SeriesLatency, format.Num(d.BotMetrics.LatencyMS))
	return v
}
