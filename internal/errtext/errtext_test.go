package errtext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// testBotSecret has the shape of a Discord bot token; it is not one.
const testBotSecret = "MTAxMjM0NTY3ODkwMTIzNDU2Nzg5.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"

func TestSanitize(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in, want string
	}{
		"plain":    {"database is down", "database is down"},
		"mentions": {"@everyone <@123> hi", "@everyone <@123> hi"},
		"bot token": {
			"auth failed for " + testBotSecret + " today",
			"auth failed for [token] today",
		},
		"authorization header": {
			"header Authorization: Bot abcdefgh.ijklmnop rejected",
			"header Authorization: [redacted] rejected",
		},
		"bearer credentials": {
			"sent Bearer abcdefghijklmnopqrstuvwxyz0123 upstream",
			"sent Bearer [redacted] upstream",
		},
		"the word bot": {"the bot responded slowly to Bot owner", "the bot responded slowly to Bot owner"},
		"webhook url": {
			"post https://discord.com/api/webhooks/123456789012345678/Ab-cd_EF?wait=true: 404",
			"post https://discord.com/api/webhooks/123456789012345678/[token]?wait=true: 404",
		},
		"interaction callback": {
			`Post "https://discord.com/api/v9/interactions/1300000000000000001/shorttok/callback": EOF`,
			`Post "https://discord.com/api/v9/interactions/1300000000000000001/[token]/callback": EOF`,
		},
		"url userinfo": {
			"dial https://user:hunter2@example.com/x failed",
			"dial https://[redacted]@example.com/x failed",
		},
		"query secrets": {
			"GET /health?api_key=abc123&x=1&token=zzz",
			"GET /health?api_key=[redacted]&x=1&token=[redacted]",
		},
		"long opaque string": {
			"session " + strings.Repeat("a1", 25) + " expired",
			"session [redacted] expired",
		},
		"long word is kept": {
			"identifier " + strings.Repeat("abc", 20),
			"identifier " + strings.Repeat("abc", 20),
		},
		"control characters": {"line1\nline2\ttab\x00nul\x1b[0m", "line1 line2 tab nul [0m"},
		"bidi override":      {"abc\u202edef", "abcdef"},
		"invalid utf-8":      {"ok\xffok", "okok"},
		"trimmed":            {"  \n padded \n", "padded"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := Sanitize(tc.in); got != tc.want {
				t.Errorf("Sanitize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestSanitize_Bounded(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"long ascii":                 strings.Repeat("x ", 2000),
		"long multibyte":             strings.Repeat("é", 700),
		"huge with token near 16KiB": strings.Repeat("word ", 3276) + testBotSecret + strings.Repeat(" y", 5000),
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := Sanitize(in)
			if n := utf8.RuneCountInString(got); n != MaxRunes {
				t.Errorf("got %d runes, want %d", n, MaxRunes)
			}
			if !strings.HasSuffix(got, "…") || !utf8.ValidString(got) {
				t.Errorf("cut message %q does not end with an ellipsis", got[len(got)-10:])
			}
			if strings.Contains(got, testBotSecret[:20]) {
				t.Error("token fragment survived")
			}
		})
	}
}
