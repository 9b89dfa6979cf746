package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tipline/tipline/outbox"
	"github.com/tipline/tipline/reply"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/memory"

	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/locales"
)

func TestButtonsSignedForOneUser(t *testing.T) {
	ring := keys.NewRandomRing()
	other := keys.NewRandomRing()
	data := signButton(ring, 42, "send:anon")
	if len(data) > maxButtonData {
		t.Fatalf("callback data %d bytes, over Telegram's 64", len(data))
	}
	if got, err := verifyButton(ring, 42, data); err != nil || got != "send:anon" {
		t.Fatalf("verify = %q, %v", got, err)
	}
	tampered := strings.Replace(data, "send:anon", "send:open", 1)
	cases := map[string]struct {
		ring   *keys.Ring
		user   int64
		data   string
		reason string
	}{
		"other user":     {ring, 43, data, "a forwarded button"},
		"other key":      {other, 42, data, "another deployment"},
		"tampered":       {ring, 42, tampered, "action changed"},
		"no signature":   {ring, 42, "send:anon", ""},
		"empty":          {ring, 42, "", ""},
		"bad base64":     {ring, 42, "send:anon~!!!!", ""},
		"short mac":      {ring, 42, "send:anon~AAAA", ""},
		"only separator": {ring, 42, "~", ""},
		"too long":       {ring, 42, strings.Repeat("a", 70) + "~AAAAAAAAAAAA", ""},
	}
	for name, tc := range cases {
		if _, err := verifyButton(tc.ring, tc.user, tc.data); err == nil {
			t.Errorf("%s: accepted %q", name, tc.data)
		}
	}
}

func TestDecodeForgedButtonIsAnInput(t *testing.T) {
	ring := keys.NewRandomRing()
	u := &models.Update{ID: 1, CallbackQuery: &models.CallbackQuery{
		ID: "q", From: models.User{ID: 5}, Data: "a:yes~AAAAAAAAAAAA",
		Message: models.MaybeInaccessibleMessage{Message: &models.Message{ID: 9, Chat: models.Chat{ID: 5, Type: models.ChatTypePrivate}}},
	}}
	in, ok := decode(u, ring, time.Now())
	if !ok || in.input.Kind != flows.InputForgedButton || in.callbackID != "q" || in.pressedMessageID != 9 {
		t.Errorf("decode = %+v, %v", in, ok)
	}
}

func TestDecodeCommandsAndText(t *testing.T) {
	ring := keys.NewRandomRing()
	msg := func(text string) *models.Update {
		return &models.Update{ID: 1, Message: &models.Message{Text: text, Chat: models.Chat{ID: 5, Type: models.ChatTypePrivate}, From: &models.User{ID: 5}}}
	}
	for text, want := range map[string]flows.InputKind{
		"/start": flows.InputCommand, "/start@tipline_bot abc": flows.InputCommand, "hello": flows.InputText,
		"/": flows.InputText, "\u200bhello\u200f": flows.InputText,
	} {
		in, _ := decode(msg(text), ring, time.Now())
		if in.input.Kind != want {
			t.Errorf("%q: kind %s, want %s", text, in.input.Kind, want)
		}
	}
	in, _ := decode(msg("\u200bhello\u200f"), ring, time.Now())
	if in.input.Text != "hello" {
		t.Errorf("invisible characters kept: %q", in.input.Text)
	}
	in, _ = decode(msg("/START@x now"), ring, time.Now())
	if in.input.Text != "start" || in.input.Arg != "now" {
		t.Errorf("command = %q %q", in.input.Text, in.input.Arg)
	}
}

func TestRenderSplitsLongReplies(t *testing.T) {
	r := renderer{cat: locales.MustLoad(), signer: keys.NewRandomRing()}
	long := strings.Repeat("ក្មេង ", 900) // 5400 characters
	rep := reply.Message{
		Lines:   []reply.Text{{ID: "summary_line", Data: map[string]any{"Label": "x", "Value": long}}},
		Buttons: [][]reply.Button{{{Label: reply.Text{ID: "button_done"}, Action: "done"}}},
	}
	out := r.render("km", rep, r.reporterSigner(1))
	if len(out) < 2 {
		t.Fatalf("%d messages, want the text split", len(out))
	}
	for i, m := range out {
		if utf16Len(m.text) > maxMessageLen || !utf8.ValidString(m.text) || m.text == "" {
			t.Errorf("part %d: %d UTF-16 units, valid %v", i, utf16Len(m.text), utf8.ValidString(m.text))
		}
		if (m.markup != nil) != (i == len(out)-1) {
			t.Errorf("part %d: buttons must come with the last part only", i)
		}
	}
}

// TestCaseChatOnlyWithContact: the reporter's chat id goes into a case only
// when they allow contact (G7); flows never carries it.
func TestCaseChatOnlyWithContact(t *testing.T) {
	if got := caseWithChat(tipline.NewCase{ContactAllowed: false}, 42); got.ReporterChatID != 0 {
		t.Errorf("without contact: chat %d, want 0", got.ReporterChatID)
	}
	if got := caseWithChat(tipline.NewCase{ContactAllowed: true}, 42); got.ReporterChatID != 42 {
		t.Errorf("with contact: chat %d, want 42", got.ReporterChatID)
	}
}

// TestPendingKeepsNoChatID: the session keeps a step's queued messages
// without the chat's own id, and a replay puts it back; other chats' ids
// (a reviewer told of an addition) are kept as they are.
func TestPendingKeepsNoChatID(t *testing.T) {
	entries := []storage.OutboxEntry{
		{Key: "u:1:0", ChatKey: "cb:u:1:0", Method: outbox.MethodAnswer},
		{Key: "u:1:1", ChatKey: "chat-a", ChatID: 77, Method: outbox.MethodSend},
		{Key: "u:1:2", ChatKey: "chat-r", ChatID: 99, Method: outbox.MethodSend},
	}
	kept := withoutChat(entries, "chat-a")
	if kept[1].ChatID != 0 || kept[2].ChatID != 99 || entries[1].ChatID != 77 {
		t.Fatalf("kept %+v (from %+v): want the chat's own id dropped, others kept, the step's entries untouched", kept, entries)
	}
	back := withChat(kept, "chat-a", 77)
	for i := range entries {
		if back[i].ChatID != entries[i].ChatID {
			t.Errorf("replayed entry %d has chat %d, want %d", i, back[i].ChatID, entries[i].ChatID)
		}
	}
}

// decode is what processing makes of an update from a reporter: decoded,
// then its press verified as a reporter's button.
func decode(u *models.Update, signer buttonSigner, now time.Time) (incoming, bool) {
	in, ok := decodeUnverified(u, now)
	in.verifyPress(signer)
	return in, ok
}

// TestPressVerifiedOnlyOnceRouted holds the order of a press: decoding
// leaves it unverified and never acted on (fail closed), because whose
// button it is (a reviewer's or a reporter's) is known only after the
// reviewer's routing; verifyPress then takes a reporter's signed button.
func TestPressVerifiedOnlyOnceRouted(t *testing.T) {
	ring := fuzzRing(t)
	data := signButton(ring, fuzzUser, "send:anon")
	u := &models.Update{ID: 1, CallbackQuery: &models.CallbackQuery{ID: "q", From: models.User{ID: fuzzUser}, Data: data,
		Message: models.MaybeInaccessibleMessage{Message: &models.Message{ID: 3, Chat: models.Chat{ID: fuzzUser, Type: models.ChatTypePrivate}}}}}
	in, ok := decodeUnverified(u, time.Now())
	if !ok || in.input.Kind != flows.InputForgedButton || in.pressData != data {
		t.Fatalf("unverified press: ok %v, kind %s, data %q; want a forged button holding the data", ok, in.input.Kind, in.pressData)
	}
	in.verifyPress(ring)
	if in.input.Kind != flows.InputButton || in.input.Text != "send:anon" {
		t.Fatalf("verified press: kind %s, action %q; want the button send:anon", in.input.Kind, in.input.Text)
	}
	other := in
	other.userID, other.input.Kind = fuzzUser+1, flows.InputForgedButton
	other.verifyPress(ring)
	if other.input.Kind != flows.InputForgedButton {
		t.Fatal("a button signed for another user verified")
	}
}

// TestPrefetchedSessionsUsedOnce: a claimed batch's sessions are loaded
// together and each is read once, by its update; after that, or once the
// update is finished, the chat's session is read from the store again.
func TestPrefetchedSessionsUsedOnce(t *testing.T) {
	ctx := t.Context()
	sessions := memory.NewSessions(time.Hour, nil)
	b := &Bot{sessions: sessions}
	for _, c := range []string{"a", "b"} {
		if err := sessions.Save(ctx, c, []byte("before "+c)); err != nil {
			t.Fatal(err)
		}
	}
	b.prefetchSessions(ctx, readBatch([]storage.InboxItem{{UpdateID: 1, ChatKey: "a"}, {UpdateID: 2, ChatKey: "b"}, {UpdateID: 3, ChatKey: "c"}}), nil)
	for _, c := range []string{"a", "b"} {
		if err := sessions.Save(ctx, c, []byte("after "+c)); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := b.sessionData(ctx, "a"); err != nil || string(got) != "before a" {
		t.Fatalf("first read of a = %q, %v; want the session loaded with the batch", got, err)
	}
	if got, err := b.sessionData(ctx, "a"); err != nil || string(got) != "after a" {
		t.Fatalf("second read of a = %q, %v; want the store's", got, err)
	}
	b.dropPrefetched(storage.InboxItem{UpdateID: 2, ChatKey: "b"}) // its update finished without reading it
	if got, err := b.sessionData(ctx, "b"); err != nil || string(got) != "after b" {
		t.Fatalf("read of b after its update = %q, %v; want the store's", got, err)
	}
	if _, err := b.sessionData(ctx, "c"); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("read of a chat with no session: %v, want ErrNotFound", err)
	}
	if len(b.prefetched.m) != 0 {
		t.Fatalf("%d prefetched sessions left", len(b.prefetched.m))
	}
}

// withReviewer is a memory store where Telegram user telegramID is a
// reviewer (by an invite, as people become one).
func withReviewer(t *testing.T, telegramID int64) *memory.Store {
	t.Helper()
	mem := memory.New(nil)
	code := tipline.InviteHash(fmt.Sprint("invite-", telegramID))
	if err := mem.CreateInvite(t.Context(), code, "Reviewer", false, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := mem.RedeemInvite(t.Context(), code, telegramID, "en", time.Now()); err != nil {
		t.Fatal(err)
	}
	return mem
}

// TestSendersScreenedWithTheirBatch: the senders of a claimed batch are
// screened at once; each update takes its own sender's screening once,
// and only for the sender it was read for.
func TestSendersScreenedWithTheirBatch(t *testing.T) {
	ctx := t.Context()
	mem := withReviewer(t, 11)
	b := &Bot{store: mem, ring: fuzzRing(t)}
	private := func(update, user int64) storage.InboxItem {
		return storage.InboxItem{UpdateID: update, ChatKey: fmt.Sprint("chat", user), Payload: fmt.Appendf(nil,
			`{"update_id":%d,"message":{"message_id":1,"date":1700000000,"chat":{"id":%d,"type":"private"},"from":{"id":%d},"text":"hi"}}`,
			update, user, user)}
	}
	group := storage.InboxItem{UpdateID: 3, ChatKey: "group", Payload: []byte(
		`{"update_id":3,"message":{"message_id":1,"date":1700000000,"chat":{"id":-5,"type":"group"},"from":{"id":13},"text":"hi"}}`)}
	b.screenSenders(ctx, readBatch([]storage.InboxItem{private(1, 11), private(2, 12), group}))
	if s, ok := b.screening(1, 11); !ok || !s.Reviewer || s.Blocked {
		t.Fatalf("screening of the reviewer's update = %+v, %v; want a reviewer", s, ok)
	}
	if _, ok := b.screening(1, 11); ok {
		t.Fatal("an update's screening was used twice")
	}
	if _, ok := b.screening(2, 99); ok {
		t.Fatal("a screening was used for a sender it was not read for")
	}
	if _, ok := b.screening(3, 13); ok {
		t.Fatal("a group's update was screened; the bot serves no group")
	}
	if len(b.prefetched.screened) != 0 {
		t.Fatalf("%d screenings left", len(b.prefetched.screened))
	}
}

// screenCounter counts the screening statements a batch asks for.
type screenCounter struct {
	*memory.Store
	screens int
}

func (s *screenCounter) ScreenSenders(ctx context.Context, senders []storage.Sender) ([]storage.Screening, error) {
	s.screens++
	return s.Store.ScreenSenders(ctx, senders)
}

// TestIntakeScreensWhatItClaims: the updates intake stores and claims come
// to the workers screened by that statement (a reviewer found as one, a
// reporter as nobody of note), and their batch asks for no screening of
// its own; an update claimed later, from the inbox, is screened with its
// batch as before.
func TestIntakeScreensWhatItClaims(t *testing.T) {
	ctx := t.Context()
	mem := withReviewer(t, 11)
	store := &screenCounter{Store: mem}
	b := newFuzzBot(t, store, fuzzSecret)
	text := func(update, user int64) json.RawMessage {
		return fmt.Appendf(nil, `{"update_id":%d,"message":{"message_id":1,"date":1700000000,"chat":{"id":%d,"type":"private"},"from":{"id":%d},"text":"hi"}}`,
			update, user, user)
	}
	if err := b.storeUpdates(ctx, []json.RawMessage{text(1, 11), text(2, 12)}); err != nil {
		t.Fatal(err)
	}
	items := b.takeIntaken(ctx, 10)
	if len(items) != 2 {
		t.Fatalf("intake claimed %d updates, want both", len(items))
	}
	b.prefetchBatch(ctx, items)
	if store.screens != 0 {
		t.Fatalf("a batch claimed at intake asked for %d screenings, want none", store.screens)
	}
	if s, ok := b.screening(1, 11); !ok || !s.Reviewer || s.Blocked {
		t.Fatalf("screening of the reviewer's update = %+v, %v; want a reviewer", s, ok)
	}
	if s, ok := b.screening(2, 12); !ok || s.Reviewer || s.Blocked {
		t.Fatalf("screening of the reporter's update = %+v, %v; want nobody of note", s, ok)
	}
	item, err := b.inboxItem(text(3, 13))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mem.InboxAdd(ctx, []storage.InboxItem{item}); err != nil {
		t.Fatal(err)
	}
	claimed, err := mem.InboxClaimBatch(ctx, b.owner, time.Minute, 10)
	if err != nil || len(claimed) != 1 || claimed[0].Screened != nil {
		t.Fatalf("claimed %+v, %v; want update 3, not screened", claimed, err)
	}
	b.prefetchBatch(ctx, claimed)
	if s, ok := b.screening(3, 13); store.screens != 1 || !ok || s.Reviewer || s.Blocked {
		t.Fatalf("an update claimed from the inbox: %d screenings, %+v, %v; want one, nobody of note", store.screens, s, ok)
	}
}
