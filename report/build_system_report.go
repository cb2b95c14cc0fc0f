package report

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/nexusmon/nexusmon/health"
)

// systemReport builds the detailed system monitor report.
func systemReport(d SystemData, at time.Time, host string, th Thresholds) *Report {
	sm := d.SystemMetrics
	scores := []float64{health.Score(num(sm.CPU.Percent), th.CPU), health.Score(num(sm.Memory.Percent), th.Memory)}
	for _, p := range sm.Disk.Partitions {
		scores = append(scores, health.Score(num(p.Percent), th.Disk))
	}
	worst := worstScore(scores...)
	r := &Report{
		Event: EventSystem, Time: at, Host: host,
		Title: "Detailed System Monitor", Emoji: "🖥️",
		Level: health.LevelOf(worst),
		Data:  d,
	}
	cpu := sm.CPU
	load := func(k string) string { return fmtFloat(num(cpu.LoadAverage[k]), 2) }
	r.Summary = fmt.Sprintf("CPU %s · Memory %s · Load %s", fmtPct(num(cpu.Percent)), fmtPct(num(sm.Memory.Percent)), load("1m"))
	if len(d.Unavailable) > 0 {
		r.Summary += "\nUnavailable sources: " + strings.Join(d.Unavailable, ", ")
	}

	// Values over the interval since the previous report: none in the first.
	note := ""
	if d.firstReport() {
		note = noteFirstReport
	}
	perCore := "n/a"
	if cpu.PerCorePercent != nil {
		cores := make([]string, len(cpu.PerCorePercent))
		for i, v := range cpu.PerCorePercent {
			cores[i] = fmt.Sprintf("#%d %s", i, fmtPct(num(v)))
		}
		perCore = strings.Join(cores, " · ")
	}
	r.Sections = append(r.Sections, Section{Name: "🧮 CPU", Fields: []Field{
		{Name: "Usage", Value: noted(fmtPct(num(cpu.Percent)), note), Inline: true},
		{Name: "Load 1/5/15m", Value: fmt.Sprintf("%s / %s / %s", load("1m"), load("5m"), load("15m")), Inline: true},
		{Name: "Cores", Value: fmt.Sprintf("%s logical / %s physical · %s MHz", fmtCount(cpu.CoresLogical), fmtCount(cpu.CoresPhysical), fmtFloat(num(cpu.FrequencyMHz), 0)), Inline: true},
		{Name: "Per core", Value: noted(perCore, note)},
	}})
	m := sm.Memory
	r.Sections = append(r.Sections, Section{Name: "🧠 Memory", Fields: []Field{
		{Name: "Used", Value: fmt.Sprintf("%s of %s (%s)", fmtBytes(num(m.Used)), fmtBytes(num(m.Total)), fmtPct(num(m.Percent))), Inline: true},
		{Name: "Available", Value: fmtBytes(num(m.Available)), Inline: true},
		{Name: "Cached / buffers", Value: fmtBytes(num(m.Cached)) + " / " + fmtBytes(num(m.Buffers)), Inline: true},
		{Name: "Swap", Value: swapText(m.Swap), Inline: true},
	}})
	var disks []string
	for _, p := range sm.Disk.Partitions {
		disks = append(disks, fmt.Sprintf("%s %s (%s free)", p.Mountpoint, fmtPct(num(p.Percent)), fmtBytes(num(p.Free))))
	}
	if len(disks) == 0 {
		disks = []string{"no filesystems reported"}
	}
	io := sm.Disk.IO
	ioText := fmt.Sprintf("read %s (%s ops/s) · write %s (%s ops/s)", fmtRate(num(io.ReadBytesPerSec)), fmtFloat(num(io.ReadCountPerSec), 1),
		fmtRate(num(io.WriteBytesPerSec)), fmtFloat(num(io.WriteCountPerSec), 1))
	r.Sections = append(r.Sections, Section{Name: "💾 Disk", Fields: []Field{
		{Name: "Filesystems", Value: strings.Join(disks, "\n")},
		{Name: "I/O", Value: ratesText(ioText, note)},
	}})
	nw := sm.Network
	r.Sections = append(r.Sections, Section{Name: "🌐 Network", Fields: []Field{
		{Name: "Throughput", Value: ratesText(fmt.Sprintf("↑ %s · ↓ %s", fmtRate(num(nw.BytesSentPerSec)), fmtRate(num(nw.BytesRecvPerSec))), note), Inline: true},
		{Name: "Packets/s", Value: ratesText(fmt.Sprintf("↑ %s · ↓ %s", fmtFloat(num(nw.PacketsSentPerSec), 1), fmtFloat(num(nw.PacketsRecvPerSec), 1)), note), Inline: true},
		{Name: "Errors / drops", Value: fmt.Sprintf("in %s/%s · out %s/%s", fmtCount(nw.Errin), fmtCount(nw.Dropin), fmtCount(nw.Errout), fmtCount(nw.Dropout)), Inline: true},
	}})
	p := d.BotProcessMetrics
	if p.Available {
		up := ""
		if p.CreateTime != nil {
			up = " · up " + fmtDuration(at.Sub(*p.CreateTime))
		}
		status := p.Status
		if status == "" {
			status = "n/a"
		}
		r.Sections = append(r.Sections, Section{Name: "🤖 Bot process", Fields: []Field{
			{Name: "PID", Value: fmt.Sprintf("%s (%s)%s", fmtCount(p.PID), status, up), Inline: true},
			{Name: "CPU", Value: noted(fmtPct(num(p.CPUPercent)), p.cpuNote), Inline: true},
			{Name: "Memory", Value: fmt.Sprintf("RSS %s (%s) · VMS %s", fmtBytes(num(p.Memory.RSS)), fmtPct(num(p.MemoryPercent)), fmtBytes(num(p.Memory.VMS))), Inline: true},
			{Name: "Threads / FDs / conns", Value: fmt.Sprintf("%s / %s / %s", fmtCount(p.Threads), fmtCount(p.OpenFDs), fmtCount(p.Connections)), Inline: true},
		}})
	} else {
		r.Sections = append(r.Sections, Section{Name: "🤖 Bot process", Fields: []Field{{Name: "Status", Value: processStatusText(p)}}})
	}
	b := d.BotMetrics
	if b.Guilds == nil {
		r.Sections = append(r.Sections, Section{Name: "🛰️ Discord", Fields: []Field{{Name: "Session", Value: "no bot session attached"}}})
	} else {
		state := "🔴 disconnected"
		if b.Connected {
			state = "🟢 connected"
		}
		r.Sections = append(r.Sections, Section{Name: "🛰️ Discord", Fields: []Field{
			{Name: "Gateway", Value: state + " · latency " + fmtMS(num(b.LatencyMS)), Inline: true},
			{Name: "Reach", Value: fmt.Sprintf("%s guilds · %s users · %s channels", fmtCount(b.Guilds), fmtCount(b.Users), fmtCount(b.Channels)), Inline: true},
			{Name: "Session", Value: fmt.Sprintf("%s reconnects · %s resumes · %s rate limits", fmtCount(b.Reconnects), fmtCount(b.Resumes), fmtCount(b.RateLimitHits)), Inline: true},
		}})
	}
	rt := d.RuntimeMetrics
	r.Sections = append(r.Sections, Section{Name: "⚙️ Go runtime" + runtimeLabel(d.runtimeOfBot), Fields: []Field{
		{Name: "Goroutines", Value: fmtCount(rt.Goroutines), Inline: true},
		{Name: "Heap", Value: fmt.Sprintf("%s live · %s objects · next GC %s", fmtBytes(num(rt.Heap.Alloc)), fmtCount(rt.Heap.Objects), fmtBytes(num(rt.Heap.NextGC))), Inline: true},
		{Name: "GC", Value: fmt.Sprintf("%s cycles · %s total pause · last %s", fmtCount(rt.GC.Cycles), fmtMS(num(rt.GC.PauseTotalMS)), fmtMS(num(rt.GC.LastPauseMS))), Inline: true},
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

// ratesText is s, a line of rates, or "n/a (note)" in a report without an
// interval (note set): there no rate was measured.
func ratesText(s, note string) string {
	if note != "" {
		return "n/a (" + note + ")"
	}
	return s
}

// swapText formats swap usage: "0 B of 2.0 GiB (0.0 %)".
func swapText(s SwapMetric) string {
	return fmt.Sprintf("%s of %s (%s)", fmtBytes(num(s.Used)), fmtBytes(num(s.Total)), fmtPct(num(s.Percent)))
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
