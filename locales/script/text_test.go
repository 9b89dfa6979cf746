package script

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

func TestDigits(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"Khmer digits", "០១២៣៤៥៦៧៨៩", "0123456789"},
		{"Thai digits", "๐๑๒๓๔๕๖๗๘๙", "0123456789"},
		{"Khmer age", "អាយុ ១២ ឆ្នាំ", "អាយុ 12 ឆ្នាំ"},
		{"Thai phone", "โทร ๑๙๑", "โทร 191"},
		{"mixed number", "+66 ๙๙ ១៣០ 1300", "+66 99 130 1300"},
		{"Khmer divination numerals stay", "៰៱", "៰៱"},
		{"Lao digits stay", "໑໒", "໑໒"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Digits(tt.in); got != tt.want {
				t.Errorf("Digits(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestClean(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"Khmer zero-width spaces between words", "ក្មេង\u200bស្រី\u200bនៅ\u200bភូមិ", "ក្មេងស្រីនៅភូមិ"},
		{"BOM", "\ufeffសួស្ដី", "សួស្ដី"},
		{"word joiner", "เด็ก\u2060ผู้หญิง", "เด็กผู้หญิง"},
		{"soft hyphen", "เด็ก\u00adผู้หญิง", "เด็กผู้หญิง"},
		{"direction marks", "\u200eน้ำ\u200f", "น้ำ"},
		{"embedding and override", "\u202aab\u202c \u202ecd\u202c", "ab cd"},
		{"isolates", "\u2066ที่\u2069 \u2067x\u2068y\u2069", "ที่ xy"},
		{"ZWNJ dropped", "ក\u200cា", "កា"},
		{"emoji ZWJ sequence kept", "👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"},
		{"ZWJ at the edges dropped", "\u200dស្រី\u200d", "ស្រី"},
		{"ZWJ beside a space dropped", "a\u200d b \u200dc", "a b c"},
		{"ZWJ run collapses", "👩\u200d\u200d\u200d💻", "👩\u200d💻"},
		{"CRLF and CR", "a\r\nb\rc", "a\nb\nc"},
		{"other line breaks", "a\vb\fc\u0085d\u2028e\u2029f", "a\nb\nc\nd\ne\nf"},
		{"tab kept", "a\tb", "a\tb"},
		{"C0 and C1 controls", "a\x00b\x1b[1mc\x7fd\u009be", "ab[1mcde"},
		{"NFC", "cafe\u0301", "café"},
		{"trims", "  \n ស្រី \t\n", "ស្រី"},
		{"keeps inner spacing", "ក ខ\n\nគ", "ក ខ\n\nគ"},
		{"invalid UTF-8", "a\xffb", "a\ufffdb"},
		{"only invisible", "\u200b\u200d\ufeff", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Clean(tt.in)
			if got != tt.want {
				t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := Clean(got); again != got {
				t.Errorf("Clean not idempotent: Clean(%q) = %q", got, again)
			}
		})
	}
}

func TestLength(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"ក្មេង", 2},       // ក្មេ ង
		{"ស្រី", 1},        // one stack with its vowel
		{"ស្ត្រី", 1},      // two subscripts
		{"កុមារ", 3},       // កុ មា រ
		{"គ្រោះថ្នាក់", 3}, // គ្រោះ ថ្នា ក់
		{"น้ำ", 1},
		{"ที่", 1},
		{"เด็กผู้หญิง", 6}, // เด็ ก ผู้ ห ญิ ง
		{"ไม่รู้", 2},
		{"👨\u200d👩\u200d👧", 1},
		{"🇰🇭🇹🇭", 2},
		{"1️⃣", 1},
		{"👍🏽", 1},
		{"a\r\nb", 3},
	}
	for _, tt := range tests {
		if got := Length(tt.in); got != tt.want {
			t.Errorf("Length(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"ក្មេង", 1, "ក្មេ…"},
		{"ក្មេង", 2, "ក្មេង"},
		{"ស្រី", 1, "ស្រី"},
		{"ស្ត្រី ក្មេង", 1, "ស្ត្រី…"},
		{"ស្ត្រី ក្មេង", 2, "ស្ត្រី…"}, // the space is dropped before the cut
		{"កុមារបាត់ខ្លួន", 3, "កុមារ…"},
		{"គ្រោះថ្នាក់", 2, "គ្រោះថ្នា…"},
		{"น้ำท่วม", 1, "น้ำ…"},
		{"ที่นี่", 1, "ที่…"},
		{"เด็กผู้หญิง", 1, "เด็…"},
		{"เด็กผู้หญิง", 3, "เด็กผู้…"},
		{"เด็กผู้หญิง", 4, "เด็กผู้ห…"},
		{"ไม่รู้", 1, "ไม่…"},
		{"👨\u200d👩\u200d👧👍🏽🇰🇭", 1, "👨\u200d👩\u200d👧…"},
		{"👨\u200d👩\u200d👧👍🏽🇰🇭", 2, "👨\u200d👩\u200d👧👍🏽…"},
		{"hello world", 6, "hello…"},
		{"abc", 3, "abc"},
		{"  abc  ", 7, "  abc  "},
		{"abc", 0, "…"},
		{"abc", -1, "…"},
		{"", 0, ""},
	}
	for _, tt := range tests {
		if got := Truncate(tt.in, tt.max); got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

// truncateSamples are reporters' words in Khmer and Thai, with marks above,
// below and before the consonant, subscripts, and emoji.
var truncateSamples = []string{
	"ក្មេងស្រីម្នាក់ត្រូវគេលក់",
	"ស្ត្រី និងកុមារបាត់ខ្លួន",
	"គ្រោះថ្នាក់ឥឡូវនេះ! ១២ ឆ្នាំ",
	"น้ำท่วมที่บ้าน",
	"เด็กผู้หญิงอายุ ๑๒ ปี ไม่ได้ไปโรงเรียน",
	"แม่เล่าว่าจะมีคนมารับไปทำงานที่ไทย",
	"👨\u200d👩\u200d👧 เด็ก 🇰🇭🇹🇭 1️⃣ ក្មេង 👍🏽",
	"Phnom Penh, ផ្សារ 🏪 ตลาด",
}

func TestTruncateEveryLength(t *testing.T) {
	for _, s := range truncateSamples {
		chars := splitChars(s)
		for n := -1; n <= len(chars)+1; n++ {
			got := Truncate(s, n)
			if !utf8.ValidString(got) {
				t.Fatalf("Truncate(%q, %d) = %q: not valid UTF-8", s, n, got)
			}
			if n >= len(chars) {
				if got != s {
					t.Errorf("Truncate(%q, %d) = %q, want it unchanged", s, n, got)
				}
				continue
			}
			body, ok := strings.CutSuffix(got, "…")
			if !ok {
				t.Errorf("Truncate(%q, %d) = %q: no ellipsis", s, n, got)
				continue
			}
			kept := splitChars(body)
			if len(kept) > max(n, 0) || !slices.Equal(kept, chars[:len(kept)]) {
				t.Errorf("Truncate(%q, %d) = %q: characters %q are not the first %d of %q", s, n, got, kept, n, chars)
			}
			if rest := s[len(body):]; startsWithMark(rest) {
				t.Errorf("Truncate(%q, %d) = %q: cut before a mark: %q", s, n, got, rest)
			}
			if last, _ := utf8.DecodeLastRuneInString(body); last == '\u17d2' || last >= '\u0e40' && last <= '\u0e44' {
				t.Errorf("Truncate(%q, %d) = %q: ends with a coeng or a leading vowel", s, n, got)
			}
		}
	}
}

// splitChars splits s into the characters Length counts.
func splitChars(s string) []string {
	var out []string
	for s != "" {
		c := firstChar(s)
		out = append(out, c)
		s = s[len(c):]
	}
	return out
}

// startsWithMark tells whether s starts with something that belongs to the
// character before it: a vowel sign, tone mark, joiner or emoji modifier.
func startsWithMark(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return s != "" && (unicode.In(r, unicode.Mn, unicode.Mc, unicode.Me) || r == '\u200d' || r >= 0x1F3FB && r <= 0x1F3FF)
}

func FuzzClean(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		got := Clean(s)
		if !utf8.ValidString(got) {
			t.Fatalf("Clean(%q) = %q: not valid UTF-8", s, got)
		}
		if again := Clean(got); again != got {
			t.Fatalf("Clean not idempotent: Clean(%q) = %q, Clean of that = %q", s, got, again)
		}
		if got != strings.TrimSpace(got) {
			t.Fatalf("Clean(%q) = %q: not trimmed", s, got)
		}
		for _, r := range got {
			if meaningless(r) && r != '\n' && r != '\t' || r == '\r' {
				t.Fatalf("Clean(%q) = %q: kept %U", s, got, r)
			}
		}
	})
}

func FuzzTruncate(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string, n int) {
		got := Truncate(s, n)
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("Truncate(%q, %d) = %q: not valid UTF-8", s, n, got)
		}
		if l := Length(got); l > max(n, 0)+1 {
			t.Fatalf("Truncate(%q, %d) = %q: %d characters", s, n, got, l)
		}
		if Length(s) <= max(n, 0) {
			if got != s {
				t.Fatalf("Truncate(%q, %d) = %q, want it unchanged", s, n, got)
			}
			return
		}
		body, ok := strings.CutSuffix(got, "…")
		if !ok || !strings.HasPrefix(s, body) {
			t.Fatalf("Truncate(%q, %d) = %q: not a prefix and an ellipsis", s, n, got)
		}
		kept := splitChars(body)
		if all := splitChars(s); len(kept) > len(all) || !slices.Equal(kept, all[:len(kept)]) {
			t.Fatalf("Truncate(%q, %d) = %q: cut inside a character", s, n, got)
		}
	})
}

// TestKeepEnd: the end of a long text is kept within the bytes allowed,
// cut only between characters, so a Khmer stack or a Thai leading vowel
// is never split from its consonant.
func TestKeepEnd(t *testing.T) {
	if got := KeepEnd("short", 100); got != "short" {
		t.Errorf("KeepEnd of a short text = %q, want it unchanged", got)
	}
	for _, word := range []string{"ក្មេងស្រី ", "เด็กผู้หญิง ", "abc ", "👨‍👩‍👧 "} {
		s := strings.Repeat(word, 500) + "end"
		for _, max := range []int{10, 37, 100, 1001} {
			got := KeepEnd(s, max)
			if len(got) > max {
				t.Errorf("KeepEnd(%q…, %d) is %d bytes", word, max, len(got))
			}
			if !strings.HasSuffix(got, "end") || !strings.HasPrefix(got, "…") {
				t.Errorf("KeepEnd(%q…, %d) = %q, want … then the end of the text", word, max, got)
			}
			body := strings.TrimPrefix(got, "…")
			if Length(body)+Length(s[:len(s)-len(body)]) != Length(s) {
				t.Errorf("KeepEnd(%q…, %d) cut through a character: %q", word, max, got)
			}
		}
	}
}

// TestSplit: the parts of a long text, put together, are the text, each
// at most the UTF-16 units asked for, never cut through a character.
func TestSplit(t *testing.T) {
	for _, word := range []string{"ក្មេងស្រី ", "เด็กผู้หญิง ", "abc "} {
		s := strings.Repeat(word, 400)
		parts := Split(s, 100)
		if strings.Join(parts, "") != s {
			t.Fatalf("Split(%q…) parts do not make the text", word)
		}
		total := 0
		for _, p := range parts {
			if n := len(utf16.Encode([]rune(p))); n > 100 || p == "" {
				t.Fatalf("Split(%q…): a part of %d UTF-16 units", word, n)
			}
			total += Length(p)
		}
		if total != Length(s) {
			t.Errorf("Split(%q…) cut through a character: %d characters in parts, %d in the text", word, total, Length(s))
		}
	}
	if Split("", 10) != nil {
		t.Error("Split of an empty text is not empty")
	}
}
