package render

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nexusmon/nexusmon/internal/discordapi"
)

// multipartPartOverhead is what CheckLimits adds per file for its multipart
// headers (boundary, Content-Disposition, Content-Type) when it estimates
// the request size; real headers of our file names are well below it.
const multipartPartOverhead = 512

// LimitError is one violated Discord limit, as reported by CheckLimits.
type LimitError struct {
	Path   string // where, as a JSON path: "content", "embeds[0].fields[3].value", "embeds (total)", "files", "request"
	Reason string // what is wrong: "too long", "too many", "too large", "empty", ...
	Got    int    // the measured size (code points, items or bytes); 0 when the rule is not about size
	Max    int    // the limit; 0 when the rule is not about size
}

// Error names the offending value and the limit it violates.
func (e *LimitError) Error() string {
	if e.Max > 0 {
		return e.Path + ": " + e.Reason + ": " + strconv.Itoa(e.Got) + " > " + strconv.Itoa(e.Max)
	}
	return e.Path + ": " + e.Reason
}

// textLen is the length Discord checks a text against: code points of s
// trimmed of leading and trailing whitespace.
func textLen(s string) int { return utf8.RuneCountInString(strings.TrimSpace(s)) }

// CheckLimits reports every Discord limit p violates, joined with
// errors.Join (each one a *LimitError), or nil when Discord would accept p.
// Besides Discord's size limits it checks what Discord rejects outright
// (empty messages, empty field names or values, invalid UTF-8, colours out
// of range) and nexusmon's own rule that allowed_mentions carries an explicit
// empty parse list, so that nothing can ping anyone.
func CheckLimits(p *Payload) error {
	if p == nil {
		return &LimitError{Path: "payload", Reason: "nil"}
	}
	var errs []error
	add := func(path, reason string, got, limit int) {
		errs = append(errs, &LimitError{Path: path, Reason: reason, Got: got, Max: limit})
	}
	text := func(path, s string, limit int, required bool) int {
		n := textLen(s)
		switch {
		case !utf8.ValidString(s):
			add(path, "invalid UTF-8", 0, 0)
		case n > limit:
			add(path, "too long", n, limit)
		case required && n == 0:
			add(path, "empty", 0, 0)
		}
		return n
	}

	text("content", p.Content, discordapi.MaxContent, false)
	if len(p.Embeds) > discordapi.MaxEmbeds {
		add("embeds", "too many", len(p.Embeds), discordapi.MaxEmbeds)
	}
	total := 0
	for i := range p.Embeds {
		e := &p.Embeds[i]
		pre := "embeds[" + strconv.Itoa(i) + "]"
		total += text(pre+".title", e.Title, discordapi.MaxTitle, false)
		total += text(pre+".description", e.Description, discordapi.MaxDescription, false)
		if len(e.Fields) > discordapi.MaxFields {
			add(pre+".fields", "too many", len(e.Fields), discordapi.MaxFields)
		}
		for j, f := range e.Fields {
			fp := pre + ".fields[" + strconv.Itoa(j) + "]"
			total += text(fp+".name", f.Name, discordapi.MaxFieldName, true)
			total += text(fp+".value", f.Value, discordapi.MaxFieldValue, true)
		}
		if e.Footer != nil {
			total += text(pre+".footer.text", e.Footer.Text, discordapi.MaxFooter, true)
		}
		if e.Author != nil {
			total += text(pre+".author.name", e.Author.Name, discordapi.MaxAuthor, true)
		}
		if e.Color < 0 || e.Color > 0xFFFFFF {
			add(pre+".color", "out of range 0..0xFFFFFF", 0, 0)
		}
		if e.Image != nil && e.Image.URL == "" {
			add(pre+".image.url", "empty", 0, 0)
		}
	}
	if total > discordapi.MaxEmbedTotal {
		add("embeds (total)", "too long", total, discordapi.MaxEmbedTotal)
	}
	if len(p.Files) > discordapi.MaxFiles {
		add("files", "too many", len(p.Files), discordapi.MaxFiles)
	}
	fileBytes := 0
	for i, f := range p.Files {
		if len(f.Data) > discordapi.MaxFileSize {
			add("files["+strconv.Itoa(i)+"]", "too large", len(f.Data), discordapi.MaxFileSize)
		}
		if strings.TrimSpace(f.Name) == "" {
			add("files["+strconv.Itoa(i)+"].name", "empty", 0, 0)
		}
		fileBytes += len(f.Data) + len(f.Name) + len(f.ContentType) + multipartPartOverhead
	}
	if p.Content == "" && len(p.Embeds) == 0 && len(p.Files) == 0 {
		add("payload", "empty message (no content, embeds or files)", 0, 0)
	}
	switch {
	case p.AllowedMentions.Parse == nil:
		add("allowed_mentions.parse", "must be an explicit empty list", 0, 0)
	case len(p.AllowedMentions.Parse) > 0:
		add("allowed_mentions.parse", "must be empty, got "+fmt.Sprint(p.AllowedMentions.Parse), 0, 0)
	}
	// The request is payload_json plus the file parts. Marshalling is only
	// needed when a generous bound of the JSON (every byte escaped as
	// \u00XX) could take the request over the limit.
	if fileBytes+6*textBytes(p)+64<<10 > discordapi.MaxRequestSize {
		body := *p
		body.Files = nil
		b, err := json.Marshal(&body)
		if err != nil {
			errs = append(errs, fmt.Errorf("marshal payload: %w", err))
		} else if size := fileBytes + len(b); size > discordapi.MaxRequestSize {
			add("request", "too large", size, discordapi.MaxRequestSize)
		}
	}
	return errors.Join(errs...)
}

// textBytes is the number of bytes of every string in p's JSON body.
func textBytes(p *Payload) int {
	n := len(p.Content)
	for i := range p.Embeds {
		e := &p.Embeds[i]
		n += len(e.Title) + len(e.Description) + len(e.Timestamp)
		for _, f := range e.Fields {
			n += len(f.Name) + len(f.Value)
		}
		if e.Footer != nil {
			n += len(e.Footer.Text)
		}
		if e.Author != nil {
			n += len(e.Author.Name)
		}
		if e.Image != nil {
			n += len(e.Image.URL)
		}
	}
	for _, s := range p.AllowedMentions.Parse {
		n += len(s)
	}
	return n + 256*len(p.Embeds) + 64*len(p.Files)
}
