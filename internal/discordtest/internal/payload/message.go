package payload

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// runes counts what Discord counts: code points of the trimmed text.
func runes(s string) int {
	return utf8.RuneCountInString(strings.TrimSpace(s))
}

// Str is the string under k of a JSON object; absent, null or not a string is "".
func Str(m map[string]any, k string) string {
	v, _ := m[k].(string) // absent or null is ""
	return v
}

// Obj is the object under k of a JSON object; absent, null or not an object is nil.
func Obj(m map[string]any, k string) map[string]any {
	v, _ := m[k].(map[string]any) // absent or null is nil
	return v
}

func maxLen(path []string, n, limit int) []FieldError {
	if n <= limit {
		return nil
	}
	return []FieldError{{path, "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", limit)}}
}

// Message checks a message create or edit payload against Discord's limits.
// files are the file parts of this request; kept are the names of
// attachments an edit keeps.
func Message(p map[string]any, files []File, kept []string) []FieldError {
	var errs []FieldError
	errs = append(errs, maxLen([]string{"content"}, utf8.RuneCountInString(Str(p, "content")), maxContent)...)

	embeds, _ := p["embeds"].([]any) // absent or null: no embeds
	errs = append(errs, maxLen([]string{"embeds"}, len(embeds), maxEmbeds)...)
	total := 0
	var refs []string
	for i, e := range embeds {
		em, ok := e.(map[string]any)
		if !ok {
			errs = append(errs, FieldError{[]string{"embeds", strconv.Itoa(i)}, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType"})
			continue
		}
		ep := func(rest ...string) []string { return append([]string{"embeds", strconv.Itoa(i)}, rest...) }
		n := runes(Str(em, "title"))
		total += n
		errs = append(errs, maxLen(ep("title"), n, maxEmbedTitle)...)
		n = runes(Str(em, "description"))
		total += n
		errs = append(errs, maxLen(ep("description"), n, maxEmbedDesc)...)
		if f := Obj(em, "footer"); f != nil {
			n = runes(Str(f, "text"))
			total += n
			errs = append(errs, maxLen(ep("footer", "text"), n, maxFooter)...)
			refs = append(refs, Str(f, "icon_url"))
		}
		if a := Obj(em, "author"); a != nil {
			n = runes(Str(a, "name"))
			total += n
			errs = append(errs, maxLen(ep("author", "name"), n, maxAuthor)...)
			refs = append(refs, Str(a, "icon_url"))
		}
		for _, k := range []string{"image", "thumbnail"} {
			if o := Obj(em, k); o != nil {
				refs = append(refs, Str(o, "url"))
			}
		}
		fields, _ := em["fields"].([]any) // absent or null: no fields
		errs = append(errs, maxLen(ep("fields"), len(fields), maxEmbedFields)...)
		for j, f := range fields {
			fm, _ := f.(map[string]any) // a non-object field fails the required checks below
			fp := func(k string) []string { return ep("fields", strconv.Itoa(j), k) }
			name, value := Str(fm, "name"), Str(fm, "value")
			if strings.TrimSpace(name) == "" {
				errs = append(errs, FieldError{fp("name"), "BASE_TYPE_REQUIRED", "This field is required"})
			}
			if strings.TrimSpace(value) == "" {
				errs = append(errs, FieldError{fp("value"), "BASE_TYPE_REQUIRED", "This field is required"})
			}
			total += runes(name) + runes(value)
			errs = append(errs, maxLen(fp("name"), runes(name), maxFieldName)...)
			errs = append(errs, maxLen(fp("value"), runes(value), maxFieldValue)...)
		}
	}
	if total > maxEmbedTotal {
		errs = append(errs, FieldError{[]string{"embeds"}, "MAX_EMBED_SIZE_EXCEEDED", fmt.Sprintf("Embed size exceeds maximum size of %d", maxEmbedTotal)})
	}

	errs = append(errs, maxLen([]string{"files"}, len(files), maxFiles)...)
	names := map[string]bool{}
	for _, n := range kept {
		names[n] = true
	}
	for i, f := range files {
		names[f.Name] = true
		if len(f.Data) > MaxFileSize {
			errs = append(errs, FieldError{[]string{"files", strconv.Itoa(i)}, "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("File cannot be larger than %d bytes.", MaxFileSize)})
		}
	}
	for _, ref := range refs {
		name, ok := strings.CutPrefix(ref, "attachment://")
		if ok && !names[name] {
			errs = append(errs, FieldError{[]string{"embeds"}, "ATTACHMENT_NOT_FOUND", fmt.Sprintf("Attachment %q is not one of the uploaded files.", name)})
		}
	}

	if am := Obj(p, "allowed_mentions"); am != nil {
		parse, _ := am["parse"].([]any) // null or absent: nothing parsed
		for _, v := range parse {
			t, _ := v.(string) // non-strings never equal a type name
			if t != "users" && t != "roles" {
				continue
			}
			if ids, _ := am[t].([]any); len(ids) > 0 { // a falsy list is allowed
				errs = append(errs, FieldError{[]string{"allowed_mentions"}, "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
					fmt.Sprintf("parse:[%q] and %s: [ids...] are mutually exclusive.", t, t)})
			}
		}
	}
	return errs
}

// NoMentions reports whether allowed_mentions makes every mention inert: an
// explicit empty parse list, no user or role ids and no replied_user.
func NoMentions(p map[string]any) bool {
	am := Obj(p, "allowed_mentions")
	if am == nil {
		return false
	}
	parse, ok := am["parse"].([]any)
	if !ok || len(parse) != 0 {
		return false
	}
	users, _ := am["users"].([]any) // absent: none
	roles, _ := am["roles"].([]any) // absent: none
	replied, _ := am["replied_user"].(bool)
	return len(users) == 0 && len(roles) == 0 && !replied
}
