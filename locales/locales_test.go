package locales

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/BurntSushi/toml"

	"github.com/tipline/tipline/locales/script"
	"github.com/tipline/tipline/reply"
)

// sample is template data for every placeholder the messages use.
var sample = map[string]any{
	"Reference": "TL-7K3Q-9XDM",
	"Count":     3,
	"Days":      90,
	"Part":      2,
	"Why":       "the reviewer who has it does not answer",
	"Parts":     5,
	"Total":     34,
	"Max":       10,
	"Country":   "Cambodia",
	"Number":    "117",
	"Name":      "Police",
	"Label":     "Where",
	"Value":     "Poipet",
	"Lat":       "13.65869",
	"Lon":       "102.56370",
	"Code":      "1234 5678 9012 3456",
	"Kind":      "child at risk",
	"Status":    "received",
	"Date":      "22/11/2026",
	"Urgency":   "urgent",
	"Area":      "Poipet",
	"Age":       "12 min",
	"Level":     2,
	"Outcome":   "Referred to police",
	"Older":     "TL-4ACF-9XDM",
	"When":      "22/11/2026 16:30",
	"Names":     "Dara, Sophea",
	"Text":      "Can you tell us more?",
	"N":         12,
	"Unknown":   3,
	"Day":       22,
	"Month":     11,
	"Year":      2026,
	"URL":       "https://maps.google.com/?q=13.65869,102.56370",
	// Reviewers' timeline, classification and /find.
	"Who":          "Dara",
	"What":         "Taken by Dara",
	"Time":         "22/11/2026 09:30",
	"Exploitation": "Forced labour",
	"Risk":         "High risk",
	"Reason":       "Spam",
	"Partner":      "APLE",
	"Other":        "TL-4ACF-9XDN",
	"Distance":     "1.2 km",
	"Km":           "1.2",
	// The board report.
	"Title":     "Tipline Cambodia",
	"Period":    "05/10/2026 to 29/11/2026",
	"From":      "05/10/2026",
	"To":        "29/11/2026",
	"Version":   "v1.4.0",
	"Generated": "30/11/2026 09:00 ICT",
	"Series":    "Missing child",
	"Week":      "05/10",
	"Unit":      "cases",
	"P":         "87",
	"Urgent":    9,
	"Missing":   "3 missing children",
	"Safe":      2,
	"Harmed":    1,
}

func TestEveryIDInEveryLanguage(t *testing.T) {
	c := MustLoad()
	en := c.IDs("en")
	if len(en) == 0 {
		t.Fatal("en.toml has no messages")
	}
	for _, lang := range Languages[1:] {
		ids := c.IDs(lang)
		if missing := minus(en, ids); len(missing) > 0 {
			t.Errorf("%s.toml is missing %d IDs that en.toml has: %s", lang, len(missing), strings.Join(missing, ", "))
		}
		if extra := minus(ids, en); len(extra) > 0 {
			t.Errorf("%s.toml has %d IDs that en.toml lacks: %s", lang, len(extra), strings.Join(extra, ", "))
		}
	}
}

var placeholderRE = regexp.MustCompile(`\{\{.*?\}\}`)

// placeholders lists a template's actions ({{.Count}}), spaces removed, sorted, once each.
func placeholders(s string) []string {
	var out []string
	for _, p := range placeholderRE.FindAllString(s, -1) {
		out = append(out, strings.Join(strings.Fields(p), ""))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestSamePlaceholders(t *testing.T) {
	c := MustLoad()
	for _, id := range c.IDs("en") {
		en, _ := c.Raw("en", id)
		want := placeholders(en)
		for _, lang := range Languages[1:] {
			s, ok := c.Raw(lang, id)
			if !ok {
				continue // TestEveryIDInEveryLanguage names it
			}
			got := placeholders(s)
			if !slices.Equal(got, want) {
				t.Errorf("%s %s: placeholders %v, want %v (missing %v, extra %v)",
					lang, id, got, want, minus(want, got), minus(got, want))
			}
		}
	}
}

// scriptFree reports whether a message is only placeholders, emoji, digits
// and punctuation, so that it is the same in every language.
func scriptFree(s string) bool {
	return !strings.ContainsFunc(placeholderRE.ReplaceAllString(s, ""), unicode.IsLetter)
}

func hasKhmer(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r >= 0x1780 && r <= 0x17FF })
}

func hasThai(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r >= 0x0E00 && r <= 0x0E7F })
}

func TestScripts(t *testing.T) {
	c := MustLoad()
	for _, lang := range Languages {
		for _, id := range c.IDs(lang) {
			s, _ := c.Raw(lang, id)
			if strings.HasPrefix(id, "language_name_") || scriptFree(s) {
				continue
			}
			switch lang {
			case "en":
				if hasKhmer(s) || hasThai(s) {
					t.Errorf("en %s has Khmer or Thai script: %q", id, s)
				}
			case "km":
				if !hasKhmer(s) {
					t.Errorf("km %s has no Khmer script (untranslated?): %q", id, s)
				}
				if hasThai(s) {
					t.Errorf("km %s has Thai script: %q", id, s)
				}
			case "th":
				if !hasThai(s) {
					t.Errorf("th %s has no Thai script (untranslated?): %q", id, s)
				}
				if hasKhmer(s) {
					t.Errorf("th %s has Khmer script: %q", id, s)
				}
			}
		}
	}
}

// latinAllowed are the Latin words a Khmer or Thai message may hold: names,
// and the labels of Telegram's own menus (the attach button's Location, the
// Delete of a message or a chat), which most reporters see in English:
// Telegram has no Khmer interface. Commands (/help) and placeholders are
// always allowed.
var latinAllowed = []string{"Tipline", "Telegram", "Location", "Delete", "iPhone", "English"}

var (
	commandRE = regexp.MustCompile(`/[a-z_]+`)
	latinRE   = regexp.MustCompile(`[A-Za-z]+`)
)

func TestNoEnglishLeftInTranslations(t *testing.T) {
	c := MustLoad()
	for _, lang := range Languages[1:] {
		for _, id := range c.IDs(lang) {
			s, _ := c.Raw(lang, id)
			s = commandRE.ReplaceAllString(placeholderRE.ReplaceAllString(s, ""), "")
			for _, w := range latinRE.FindAllString(s, -1) {
				if !slices.Contains(latinAllowed, w) {
					t.Errorf("%s %s: Latin word %q (untranslated?)", lang, id, w)
				}
			}
		}
	}
}

func TestEveryMessageRenders(t *testing.T) {
	c := MustLoad()
	for _, lang := range Languages {
		for _, id := range c.IDs("en") {
			got := c.Text(lang, id, sample)
			switch {
			case got == id:
				t.Errorf("%s %s: Text returned the ID", lang, id)
			case strings.TrimSpace(got) == "":
				t.Errorf("%s %s: Text is empty", lang, id)
			case strings.Contains(got, "<no value>") || strings.Contains(got, "{{"):
				t.Errorf("%s %s: placeholder left unrendered: %q", lang, id, got)
			case !utf8.ValidString(got):
				t.Errorf("%s %s: not valid UTF-8", lang, id)
			}
		}
	}
}

// labelPrefixes are the IDs shown on buttons, where a phone has little room.
var labelPrefixes = []string{"button_", "menu_", "answer_", "edit_", "language_name_"}

func TestButtonLabelsShort(t *testing.T) {
	const max = 40 // runes; Khmer and Thai marks are runes too
	c := MustLoad()
	for _, lang := range Languages {
		for _, id := range c.IDs(lang) {
			if !slices.ContainsFunc(labelPrefixes, func(p string) bool { return strings.HasPrefix(id, p) }) {
				continue
			}
			s, _ := c.Raw(lang, id)
			if n := utf8.RuneCountInString(s); n >= max {
				t.Errorf("%s %s: %d runes, want under %d: %q", lang, id, n, max, s)
			}
		}
	}
}

// checkMessageFile lists what is wrong in a message file: a top-level key
// that is not a message table, a table with keys other than "other" and
// "one" (English needs a singular beside a count: "1 file"; Khmer and Thai
// have no plural forms), an empty message, or an ID not in known (nil: any ID).
func checkMessageFile(data []byte, known map[string]bool) []string {
	var doc map[string]any
	if _, err := toml.Decode(string(data), &doc); err != nil {
		return []string{err.Error()}
	}
	var problems []string
	for id, v := range doc {
		table, ok := v.(map[string]any)
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: a value, not a [table]", id))
			continue
		}
		if known != nil && !known[id] {
			problems = append(problems, fmt.Sprintf("[%s]: unknown table, not in en.toml", id))
		}
		for k, v := range table {
			switch _, sub := v.(map[string]any); {
			case sub:
				problems = append(problems, fmt.Sprintf("[%s.%s]: unknown table", id, k))
			case k != "other" && k != "one":
				problems = append(problems, fmt.Sprintf("[%s]: unknown key %q", id, k))
			}
		}
		other, ok := table["other"].(string)
		if !ok || strings.TrimSpace(other) == "" {
			problems = append(problems, fmt.Sprintf("[%s]: empty message", id))
		}
	}
	slices.Sort(problems)
	return problems
}

func TestMessageFiles(t *testing.T) {
	en, err := files.ReadFile("en.toml")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if _, err := toml.Decode(string(en), &doc); err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for id := range doc {
		known[id] = true
	}
	for _, lang := range Languages {
		data, err := files.ReadFile(lang + ".toml")
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range checkMessageFile(data, known) {
			t.Errorf("%s.toml: %s", lang, p)
		}
	}
}

func TestCheckMessageFile(t *testing.T) {
	known := map[string]bool{"welcome": true, "menu": true}
	tests := []struct {
		name, file string
		want       []string
	}{
		{"good", "[welcome]\nother = \"Hello\"\n[menu]\nother = \"Menu\"", nil},
		{"unknown table", "[welcome]\nother = \"Hello\"\n[welcom]\nother = \"Hi\"", []string{"[welcom]: unknown table, not in en.toml"}},
		{"empty", "[welcome]\nother = \"\"", []string{"[welcome]: empty message"}},
		{"blank", "[welcome]\nother = \"\"\"\n  \n\"\"\"", []string{"[welcome]: empty message"}},
		{"no other", "[welcome]\none = \"Hello\"", []string{"[welcome]: empty message"}},
		{"one and other", "[welcome]\none = \"1 file\"\nother = \"2 files\"", nil},
		{"few", "[welcome]\nfew = \"Hello\"\nother = \"Hello\"", []string{"[welcome]: unknown key \"few\""}},
		{"extra key", "[welcome]\nother = \"Hello\"\ndescription = \"x\"", []string{"[welcome]: unknown key \"description\""}},
		{"nested table", "[welcome]\nother = \"Hello\"\n[welcome.extra]\nother = \"x\"", []string{"[welcome.extra]: unknown table"}},
		{"bare value", "welcome = \"Hello\"", []string{"welcome: a value, not a [table]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkMessageFile([]byte(tt.file), known)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// glossary holds the terms of GLOSSARY.md that a test can check: when an
// English message matches en, its Khmer and Thai must contain km and th.
//
// A Khmer or Thai word may list alternatives, split by "|": in Thai, after
// the first mention, a report is เรื่องนี้ ("this matter"), as a Thai
// speaker says it, rather than เรื่องที่แจ้ง again and again.
var glossary = []struct{ en, km, th string }{
	{`(?i)\breport`, "រាយការណ៍", "แจ้ง|เรื่องนี้|เลขที่เรื่อง"},
	{`(?i)report number`, "លេខរាយការណ៍", "เลขที่เรื่อง"},
	{`(?i)(?:^|[^.\w])code\b`, "លេខសម្ងាត់", "รหัสลับ"}, // the follow-up code; not {{.Code}}
	{`(?i)\bteam\b`, "ក្រុមការងាររបស់យើង", "ทีมงานของเรา"},
	{`(?i)give your name`, "មិនបាច់ប្រាប់ឈ្មោះ", "ไม่ต้องบอกชื่อ"},
	{`(?i)emergenc`, "អាសន្ន", "ฉุกเฉิน"},
	{`(?i)police`, "ប៉ូលិស", "ตำรวจ"},
	{`(?i)\bchild`, "កុមារ", "เด็ก"},
	{`(?i)missing child`, "កុមារបាត់ខ្លួន", "เด็กหาย"},
	{`(?i)in public`, "ប្រកាសរក", "ประกาศตามหา"},
	{`(?i)\bclears?\b`, "សម្អាត", "ล้าง"},
	{`(?i)in danger|at risk`, "មានគ្រោះថ្នាក់", "อยู่ในอันตราย"},
	{`(?i)urgent`, "បន្ទាន់", "ด่วน"},
	{`(?i)trafficking`, "ការជួញដូរមនុស្ស", "ค้ามนุษย์"},
	{`(?i)\blocked`, "ចាក់សោ", "ล็อก"},
	{`(?i)(?:^|[^/\w])privacy`, "ការរក្សាការសម្ងាត់", "ความเป็นส่วนตัว"},
	{`(?i)\bchat\b`, "ការជជែក", "แชท"},
	{`(?i)voice message`, "សារសំឡេង", "ข้อความเสียง"},
	{`(?i)\bphoto`, "រូបថត", "รูป"},
	{`(?i)\bvideo`, "វីដេអូ", "วิดีโอ"},
	{`(?i)\blocation`, "ទីតាំង", "ตำแหน่ง"},
	{`(?i)\bskip`, "រំលង", "ข้าม"},
	{`(?i)\bcancel|\bstop`, "បោះបង់", "ยกเลิก"},
	{`(?i)\bdelet`, "លុប", "ลบ"},
	{`(?i)\bsend\b`, "ផ្ញើ", "ส่ง"},
	{`\bDone\b`, "រួចរាល់", "เสร็จแล้ว"},
}

func TestGlossary(t *testing.T) {
	c := MustLoad()
	doc, err := os.ReadFile("GLOSSARY.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, term := range glossary {
		for _, w := range strings.Split(term.km+"|"+term.th, "|") {
			if !strings.Contains(string(doc), w) {
				t.Errorf("GLOSSARY.md does not list %q, which the test checks for %s", w, term.en)
			}
		}
		re := regexp.MustCompile(term.en)
		for _, id := range c.IDs("en") {
			en, _ := c.Raw("en", id)
			if !re.MatchString(en) {
				continue
			}
			for lang, w := range map[string]string{"km": term.km, "th": term.th} {
				if s, ok := c.Raw(lang, id); ok && !containsAny(s, strings.Split(w, "|")) {
					t.Errorf("%s %s: English matches %s, so it should say %q: %q", lang, id, term.en, w, s)
				}
			}
		}
	}
}

func containsAny(s string, words []string) bool {
	return slices.ContainsFunc(words, func(w string) bool { return strings.Contains(s, w) })
}

// minus returns the elements of a that are not in b, in a's order.
func minus(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

func TestFormatPhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+85512345678", "+855 12 345 678"},
		{"+855971234567", "+855 97 123 4567"},
		{"+66812345678", "+66 81 234 5678"},
		{"+6621234567", "+66 2 123 4567"},
		{"+4420712345", "+4420712345"}, // not ours: unchanged
		{"+855123", "+855123"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := FormatPhone(tt.in); got != tt.want {
			t.Errorf("FormatPhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Every number Phone accepts comes out grouped.
	for _, in := range []string{"012 345 678", "097 123 4567", "081 234 5678", "02 123 4567"} {
		for _, country := range []string{"KH", "TH"} {
			e, ok := script.Phone(in, country)
			if !ok {
				t.Fatalf("Phone(%q) refused", in)
			}
			if got := FormatPhone(e); got == e {
				t.Errorf("FormatPhone(%q) left it ungrouped", e)
			}
		}
	}
}

// TestValuesInEachLanguage: values written by code read in the reader's
// language, with the units and the era of the catalogue.
func TestValuesInEachLanguage(t *testing.T) {
	c := MustLoad()
	day := reply.Day(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC))
	tests := []struct {
		lang string
		v    any
		want string
	}{
		{"en", reply.Elapsed(12 * time.Minute), "12 min"},
		{"km", reply.Elapsed(12 * time.Minute), "12 នាទី"},
		{"th", reply.Elapsed(12 * time.Minute), "12 นาที"},
		{"en", reply.Elapsed(3*time.Hour + 5*time.Minute), "3 h"},
		{"th", reply.Elapsed(47 * time.Hour), "47 ชม."},
		{"km", reply.Elapsed(50 * time.Hour), "2 ថ្ងៃ"},
		{"en", reply.Elapsed(-time.Minute), "0 min"}, // clocks a little apart
		{"en", reply.Years(9), "9 years"},
		{"en", reply.Years(1), "1 year"},
		{"km", reply.Years(9), "9 ឆ្នាំ"},
		{"th", reply.Years(9), "9 ปี"},
		{"en", day, "20/11/2026"},
		{"km", day, "20/11/2026"},
		{"th", day, "20/11/2569"},
		// One form everywhere: day and month in two digits.
		{"en", reply.Day(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)), "07/12/2026"},
		{"th", reply.Moment(time.Date(2026, 12, 7, 8, 5, 0, 0, time.UTC)), "07/12/2569 08:05"},
		{"en", reply.PhoneNumber("+85512345678"), "+855 12 345 678"},
		{"en", reply.MapLink{Lat: 13.65869, Lon: 102.5637}, "📍 on the map: https://maps.google.com/?q=13.65869,102.56370"},
	}
	for _, tt := range tests {
		if got, ok := c.Value(tt.lang, tt.v); !ok || got != tt.want {
			t.Errorf("%s %T %v = %q, want %q", tt.lang, tt.v, tt.v, got, tt.want)
		}
		// The same, as message data.
		got := c.Text(tt.lang, "summary_count", map[string]any{"Count": tt.v})
		if got != tt.want {
			t.Errorf("%s: a Value in data rendered %q, want %q", tt.lang, got, tt.want)
		}
	}
}

// TestPluralForms: English counts read "1 file", "2 files"; the count picks
// the form (the review's "(1 files)").
func TestPluralForms(t *testing.T) {
	c := MustLoad()
	for n, want := range map[int]string{1: "Sent (1 file)", 2: "Sent (2 files)"} {
		if got := c.Text("en", "rv_event_with_files", map[string]any{"What": "Sent", "Count": n}); got != want {
			t.Errorf("%d: %q, want %q", n, got, want)
		}
	}
	if got := c.Text("en", "tip_media_received", map[string]any{"Count": 1}); got != "We got 1 photo or video. Send more, or press Done." {
		t.Errorf("1 photo: %q", got)
	}
}

// TestPlainTextsKept: a message without data reads the same when it is
// written again from what was kept, and only the catalogue's own
// languages and IDs are kept (a language code from a phone is not).
func TestPlainTextsKept(t *testing.T) {
	c := MustLoad()
	for _, lang := range Languages {
		for _, id := range c.IDs(lang) {
			want := c.text(lang, id, nil)
			if first, again := c.Text(lang, id, nil), c.Text(lang, id, nil); first != want || again != want {
				t.Fatalf("%s %s: %q then %q, want %q", lang, id, first, again, want)
			}
		}
	}
	if got := c.Text("en", "unit_minutes", map[string]any{"N": 3}); got == c.Text("en", "unit_minutes", map[string]any{"N": 4}) {
		t.Fatalf("a message with data came back as kept: %q", got)
	}
	c.Text("xx-forged", "menu_title", nil)
	c.Text("en", "no_such_message", nil)
	c.plain.Range(func(k, _ any) bool {
		if key := k.(plainKey); !c.Has(key.lang, key.id) {
			t.Errorf("kept %v, which the catalogue does not have", key)
		}
		return true
	})
}
