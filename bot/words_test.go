package bot

import (
	"testing"
)

// TestOneLanguageMatcher: a Telegram client set to Thai Thailand gets Thai
// wherever the bot guesses the language from language_code.
func TestOneLanguageMatcher(t *testing.T) {
	for code, want := range map[string]string{"th-TH": "th", "km": "km", "km-KH": "km", "en-US": "en", "ru": "en", "": "en"} {
		if got := langOf(code); got != want {
			t.Errorf("langOf(%q) = %q, want %q", code, got, want)
		}
	}
}
