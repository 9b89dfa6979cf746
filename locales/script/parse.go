package script

import (
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// This file reads what a reporter types for a phone number, a child's age and
// the day a child was last seen. Reporters type on Khmer, Thai or Latin phone
// keyboards, so every function accepts Khmer (០-៩), Thai (๐-๙) and ASCII
// digits, and cleans the text with Clean first. None reads the clock.

// Numbering plans, as national significant numbers (NSN: the number without
// the country code and without the trunk prefix 0). Sources: the ITU-T
// E.164 national numbering plans of Cambodia (+855) and Thailand (+66), as
// summarised in Google's libphonenumber metadata (resources/
// PhoneNumberMetadata.xml, territories KH and TH).
//
// A number is "possible" when its length and first digit fit the plan: any
// Cambodian NSN of 8 or 9 digits starting 1-9; a Thai NSN of 8 digits for a
// fixed line (area codes 02, 03x, 04x, 05x, 07x) or 9 digits for a mobile
// (06, 08, 09) or 014. It is "known" when it is in a range the plan gives to
// mobiles or fixed lines. We accept every possible number, so that a real
// number in a range opened after the metadata was written is not refused,
// and use the known ranges only to tell a Cambodian local number from a Thai
// one. Toll-free and premium 1800/1900 numbers (10 digits) are left out: a
// family's number is never one.
var (
	khPossible = regexp.MustCompile(`^[1-9]\d{7,8}$`)
	khKnown    = regexp.MustCompile(`^(?:` +
		// mobile, 8 digits: 01x, 060, 061, 066-069, 070, 077-079,
		// 080, 081, 083-087, 089, 090-095, 097-099
		`(?:1\d|6[016-9]|7[07-9]|8[013-79]|9[0-57-9])\d{6}` +
		// mobile, 9 digits: 012, 018, 031, 038, 071, 076, 088, 096, 097
		`|(?:1[28]|3[18]|7[16]|88|9[67])\d{7}` +
		// wireless local loop: area code, then 48, 9 digits
		`|(?:2[3-6]|3[2-6]|4[2-4]|[5-7][2-5])48\d{5}` +
		// fixed, Phnom Penh (023), 8 or 9 digits
		`|23(?:4[2-4]|[236-9]\d)\d{4}|23(?:4[56]|[568]\d)\d{5}` +
		// fixed, provinces (024-026, 032-036, 042-044, 052-055, 062-065,
		// 072-075), 8 or 9 digits
		`|(?:2[4-6]|3[2-6]|4[2-4]|[5-7][2-5])(?:[237-9]\d{5}|4[56]\d{5}|5\d{6}|6\d{5,6})` +
		`)$`)
	thPossible = regexp.MustCompile(`^(?:[2-57]\d{7}|[689]\d{8}|14\d{7})$`)
	thKnown    = regexp.MustCompile(`^(?:` +
		// fixed, 8 digits: Bangkok 02, then 032-039, 042-045, 052-056, 073-077
		`(?:2\d|3[2-9]|4[2-5]|5[2-6]|7[3-7])\d{6}` +
		// mobile, 9 digits: 014, 061-066, 0671x, 0672x, 08x, 09x
		`|(?:14|6[1-6]|[89]\d)\d{7}|67(?:1[0-8]|2[4-7])\d{5}` +
		// VoIP, 9 digits: 060, 068
		`|6[08]\d{7}` +
		`)$`)
)

// Phone normalises a phone number a family typed to E.164: "+855" or "+66"
// and the national number, digits only ("+85512345678", "+66812345678").
//
// It accepts Khmer, Thai and ASCII digits; spaces, dashes, dots and brackets
// between them; and one of these starts:
//
//   - the country code 855 (Cambodia) or 66 (Thailand), after "+", "00",
//     an international prefix with a carrier digit ("001", "007", "009":
//     Thai carriers) or nothing ("855 12 345 678"). A trunk 0 written after
//     the country code ("+855 (0)12 345 678") is dropped;
//   - "0": a local number. Cambodian mobiles are 0 and 8 or 9 digits
//     (012 345 678, 097 123 4567 → +855 12 345 678, +855 97 123 4567);
//     Thai mobiles 0 and 9 digits (081 234 5678 → +66 81 234 5678), Thai
//     fixed lines 0 and 8 digits (02 123 4567 → +66 2 123 4567). When the
//     number is in a known range of only one country, it is that country's;
//     when it fits both, defaultCountry decides: "TH" (any case) for Thailand,
//     anything else for Cambodia. Callers pass the reporter's country by
//     language: km → "KH", th → "TH", en → "KH".
//
// It returns ok=false for anything else: too few or too many digits, letters,
// another country code, a number without its 0 or country code ("12345678"),
// several "+". It cleans s with Clean first, so invisible characters do not
// matter. Phone is idempotent: Phone(e164, any) returns e164.
func Phone(s, defaultCountry string) (e164 string, ok bool) {
	digits, plus, ok := phoneDigits(Digits(Clean(s)))
	if !ok {
		return "", false
	}
	if plus {
		return international(digits)
	}
	switch {
	case strings.HasPrefix(digits, "00"):
		rest := digits[2:]
		if e, ok := international(rest); ok {
			return e, true
		}
		if rest != "" && rest[0] != '0' {
			return international(rest[1:]) // a carrier digit: 001, 007, 009…
		}
		return "", false
	case strings.HasPrefix(digits, "0"):
		return local(digits[1:], strings.EqualFold(strings.TrimSpace(defaultCountry), "TH"))
	default:
		return international(digits) // the country code without "+"
	}
}

// phoneDigits collects the ASCII digits of s and tells whether it started with
// "+". It fails on anything but digits, separators and one "+" before the
// first digit.
func phoneDigits(s string) (digits string, plus, ok bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			if b.Len() >= 20 {
				return "", false, false // no phone number is this long
			}
			b.WriteByte(byte(r))
		case r == '+' || r == '＋':
			if plus || b.Len() > 0 {
				return "", false, false
			}
			plus = true
		case unicode.IsSpace(r), strings.ContainsRune("-.()‐‑‒–—−", r):
		default:
			return "", false, false
		}
	}
	return b.String(), plus, b.Len() > 0
}

// international reads digits that start with a country code.
func international(digits string) (string, bool) {
	for _, c := range []struct {
		code     string
		possible *regexp.Regexp
	}{{"855", khPossible}, {"66", thPossible}} {
		if nsn, found := strings.CutPrefix(digits, c.code); found {
			nsn = strings.TrimPrefix(nsn, "0") // "+855 (0)12…": a trunk 0 kept by habit
			if c.possible.MatchString(nsn) {
				return "+" + c.code + nsn, true
			}
			return "", false
		}
	}
	return "", false
}

// local reads a national number written after its trunk 0.
func local(nsn string, preferTH bool) (string, bool) {
	kh, th := khKnown.MatchString(nsn), thKnown.MatchString(nsn)
	if !kh && !th {
		kh, th = khPossible.MatchString(nsn), thPossible.MatchString(nsn)
	}
	switch {
	case th && (!kh || preferTH):
		return "+66" + nsn, true
	case kh:
		return "+855" + nsn, true
	}
	return "", false
}

// Age reads a child's age typed as a whole number of years, in Khmer, Thai or
// ASCII digits, with or without words around it: "12", "១២ ឆ្នាំ", "๑๒ ปี",
// "12 years", "about 7", "อายุ 7 ขวบ". It accepts 0 to 17 (a child) and
// returns ok=false for 18 and more, a negative number, no number, several
// numbers ("7 or 8", "7-8", "7.5"), digits of another script or fractions,
// and a number of months, weeks or days ("7 months", "៧ ខែ", "๗ เดือน"),
// which are not years. It cleans s with Clean first.
func Age(s string) (years int, ok bool) {
	s = Digits(Clean(s))
	start, end := -1, -1
	for i, r := range s {
		if r >= '0' && r <= '9' {
			if start < 0 {
				start = i
			} else if end >= 0 {
				return 0, false // a second number
			}
			continue
		}
		if unicode.IsNumber(r) {
			return 0, false // ½, ², Lao or Arabic digits: not a number we read
		}
		if start >= 0 && end < 0 {
			end = i
		}
	}
	if start < 0 {
		return 0, false
	}
	if end < 0 {
		end = len(s)
	}
	if before, _ := utf8.DecodeLastRuneInString(s[:start]); strings.ContainsRune("-−–‐‑", before) {
		return 0, false // a minus sign
	}
	number := strings.TrimLeft(s[start:end], "0")
	if len(number) > 2 {
		return 0, false
	}
	for _, c := range number {
		years = years*10 + int(c-'0')
	}
	if years > 17 || notYears(s[end:]) {
		return 0, false
	}
	return years, true
}

// notYears tells whether the text after an age starts with a unit other than
// years: months, weeks or days.
func notYears(after string) bool {
	after = strings.TrimLeftFunc(after, unicode.IsSpace)
	word := after
	if n := strings.IndexFunc(after, func(r rune) bool { return !unicode.IsLetter(r) }); n >= 0 {
		word = after[:n]
	}
	switch strings.ToLower(word) {
	case "m", "mo", "mos", "mon", "mons", "month", "months", "mth", "mths",
		"w", "wk", "wks", "week", "weeks", "d", "day", "days":
		return true
	}
	for _, unit := range []string{
		"ខែ", "សប្ដាហ៍", "សប្តាហ៍", "អាទិត្យ", "ថ្ងៃ", // km: month, week (two spellings), week, day
		"เดือน", "สัปดาห์", "อาทิตย์", "วัน", // th: month, week, week, day
	} {
		if strings.HasPrefix(after, unit) {
			return true
		}
	}
	return false
}

// Date reads the day a child was last seen, typed as day/month or
// day/month/year, in Khmer, Thai or ASCII digits. Day and month have one or
// two digits; the separators are "/", "-", "." or spaces. The year has
// four digits, a Thai Buddhist-era year when above 2400 (2569 = 2026), or two
// digits: the most recent year that ends in them, Common Era (26 = 2026) or
// Buddhist era (69 = 2569 = 2026), whichever falls within the last five
// years (the two never both do). Without a year it is the most recent such
// day not after today.
//
// Today is now's date in loc (now's location when loc is nil). Date returns
// that day at midnight in loc; ok=false for impossible dates (31/4, 29/2/2025),
// days after today, days before the same day five years ago, and anything
// that is not a date as above (words, times, other orders). It cleans s with
// Clean first.
func Date(s string, now time.Time, loc *time.Location) (time.Time, bool) {
	if loc == nil {
		loc = now.Location()
	}
	parts, ok := dateParts(Digits(Clean(s)))
	if !ok || len(parts) < 2 || len(parts) > 3 || len(parts[0]) > 2 || len(parts[1]) > 2 {
		return time.Time{}, false
	}
	day, month := atoi(parts[0]), atoi(parts[1])
	ty, tm, td := now.In(loc).Date()
	today := time.Date(ty, tm, td, 0, 0, 0, 0, loc)
	earliest := time.Date(ty-5, tm, td, 0, 0, 0, 0, loc)
	try := func(year int) (time.Time, bool) {
		if month < 1 || month > 12 || day < 1 || day > daysIn(year, time.Month(month)) {
			return time.Time{}, false
		}
		t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, loc)
		return t, !t.After(today) && !t.Before(earliest)
	}
	var years []int
	switch {
	case len(parts) == 2:
		// The most recent such day not after today: this year's, or an
		// earlier year's when this year's is still to come or (29/2) does
		// not exist; leap years are at most 8 years apart.
		for y := ty; y > ty-9; y-- {
			if day <= daysIn(y, time.Month(month)) && !time.Date(y, time.Month(month), day, 0, 0, 0, 0, loc).After(today) {
				years = append(years, y)
				break
			}
		}
	case len(parts[2]) == 4:
		y := atoi(parts[2])
		if y > 2400 {
			y -= 543
		}
		years = append(years, y)
	case len(parts[2]) == 2:
		yy := atoi(parts[2])
		years = append(years,
			ty-mod(ty-yy, 100),             // Common Era
			ty+543-mod(ty+543-yy, 100)-543) // Buddhist era
	}
	for _, y := range years {
		if t, ok := try(y); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

// dateParts splits a date into its digit groups. Between two groups there
// must be spaces or one of "/", "-", "." (with spaces around it or not);
// nothing else may be before, between or after them.
func dateParts(s string) ([]string, bool) {
	var parts []string
	for s != "" {
		n := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
		if n < 0 {
			n = len(s)
		}
		if n == 0 || len(parts) == 3 {
			return nil, false
		}
		parts, s = append(parts, s[:n]), s[n:]
		if s == "" {
			break
		}
		sep, marks := 0, 0
		for _, r := range s {
			if r >= '0' && r <= '9' {
				break
			}
			switch {
			case r == '/' || r == '-' || r == '.':
				marks++
			case !unicode.IsSpace(r):
				return nil, false
			}
			sep += utf8.RuneLen(r)
		}
		if marks > 1 || sep == len(s) {
			return nil, false // two marks, or a separator at the end
		}
		s = s[sep:]
	}
	return parts, true
}

// atoi reads up to four ASCII digits.
func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// mod is a modulo that is never negative.
func mod(a, b int) int { return (a%b + b) % b }

// daysIn is the number of days of a month.
func daysIn(year int, m time.Month) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
