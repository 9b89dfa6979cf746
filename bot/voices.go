package bot

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/outbox"
	"github.com/tipline/tipline/reply"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/voices"
)

// Listening: a reporter who asked to hear the questions gets each message
// that holds a prompt the team recorded in their language (and whose text
// has not changed since) as ONE voice message, with the message's words as
// its caption and its buttons: no extra message against Telegram's limits.
// Anything else goes as text, as always. The choice is kept like the
// language, in Redis under the reporter's keyed pseudonym, so it outlives
// the session; /forget removes it.

// VoiceStore keeps the team's recordings (storage/postgres and memory).
type VoiceStore interface {
	VoicePrompts(ctx context.Context, lang string) ([]storage.VoicePrompt, error)
	SaveVoicePrompt(ctx context.Context, v storage.VoicePrompt, actor, action string) error
}

// maxCaptionLen is Telegram's limit on a caption, in UTF-16 units: a
// longer message goes as text.
const maxCaptionLen = 1024

// voiceCacheFor is how long a process plays the recordings it read
// before reading them again: a recording made through another process
// is heard within this time; one made through this one at once.
const voiceCacheFor = 15 * time.Second

// voiceCache holds the current recordings per language, read at most
// every voiceCacheFor, so that listening costs no query per message.
type voiceCache struct {
	mu     sync.Mutex
	byLang map[string]voiceCacheEntry
	// gen counts forgetVoiceCache: a read begun before a recording was
	// kept is not cached over it.
	gen int
}

type voiceCacheEntry struct {
	at      time.Time
	current map[string]storage.VoicePrompt
}

func listenMarker(pseudonym string) string { return "listen:" + pseudonym }

// listeningMarks keep a change of the reporter's listening (or keep it
// again for a new conversation), written with their session as their
// language is (languageMark): set under the current pseudonym, or
// removed under every one.
func (b *Bot) listeningMarks(userID int64, before flows.Session, res stepResult) []storage.Mark {
	if res.Forgot || userID <= 0 {
		return nil
	}
	on := res.Session.Listen
	switch {
	case on && (!before.Listen || before.State == flows.StateNew):
		return []storage.Mark{{Name: listenMarker(b.ring.Pseudonym(userID)), Value: "1", TTL: languageTTL}}
	case !on && before.Listen:
		var marks []storage.Mark
		for _, p := range b.ring.Pseudonyms(userID) {
			marks = append(marks, storage.Mark{Name: listenMarker(p)})
		}
		return marks
	}
	return nil
}

// RememberListening keeps that a Telegram user asked to hear the
// questions, as the bot does when they press 🔊: tests and the sandbox
// use it to start from such a reporter.
func RememberListening(ctx context.Context, s Sessions, ring *keys.Ring, userID int64) error {
	if err := s.MarkWith(ctx, listenMarker(ring.Pseudonym(userID)), "1", languageTTL); err != nil {
		return fmt.Errorf("remember listening: %w", err)
	}
	return nil
}

// forgetListening removes the reporter's choice, under every pseudonym.
func (b *Bot) forgetListening(ctx context.Context, userID int64) error {
	for _, p := range b.ring.Pseudonyms(userID) {
		if err := b.sessions.Unmark(ctx, listenMarker(p)); err != nil {
			return fmt.Errorf("forget listening: %w", err)
		}
	}
	return nil
}

// currentVoices are the recordings of lang that read today's text, from
// the cache or the store; none when the store cannot say (text then).
func (b *Bot) currentVoices(ctx context.Context, lang string) map[string]storage.VoicePrompt {
	c := &b.voices
	c.mu.Lock()
	e, ok := c.byLang[lang]
	gen := c.gen
	c.mu.Unlock()
	if ok && time.Since(e.at) < voiceCacheFor {
		return e.current
	}
	// Read without the lock: a slow database holds no other chat's step.
	recs, err := b.store.VoicePrompts(ctx, lang)
	if err != nil {
		b.log.Warn("could not read the recorded prompts; the questions go as text", "err", err)
		return nil
	}
	cur := voices.Current(b.render.cat, lang, recs)
	c.mu.Lock()
	if c.byLang == nil {
		c.byLang = map[string]voiceCacheEntry{}
	}
	if c.gen == gen {
		c.byLang[lang] = voiceCacheEntry{at: time.Now(), current: cur}
	}
	c.mu.Unlock()
	return cur
}

// forgetVoiceCache makes the next message read the recordings again.
func (b *Bot) forgetVoiceCache() {
	b.voices.mu.Lock()
	b.voices.byLang = nil
	b.voices.gen++
	b.voices.mu.Unlock()
}

// replyHeard queues a step's messages as replyOn does, except that for a
// reporter who listens, a message with a current recording goes as that
// voice message, captioned with the message and carrying its buttons; a
// message too long for a caption goes as the voice, then as text.
func (b *Bot) replyHeard(ctx context.Context, out *outbox.Batch, lane tipline.Lane, chatID, userID int64, s flows.Session, replies []reply.Message) {
	lang := s.Lang
	if !s.Listen || lang == "" {
		b.replyOn(out, lane, chatID, userID, lang, replies)
		return
	}
	current := b.currentVoices(ctx, lang)
	for _, rep := range replies {
		ms := b.render.render(lang, rep, b.render.reporterSigner(userID))
		r, ok := voices.For(rep.Lines, current)
		if ok && len(ms) == 1 && utf16Len(ms[0].text) <= maxCaptionLen {
			out.VoicePrompt(chatID, lane, r.FileID, ms[0].text, ms[0].rows())
			continue
		}
		if ok {
			// Too long for a caption (the receipt, with the reference
			// and the code): the voice alone, then the words as always.
			// One more message, once a report, for a reader who needs it.
			out.VoicePrompt(chatID, lane, r.FileID, "", nil)
		}
		for _, m := range ms {
			out.Text(chatID, lane, m.text, m.rows(), false)
		}
	}
}
