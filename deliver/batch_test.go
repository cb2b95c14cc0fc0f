package deliver

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/nexusmon/nexusmon/internal/discordapi"
	"github.com/nexusmon/nexusmon/internal/reporttest"
	"github.com/nexusmon/nexusmon/render"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// smallPayload is a one-embed payload titled title with a file named
// title+".json".
func smallPayload(title string) render.Payload {
	return render.Payload{
		Embeds:          []render.Embed{{Title: title, Description: "d", Footer: &render.EmbedFooter{Text: "nexusmon · host-1"}}},
		AllowedMentions: render.NoMentions(),
		Files:           []reportdata.File{{Name: title + ".json", ContentType: "application/json", Data: []byte(`{}`)}},
	}
}

// titles lists the embed titles of each message.
func titles(ps []render.Payload) [][]string {
	var out [][]string
	for _, p := range ps {
		var ts []string
		for _, e := range p.Embeds {
			ts = append(ts, e.Title)
		}
		out = append(out, ts)
	}
	return out
}

func TestBatch(t *testing.T) {
	t.Parallel()
	atTotal := smallPayload("big") // exactly 6000 code points on its own
	atTotal.Embeds[0].Description = strings.Repeat("d", discordapi.MaxDescription)
	rest := discordapi.MaxEmbedTotal - utf8.RuneCountInString("big"+"nexusmon · host-1") - discordapi.MaxDescription - 2 // two field names "n"
	atTotal.Embeds[0].Fields = []render.EmbedField{{Name: "n", Value: strings.Repeat("v", discordapi.MaxFieldValue)}, {Name: "n", Value: strings.Repeat("v", rest-discordapi.MaxFieldValue)}}
	if err := render.CheckLimits(&atTotal); err != nil {
		t.Fatal(err)
	}
	tenEmbeds := render.Payload{AllowedMentions: render.NoMentions()}
	for i := range discordapi.MaxEmbeds {
		tenEmbeds.Embeds = append(tenEmbeds.Embeds, render.Embed{Title: fmt.Sprintf("e%d", i)})
	}
	tenFiles := smallPayload("files")
	for i := range discordapi.MaxFiles - 1 {
		tenFiles.Files = append(tenFiles.Files, reportdata.File{Name: fmt.Sprintf("f%d.txt", i), Data: []byte("x")})
	}
	ephemeral := smallPayload("eph")
	ephemeral.Flags = 64
	twelve := make([]render.Payload, 12)
	for i := range twelve {
		twelve[i] = smallPayload(fmt.Sprintf("p%02d", i))
	}

	tests := []struct {
		name string
		in   []render.Payload
		want [][]string
	}{
		{"empty", nil, nil},
		{"one", []render.Payload{smallPayload("a")}, [][]string{{"a"}}},
		{"small ones merge in order", []render.Payload{smallPayload("a"), smallPayload("b"), smallPayload("c")}, [][]string{{"a", "b", "c"}}},
		{"at most 10 embeds", twelve, [][]string{
			{"p00", "p01", "p02", "p03", "p04", "p05", "p06", "p07", "p08", "p09"}, {"p10", "p11"}}},
		{"at the total limit stays alone", []render.Payload{smallPayload("a"), atTotal, smallPayload("b")}, [][]string{{"a"}, {"big"}, {"b"}}},
		{"ten embeds stay together and alone", []render.Payload{smallPayload("a"), tenEmbeds, smallPayload("b")}, [][]string{
			{"a"}, {"e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9"}, {"b"}}},
		{"ten files stay alone", []render.Payload{smallPayload("a"), tenFiles, smallPayload("b")}, [][]string{{"a"}, {"files"}, {"b"}}},
		{"file name collision", []render.Payload{smallPayload("a"), smallPayload("a")}, [][]string{{"a"}, {"a"}}},
		{"different flags", []render.Payload{smallPayload("a"), ephemeral, smallPayload("b")}, [][]string{{"a"}, {"eph"}, {"b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before := titles(tt.in)
			got := Batch(tt.in)
			if g := titles(got); fmt.Sprint(g) != fmt.Sprint(tt.want) {
				t.Fatalf("Batch = %v, want %v", g, tt.want)
			}
			if fmt.Sprint(titles(tt.in)) != fmt.Sprint(before) {
				t.Errorf("Batch modified its input: %v", titles(tt.in))
			}
			var files []string
			for _, p := range tt.in {
				for _, f := range p.Files {
					files = append(files, f.Name)
				}
			}
			var gotFiles []string
			for i, p := range got {
				if err := render.CheckLimits(&p); err != nil {
					t.Errorf("message %d: %v", i, err)
				}
				for _, f := range p.Files {
					gotFiles = append(gotFiles, f.Name)
				}
			}
			if !slices.Equal(files, gotFiles) {
				t.Errorf("files %v, want %v in order", gotFiles, files)
			}
		})
	}
}

func TestBatch_Content(t *testing.T) {
	t.Parallel()
	a, b := smallPayload("a"), smallPayload("b")
	a.Content, b.Content = "first", "second"
	if got := Batch([]render.Payload{a, b}); len(got) != 1 || got[0].Content != "first\nsecond" {
		t.Errorf("Batch content = %+v", got)
	}
	a.Content = strings.Repeat("c", discordapi.MaxContent-3)
	if got := Batch([]render.Payload{a, b}); len(got) != 2 {
		t.Errorf("content over 2000 merged: %d messages", len(got))
	}
}

func TestBatch_RenderedReports(t *testing.T) {
	t.Parallel()
	var ps []render.Payload
	for _, r := range []*reportdata.Report{reporttest.SystemFixture(), reporttest.NetworkFixture(), reporttest.MemoryFixture(), reporttest.AlertFixture(true), reporttest.OverLimitFixture(), reporttest.HealthFixture()} {
		p, err := render.Render(r)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	got := Batch(ps)
	// system+network+memory+alert fit one message; the over-limit report
	// (6000 code points) stands alone; health follows on its own.
	want := [][]string{
		{"🖥️ Detailed System Monitor", "🌐 Network Performance", "🧠 Memory Performance", "🚨 CRITICAL: cpu\\_high firing"},
		{ps[4].Embeds[0].Title},
		{"🩺 Comprehensive Health Report"},
	}
	if g := titles(got); fmt.Sprint(g) != fmt.Sprint(want) {
		t.Fatalf("Batch = %q, want %q", g, want)
	}
	for i, p := range got {
		if err := render.CheckLimits(&p); err != nil {
			t.Errorf("message %d: %v", i, err)
		}
	}
}
