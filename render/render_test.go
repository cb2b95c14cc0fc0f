package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/internal/discordapi"
	"github.com/nexusmon/nexusmon/internal/goldentest"
	"github.com/nexusmon/nexusmon/internal/reporttest"
	"github.com/nexusmon/nexusmon/report"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

type goldenPayload struct {
	Payload
	Files []goldentest.File `json:"files,omitempty"`
}

func goldenJSON(t *testing.T, p Payload) []byte {
	t.Helper()
	g := goldenPayload{Payload: p}
	for _, f := range p.Files {
		g.Files = append(g.Files, goldentest.HashFile(f.Name, f.ContentType, f.Data))
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
	goldentest.Compare(t, "./render", dir, name, got)
}

// channelRender renders r as the Reporter posts it with the default
// configuration (discord.silent_reports on), so goldens show the flags.
func channelRender(r *reportdata.Report) (Payload, error) {
	return Render(report.NewReporter(report.Options{SilentReports: true}).ForChannel(r))
}

func TestRender(t *testing.T) {
	t.Parallel()
	for name, r := range reporttest.Fixtures() {
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
func checkRendered(t *testing.T, r *reportdata.Report, p Payload) {
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
	if len(p.Files) == 0 || p.Files[0].Name != reportdata.AttachmentName(r.Event) || p.Files[0].ContentType != "application/json" {
		t.Fatalf("first file %+v, want %s", p.Files, reportdata.AttachmentName(r.Event))
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
	r := reporttest.TestFixture()
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
		r     *reportdata.Report
		check func(t *testing.T, p Payload)
	}{
		{
			name: "title cut with ellipsis",
			r:    &reportdata.Report{Event: reportdata.EventAlert, Title: strings.Repeat("x", 300), Emoji: "🚨"},
			check: func(t *testing.T, p Payload) {
				title := p.Embeds[0].Title
				if n := utf8.RuneCountInString(title); n != discordapi.MaxTitle || !strings.HasSuffix(title, "…") || !strings.HasPrefix(title, "🚨 xxx") {
					t.Errorf("title %q (%d code points)", title, n)
				}
			},
		},
		{
			name: "test title keeps its prefix",
			r:    &reportdata.Report{Event: reportdata.EventTest, Title: strings.Repeat("_", 300), Test: true},
			check: func(t *testing.T, p Payload) {
				title := p.Embeds[0].Title
				if !strings.HasPrefix(title, "🧪 TEST · \\_") || utf8.RuneCountInString(title) > discordapi.MaxTitle || !strings.HasSuffix(title, `\_…`) {
					t.Errorf("title %q", title)
				}
			},
		},
		{
			name: "backslashes are never left dangling",
			r:    &reportdata.Report{Event: reportdata.EventError, Sections: []reportdata.Section{{Name: "Trace", Fields: []reportdata.Field{{Name: "Path", Value: strings.Repeat(`\`, 3000)}}}}},
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
			r:    &reportdata.Report{Event: reportdata.EventSystem, Sections: []reportdata.Section{{Name: "Family", Fields: []reportdata.Field{{Value: strings.Repeat(family, 1000)}}}}},
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
			r:    &reportdata.Report{Event: reportdata.EventSystem, Summary: strings.Repeat("🇩🇪🇫🇷x", 2000)},
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
			r: &reportdata.Report{Event: reportdata.EventSystem, Summary: strings.Repeat("a", 5000),
				Sections: []reportdata.Section{{Name: "CPU", Fields: []reportdata.Field{{Name: "Usage", Value: "1 %"}}}}},
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
			r: func() *reportdata.Report {
				var lines []string
				for i := range 500 {
					lines = append(lines, fmt.Sprintf("/mnt/d%03d 50 %%", i))
				}
				return &reportdata.Report{Event: reportdata.EventSystem, Sections: []reportdata.Section{{Name: "Disk", Fields: []reportdata.Field{{Name: "Filesystems", Value: strings.Join(lines, "\n")}}}}}
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
			r: func() *reportdata.Report {
				r := &reportdata.Report{Event: reportdata.EventCommands}
				for i := range 30 {
					r.Sections = append(r.Sections, reportdata.Section{Name: fmt.Sprintf("S%d", i), Fields: []reportdata.Field{{Name: "n", Value: strconv.Itoa(i)}}})
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
			r: func() *reportdata.Report {
				r := &reportdata.Report{Event: reportdata.EventMemory, Summary: "short"}
				for i := range 10 {
					r.Sections = append(r.Sections, reportdata.Section{Name: fmt.Sprintf("S%d", i), Fields: []reportdata.Field{{Value: strings.Repeat("m", 900)}}})
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
			r: &reportdata.Report{Event: reportdata.EventSystem, Emoji: " ", Title: "\t", Host: "\x00", Summary: " \n ",
				Sections: []reportdata.Section{{Name: "  ", Fields: []reportdata.Field{{Name: "Empty", Value: " \t"}, {Name: " ", Value: "plain"}}}, {Name: "No fields"}}},
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
			r: &reportdata.Report{Event: reportdata.EventHealth, Image: "chart.png",
				Files: []reportdata.File{{Name: "notes.txt", Data: []byte("x")}, {Name: "chart.png", ContentType: "image/png", Data: reporttest.PngLike(64)}}},
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
			r:    &reportdata.Report{Event: reportdata.EventHealth, Image: "notes.txt", Files: []reportdata.File{{Name: "notes.txt", Data: []byte("x")}}},
			check: func(t *testing.T, p Payload) {
				if img := p.Embeds[0].Image; img != nil {
					t.Errorf("image %+v", img)
				}
			},
		},
		{
			name: "files beyond Discord's limits are left out visibly",
			r: func() *reportdata.Report {
				r := &reportdata.Report{Event: reportdata.EventHealth, Image: "big.png"}
				r.Files = append(r.Files, reportdata.File{Name: "big.png", Data: make([]byte, discordapi.MaxFileSize+1)})
				for i := range 11 {
					r.Files = append(r.Files, reportdata.File{Name: fmt.Sprintf("f%d.txt", i), Data: []byte("x")})
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
func buildReport(title, summary, host, name, value string, sections, fields, repeat int, test bool) *reportdata.Report {
	if len(value) > 64 {
		value = value[:64]
	}
	value = strings.Repeat(value, repeat)
	r := &reportdata.Report{
		Event: reportdata.EventHealth, Time: reporttest.FixtureTime, Title: title, Emoji: "🩺", Host: host, Summary: summary,
		Level: health.Level(len(title) % 5), Test: test, Data: map[string]string{"title": title, "value": value},
	}
	for i := range sections {
		s := reportdata.Section{Name: name}
		for j := range fields {
			s.Fields = append(s.Fields, reportdata.Field{Name: name, Value: value, Inline: (i+j)%2 == 0})
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
			r.Sections = append(r.Sections, reportdata.Section{Name: randomText(rng), Fields: []reportdata.Field{{Name: randomText(rng), Value: strings.Repeat(line+"\n", 1+rng.IntN(300))}}})
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
	f.Add(reporttest.Hostile, reporttest.Hostile, "<@123>", "@here", reporttest.Hostile, uint8(3), uint8(3), uint16(2), true)
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
