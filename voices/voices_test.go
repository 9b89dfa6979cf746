package voices

import (
	"testing"

	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/reply"
	"github.com/tipline/tipline/storage"
)

// TestCoverage: a recording of today's text is recorded, one of another
// text is stale, the rest are missing; only the recorded one is played.
func TestCoverage(t *testing.T) {
	cat := locales.MustLoad()
	recs := []storage.VoicePrompt{
		{Key: "q_what", Lang: "km", FileID: "a", TextHash: TextHash(cat, "km", "q_what")},
		{Key: "q_danger", Lang: "km", FileID: "b", TextHash: "an-older-text"},
		{Key: "q_where", Lang: "th", FileID: "c", TextHash: TextHash(cat, "th", "q_where")},
	}
	got := map[string]Status{}
	for _, e := range Coverage(cat, "km", recs) {
		got[e.Key] = e.Status
	}
	want := map[string]Status{"q_what": Recorded, "q_danger": Stale, "q_where": Missing, "welcome": Missing}
	for k, s := range want {
		if got[k] != s {
			t.Errorf("%s: got %s, want %s", k, got[k], s)
		}
	}
	c := Count(Coverage(cat, "km", recs))
	if c.Recorded != 1 || c.Stale != 1 || c.Missing != len(Prompts())-2 {
		t.Errorf("got %+v, want 1 recorded, 1 stale, %d missing", c, len(Prompts())-2)
	}
	cur := Current(cat, "km", recs)
	if len(cur) != 1 || cur["q_what"].FileID != "a" {
		t.Errorf("got %+v, want q_what alone", cur)
	}
}

// TestTextHash: the hash follows the text, the language and the prompt.
func TestTextHash(t *testing.T) {
	cat := locales.MustLoad()
	if TextHash(cat, "km", "q_what") == TextHash(cat, "th", "q_what") || TextHash(cat, "km", "q_what") == TextHash(cat, "km", "q_danger") {
		t.Fatal("hashes collide across languages or prompts")
	}
	first := TextHash(cat, "km", "q_what")
	if again := TextHash(locales.MustLoad(), "km", "q_what"); again != first {
		t.Fatal("hash not stable across loads of the catalogue")
	}
}

// TestFor: a message is heard with its question's recording, never with
// a line written in a language of its own.
func TestFor(t *testing.T) {
	cur := map[string]storage.VoicePrompt{"q_what": {FileID: "w"}, "welcome": {FileID: "h"}}
	if r, ok := For([]reply.Text{{ID: "tip_intro"}, {ID: "q_what"}}, cur); !ok || r.FileID != "w" {
		t.Errorf("got %v %v, want q_what's", r, ok)
	}
	if _, ok := For([]reply.Text{{ID: "welcome", Lang: "km"}}, cur); ok {
		t.Error("heard a line written in each language")
	}
	if _, ok := For([]reply.Text{{ID: "menu"}}, cur); ok {
		t.Error("heard a message with no recording")
	}
	if len(Prompts()) < 20 || !IsPrompt("q_appeal") || !IsPrompt("done_next") {
		t.Errorf("prompts %v", Prompts())
	}
}
