package bot

import (
	"regexp"
	"strings"
	"testing"
)

// discordNameRE is Discord's documented pattern for chat-input command and
// option names; validName must agree with it on every input.
var discordNameRE = regexp.MustCompile(`^[-_\p{L}\p{N}]{1,32}$`)

func TestValidName_matchesDiscordPattern(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"", "a", "ping", "nexus", "my-cmd", "my_cmd", "-", "_", "Ping", "a b", "a.b", "a/b", "a\n", "\na",
		"日本語", "команда", "ünïcödé", "٣٤", "²", "Ⅻ", "a😀", "😀", "\u200b", "a\u0301", "\xff", "a\xffb",
		strings.Repeat("a", 32), strings.Repeat("a", 33), strings.Repeat("é", 32), strings.Repeat("é", 33),
		strings.Repeat("日", 32), strings.Repeat("日", 33),
	} {
		if got, want := validName(s), discordNameRE.MatchString(s); got != want {
			t.Errorf("validName(%q) = %v, Discord's pattern says %v", s, got, want)
		}
	}
}

func FuzzValidName(f *testing.F) {
	for _, s := range []string{"ping", "", "a b", "日本語", "\xff", strings.Repeat("a", 33)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validName(s), discordNameRE.MatchString(s); got != want {
			t.Errorf("validName(%q) = %v, Discord's pattern says %v", s, got, want)
		}
	})
}
