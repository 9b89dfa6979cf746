// Package voices is what the team's recordings of the prompts mean: which
// catalogue messages can be recorded (flows.VoicePrompts), the hash of the
// text a recording reads, whether a recording is current or stale, and
// which recording a message is heard with. It does no I/O.
package voices

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"

	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/reply"
	"github.com/tipline/tipline/storage"
)

// Prompts lists the prompts a team can record, in order.
func Prompts() []string { return flows.VoicePrompts() }

// IsPrompt tells whether a message ID can have a recording.
func IsPrompt(key string) bool { return slices.Contains(Prompts(), key) }

// TextHash is the hash of a prompt's catalogue text in a language (its
// template, before any data): a recording made for one text is stale
// once the text changes. Short: it is compared, never trusted.
func TextHash(cat *locales.Catalog, lang, key string) string {
	raw, _ := cat.Raw(lang, key)
	sum := sha256.Sum256([]byte(lang + "\x00" + key + "\x00" + raw))
	return hex.EncodeToString(sum[:12])
}

// Status is where one prompt stands in one language.
type Status string

// The statuses of a prompt.
const (
	Missing  Status = "missing"
	Recorded Status = "recorded"
	Stale    Status = "stale" // recorded for a text that has changed since
)

// Entry is one prompt in one language, with its recording if any.
type Entry struct {
	Key       string
	Status    Status
	Recording *storage.VoicePrompt
}

// Coverage lists every prompt in a language with its status, in the order
// of Prompts.
func Coverage(cat *locales.Catalog, lang string, recs []storage.VoicePrompt) []Entry {
	byKey := map[string]storage.VoicePrompt{}
	for _, r := range recs {
		if r.Lang == lang {
			byKey[r.Key] = r
		}
	}
	var out []Entry
	for _, key := range Prompts() {
		e := Entry{Key: key, Status: Missing}
		if r, ok := byKey[key]; ok {
			e.Recording = &r
			e.Status = Recorded
			if r.TextHash != TextHash(cat, lang, key) {
				e.Status = Stale
			}
		}
		out = append(out, e)
	}
	return out
}

// Counts are a language's prompts by status.
type Counts struct{ Recorded, Stale, Missing int }

// Count sums a coverage list.
func Count(es []Entry) Counts {
	var c Counts
	for _, e := range es {
		switch e.Status {
		case Recorded:
			c.Recorded++
		case Stale:
			c.Stale++
		default:
			c.Missing++
		}
	}
	return c
}

// Current are a language's recordings that read today's text, by prompt:
// the only ones that are played.
func Current(cat *locales.Catalog, lang string, recs []storage.VoicePrompt) map[string]storage.VoicePrompt {
	out := map[string]storage.VoicePrompt{}
	for _, e := range Coverage(cat, lang, recs) {
		if e.Status == Recorded {
			out[e.Key] = *e.Recording
		}
	}
	return out
}

// For is the recording a message is heard with: that of its last line
// with a current recording (the question comes last, after any
// explanation before it). A line written in a language of its own (the
// first screen's each-language lines) is never heard.
func For(lines []reply.Text, current map[string]storage.VoicePrompt) (storage.VoicePrompt, bool) {
	for i := len(lines) - 1; i >= 0; i-- {
		if lines[i].Lang != "" {
			continue
		}
		if r, ok := current[lines[i].ID]; ok {
			return r, true
		}
	}
	return storage.VoicePrompt{}, false
}
