package bot

import (
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/locales"
)

// TestDefaultCommandListReadableWithoutEnglish: Telegram shows the default
// "/" menu to a phone in any language but those with a list of their own,
// which is every Khmer reader's phone. Each line of it opens with a picture
// and says the command in Khmer and Thai as well as English, within
// Telegram's 256 characters; the per-language lists stay in one language.
func TestDefaultCommandListReadableWithoutEnglish(t *testing.T) {
	cat := locales.MustLoad()
	def := commandList(cat, "")
	if len(def) != len(flows.Commands) {
		t.Fatalf("%d commands, want %d", len(def), len(flows.Commands))
	}
	for _, c := range def {
		icon := flows.CommandIcons[c.Command]
		if icon == "" || !strings.HasPrefix(c.Description, icon+" ") {
			t.Errorf("/%s: %q does not open with its picture", c.Command, c.Description)
		}
		for _, l := range []string{"km", "th", "en"} {
			if w := cat.Text(l, "command_"+c.Command, nil); !strings.Contains(c.Description, w) {
				t.Errorf("/%s: %q lacks the %s words %q", c.Command, c.Description, l, w)
			}
		}
		if n := len(utf16.Encode([]rune(c.Description))); n > 256 {
			t.Errorf("/%s: %d UTF-16 units, over Telegram's 256", c.Command, n)
		}
	}
	for _, c := range commandList(cat, "km") {
		if want := cat.Text("km", "command_"+c.Command, nil); c.Description != want {
			t.Errorf("Khmer list /%s: %q, want %q", c.Command, c.Description, want)
		}
	}
}
