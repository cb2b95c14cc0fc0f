package discord

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/internal/discordapi"
)

var update = flag.Bool("update", false, "rewrite testdata/render/*.golden.{json,txt}")

// fixtureTime is the collection time of every fixture.
var fixtureTime = time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC)

// pngLike returns bytes that start like a PNG file (signature and IHDR).
func pngLike(n int) []byte {
	b := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x03\x20\x00\x00\x01\x90\x08\x06\x00\x00\x00")
	for i := len(b); i < n; i++ {
		b = append(b, byte(i*31))
	}
	return b
}

func systemFixture() *Report {
	return &Report{
		Event: EventSystem, Time: fixtureTime, Host: "host-1",
		Title: "Detailed System Monitor", Emoji: "🖥️", Level: health.Good,
		Summary: "CPU 12.5 % · Memory 41.0 % · Load 0.52",
		Sections: []Section{
			{Name: "🧮 CPU", Fields: []Field{
				{Name: "Usage", Value: "12.5 %", Inline: true},
				{Name: "Load 1/5/15m", Value: "0.52 / 0.48 / 0.40", Inline: true},
				{Name: "Cores", Value: "4 logical / 2 physical · 2400 MHz", Inline: true},
				{Name: "Per core", Value: "#0 14.0 % · #1 11.0 % · #2 13.5 % · #3 11.5 %"},
			}},
			{Name: "🧠 Memory", Fields: []Field{
				{Name: "Used", Value: "3.2 GiB of 7.8 GiB (41.0 %)", Inline: true},
				{Name: "Available", Value: "4.6 GiB", Inline: true},
				{Name: "Swap", Value: "0 B of 2.0 GiB (0.0 %)", Inline: true},
			}},
			{Name: "💾 Disk", Fields: []Field{
				{Name: "Filesystems", Value: "/ 40.0 % (60.0 GiB free)\n/home 12.3 % (350.8 GiB free)\n/boot/efi 1.2 % (505.9 MiB free)"},
				{Name: "I/O", Value: "read 1.2 MiB/s (35.0 ops/s) · write 512.0 KiB/s (12.5 ops/s)"},
			}},
			{Name: "🌐 Network", Fields: []Field{
				{Name: "Throughput", Value: "↑ 24.5 KiB/s · ↓ 118.0 KiB/s", Inline: true},
				{Name: "Errors / drops", Value: "in 0/0 · out 0/0", Inline: true},
			}},
			{Name: "🤖 Bot process", Fields: []Field{
				{Name: "PID", Value: "4242 (sleeping) · up 3d 4h", Inline: true},
				{Name: "CPU", Value: "2.1 %", Inline: true},
				{Name: "Memory", Value: "RSS 48.2 MiB (0.6 %) · VMS 1.2 GiB", Inline: true},
			}},
			{Name: "🛰️ Discord", Fields: []Field{
				{Name: "Gateway", Value: "🟢 connected · latency 42 ms", Inline: true},
				{Name: "Reach", Value: "128 guilds · 45210 users · 3012 channels", Inline: true},
			}},
			{Name: "⚙️ Go runtime", Fields: []Field{
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

func networkFixture() *Report {
	return &Report{
		Event: EventNetwork, Time: fixtureTime, Host: "host-1",
		Title: "Network Performance", Emoji: "🌐", Level: health.Fair,
		Summary: "Discord API 212 ms (slow) · internet 38 ms",
		Sections: []Section{
			{Name: "🛰️ Discord API", Fields: []Field{
				{Name: "Response", Value: "212 ms", Inline: true},
				{Name: "Status", Value: "200 OK", Inline: true},
				{Name: "Endpoints", Value: "GET /gateway 198 ms\nGET /users/@me 226 ms"},
			}},
			{Name: "🌍 Internet", Fields: []Field{
				{Name: "https://www.google.com/generate_204", Value: "31 ms"},
				{Name: "https://1.1.1.1/", Value: "45 ms"},
			}},
			{Name: "🔌 Bot connection", Fields: []Field{
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

func memoryFixture() *Report {
	return &Report{
		Event: EventMemory, Time: fixtureTime, Host: "host-1",
		Title: "Memory Performance", Emoji: "🧠", Level: health.Excellent,
		Summary: "Process RSS 48.2 MiB · system 41.0 % · heap stable",
		Sections: []Section{
			{Name: "🤖 Process memory", Fields: []Field{
				{Name: "RSS", Value: "48.2 MiB", Inline: true},
				{Name: "VMS", Value: "1.2 GiB", Inline: true},
				{Name: "Shared / data", Value: "12.0 MiB / 30.1 MiB", Inline: true},
			}},
			{Name: "🧠 System memory", Fields: []Field{
				{Name: "Used", Value: "3.2 GiB of 7.8 GiB (41.0 %)"},
				{Name: "Swap", Value: "0 B of 2.0 GiB"},
			}},
			{Name: "♻️ Garbage collection", Fields: []Field{
				{Name: "Cycles", Value: "1204", Inline: true},
				{Name: "Pause total", Value: "254.3 ms", Inline: true},
				{Name: "Last pause", Value: "0.21 ms", Inline: true},
			}},
			{Name: "📈 Trends", Fields: []Field{
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

func commandsFixture() *Report {
	return &Report{
		Event: EventCommands, Time: fixtureTime, Host: "host-1",
		Title: "Command Performance", Emoji: "⚡", Level: health.Good,
		Summary: "1,284 commands in 3m · 99.2 % success · p95 840 ms",
		Sections: []Section{
			{Name: "📊 Totals", Fields: []Field{
				{Name: "Commands", Value: "1284", Inline: true},
				{Name: "Errors", Value: "10 (0.8 %)", Inline: true},
				{Name: "p50 / p95", Value: "120 ms / 840 ms", Inline: true},
			}},
			{Name: "🏆 Top commands", Fields: []Field{
				{Value: "1. /play — 610 runs · p95 900 ms\n2. /queue — 301 runs · p95 120 ms\n3. /skip_track — 144 runs · p95 95 ms"},
			}},
			{Name: "📦 Modules", Fields: []Field{
				{Name: "music", Value: "1055 runs", Inline: true},
				{Name: "moderation", Value: "229 runs", Inline: true},
			}},
			{Name: "🏰 Top guilds", Fields: []Field{{Value: "123456789012345678 — 402 runs\n223456789012345678 — 188 runs"}}},
			{Name: "💬 Top channels", Fields: []Field{{Value: "323456789012345678 — 97 runs"}}},
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

func healthFixture() *Report {
	return &Report{
		Event: EventHealth, Time: fixtureTime, Host: "host-1",
		Title: "Comprehensive Health Report", Emoji: "🩺", Level: health.Fair,
		Summary: "Overall 68/100 🟠 Fair · worst: memory 52/100",
		Sections: []Section{
			{Name: "🧩 Components", Fields: []Field{
				{Name: "cpu", Value: "🟢 96", Inline: true},
				{Name: "memory", Value: "🟠 52", Inline: true},
				{Name: "network", Value: "🟡 81", Inline: true},
				{Name: "discord", Value: "🟢 92", Inline: true},
				{Name: "disk", Value: "🟢 99", Inline: true},
			}},
			{Name: "📈 Trends", Fields: []Field{
				{Name: "memory", Value: "increasing (+2.1 %/h) — degrading"},
				{Name: "latency", Value: "stable"},
			}},
			{Name: "💡 Recommendations", Fields: []Field{
				{Value: "🟠 memory: RSS grew 18 % in 1h; check caches (evidence: rss 612 MiB → 722 MiB)"},
				{Value: "🟡 network: Discord API p95 1.9 s; close to the 2 s warning"},
			}},
			{Name: "🚨 Active alerts", Fields: []Field{{Value: "WARNING memory_high since 10:12 UTC"}}},
		},
		Files: []File{{Name: "health_chart.png", ContentType: "image/png", Data: pngLike(2048)}},
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

func alertFixture(firing bool) *Report {
	r := &Report{
		Event: EventAlert, Time: fixtureTime, Host: "host-1", Emoji: "🚨",
		Sections: []Section{{Name: "Alert", Fields: []Field{
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

// hostile is the error text of the error fixture: every mention form and
// Markdown construct a user could smuggle into an error message.
const hostile = "@everyone <@123> **bold** `x` <@!456> <@&789> <#101112> @here [click](https://evil.example) ||spoiler|| ~~gone~~ __u__ C:\\path\\ \n# heading\n> quote\n- item"

func errorFixture() *Report {
	return &Report{
		Event: EventError, Time: fixtureTime, Host: "host-1",
		Title: "Command error: /play", Emoji: "❌", Level: health.Poor,
		Summary: hostile,
		Sections: []Section{
			{Name: "Command", Fields: []Field{
				{Name: "Command", Value: "/play", Inline: true},
				{Name: "Error type", Value: "*errors.errorString", Inline: true},
				{Name: "Duration", Value: "1204 ms", Inline: true},
			}},
			{Name: "Error", Fields: []Field{{Name: "Message", Value: hostile}}},
			{Name: "Context", Fields: []Field{
				{Name: "Guild", Value: "123456789012345678", Inline: true},
				{Name: "Channel", Value: "<#223456789012345678>", Inline: true},
				{Name: "User", Value: "<@323456789012345678>", Inline: true},
			}},
		},
		Data: map[string]any{"command": "play", "error_type": "*errors.errorString", "error_message": hostile, "duration_ms": 1204, "context": map[string]any{"guild_id": "123456789012345678"}, "impact": "low"},
	}
}

func testFixture() *Report {
	return &Report{
		Event: EventTest, Time: fixtureTime, Host: "host-1", Test: true,
		Title: "Reporting test", Emoji: "📨", Level: health.Excellent,
		Summary: "Reports reach this channel. Requested by an administrator.",
		Sections: []Section{{Name: "Delivery", Fields: []Field{
			{Name: "Sender", Value: "bot", Inline: true},
			{Name: "Queue", Value: "0 pending", Inline: true},
		}}},
		Data: map[string]any{"sender": "bot"},
	}
}

// overLimitFixture breaks every limit a report can break.
func overLimitFixture() *Report {
	r := &Report{
		Event: EventSystem, Time: fixtureTime, Host: "host-1." + strings.Repeat("sub.", 100) + "example",
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
		s := Section{Name: fmt.Sprintf("🔥 Section %d", i+1), Fields: []Field{
			{Name: "Value", Value: strings.Repeat("🚨", 2000)},
			{Name: "Disks", Value: strings.Join(disks, "\n")},
		}}
		if i == 0 {
			s.Fields = []Field{{Name: "Disks", Value: strings.Join(disks, "\n")}}
		}
		r.Sections = append(r.Sections, s)
	}
	return r
}

// fixtures are the golden cases of TestRender.
func fixtures() map[string]*Report {
	return map[string]*Report{
		"system":         systemFixture(),
		"network":        networkFixture(),
		"memory":         memoryFixture(),
		"commands":       commandsFixture(),
		"health":         healthFixture(),
		"alert_firing":   alertFixture(true),
		"alert_resolved": alertFixture(false),
		"error_hostile":  errorFixture(),
		"test":           testFixture(),
		"over_limit":     overLimitFixture(),
	}
}

// goldenFile shows a file by size and hash, so goldens stay readable.
type goldenFile struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int    `json:"size"`
	SHA256      string `json:"sha256"`
}

type goldenPayload struct {
	Payload
	Files []goldenFile `json:"files,omitempty"`
}

func goldenJSON(t *testing.T, p Payload) []byte {
	t.Helper()
	g := goldenPayload{Payload: p}
	for _, f := range p.Files {
		sum := sha256.Sum256(f.Data)
		g.Files = append(g.Files, goldenFile{Name: f.Name, ContentType: f.ContentType, Size: len(f.Data), SHA256: hex.EncodeToString(sum[:])})
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// compareGolden compares got with testdata/<dir>/<name>, rewriting the file
// first under -update.
func compareGolden(t *testing.T, dir, name string, got []byte) {
	t.Helper()
	golden := filepath.Join("testdata", dir, name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test ./exporter/discord -run %s -update to accept):\n%s", golden, t.Name(), got)
	}
}

// channelRender renders r as the Reporter posts it with the default
// configuration (discord.silent_reports on), so goldens show the flags.
func channelRender(r *Report) (Payload, error) {
	return NewReporter(Options{SilentReports: true}).Render(r)
}

func TestRender(t *testing.T) {
	t.Parallel()
	for name, r := range fixtures() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p, err := channelRender(r)
			if err != nil {
				t.Fatal(err)
			}
			checkRendered(t, r, p)
			compareGolden(t, "render", name+".golden.json", goldenJSON(t, p))
			compareGolden(t, "render", name+".golden.txt", []byte(RenderConsole(r)+"\n"))

			// The attachment carries the full envelope.
			var got, want any
			if err := json.Unmarshal(p.Files[0].Data, &got); err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(r.Envelope())
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("attachment %s = %v, want the envelope %v", p.Files[0].Name, got, want)
			}
		})
	}
}

var (
	liveMention = regexp.MustCompile(`(?i)<[@#][!&]?\d*>|@everyone|@here`)
	// rendered escapes: every backslash must escape a Markdown character.
	specials = `\*_~` + "`" + `|>#-[]()`
)

// markdownParts returns the parts of p that Discord renders as Markdown.
func markdownParts(p Payload) map[string]string {
	parts := map[string]string{}
	for i, e := range p.Embeds {
		parts[fmt.Sprintf("embeds[%d].title", i)] = e.Title
		parts[fmt.Sprintf("embeds[%d].description", i)] = e.Description
		for j, f := range e.Fields {
			parts[fmt.Sprintf("embeds[%d].fields[%d].name", i, j)] = f.Name
			parts[fmt.Sprintf("embeds[%d].fields[%d].value", i, j)] = f.Value
		}
	}
	return parts
}

// checkRendered asserts the properties every Render result must have.
func checkRendered(t *testing.T, r *Report, p Payload) {
	t.Helper()
	if err := CheckLimits(&p); err != nil {
		t.Fatalf("CheckLimits: %v", err)
	}
	if p.AllowedMentions.Parse == nil || len(p.AllowedMentions.Parse) != 0 {
		t.Fatalf("allowed_mentions.parse = %#v, want an empty list", p.AllowedMentions.Parse)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"parse":[]`)) {
		t.Fatalf("json lacks \"parse\":[]: %.300s", b)
	}
	if len(p.Embeds) != 1 {
		t.Fatalf("%d embeds, want 1", len(p.Embeds))
	}
	e := p.Embeds[0]
	if e.Footer == nil || !utf8.ValidString(e.Footer.Text) {
		t.Fatalf("footer %#v", e.Footer)
	}
	if e.Color != r.Level.Color() {
		t.Errorf("color %#x, want %#x", e.Color, r.Level.Color())
	}
	if len(p.Files) == 0 || p.Files[0].Name != attachmentName(r.Event) || p.Files[0].ContentType != "application/json" {
		t.Fatalf("first file %+v, want %s", p.Files, attachmentName(r.Event))
	}
	for where, s := range markdownParts(p) {
		if !utf8.ValidString(s) {
			t.Fatalf("%s: invalid UTF-8 %q", where, s)
		}
		if m := liveMention.FindString(s); m != "" {
			t.Fatalf("%s: live mention %q in %q", where, m, s)
		}
		for i := 0; i < len(s); i++ {
			if s[i] != '\\' {
				continue
			}
			if i+1 == len(s) || !strings.ContainsRune(specials, rune(s[i+1])) {
				t.Fatalf("%s: dangling backslash at %d in %q", where, i, s)
			}
			i++
		}
	}
}

func TestRender_Errors(t *testing.T) {
	t.Parallel()
	if _, err := Render(nil); err == nil {
		t.Error("Render(nil): no error")
	}
	r := testFixture()
	r.Data = map[string]any{"f": func() {}}
	if _, err := Render(r); err == nil || !strings.Contains(err.Error(), "test_message.json") {
		t.Errorf("Render(unmarshalable data) = %v, want an error naming test_message.json", err)
	}
}

// fieldValue returns the value of the embed field named name.
func fieldValue(t *testing.T, p Payload, name string) string {
	t.Helper()
	for _, f := range p.Embeds[0].Fields {
		if f.Name == name {
			return f.Value
		}
	}
	t.Fatalf("no field %q in %+v", name, p.Embeds[0].Fields)
	return ""
}

var moreRe = regexp.MustCompile(`… \+(\d+) more (lines|characters|fields)`)

// moreCount returns N of the last "… +N more <unit>" in s, or -1.
func moreCount(s, unit string) int {
	n := -1
	for _, m := range moreRe.FindAllStringSubmatch(s, -1) {
		if m[2] == unit {
			n, _ = strconv.Atoi(m[1])
		}
	}
	return n
}

func TestRender_Truncation(t *testing.T) {
	t.Parallel()
	family := "👨‍👩‍👧"
	tests := []struct {
		name  string
		r     *Report
		check func(t *testing.T, p Payload)
	}{
		{
			name: "title cut with ellipsis",
			r:    &Report{Event: EventAlert, Title: strings.Repeat("x", 300), Emoji: "🚨"},
			check: func(t *testing.T, p Payload) {
				title := p.Embeds[0].Title
				if n := utf8.RuneCountInString(title); n != discordapi.MaxTitle || !strings.HasSuffix(title, "…") || !strings.HasPrefix(title, "🚨 xxx") {
					t.Errorf("title %q (%d code points)", title, n)
				}
			},
		},
		{
			name: "test title keeps its prefix",
			r:    &Report{Event: EventTest, Title: strings.Repeat("_", 300), Test: true},
			check: func(t *testing.T, p Payload) {
				title := p.Embeds[0].Title
				if !strings.HasPrefix(title, "🧪 TEST · \\_") || utf8.RuneCountInString(title) > discordapi.MaxTitle || !strings.HasSuffix(title, `\_…`) {
					t.Errorf("title %q", title)
				}
			},
		},
		{
			name: "backslashes are never left dangling",
			r:    &Report{Event: EventError, Sections: []Section{{Name: "Trace", Fields: []Field{{Name: "Path", Value: strings.Repeat(`\`, 3000)}}}}},
			check: func(t *testing.T, p Payload) {
				v := fieldValue(t, p, "Trace")
				kept, _, ok := strings.Cut(strings.TrimPrefix(v, "**Path**: "), "…")
				if !ok || strings.Trim(kept, `\`) != "" || len(kept)%2 != 0 {
					t.Fatalf("value %q", v)
				}
				if n := moreCount(v, "characters"); n != 3000-len(kept)/2 {
					t.Errorf("+%d more characters, want %d", n, 3000-len(kept)/2)
				}
			},
		},
		{
			name: "emoji sequences are cut whole",
			r:    &Report{Event: EventSystem, Sections: []Section{{Name: "Family", Fields: []Field{{Value: strings.Repeat(family, 1000)}}}}},
			check: func(t *testing.T, p Payload) {
				v := fieldValue(t, p, "Family")
				kept, _, _ := strings.Cut(v, "…")
				if kept == "" || strings.ReplaceAll(kept, family, "") != "" {
					t.Fatalf("value %q does not keep whole families", v)
				}
				if n, want := moreCount(v, "characters"), 5*(1000-strings.Count(kept, family)); n != want {
					t.Errorf("+%d more characters, want %d", n, want)
				}
			},
		},
		{
			name: "flags are cut whole",
			r:    &Report{Event: EventSystem, Summary: strings.Repeat("🇩🇪🇫🇷x", 2000)},
			check: func(t *testing.T, p Payload) {
				d := p.Embeds[0].Description
				kept, _, _ := strings.Cut(d, "…")
				if strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(kept, "🇩🇪", ""), "🇫🇷", ""), "x", "") != "" {
					t.Fatalf("description splits a flag: %q", d[len(d)-80:])
				}
				if utf8.RuneCountInString(d) > discordapi.MaxDescription {
					t.Errorf("description has %d code points", utf8.RuneCountInString(d))
				}
			},
		},
		{
			name: "long summary gets the room the fields leave",
			r: &Report{Event: EventSystem, Summary: strings.Repeat("a", 5000),
				Sections: []Section{{Name: "CPU", Fields: []Field{{Name: "Usage", Value: "1 %"}}}}},
			check: func(t *testing.T, p Payload) {
				d := p.Embeds[0].Description
				if n := utf8.RuneCountInString(d); n < discordapi.MaxDescription-5 || n > discordapi.MaxDescription {
					t.Errorf("description has %d code points, want about %d", n, discordapi.MaxDescription)
				}
				kept, _, _ := strings.Cut(d, "…")
				if n := moreCount(d, "characters"); n != 5000-len(kept) {
					t.Errorf("+%d more characters, want %d", n, 5000-len(kept))
				}
				if v := fieldValue(t, p, "CPU"); v != "**Usage**: 1 %" {
					t.Errorf("field %q", v)
				}
			},
		},
		{
			name: "many lines keep whole lines",
			r: func() *Report {
				var lines []string
				for i := range 500 {
					lines = append(lines, fmt.Sprintf("/mnt/d%03d 50 %%", i))
				}
				return &Report{Event: EventSystem, Sections: []Section{{Name: "Disk", Fields: []Field{{Name: "Filesystems", Value: strings.Join(lines, "\n")}}}}}
			}(),
			check: func(t *testing.T, p Payload) {
				v := fieldValue(t, p, "Disk")
				lines := strings.Split(v, "\n")
				if lines[0] != "**Filesystems**:" || lines[1] != `/mnt/d000 50 %` {
					t.Fatalf("value starts %q", lines[:2])
				}
				shown := len(lines) - 2 // header and "… +N more lines"
				if n := moreCount(v, "lines"); n != 500-shown {
					t.Errorf("+%d more lines after %d shown, want %d", n, shown, 500-shown)
				}
				if utf8.RuneCountInString(v) > discordapi.MaxFieldValue {
					t.Errorf("value has %d code points", utf8.RuneCountInString(v))
				}
			},
		},
		{
			name: "more than 25 sections",
			r: func() *Report {
				r := &Report{Event: EventCommands}
				for i := range 30 {
					r.Sections = append(r.Sections, Section{Name: fmt.Sprintf("S%d", i), Fields: []Field{{Name: "n", Value: strconv.Itoa(i)}}})
				}
				return r
			}(),
			check: func(t *testing.T, p Payload) {
				fs := p.Embeds[0].Fields
				if len(fs) != discordapi.MaxFields || fs[23].Name != "S23" {
					t.Fatalf("%d fields, 24th %q", len(fs), fs[min(23, len(fs)-1)].Name)
				}
				if last := fs[24]; last.Name != "✂️ Truncated" || last.Value != `… +6 more fields — full data in command\_performance\_analysis.json` {
					t.Errorf("last field %+v", last)
				}
			},
		},
		{
			name: "fields share the 6000 total, cut one visibly and drop the rest",
			r: func() *Report {
				r := &Report{Event: EventMemory, Summary: "short"}
				for i := range 10 {
					r.Sections = append(r.Sections, Section{Name: fmt.Sprintf("S%d", i), Fields: []Field{{Value: strings.Repeat("m", 900)}}})
				}
				return r
			}(),
			check: func(t *testing.T, p Payload) {
				fs := p.Embeds[0].Fields
				last := fs[len(fs)-1]
				if want := fmt.Sprintf("… +%d more fields", 10-(len(fs)-1)); !strings.HasPrefix(last.Value, want) {
					t.Errorf("last field %q, want prefix %q", last.Value, want)
				}
				cut := fs[len(fs)-2]
				if !strings.Contains(cut.Value, "more characters") {
					t.Errorf("field before the notice %q is not cut visibly", cut.Value)
				}
			},
		},
		{
			name: "blank names and values become a dash",
			r: &Report{Event: EventSystem, Emoji: " ", Title: "\t", Host: "\x00", Summary: " \n ",
				Sections: []Section{{Name: "  ", Fields: []Field{{Name: "Empty", Value: " \t"}, {Name: " ", Value: "plain"}}}, {Name: "No fields"}}},
			check: func(t *testing.T, p Payload) {
				e := p.Embeds[0]
				if e.Title != "—" || e.Description != "" || e.Footer.Text != "nexusmon" {
					t.Errorf("title %q, description %q, footer %q", e.Title, e.Description, e.Footer.Text)
				}
				if e.Fields[0].Name != "—" || e.Fields[0].Value != "**Empty**: —\nplain" {
					t.Errorf("field %+v", e.Fields[0])
				}
				if e.Fields[1].Value != "—" {
					t.Errorf("section without fields %+v", e.Fields[1])
				}
			},
		},
		{
			name: "image from an attached png",
			r: &Report{Event: EventHealth, Image: "chart.png",
				Files: []File{{Name: "notes.txt", Data: []byte("x")}, {Name: "chart.png", ContentType: "image/png", Data: pngLike(64)}}},
			check: func(t *testing.T, p Payload) {
				if img := p.Embeds[0].Image; img == nil || img.URL != "attachment://chart.png" {
					t.Errorf("image %+v", img)
				}
				if len(p.Files) != 3 || p.Files[1].Name != "notes.txt" || p.Files[2].Name != "chart.png" {
					t.Errorf("files %+v", p.Files)
				}
			},
		},
		{
			name: "no image for a missing or non-image file",
			r:    &Report{Event: EventHealth, Image: "notes.txt", Files: []File{{Name: "notes.txt", Data: []byte("x")}}},
			check: func(t *testing.T, p Payload) {
				if img := p.Embeds[0].Image; img != nil {
					t.Errorf("image %+v", img)
				}
			},
		},
		{
			name: "files beyond Discord's limits are left out visibly",
			r: func() *Report {
				r := &Report{Event: EventHealth, Image: "big.png"}
				r.Files = append(r.Files, File{Name: "big.png", Data: make([]byte, discordapi.MaxFileSize+1)})
				for i := range 11 {
					r.Files = append(r.Files, File{Name: fmt.Sprintf("f%d.txt", i), Data: []byte("x")})
				}
				return r
			}(),
			check: func(t *testing.T, p Payload) {
				if len(p.Files) != discordapi.MaxFiles || p.Files[1].Name != "f0.txt" || p.Files[9].Name != "f8.txt" {
					t.Errorf("files %d, want the JSON and f0..f8", len(p.Files))
				}
				if p.Embeds[0].Image != nil {
					t.Error("image set for a file that was left out")
				}
				if v := fieldValue(t, p, "✂️ Truncated"); v != "… +3 attachments left out (over Discord's limits)" {
					t.Errorf("notice %q", v)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := Render(tt.r)
			if err != nil {
				t.Fatal(err)
			}
			checkRendered(t, tt.r, p)
			tt.check(t, p)
		})
	}
}

// randomText returns text mixing what breaks renderers: mentions,
// Markdown, emoji sequences, invalid UTF-8, control characters, newlines.
func randomText(rng *rand.Rand) string {
	pieces := []string{
		"@everyone", "@here", "<@123>", "<@!456>", "<@&789>", "<#101112>", "@", "<", ">", "**", "__", "`", "```",
		`\`, "||", "~~", "#", "-", "[x](https://e.example)", "👨‍👩‍👧", "🇩🇪", "1️⃣", "👍🏽", "e\u0301", "\xff\xfe",
		"\x1b[31m", "\u202e", "\u200b", "\n", "\r\n", "\t", " ", "a", "word ", "ñ", "—", "…", "12.5 %",
	}
	n := rng.IntN(12)
	switch rng.IntN(10) {
	case 0:
		n = rng.IntN(3000)
	case 1:
		n = 0
	}
	var b strings.Builder
	for range n {
		b.WriteString(pieces[rng.IntN(len(pieces))])
	}
	return b.String()
}

// buildReport builds a report from the fuzzer's or rng's inputs.
func buildReport(title, summary, host, name, value string, sections, fields, repeat int, test bool) *Report {
	if len(value) > 64 {
		value = value[:64]
	}
	value = strings.Repeat(value, repeat)
	r := &Report{
		Event: EventHealth, Time: fixtureTime, Title: title, Emoji: "🩺", Host: host, Summary: summary,
		Level: health.Level(len(title) % 5), Test: test, Data: map[string]string{"title": title, "value": value},
	}
	for i := range sections {
		s := Section{Name: name}
		for j := range fields {
			s.Fields = append(s.Fields, Field{Name: name, Value: value, Inline: (i+j)%2 == 0})
		}
		r.Sections = append(r.Sections, s)
	}
	return r
}

func TestRender_Random(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		r := buildReport(randomText(rng), randomText(rng), randomText(rng), randomText(rng), randomText(rng),
			rng.IntN(35), rng.IntN(10), 1+rng.IntN(8)*rng.IntN(8), rng.IntN(2) == 0)
		if i%10 == 0 {
			line := randomText(rng)
			line = line[:min(len(line), 80)]
			r.Sections = append(r.Sections, Section{Name: randomText(rng), Fields: []Field{{Name: randomText(rng), Value: strings.Repeat(line+"\n", 1+rng.IntN(300))}}})
		}
		p, err := Render(r)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		checkRendered(t, r, p)
		if s := RenderConsole(r); !utf8.ValidString(s) || strings.ContainsAny(s, "\x1b\r\u202e") {
			t.Fatalf("case %d: console output %q", i, s)
		}
	}
}

func FuzzRender(f *testing.F) {
	f.Add("Detailed System Monitor", "CPU 12.5 %", "host-1", "Usage", "12.5 %", uint8(7), uint8(4), uint16(1), false)
	f.Add(hostile, hostile, "<@123>", "@here", hostile, uint8(3), uint8(3), uint16(2), true)
	f.Add(strings.Repeat("👨‍👩‍👧", 100), strings.Repeat("🔥", 5000), "h", "🇩🇪🇫🇷", "👍🏽1️⃣", uint8(30), uint8(9), uint16(400), false)
	f.Add("\xff\xfe\x1b[31m", "a\r\nb\u202ec", "\x00", "\\", strings.Repeat(`\`, 64), uint8(26), uint8(1), uint16(1500), true)
	f.Add("", "", "", "", "", uint8(0), uint8(0), uint16(0), false)
	f.Add(" ", "\n\n", "\t", " ", "\n", uint8(2), uint8(2), uint16(3), false)
	f.Add("t", "s", "h", "n", "line\n", uint8(1), uint8(1), uint16(1200), false)
	f.Fuzz(func(t *testing.T, title, summary, host, name, value string, sections, fields uint8, repeat uint16, test bool) {
		r := buildReport(title, summary, host, name, value, int(sections%35), int(fields%10), int(repeat%1500), test)
		p, err := Render(r)
		if err != nil {
			t.Fatal(err)
		}
		checkRendered(t, r, p)
	})
}
