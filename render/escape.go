package render

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// zwsp is the zero-width space that breaks mentions without changing what
// the reader sees.
const zwsp = '\u200b'

// textMode says how appendText transforms plain text.
type textMode uint8

const (
	// modeMarkdown escapes Markdown and neutralises mentions (EscapeMarkdown).
	modeMarkdown textMode = 1 << iota
	// modeClean drops control and bidi-override characters and \r, and
	// turns tabs into spaces, so hostile text cannot reorder or hide what
	// the reader sees or inject terminal escape sequences.
	modeClean
	// modeOneLine turns newlines into spaces (titles, names, footers).
	modeOneLine
)

// EscapeMarkdown returns s with Discord Markdown made literal and mentions
// neutralised, for showing plain text in Markdown-rendering parts of a
// message (embed description, field values and names, titles).
//
// It puts a backslash before each of \ * _ ~ ` | > # - [ ] ( ), and a zero
// width space after the @ of @everyone and @here and after the < of <@id>,
// <@!id>, <@&id> and <#id> (of every "<@" and "<#"), so mentions never
// render as pings even if allowed_mentions were ignored. Invalid UTF-8 is
// replaced by U+FFFD, so the result is always valid UTF-8.
func EscapeMarkdown(s string) string {
	b, _, _ := appendText(make([]byte, 0, len(s)+len(s)/4), s, modeMarkdown, unlimited)
	return string(b)
}

// isMarkdownSpecial reports whether Discord's Markdown gives r a meaning.
func isMarkdownSpecial(r rune) bool {
	switch r {
	case '\\', '*', '_', '~', '`', '|', '>', '#', '-', '[', ']', '(', ')':
		return true
	}
	return false
}

// cleanRune maps r for modeClean: -1 drops it.
func cleanRune(r rune, oneLine bool) rune {
	switch {
	case r == '\n' || r == '\u2028' || r == '\u2029':
		if oneLine {
			return ' '
		}
		return '\n'
	case r == '\t':
		return ' '
	case r < 0x20, r >= 0x7f && r < 0xa0: // C0 (with \r), DEL, C1
		return -1
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069': // bidi embeddings, overrides, isolates
		return -1
	}
	return r
}

// needsClean reports whether cleaning would change s.
func needsClean(s string, oneLine bool) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && (c != '\n' || oneLine) || c == 0x7f {
				return true
			}
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w == 1 || cleanRune(r, oneLine) != r {
			return true
		}
		i += w
	}
	return false
}

// cleanText applies modeClean (and modeOneLine when oneLine) to s. It
// returns s itself when nothing changes. Invalid UTF-8 becomes U+FFFD.
func cleanText(s string, oneLine bool) string {
	if !needsClean(s, oneLine) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r = cleanRune(r, oneLine); r >= 0 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isExtender reports whether r continues the grapheme before it (zero
// width joiner, variation selectors, skin tones, emoji tags, combining
// marks): a cut must not fall just before it.
func isExtender(r rune) bool {
	switch {
	case r < 0x300:
		return false
	case r == '\u200d', r >= '\ufe00' && r <= '\ufe0f', r >= 0x1f3fb && r <= 0x1f3ff, r >= 0xe0020 && r <= 0xe007f:
		return true
	case r >= 0x1f000 && r < 0x20000: // emoji and symbols: no marks but the ones above
		return false
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc)
}

// isRegionalIndicator reports whether r is half of a flag emoji.
func isRegionalIndicator(r rune) bool { return r >= 0x1f1e6 && r <= 0x1f1ff }

// nextKept returns the first rune of s that mode keeps (after cleaning),
// and the rest of s after it; ok is false when there is none.
func nextKept(s string, mode textMode) (r rune, rest string, ok bool) {
	for len(s) > 0 {
		c, w := utf8.DecodeRuneInString(s)
		s = s[w:]
		if mode&modeClean != 0 {
			if c = cleanRune(c, mode&modeOneLine != 0); c < 0 {
				continue
			}
		}
		return c, s, true
	}
	return 0, "", false
}

// keptHasPrefixFold reports whether s as cleaned by mode starts with the
// ASCII word, ignoring case (so dropped characters cannot hide a mention).
func keptHasPrefixFold(s, word string, mode textMode) bool {
	for i := 0; i < len(word); i++ {
		r, rest, ok := nextKept(s, mode)
		if !ok || r >= utf8.RuneSelf || r|0x20 != rune(word[i])|0x20 {
			return false
		}
		s = rest
	}
	return true
}

// countKept returns the number of code points of s that mode keeps.
func countKept(s string, mode textMode) int {
	if mode&modeClean == 0 {
		return utf8.RuneCountInString(s)
	}
	n := 0
	for _, r := range s {
		if cleanRune(r, mode&modeOneLine != 0) >= 0 {
			n++
		}
	}
	return n
}

// isBlank reports whether s is empty or whitespace once cleaned.
func isBlank(s string) bool {
	for _, r := range s {
		if r = cleanRune(r, true); r >= 0 && !unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// unlimited is the limit of appendText that never cuts.
const unlimited = int(^uint(0) >> 1)

// appendText appends s to dst transformed by mode, writing at most limit
// code points (nothing when limit <= 0). It returns dst, the number of code
// points written and the byte offset in s where it stopped (len(s) when it
// wrote everything). It reads s only up to where it stops (and the word
// after an @), so cutting huge text costs what is written.
//
// The output is always valid UTF-8. Each input rune is transformed as a
// unit (a character with its escaping backslash, an @ or < with its zero
// width space), so a cut never leaves a dangling backslash; and a cut backs
// off to the start of the grapheme it would split (emoji ZWJ sequences,
// skin tones, flags, keycaps, combining marks).
func appendText(dst []byte, s string, mode textMode, limit int) ([]byte, int, int) {
	md := mode&modeMarkdown != 0
	clean := mode&modeClean != 0
	oneLn := mode&modeOneLine != 0
	n := 0
	boundS, boundD, boundN := 0, len(dst), 0 // last grapheme boundary: input offset, output length, runes written
	prev := rune(-1)
	riRun := 0 // regional indicators in a row, to keep flag pairs together
	for i, r := range s {
		if clean {
			if r = cleanRune(r, oneLn); r < 0 {
				continue
			}
		}
		ext := isExtender(r)
		ri := isRegionalIndicator(r)
		if !ext && prev != '\u200d' && !(ri && riRun%2 == 1) {
			boundS, boundD, boundN = i, len(dst), n
		}
		switch {
		case ri:
			riRun++
		case !ext:
			riRun = 0
		}
		w := 1
		var zw, esc bool
		if md {
			switch {
			case isMarkdownSpecial(r):
				esc = true
			case r == '@':
				after := s[i+1:]
				zw = keptHasPrefixFold(after, "everyone", mode) || keptHasPrefixFold(after, "here", mode)
			case r == '<':
				next, _, ok := nextKept(s[i+1:], mode)
				zw = ok && (next == '@' || next == '#')
			}
			if esc || zw {
				w = 2
			}
		}
		if n+w > limit {
			return dst[:boundD], boundN, boundS
		}
		if esc {
			dst = append(dst, '\\')
		}
		dst = utf8.AppendRune(dst, r)
		if zw {
			dst = utf8.AppendRune(dst, zwsp)
		}
		n += w
		prev = r
	}
	return dst, n, len(s)
}
