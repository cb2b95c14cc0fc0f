package render

import (
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/nexusmon/nexusmon/report/reportdata"
)

// ConsoleWriter writes reports to W as RenderConsole text, one report and a
// newline per write: the Reporter's Options.Console.
type ConsoleWriter struct{ W io.Writer }

// WriteReport writes RenderConsole(rep) and a newline.
func (c ConsoleWriter) WriteReport(rep *reportdata.Report) error {
	_, err := io.WriteString(c.W, RenderConsole(rep)+"\n")
	return err
}

// RenderConsole returns r as human-readable text for stdout, without a
// trailing newline:
//
//	=== 🖥️ Detailed System Monitor · host-1 · 2026-11-27T10:30:00Z ===
//	Status: 🟢 Excellent
//	CPU 12.5 % · Memory 41.0 %
//	🧮 CPU
//	  Usage: 12.5 %
//	  Filesystems:
//	    / 40.0 % (60.0 GiB free)
//	Attachment: health.png (image/png, 2048 bytes)
//
// Test reports start "=== 🧪 TEST · ". Nothing is cut or escaped (the console
// has no limits and no Markdown), but dynamic text is cleaned: control
// characters (so no ANSI escape sequences) and bidi overrides are dropped,
// invalid UTF-8 is replaced, and names and titles stay on one line. A nil
// report renders as "".
func RenderConsole(r *reportdata.Report) string {
	if r == nil {
		return ""
	}
	var b strings.Builder
	b.Grow(512)
	b.WriteString("=== ")
	if r.Test {
		b.WriteString(testPrefix)
	}
	head := strings.TrimSpace(cleanText(r.Emoji, true) + " " + cleanText(r.Title, true))
	if head == "" {
		head = emptyText
	}
	b.WriteString(head)
	if host := strings.TrimSpace(cleanText(r.Host, true)); host != "" {
		b.WriteString(" · ")
		b.WriteString(host)
	}
	if !r.Time.IsZero() {
		b.WriteString(" · ")
		b.WriteString(r.Time.UTC().Format(time.RFC3339))
	}
	b.WriteString(" ===\nStatus: ")
	b.WriteString(r.Level.Emoji())
	b.WriteByte(' ')
	b.WriteString(r.Level.String())
	if s := strings.TrimSpace(cleanText(r.Summary, false)); s != "" {
		b.WriteByte('\n')
		b.WriteString(s)
	}
	for _, sec := range r.Sections {
		b.WriteByte('\n')
		name := strings.TrimSpace(cleanText(sec.Name, true))
		if name == "" {
			name = emptyText
		}
		b.WriteString(name)
		blk := prepareBlock(sec.Fields)
		for ln := range blk.all() {
			b.WriteByte('\n')
			if ln.label == "" && !ln.blank && isBlank(ln.text) {
				continue // a blank line inside a value: no trailing spaces
			}
			b.WriteString("  ")
			if ln.under {
				b.WriteString("  ")
			}
			if ln.label != "" {
				b.WriteString(cleanText(ln.label, true))
				b.WriteByte(':')
				if ln.header {
					continue
				}
				b.WriteByte(' ')
			}
			if ln.blank {
				b.WriteString(emptyText)
				continue
			}
			b.WriteString(cleanText(ln.text, true))
		}
	}
	for _, f := range r.Files {
		b.WriteString("\nAttachment: ")
		b.WriteString(strings.TrimSpace(cleanText(f.Name, true)))
		b.WriteString(" (")
		if ct := strings.TrimSpace(cleanText(f.ContentType, true)); ct != "" {
			b.WriteString(ct)
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(len(f.Data)))
		b.WriteString(" bytes)")
	}
	return b.String()
}
