// Package locales holds every word a user reads, in Khmer, Thai and
// English, as go-i18n message files embedded in the binary, and renders them.
package locales

import (
	"embed"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/nicksnyder/go-i18n/v2/i18n/template"
	"golang.org/x/text/language"

	"github.com/tipline/tipline/reply"
)

//go:embed *.toml
var files embed.FS

// Languages are the languages we ship, English first (the fallback).
var Languages = []string{"en", "km", "th"}

// Catalog renders messages by ID in a language.
type Catalog struct {
	bundle *i18n.Bundle
	ids    map[string][]string // language → message IDs
	mu     sync.Mutex
	locs   map[string]*i18n.Localizer
	// plain holds the messages without data once written (lang, id →
	// text), for the languages and IDs the catalogue has: most of a reply
	// (its buttons, its fixed lines) is such a message, written again at
	// every update.
	plain sync.Map
}

// Load parses the embedded message files.
func Load() (*Catalog, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	c := &Catalog{bundle: b, ids: map[string][]string{}, locs: map[string]*i18n.Localizer{}}
	for _, lang := range Languages {
		data, err := files.ReadFile(lang + ".toml")
		if err != nil {
			return nil, fmt.Errorf("locales: %w", err)
		}
		mf, err := b.ParseMessageFileBytes(data, lang+".toml")
		if err != nil {
			return nil, fmt.Errorf("locales: %s.toml: %w", lang, err)
		}
		for _, m := range mf.Messages {
			c.ids[lang] = append(c.ids[lang], m.ID)
		}
		slices.Sort(c.ids[lang])
	}
	return c, nil
}

// MustLoad is Load for tests and start-up, where the embedded files are known good.
func MustLoad() *Catalog {
	c, err := Load()
	if err != nil {
		panic(err)
	}
	return c
}

// IDs lists the message IDs defined in a language, sorted.
func (c *Catalog) IDs(lang string) []string { return slices.Clone(c.ids[lang]) }

// Has tells whether a language defines a message ID.
func (c *Catalog) Has(lang, id string) bool {
	_, found := slices.BinarySearch(c.ids[lang], id)
	return found
}

// Raw returns a message's template text in one language, without fallback.
func (c *Catalog) Raw(lang, id string) (string, bool) {
	if !c.Has(lang, id) {
		return "", false
	}
	s, err := c.localizer(lang).Localize(&i18n.LocalizeConfig{MessageID: id, TemplateParser: template.IdentityParser{}})
	return s, err == nil
}

// Text renders a message in lang, falling back to English, then to the ID
// itself (a test guarantees every ID exists in every language).
//
// A value of reply's in data (a date, an age, a duration…) and a nested
// reply.Text are written in lang first.
func (c *Catalog) Text(lang, id string, data map[string]any) string {
	if len(data) == 0 && c.Has(lang, id) { // bounded by the catalogue
		key := plainKey{lang, id}
		if s, ok := c.plain.Load(key); ok {
			return s.(string)
		}
		s := c.text(lang, id, nil)
		c.plain.Store(key, s)
		return s
	}
	return c.text(lang, id, data)
}

// plainKey names a message without data in one language.
type plainKey struct{ lang, id string }

func (c *Catalog) text(lang, id string, data map[string]any) string {
	cloned := false
	for k, v := range data {
		s, ok := c.Value(lang, v)
		if t, isText := v.(reply.Text); isText {
			s, ok = c.Render(lang, t), true
		}
		if ok {
			if !cloned {
				data, cloned = maps.Clone(data), true // the caller's map stays as it was
			}
			data[k] = s
		}
	}
	cfg := &i18n.LocalizeConfig{MessageID: id, TemplateData: data}
	switch n := data["Count"].(type) {
	case int, int64:
		// A count picks the plural form where the language has one
		// ("1 file", "2 files"); Khmer and Thai have only "other".
		cfg.PluralCount = n
	}
	s, err := c.localizer(lang).Localize(cfg)
	if err != nil {
		return id
	}
	return s
}

// Render writes one piece of a reply in lang: its message with its data,
// nested Texts and values written first. It is the one renderer of both
// the reporter's and the reviewer's side. A Text that names its own
// language (reply.Text.Lang) is written in that one.
func (c *Catalog) Render(lang string, t reply.Text) string {
	if t.Lang != "" {
		lang = t.Lang
	}
	return c.Text(lang, t.ID, t.Data)
}

func (c *Catalog) localizer(lang string) *i18n.Localizer {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.locs[lang]
	if !ok {
		l = i18n.NewLocalizer(c.bundle, lang, "en")
		c.locs[lang] = l
	}
	return l
}

// The catalogue writes values that code holds (a duration, a date, an age, a
// phone number, a map point) the way a reader of each language reads them.
// The values are reply's types; the words and the layout are messages of
// the catalogue (unit_*, format_*). flows, review and bot put these types
// in a message's data and never format a value a user reads themselves. A
// test in flows and bot fails when they do.

// Value writes a value of reply's (Elapsed, Years, Day, PhoneNumber,
// MapLink) in lang; ok=false for anything else. Catalog.Text renders every
// such value in a message's data before the message.
func (c *Catalog) Value(lang string, v any) (s string, ok bool) {
	switch v := v.(type) {
	case reply.Elapsed:
		return c.elapsed(lang, time.Duration(v)), true
	case reply.Years:
		id := "unit_years"
		if v == 1 {
			id = "unit_year"
		}
		return c.Text(lang, id, map[string]any{"N": int(v)}), true
	case reply.Day:
		t := time.Time(v)
		year := t.Year()
		if buddhistEra[lang] {
			year += 543
		}
		return c.Text(lang, "format_date", dayData(t, year)), true
	case reply.Moment:
		t := time.Time(v)
		year := t.Year()
		if buddhistEra[lang] {
			year += 543
		}
		data := dayData(t, year)
		data["Time"] = fmt.Sprintf("%02d:%02d", t.Hour(), t.Minute())
		return c.Text(lang, "format_moment", data), true
	case reply.Distance:
		return c.Text(lang, "format_km", map[string]any{"Km": strconv.FormatFloat(float64(v), 'f', 1, 64)}), true
	case reply.PhoneNumber:
		return FormatPhone(string(v)), true // digits read the same in every language
	case reply.MapLink:
		return c.Text(lang, "format_map_link", map[string]any{"URL": v.URL()}), true
	}
	return "", false
}

// dayData is a calendar day for format_date and format_moment: day and
// month always two digits (07/12/2026), so a date reads the same wherever
// a reviewer meets it (Details, lists, the retention warning, exports).
func dayData(t time.Time, year int) map[string]any {
	return map[string]any{"Day": fmt.Sprintf("%02d", t.Day()), "Month": fmt.Sprintf("%02d", int(t.Month())), "Year": year}
}

// IsValue tells whether v is one of the values Value writes.
func IsValue(v any) bool {
	switch v.(type) {
	case reply.Elapsed, reply.Years, reply.Day, reply.Moment, reply.Distance, reply.PhoneNumber, reply.MapLink:
		return true
	}
	return false
}

// elapsed writes a duration with the language's unit: minutes under an
// hour, hours under two days, then days.
func (c *Catalog) elapsed(lang string, d time.Duration) string {
	m := int(d.Minutes())
	switch {
	case m < 0:
		m = 0
		fallthrough
	case m < 60:
		return c.Text(lang, "unit_minutes", map[string]any{"N": m})
	case m < 48*60:
		return c.Text(lang, "unit_hours", map[string]any{"N": m / 60})
	default:
		return c.Text(lang, "unit_days", map[string]any{"N": m / (60 * 24)})
	}
}

// buddhistEra are the languages whose readers count years from the Buddha's
// death, 543 years before the Common Era.
var buddhistEra = map[string]bool{"th": true}

// FormatPhone groups an E.164 number of Cambodia or Thailand as people read
// it aloud: +855 12 345 678, +855 97 123 4567, +66 81 234 5678,
// +66 2 123 4567. Anything else comes back unchanged.
func FormatPhone(e164 string) string {
	var code string
	switch {
	case strings.HasPrefix(e164, "+855"):
		code = "+855"
	case strings.HasPrefix(e164, "+66"):
		code = "+66"
	default:
		return e164
	}
	nsn := e164[len(code):]
	if strings.ContainsFunc(nsn, func(r rune) bool { return r < '0' || r > '9' }) {
		return e164
	}
	var sizes []int
	switch {
	case code == "+855" && len(nsn) == 8:
		sizes = []int{2, 3, 3}
	case code == "+855" && len(nsn) == 9:
		sizes = []int{2, 3, 4}
	case code == "+66" && len(nsn) == 9:
		sizes = []int{2, 3, 4}
	case code == "+66" && len(nsn) == 8:
		sizes = []int{1, 3, 4}
	default:
		return e164
	}
	parts := []string{code}
	for _, n := range sizes {
		parts, nsn = append(parts, nsn[:n]), nsn[n:]
	}
	return strings.Join(parts, " ")
}
