package locales

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tipline/tipline/reply"
)

// This file writes values that code holds (a duration, a date, an age, a
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
