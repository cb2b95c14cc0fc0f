package build

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/report/format"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// SystemReport builds the detailed system monitor report.
func SystemReport(d SystemData, at time.Time, host string, th reportdata.Thresholds) *reportdata.Report {
	sm := d.SystemMetrics
	scores := []float64{health.Score(format.Num(sm.CPU.Percent), th.CPU), health.Score(format.Num(sm.Memory.Percent), th.Memory)}
	for _, p := range sm.Disk.Partitions {
		scores = append(scores, health.Score(format.Num(p.Percent), th.Disk))
	}
	worst := worstScore(scores...)
	r := &reportdata.Report{
		Event: reportdata.EventSystem, Time: at, Host: host,
		Title: "Detailed System Monitor", Emoji: "🖥️",
		Level: health.LevelOf(worst),
		Data:  d,
	}
	cpu := sm.CPU
	load := func(k string) string { return format.Float(format.Num(cpu.LoadAverage[k]), 2) }
	r.Summary = fmt.Sprintf("CPU %s · Memory %s · Load %s", format.Pct(format.Num(cpu.Percent)), format.Pct(format.Num(sm.Memory.Percent)), load("1m"))
	if len(d.Unavailable) > 0 {
		r.Summary += "\nUnavailable sources: " + strings.Join(d.Unavailable, ", ")
	}

	// Values over the interval since the previous report: none in the first.
	note := ""
	if d.firstReport() {
		note = format.NoteFirstReport
	}
	perCore := "n/a"
	if cpu.PerCorePercent != nil {
		cores := make([]string, len(cpu.PerCorePercent))
		for i, v := range cpu.PerCorePercent {
			cores[i] = fmt.Sprintf("#%d %s", i, format.Pct(format.Num(v)))
		}
		perCore = strings.Join(cores, " · ")
	}
	r.Sections = append(r.Sections, reportdata.Section{Name: "🧮 CPU", Fields: []reportdata.Field{
		{Name: "Usage", Value: format.Noted(format.Pct(format.Num(cpu.Percent)), note), Inline: true},
		{Name: "Load 1/5/15m", Value: fmt.Sprintf("%s / %s / %s", load("1m"), load("5m"), load("15m")), Inline: true},
		{Name: "Cores", Value: fmt.Sprintf("%s logical / %s physical · %s MHz", format.Count(cpu.CoresLogical), format.Count(cpu.CoresPhysical), format.Float(format.Num(cpu.FrequencyMHz), 0)), Inline: true},
		{Name: "Per core", Value: format.Noted(perCore, note)},
	}})
	m := sm.Memory
	r.Sections = append(r.Sections, reportdata.Section{Name: "🧠 Memory", Fields: []reportdata.Field{
		{Name: "Used", Value: fmt.Sprintf("%s of %s (%s)", format.Bytes(format.Num(m.Used)), format.Bytes(format.Num(m.Total)), format.Pct(format.Num(m.Percent))), Inline: true},
		{Name: "Available", Value: format.Bytes(format.Num(m.Available)), Inline: true},
		{Name: "Cached / buffers", Value: format.Bytes(format.Num(m.Cached)) + " / " + format.Bytes(format.Num(m.Buffers)), Inline: true},
		{Name: "Swap", Value: swapText(m.Swap), Inline: true},
	}})
	var disks []string
	for _, p := range sm.Disk.Partitions {
		disks = append(disks, fmt.Sprintf("%s %s (%s free)", p.Mountpoint, format.Pct(format.Num(p.Percent)), format.Bytes(format.Num(p.Free))))
	}
	if len(disks) == 0 {
		disks = []string{"no filesystems reported"}
	}
	io := sm.Disk.IO
	ioText := fmt.Sprintf("read %s (%s ops/s) · write %s (%s ops/s)", format.Rate(format.Num(io.ReadBytesPerSec)), format.Float(format.Num(io.ReadCountPerSec), 1),
		format.Rate(format.Num(io.WriteBytesPerSec)), format.Float(format.Num(io.WriteCountPerSec), 1))
	r.Sections = append(r.Sections, reportdata.Section{Name: "💾 Disk", Fields: []reportdata.Field{
		{Name: "Filesystems", Value: strings.Join(disks, "\n")},
		{Name: "I/O", Value: ratesText(ioText, note)},
	}})
	nw := sm.Network
	r.Sections = append(r.Sections, reportdata.Section{Name: "🌐 Network", Fields: []reportdata.Field{
		{Name: "Throughput", Value: ratesText(fmt.Sprintf("↑ %s · ↓ %s", format.Rate(format.Num(nw.BytesSentPerSec)), format.Rate(format.Num(nw.BytesRecvPerSec))), note), Inline: true},
		{Name: "Packets/s", Value: ratesText(fmt.Sprintf("↑ %s · ↓ %s", format.Float(format.Num(nw.PacketsSentPerSec), 1), format.Float(format.Num(nw.PacketsRecvPerSec), 1)), note), Inline: true},
		{Name: "Errors / drops", Value: fmt.Sprintf("in %s/%s · out %s/%s", format.Count(nw.Errin), format.Count(nw.Dropin), format.Count(nw.Errout), format.Count(nw.Dropout)), Inline: true},
	}})
	p := d.BotProcessMetrics
	if p.Available {
		up := ""
		if p.CreateTime != nil {
			up = " · up " + format.Duration(at.Sub(*p.CreateTime))
		}
		status := p.Status
		if status == "" {
			status = "n/a"
		}
		r.Sections = append(r.Sections, reportdata.Section{Name: "🤖 Bot process", Fields: []reportdata.Field{
			{Name: "PID", Value: fmt.Sprintf("%s (%s)%s", format.Count(p.PID), status, up), Inline: true},
			{Name: "CPU", Value: format.Noted(format.Pct(format.Num(p.CPUPercent)), p.cpuNote), Inline: true},
			{Name: "Memory", Value: fmt.Sprintf("RSS %s (%s) · VMS %s", format.Bytes(format.Num(p.Memory.RSS)), format.Pct(format.Num(p.MemoryPercent)), format.Bytes(format.Num(p.Memory.VMS))), Inline: true},
			{Name: "Threads / FDs / conns", Value: fmt.Sprintf("%s / %s / %s", format.Count(p.Threads), format.Count(p.OpenFDs), format.Count(p.Connections)), Inline: true},
		}})
	} else {
		r.Sections = append(r.Sections, reportdata.Section{Name: "🤖 Bot process", Fields: []reportdata.Field{{Name: "Status", Value: processStatusText(p)}}})
	}
	b := d.BotMetrics
	if b.Guilds == nil {
		r.Sections = append(r.Sections, reportdata.Section{Name: "🛰️ Discord", Fields: []reportdata.Field{{Name: "Session", Value: "no bot session attached"}}})
	} else {
		state := "🔴 disconnected"
		if b.Connected {
			state = "🟢 connected"
		}
		r.Sections = append(r.Sections, reportdata.Section{Name: "🛰️ Discord", Fields: []reportdata.Field{
			{Name: "Gateway", Value: state + " · latency " + format.MS(format.Num(b.LatencyMS)), Inline: true},
			{Name: "Reach", Value: fmt.Sprintf("%s guilds · %s users · %s channels", format.Count(b.Guilds), format.Count(b.Users), format.Count(b.Channels)), Inline: true},
			{Name: "Session", Value: fmt.Sprintf("%s reconnects · %s resumes · %s rate limits", format.Count(b.Reconnects), format.Count(b.Resumes), format.Count(b.RateLimitHits)), Inline: true},
		}})
	}
	if d.BotRuntime != nil {
		r.Sections = append(r.Sections, botRuntimeSection(d.BotRuntime))
	}
	rt := d.RuntimeMetrics
	r.Sections = append(r.Sections, reportdata.Section{Name: "⚙️ Go runtime" + runtimeLabel(d.runtimeOfBot), Fields: []reportdata.Field{
		{Name: "Goroutines", Value: format.Count(rt.Goroutines), Inline: true},
		{Name: "Heap", Value: fmt.Sprintf("%s live · %s objects · next GC %s", format.Bytes(format.Num(rt.Heap.Alloc)), format.Count(rt.Heap.Objects), format.Bytes(format.Num(rt.Heap.NextGC))), Inline: true},
		{Name: "GC", Value: fmt.Sprintf("%s cycles · %s total pause · last %s", format.Count(rt.GC.Cycles), format.MS(format.Num(rt.GC.PauseTotalMS)), format.MS(format.Num(rt.GC.LastPauseMS))), Inline: true},
	}})
	if dl := d.Delivery; dl != nil {
		r.Sections = append(r.Sections, reportdata.Section{Name: "📬 Delivery", Fields: []reportdata.Field{
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
	return fmt.Sprintf("%s of %s (%s)", format.Bytes(format.Num(s.Used)), format.Bytes(format.Num(s.Total)), format.Pct(format.Num(s.Percent)))
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
