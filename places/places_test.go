package places

import (
	"testing"
	"unicode"
)

// TestGazetteer: 25 provinces of Cambodia and 77 of Thailand, every one
// named in English and in its own script, each name in the script it
// claims, no name or alias given to two provinces, and a capital's point
// inside the two countries' box for all but the one the sources lack.
func TestGazetteer(t *testing.T) {
	count := map[string]int{}
	owner := map[string]string{}
	for _, p := range All() {
		count[p.Country]++
		if p.English == "" || (p.Country == Cambodia && p.Khmer == "") || (p.Country == Thailand && p.Thai == "") {
			t.Errorf("%+v lacks its English or own-script name", p)
		}
		for _, c := range []struct {
			name   string
			script *unicode.RangeTable
		}{{p.English, unicode.Latin}, {p.Khmer, unicode.Khmer}, {p.Thai, unicode.Thai}} {
			for _, r := range c.name {
				if unicode.IsLetter(r) && !unicode.Is(c.script, r) {
					t.Errorf("%s: %q is not all in its script", p.English, c.name)
					break
				}
			}
		}
		for _, s := range append([]string{p.English, p.Khmer, p.Thai}, p.Aliases...) {
			if s == "" {
				continue
			}
			k := compact(s)
			if other, ok := owner[k]; ok && other != p.Key() {
				t.Errorf("%q names both %s and %s", s, other, p.Key())
			}
			owner[k] = p.Key()
		}
		if c := p.Capital; c != nil && (c.Lat < 5 || c.Lat > 21 || c.Lon < 97 || c.Lon > 108) {
			t.Errorf("%s: capital %v is outside Cambodia and Thailand", p.English, *c)
		}
		if p.Capital == nil && p.English != "Tboung Khmum" {
			t.Errorf("%s has no capital", p.English)
		}
	}
	if count[Cambodia] != 25 || count[Thailand] != 77 || len(count) != 2 {
		t.Errorf("got %v provinces, want KH 25 and TH 77", count)
	}
}

func TestMatchText(t *testing.T) {
	cases := []struct {
		answer, want string // want "" for not known
	}{
		{"Siem Reap", "KH/Siem Reap"},
		{"near the market in siemreap", "KH/Siem Reap"},
		{"SIEM  REAP.", "KH/Siem Reap"},
		{"Sihanoukville", "KH/Preah Sihanouk"},
		{"Kampong Som port", "KH/Preah Sihanouk"},
		{"Krong Preah Sihanouk", "KH/Preah Sihanouk"},
		{"ខេត្តសៀមរាប", "KH/Siem Reap"},
		{"ផ្សារ\u200bភ្នំពេញ", "KH/Phnom Penh"}, // a zero-width space inside
		{"ខេត្តកណ្តាល", "KH/Kandal"},            // subscript Ta where the source writes Da
		{"រតនៈគិរី", "KH/Ratanakiri"},
		{"Paoy Paet market", "KH/Banteay Meanchey"},
		{"Bangkok", "TH/Bangkok"},
		{"Krung Thep", "TH/Bangkok"},
		{"กรุงเทพฯ", "TH/Bangkok"},
		{"กทม.", "TH/Bangkok"},
		{"Chiangmai", "TH/Chiang Mai"},
		{"เชียงใหม่", "TH/Chiang Mai"},
		{"Chon Buri", "TH/Chon Buri"},
		{"Chonburi", "TH/Chon Buri"},
		{"ที่พนมเปญ", "KH/Phnom Penh"},
		{"បាងកក", "TH/Bangkok"},
		{"Kratié", "KH/Kratie"},
		{"จ.ตาก", "TH/Tak"},
		{"ตาก", "TH/Tak"},
		// A short Thai word inside a sentence is not a province:
		// "ไม่รู้เลย" is "I don't know at all", not Loei.
		{"ไม่รู้เลย", ""},
		{"Takeo", "KH/Takeo"},
		// Kandal is also "middle": Phnom Penh's Central Market is not
		// Kandal province, Kandal province is.
		{"ផ្សារកណ្ដាលភ្នំពេញ", "KH/Phnom Penh"},
		{"Phsar Kandal", ""},
		{"ខេត្តកណ្ដាល", "KH/Kandal"},
		{"Kandal province", "KH/Kandal"},
		{"Kandal", "KH/Kandal"},
		// Two provinces named: not guessed.
		{"from Battambang to Bangkok", ""},
		{"behind the school", ""},
		{"", ""},
	}
	for _, tc := range cases {
		if got := key(MatchText(tc.answer)); got != tc.want {
			t.Errorf("MatchText(%q) = %q, want %q", tc.answer, got, tc.want)
		}
	}
}

func TestNearest(t *testing.T) {
	cases := []struct {
		name string
		at   Point
		want string
	}{
		{"Angkor Wat", Point{13.4125, 103.8670}, "KH/Siem Reap"},
		{"Wat Phnom", Point{11.5765, 104.9230}, "KH/Phnom Penh"},
		{"Chiang Mai's old town", Point{18.7877, 98.9931}, "TH/Chiang Mai"},
		{"the middle of the South China Sea", Point{12.0, 113.0}, ""},
	}
	for _, tc := range cases {
		if got := key(Nearest(tc.at)); got != tc.want {
			t.Errorf("%s: Nearest = %q, want %q", tc.name, got, tc.want)
		}
	}
	// A typed place wins over the point; no place and no point is not known.
	if p, ok := Match("Battambang", &Point{13.4125, 103.8670}); !ok || p.English != "Battambang" {
		t.Errorf("Match with both: got %v, want Battambang", p.English)
	}
	if _, ok := Match("", nil); ok {
		t.Error("Match with nothing found a province")
	}
}

func TestNameInTheReadersScript(t *testing.T) {
	bkk, _ := ByKey("TH/Bangkok")
	pp, _ := ByKey("KH/Phnom Penh")
	nan, _ := ByKey("TH/Nan")
	for _, c := range []struct{ got, want string }{
		{bkk.Name("km"), "បាងកក"}, {bkk.Name("th"), "กรุงเทพมหานคร"}, {pp.Name("th"), "พนมเปญ"},
		{pp.Name("en"), "Phnom Penh"}, {nan.Name("km"), "Nan"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// key is a match's province key, "" for none.
func key(p Province, ok bool) string {
	if !ok {
		return ""
	}
	return p.Key()
}
