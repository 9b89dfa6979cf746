// Package script reads and cuts text in Khmer, Thai and Latin script, as
// reporters type it on cheap phones: digits of any of the three scripts, a
// phone number, a child's age, a day; invisible characters removed; text
// cut and counted by what a reader sees as one character. It knows no
// language's words: those are the catalogue's, in package locales.
package script

import (
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/rivo/uniseg"
	"golang.org/x/text/unicode/norm"
)

// Digits converts Khmer (០-៩) and Thai (๐-๙) digits to ASCII digits, leaving
// everything else, so that a phone number or an age typed on a Khmer or Thai
// keyboard reads the same as one typed with ASCII digits.
func Digits(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '០' && r <= '៩':
			return '0' + (r - '០')
		case r >= '๐' && r <= '๙':
			return '0' + (r - '๐')
		}
		return r
	}, s)
}

// Clean removes characters that carry no meaning in a reporter's text and
// that would otherwise hide in what reviewers read, search and compare:
//
//   - zero-width space U+200B, BOM U+FEFF, word joiner U+2060, soft hyphen
//     U+00AD. Khmer (and Thai) are written without spaces between words;
//     some Khmer keyboards put U+200B between words as an invisible
//     line-break hint, so removing it joins nothing that a reader saw as apart;
//   - direction marks, embeddings and isolates (U+200E, U+200F,
//     U+202A–U+202E, U+2066–U+2069), which can also disguise text;
//   - zero-width non-joiner U+200C: in Khmer and Thai it changes at most the
//     shape of a glyph, never the meaning of a word;
//   - zero-width joiner U+200D, except between two visible characters, where
//     it builds emoji sequences (👨‍👩‍👧) and must stay;
//   - C0 and C1 control characters except "\n" and "\t". Line breaks in any
//     form ("\r\n", a lone "\r", "\v", "\f", U+0085, U+2028, U+2029) become
//     "\n", so that lines never run together.
//
// It then normalises to NFC and trims surrounding white space. Clean is
// idempotent: Clean(Clean(s)) == Clean(s).
func Clean(s string) string {
	// Pass 1: drop what carries no meaning and unify line breaks.
	in := []rune(s)
	rs := make([]rune, 0, len(in))
	for i, r := range in {
		switch {
		case r == '\r' && i+1 < len(in) && in[i+1] == '\n':
			// the "\n" follows
		case r == '\r' || r == '\v' || r == '\f' || r == '\u0085' || r == '\u2028' || r == '\u2029':
			rs = append(rs, '\n')
		case r == '\n' || r == '\t':
			rs = append(rs, r)
		case meaningless(r):
		default:
			rs = append(rs, r)
		}
	}
	// Pass 2: keep a ZWJ only between two visible characters; of a run of
	// ZWJs only the last can stay.
	out := rs[:0]
	for i, r := range rs {
		if r == zwj && !(len(out) > 0 && visible(out[len(out)-1]) && i+1 < len(rs) && visible(rs[i+1])) {
			continue
		}
		out = append(out, r)
	}
	return strings.TrimSpace(norm.NFC.String(string(out)))
}

const zwj = '\u200d'

// visible tells whether r can hold a ZWJ on one side.
func visible(r rune) bool { return r != zwj && !unicode.IsSpace(r) }

// meaningless reports the characters Clean always drops.
func meaningless(r rune) bool {
	switch {
	case r == '\u200b', r == '\ufeff', r == '\u2060', r == '\u00ad', r == '\u200c':
		return true
	case r == '\u200e', r == '\u200f', r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
		return true
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true // "\n", "\t" and line breaks are handled before
	}
	return false
}

// Truncate cuts s to at most max user-perceived characters (see Length) and
// adds "…" when it cut; it returns s unchanged if it fits. It cuts only
// between grapheme clusters (github.com/rivo/uniseg), so never through a
// vowel, a tone mark or an emoji, and it keeps a Khmer consonant stack
// written with coeng (U+17D2), like ក្ម in ក្មេង, and a Thai vowel written
// before its consonant, like เ in เด็ก, with the consonant they belong to.
// White space before the cut is dropped. s should be valid UTF-8 (Clean's
// output is); invalid bytes count as one character each and are kept as is.
func Truncate(s string, max int) string {
	end, keep := 0, 0 // keep: the end of the last character that is not white space
	for n := 0; end < len(s); n++ {
		if n >= max {
			return s[:keep] + "…"
		}
		c := firstChar(s[end:])
		end += len(c)
		if strings.TrimSpace(c) != "" {
			keep = end
		}
	}
	return s
}

// KeepEnd keeps the end of s within max bytes: it drops characters from
// the start (never cutting one, see Truncate) and puts "…" in their place.
// It returns s unchanged if it fits. Bounds on what a reporter types keep
// the newest words, so the cut is at the start.
func KeepEnd(s string, max int) string {
	if len(s) <= max {
		return s
	}
	const mark = "…"
	from := len(s) - max + len(mark)
	start := 0
	for start < len(s) && start < from {
		start += len(firstChar(s[start:]))
	}
	return mark + strings.TrimLeftFunc(s[start:], unicode.IsSpace)
}

// Split cuts s into pieces of at most max UTF-16 code units each (the
// measure of Telegram's 4,096-unit message limit), only between
// characters (see Truncate), so that a long text can be sent or read part
// by part. A single character longer than max is a piece of its own. It
// returns nil for an empty s.
func Split(s string, max int) []string {
	var parts []string
	for s != "" {
		head := Head(s, max)
		parts = append(parts, head)
		s = s[len(head):]
	}
	return parts
}

// Head is the start of s within max UTF-16 code units, cut between
// characters (at least one character of a non-empty s): the first piece
// Split would give, found without reading the rest of s.
func Head(s string, max int) string {
	end, units := 0, 0
	for end < len(s) {
		c := firstChar(s[end:])
		n := utf16Len(c)
		if units+n > max && end > 0 {
			break
		}
		end += len(c)
		units += n
	}
	return s[:end]
}

// utf16Len counts the UTF-16 code units of s.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// Length counts user-perceived characters: grapheme clusters, with a Khmer
// coeng stack or a Thai leading vowel counted together with the consonant
// that follows (the same units Truncate cuts between). "ក្មេង" is 2, "น้ำ" is 1,
// "👨‍👩‍👧" is 1.
func Length(s string) int {
	n := 0
	for rest := s; rest != ""; n++ {
		rest = rest[len(firstChar(rest)):]
	}
	return n
}

// firstChar returns the first user-perceived character of a non-empty s.
func firstChar(s string) string {
	end := 0
	for end < len(s) {
		// Each cluster is read fresh (state -1): joinsNext decides joins.
		c, _, _, _ := uniseg.FirstGraphemeClusterInString(s[end:], -1)
		end += len(c)
		if !joinsNext(c, s[end:]) {
			break
		}
	}
	return s[:end]
}

// joinsNext tells whether the grapheme cluster c must stay with the text
// that follows it: a Khmer cluster ending in coeng with the consonant it
// puts under the stack, a Thai or Lao leading vowel with its consonant.
func joinsNext(c, rest string) bool {
	if rest == "" {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(c)
	next, _ := utf8.DecodeRuneInString(rest)
	switch {
	case last == '\u17d2': // Khmer coeng
		return next >= '\u1780' && next <= '\u17b3'
	case last >= '\u0e40' && last <= '\u0e44': // Thai เ แ โ ใ ไ
		return next >= '\u0e01' && next <= '\u0e2e'
	case last >= '\u0ec0' && last <= '\u0ec4': // Lao leading vowels
		return next >= '\u0e81' && next <= '\u0eae'
	}
	return false
}
