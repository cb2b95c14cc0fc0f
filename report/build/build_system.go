package build

import (
	"math"
	"sort"
	"strconv"

	n "github.com/nexusmon/nexusmon/internal/names"
	"github.com/nexusmon/nexusmon/report/format"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// SystemData is the data of a detailed_system_monitoring report (DESIGN §3).
// A value that could not be read is null (see optional.go).
type SystemData struct {
	SystemMetrics     SystemMetrics  `json:"system_metrics"`
	BotProcessMetrics ProcessMetrics `json:"bot_process_metrics"`
	BotMetrics        BotMetrics     `json:"bot_metrics"`
	RuntimeMetrics    RuntimeMetrics `json:"runtime_metrics"`
	// BotRuntime is the runtime a bot in another language reports to the
	// OTLP receiver; null when none does.
	BotRuntime      *BotRuntime     `json:"bot_runtime"`
	Delivery        *DeliveryStats  `json:"delivery,omitempty"`
	Unavailable     []string        `json:"unavailable"` // sources whose success gauge is 0
	IntervalSeconds *float64        `json:"interval_seconds"`
	Components      map[string]bool `json:"-"`

	// runtimeOfBot is true when the watched process is the agent's own (a
	// Go bot with the agent inside): the Go runtime figures are then the
	// bot's too.
	runtimeOfBot bool
}

// firstReport reports whether d has no previous collection to measure
// rates and percentages against.
func (d *SystemData) firstReport() bool { return d.IntervalSeconds == nil }

// SystemMetrics groups the host's metrics.
type SystemMetrics struct {
	CPU     CPUMetrics     `json:"cpu"`
	Memory  MemoryMetrics  `json:"memory"`
	Disk    DiskMetrics    `json:"disk"`
	Network NetworkMetrics `json:"network"`
}

// CPUMetrics are the host's CPU figures. The percentages are over the
// interval since this report's previous collection: null in the first
// report after start (the counters hold averages since boot), and a core's
// is null when it has no earlier reading (brought online meanwhile).
type CPUMetrics struct {
	Percent        *float64            `json:"percent"`
	PerCorePercent []*float64          `json:"per_core_percent"`
	CoresLogical   *int                `json:"cores_logical"`
	CoresPhysical  *int                `json:"cores_physical"`
	FrequencyMHz   *float64            `json:"frequency_mhz"`
	LoadAverage    map[string]*float64 `json:"load_average"`
}

// MemoryMetrics are the host's memory figures in bytes. Used is total −
// available, the memory that cannot be handed to new work without
// swapping, and Percent is Used / Total; Free, Cached (page cache and
// SReclaimable, as psutil counts it) and Buffers are /proc/meminfo's.
type MemoryMetrics struct {
	Total     *uint64    `json:"total"`
	Available *uint64    `json:"available"`
	Used      *uint64    `json:"used"`
	Free      *uint64    `json:"free"`
	Cached    *uint64    `json:"cached"`
	Buffers   *uint64    `json:"buffers"`
	Percent   *float64   `json:"percent"`
	Swap      SwapMetric `json:"swap"`
}

// SwapMetric is swap usage in bytes; Percent is 0 without swap.
type SwapMetric struct {
	Total   *uint64  `json:"total"`
	Used    *uint64  `json:"used"`
	Free    *uint64  `json:"free"`
	Percent *float64 `json:"percent"`
}

// DiskMetrics are filesystem usage and block I/O.
type DiskMetrics struct {
	Partitions []Partition `json:"partitions"`
	IO         DiskIO      `json:"io"`
}

// Partition is one mounted filesystem.
type Partition struct {
	Mountpoint string   `json:"mountpoint"`
	Device     string   `json:"device"`
	FSType     string   `json:"fstype"`
	Total      uint64   `json:"total"`
	Used       *uint64  `json:"used"`
	Free       *uint64  `json:"free"`
	Percent    *float64 `json:"percent"`
}

// DiskIO is block I/O over all devices: cumulative counters and rates
// (null in the first report).
type DiskIO struct {
	ReadBytes        *uint64  `json:"read_bytes"`
	WriteBytes       *uint64  `json:"write_bytes"`
	ReadCount        *uint64  `json:"read_count"`
	WriteCount       *uint64  `json:"write_count"`
	ReadBytesPerSec  *float64 `json:"read_bytes_per_sec"`
	WriteBytesPerSec *float64 `json:"write_bytes_per_sec"`
	ReadCountPerSec  *float64 `json:"read_count_per_sec"`
	WriteCountPerSec *float64 `json:"write_count_per_sec"`
}

// NetworkMetrics are totals over every interface but loopback, and rates
// (null in the first report).
type NetworkMetrics struct {
	BytesSent         *uint64  `json:"bytes_sent"`
	BytesRecv         *uint64  `json:"bytes_recv"`
	PacketsSent       *uint64  `json:"packets_sent"`
	PacketsRecv       *uint64  `json:"packets_recv"`
	Errin             *uint64  `json:"errin"`
	Errout            *uint64  `json:"errout"`
	Dropin            *uint64  `json:"dropin"`
	Dropout           *uint64  `json:"dropout"`
	BytesSentPerSec   *float64 `json:"bytes_sent_per_sec"`
	BytesRecvPerSec   *float64 `json:"bytes_recv_per_sec"`
	PacketsSentPerSec *float64 `json:"packets_sent_per_sec"`
	PacketsRecvPerSec *float64 `json:"packets_recv_per_sec"`
}

// DeliveryStats are the Discord delivery's own figures, shown in the system report.
type DeliveryStats struct {
	QueueDepth  int64 `json:"queue_depth"`
	Sent        int64 `json:"sent"`
	Failed      int64 `json:"failed"`
	RateLimited int64 `json:"rate_limited"`
	Retries     int64 `json:"retries"`
	Dropped     int64 `json:"dropped"`
}

// scoped is the kv filter for points of one scope.
// The constant capacity lets the compiler keep the slice on the stack of
// the inlined call (61 allocations of each system report were these).
func scoped(scope string, kv ...string) []string {
	return append(append(make([]string, 0, 6), n.AttrScope, scope), kv...)
}

// rate returns the per-second rate of a cumulative sum (over the points
// whose total sum returns) between prev and cur. There is none without a
// previous snapshot, when either lacks the metric, or across a counter
// reset.
func rate(cur, prev *reportdata.Snapshot, sum func(*reportdata.Snapshot) (float64, bool), dec int) *float64 {
	if prev == nil {
		return nil
	}
	c, okC := sum(cur)
	p, okP := sum(prev)
	secs := cur.Time.Sub(prev.Time).Seconds()
	if !okC || !okP || c < p || secs <= 0 {
		return nil
	}
	return new(format.Round((c-p)/secs, dec))
}

// cpuBusy returns the busy share (0–100) of the given cpu.time points (of
// one or more cores, every mode) between prev and cur; ok is false when
// there is no interval (no earlier points, no time elapsed, a counter
// reset). Since-boot totals are never a percentage of now.
func cpuBusy(cur, prev []reportdata.Point) (pct float64, ok bool) {
	sum := func(pts []reportdata.Point) (busy, total float64) {
		for _, p := range pts {
			total += p.Value
			if m := p.Attrs[n.AttrCPUMode]; m != "idle" && m != "iowait" {
				busy += p.Value
			}
		}
		return busy, total
	}
	if len(cur) == 0 || len(prev) == 0 {
		return 0, false
	}
	cb, ct := sum(cur)
	pb, pt := sum(prev)
	if ct-pt <= 0 || cb < pb || cb-pb > ct-pt {
		return 0, false
	}
	return clampPct(100 * (cb - pb) / (ct - pt)), true
}

func clampPct(v float64) float64 {
	if math.IsNaN(v) || v < 0 {
		return 0
	}
	if v > 100 {
		return 100
	}
	return v
}

// BuildSystemData extracts the detailed system data from cur, with prev
// (this reader's previous snapshot, nil for the first report) for rates
// and percentages over the interval.
func BuildSystemData(cur, prev *reportdata.Snapshot) SystemData {
	var d SystemData
	if prev != nil {
		d.IntervalSeconds = new(format.Round(cur.Time.Sub(prev.Time).Seconds(), 3))
	}
	d.SystemMetrics.CPU = buildCPU(cur, prev)
	d.SystemMetrics.Memory = buildMemory(cur)
	d.SystemMetrics.Disk = buildDisk(cur, prev)
	d.SystemMetrics.Network = buildNetwork(cur, prev)
	d.BotProcessMetrics = buildProcess(cur, prev)
	d.BotMetrics = buildBot(cur)
	d.RuntimeMetrics = buildRuntime(cur)
	d.BotRuntime = buildBotRuntime(cur)
	d.runtimeOfBot = runtimeOfBot(cur, d.BotProcessMetrics)

	d.Unavailable = []string{}
	for _, p := range cur.Points(n.CollectorSuccess) {
		if p.Value == 0 {
			d.Unavailable = append(d.Unavailable, p.Attrs[n.AttrCollector])
		}
	}
	sort.Strings(d.Unavailable)
	return d
}

func host(kv ...string) []string { return scoped(n.ScopeHost, kv...) }

// buildCPU reads the CPU from nexusmon's per-core cpu.time.
func buildCPU(cur, prev *reportdata.Snapshot) CPUMetrics {
	var c CPUMetrics
	byCore := func(s *reportdata.Snapshot) map[string][]reportdata.Point {
		m := map[string][]reportdata.Point{}
		if s == nil {
			return m
		}
		for _, p := range s.Points(n.SystemCPUTime, host()...) {
			m[p.Attrs[n.AttrCPULogical]] = append(m[p.Attrs[n.AttrCPULogical]], p)
		}
		return m
	}
	cores, prevCores := byCore(cur), byCore(prev)
	ids := make([]string, 0, len(cores))
	for id := range cores {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { a, _ := strconv.Atoi(ids[i]); b, _ := strconv.Atoi(ids[j]); return a < b })
	if len(ids) > 0 && prev != nil {
		var allCur, allPrev []reportdata.Point
		same := len(prevCores) == len(cores)
		c.PerCorePercent = make([]*float64, 0, len(ids))
		for _, id := range ids {
			pct, ok := cpuBusy(cores[id], prevCores[id])
			c.PerCorePercent = append(c.PerCorePercent, format.RoundOpt(format.Opt(pct, ok), 1))
			same = same && len(prevCores[id]) > 0
			allCur, allPrev = append(allCur, cores[id]...), append(allPrev, prevCores[id]...)
		}
		if same { // the total over the same cores only
			c.Percent = format.RoundOpt(format.Opt(cpuBusy(allCur, allPrev)), 1)
		}
	}
	c.CoresLogical = format.IntOpt(cur.Value(n.SystemCPULogicalCount, host()...))
	c.CoresPhysical = format.IntOpt(cur.Value(n.SystemCPUPhysicalCount, host()...))
	if pts := cur.Points(n.SystemCPUFrequency, host()...); len(pts) > 0 {
		var sum float64
		for _, p := range pts {
			sum += p.Value
		}
		c.FrequencyMHz = new(format.Round(sum/float64(len(pts))/1e6, 0))
	}
	c.LoadAverage = map[string]*float64{
		"1m":  format.RoundOpt(format.Opt(cur.Value(n.SystemLoad1m, host()...)), 2),
		"5m":  format.RoundOpt(format.Opt(cur.Value(n.SystemLoad5m, host()...)), 2),
		"15m": format.RoundOpt(format.Opt(cur.Value(n.SystemLoad15m, host()...)), 2),
	}
	return c
}

// buildMemory reads the host's memory and swap.
func buildMemory(cur *reportdata.Snapshot) MemoryMetrics {
	var m MemoryMetrics
	total, okT := cur.Value(n.SystemMemoryLimit, host()...)
	avail, okA := cur.Value(n.SystemMemoryAvailable, host()...)
	state := func(st string) *uint64 {
		return format.U64Opt(cur.Value(n.SystemMemoryUsage, host(n.AttrMemoryState, st)...))
	}
	m.Total, m.Available = format.U64Opt(total, okT), format.U64Opt(avail, okA)
	m.Free, m.Cached, m.Buffers = state("free"), state("cached"), state("buffers")
	if okT && okA {
		used := math.Max(total-avail, 0)
		m.Used = new(format.U64(used))
		if total > 0 {
			m.Percent = new(format.Round(100*used/total, 1))
		}
	}
	su, okU := cur.Value(n.SystemPagingUsage, host(n.AttrPagingState, "used")...)
	sf, okF := cur.Value(n.SystemPagingUsage, host(n.AttrPagingState, "free")...)
	if okU && okF {
		m.Swap = SwapMetric{Total: new(format.U64(su + sf)), Used: new(format.U64(su)), Free: new(format.U64(sf)), Percent: new(0.0)}
		if su+sf > 0 {
			m.Swap.Percent = new(format.Round(100*su/(su+sf), 1))
		}
	}
	return m
}

// buildDisk reads the filesystems and the block I/O.
func buildDisk(cur, prev *reportdata.Snapshot) DiskMetrics {
	d := DiskMetrics{Partitions: []Partition{}}
	for _, p := range cur.Points(n.SystemFilesystemLimit, host()...) {
		mp, dev := p.Attrs[n.AttrMountpoint], p.Attrs[n.AttrDevice]
		fs := func(st string) (float64, bool) {
			return cur.Value(n.SystemFilesystemUsage, host(n.AttrMountpoint, mp, n.AttrDevice, dev, n.AttrFSState, st)...)
		}
		u, okU := fs("used")
		f, okF := fs("free")
		part := Partition{Mountpoint: mp, Device: dev, FSType: p.Attrs[n.AttrFSType], Total: format.U64(p.Value), Used: format.U64Opt(u, okU), Free: format.U64Opt(f, okF)}
		if okU && okF && u+f > 0 {
			part.Percent = new(format.Round(100*u/(u+f), 1)) // like df: reserved blocks are not available to users
		}
		d.Partitions = append(d.Partitions, part)
	}
	sort.Slice(d.Partitions, func(i, j int) bool { return d.Partitions[i].Mountpoint < d.Partitions[j].Mountpoint })
	dir := func(name, direction string) func(*reportdata.Snapshot) (float64, bool) {
		return func(s *reportdata.Snapshot) (float64, bool) {
			return s.Sum(name, host(n.AttrDiskDirection, direction)...)
		}
	}
	rb, wb := dir(n.SystemDiskIO, "read"), dir(n.SystemDiskIO, "write")
	rc, wc := dir(n.SystemDiskOperations, "read"), dir(n.SystemDiskOperations, "write")
	d.IO = DiskIO{
		ReadBytes: format.U64Opt(rb(cur)), WriteBytes: format.U64Opt(wb(cur)), ReadCount: format.U64Opt(rc(cur)), WriteCount: format.U64Opt(wc(cur)),
		ReadBytesPerSec: rate(cur, prev, rb, 1), WriteBytesPerSec: rate(cur, prev, wb, 1),
		ReadCountPerSec: rate(cur, prev, rc, 2), WriteCountPerSec: rate(cur, prev, wc, 2),
	}
	return d
}

// FullestDisk returns the highest percentage of the filesystems, NaN when
// none is known.
func FullestDisk(parts []Partition) float64 {
	v := math.NaN()
	for _, p := range parts {
		if p.Percent != nil && (math.IsNaN(v) || *p.Percent > v) {
			v = *p.Percent
		}
	}
	return v
}

// buildNetwork reads the network totals over every interface but loopback.
func buildNetwork(cur, prev *reportdata.Snapshot) NetworkMetrics {
	sum := func(name, direction string) func(*reportdata.Snapshot) (float64, bool) {
		return func(s *reportdata.Snapshot) (v float64, ok bool) {
			for _, p := range s.Points(name, host(n.AttrNetDirection, direction)...) {
				if p.Attrs[n.AttrInterface] == "lo" || p.Attrs[n.AttrDevice] == "lo" {
					continue
				}
				v, ok = v+p.Value, true
			}
			return v, ok
		}
	}
	bs, br := sum(n.SystemNetworkIO, "transmit"), sum(n.SystemNetworkIO, "receive")
	ps, pr := sum(n.SystemNetworkPackets, "transmit"), sum(n.SystemNetworkPackets, "receive")
	return NetworkMetrics{
		BytesSent: format.U64Opt(bs(cur)), BytesRecv: format.U64Opt(br(cur)), PacketsSent: format.U64Opt(ps(cur)), PacketsRecv: format.U64Opt(pr(cur)),
		Errout: format.U64Opt(sum(n.SystemNetworkErrors, "transmit")(cur)), Errin: format.U64Opt(sum(n.SystemNetworkErrors, "receive")(cur)),
		Dropout: format.U64Opt(sum(n.SystemNetworkDropped, "transmit")(cur)), Dropin: format.U64Opt(sum(n.SystemNetworkDropped, "receive")(cur)),
		BytesSentPerSec: rate(cur, prev, bs, 1), BytesRecvPerSec: rate(cur, prev, br, 1),
		PacketsSentPerSec: rate(cur, prev, ps, 2), PacketsRecvPerSec: rate(cur, prev, pr, 2),
	}
}
