package tipline

import "testing"

func TestMatchLanguage(t *testing.T) {
	tests := []struct{ tag, want string }{
		{"th", "th"},
		{"th-TH", "th"},
		{"TH_th", "th"},
		{"km", "km"},
		{"km-KH", "km"},
		{"khm", "km"},
		{"en", "en"},
		{"en-GB", "en"},
		{"en-TH", "en"},
		{" tha ", "th"},
		{"", ""},
		{"ru", ""},
		{"thai", ""},
		{"kmr", ""}, // Kurmanji, not Khmer
		{"t", ""},
	}
	for _, tt := range tests {
		if got := MatchLanguage(tt.tag); got != tt.want {
			t.Errorf("MatchLanguage(%q) = %q, want %q", tt.tag, got, tt.want)
		}
	}
}
