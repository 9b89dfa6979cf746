package script

import (
	"fmt"
	"regexp"
	"testing"
	"time"
)

func TestPhone(t *testing.T) {
	tests := []struct {
		name, in, country string
		want              string // "" when it must be refused
	}{
		// Cambodia
		{"Khmer digits", "០១២ ៣៤៥ ៦៧៨", "KH", "+85512345678"},
		{"Khmer digits, Thai reporter: 012 is only Cambodian", "០១២ ៣៤៥ ៦៧៨", "TH", "+85512345678"},
		{"international", "+855 12 345 678", "KH", "+85512345678"},
		{"international, any default", "+855 12 345 678", "TH", "+85512345678"},
		{"brackets and dash", "(012) 345-678", "KH", "+85512345678"},
		{"dots", "012.345.678", "KH", "+85512345678"},
		{"trunk 0 after the country code", "+855 (0)12 345 678", "KH", "+85512345678"},
		{"country code in brackets", "(+855) 12-345-678", "TH", "+85512345678"},
		{"trunk 0 after 00855", "00855 012 345 678", "TH", "+85512345678"},
		{"country code without +", "855 12 345 678", "TH", "+85512345678"},
		{"carrier prefix 001 from Thailand", "001 855 12 345 678", "TH", "+85512345678"},
		{"9-digit mobile", "097 123 4567", "KH", "+855971234567"},
		{"8-digit mobile", "០៧០ ៩៨៧ ៦៥៤", "TH", "+85570987654"},
		{"Phnom Penh landline", "023 987 654", "KH", "+85523987654"},
		{"Khmer and ASCII digits mixed", "០១២ 345 ៦៧៨", "KH", "+85512345678"},
		{"invisible characters", "\u200b012\u200b 345\u00a0678\u200e", "KH", "+85512345678"},
		{"en dashes", "012–345–678", "KH", "+85512345678"},
		{"fullwidth plus", "＋855 12 345 678", "KH", "+85512345678"},
		{"lower-case default", "023 987 654", "th", "+6623987654"},

		// Thailand
		{"Thai digits", "๐๘๑-๒๓๔-๕๖๗๘", "TH", "+66812345678"},
		{"Thai digits, Cambodian reporter: 081 and 9 digits is only Thai", "๐๘๑-๒๓๔-๕๖๗๘", "KH", "+66812345678"},
		{"00 prefix", "0066 81 234 5678", "KH", "+66812345678"},
		{"+66", "+66 81 234 5678", "KH", "+66812345678"},
		{"trunk 0 after +66", "+66 081 234 5678", "KH", "+66812345678"},
		{"carrier prefix 009", "009 66 81 234 5678", "KH", "+66812345678"},
		{"Bangkok landline", "02 123 4567", "KH", "+6621234567"},
		{"Bangkok landline, Thai digits", "๐๒-๑๒๓-๔๕๖๗", "TH", "+6621234567"},
		{"06 mobile", "061 234 5678", "KH", "+66612345678"},
		{"possible but not a known range", "+66 69 123 4567", "KH", "+66691234567"},
		{"Thai mobile with +, Thai digits", "+๖๖ ๙๒ ๑๒๓ ๔๕๖๗", "KH", "+66921234567"},

		// In both plans: the reporter's country decides.
		{"Phnom Penh or Bangkok, Cambodian reporter", "023 987 654", "KH", "+85523987654"},
		{"Phnom Penh or Bangkok, Thai reporter", "023 987 654", "TH", "+6623987654"},
		{"097 mobile, Thai reporter", "097 123 4567", "TH", "+66971234567"},
		{"088 mobile, Cambodian reporter", "088 123 4567", "KH", "+855881234567"},
		{"088 mobile, Thai reporter", "088 123 4567", "TH", "+66881234567"},
		{"in no known range, default decides", "069 123 4567", "KH", "+855691234567"},
		{"unknown default counts as KH", "088 123 4567", "", "+855881234567"},

		// Refused
		{"too short", "12345", "KH", ""},
		{"US number", "+1 202 555 0100", "KH", ""},
		{"Lao number", "+856 20 5512 3456", "KH", ""},
		{"Vietnamese number", "0084 91 234 5678", "KH", ""},
		{"letters", "abc", "KH", ""},
		{"zero", "0", "KH", ""},
		{"empty", "", "KH", ""},
		{"only spaces and invisible", " \u200b ", "KH", ""},
		{"no 0 and no country code", "12345678", "KH", ""},
		{"local too short", "012 345 67", "KH", ""},
		{"local too long", "012 345 678 901", "KH", ""},
		{"Cambodian too short", "+855 12 345 67", "KH", ""},
		{"Cambodian too long", "+855 12 345 678 90", "KH", ""},
		{"Thai mobile too short", "+66 81 234 567", "KH", ""},
		{"Thai landline too long", "+66 2 123 45678", "TH", ""},
		{"Thai short number", "1300", "TH", ""},
		{"Thai emergency number", "191", "TH", ""},
		{"toll-free", "1800 123 456", "KH", ""},
		{"two zeros after country code", "+855 00 12 345 678", "KH", ""},
		{"extension", "012 345 678 ext 9", "KH", ""},
		{"two numbers", "012 345 678 / 097 123 456", "KH", ""},
		{"two plus signs", "++855 12 345 678", "KH", ""},
		{"plus in the middle", "012+345678", "KH", ""},
		{"Lao digits", "໐໑໒ ໓໔໕ ໖໗໘", "KH", ""},
		{"letter O for zero", "O12 345 678", "KH", ""},
		{"only 00", "00", "KH", ""},
		{"huge", "0123456789012345678901234567890", "KH", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Phone(tt.in, tt.country)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("Phone(%q, %q) = %q, %v, want %q, %v", tt.in, tt.country, got, ok, tt.want, tt.want != "")
			}
		})
	}
}

func TestAge(t *testing.T) {
	tests := []struct {
		in   string
		want int // -1 when it must be refused
	}{
		{"12", 12},
		{"១២ ឆ្នាំ", 12},
		{"๑๒ ปี", 12},
		{"12 years", 12},
		{"about 7", 7},
		{"អាយុ ៥ ឆ្នាំ", 5},
		{"อายุ 7 ขวบ", 7},
		{"7yo", 7},
		{"7 y/o", 7},
		{"0", 0},
		{"17", 17},
		{"07", 7},
		{" \u200b9\u200b ", 9},
		{"១៧", 17},

		{"18", -1},
		{"25", -1},
		{"១៨ ឆ្នាំ", -1},
		{"100", -1},
		{"-5", -1},
		{"−5", -1},
		{"abc", -1},
		{"seven", -1},
		{"ប្រាំពីរ", -1},
		{"", -1},
		{"7 or 8", -1},
		{"7-8", -1},
		{"12.5", -1},
		{"7½", -1},
		{"໕", -1}, // Lao digit
		{"7 months", -1},
		{"7months", -1},
		{"3 weeks", -1},
		{"10 days", -1},
		{"៧ ខែ", -1},
		{"៣ សប្ដាហ៍", -1},
		{"๗ เดือน", -1},
		{"๓ วัน", -1},
		{"000000000000000000000000000000000000000000000000000000000000000007", 7},
		{"99999999999999999999999999", -1},
	}
	for _, tt := range tests {
		got, ok := Age(tt.in)
		if ok != (tt.want >= 0) || ok && got != tt.want {
			t.Errorf("Age(%q) = %d, %v, want %d, %v", tt.in, got, ok, tt.want, tt.want >= 0)
		}
	}
}

func TestDate(t *testing.T) {
	ict := time.FixedZone("ICT", 7*60*60)
	now := time.Date(2026, 3, 15, 10, 0, 0, 0, ict)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, ict) }
	tests := []struct {
		in   string
		want time.Time // zero when it must be refused
	}{
		{"12/3", day(2026, 3, 12)},
		{"15/3", day(2026, 3, 15)}, // today
		{"16/3", day(2025, 3, 16)}, // not yet this year
		{"31/12", day(2025, 12, 31)},
		{"29/2", day(2024, 2, 29)}, // the last 29 February
		{"១២/៣/២០២៦", day(2026, 3, 12)},
		{"๑๒/๓/๒๕๖๙", day(2026, 3, 12)}, // Buddhist era
		{"12/3/2569", day(2026, 3, 12)},
		{"12/3/69", day(2026, 3, 12)}, // two-digit Buddhist era
		{"12/3/26", day(2026, 3, 12)},
		{"1.2.2025", day(2025, 2, 1)},
		{"1-2-25", day(2025, 2, 1)},
		{"01-02-68", day(2025, 2, 1)},
		{"1 2 2025", day(2025, 2, 1)},
		{"01 / 02 / 2025", day(2025, 2, 1)},
		{"១ ២", day(2026, 2, 1)},
		{"29/2/2024", day(2024, 2, 29)},
		{"31/12/2564", day(2021, 12, 31)},
		{"16/3/2021", day(2021, 3, 16)},
		{"15/3/2021", day(2021, 3, 15)}, // five years ago to the day
		{"15/3/21", day(2021, 3, 15)},
		{"\u200b12/3\u200e", day(2026, 3, 12)},

		{"14/3/2021", time.Time{}}, // more than five years ago
		{"1/1/2020", time.Time{}},
		{"16/3/2026", time.Time{}}, // tomorrow
		{"12/3/2027", time.Time{}},
		{"12/3/70", time.Time{}}, // 1970 and 2470 (1927) are both too old
		{"12/3/20", time.Time{}}, // 2020 and 2520 (1977) are both too old
		{"31/4/2026", time.Time{}},
		{"29/2/2025", time.Time{}},
		{"30/2", time.Time{}},
		{"32/1", time.Time{}},
		{"0/1", time.Time{}},
		{"1/0", time.Time{}},
		{"1/13", time.Time{}},
		{"12", time.Time{}},
		{"12/3/4/5", time.Time{}},
		{"12/3/202", time.Time{}},
		{"12/3/2", time.Time{}},
		{"12/3/02026", time.Time{}},
		{"112/3", time.Time{}},
		{"12//3", time.Time{}},
		{"12/-3", time.Time{}},
		{"12/3/", time.Time{}},
		{"/12/3", time.Time{}},
		{"12:3", time.Time{}},
		{"12 March", time.Time{}},
		{"2026-03-12", time.Time{}},
		{"yesterday", time.Time{}},
		{"", time.Time{}},
	}
	for _, tt := range tests {
		got, ok := Date(tt.in, now, ict)
		if ok != !tt.want.IsZero() || !got.Equal(tt.want) || ok && got.Location() != ict {
			t.Errorf("Date(%q) = %v, %v, want %v, %v", tt.in, got, ok, tt.want, !tt.want.IsZero())
		}
	}
}

func TestDateLocation(t *testing.T) {
	ict := time.FixedZone("ICT", 7*60*60)
	now := time.Date(2026, 3, 15, 20, 0, 0, 0, time.UTC) // 16 March, 03:00 in Bangkok
	if got, ok := Date("16/3", now, ict); !ok || !got.Equal(time.Date(2026, 3, 16, 0, 0, 0, 0, ict)) {
		t.Errorf("Date(16/3) in ICT = %v, %v, want 16 March 2026 at midnight in ICT", got, ok)
	}
	if got, ok := Date("16/3", now, time.UTC); !ok || !got.Equal(time.Date(2025, 3, 16, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Date(16/3) in UTC = %v, %v, want 16 March 2025", got, ok)
	}
	if got, ok := Date("15/3", now.In(ict), nil); !ok || got.Location() != ict || got.Day() != 15 {
		t.Errorf("Date(15/3) with a nil location = %v, %v, want 15 March in now's location", got, ok)
	}
	// On 29 February the limit is the day after 28 February five years ago.
	leap := time.Date(2028, 2, 29, 12, 0, 0, 0, ict)
	if _, ok := Date("28/2/2023", leap, ict); ok {
		t.Errorf("Date(28/2/2023) on 29/2/2028 accepted: more than five years ago")
	}
	if _, ok := Date("1/3/2023", leap, ict); !ok {
		t.Errorf("Date(1/3/2023) on 29/2/2028 refused")
	}
}

var e164 = regexp.MustCompile(`^\+(855|66)\d{8,9}$`)

func FuzzPhone(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string, th bool) {
		country := "KH"
		if th {
			country = "TH"
		}
		got, ok := Phone(s, country)
		if !ok {
			if got != "" {
				t.Fatalf("Phone(%q, %q) = %q, false: want an empty string", s, country, got)
			}
			return
		}
		if !e164.MatchString(got) {
			t.Fatalf("Phone(%q, %q) = %q: not E.164 for +855 or +66", s, country, got)
		}
		for _, c := range []string{"KH", "TH"} {
			if again, ok := Phone(got, c); !ok || again != got {
				t.Fatalf("Phone(%q, %q) = %q, %v: want %q (from %q)", got, c, again, ok, got, s)
			}
		}
	})
}

func FuzzAge(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		years, ok := Age(s)
		if ok && (years < 0 || years > 17) {
			t.Fatalf("Age(%q) = %d: not a child's age", s, years)
		}
		if !ok && years != 0 {
			t.Fatalf("Age(%q) = %d, false: want 0", s, years)
		}
	})
}

func FuzzDate(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string, unix int64, offsetMinutes int16) {
		// Keep now within ±4,000 years of 1970 and the offset within ±14 h.
		now := time.Unix(unix%(1<<37), 0)
		loc := time.FixedZone("", int(offsetMinutes)%(14*60)*60)
		got, ok := Date(s, now, loc)
		if !ok {
			if !got.IsZero() {
				t.Fatalf("Date(%q, %v) = %v, false: want the zero time", s, now, got)
			}
			return
		}
		y, m, d := now.In(loc).Date()
		earliest := time.Date(y-5, m, d, 0, 0, 0, 0, loc) // the start of the day five years ago
		if got.After(now) || got.Before(earliest) {
			t.Fatalf("Date(%q, %v) = %v: not between %v and now", s, now, got, earliest)
		}
		if got.Location() != loc || got.Hour() != 0 || got.Minute() != 0 || got.Second() != 0 || got.Nanosecond() != 0 {
			t.Fatalf("Date(%q, %v) = %v: not midnight in %v", s, now, got, loc)
		}
		if got.Year() < 1000 || got.Year() > 2400 {
			return // not a year one writes in four digits of the Common Era
		}
		again := fmt.Sprintf("%d/%d/%d", got.Day(), got.Month(), got.Year())
		if back, ok := Date(again, now, loc); !ok || !back.Equal(got) {
			t.Fatalf("Date(%q, %v) = %v, but Date(%q) = %v, %v", s, now, got, again, back, ok)
		}
	})
}
