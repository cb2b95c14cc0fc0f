package render

import (
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nexusmon/nexusmon/internal/discordapi"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// How Render fits a report into one Discord message.
//
// Layout: one embed per report. Title "<emoji> <title>" (prefixed
// "🧪 TEST · " for test reports), description = Summary, colour =
// Level.Color(), footer "nexusmon · <host>", timestamp = Time. Each Section
// becomes one embed field named after the section, its Fields rendered as
// lines "**name**: value" (a multi-line value goes on the lines after
// "**name**:", a field without a name shows its value alone, an empty value
// shows "—"). Grouping by section keeps a report to a handful of embed fields
// however many values it has, and keeps the builders' section headings.
// A section is inline (Discord puts up to three side by side) when it fits a
// narrow column: at most 6 lines of at most 32 code points, or of at most 64
// when every one of its Fields asks for Inline.
//
// Limits (counted in code points after escaping, whitespace included, so the
// counts are never below Discord's trimmed counts):
//   - Title and field names are cut with "…" (titles at 256, section names at
//     256, names inside a value at 48).
//   - A value or the description that is too long keeps as many whole lines
//     as fit and ends with "… +N more lines"; when not even its first line
//     fits, that line is cut at a grapheme boundary and ends with
//     "… +N more characters" (N counts the plain text left out).
//   - The 6000 total is shared so: title and footer (host cut at 256) first;
//     the description gets what the fields leave, but at least 1024 and at
//     most 4096; the fields get the rest in order. The first field that does
//     not fit is shown cut when at least 200 code points are left for it,
//     and every later one is dropped; dropped fields (and fields beyond 24
//     when a report has more than 25) are replaced by a last field
//     "✂️ Truncated" saying "… +N more fields — full data in <event>.json".
//   - Files: the envelope JSON "<event>.json" first (indented; compact when
//     that exceeds 10 MiB; left out when even that does), then the report's
//     files. Files over 10 MiB, without a name, beyond 10 or beyond the 25 MiB
//     request size are left out, and the "✂️ Truncated" field says so. The
//     embed image is set only when its file is attached and is a .png, .jpg,
//     .jpeg, .gif or .webp (the types Discord shows in embeds).
//
// All dynamic text is cleaned first (control and bidi-override characters
// dropped, invalid UTF-8 replaced), then Markdown-escaped with mentions
// neutralised, except the footer, which Discord shows as plain text.
const (
	testPrefix     = "🧪 TEST · "
	footerPrefix   = "nexusmon · "
	footerBrand    = "nexusmon"
	emptyText      = "—"
	ellipsis       = "…"
	noticeName     = "✂️ Truncated"
	maxFooterText  = 256 // own cap: host names are at most 253 bytes
	maxLabel       = 48  // own cap for a field's name inside a section's value
	minDescription = 1024
	minPartial     = 200
	inlineLines    = 6
	inlineWidth    = 32
	inlineHinted   = 64
	// requestReserve is what fitFiles leaves of the 25 MiB request for
	// payload_json: an embed of 6000 code points is at most 24 KiB of UTF-8
	// (six times that if every byte were JSON-escaped).
	requestReserve = 256 << 10
)

// Render turns a report into one Discord message within every limit: title
// "<emoji> <title>" (prefixed "🧪 TEST · " when r.Test), description from
// Summary, colour r.Level.Color(), fields from Sections, footer
// "nexusmon · <host>", timestamp r.Time (RFC 3339), the envelope JSON as an
// attachment named "<event>.json" (application/json), r.Files appended, Image
// as the embed image "attachment://<name>", AllowedMentions = NoMentions(),
// and Flags = SUPPRESS_NOTIFICATIONS when r.Silent. Builders pass plain text: Render escapes it. What does not
// fit is cut visibly (see the comment above); the JSON attachment always
// carries the full data. File data is shared with r, not copied.
//
// Render never returns a payload Discord would reject. Its only errors are
// impossible input: a nil report, or Data that encoding/json cannot marshal.
func Render(r *reportdata.Report) (Payload, error) {
	if r == nil {
		return Payload{}, errors.New("render report: nil report")
	}
	jsonName := reportdata.AttachmentName(r.Event)
	env := r.Envelope()
	data, err := json.MarshalIndent(env, "", "  ")
	if err != nil {
		return Payload{}, fmt.Errorf("marshal %s: %w", jsonName, err)
	}
	if len(data) > discordapi.MaxFileSize {
		if data, err = json.Marshal(env); err != nil {
			return Payload{}, fmt.Errorf("marshal %s: %w", jsonName, err)
		}
	}
	files, jsonAttached, omitted := fitFiles(reportdata.File{Name: jsonName, ContentType: "application/json", Data: data}, r.Files)

	e := Embed{Color: r.Level.Color(), Title: RenderTitle(r)}
	if t := r.Time.UTC(); !t.IsZero() && t.Year() >= 1 && t.Year() <= 9999 { // ISO 8601 has four-digit years
		e.Timestamp = t.Format(time.RFC3339)
	}
	e.Footer = &EmbedFooter{Text: renderFooter(r.Host)}
	remaining := discordapi.MaxEmbedTotal - utf8.RuneCountInString(e.Title) - utf8.RuneCountInString(e.Footer.Text)

	// Candidate fields at their own limit.
	nCand := min(len(r.Sections), discordapi.MaxFields)
	blocks := make([]block, nCand)
	cands := make([]EmbedField, nCand)
	need := 0
	buf := make([]byte, 0, 1024)
	for i := range nCand {
		blocks[i] = prepareBlock(r.Sections[i].Fields)
		cands[i] = EmbedField{
			Name:   oneLine(r.Sections[i].Name, modeMarkdown, discordapi.MaxFieldName),
			Value:  fitBlock(&blocks[i], discordapi.MaxFieldValue, &buf),
			Inline: blocks[i].inline(),
		}
		need += fieldLen(cands[i])
	}
	overflow := len(r.Sections) > discordapi.MaxFields || omitted > 0
	noticeMax := fieldLen(notice(len(r.Sections), omitted, jsonName, jsonAttached))

	if summary := prepareBlock([]reportdata.Field{{Value: r.Summary}}); summary.fields[0].Value != "" {
		reserve := need
		if overflow {
			reserve += noticeMax
		}
		limit := min(discordapi.MaxDescription, max(minDescription, remaining-reserve))
		e.Description = fitBlock(&summary, limit, &buf)
		remaining -= utf8.RuneCountInString(e.Description)
	}

	if !overflow && need <= remaining {
		e.Fields = cands
	} else {
		budget := remaining - noticeMax
		used := 0
		for i, c := range cands[:min(nCand, discordapi.MaxFields-1)] {
			if w := fieldLen(c); used+w <= budget {
				e.Fields = append(e.Fields, c)
				used += w
				continue
			}
			if room := budget - used - utf8.RuneCountInString(c.Name); room >= minPartial {
				c.Value = fitBlock(&blocks[i], min(room, discordapi.MaxFieldValue), &buf)
				c.Inline = false
				e.Fields = append(e.Fields, c)
			}
			break
		}
		if dropped := len(r.Sections) - len(e.Fields); dropped > 0 || omitted > 0 {
			e.Fields = append(e.Fields, notice(dropped, omitted, jsonName, jsonAttached))
		}
	}

	if img := strings.TrimSpace(r.Image); img != "" && embeddable(img) {
		for _, f := range files {
			if f.Name == img {
				e.Image = &EmbedImage{URL: "attachment://" + img}
				break
			}
		}
	}
	p := Payload{Embeds: []Embed{e}, AllowedMentions: NoMentions(), Files: files}
	if r.Silent {
		p.Flags = discordapi.FlagSuppressNotifications
	}
	return p, nil
}

// fieldLen is what a field counts towards the 6000 total (untrimmed, so
// never less than Discord's count).
func fieldLen(f EmbedField) int {
	return utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
}

// notice is the last field of a report that lost fields or files.
func notice(dropped, omittedFiles int, jsonName string, jsonAttached bool) EmbedField {
	var lines []string
	if dropped > 0 {
		where := "full data in " + EscapeMarkdown(jsonName)
		if !jsonAttached {
			where = "full data too large to attach"
		}
		lines = append(lines, ellipsis+" +"+strconv.Itoa(dropped)+" more fields — "+where)
	}
	if omittedFiles > 0 {
		lines = append(lines, ellipsis+" +"+strconv.Itoa(omittedFiles)+" attachments left out (over Discord's limits)")
	}
	return EmbedField{Name: noticeName, Value: strings.Join(lines, "\n")}
}

// embeddable reports whether Discord shows a file of this name as an embed
// image.
func embeddable(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".png", ".jpg", ".jpeg", ".gif", ".webp":
		return true
	}
	return false
}

// fitFiles returns the files to attach: the envelope JSON, then extra, each
// as long as it keeps the message within Discord's file limits; whether the
// JSON is among them; and how many files were left out.
func fitFiles(envelope reportdata.File, extra []reportdata.File) ([]reportdata.File, bool, int) {
	files := make([]reportdata.File, 0, 1+len(extra))
	size, omitted := 0, 0
	jsonAttached := false
	for i, f := range append([]reportdata.File{envelope}, extra...) {
		cost := len(f.Data) + len(f.Name) + len(f.ContentType) + multipartPartOverhead
		if len(files) == discordapi.MaxFiles || len(f.Data) > discordapi.MaxFileSize || strings.TrimSpace(f.Name) == "" ||
			size+cost > discordapi.MaxRequestSize-requestReserve {
			omitted++
			continue
		}
		files = append(files, f)
		size += cost
		jsonAttached = jsonAttached || i == 0
	}
	return files, jsonAttached, omitted
}

// RenderTitle returns the embed title, cut with "…" at discordapi.MaxTitle.
func RenderTitle(r *reportdata.Report) string {
	head := strings.TrimSpace(r.Emoji) + " " + strings.TrimSpace(r.Title)
	if !r.Test {
		return oneLine(head, modeMarkdown, discordapi.MaxTitle)
	}
	return testPrefix + oneLine(head, modeMarkdown, discordapi.MaxTitle-utf8.RuneCountInString(testPrefix))
}

// renderFooter returns "nexusmon · <host>". Footers are plain text in
// Discord (no Markdown, no mentions), so the host is cleaned, not escaped.
func renderFooter(host string) string {
	h := oneLine(host, 0, maxFooterText-utf8.RuneCountInString(footerPrefix))
	if h == emptyText {
		return footerBrand
	}
	return footerPrefix + h
}

// oneLine renders s cleaned, on one line and transformed by mode, cut with
// "…" to at most limit code points; blank text becomes "—".
func oneLine(s string, mode textMode, limit int) string {
	s = strings.TrimSpace(s)
	if isBlank(s) {
		return emptyText
	}
	mode |= modeClean | modeOneLine
	b, _, stop := appendText(make([]byte, 0, min(len(s), 4*limit)+8), s, mode, limit)
	if stop < len(s) {
		b, _, _ = appendText(b[:0], s, mode, limit-1)
		b = append(b, ellipsis...)
	}
	return strings.TrimSpace(string(b))
}

// block is a section's fields, trimmed, ready to be rendered as lines
// within a limit. Text is cleaned as it is written, so that cutting huge
// values costs what is written, not what was given.
type block struct {
	fields    []reportdata.Field
	lines     int  // number of lines blockLines yields
	width     int  // code points of the longest line (only counted up to inlineHinted+1)
	allInline bool // every field asks for Inline
}

// textLine is one line of a block.
type textLine struct {
	label  string // the field's name; "" for none
	text   string // a line of the field's value
	header bool   // "**label**:" alone, the value's lines follow
	blank  bool   // the whole value is empty: rendered "—"
	under  bool   // a line of a multi-line value, under its header
}

// prepareBlock trims fields and measures them. Names and values that are
// blank once cleaned become "".
func prepareBlock(fields []reportdata.Field) block {
	b := block{fields: make([]reportdata.Field, len(fields)), allInline: len(fields) > 0}
	for i, f := range fields {
		f.Name = strings.TrimSpace(f.Name)
		if isBlank(f.Name) {
			f.Name = ""
		}
		f.Value = strings.TrimSpace(f.Value)
		if isBlank(f.Value) {
			f.Value = ""
		}
		b.fields[i] = f
		b.allInline = b.allInline && f.Inline
		switch {
		case f.Value == "":
			b.lines++
		case f.Name != "" && strings.Contains(f.Value, "\n"):
			b.lines += 2 + strings.Count(f.Value, "\n")
		default:
			b.lines += 1 + strings.Count(f.Value, "\n")
		}
	}
	if len(fields) == 0 {
		b.lines = 1
	}
	if b.lines <= inlineLines {
		for ln := range b.all() {
			w := runesUpTo(ln.text, inlineHinted+1)
			if ln.label != "" {
				w += runesUpTo(ln.label, inlineHinted+1) + 2
			}
			b.width = max(b.width, w)
		}
	}
	return b
}

// runesUpTo counts the code points of s, stopping after limit.
func runesUpTo(s string, limit int) int {
	n := 0
	for range s {
		if n++; n > limit {
			break
		}
	}
	return n
}

// inline reports whether the block fits a narrow inline column.
func (b *block) inline() bool {
	return b.lines <= inlineLines && (b.width <= inlineWidth || b.allInline && b.width <= inlineHinted)
}

// all yields the block's lines. An empty value, and a block without
// fields, yield one blank line (rendered "—").
func (b *block) all() iter.Seq[textLine] {
	return func(yield func(textLine) bool) {
		if len(b.fields) == 0 {
			yield(textLine{blank: true})
			return
		}
		for _, f := range b.fields {
			v := f.Value
			if v == "" {
				if !yield(textLine{label: f.Name, blank: true}) {
					return
				}
				continue
			}
			under := false
			if f.Name != "" && strings.Contains(v, "\n") {
				if !yield(textLine{label: f.Name, header: true}) {
					return
				}
				f.Name, under = "", true
			}
			for {
				line, rest, more := strings.Cut(v, "\n")
				if !yield(textLine{label: f.Name, text: line, under: under}) {
					return
				}
				if !more {
					break
				}
				v = rest
			}
		}
	}
}

// appendLine renders ln, writing at most limit code points. It returns
// the code points written and, when the line did not fit, a positive number:
// how many code points of the line's text were left out when count is set,
// else 1. What fitted of the text is kept; nothing is kept when not even the
// label fitted.
func appendLine(dst []byte, ln textLine, limit int, count bool) ([]byte, int, int) {
	mark, n := len(dst), 0
	if ln.label != "" {
		dst = append(dst, "**"...)
		dst = append(dst, oneLine(ln.label, modeMarkdown, maxLabel)...)
		dst = append(dst, "**:"...)
		if !ln.header {
			dst = append(dst, ' ')
		}
		n = utf8.RuneCount(dst[mark:])
		if n > limit {
			return dst[:mark], 0, utf8.RuneCountInString(ln.text) + 1
		}
		if ln.header {
			return dst, n, 0
		}
	}
	if ln.blank {
		if n+1 > limit {
			return dst, n, 1
		}
		return append(dst, emptyText...), n + 1, 0
	}
	const mode = modeMarkdown | modeClean | modeOneLine
	dst, w, stop := appendText(dst, ln.text, mode, limit-n)
	rest := 0
	switch {
	case stop == len(ln.text):
	case count:
		rest = max(1, countKept(ln.text[stop:], mode))
	default:
		rest = 1
	}
	return dst, n + w, rest
}

// fitBlock renders b's lines joined by newlines within limit code points,
// cutting visibly as described at the top of this file. buf is scratch
// space, reused across calls.
func fitBlock(b *block, limit int, buf *[]byte) string {
	s, kept := writeLines(b, limit, buf)
	if kept == b.lines {
		return s
	}
	if kept > 0 { // else not even the first line fits in less room
		more := "\n" + ellipsis + " +" + strconv.Itoa(b.lines) + " more lines"
		if s, kept = writeLines(b, limit-utf8.RuneCountInString(more), buf); kept > 0 {
			return s + "\n" + ellipsis + " +" + strconv.Itoa(b.lines-kept) + " more lines"
		}
	}
	// Not even the first line fits: cut it.
	var first textLine
	for ln := range b.all() {
		first = ln
		break
	}
	more := ""
	if b.lines > 1 {
		more = "\n" + ellipsis + " +" + strconv.Itoa(b.lines-1) + " more lines"
	}
	chars := ellipsis + " +" + strconv.Itoa(utf8.RuneCountInString(first.text)+1) + " more characters"
	dst, _, rest := appendLine((*buf)[:0], first, limit-utf8.RuneCountInString(more)-utf8.RuneCountInString(chars), true)
	if rest > 0 {
		dst = append(dst, ellipsis+" +"+strconv.Itoa(rest)+" more characters"...)
	}
	dst = append(dst, more...)
	*buf = dst
	return string(dst)
}

// writeLines writes b's lines while each fits whole within limit, and
// returns them and how many were written. buf is scratch space.
func writeLines(b *block, limit int, buf *[]byte) (string, int) {
	dst := (*buf)[:0]
	n, kept := 0, 0
	for ln := range b.all() {
		mark, sep := len(dst), 0
		if kept > 0 {
			dst = append(dst, '\n')
			sep = 1
		}
		var w, rest int
		dst, w, rest = appendLine(dst, ln, limit-n-sep, false)
		if rest > 0 {
			dst = dst[:mark]
			break
		}
		n += sep + w
		kept++
	}
	*buf = dst
	return string(dst), kept
}
