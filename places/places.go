// Package places is the gazetteer the board report counts by: the
// provinces of Cambodia and Thailand with their names in English, Khmer
// and Thai, the spellings people type, and the point of each province's
// capital. Match reads a reporter's place answer or shared point and
// names the province, or none when it cannot tell: a place is never
// guessed. It is pure: no I/O, no clock.
package places

import (
	"math"
	"slices"
	"strings"
	"unicode"
)

// Countries, by their ISO 3166 codes.
const (
	Cambodia = "KH"
	Thailand = "TH"
)

// Point is a place on the earth, in degrees.
type Point struct{ Lat, Lon float64 }

// Province is one first-level division of a country (Phnom Penh and
// Bangkok included).
type Province struct {
	Country string
	English string
	// Khmer and Thai are the names in those scripts: the own-script name
	// of the country's provinces, the usual name in the other script where
	// one exists ("" otherwise).
	Khmer, Thai string
	// Aliases are other spellings people type.
	Aliases []string
	// Capital is the point of the province's capital; nil when the
	// sources give none.
	Capital *Point
}

// Key names the province in counts: the country and its English name.
func (p Province) Key() string { return p.Country + "/" + p.English }

// Name is the province's name for a reader of lang (en, km, th): in the
// reader's script when the province has a name in it, in English
// otherwise.
func (p Province) Name(lang string) string {
	switch {
	case lang == "km" && p.Khmer != "":
		return p.Khmer
	case lang == "th" && p.Thai != "":
		return p.Thai
	}
	return p.English
}

// All returns every province, Cambodia's then Thailand's.
func All() []Province { return slices.Clone(provinces) }

// ByKey returns the province with the key, and whether there is one.
func ByKey(key string) (Province, bool) {
	for _, p := range provinces {
		if p.Key() == key {
			return p, true
		}
	}
	return Province{}, false
}

// MaxDistance is how far from the nearest capital a shared point still
// counts for that capital's province. Nearest-capital is approximate:
// near a border, or in a large province far from its capital, a point
// may count for the neighbour; beyond MaxDistance (out at sea, in Laos,
// Vietnam or Myanmar far from any capital here) it is not known.
const MaxDistance = 150 // km

// Match names the province of a place answer or, failing that, of a
// shared point. ok is false when neither tells one province: no answer,
// no name in it, names of two provinces, a point far from every capital.
func Match(answer string, at *Point) (Province, bool) {
	if p, ok := MatchText(answer); ok {
		return p, true
	}
	if at != nil {
		return Nearest(*at)
	}
	return Province{}, false
}

// Nearest names the province whose capital is nearest to the point,
// when it is within MaxDistance.
func Nearest(at Point) (Province, bool) {
	best, bestKm := -1, math.Inf(1)
	for i, p := range provinces {
		if p.Capital == nil {
			continue
		}
		if d := distanceKm(at, *p.Capital); d < bestKm {
			best, bestKm = i, d
		}
	}
	if best < 0 || bestKm > MaxDistance {
		return Province{}, false
	}
	return provinces[best], true
}

// distanceKm is the great-circle distance between two points.
func distanceKm(a, b Point) float64 {
	const earthKm = 6371
	rad := math.Pi / 180
	dLat, dLon := (b.Lat-a.Lat)*rad, (b.Lon-a.Lon)*rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthKm * math.Asin(math.Min(1, math.Sqrt(h)))
}

// name is one spelling of a province, normalised for matching.
type name struct {
	province int
	text     string
	// latin names match whole words of the answer; Khmer and Thai ones
	// (written without spaces between words) match anywhere in it, a short
	// one only as the whole answer or after a word for province.
	latin, short bool
}

// names are every spelling of every province, longest first, so a longer
// name is taken before a shorter one inside it.
var names = func() []name {
	var out []name
	seen := map[string]bool{}
	var add func(i int, s string)
	add = func(i int, s string) {
		latin := isLatin(s)
		n := name{province: i, latin: latin}
		if latin {
			n.text = " " + strings.Join(words(s), " ") + " "
			n.short = isEveryday(s)
		} else {
			n.text = compact(s)
			n.short = len([]rune(n.text)) < 5 || isEveryday(s)
		}
		if strings.TrimSpace(n.text) == "" || seen[n.text] {
			return
		}
		seen[n.text] = true
		out = append(out, n)
		if latin && strings.Count(strings.TrimSpace(n.text), " ") > 0 {
			// "Siem Reap" is also typed "Siemreap".
			add(i, strings.Join(words(s), ""))
		}
	}
	for i, p := range provinces {
		for _, s := range append([]string{p.English, p.Khmer, p.Thai}, p.Aliases...) {
			if s != "" {
				add(i, s)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b name) int { return len(b.text) - len(a.text) })
	return out
}()

// everyday are names that are also everyday words or parts of other
// places' names: Kandal (កណ្ដាល) is "middle", as in Phnom Penh's Central
// Market, ផ្សារកណ្ដាល. Like a short Khmer or Thai name, such a name counts
// only as the whole answer or beside a word for province.
var everyday = []string{"Kandal", "កណ្ដាល"}

// isEveryday tells whether s is one of everyday, however it is written.
func isEveryday(s string) bool {
	return slices.ContainsFunc(everyday, func(e string) bool { return compact(e) == compact(s) })
}

// prefixes are the words for "province" and "town" written before a
// name (Latin ones with their spaces, around the words of the answer):
// after one, a short or everyday name counts.
var prefixes = []string{"จังหวัด", "จ", "เมือง", "ខេត្ត", "រាជធានី", "ក្រុង", " khaet", " province of"}

// suffixes are the words for "province" written after a name.
var suffixes = []string{"province ", "khaet "}

// MatchText names the province a place answer names, by its names and
// aliases whatever their case, spacing, punctuation or invisible
// characters. ok is false when it names none, or more than one.
func MatchText(answer string) (Province, bool) {
	latin := " " + strings.Join(words(answer), " ") + " "
	script := compact(answer)
	found := map[int]bool{}
	for _, n := range names {
		if n.latin {
			if !strings.Contains(latin, n.text) || (n.short && !besideProvince(latin, n.text)) {
				continue
			}
			found[n.province] = true
			latin = strings.ReplaceAll(latin, n.text, "  ")
			continue
		}
		if !strings.Contains(script, n.text) || (n.short && !besideProvince(script, n.text)) {
			continue
		}
		found[n.province] = true
		script = strings.ReplaceAll(script, n.text, "\x00")
	}
	if len(found) != 1 {
		return Province{}, false
	}
	for i := range found {
		return provinces[i], true
	}
	return Province{}, false
}

// besideProvince tells whether name, found in text, is the whole of it or
// stands beside a word for province.
func besideProvince(text, name string) bool {
	if strings.TrimSpace(text) == strings.TrimSpace(name) {
		return true
	}
	for _, pre := range prefixes {
		if strings.Contains(text, pre+name) {
			return true
		}
	}
	for _, suf := range suffixes {
		if strings.Contains(text, name+suf) {
			return true
		}
	}
	return false
}

// words are the lower-case words of s (runs of letters and digits).
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(fold(s)), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r) && !unicode.Is(unicode.Mc, r)
	})
}

// compact is s without spaces, punctuation and invisible characters, for
// matching Khmer and Thai names.
func compact(s string) string {
	return strings.Join(words(s), "")
}

// fold evens out what looks the same to a reader: zero-width characters
// and soft hyphens go; Khmer's subscript Da (្ដ) is read as subscript Ta
// (្ត), as the two are drawn alike and typed either way; Thai's
// abbreviation mark (ฯ) goes ("กรุงเทพฯ" is "กรุงเทพ"); accents on Latin
// letters go ("Kratié" is "Kratie").
func fold(s string) string {
	s = strings.ReplaceAll(s, "\u17D2\u178A", "\u17D2\u178F")
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u00AD', 'ฯ':
			continue
		}
		if r2, ok := latinBase[r]; ok {
			r = r2
		}
		b.WriteRune(r)
	}
	return b.String()
}

// latinBase are the accented Latin letters the sources' spellings use.
var latinBase = map[rune]rune{
	'é': 'e', 'è': 'e', 'ê': 'e', 'É': 'E', 'á': 'a', 'à': 'a', 'â': 'a', 'ă': 'a', 'ŏ': 'o', 'ô': 'o', 'ó': 'o',
	'ŭ': 'u', 'ú': 'u', 'ĭ': 'i', 'í': 'i',
}

// isLatin tells whether s is written in Latin letters.
func isLatin(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) && !unicode.Is(unicode.Latin, r) {
			return false
		}
	}
	return true
}
