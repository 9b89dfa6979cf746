package tipline

import "strings"

// The languages the tip line speaks, as BCP 47 primary language subtags.
const (
	LangKhmer   = "km"
	LangThai    = "th"
	LangEnglish = "en"
)

// Languages lists the supported languages in the order they are offered.
var Languages = []string{LangKhmer, LangThai, LangEnglish}

// MatchLanguage picks our language for a language tag as Telegram sends it
// in language_code ("th", "th-TH", "km-KH", "en_GB", "EN"), or returns ""
// when it is none of ours, so that the caller decides: ask, or fall back to
// English. Only the primary subtag counts ("th-TH" is Thai, "en-TH" is
// English); the three-letter codes (khm, tha, eng) are accepted too. This is
// the one place that matches languages: flows and bot both call it.
func MatchLanguage(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	primary, _, _ := strings.Cut(strings.ReplaceAll(tag, "_", "-"), "-")
	switch primary {
	case LangKhmer, "khm":
		return LangKhmer
	case LangThai, "tha":
		return LangThai
	case LangEnglish, "eng":
		return LangEnglish
	}
	return ""
}
