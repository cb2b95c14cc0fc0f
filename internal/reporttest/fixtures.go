// Package reporttest holds report fixtures for the tests of render and
// deliver: one hand-made Report of every kind, as the builders make them.
package reporttest

import (
	"fmt"
	"strings"
	"time"

	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// FixtureTime is the collection time of every fixture.
var FixtureTime = time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC)

// PngLike returns bytes that start like a PNG file (signature and IHDR).
func PngLike(n int) []byte {
	b := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x03\x20\x00\x00\x01\x90\x08\x06\x00\x00\x00")
	for i := len(b); i < n; i++ {
		b = append(b, byte(i*31))
	}
	return b
}

func SystemFixture() *reportdata.Report {
	return &reportdata.Report{
		Event: reportdata.EventSystem, Time: FixtureTime, Host: "host-1",
		Title: "Detailed System Monitor", Emoji: "🖥️", Level: health.Good,
		Summary: "CPU 12.5 % · Memory 41.0 % · Load 0.52",
		Sections: []reportdata.Section{
			{Name: "🧮 CPU", Fields: []reportdata.Field{
				{Name: "Usage", Value: "12.5 %", Inline: true},
				{Name: "Load 1/5/15m", Value: "0.52 / 0.48 / 0.40", Inline: true},
				{Name: "Cores", Value: "4 logical / 2 physical · 2400 MHz", Inline: true},
				{Name: "Per core", Value: "#0 14.0 % · #1 11.0 % · #2 13.5 % · #3 11.5 %"},
			}},
			{Name: "🧠 Memory", Fields: []reportdata.Field{
				{Name: "Used", Value: "3.2 GiB of 7.8 GiB (41.0 %)", Inline: true},
				{Name: "Available", Value: "4.6 GiB", Inline: true},
				{Name: "Swap", Value: "0 B of 2.0 GiB (0.0 %)", Inline: true},
			}},
			{Name: "💾 Disk", Fields: []reportdata.Field{
				{Name: "Filesystems", Value: "/ 40.0 % (60.0 GiB free)\n/home 12.3 % (350.8 GiB free)\n/boot/efi 1.2 % (505.9 MiB free)"},
				{Name: "I/O", Value: "read 1.2 MiB/s (35.0 ops/s) · write 512.0 KiB/s (12.5 ops/s)"},
			}},
			{Name: "🌐 Network", Fields: []reportdata.Field{
				{Name: "Throughput", Value: "↑ 24.5 KiB/s · ↓ 118.0 KiB/s", Inline: true},
				{Name: "Errors / drops", Value: "in 0/0 · out 0/0", Inline: true},
			}},
			{Name: "🤖 Bot process", Fields: []reportdata.Field{
				{Name: "PID", Value: "4242 (sleeping) · up 3d 4h", Inline: true},
				{Name: "CPU", Value: "2.1 %", Inline: true},
				{Name: "Memory", Value: "RSS 48.2 MiB (0.6 %) · VMS 1.2 GiB", Inline: true},
			}},
			{Name: "🛰️ Discord", Fields: []reportdata.Field{
				{Name: "Gateway", Value: "🟢 connected · latency 42 ms", Inline: true},
				{Name: "Reach", Value: "128 guilds · 45210 users · 3012 channels", Inline: true},
			}},
			{Name: "⚙️ Go runtime", Fields: []reportdata.Field{
				{Name: "Goroutines", Value: "37", Inline: true},
				{Name: "GC", Value: "1204 cycles · last 0.21 ms", Inline: true},
			}},
		},
		Data: map[string]any{
			"system_metrics": map[string]any{
				"cpu": map[string]any{
					"percent": 12.5, "per_core_percent": []float64{14, 11, 13.5, 11.5},
					"cores_logical": 4, "cores_physical": 2, "frequency_mhz": 2400,
					"load_average": map[string]float64{"1m": 0.52, "5m": 0.48, "15m": 0.40},
				},
				"memory": map[string]any{
					"total": 8375308288, "available": 4939212800, "used": 3436095488, "free": 1073741824,
					"cached": 2147483648, "buffers": 134217728, "percent": 41.0,
					"swap": map[string]any{"total": 2147483648, "used": 0, "free": 2147483648, "percent": 0.0},
				},
			},
			"bot_process_metrics": map[string]any{"pid": 4242, "threads": 14, "status": "sleeping"},
			"bot_metrics":         map[string]any{"connected": true, "guilds": 128, "latency_ms": 42},
			"runtime_metrics":     map[string]any{"go_version": "go1.26.8", "goroutines": 37},
		},
	}
}

func NetworkFixture() *reportdata.Report {
	return &reportdata.Report{
		Event: reportdata.EventNetwork, Time: FixtureTime, Host: "host-1",
		Title: "Network Performance", Emoji: "🌐", Level: health.Fair,
		Summary: "Discord API 212 ms (slow) · internet 38 ms",
		Sections: []reportdata.Section{
			{Name: "🛰️ Discord API", Fields: []reportdata.Field{
				{Name: "Response", Value: "212 ms", Inline: true},
				{Name: "Status", Value: "200 OK", Inline: true},
				{Name: "Endpoints", Value: "GET /gateway 198 ms\nGET /users/@me 226 ms"},
			}},
			{Name: "🌍 Internet", Fields: []reportdata.Field{
				{Name: "https://www.google.com/generate_204", Value: "31 ms"},
				{Name: "https://1.1.1.1/", Value: "45 ms"},
			}},
			{Name: "🔌 Bot connection", Fields: []reportdata.Field{
				{Name: "Gateway latency", Value: "42 ms", Inline: true},
				{Name: "Reconnects / resumes", Value: "1 / 3", Inline: true},
			}},
		},
		Data: map[string]any{
			"discord_api":    map[string]any{"response_ms": 212, "status": 200},
			"internet":       []map[string]any{{"url": "https://www.google.com/generate_204", "response_ms": 31}, {"url": "https://1.1.1.1/", "response_ms": 45}},
			"bot_connection": map[string]any{"latency_ms": 42, "reconnects": 1, "resumes": 3},
		},
	}
}

func MemoryFixture() *reportdata.Report {
	return &reportdata.Report{
		Event: reportdata.EventMemory, Time: FixtureTime, Host: "host-1",
		Title: "Memory Performance", Emoji: "🧠", Level: health.Excellent,
		Summary: "Process RSS 48.2 MiB · system 41.0 % · heap stable",
		Sections: []reportdata.Section{
			{Name: "🤖 Process memory", Fields: []reportdata.Field{
				{Name: "RSS", Value: "48.2 MiB", Inline: true},
				{Name: "VMS", Value: "1.2 GiB", Inline: true},
				{Name: "Shared / data", Value: "12.0 MiB / 30.1 MiB", Inline: true},
			}},
			{Name: "🧠 System memory", Fields: []reportdata.Field{
				{Name: "Used", Value: "3.2 GiB of 7.8 GiB (41.0 %)"},
				{Name: "Swap", Value: "0 B of 2.0 GiB"},
			}},
			{Name: "♻️ Garbage collection", Fields: []reportdata.Field{
				{Name: "Cycles", Value: "1204", Inline: true},
				{Name: "Pause total", Value: "254.3 ms", Inline: true},
				{Name: "Last pause", Value: "0.21 ms", Inline: true},
			}},
			{Name: "📈 Trends", Fields: []reportdata.Field{
				{Name: "RSS", Value: "stable (+0.1 MiB/h)"},
				{Name: "Heap", Value: "stable (−0.3 MiB/h)"},
			}},
		},
		Data: map[string]any{
			"process_memory":     map[string]any{"rss": 50541363, "vms": 1288490188},
			"system_memory":      map[string]any{"percent": 41.0},
			"garbage_collection": map[string]any{"cycles": 1204, "pause_total_ms": 254.3},
			"trends":             map[string]any{"rss": "stable"},
		},
	}
}

func commandsFixture() *reportdata.Report {
	return &reportdata.Report{
		Event: reportdata.EventCommands, Time: FixtureTime, Host: "host-1",
		Title: "Command Performance", Emoji: "⚡", Level: health.Good,
		Summary: "1,284 commands in 3m · 99.2 % success · p95 840 ms",
		Sections: []reportdata.Section{
			{Name: "📊 Totals", Fields: []reportdata.Field{
				{Name: "Commands", Value: "1284", Inline: true},
				{Name: "Errors", Value: "10 (0.8 %)", Inline: true},
				{Name: "p50 / p95", Value: "120 ms / 840 ms", Inline: true},
			}},
			{Name: "🏆 Top commands", Fields: []reportdata.Field{
				{Value: "1. /play — 610 runs · p95 900 ms\n2. /queue — 301 runs · p95 120 ms\n3. /skip_track — 144 runs · p95 95 ms"},
			}},
			{Name: "📦 Modules", Fields: []reportdata.Field{
				{Name: "music", Value: "1055 runs", Inline: true},
				{Name: "moderation", Value: "229 runs", Inline: true},
			}},
			{Name: "🏰 Top guilds", Fields: []reportdata.Field{{Value: "123456789012345678 — 402 runs\n223456789012345678 — 188 runs"}}},
			{Name: "💬 Top channels", Fields: []reportdata.Field{{Value: "323456789012345678 — 97 runs"}}},
		},
		Data: map[string]any{
			"totals":       map[string]any{"commands": 1284, "errors": 10},
			"commands":     []map[string]any{{"name": "play", "count": 610, "p95_ms": 900}},
			"modules":      map[string]any{"music": 1055, "moderation": 229},
			"top_guilds":   []string{"123456789012345678"},
			"top_channels": []string{"323456789012345678"},
		},
	}
}

func HealthFixture() *reportdata.Report {
	return &reportdata.Report{
		Event: reportdata.EventHealth, Time: FixtureTime, Host: "host-1",
		Title: "Comprehensive Health Report", Emoji: "🩺", Level: health.Fair,
		Summary: "Overall 68/100 🟠 Fair · worst: memory 52/100",
		Sections: []reportdata.Section{
			{Name: "🧩 Components", Fields: []reportdata.Field{
				{Name: "cpu", Value: "🟢 96", Inline: true},
				{Name: "memory", Value: "🟠 52", Inline: true},
				{Name: "network", Value: "🟡 81", Inline: true},
				{Name: "discord", Value: "🟢 92", Inline: true},
				{Name: "disk", Value: "🟢 99", Inline: true},
			}},
			{Name: "📈 Trends", Fields: []reportdata.Field{
				{Name: "memory", Value: "increasing (+2.1 %/h) — degrading"},
				{Name: "latency", Value: "stable"},
			}},
			{Name: "💡 Recommendations", Fields: []reportdata.Field{
				{Value: "🟠 memory: RSS grew 18 % in 1h; check caches (evidence: rss 612 MiB → 722 MiB)"},
				{Value: "🟡 network: Discord API p95 1.9 s; close to the 2 s warning"},
			}},
			{Name: "🚨 Active alerts", Fields: []reportdata.Field{{Value: "WARNING memory_high since 10:12 UTC"}}},
		},
		Files: []reportdata.File{{Name: "health_chart.png", ContentType: "image/png", Data: PngLike(2048)}},
		Image: "health_chart.png",
		Data: map[string]any{
			"overall_health":     map[string]any{"score": 68, "level": "Fair"},
			"component_health":   map[string]any{"cpu": 96, "memory": 52, "network": 81, "discord": 92, "disk": 99},
			"performance_trends": map[string]any{"memory": "increasing"},
			"recommendations":    []string{"check caches"},
			"active_alerts":      []string{"memory_high"},
		},
	}
}

func AlertFixture(firing bool) *reportdata.Report {
	r := &reportdata.Report{
		Event: reportdata.EventAlert, Time: FixtureTime, Host: "host-1", Emoji: "🚨",
		Sections: []reportdata.Section{{Name: "Alert", Fields: []reportdata.Field{
			{Name: "Rule", Value: "cpu_high", Inline: true},
			{Name: "Severity", Value: "CRITICAL", Inline: true},
			{Name: "Value", Value: "91.2 %", Inline: true},
			{Name: "Threshold", Value: "85 % (clears below 80 %)", Inline: true},
			{Name: "Since", Value: "2026-11-27T10:28:00Z", Inline: true},
		}}},
		Data: map[string]any{"rule": "cpu_high", "severity": "critical", "state": "firing", "value": 91.2, "threshold": 85, "since": "2026-11-27T10:28:00Z"},
	}
	if firing {
		r.Title, r.Level = "CRITICAL: cpu_high firing", health.Critical
		r.Summary = "CPU usage 91.2 % has been above 85 % for 2m."
		return r
	}
	r.Emoji, r.Title, r.Level = "✅", "RESOLVED: cpu_high", health.Excellent
	r.Summary = "CPU usage is back to 42.0 % (below 80 %) after 14m."
	r.Data = map[string]any{"rule": "cpu_high", "severity": "critical", "state": "resolved", "value": 42.0, "threshold": 85, "since": "2026-11-27T10:16:00Z"}
	return r
}

// Hostile is the error text of the error fixture: every mention form and
// Markdown construct a user could smuggle into an error message.
const Hostile = "@everyone <@123> **bold** `x` <@!456> <@&789> <#101112> @here [click](https://evil.example) ||spoiler|| ~~gone~~ __u__ C:\\path\\ \n# heading\n> quote\n- item"

func ErrorFixture() *reportdata.Report {
	return &reportdata.Report{
		Event: reportdata.EventError, Time: FixtureTime, Host: "host-1",
		Title: "Command error: /play", Emoji: "❌", Level: health.Poor,
		Summary: Hostile,
		Sections: []reportdata.Section{
			{Name: "Command", Fields: []reportdata.Field{
				{Name: "Command", Value: "/play", Inline: true},
				{Name: "Error type", Value: "*errors.errorString", Inline: true},
				{Name: "Duration", Value: "1204 ms", Inline: true},
			}},
			{Name: "Error", Fields: []reportdata.Field{{Name: "Message", Value: Hostile}}},
			{Name: "Context", Fields: []reportdata.Field{
				{Name: "Guild", Value: "123456789012345678", Inline: true},
				{Name: "Channel", Value: "<#223456789012345678>", Inline: true},
				{Name: "User", Value: "<@323456789012345678>", Inline: true},
			}},
		},
		Data: map[string]any{"command": "play", "error_type": "*errors.errorString", "error_message": Hostile, "duration_ms": 1204, "context": map[string]any{"guild_id": "123456789012345678"}, "impact": "low"},
	}
}

func TestFixture() *reportdata.Report {
	return &reportdata.Report{
		Event: reportdata.EventTest, Time: FixtureTime, Host: "host-1", Test: true,
		Title: "Reporting test", Emoji: "📨", Level: health.Excellent,
		Summary: "Reports reach this channel. Requested by an administrator.",
		Sections: []reportdata.Section{{Name: "Delivery", Fields: []reportdata.Field{
			{Name: "Sender", Value: "bot", Inline: true},
			{Name: "Queue", Value: "0 pending", Inline: true},
		}}},
		Data: map[string]any{"sender": "bot"},
	}
}

// OverLimitFixture breaks every limit a report can break.
func OverLimitFixture() *reportdata.Report {
	r := &reportdata.Report{
		Event: reportdata.EventSystem, Time: FixtureTime, Host: "host-1." + strings.Repeat("sub.", 100) + "example",
		Emoji: "🔥", Level: health.Critical,
		Title:   strings.Repeat("Overloaded 👨‍👩‍👧 ", 30), // 300+ runes with ZWJ emoji
		Summary: strings.Repeat("🔥 disk_full * ", 358),   // 5012 runes, one line
		Data:    map[string]any{"note": "full data lives here"},
	}
	var disks []string
	for i := range 400 {
		disks = append(disks, fmt.Sprintf("/mnt/data_%03d 9%d.0 %% 💾 (%d MiB free)", i, i%10, 1000-i))
	}
	for i := range 30 {
		s := reportdata.Section{Name: fmt.Sprintf("🔥 Section %d", i+1), Fields: []reportdata.Field{
			{Name: "Value", Value: strings.Repeat("🚨", 2000)},
			{Name: "Disks", Value: strings.Join(disks, "\n")},
		}}
		if i == 0 {
			s.Fields = []reportdata.Field{{Name: "Disks", Value: strings.Join(disks, "\n")}}
		}
		r.Sections = append(r.Sections, s)
	}
	return r
}

// Fixtures are the golden cases of TestRender.
func Fixtures() map[string]*reportdata.Report {
	return map[string]*reportdata.Report{
		"system":         SystemFixture(),
		"network":        NetworkFixture(),
		"memory":         MemoryFixture(),
		"commands":       commandsFixture(),
		"health":         HealthFixture(),
		"alert_firing":   AlertFixture(true),
		"alert_resolved": AlertFixture(false),
		"error_hostile":  ErrorFixture(),
		"test":           TestFixture(),
		"over_limit":     OverLimitFixture(),
	}
}
