package render

import (
	"errors"
	"strings"
	"testing"

	"github.com/nexusmon/nexusmon/internal/discordapi"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// validPayload returns a small payload that passes CheckLimits.
func validPayload() Payload {
	return Payload{
		Embeds: []Embed{{
			Title:       "🖥️ Detailed System Monitor",
			Description: "CPU 12.5 %",
			Color:       0x2ECC71,
			Fields:      []EmbedField{{Name: "CPU", Value: "**Usage**: 12.5 %", Inline: true}},
			Footer:      &EmbedFooter{Text: "nexusmon · host-1"},
		}},
		AllowedMentions: NoMentions(),
		Files:           []reportdata.File{{Name: "detailed_system_monitoring.json", ContentType: "application/json", Data: []byte(`{}`)}},
	}
}

func TestCheckLimits(t *testing.T) {
	t.Parallel()
	fields := func(n int) []EmbedField {
		fs := make([]EmbedField, n)
		for i := range fs {
			fs[i] = EmbedField{Name: "n", Value: "v"}
		}
		return fs
	}
	files := func(n, size int) []reportdata.File {
		fs := make([]reportdata.File, n)
		for i := range fs {
			fs[i] = reportdata.File{Name: "f" + strings.Repeat("x", i) + ".bin", Data: make([]byte, size)}
		}
		return fs
	}
	tests := []struct {
		name   string
		mutate func(p *Payload)
		path   string // the one LimitError expected; "" for none
	}{
		{"valid", func(p *Payload) {}, ""},
		{"code points, not bytes", func(p *Payload) { p.Embeds[0].Title = strings.Repeat("👨‍👩‍👧", 51) }, ""}, // 255 code points, 918 bytes
		{"trimmed whitespace does not count", func(p *Payload) { p.Embeds[0].Title = "  " + strings.Repeat("t", 256) + "\n " }, ""},
		{"content", func(p *Payload) { p.Content = strings.Repeat("c", discordapi.MaxContent+1) }, "content"},
		{"embeds", func(p *Payload) {
			for range discordapi.MaxEmbeds {
				p.Embeds = append(p.Embeds, Embed{Title: "t"})
			}
		}, "embeds"},
		{"title", func(p *Payload) { p.Embeds[0].Title = strings.Repeat("é", discordapi.MaxTitle+1) }, "embeds[0].title"},
		{"description", func(p *Payload) { p.Embeds[0].Description = strings.Repeat("d", discordapi.MaxDescription+1) }, "embeds[0].description"},
		{"fields", func(p *Payload) { p.Embeds[0].Fields = fields(discordapi.MaxFields + 1) }, "embeds[0].fields"},
		{"field name", func(p *Payload) { p.Embeds[0].Fields[0].Name = strings.Repeat("n", discordapi.MaxFieldName+1) }, "embeds[0].fields[0].name"},
		{"field value", func(p *Payload) { p.Embeds[0].Fields[0].Value = strings.Repeat("v", discordapi.MaxFieldValue+1) }, "embeds[0].fields[0].value"},
		{"empty field name", func(p *Payload) { p.Embeds[0].Fields[0].Name = "" }, "embeds[0].fields[0].name"},
		{"blank field value", func(p *Payload) { p.Embeds[0].Fields[0].Value = " \n\t" }, "embeds[0].fields[0].value"},
		{"footer", func(p *Payload) { p.Embeds[0].Footer.Text = strings.Repeat("f", discordapi.MaxFooter+1) }, "embeds[0].footer.text"},
		{"author", func(p *Payload) { p.Embeds[0].Author = &EmbedAuthor{Name: strings.Repeat("a", discordapi.MaxAuthor+1)} }, "embeds[0].author.name"},
		{"total across embeds", func(p *Payload) {
			// 2 × 3000 descriptions plus the first embed's other text.
			p.Embeds[0].Description = strings.Repeat("d", 3000)
			p.Embeds = append(p.Embeds, Embed{Description: strings.Repeat("d", 3000)})
		}, "embeds (total)"},
		{"files", func(p *Payload) { p.Files = files(discordapi.MaxFiles+1, 1) }, "files"},
		{"file size", func(p *Payload) { p.Files = files(1, discordapi.MaxFileSize+1) }, "files[0]"},
		{"request size", func(p *Payload) { p.Files = files(3, 9<<20) }, "request"},
		{"parse missing", func(p *Payload) { p.AllowedMentions = AllowedMentions{} }, "allowed_mentions.parse"},
		{"parse everyone", func(p *Payload) { p.AllowedMentions.Parse = []string{"everyone"} }, "allowed_mentions.parse"},
		{"invalid UTF-8", func(p *Payload) { p.Embeds[0].Description = "ok \xff" }, "embeds[0].description"},
		{"color", func(p *Payload) { p.Embeds[0].Color = 0x1000000 }, "embeds[0].color"},
		{"empty message", func(p *Payload) { p.Embeds, p.Files = nil, nil }, "payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := validPayload()
			tt.mutate(&p)
			err := CheckLimits(&p)
			if tt.path == "" {
				if err != nil {
					t.Fatalf("CheckLimits = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckLimits = nil, want a violation of %s", tt.path)
			}
			joined, ok := err.(interface{ Unwrap() []error })
			if !ok || len(joined.Unwrap()) != 1 {
				t.Fatalf("CheckLimits = %v, want exactly one violation", err)
			}
			var le *LimitError
			if !errors.As(err, &le) || le.Path != tt.path {
				t.Fatalf("CheckLimits = %v, want a *LimitError at %s", err, tt.path)
			}
			if !strings.HasPrefix(err.Error(), tt.path+": ") {
				t.Errorf("message %q does not name %s", err, tt.path)
			}
		})
	}
}

func TestCheckLimits_ReportsEvery(t *testing.T) {
	t.Parallel()
	p := validPayload()
	p.Content = strings.Repeat("c", discordapi.MaxContent+1)
	p.Embeds[0].Title = strings.Repeat("t", discordapi.MaxTitle+1)
	p.AllowedMentions.Parse = nil
	err := CheckLimits(&p)
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok || len(joined.Unwrap()) != 3 {
		t.Fatalf("CheckLimits = %v, want three violations", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "content: too long: 2001 > 2000") || !strings.Contains(msg, "embeds[0].title: too long: 257 > 256") {
		t.Errorf("message %q", msg)
	}
	if CheckLimits(nil) == nil {
		t.Error("CheckLimits(nil) = nil")
	}
}
