package errtext

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxRunes bounds what Sanitize returns.
const MaxRunes = 500

// redaction is one rule of Sanitize.
type redaction struct {
	re   *regexp.Regexp
	repl string
}

// redactions remove what looks like a secret. Order matters: the specific
// rules run before the catch-all for long opaque strings.
var redactions = []redaction{
	// Discord bot tokens: base64 user id, timestamp, HMAC.
	{regexp.MustCompile(`[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}`), "[token]"},
	// Authorization header values, with or without a scheme.
	{regexp.MustCompile(`(?i)(authorization["']?\s*[:=]\s*["']?)(?:(?:Bot|Bearer|Basic)\s+)?[^\s"',]+`), "${1}[redacted]"},
	// Credentials after an auth scheme elsewhere. Case-sensitive and at
	// least 20 characters, so "the bot responded" stays readable.
	{regexp.MustCompile(`\b(Bot|Bearer|Basic) +[A-Za-z0-9_\-.=+/]{20,}`), "$1 [redacted]"},
	// Webhook and interaction tokens in URLs and paths.
	{regexp.MustCompile(`(/webhooks/[0-9]+/)[^/\s?#"'<>]+`), "${1}[token]"},
	{regexp.MustCompile(`(/interactions/[0-9]+/)[^/\s?#"'<>]+`), "${1}[token]"},
	// User information in URLs.
	{regexp.MustCompile(`(://)[^/\s@]+@`), "${1}[redacted]@"},
	// Secret-looking key=value pairs, in queries or free text.
	{regexp.MustCompile(`(?i)\b(token|secret|password|passwd|pwd|api[_-]?key|key|auth|signature|sig)=[^&\s"']+`), "$1=[redacted]"},
}

// opaque matches long runs of token characters; Sanitize redacts those that
// mix letters and digits (a token, not a word).
var opaque = regexp.MustCompile(`[A-Za-z0-9_-]{40,}`)

// maxSanitizeInput bounds the work Sanitize does on a huge message.
const maxSanitizeInput = 16 << 10

// Sanitize makes an error text safe to put in a span, a log line or a
// Discord message: secrets-looking tokens (bot tokens, Authorization
// values, webhook and interaction tokens, URL user information,
// key=value secrets, long opaque strings) are replaced, control characters
// become spaces, and the result is at most MaxRunes runes, ending
// with "…" when cut. Mentions such as "@everyone" are left for the renderer
// to escape.
func Sanitize(s string) string {
	if len(s) > maxSanitizeInput {
		s = s[:maxSanitizeInput]
		// Drop the last, possibly cut, word: a token cut short could slip
		// under the length the rules look for.
		if i := strings.LastIndexAny(s, " \t\n"); i > 0 {
			s = s[:i]
		}
		s = strings.ToValidUTF8(s, "")
	}
	for _, r := range redactions {
		s = r.re.ReplaceAllString(s, r.repl)
	}
	s = opaque.ReplaceAllStringFunc(s, func(m string) string {
		if strings.ContainsAny(m, "0123456789") && strings.IndexFunc(m, unicode.IsLetter) >= 0 {
			return "[redacted]"
		}
		return m
	})
	s = strings.Map(func(r rune) rune {
		switch {
		case r == utf8.RuneError:
			return -1
		case unicode.IsControl(r):
			return ' '
		case unicode.Is(unicode.Cf, r) && r != '\u200d': // bidi overrides and the like; keep ZWJ for emoji
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > MaxRunes {
		n := 0
		for i := range s {
			if n == MaxRunes-1 {
				s = s[:i] + "…"
				break
			}
			n++
		}
	}
	return s
}
