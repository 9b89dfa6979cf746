package bot

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/outbox"
	"github.com/tipline/tipline/reply"
	"github.com/tipline/tipline/review"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/memory"
	"github.com/tipline/tipline/storage/storagetest"
)

var (
	latinWordRE = regexp.MustCompile(`[A-Za-z]+`)
	// Not words a reader must understand: references, commands, links.
	notWordsRE = regexp.MustCompile(`TL-[0-9A-Z]{4}-[0-9A-Z]{4}|/[a-z_]+|https?://\S+`)
)

// latinAllowed are the Latin words a Khmer or Thai reader may see: our
// name, Telegram's, and Telegram's own menu items (as in flows).
var latinAllowed = []string{"Tipline", "Telegram", "Location", "Delete", "iPhone", "English"}

// latinWords are the Latin words of text a Khmer or Thai reader would
// have to read, without references, commands, links and the given data.
func latinWords(text string, data ...string) []string {
	for _, d := range data {
		text = strings.ReplaceAll(text, d, "")
	}
	var out []string
	for _, w := range latinWordRE.FindAllString(notWordsRE.ReplaceAllString(text, ""), -1) {
		if !slices.Contains(latinAllowed, w) {
			out = append(out, w)
		}
	}
	return out
}

// TestNoticesOutsideFlowsInKhmerAndThai renders every message the bot
// sends outside the reporter's conversation, as the bot builds it (the
// guard's, the dead letters', "we are slow" from the inbox and from
// intake, an expired or lost session's, old buttons', a team message, and
// the reviewer's invite), in Khmer and Thai, and fails on any English
// word: flows' checks never see these, since they render in the session's
// language and these paths have none.
func TestNoticesOutsideFlowsInKhmerAndThai(t *testing.T) {
	b := newFuzzBot(t, memory.New(nil), fuzzSecret)
	const ref, words = "TL-7K3Q-9XDM", "Is she still there?"
	for _, lang := range []string{"km", "th"} {
		msgs := map[string]reply.Message{
			"blocked":        b.engine.EmergencyReply("blocked_neutral", lang),
			"emergency":      b.engine.EmergencyReply("emergency_intro", lang),
			"slow down":      notice(lang, "error_slow_down"),
			"set aside":      notice(lang, "error_set_aside"),
			"delayed":        notice(lang, "error_delayed"),
			"draft expired":  notice(lang, "draft_expired"),
			"session lost":   notice(lang, "error_session_lost"),
			"receipt gone":   notice(lang, "receipt_gone"),
			"not saved":      notice(lang, "error_save_failed"),
			"not added":      notice(lang, "error_add_failed"),
			"case gone":      notice(lang, "error_case_gone"),
			"try again":      notice(lang, "error_try_again"),
			"report limit":   notice(lang, "error_report_limit"),
			"team message":   review.TeamMessage(ref, words),
			"reviewer hello": review.Welcome("Dara"),
		}
		for name, m := range msgs {
			for _, o := range b.render.render(lang, m, b.render.reporterSigner(77)) {
				if bad := latinWords(o.text, words, "Dara"); len(bad) > 0 {
					t.Errorf("%s %s: English %v in %q", lang, name, bad, o.text)
				}
			}
		}
	}
	// The check catches what it is for.
	if bad := latinWords(b.render.cat.Text("en", "error_delayed", nil)); len(bad) == 0 {
		t.Error("the check finds no English in an English message")
	}
}

// TestNoticesReadTheChosenLanguage: a reporter who chose Khmer on a phone
// set to English is told "we are slow" and "your message was set aside"
// in Khmer; one who never chose is told in each language.
func TestNoticesReadTheChosenLanguage(t *testing.T) {
	mem := memory.New(nil)
	b := newFuzzBot(t, mem, fuzzSecret)
	if err := RememberLanguage(t.Context(), b.sessions, b.ring, 77, "km"); err != nil {
		t.Fatal(err)
	}
	raw := func(user string) []byte {
		return []byte(`{"update_id":41,"message":{"message_id":1,"date":1700000000,"chat":{"id":` + user + `,"type":"private"},"from":{"id":` + user + `,"language_code":"en"},"text":"hello"}}`)
	}
	b.tellDelayed(t.Context(), storage.InboxItem{UpdateID: 41, Attempts: 2, Payload: raw("77")})
	b.tellDelayed(t.Context(), storage.InboxItem{UpdateID: 42, Attempts: 2, Payload: raw("78")})
	got := map[int64]string{}
	for {
		es, err := storagetest.OutboxClaim(t.Context(), mem, "test", 60e9, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) == 0 {
			break
		}
		for _, e := range es {
			var p outbox.Payload
			if err := json.Unmarshal(e.Payload, &p); err != nil {
				t.Fatal(err)
			}
			got[e.ChatID] = p.Text
			if err := mem.OutboxSent(t.Context(), e.ID, "test", 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	cat := b.render.cat
	if got[77] != cat.Text("km", "error_delayed", nil) {
		t.Errorf("to the Khmer reader: %q", got[77])
	}
	for _, l := range flows.Languages {
		if !strings.Contains(got[78], cat.Text(l, "error_delayed", nil)) {
			t.Errorf("to a reader whose language we do not know: %q lacks %s", got[78], l)
		}
	}
	if err := b.forgetLanguage(t.Context(), 77); err != nil {
		t.Fatal(err)
	}
	if l := b.reporterLanguage(t.Context(), 77); l != "" {
		t.Errorf("language %q kept after /forget", l)
	}
}

// TestFailureSaysWhatToDo: a failed step tells the reporter what to do for
// what they were doing (the review's U3): only a report has a Send button;
// an addition to a case that is gone will never be taken.
func TestFailureSaysWhatToDo(t *testing.T) {
	down := errors.New("database down")
	gone := fmt.Errorf("add to case: %w", tipline.ErrNotFound)
	for _, tc := range []struct {
		eff  flows.Effect
		err  error
		want string
	}{
		{flows.SubmitCase{}, down, "error_save_failed"},
		{flows.AddToCase{}, down, "error_add_failed"},
		{flows.AddToCase{}, gone, "error_case_gone"},
		{flows.LoadMyCases{}, down, "error_try_again"},
		{flows.Forget{}, down, "error_try_again"},
		{flows.WithdrawContact{}, down, "error_try_again"},
		{flows.OpenByCode{}, down, "error_try_again"},
	} {
		if got := failedMessage([]flows.Effect{tc.eff}, tc.err); got != tc.want {
			t.Errorf("%T failing with %v: %s, want %s", tc.eff, tc.err, got, tc.want)
		}
	}
}

// TestCasesAwaitingAnswer: the cases whose team message awaits a
// reporter's answer are kept in order, at most four, dropped once answered
// or on /forget, and sealed: the marker beside the pseudonym does not show
// the references.
func TestCasesAwaitingAnswer(t *testing.T) {
	b := newFuzzBot(t, memory.New(nil), fuzzSecret)
	ctx := t.Context()
	var refs []tipline.Reference
	for range 5 {
		refs = append(refs, tipline.NewReference())
	}
	for _, r := range refs {
		if err := b.awaitAnswer(ctx, 77, r); err != nil {
			t.Fatal(err)
		}
	}
	if got := b.awaiting(ctx, 77); !slices.Equal(got, refs[1:]) {
		t.Errorf("awaiting %v, want the newest four %v", got, refs[1:])
	}
	raw, err := b.sessions.MarkValue(ctx, awaitingMarker(b.ring.Pseudonym(77)))
	if err != nil || strings.Contains(raw, "TL-") {
		t.Errorf("the marker holds %q (%v): references in clear", raw, err)
	}
	if err := b.answered(ctx, 77, refs[2]); err != nil {
		t.Fatal(err)
	}
	if got := b.awaiting(ctx, 77); !slices.Equal(got, []tipline.Reference{refs[1], refs[3], refs[4]}) {
		t.Errorf("after an answer: %v", got)
	}
	if got := b.awaiting(ctx, 78); len(got) != 0 {
		t.Errorf("another reporter awaits %v", got)
	}
	if err := b.setAwaiting(ctx, 77, nil); err != nil {
		t.Fatal(err)
	}
	if got := b.awaiting(ctx, 77); len(got) != 0 {
		t.Errorf("after /forget: %v", got)
	}
}

// TestGuardedMessagesAreCleared: a message the guard answered (a flood, a
// blocked reporter) is kept with the chat's messages, so "Clear this chat"
// deletes it too (the review's O1).
func TestGuardedMessagesAreCleared(t *testing.T) {
	b := newFuzzBot(t, memory.New(nil), fuzzSecret)
	ctx := t.Context()
	if err := b.saveSession(ctx, "chat-a", chatState{Flow: flows.Session{Lang: "km", State: flows.StateMenu}}); err != nil {
		t.Fatal(err)
	}
	b.keepGuardedMessage(ctx, "chat-a", messageRef{ID: 42, At: fuzzNow})
	b.keepGuardedMessage(ctx, "chat-none", messageRef{ID: 43, At: fuzzNow}) // no session: nothing made
	st, _, err := b.loadSession(ctx, "chat-a")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Messages) != 1 || st.Messages[0].ID != 42 || st.Flow.State != flows.StateMenu {
		t.Errorf("session after a guarded message: %+v", st)
	}
	if _, err := b.sessions.Load(ctx, "chat-none"); err == nil {
		t.Error("a session was made for a chat that had none")
	}
}
