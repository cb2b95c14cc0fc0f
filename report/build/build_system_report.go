package build

import (
	"math"
	"strconv"
	"time"

	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/report/format"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// SystemReport builds the detailed system monitor report.
func SystemReport(d SystemData, at time.Time, host string, th reportdata.Thresholds) *reportdata.Report {
	sm := d.SystemMetrics
	worst := worstScore(health.Score(format.Num(sm.CPU.Percent), th.CPU), health.Score(format.Num(sm.Memory.Percent), th.Memory))
	for _, p := range sm.Disk.Partitions {
		worst = worstScore(worst, health.Score(format.Num(p.Percent), th.Disk))
	}
	r := &reportdata.Report{
		Event: reportdata.EventSystem, Time: at, Host: host,
		Title: "Detailed System Monitor", Emoji: "🖥️",
		Level: health.LevelOf(worst),
		Data:  d,
	}
	// Each text is appended into b and made a string once: fmt.Sprintf
	// and concatenated parts allocated for every figure (a third of what
	// a system report allocated). b stays on the stack.
	b := make([]byte, 0, 256)
	num := func(b []byte, p *float64, dec int) []byte { return format.AppendFloat(b, format.Num(p), dec) }
	cpu := sm.CPU
	load := func(b []byte, k string) []byte { return num(b, cpu.LoadAverage[k], 2) }
	b = format.AppendPct(append(b[:0], "CPU "...), format.Num(cpu.Percent))
	b = format.AppendPct(append(b, " · Memory "...), format.Num(sm.Memory.Percent))
	b = load(append(b, " · Load "...), "1m")
	if len(d.Unavailable) > 0 {
		b = append(b, "\nUnavailable sources: "...)
		for i, u := range d.Unavailable {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, u...)
		}
	}
	r.Summary = string(b)

	// Values over the interval since the previous report: none in the first.
	note := ""
	if d.firstReport() {
		note = format.NoteFirstReport
	}
	// The fields of every section share one array.
	fields := make([]reportdata.Field, 0, 32)
	r.Sections = make([]reportdata.Section, 0, 10)
	section := func(name string, fs ...reportdata.Field) {
		n := len(fields)
		fields = append(fields, fs...)
		r.Sections = append(r.Sections, reportdata.Section{Name: name, Fields: fields[n:len(fields):len(fields)]})
	}
	perCore := format.Noted("n/a", note)
	if cpu.PerCorePercent != nil {
		b = b[:0]
		for i, v := range cpu.PerCorePercent {
			if i > 0 {
				b = append(b, " · "...)
			}
			b = strconv.AppendInt(append(b, '#'), int64(i), 10)
			b = format.AppendPct(append(b, ' '), format.Num(v))
		}
		perCore = string(b)
	}
	b = load(b[:0], "1m")
	b = load(append(b, " / "...), "5m")
	b = load(append(b, " / "...), "15m")
	loads := string(b)
	b = format.AppendCount(b[:0], cpu.CoresLogical)
	b = format.AppendCount(append(b, " logical / "...), cpu.CoresPhysical)
	b = append(num(append(b, " physical · "...), cpu.FrequencyMHz, 0), " MHz"...)
	section("🧮 CPU",
		reportdata.Field{Name: "Usage", Value: format.Noted(format.Pct(format.Num(cpu.Percent)), note), Inline: true},
		reportdata.Field{Name: "Load 1/5/15m", Value: loads, Inline: true},
		reportdata.Field{Name: "Cores", Value: string(b), Inline: true},
		reportdata.Field{Name: "Per core", Value: perCore},
	)
	m := sm.Memory
	used := string(appendUsage(b[:0], m.Used, m.Total, m.Percent))
	b = format.AppendBytes(b[:0], format.Num(m.Cached))
	b = format.AppendBytes(append(b, " / "...), format.Num(m.Buffers))
	cached := string(b)
	section("🧠 Memory",
		reportdata.Field{Name: "Used", Value: used, Inline: true},
		reportdata.Field{Name: "Available", Value: format.Bytes(format.Num(m.Available)), Inline: true},
		reportdata.Field{Name: "Cached / buffers", Value: cached, Inline: true},
		reportdata.Field{Name: "Swap", Value: string(appendUsage(b[:0], m.Swap.Used, m.Swap.Total, m.Swap.Percent)), Inline: true},
	)
	b = b[:0]
	for i, p := range sm.Disk.Partitions {
		if i > 0 {
			b = append(b, '\n')
		}
		b = format.AppendPct(append(append(b, p.Mountpoint...), ' '), format.Num(p.Percent))
		b = append(format.AppendBytes(append(b, " ("...), format.Num(p.Free)), " free)"...)
	}
	disks := "no filesystems reported"
	if len(sm.Disk.Partitions) > 0 {
		disks = string(b)
	}
	ioText := ratesText("", note)
	if note == "" {
		io := sm.Disk.IO
		b = format.AppendRate(append(b[:0], "read "...), format.Num(io.ReadBytesPerSec))
		b = append(num(append(b, " ("...), io.ReadCountPerSec, 1), " ops/s) · write "...)
		b = format.AppendRate(b, format.Num(io.WriteBytesPerSec))
		b = append(num(append(b, " ("...), io.WriteCountPerSec, 1), " ops/s)"...)
		ioText = string(b)
	}
	section("💾 Disk",
		reportdata.Field{Name: "Filesystems", Value: disks},
		reportdata.Field{Name: "I/O", Value: ioText},
	)
	nw := sm.Network
	throughput, packets := ratesText("", note), ratesText("", note)
	if note == "" {
		b = format.AppendRate(append(b[:0], "↑ "...), format.Num(nw.BytesSentPerSec))
		b = format.AppendRate(append(b, " · ↓ "...), format.Num(nw.BytesRecvPerSec))
		throughput = string(b)
		b = num(append(b[:0], "↑ "...), nw.PacketsSentPerSec, 1)
		b = num(append(b, " · ↓ "...), nw.PacketsRecvPerSec, 1)
		packets = string(b)
	}
	b = format.AppendCount(append(b[:0], "in "...), nw.Errin)
	b = format.AppendCount(append(b, '/'), nw.Dropin)
	b = format.AppendCount(append(b, " · out "...), nw.Errout)
	b = format.AppendCount(append(b, '/'), nw.Dropout)
	section("🌐 Network",
		reportdata.Field{Name: "Throughput", Value: throughput, Inline: true},
		reportdata.Field{Name: "Packets/s", Value: packets, Inline: true},
		reportdata.Field{Name: "Errors / drops", Value: string(b), Inline: true},
	)
	p := d.BotProcessMetrics
	if p.Available {
		status := p.Status
		if status == "" {
			status = "n/a"
		}
		b = format.AppendCount(b[:0], p.PID)
		b = append(append(append(b, " ("...), status...), ')')
		if p.CreateTime != nil {
			b = format.AppendDuration(append(b, " · up "...), at.Sub(*p.CreateTime))
		}
		pid := string(b)
		b = format.AppendBytes(append(b[:0], "RSS "...), format.Num(p.Memory.RSS))
		b = format.AppendPct(append(b, " ("...), format.Num(p.MemoryPercent))
		b = format.AppendBytes(append(b, ") · VMS "...), format.Num(p.Memory.VMS))
		mem := string(b)
		b = format.AppendCount(b[:0], p.Threads)
		b = format.AppendCount(append(b, " / "...), p.OpenFDs)
		b = format.AppendCount(append(b, " / "...), p.Connections)
		section("🤖 Bot process",
			reportdata.Field{Name: "PID", Value: pid, Inline: true},
			reportdata.Field{Name: "CPU", Value: format.Noted(format.Pct(format.Num(p.CPUPercent)), p.cpuNote), Inline: true},
			reportdata.Field{Name: "Memory", Value: mem, Inline: true},
			reportdata.Field{Name: "Threads / FDs / conns", Value: string(b), Inline: true},
		)
	} else {
		section("🤖 Bot process", reportdata.Field{Name: "Status", Value: processStatusText(p)})
	}
	bot := d.BotMetrics
	if bot.Guilds == nil {
		section("🛰️ Discord", reportdata.Field{Name: "Session", Value: "no bot session attached"})
	} else {
		state := "🔴 disconnected"
		if bot.Connected {
			state = "🟢 connected"
		}
		b = format.AppendMS(append(append(b[:0], state...), " · latency "...), format.Num(bot.LatencyMS))
		gateway := string(b)
		b = format.AppendCount(b[:0], bot.Guilds)
		b = format.AppendCount(append(b, " guilds · "...), bot.Users)
		b = append(format.AppendCount(append(b, " users · "...), bot.Channels), " channels"...)
		reach := string(b)
		b = format.AppendCount(b[:0], bot.Reconnects)
		b = format.AppendCount(append(b, " reconnects · "...), bot.Resumes)
		b = append(format.AppendCount(append(b, " resumes · "...), bot.RateLimitHits), " rate limits"...)
		section("🛰️ Discord",
			reportdata.Field{Name: "Gateway", Value: gateway, Inline: true},
			reportdata.Field{Name: "Reach", Value: reach, Inline: true},
			reportdata.Field{Name: "Session", Value: string(b), Inline: true},
		)
	}
	if d.BotRuntime != nil {
		r.Sections = append(r.Sections, botRuntimeSection(d.BotRuntime))
	}
	rt := d.RuntimeMetrics
	b = format.AppendBytes(b[:0], format.Num(rt.Heap.Alloc))
	b = format.AppendCount(append(b, " live · "...), rt.Heap.Objects)
	b = format.AppendBytes(append(b, " objects · next GC "...), format.Num(rt.Heap.NextGC))
	heap := string(b)
	b = format.AppendCount(b[:0], rt.GC.Cycles)
	b = format.AppendMS(append(b, " cycles · "...), format.Num(rt.GC.PauseTotalMS))
	b = format.AppendMS(append(b, " total pause · last "...), format.Num(rt.GC.LastPauseMS))
	section("⚙️ Go runtime"+runtimeLabel(d.runtimeOfBot),
		reportdata.Field{Name: "Goroutines", Value: format.Count(rt.Goroutines), Inline: true},
		reportdata.Field{Name: "Heap", Value: heap, Inline: true},
		reportdata.Field{Name: "GC", Value: string(b), Inline: true},
	)
	if dl := d.Delivery; dl != nil {
		queue := string(append(strconv.AppendInt(b[:0], dl.QueueDepth, 10), " pending"...))
		sent := string(strconv.AppendInt(append(strconv.AppendInt(b[:0], dl.Sent, 10), " / "...), dl.Failed, 10))
		b = strconv.AppendInt(append(strconv.AppendInt(b[:0], dl.RateLimited, 10), " / "...), dl.Retries, 10)
		section("📬 Delivery",
			reportdata.Field{Name: "Queue", Value: queue, Inline: true},
			reportdata.Field{Name: "Sent / failed", Value: sent, Inline: true},
			reportdata.Field{Name: "Rate limited / retries", Value: string(b), Inline: true},
		)
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
	return string(appendUsage(make([]byte, 0, 64), s.Used, s.Total, s.Percent))
}

// appendUsage appends a usage of a total: "0 B of 2.0 GiB (0.0 %)".
func appendUsage(b []byte, used, total *uint64, pct *float64) []byte {
	b = format.AppendBytes(b, format.Num(used))
	b = format.AppendBytes(append(b, " of "...), format.Num(total))
	return append(format.AppendPct(append(b, " ("...), format.Num(pct)), ')')
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
