package bot

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/reply"
	"github.com/tipline/tipline/storage"
)

// A reporter's language is what they chose on the language picker (or
// what their Khmer or Thai phone said), kept in Redis beside the sessions
// under their keyed pseudonym, never the chat id. It outlives the session,
// so a reporter who comes back after days, or whose message the guard,
// the dead letters or a slow database answers, is written to in the
// language they read. /forget removes it.

// languageTTL is how long a reporter's language is kept after their last
// conversation began.
const languageTTL = 365 * 24 * time.Hour

// languageMarker names the marker holding a reporter's language.
func languageMarker(pseudonym string) string { return "lang:" + pseudonym }

// reporterLanguage returns the language a reporter chose, or "" when none
// is kept (or Redis cannot say: the caller then falls back).
func (b *Bot) reporterLanguage(ctx context.Context, userID int64) string {
	m, err := b.readReporter(ctx, userID, reporterNeeds{lang: true}, nil)
	if err != nil {
		b.log.Warn("could not read a reporter's language", "err", err)
	}
	return m.lang
}

// reporterNeeds says which markers a step reads: the reporter's, and the
// draft marker of the chat draftOf when it is not "".
type reporterNeeds struct {
	lang, listen, awaiting bool
	draftOf                string
}

// reporterMarks is what a step read of the markers.
type reporterMarks struct {
	lang         string // chosen, or ""
	listen       bool   // asked to hear the questions
	awaiting     []tipline.Reference
	draftExpired bool // the chat's draft marker is set
}

// readReporter reads what a step needs of the markers kept under a
// reporter's pseudonym (and of the chat's draft marker), in one round
// trip, or in none when known (read with the update's batch, by name:
// reporterMarkers) holds them all. When Redis cannot say, it returns the
// error with all unknown ("", false, none), and the caller falls back as
// each reader says. The language and listening count under every key of
// the ring: a choice kept before a key rotation still counts.
func (b *Bot) readReporter(ctx context.Context, userID int64, need reporterNeeds, known map[string]string) (reporterMarks, error) {
	var out reporterMarks
	var ps []string
	if userID > 0 && (need.lang || need.listen) {
		ps = b.ring.Pseudonyms(userID)
	}
	var names []string
	if need.lang {
		for _, p := range ps {
			names = append(names, languageMarker(p))
		}
	}
	if need.listen {
		for _, p := range ps {
			names = append(names, listenMarker(p))
		}
	}
	awaitName := awaitingMarker(b.ring.Pseudonym(userID))
	if need.awaiting {
		names = append(names, awaitName)
	}
	if need.draftOf != "" {
		names = append(names, draftMarker(need.draftOf))
	}
	if len(names) == 0 {
		return out, nil
	}
	vs, err := b.markValues(ctx, names, known)
	if err != nil {
		return out, err
	}
	if len(vs) != len(names) {
		return out, fmt.Errorf("read markers: %d values for %d", len(vs), len(names))
	}
	if need.lang {
		for _, v := range vs[:len(ps)] {
			if slices.Contains(tipline.Languages, v) {
				out.lang = v
				break
			}
		}
		vs = vs[len(ps):]
	}
	if need.listen {
		out.listen = slices.Contains(vs[:len(ps)], "1")
		vs = vs[len(ps):]
	}
	if need.awaiting {
		out.awaiting = b.openAwaiting(awaitName, vs[0])
		vs = vs[1:]
	}
	if need.draftOf != "" {
		out.draftExpired = vs[0] != ""
	}
	return out, nil
}

// reporterMarkers names every marker a step of the reporter userID in the
// chat chatKey may read (readReporter): their language and listening
// under each pseudonym, the cases awaiting their answer, the chat's draft.
func (b *Bot) reporterMarkers(userID int64, chatKey string) []string {
	ps := b.ring.Pseudonyms(userID)
	names := make([]string, 0, 2*len(ps)+2)
	for _, p := range ps {
		names = append(names, languageMarker(p))
	}
	for _, p := range ps {
		names = append(names, listenMarker(p))
	}
	return append(names, awaitingMarker(b.ring.Pseudonym(userID)), draftMarker(chatKey))
}

// markValues is what the markers names hold: from known when it holds
// them all, else read in one round trip.
func (b *Bot) markValues(ctx context.Context, names []string, known map[string]string) ([]string, error) {
	vs := make([]string, len(names))
	for i, n := range names {
		v, ok := known[n]
		if !ok {
			return b.sessions.MarkValues(ctx, names...)
		}
		vs[i] = v
	}
	return vs, nil
}

// languageMark keeps a reporter's language under their current
// pseudonym, starting its time to live again, when written with their
// session (saveSession).
func (b *Bot) languageMark(userID int64, lang string) storage.Mark {
	return storage.Mark{Name: languageMarker(b.ring.Pseudonym(userID)), Value: lang, TTL: languageTTL}
}

// RememberLanguage keeps the language a Telegram user chose as a reporter,
// as the bot does when they choose it: tests and the sandbox use it to
// start from a reporter who chose before.
func RememberLanguage(ctx context.Context, s Sessions, ring *keys.Ring, userID int64, lang string) error {
	if err := s.MarkWith(ctx, languageMarker(ring.Pseudonym(userID)), lang, languageTTL); err != nil {
		return fmt.Errorf("remember language: %w", err)
	}
	return nil
}

// forgetLanguage removes a reporter's language, under every pseudonym.
func (b *Bot) forgetLanguage(ctx context.Context, userID int64) error {
	for _, p := range b.ring.Pseudonyms(userID) {
		if err := b.sessions.Unmark(ctx, languageMarker(p)); err != nil {
			return fmt.Errorf("forget language: %w", err)
		}
	}
	return nil
}

// readerLanguage is the language to write a reporter's notices in: the
// one they chose, else their phone's when it is Khmer or Thai, else ""
// (we do not know: the notice is written in each language).
func (b *Bot) readerLanguage(ctx context.Context, userID int64, phoneCode string) string {
	if l := b.reporterLanguage(ctx, userID); l != "" {
		return l
	}
	return flows.PhoneLanguage(phoneCode)
}

// notice is a one-message notice in lang, or in each language when lang
// is "".
func notice(lang, id string) reply.Message {
	if lang == "" {
		return reply.Message{Lines: flows.InEachLanguage(id)}
	}
	return reply.Message{Lines: []reply.Text{{ID: id}}}
}

// orEnglish is lang, or English when it is "": a notice in each language
// renders its lines in theirs, and what is left (a number's name) in
// English.
func orEnglish(lang string) string {
	if lang == "" {
		return tipline.LangEnglish
	}
	return lang
}

// Cases awaiting an answer: when the team writes to a reporter, the case
// is kept, under the reporter's pseudonym beside their language, until
// they add to it; words they then type without pressing "↩️ Answer" go to
// that case (flows.Input.Awaiting). At most maxAwaiting, newest last.

const (
	awaitingTTL = 30 * 24 * time.Hour
	maxAwaiting = 4 // references of 12 bytes: sealed, within a marker's 256
)

func awaitingMarker(pseudonym string) string { return "await:" + pseudonym }

// awaiting returns the reporter's cases whose team message awaits an
// answer; none when Redis cannot say (the words are then a new report's).
func (b *Bot) awaiting(ctx context.Context, userID int64) []tipline.Reference {
	m, err := b.readReporter(ctx, userID, reporterNeeds{awaiting: true}, nil)
	if err != nil {
		b.log.Warn("could not read the cases awaiting a reporter's answer", "err", err)
	}
	return m.awaiting
}

// openAwaiting reads the cases awaiting an answer from v, the value of
// the marker name.
func (b *Bot) openAwaiting(name, v string) []tipline.Reference {
	if v == "" {
		return nil
	}
	sealed, err := base64.RawStdEncoding.DecodeString(v)
	if err != nil {
		return nil
	}
	plain, err := b.ring.Open(sealed, name)
	if err != nil {
		return nil // sealed under a retired key: forgotten, as a session is
	}
	var out []tipline.Reference
	for _, s := range strings.Split(string(plain), ",") {
		if ref, err := tipline.ParseReference(s); err == nil {
			out = append(out, ref)
		}
	}
	return out
}

// awaitAnswer keeps that the team wrote to a reporter about ref.
func (b *Bot) awaitAnswer(ctx context.Context, userID int64, ref tipline.Reference) error {
	refs := slices.DeleteFunc(b.awaiting(ctx, userID), func(r tipline.Reference) bool { return r == ref })
	refs = append(refs, ref)
	if len(refs) > maxAwaiting {
		refs = refs[len(refs)-maxAwaiting:]
	}
	return b.setAwaiting(ctx, userID, refs)
}

// answered drops ref from the cases awaiting the reporter's answer.
func (b *Bot) answered(ctx context.Context, userID int64, ref tipline.Reference) error {
	refs := b.awaiting(ctx, userID)
	if !slices.Contains(refs, ref) {
		return nil
	}
	return b.setAwaiting(ctx, userID, slices.DeleteFunc(refs, func(r tipline.Reference) bool { return r == ref }))
}

func (b *Bot) setAwaiting(ctx context.Context, userID int64, refs []tipline.Reference) error {
	name := awaitingMarker(b.ring.Pseudonym(userID))
	if len(refs) == 0 {
		return b.sessions.Unmark(ctx, name)
	}
	parts := make([]string, len(refs))
	for i, r := range refs {
		parts[i] = string(r)
	}
	// Sealed, as sessions are: the references beside a pseudonym would
	// link a reporter to their cases for anyone who reads Redis.
	sealed := b.ring.Seal([]byte(strings.Join(parts, ",")), name)
	return b.sessions.MarkWith(ctx, name, base64.RawStdEncoding.EncodeToString(sealed), awaitingTTL)
}

// teamMessageCase is the case a message to a reporter awaits an answer
// about: the one its "↩️ Answer" button names, if it has one.
func teamMessageCase(m reply.Message) (tipline.Reference, bool) {
	for _, row := range m.Buttons {
		for _, btn := range row {
			if ref, ok := flows.TeamReplyCase(btn.Action); ok {
				return ref, true
			}
		}
	}
	return "", false
}
