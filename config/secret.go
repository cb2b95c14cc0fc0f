package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// redacted is what a non-empty secret prints as.
const redacted = "<redacted>"

// Secret is a string that never prints its value: String, GoString, Format,
// MarshalText, MarshalJSON, MarshalYAML and LogValue all give "<redacted>"
// when it is non-empty and "" when it is empty. Reveal returns the value.
type Secret string

// Reveal returns the secret value. Call it only where the value is used,
// never to log or format it.
func (s Secret) Reveal() string { return string(s) }

// String returns "<redacted>" for a non-empty secret and "" otherwise.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString returns the same text as String, so %#v does not leak.
func (s Secret) GoString() string { return s.String() }

// Format implements fmt.Formatter so that every verb, including %x and %q,
// prints the redacted text rather than the value.
func (s Secret) Format(f fmt.State, verb rune) {
	writeRedacted(f, verb, s.String())
}

// MarshalText returns the redacted text.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MarshalJSON returns the redacted text as a JSON string.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalYAML returns the redacted text.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// LogValue implements slog.LogValuer with the redacted text.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Headers maps header names to values; the values are secrets. Its
// underlying type is map[string]string, so it can be passed wherever a
// map[string]string is expected. Printing or marshalling it shows the names
// and "<redacted>" for every non-empty value.
type Headers map[string]string

// redact returns a copy with every non-empty value replaced.
func (h Headers) redact() map[string]string {
	if h == nil {
		return nil
	}
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[k] = Secret(v).String()
	}
	return out
}

// String returns the header names with redacted values, sorted by name.
func (h Headers) String() string {
	var b strings.Builder
	b.WriteString("map[")
	for i, k := range slices.Sorted(maps.Keys(h)) {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte(':')
		b.WriteString(Secret(h[k]).String())
	}
	b.WriteByte(']')
	return b.String()
}

// GoString returns the same text as String, so %#v does not leak.
func (h Headers) GoString() string { return h.String() }

// Format implements fmt.Formatter so that no verb prints a value.
func (h Headers) Format(f fmt.State, verb rune) { writeRedacted(f, verb, h.String()) }

// MarshalJSON returns the headers with redacted values.
func (h Headers) MarshalJSON() ([]byte, error) { return json.Marshal(h.redact()) }

// MarshalYAML returns the headers with redacted values.
func (h Headers) MarshalYAML() (any, error) { return h.redact(), nil }

// LogValue implements slog.LogValuer with the redacted text.
func (h Headers) LogValue() slog.Value { return slog.StringValue(h.String()) }

// writeRedacted writes text for any verb, quoted for %q.
func writeRedacted(f fmt.State, verb rune, text string) {
	if verb == 'q' {
		text = strconv.Quote(text)
	}
	// A failed write to a fmt.State cannot be reported: fmt ignores it too.
	_, _ = f.Write([]byte(text))
}
