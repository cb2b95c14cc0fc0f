package render

import (
	"testing"
	"unicode/utf8"
)

func TestEscapeMarkdown(t *testing.T) {
	t.Parallel()
	const z = "\u200b"
	tests := []struct {
		name, in, want string
	}{
		{"plain", "CPU 12.5 % on host1", "CPU 12.5 % on host1"},
		{"empty", "", ""},
		{"bold and italics", "**b** *i* __u__ _i_", `\*\*b\*\* \*i\* \_\_u\_\_ \_i\_`},
		{"strike, spoiler, code", "~~s~~ ||x|| `c` ```go```", `\~\~s\~\~ \|\|x\|\| \` + "`c\\` \\`\\`\\`go\\`\\`\\`"},
		{"quote, heading, list", "> q\n# h\n- l", `\> q` + "\n" + `\# h` + "\n" + `\- l`},
		{"masked link", "[x](https://e.example)", `\[x\]\(https://e.example\)`},
		{"backslash", `C:\dir\`, `C:\\dir\\`},
		{"everyone", "@everyone", "@" + z + "everyone"},
		{"here", "hi @here!", "hi @" + z + "here!"},
		{"everyone any case", "@EveryOne", "@" + z + "EveryOne"},
		{"user", "<@123>", "<" + z + `@123\>`},
		{"user nickname", "<@!123>", "<" + z + `@!123\>`},
		{"role", "<@&456>", "<" + z + `@&456\>`},
		{"channel", "<#789>", "<" + z + `\#789\>`},
		{"no mention", "a@b.c <tag> 1 < 2", `a@b.c <tag\> 1 < 2`},
		{"mentions in a row", "@here@everyone<@1><#2>", "@" + z + "here@" + z + "everyone<" + z + `@1\><` + z + `\#2\>`},
		{"emoji untouched", "🟢 👨‍👩‍👧 🇩🇪", "🟢 👨‍👩‍👧 🇩🇪"},
		{"invalid UTF-8", "ok\xff", "ok\uFFFD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := EscapeMarkdown(tt.in)
			if got != tt.want {
				t.Errorf("EscapeMarkdown(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("invalid UTF-8 %q", got)
			}
		})
	}
}

func TestAppendText_Clean(t *testing.T) {
	t.Parallel()
	const z = "\u200b"
	const mode = modeMarkdown | modeClean | modeOneLine
	tests := []struct {
		name, in, want string
	}{
		{"control characters cannot form a mention", "@\x00everyone <\x01@1>", "@" + z + "everyone <" + z + `@1\>`},
		{"ANSI escapes dropped", "\x1b[31mred\x1b[0m", `\[31mred\[0m`},
		{"bidi overrides dropped", "a\u202eb\u2066c", "abc"},
		{"newlines and tabs on one line", "a\nb\tc\r\n", "a b c "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, n, stop := appendText(nil, tt.in, mode, unlimited)
			if string(got) != tt.want || n != utf8.RuneCount(got) || stop != len(tt.in) {
				t.Errorf("appendText(%q) = %q, %d, %d; want %q, %d, %d", tt.in, got, n, stop, tt.want, utf8.RuneCountInString(tt.want), len(tt.in))
			}
		})
	}
}

func TestAppendText_Cut(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    string
		limit int
		want  string
	}{
		{"escape kept whole", `ab*`, 3, "ab"},
		{"escaped backslash kept whole", `a\\`, 4, `a\\`},
		{"zwj sequence not split", "a👨‍👩‍👧", 5, "a"},
		{"skin tone stays with its hand", "a👍🏽", 2, "a"},
		{"flag pair not split", "🇩🇪🇫🇷", 3, "🇩🇪"},
		{"keycap whole", "x1️⃣", 3, "x"},
		{"combining accent stays", "ae\u0301", 2, "a"},
		{"mention unit whole", "a@here", 2, "a"},
		{"zero limit", "abc", 0, ""},
		{"negative limit", "abc", -3, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, n, stop := appendText(nil, tt.in, modeMarkdown, tt.limit)
			if string(got) != tt.want || n != utf8.RuneCount(got) || n > max(tt.limit, 0) {
				t.Errorf("appendText(%q, %d) = %q (%d), want %q", tt.in, tt.limit, got, n, tt.want)
			}
			if rest, _, _ := appendText(nil, tt.in[stop:], modeMarkdown, unlimited); string(got)+string(rest) != EscapeMarkdown(tt.in) {
				t.Errorf("stop %d: %q + %q != the whole escaped text", stop, got, rest)
			}
		})
	}
}
