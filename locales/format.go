package locales

import (
	"strconv"
	"strings"
	"time"
)

// This file writes values that code holds (a duration, a date, an age, a
// phone number, a map point) the way a reader of each language reads them.
// The words and the layout are messages of the catalogue (unit_*, format_*);
// flows and bot put these types in a message's data and never format a
// value a user reads themselves. A test in flows and bot fails when they do.

// Value is message data that the catalogue writes in the reader's language.
// Catalog.Text renders every Value in a message's data before the message.
type Value interface {
	Localize(c *Catalog, lang string) string
}

// Elapsed is how long ago something happened, short, for reviewers' lists:
// "12 min", "3 h", "2 d" in English, and the same in Khmer and Thai words.
// Under two days it counts hours, then days.
type Elapsed time.Duration

// Localize writes the duration with the language's unit.
func (e Elapsed) Localize(c *Catalog, lang string) string {
	m := int(time.Duration(e).Minutes())
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

// Years is a child's age in whole years: "9 years", "9 ឆ្នាំ", "9 ปี".
type Years int

// Localize writes the age with its unit.
func (y Years) Localize(c *Catalog, lang string) string {
	id := "unit_years"
	if y == 1 {
		id = "unit_year"
	}
	return c.Text(lang, id, map[string]any{"N": int(y)})
}

// Day is a calendar day, written day/month/year as reporters type dates
// (15/11/2026). Thai readers count years in the Buddhist era (2569).
type Day time.Time

// buddhistEra are the languages whose readers count years from the Buddha's
// death, 543 years before the Common Era.
var buddhistEra = map[string]bool{"th": true}

// Localize writes the day in the language's order and era.
func (d Day) Localize(c *Catalog, lang string) string {
	t := time.Time(d)
	year := t.Year()
	if buddhistEra[lang] {
		year += 543
	}
	return c.Text(lang, "format_date", map[string]any{
		"Day": t.Day(), "Month": int(t.Month()), "Year": year,
	})
}

// PhoneNumber is a phone number in E.164 ("+85512345678", as Phone returns
// it), written in the groups people say it in: "+855 12 345 678".
type PhoneNumber string

// Localize writes the number in groups; digits read the same in every
// language.
func (p PhoneNumber) Localize(*Catalog, string) string { return FormatPhone(string(p)) }

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

// MapLink is a point a reporter shared, written for reviewers as a link
// that opens a map app on their phone (format_map_link).
type MapLink struct{ Lat, Lon float64 }

// Localize writes the link with the language's word for a location.
func (m MapLink) Localize(c *Catalog, lang string) string {
	return c.Text(lang, "format_map_link", map[string]any{"URL": MapURL(m.Lat, m.Lon)})
}

// MapURL is a link to a point on a map, which phones open in their map app.
// Five decimals are about a metre.
func MapURL(lat, lon float64) string {
	return "https://maps.google.com/?q=" + strconv.FormatFloat(lat, 'f', 5, 64) + "," + strconv.FormatFloat(lon, 'f', 5, 64)
}
