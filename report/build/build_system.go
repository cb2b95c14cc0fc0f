package build

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"

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
// the inlined call (61 allocations of each system report were these); it
// holds the scope and three more pairs (a filesystem's usage filter).
func scoped(scope string, kv ...string) []string {
	return append(append(make([]string, 0, 8), n.AttrScope, scope), kv...)
}

// vals holds the optional values of one report's data (format.Slab): a
// system report has about seventy, an allocation each before.
type vals struct {
	f   format.Slab[float64]
	u   format.Slab[uint64]
	i   format.Slab[int]
	i64 format.Slab[int64]
}

// round is format.RoundOpt(format.Opt(x, ok), dec).
func (v *vals) round(x float64, ok bool, dec int) *float64 { return v.f.Opt(format.Round(x, dec), ok) }

// u64 is format.U64Opt(x, ok).
func (v *vals) u64(x float64, ok bool) *uint64 { return v.u.Opt(format.U64(x), ok) }

// int is format.IntOpt(x, ok).
func (v *vals) int(x float64, ok bool) *int { return v.i.Opt(int(x), ok) }

// counter returns a cumulative sum in cur (the total of the points sum
// adds up) and its per-second rate since prev. There is no rate without a
// previous snapshot, when either lacks the metric, or across a counter
// reset.
func (v *vals) counter(cur, prev *reportdata.Snapshot, sum func(*reportdata.Snapshot) (float64, bool), dec int) (*uint64, *float64) {
	c, okC := sum(cur)
	total := v.u64(c, okC)
	if prev == nil {
		return total, nil
	}
	p, okP := sum(prev)
	secs := cur.Time.Sub(prev.Time).Seconds()
	if !okC || !okP || c < p || secs <= 0 {
		return total, nil
	}
	return total, v.f.New(format.Round((c-p)/secs, dec))
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
	var v vals
	if prev != nil {
		d.IntervalSeconds = v.f.New(format.Round(cur.Time.Sub(prev.Time).Seconds(), 3))
	}
	d.SystemMetrics.CPU = buildCPU(cur, prev, &v)
	d.SystemMetrics.Memory = buildMemory(cur, &v)
	d.SystemMetrics.Disk = buildDisk(cur, prev, &v)
	d.SystemMetrics.Network = buildNetwork(cur, prev, &v)
	d.BotProcessMetrics = buildProcess(cur, prev, &v)
	d.BotMetrics = buildBot(cur, &v)
	d.RuntimeMetrics = buildRuntime(cur, &v)
	d.BotRuntime = buildBotRuntime(cur)
	d.runtimeOfBot = runtimeOfBot(cur, d.BotProcessMetrics)

	d.Unavailable = []string{}
	for _, p := range cur.Points(n.CollectorSuccess) {
		if p.Value == 0 {
			d.Unavailable = append(d.Unavailable, p.Attrs[n.AttrCollector])
		}
	}
	slices.Sort(d.Unavailable)
	return d
}

func host(kv ...string) []string { return scoped(n.ScopeHost, kv...) }

// buildCPU reads the CPU from nexusmon's per-core cpu.time.
func buildCPU(cur, prev *reportdata.Snapshot, v *vals) CPUMetrics {
	var c CPUMetrics
	pts := byCore(cur)
	if len(pts) > 0 && prev != nil {
		prevPts := byCore(prev)
		cores := coreCount(pts)
		same := coreCount(prevPts) == cores
		c.PerCorePercent = make([]*float64, 0, cores)
		// Both in core order: each core's points are a run, and the
		// previous snapshot's run of a core is found walking forward.
		pi := 0
		for i := 0; i < len(pts); {
			id := pts[i].Attrs[n.AttrCPULogical]
			j := runEnd(pts, i)
			for pi < len(prevPts) && cmpCore(prevPts[pi].Attrs[n.AttrCPULogical], id) < 0 {
				pi++
			}
			pj := pi
			if pi < len(prevPts) && prevPts[pi].Attrs[n.AttrCPULogical] == id {
				pj = runEnd(prevPts, pi)
			}
			pct, ok := cpuBusy(pts[i:j], prevPts[pi:pj])
			c.PerCorePercent = append(c.PerCorePercent, v.round(pct, ok, 1))
			same = same && pj > pi
			i, pi = j, pj
		}
		if same { // the total over the same cores only
			pct, ok := cpuBusy(pts, prevPts)
			c.Percent = v.round(pct, ok, 1)
		}
	}
	c.CoresLogical = v.int(cur.Value(n.SystemCPULogicalCount, host()...))
	c.CoresPhysical = v.int(cur.Value(n.SystemCPUPhysicalCount, host()...))
	if pts := cur.Points(n.SystemCPUFrequency, host()...); len(pts) > 0 {
		var sum float64
		for _, p := range pts {
			sum += p.Value
		}
		c.FrequencyMHz = v.f.New(format.Round(sum/float64(len(pts))/1e6, 0))
	}
	load := func(name string) *float64 {
		x, ok := cur.Value(name, host()...)
		return v.round(x, ok, 2)
	}
	c.LoadAverage = map[string]*float64{"1m": load(n.SystemLoad1m), "5m": load(n.SystemLoad5m), "15m": load(n.SystemLoad15m)}
	return c
}

// byCore returns the cpu.time points of s in core order (by number), each
// core's in the order s has them.
func byCore(s *reportdata.Snapshot) []reportdata.Point {
	pts := s.Points(n.SystemCPUTime, host()...)
	slices.SortStableFunc(pts, func(a, b reportdata.Point) int {
		return cmpCore(a.Attrs[n.AttrCPULogical], b.Attrs[n.AttrCPULogical])
	})
	return pts
}

// cmpCore orders core ids by number, then (ids that are not numbers, or
// numbers written differently) as strings.
func cmpCore(a, b string) int {
	x, _ := strconv.Atoi(a)
	y, _ := strconv.Atoi(b)
	if c := cmp.Compare(x, y); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// runEnd returns the end of the run of points of pts[i]'s core.
func runEnd(pts []reportdata.Point, i int) int {
	id := pts[i].Attrs[n.AttrCPULogical]
	j := i + 1
	for j < len(pts) && pts[j].Attrs[n.AttrCPULogical] == id {
		j++
	}
	return j
}

// coreCount returns how many cores the points of byCore are of.
func coreCount(pts []reportdata.Point) int {
	k := 0
	for i := 0; i < len(pts); i = runEnd(pts, i) {
		k++
	}
	return k
}

// buildMemory reads the host's memory and swap.
func buildMemory(cur *reportdata.Snapshot, v *vals) MemoryMetrics {
	var m MemoryMetrics
	total, okT := cur.Value(n.SystemMemoryLimit, host()...)
	avail, okA := cur.Value(n.SystemMemoryAvailable, host()...)
	state := func(st string) *uint64 {
		return v.u64(cur.Value(n.SystemMemoryUsage, host(n.AttrMemoryState, st)...))
	}
	m.Total, m.Available = v.u64(total, okT), v.u64(avail, okA)
	m.Free, m.Cached, m.Buffers = state("free"), state("cached"), state("buffers")
	if okT && okA {
		used := math.Max(total-avail, 0)
		m.Used = v.u.New(format.U64(used))
		if total > 0 {
			m.Percent = v.f.New(format.Round(100*used/total, 1))
		}
	}
	su, okU := cur.Value(n.SystemPagingUsage, host(n.AttrPagingState, "used")...)
	sf, okF := cur.Value(n.SystemPagingUsage, host(n.AttrPagingState, "free")...)
	if okU && okF {
		m.Swap = SwapMetric{Total: v.u.New(format.U64(su + sf)), Used: v.u.New(format.U64(su)), Free: v.u.New(format.U64(sf)), Percent: v.f.New(0)}
		if su+sf > 0 {
			*m.Swap.Percent = format.Round(100*su/(su+sf), 1)
		}
	}
	return m
}

// buildDisk reads the filesystems and the block I/O.
func buildDisk(cur, prev *reportdata.Snapshot, v *vals) DiskMetrics {
	d := DiskMetrics{Partitions: []Partition{}}
	for _, p := range cur.Points(n.SystemFilesystemLimit, host()...) {
		mp, dev := p.Attrs[n.AttrMountpoint], p.Attrs[n.AttrDevice]
		fs := func(st string) (float64, bool) {
			return cur.Value(n.SystemFilesystemUsage, host(n.AttrMountpoint, mp, n.AttrDevice, dev, n.AttrFSState, st)...)
		}
		u, okU := fs("used")
		f, okF := fs("free")
		part := Partition{Mountpoint: mp, Device: dev, FSType: p.Attrs[n.AttrFSType], Total: format.U64(p.Value), Used: v.u64(u, okU), Free: v.u64(f, okF)}
		if okU && okF && u+f > 0 {
			part.Percent = v.f.New(format.Round(100*u/(u+f), 1)) // like df: reserved blocks are not available to users
		}
		d.Partitions = append(d.Partitions, part)
	}
	slices.SortStableFunc(d.Partitions, func(a, b Partition) int { return strings.Compare(a.Mountpoint, b.Mountpoint) })
	io := &d.IO
	// The sums are named functions, not closures made by a function: a
	// closure returned is a heap allocation.
	io.ReadBytes, io.ReadBytesPerSec = v.counter(cur, prev, diskBytesRead, 1)
	io.WriteBytes, io.WriteBytesPerSec = v.counter(cur, prev, diskBytesWritten, 1)
	io.ReadCount, io.ReadCountPerSec = v.counter(cur, prev, diskReads, 2)
	io.WriteCount, io.WriteCountPerSec = v.counter(cur, prev, diskWrites, 2)
	return d
}

func diskSum(s *reportdata.Snapshot, name, direction string) (float64, bool) {
	return s.Sum(name, host(n.AttrDiskDirection, direction)...)
}

func diskBytesRead(s *reportdata.Snapshot) (float64, bool) { return diskSum(s, n.SystemDiskIO, "read") }
func diskBytesWritten(s *reportdata.Snapshot) (float64, bool) {
	return diskSum(s, n.SystemDiskIO, "write")
}
func diskReads(s *reportdata.Snapshot) (float64, bool) {
	return diskSum(s, n.SystemDiskOperations, "read")
}
func diskWrites(s *reportdata.Snapshot) (float64, bool) {
	return diskSum(s, n.SystemDiskOperations, "write")
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
func buildNetwork(cur, prev *reportdata.Snapshot, v *vals) NetworkMetrics {
	var nm NetworkMetrics
	nm.BytesSent, nm.BytesSentPerSec = v.counter(cur, prev, netBytesSent, 1)
	nm.BytesRecv, nm.BytesRecvPerSec = v.counter(cur, prev, netBytesRecv, 1)
	nm.PacketsSent, nm.PacketsSentPerSec = v.counter(cur, prev, netPacketsSent, 2)
	nm.PacketsRecv, nm.PacketsRecvPerSec = v.counter(cur, prev, netPacketsRecv, 2)
	nm.Errout = v.u64(netSum(cur, n.SystemNetworkErrors, "transmit"))
	nm.Errin = v.u64(netSum(cur, n.SystemNetworkErrors, "receive"))
	nm.Dropout = v.u64(netSum(cur, n.SystemNetworkDropped, "transmit"))
	nm.Dropin = v.u64(netSum(cur, n.SystemNetworkDropped, "receive"))
	return nm
}

// netSum returns the total of name in direction over every interface but
// loopback; ok is false when no point counts.
func netSum(s *reportdata.Snapshot, name, direction string) (v float64, ok bool) {
	m := s.Metric(name)
	if m == nil {
		return 0, false
	}
	kv := host(n.AttrNetDirection, direction)
	for i := range m.Points {
		p := &m.Points[i]
		if !p.Match(kv...) || p.Attrs[n.AttrInterface] == "lo" || p.Attrs[n.AttrDevice] == "lo" {
			continue
		}
		v, ok = v+p.Value, true
	}
	return v, ok
}

func netBytesSent(s *reportdata.Snapshot) (float64, bool) {
	return netSum(s, n.SystemNetworkIO, "transmit")
}
func netBytesRecv(s *reportdata.Snapshot) (float64, bool) {
	return netSum(s, n.SystemNetworkIO, "receive")
}
func netPacketsSent(s *reportdata.Snapshot) (float64, bool) {
	return netSum(s, n.SystemNetworkPackets, "transmit")
}
func netPacketsRecv(s *reportdata.Snapshot) (float64, bool) {
	return netSum(s, n.SystemNetworkPackets, "receive")
}
