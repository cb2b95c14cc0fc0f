package discord

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nexusmon/nexusmon/health"
	n "github.com/nexusmon/nexusmon/internal/names"
)

// SystemData is the data of a detailed_system_monitoring report (DESIGN §3).
type SystemData struct {
	SystemMetrics     SystemMetrics   `json:"system_metrics"`
	BotProcessMetrics ProcessMetrics  `json:"bot_process_metrics"`
	BotMetrics        BotMetrics      `json:"bot_metrics"`
	RuntimeMetrics    RuntimeMetrics  `json:"runtime_metrics"`
	Delivery          *DeliveryStats  `json:"delivery,omitempty"`
	Unavailable       []string        `json:"unavailable"` // sources whose success gauge is 0
	IntervalSeconds   float64         `json:"interval_seconds"`
	Components        map[string]bool `json:"-"`
}

// SystemMetrics groups the host's metrics.
type SystemMetrics struct {
	CPU     CPUMetrics     `json:"cpu"`
	Memory  MemoryMetrics  `json:"memory"`
	Disk    DiskMetrics    `json:"disk"`
	Network NetworkMetrics `json:"network"`
}

// CPUMetrics are the host's CPU figures; percentages are over the interval
// since this report's previous export (since boot for the first one).
type CPUMetrics struct {
	Percent        float64            `json:"percent"`
	PerCorePercent []float64          `json:"per_core_percent"`
	CoresLogical   int                `json:"cores_logical"`
	CoresPhysical  int                `json:"cores_physical"`
	FrequencyMHz   float64            `json:"frequency_mhz"`
	LoadAverage    map[string]float64 `json:"load_average"`
}

// MemoryMetrics are the host's memory figures in bytes.
type MemoryMetrics struct {
	Total     uint64     `json:"total"`
	Available uint64     `json:"available"`
	Used      uint64     `json:"used"`
	Free      uint64     `json:"free"`
	Cached    uint64     `json:"cached"`
	Buffers   uint64     `json:"buffers"`
	Percent   float64    `json:"percent"`
	Swap      SwapMetric `json:"swap"`
}

// SwapMetric is swap usage in bytes.
type SwapMetric struct {
	Total   uint64  `json:"total"`
	Used    uint64  `json:"used"`
	Free    uint64  `json:"free"`
	Percent float64 `json:"percent"`
}

// DiskMetrics are filesystem usage and block I/O.
type DiskMetrics struct {
	Partitions []Partition `json:"partitions"`
	IO         DiskIO      `json:"io"`
}

// Partition is one mounted filesystem.
type Partition struct {
	Mountpoint string  `json:"mountpoint"`
	Device     string  `json:"device"`
	FSType     string  `json:"fstype"`
	Total      uint64  `json:"total"`
	Used       uint64  `json:"used"`
	Free       uint64  `json:"free"`
	Percent    float64 `json:"percent"`
}

// DiskIO is block I/O over all devices: cumulative counters and rates.
type DiskIO struct {
	ReadBytes        uint64  `json:"read_bytes"`
	WriteBytes       uint64  `json:"write_bytes"`
	ReadCount        uint64  `json:"read_count"`
	WriteCount       uint64  `json:"write_count"`
	ReadBytesPerSec  float64 `json:"read_bytes_per_sec"`
	WriteBytesPerSec float64 `json:"write_bytes_per_sec"`
	ReadCountPerSec  float64 `json:"read_count_per_sec"`
	WriteCountPerSec float64 `json:"write_count_per_sec"`
}

// NetworkMetrics are totals over every interface but loopback.
type NetworkMetrics struct {
	BytesSent         uint64  `json:"bytes_sent"`
	BytesRecv         uint64  `json:"bytes_recv"`
	PacketsSent       uint64  `json:"packets_sent"`
	PacketsRecv       uint64  `json:"packets_recv"`
	Errin             uint64  `json:"errin"`
	Errout            uint64  `json:"errout"`
	Dropin            uint64  `json:"dropin"`
	Dropout           uint64  `json:"dropout"`
	BytesSentPerSec   float64 `json:"bytes_sent_per_sec"`
	BytesRecvPerSec   float64 `json:"bytes_recv_per_sec"`
	PacketsSentPerSec float64 `json:"packets_sent_per_sec"`
	PacketsRecvPerSec float64 `json:"packets_recv_per_sec"`
}

// ProcessMetrics describe the bot's process.
type ProcessMetrics struct {
	Available     bool          `json:"available"`
	PID           int           `json:"pid"`
	Memory        ProcessMemory `json:"memory"`
	MemoryPercent float64       `json:"memory_percent"`
	CPUPercent    float64       `json:"cpu_percent"`
	Threads       int           `json:"threads"`
	OpenFDs       int           `json:"open_fds"`
	Connections   int           `json:"connections"`
	CreateTime    *time.Time    `json:"create_time"`
	Status        string        `json:"status"`
}

// ProcessMemory is the process's memory in bytes.
type ProcessMemory struct {
	RSS    uint64 `json:"rss"`
	VMS    uint64 `json:"vms"`
	Shared uint64 `json:"shared"`
	Data   uint64 `json:"data"`
}

// BotMetrics describe the bot's Discord session. Without a session
// Connected is false and every other field is null.
type BotMetrics struct {
	Connected     bool     `json:"connected"`
	Guilds        *int64   `json:"guilds"`
	Users         *int64   `json:"users"`
	Channels      *int64   `json:"channels"`
	LatencyMS     *float64 `json:"latency_ms"`
	UptimeSeconds *float64 `json:"uptime_seconds"`
	Modules       *int64   `json:"modules"`
	Commands      *int64   `json:"commands"`
	Reconnects    *int64   `json:"reconnects"`
	Resumes       *int64   `json:"resumes"`
	RateLimitHits *int64   `json:"rate_limit_hits"`
}

// RuntimeMetrics describe the agent's Go runtime.
type RuntimeMetrics struct {
	GoVersion  string    `json:"go_version"`
	Goroutines int64     `json:"goroutines"`
	GC         GCMetrics `json:"gc"`
	Heap       HeapStats `json:"heap"`
}

// GCMetrics are garbage-collector totals.
type GCMetrics struct {
	Cycles       uint64  `json:"cycles"`
	PauseTotalMS float64 `json:"pause_total_ms"`
	LastPauseMS  float64 `json:"last_pause_ms"`
}

// HeapStats are heap figures in bytes and objects.
type HeapStats struct {
	Alloc   uint64 `json:"alloc"`
	Objects uint64 `json:"objects"`
	Sys     uint64 `json:"sys"`
	NextGC  uint64 `json:"next_gc"`
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
func scoped(scope string, kv ...string) []string { return append([]string{n.AttrScope, scope}, kv...) }

// rateOf returns the per-second rate of a cumulative sum between prev and
// cur. Without a previous snapshot of this reader, or across a counter reset,
// there is no interval yet and the rate is 0 (interval_seconds says so).
func rateOf(cur, prev *Snapshot, name string, kv ...string) float64 {
	if prev == nil {
		return 0
	}
	c, ok := cur.Sum(name, kv...)
	if !ok {
		return 0
	}
	p, ok := prev.Sum(name, kv...)
	secs := cur.Time.Sub(prev.Time).Seconds()
	if !ok || c < p || secs <= 0 {
		return 0
	}
	return (c - p) / secs
}

// cpuBusy returns the busy share (0–100) of the given cpu.time points between
// prev and cur; points are grouped by mode. Without prev, it uses the
// cumulative (since boot) times.
func cpuBusy(cur, prev []Point) float64 {
	sum := func(pts []Point) (busy, total float64) {
		for _, p := range pts {
			total += p.Value
			if m := p.Attrs[n.AttrCPUMode]; m != "idle" && m != "iowait" {
				busy += p.Value
			}
		}
		return busy, total
	}
	cb, ct := sum(cur)
	if len(prev) > 0 {
		pb, pt := sum(prev)
		if ct-pt > 0 && cb >= pb {
			return clampPct(100 * (cb - pb) / (ct - pt))
		}
	}
	if ct > 0 {
		return clampPct(100 * cb / ct)
	}
	return 0
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

func u64(v float64) uint64 {
	if v <= 0 || math.IsNaN(v) {
		return 0
	}
	return uint64(v + 0.5)
}

// buildSystemData extracts the detailed system data from cur (with prev for rates).
func buildSystemData(cur, prev *Snapshot) SystemData {
	var d SystemData
	if prev != nil {
		d.IntervalSeconds = round(cur.Time.Sub(prev.Time).Seconds(), 3)
	}
	host := func(kv ...string) []string { return scoped(n.ScopeHost, kv...) }

	// CPU: per core from nexusmon's per-core cpu.time.
	cores := map[string][]Point{}
	for _, p := range cur.Points(n.SystemCPUTime, host()...) {
		cores[p.Attrs[n.AttrCPULogical]] = append(cores[p.Attrs[n.AttrCPULogical]], p)
	}
	prevCores := map[string][]Point{}
	if prev != nil {
		for _, p := range prev.Points(n.SystemCPUTime, host()...) {
			prevCores[p.Attrs[n.AttrCPULogical]] = append(prevCores[p.Attrs[n.AttrCPULogical]], p)
		}
	}
	ids := make([]string, 0, len(cores))
	for id := range cores {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { a, _ := strconv.Atoi(ids[i]); b, _ := strconv.Atoi(ids[j]); return a < b })
	var allCur, allPrev []Point
	d.SystemMetrics.CPU.PerCorePercent = make([]float64, 0, len(ids))
	for _, id := range ids {
		d.SystemMetrics.CPU.PerCorePercent = append(d.SystemMetrics.CPU.PerCorePercent, round(cpuBusy(cores[id], prevCores[id]), 1))
		allCur = append(allCur, cores[id]...)
		allPrev = append(allPrev, prevCores[id]...)
	}
	if len(prevCores) != len(cores) {
		allPrev = nil
	}
	d.SystemMetrics.CPU.Percent = round(cpuBusy(allCur, allPrev), 1)
	if v, ok := cur.Value(n.SystemCPULogicalCount, host()...); ok {
		d.SystemMetrics.CPU.CoresLogical = int(v)
	}
	if v, ok := cur.Value(n.SystemCPUPhysicalCount, host()...); ok {
		d.SystemMetrics.CPU.CoresPhysical = int(v)
	}
	if pts := cur.Points(n.SystemCPUFrequency, host()...); len(pts) > 0 {
		var sum float64
		for _, p := range pts {
			sum += p.Value
		}
		d.SystemMetrics.CPU.FrequencyMHz = round(sum/float64(len(pts))/1e6, 0)
	}
	l1, _ := cur.Value(n.SystemLoad1m, host()...)
	l5, _ := cur.Value(n.SystemLoad5m, host()...)
	l15, _ := cur.Value(n.SystemLoad15m, host()...)
	d.SystemMetrics.CPU.LoadAverage = map[string]float64{"1m": round(l1, 2), "5m": round(l5, 2), "15m": round(l15, 2)}

	// Memory.
	mem := &d.SystemMetrics.Memory
	total, _ := cur.Value(n.SystemMemoryLimit, host()...)
	avail, _ := cur.Value(n.SystemMemoryAvailable, host()...)
	used, _ := cur.Value(n.SystemMemoryUsage, host(n.AttrMemoryState, "used")...)
	free, _ := cur.Value(n.SystemMemoryUsage, host(n.AttrMemoryState, "free")...)
	cached, _ := cur.Value(n.SystemMemoryUsage, host(n.AttrMemoryState, "cached")...)
	buffers, _ := cur.Value(n.SystemMemoryUsage, host(n.AttrMemoryState, "buffers")...)
	mem.Total, mem.Available, mem.Used, mem.Free, mem.Cached, mem.Buffers = u64(total), u64(avail), u64(used), u64(free), u64(cached), u64(buffers)
	if total > 0 {
		mem.Percent = round(100*(total-avail)/total, 1)
	}
	su, _ := cur.Value(n.SystemPagingUsage, host(n.AttrPagingState, "used")...)
	sf, _ := cur.Value(n.SystemPagingUsage, host(n.AttrPagingState, "free")...)
	mem.Swap = SwapMetric{Total: u64(su + sf), Used: u64(su), Free: u64(sf)}
	if su+sf > 0 {
		mem.Swap.Percent = round(100*su/(su+sf), 1)
	}

	// Disk.
	d.SystemMetrics.Disk.Partitions = []Partition{}
	for _, p := range cur.Points(n.SystemFilesystemLimit, host()...) {
		mp := p.Attrs[n.AttrMountpoint]
		dev := p.Attrs[n.AttrDevice]
		u, _ := cur.Value(n.SystemFilesystemUsage, host(n.AttrMountpoint, mp, n.AttrDevice, dev, n.AttrFSState, "used")...)
		f, _ := cur.Value(n.SystemFilesystemUsage, host(n.AttrMountpoint, mp, n.AttrDevice, dev, n.AttrFSState, "free")...)
		part := Partition{Mountpoint: mp, Device: dev, FSType: p.Attrs[n.AttrFSType], Total: u64(p.Value), Used: u64(u), Free: u64(f)}
		if u+f > 0 {
			part.Percent = round(100*u/(u+f), 1) // like df: reserved blocks are not available to users
		}
		d.SystemMetrics.Disk.Partitions = append(d.SystemMetrics.Disk.Partitions, part)
	}
	sort.Slice(d.SystemMetrics.Disk.Partitions, func(i, j int) bool {
		return d.SystemMetrics.Disk.Partitions[i].Mountpoint < d.SystemMetrics.Disk.Partitions[j].Mountpoint
	})
	io := &d.SystemMetrics.Disk.IO
	rb, _ := cur.Sum(n.SystemDiskIO, host(n.AttrDiskDirection, "read")...)
	wb, _ := cur.Sum(n.SystemDiskIO, host(n.AttrDiskDirection, "write")...)
	rc, _ := cur.Sum(n.SystemDiskOperations, host(n.AttrDiskDirection, "read")...)
	wc, _ := cur.Sum(n.SystemDiskOperations, host(n.AttrDiskDirection, "write")...)
	io.ReadBytes, io.WriteBytes, io.ReadCount, io.WriteCount = u64(rb), u64(wb), u64(rc), u64(wc)
	io.ReadBytesPerSec = round(rateOf(cur, prev, n.SystemDiskIO, host(n.AttrDiskDirection, "read")...), 1)
	io.WriteBytesPerSec = round(rateOf(cur, prev, n.SystemDiskIO, host(n.AttrDiskDirection, "write")...), 1)
	io.ReadCountPerSec = round(rateOf(cur, prev, n.SystemDiskOperations, host(n.AttrDiskDirection, "read")...), 2)
	io.WriteCountPerSec = round(rateOf(cur, prev, n.SystemDiskOperations, host(n.AttrDiskDirection, "write")...), 2)

	// Network: every interface but loopback.
	net := &d.SystemMetrics.Network
	netSum := func(s *Snapshot, name, dir string) float64 {
		if s == nil {
			return 0
		}
		var v float64
		for _, p := range s.Points(name, host(n.AttrNetDirection, dir)...) {
			if p.Attrs[n.AttrInterface] == "lo" || p.Attrs[n.AttrDevice] == "lo" {
				continue
			}
			v += p.Value
		}
		return v
	}
	netRate := func(name, dir string) float64 {
		c := netSum(cur, name, dir)
		if prev == nil {
			return 0
		}
		p := netSum(prev, name, dir)
		secs := cur.Time.Sub(prev.Time).Seconds()
		if secs <= 0 || c < p {
			return 0
		}
		return (c - p) / secs
	}
	net.BytesSent = u64(netSum(cur, n.SystemNetworkIO, "transmit"))
	net.BytesRecv = u64(netSum(cur, n.SystemNetworkIO, "receive"))
	net.PacketsSent = u64(netSum(cur, n.SystemNetworkPackets, "transmit"))
	net.PacketsRecv = u64(netSum(cur, n.SystemNetworkPackets, "receive"))
	net.Errout = u64(netSum(cur, n.SystemNetworkErrors, "transmit"))
	net.Errin = u64(netSum(cur, n.SystemNetworkErrors, "receive"))
	net.Dropout = u64(netSum(cur, n.SystemNetworkDropped, "transmit"))
	net.Dropin = u64(netSum(cur, n.SystemNetworkDropped, "receive"))
	net.BytesSentPerSec = round(netRate(n.SystemNetworkIO, "transmit"), 1)
	net.BytesRecvPerSec = round(netRate(n.SystemNetworkIO, "receive"), 1)
	net.PacketsSentPerSec = round(netRate(n.SystemNetworkPackets, "transmit"), 2)
	net.PacketsRecvPerSec = round(netRate(n.SystemNetworkPackets, "receive"), 2)

	d.BotProcessMetrics = buildProcess(cur, prev)
	d.BotMetrics = buildBot(cur)
	d.RuntimeMetrics = buildRuntime(cur)

	d.Unavailable = []string{}
	for _, p := range cur.Points(n.CollectorSuccess) {
		if p.Value == 0 {
			d.Unavailable = append(d.Unavailable, p.Attrs[n.AttrCollector])
		}
	}
	sort.Strings(d.Unavailable)
	return d
}

func buildProcess(cur, prev *Snapshot) ProcessMetrics {
	proc := func(kv ...string) []string { return scoped(n.ScopeProcess, kv...) }
	var pm ProcessMetrics
	rss, ok := cur.Value(n.ProcessMemoryUsage, proc()...)
	if !ok {
		return pm
	}
	pm.Available = true
	if pts := cur.Points(n.ProcessMemoryUsage, proc()...); len(pts) > 0 {
		pm.PID, _ = strconv.Atoi(pts[0].Attrs[n.AttrProcessPID])
	}
	pid := strconv.Itoa(pm.PID)
	pp := func(kv ...string) []string { return proc(append([]string{n.AttrProcessPID, pid}, kv...)...) }
	vms, _ := cur.Value(n.ProcessMemoryVirtual, pp()...)
	shared, _ := cur.Value(n.ProcessMemoryShared, pp()...)
	data, _ := cur.Value(n.ProcessMemoryData, pp()...)
	pm.Memory = ProcessMemory{RSS: u64(rss), VMS: u64(vms), Shared: u64(shared), Data: u64(data)}
	if v, ok := cur.Value(n.ProcessMemoryUtilization, pp()...); ok {
		pm.MemoryPercent = round(100*v, 2)
	}
	if v, ok := cur.Value(n.ProcessThreadCount, pp()...); ok {
		pm.Threads = int(v)
	}
	if v, ok := cur.Value(n.ProcessOpenFDs, pp()...); ok {
		pm.OpenFDs = int(v)
	}
	if v, ok := cur.Value(n.ProcessConnections, pp()...); ok {
		pm.Connections = int(v)
	}
	if v, ok := cur.Value(n.ProcessCreationTime, pp()...); ok && v > 0 {
		t := time.Unix(0, int64(v*1e9)).UTC().Truncate(time.Second)
		pm.CreateTime = &t
	}
	for _, p := range cur.Points(n.ProcessStatus, pp()...) {
		if p.Value > 0 {
			pm.Status = p.Attrs[n.AttrProcessState]
		}
	}
	// CPU %: process CPU seconds per wall second (100 = one full core, like psutil).
	cpu, _ := cur.Sum(n.ProcessCPUTime, pp()...)
	if prev != nil {
		if pc, ok := prev.Sum(n.ProcessCPUTime, pp()...); ok && cpu >= pc {
			if secs := cur.Time.Sub(prev.Time).Seconds(); secs > 0 {
				pm.CPUPercent = round(100*(cpu-pc)/secs, 2)
				return pm
			}
		}
	}
	if pm.CreateTime != nil {
		if secs := cur.Time.Sub(*pm.CreateTime).Seconds(); secs > 0 {
			pm.CPUPercent = round(100*cpu/secs, 2)
		}
	}
	return pm
}

func buildBot(cur *Snapshot) BotMetrics {
	bot := func(kv ...string) []string { return scoped(n.ScopeBot, kv...) }
	var b BotMetrics
	if !cur.Has(n.DiscordConnected) {
		return b
	}
	c, _ := cur.Value(n.DiscordConnected, bot()...)
	b.Connected = c > 0
	i := func(name string) *int64 {
		v, ok := cur.Sum(name, bot()...)
		if !ok {
			z := int64(0)
			return &z
		}
		x := int64(v)
		return &x
	}
	b.Guilds, b.Users, b.Channels = i(n.DiscordGuilds), i(n.DiscordUsers), i(n.DiscordChannels)
	b.Modules, b.Commands = i(n.DiscordModules), i(n.DiscordCommands)
	b.Reconnects, b.Resumes, b.RateLimitHits = i(n.DiscordReconnects), i(n.DiscordResumes), i(n.DiscordRateLimits)
	if v, ok := cur.Value(n.DiscordLatency, bot()...); ok && v >= 0 {
		ms := round(v*1000, 1)
		b.LatencyMS = &ms
	}
	if v, ok := cur.Value(n.DiscordUptime, bot()...); ok {
		s := round(v, 0)
		b.UptimeSeconds = &s
	}
	return b
}

func buildRuntime(cur *Snapshot) RuntimeMetrics {
	rt := func(kv ...string) []string { return scoped(n.ScopeRuntime, kv...) }
	var r RuntimeMetrics
	r.GoVersion = cur.Resource["process.runtime.version"]
	if v, ok := cur.Value(n.GoGoroutineCount); ok {
		r.Goroutines = int64(v)
	}
	cyc, _ := cur.Value(n.GoGCCycles, rt()...)
	pt, _ := cur.Value(n.GoGCPauseTotal, rt()...)
	pl, _ := cur.Value(n.GoGCPauseLast, rt()...)
	r.GC = GCMetrics{Cycles: u64(cyc), PauseTotalMS: round(pt*1000, 3), LastPauseMS: round(pl*1000, 3)}
	ha, _ := cur.Value(n.GoHeapAlloc, rt()...)
	ho, _ := cur.Value(n.GoHeapObjects, rt()...)
	sys, _ := cur.Value(n.GoMemorySys, rt()...)
	goal, _ := cur.Value(n.GoMemoryGCGoal)
	r.Heap = HeapStats{Alloc: u64(ha), Objects: u64(ho), Sys: u64(sys), NextGC: u64(goal)}
	return r
}

// systemReport builds the detailed system monitor report.
func systemReport(d SystemData, at time.Time, host string, th Thresholds) *Report {
	sm := d.SystemMetrics
	scores := []float64{health.Score(sm.CPU.Percent, th.CPU), health.Score(sm.Memory.Percent, th.Memory)}
	for _, p := range sm.Disk.Partitions {
		scores = append(scores, health.Score(p.Percent, th.Disk))
	}
	worst := worstScore(scores...)
	r := &Report{
		Event: EventSystem, Time: at, Host: host,
		Title: "Detailed System Monitor", Emoji: "🖥️",
		Level: health.LevelOf(worst),
		Data:  d,
	}
	r.Summary = fmt.Sprintf("CPU %s · Memory %s · Load %s", fmtPct(sm.CPU.Percent), fmtPct(sm.Memory.Percent), fmtFloat(sm.CPU.LoadAverage["1m"], 2))
	if len(d.Unavailable) > 0 {
		r.Summary += "\nUnavailable sources: " + strings.Join(d.Unavailable, ", ")
	}

	cores := make([]string, len(sm.CPU.PerCorePercent))
	for i, v := range sm.CPU.PerCorePercent {
		cores[i] = fmt.Sprintf("#%d %s", i, fmtPct(v))
	}
	r.Sections = append(r.Sections, Section{Name: "🧮 CPU", Fields: []Field{
		{Name: "Usage", Value: fmtPct(sm.CPU.Percent), Inline: true},
		{Name: "Load 1/5/15m", Value: fmt.Sprintf("%s / %s / %s", fmtFloat(sm.CPU.LoadAverage["1m"], 2), fmtFloat(sm.CPU.LoadAverage["5m"], 2), fmtFloat(sm.CPU.LoadAverage["15m"], 2)), Inline: true},
		{Name: "Cores", Value: fmt.Sprintf("%d logical / %d physical · %s MHz", sm.CPU.CoresLogical, sm.CPU.CoresPhysical, fmtFloat(sm.CPU.FrequencyMHz, 0)), Inline: true},
		{Name: "Per core", Value: strings.Join(cores, " · ")},
	}})
	m := sm.Memory
	r.Sections = append(r.Sections, Section{Name: "🧠 Memory", Fields: []Field{
		{Name: "Used", Value: fmt.Sprintf("%s of %s (%s)", fmtBytes(float64(m.Total-min(m.Available, m.Total))), fmtBytes(float64(m.Total)), fmtPct(m.Percent)), Inline: true},
		{Name: "Available", Value: fmtBytes(float64(m.Available)), Inline: true},
		{Name: "Cached / buffers", Value: fmtBytes(float64(m.Cached)) + " / " + fmtBytes(float64(m.Buffers)), Inline: true},
		{Name: "Swap", Value: fmt.Sprintf("%s of %s (%s)", fmtBytes(float64(m.Swap.Used)), fmtBytes(float64(m.Swap.Total)), fmtPct(m.Swap.Percent)), Inline: true},
	}})
	var disks []string
	for _, p := range sm.Disk.Partitions {
		disks = append(disks, fmt.Sprintf("%s %s (%s free)", p.Mountpoint, fmtPct(p.Percent), fmtBytes(float64(p.Free))))
	}
	if len(disks) == 0 {
		disks = []string{"no filesystems reported"}
	}
	io := sm.Disk.IO
	r.Sections = append(r.Sections, Section{Name: "💾 Disk", Fields: []Field{
		{Name: "Filesystems", Value: strings.Join(disks, "\n")},
		{Name: "I/O", Value: fmt.Sprintf("read %s (%s ops/s) · write %s (%s ops/s)", fmtRate(io.ReadBytesPerSec), fmtFloat(io.ReadCountPerSec, 1), fmtRate(io.WriteBytesPerSec), fmtFloat(io.WriteCountPerSec, 1))},
	}})
	nw := sm.Network
	r.Sections = append(r.Sections, Section{Name: "🌐 Network", Fields: []Field{
		{Name: "Throughput", Value: fmt.Sprintf("↑ %s · ↓ %s", fmtRate(nw.BytesSentPerSec), fmtRate(nw.BytesRecvPerSec)), Inline: true},
		{Name: "Packets/s", Value: fmt.Sprintf("↑ %s · ↓ %s", fmtFloat(nw.PacketsSentPerSec, 1), fmtFloat(nw.PacketsRecvPerSec, 1)), Inline: true},
		{Name: "Errors / drops", Value: fmt.Sprintf("in %d/%d · out %d/%d", nw.Errin, nw.Dropin, nw.Errout, nw.Dropout), Inline: true},
	}})
	p := d.BotProcessMetrics
	if p.Available {
		up := ""
		if p.CreateTime != nil {
			up = " · up " + fmtDuration(at.Sub(*p.CreateTime))
		}
		r.Sections = append(r.Sections, Section{Name: "🤖 Bot process", Fields: []Field{
			{Name: "PID", Value: fmt.Sprintf("%d (%s)%s", p.PID, p.Status, up), Inline: true},
			{Name: "CPU", Value: fmtPct(p.CPUPercent), Inline: true},
			{Name: "Memory", Value: fmt.Sprintf("RSS %s (%s) · VMS %s", fmtBytes(float64(p.Memory.RSS)), fmtPct(p.MemoryPercent), fmtBytes(float64(p.Memory.VMS))), Inline: true},
			{Name: "Threads / FDs / conns", Value: fmt.Sprintf("%d / %d / %d", p.Threads, p.OpenFDs, p.Connections), Inline: true},
		}})
	} else {
		r.Sections = append(r.Sections, Section{Name: "🤖 Bot process", Fields: []Field{{Name: "Status", Value: "unavailable (process not found)"}}})
	}
	b := d.BotMetrics
	if b.Guilds == nil {
		r.Sections = append(r.Sections, Section{Name: "🛰️ Discord", Fields: []Field{{Name: "Session", Value: "no bot session attached"}}})
	} else {
		state := "🔴 disconnected"
		if b.Connected {
			state = "🟢 connected"
		}
		lat := "n/a"
		if b.LatencyMS != nil {
			lat = fmtMS(*b.LatencyMS)
		}
		r.Sections = append(r.Sections, Section{Name: "🛰️ Discord", Fields: []Field{
			{Name: "Gateway", Value: state + " · latency " + lat, Inline: true},
			{Name: "Reach", Value: fmt.Sprintf("%d guilds · %d users · %d channels", *b.Guilds, *b.Users, *b.Channels), Inline: true},
			{Name: "Session", Value: fmt.Sprintf("%d reconnects · %d resumes · %d rate limits", *b.Reconnects, *b.Resumes, *b.RateLimitHits), Inline: true},
		}})
	}
	rt := d.RuntimeMetrics
	r.Sections = append(r.Sections, Section{Name: "⚙️ Go runtime", Fields: []Field{
		{Name: "Goroutines", Value: strconv.FormatInt(rt.Goroutines, 10), Inline: true},
		{Name: "Heap", Value: fmt.Sprintf("%s live · %d objects · next GC %s", fmtBytes(float64(rt.Heap.Alloc)), rt.Heap.Objects, fmtBytes(float64(rt.Heap.NextGC))), Inline: true},
		{Name: "GC", Value: fmt.Sprintf("%d cycles · %s total pause · last %s", rt.GC.Cycles, fmtMS(rt.GC.PauseTotalMS), fmtMS(rt.GC.LastPauseMS)), Inline: true},
	}})
	if dl := d.Delivery; dl != nil {
		r.Sections = append(r.Sections, Section{Name: "📬 Delivery", Fields: []Field{
			{Name: "Queue", Value: fmt.Sprintf("%d pending", dl.QueueDepth), Inline: true},
			{Name: "Sent / failed", Value: fmt.Sprintf("%d / %d", dl.Sent, dl.Failed), Inline: true},
			{Name: "Rate limited / retries", Value: fmt.Sprintf("%d / %d", dl.RateLimited, dl.Retries), Inline: true},
		}})
	}
	return r
}

// worstScore returns the lowest score, ignoring NaN (unavailable); 100 when
// none is available.
func worstScore(scores ...float64) float64 {
	w := 100.0
	for _, s := range scores {
		if !math.IsNaN(s) && s < w {
			w = s
		}
	}
	return w
}
