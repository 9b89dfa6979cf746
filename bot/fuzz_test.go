package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/locales/script"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/memory"
)

// Fuzz targets for the bot's edge: what Telegram (or anyone posing as it)
// sends us. Seeds are under testdata/fuzz/<FuzzName>/; plain `go test`
// replays them. Run one longer with, for example:
//
//	go test -run '^$' -fuzz '^FuzzWebhook$' -fuzztime 10m ./bot

// fuzzRootKey is a fixed test key, so that the seed corpus can hold button
// data that really is signed (for fuzzUser) and the fuzzer can mutate it.
var fuzzRootKey = bytes.Repeat([]byte{0x5a}, keys.RootKeySize)

// fuzzUser is the user the signed seeds were signed for.
const fuzzUser = 777000111

// fuzzSecret is the webhook secret of the bot under fuzz.
const fuzzSecret = "s3cret-Token_42"

var fuzzNow = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

func fuzzRing(t testing.TB) *keys.Ring {
	t.Helper()
	r, err := keys.NewRing(fuzzRootKey)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// fuzzStore is the in-memory store whose inbox can be made to fail.
type fuzzStore struct {
	*memory.Store
	failInbox bool
}

var errFuzzInbox = errors.New("fuzz: the inbox is down")

func (s *fuzzStore) InboxAddClaim(ctx context.Context, items []storage.InboxItem, owner string, lease time.Duration, limit int) (int, []storage.InboxItem, error) {
	if s.failInbox {
		return 0, nil, errFuzzInbox
	}
	return s.Store.InboxAddClaim(ctx, items, owner, lease, limit)
}

// newFuzzBot builds a bot as the program does, on in-memory storage. It
// never contacts Telegram.
func newFuzzBot(t testing.TB, store Store, secret string) *Bot {
	t.Helper()
	cfg := testConfig()
	cfg.Token = "123456:fuzz-test-token"
	cfg.WebhookSecret = secret
	cfg.Now = func() time.Time { return fuzzNow }
	return newMemoryBot(t, store, cfg)
}

// newMemoryBot is a bot with cfg on store and memory twins of the rest.
func newMemoryBot(t testing.TB, store Store, cfg Config) *Bot {
	t.Helper()
	b, err := New(cfg, Parts{
		Store: store, Sessions: memory.NewSessions(time.Hour, nil), Limiter: memory.NewLimiter(nil),
		Throttle: memory.NewThrottle(nil), FallbackThrottle: memory.NewThrottle(nil), Ring: keys.NewRandomRing(), Catalog: locales.MustLoad(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signedFor tells, without verifyButton, whether data is exactly what
// signButton produces for user: "ACTION~MAC" for some action it can sign.
func signedFor(k buttonSigner, user int64, data string) (string, bool) {
	i := strings.LastIndex(data, buttonSep)
	if i < 0 {
		return "", false
	}
	action := data[:i]
	if action == "" || len(action)+13 > maxButtonData {
		return "", false
	}
	return action, signButton(k, user, action) == data
}

// checkCleanText holds for every text a reporter typed, once decoded.
func checkCleanText(t *testing.T, what, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("%s: invalid UTF-8 after cleaning: %q", what, s)
	}
	if script.Clean(s) != s {
		t.Fatalf("%s: text not clean (Clean changes it again): %q", what, s)
	}
	if strings.TrimSpace(s) != s {
		t.Fatalf("%s: surrounding white space kept: %q", what, s)
	}
	for _, r := range s {
		if (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f) || r == '\u200b' || r == '\u202e' || r == '\ufeff' {
			t.Fatalf("%s: control or invisible character %U kept: %q", what, r, s)
		}
	}
}

// checkDecoded checks decode's result against the update it came from.
func checkDecoded(t *testing.T, ring *keys.Ring, u *models.Update, in incoming, ok bool) {
	t.Helper()
	if in.input.Now != fuzzNow {
		t.Fatalf("Now = %v, want %v", in.input.Now, fuzzNow)
	}
	if ok && (in.chatID == 0 || in.userID == 0) {
		t.Fatalf("ok with chat %d, user %d", in.chatID, in.userID)
	}
	served := u.Message != nil || u.EditedMessage != nil || u.CallbackQuery != nil
	if !served {
		if ok {
			t.Fatalf("an update with no message, edit or callback decoded as %+v", in)
		}
		return
	}
	if ok != (in.chatID != 0 && in.userID != 0) {
		t.Fatalf("ok = %v with chat %d, user %d", ok, in.chatID, in.userID)
	}

	switch {
	case u.Message != nil:
		m := u.Message
		if in.private != (m.Chat.Type == models.ChatTypePrivate) {
			t.Fatalf("private = %v for a chat of type %q", in.private, m.Chat.Type)
		}
		if in.callbackID != "" {
			t.Fatalf("a message with callback id %q", in.callbackID)
		}
		checkMessageInput(t, m, in.input)
	case u.EditedMessage != nil:
		m := u.EditedMessage
		if in.private != (m.Chat.Type == models.ChatTypePrivate) {
			t.Fatalf("edit: private = %v for a chat of type %q", in.private, m.Chat.Type)
		}
		if in.input.Kind != flows.InputEdited {
			t.Fatalf("an edit decoded as %s", in.input.Kind)
		}
		checkCleanText(t, "edit", in.input.Text)
	case u.CallbackQuery != nil:
		q := u.CallbackQuery
		if in.callbackID != q.ID || in.userID != q.From.ID {
			t.Fatalf("callback %q from %d decoded as %q from %d", q.ID, q.From.ID, in.callbackID, in.userID)
		}
		// A press in a chat we know is not private is never served as private:
		// the bot never speaks in groups.
		var chatType models.ChatType
		if m := q.Message.Message; m != nil {
			chatType = m.Chat.Type
		} else if m := q.Message.InaccessibleMessage; m != nil {
			chatType = m.Chat.Type
		}
		if in.private && chatType != "" && chatType != models.ChatTypePrivate {
			t.Fatalf("a button pressed in a %q chat is treated as private", chatType)
		}
		action, signed := signedFor(ring, q.From.ID, q.Data)
		switch in.input.Kind {
		case flows.InputButton:
			if !signed {
				t.Fatalf("button data %q, not signed for user %d, decoded as a button %q", q.Data, q.From.ID, in.input.Text)
			}
			if in.input.Text != action {
				t.Fatalf("signed action %q decoded as %q", action, in.input.Text)
			}
		case flows.InputForgedButton:
			if signed {
				t.Fatalf("data %q signed for user %d decoded as forged", q.Data, q.From.ID)
			}
			if in.input.Text != "" {
				t.Fatalf("forged button carries text %q", in.input.Text)
			}
		default:
			t.Fatalf("a callback decoded as %s", in.input.Kind)
		}
	}
}

func checkMessageInput(t *testing.T, m *models.Message, in flows.Input) {
	t.Helper()
	switch in.Kind {
	case flows.InputCommand:
		if !strings.HasPrefix(m.Text, "/") && !(len(m.Entities) > 0 && m.Entities[0].Type == models.MessageEntityTypeBotCommand && m.Entities[0].Offset == 0) {
			t.Fatalf("%q decoded as command %q", m.Text, in.Text)
		}
		if in.Text == "" || len(in.Text) > 32 || in.Text != strings.ToLower(in.Text) || strings.ContainsAny(in.Text, " @") {
			t.Fatalf("%q decoded as command name %q", m.Text, in.Text)
		}
		if strings.TrimSpace(in.Arg) != in.Arg {
			t.Fatalf("command argument not trimmed: %q", in.Arg)
		}
	case flows.InputText:
		if m.Text == "" {
			t.Fatal("a message without text decoded as text")
		}
		checkCleanText(t, "text", in.Text)
		if in.Text != script.Clean(m.Text) {
			t.Fatalf("text %q decoded as %q", m.Text, in.Text)
		}
	default:
		if m.Text != "" {
			t.Fatalf("a text message decoded as %s", in.Kind)
		}
	}
	switch {
	case m.Text != "":
	case m.Voice != nil:
		if in.Kind != flows.InputVoice || in.Attachment == nil || in.Attachment.FileID != m.Voice.FileID {
			t.Fatalf("voice decoded as %s %+v", in.Kind, in.Attachment)
		}
	case m.Audio != nil:
		if in.Kind != flows.InputVoice || in.Attachment == nil || in.Attachment.FileID != m.Audio.FileID {
			t.Fatalf("audio decoded as %s %+v", in.Kind, in.Attachment)
		}
	case len(m.Photo) > 0:
		if in.Kind != flows.InputPhoto || in.Attachment == nil || in.Attachment.FileID != m.Photo[len(m.Photo)-1].FileID {
			t.Fatalf("photo decoded as %s %+v, want the largest size", in.Kind, in.Attachment)
		}
	case m.Location != nil && m.Video == nil && m.VideoNote == nil:
		if in.Kind != flows.InputLocation || in.Location == nil || in.Location.Latitude != m.Location.Latitude || in.Location.Longitude != m.Location.Longitude {
			t.Fatalf("location decoded as %s %+v", in.Kind, in.Location)
		}
	}
	if (in.Kind == flows.InputText || in.Kind == flows.InputCommand) && (in.Attachment != nil || in.Location != nil) {
		t.Fatalf("%s with an attachment or a location", in.Kind)
	}
}

func FuzzDecodeUpdate(f *testing.F) {
	ring := fuzzRing(f)
	f.Add([]byte(`{"update_id":1,"message":{"message_id":1,"date":1700000000,"chat":{"id":5,"type":"private"},"from":{"id":5,"is_bot":false,"first_name":"A"},"text":"/start","entities":[{"type":"bot_command","offset":0,"length":6}]}}`))
	f.Add([]byte(`{"update_id":2,"callback_query":{"id":"q","from":{"id":777000111,"is_bot":false,"first_name":"A"},"message":{"message_id":9,"chat":{"id":777000111,"type":"private"}},"data":"` + signButton(ring, fuzzUser, "send:anon") + `"}}`))
	// A press on a message too old to read, and one whose message names
	// no chat: intake and decode must still choose the same chat.
	f.Add([]byte(`{"update_id":3,"callback_query":{"id":"q","from":{"id":777000111},"message":{"message_id":9,"date":0,"chat":{"id":777000111,"type":"private"}},"data":"x"}}`))
	f.Add([]byte(`{"update_id":4,"callback_query":{"id":"q","from":{"id":777000111},"message":{"message_id":9,"date":1700000000,"chat":{"type":"private"}},"data":"x"}}`))
	f.Add([]byte(`{"update_id":5,"edited_message":{"message_id":1,"date":1700000000,"chat":{"id":6,"type":"private"},"from":{"id":6},"text":"x"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var u models.Update
		if err := json.Unmarshal(data, &u); err == nil {
			in, ok := decode(&u, ring, fuzzNow)
			checkDecoded(t, ring, &u, in, ok)
			// The inbox orders updates by the chat intake reads from
			// the same bytes: it must be the chat decode serves.
			served := u.Message != nil || u.EditedMessage != nil || u.CallbackQuery != nil
			if raw, read := readUpdate(data); served && read && raw.chat() != in.chatID {
				t.Fatalf("intake's chat = %d, decode's chat = %d", raw.chat(), in.chatID)
			}

			// The same press by anyone else (a forwarded button) is forged.
			if q := u.CallbackQuery; q != nil && q.From.ID != 0 {
				q2 := *q
				q2.From.ID = q.From.ID ^ 1
				in, _ := decode(&models.Update{ID: u.ID, CallbackQuery: &q2}, ring, fuzzNow)
				if in.input.Kind == flows.InputButton {
					if _, signed := signedFor(ring, q2.From.ID, q2.Data); !signed {
						t.Fatalf("data %q signed for %d accepted from %d", q.Data, q.From.ID, q2.From.ID)
					}
				}
			}
		}

		// The raw bytes, which JSON would have made valid UTF-8, as text,
		// as an edit and as button data.
		chat := models.Chat{ID: fuzzUser, Type: models.ChatTypePrivate}
		from := &models.User{ID: fuzzUser}
		for _, u := range []*models.Update{
			{ID: 1, Message: &models.Message{ID: 1, Chat: chat, From: from, Text: string(data)}},
			{ID: 2, EditedMessage: &models.Message{ID: 1, Chat: chat, From: from, Text: string(data)}},
			{ID: 3, CallbackQuery: &models.CallbackQuery{ID: "q", From: *from, Data: string(data),
				Message: models.MaybeInaccessibleMessage{Message: &models.Message{ID: 1, Chat: chat}}}},
		} {
			in, ok := decode(u, ring, fuzzNow)
			if !ok {
				t.Fatalf("a private update from %d not served: %+v", fuzzUser, in)
			}
			checkDecoded(t, ring, u, in, ok)
		}
	})
}

func FuzzButtonToken(f *testing.F) {
	b := newFuzzBot(f, &fuzzStore{Store: memory.New(nil)}, fuzzSecret)
	ring := b.ring
	f.Add("send:anon", int64(42), int64(43), byte('A'))
	f.Fuzz(func(t *testing.T, action string, user, other int64, tamper byte) {
		// Arbitrary data: never panics, and what verifies is what we sign.
		if got, err := verifyButton(ring, user, action); err == nil {
			if a, signed := signedFor(ring, user, action); !signed || a != got {
				t.Fatalf("unsigned data %q verified as %q for %d", action, got, user)
			}
		}
		if got, ok := b.verifyReviewer(user, action); ok {
			t.Fatalf("arbitrary data %q verified as reviewer action %q for %d", action, got, user)
		}
		if len(action)+13+9 > maxButtonData || strings.Contains(action, buttonSep) {
			return // signing it panics, by design: actions are our constants
		}

		rep := signButton(ring, user, action)
		rev := b.signReviewer(user, action)
		for _, tok := range []string{rep, rev} {
			if len(tok) > maxButtonData || !utf8.ValidString(tok) && utf8.ValidString(action) {
				t.Fatalf("token %q: %d bytes, over Telegram's %d, or not UTF-8", tok, len(tok), maxButtonData)
			}
		}
		if rep == rev {
			t.Fatalf("reporter and reviewer tokens are the same: %q", rep)
		}

		// Round trip, for the same user only.
		got, err := verifyButton(ring, user, rep)
		switch {
		case action == "":
			// "~MAC" is refused: an action is never empty.
			if err == nil {
				t.Fatalf("empty action verified as %q", got)
			}
		case err != nil || got != action:
			t.Fatalf("verifyButton(signButton(%q)) = %q, %v", action, got, err)
		}
		if got, ok := b.verifyReviewer(user, rev); action != "" && (!ok || got != action) {
			t.Fatalf("verifyReviewer(signReviewer(%q)) = %q, %v", action, got, ok)
		}
		if other != user {
			if got, err := verifyButton(ring, other, rep); err == nil {
				t.Fatalf("%q signed for %d verified for %d as %q", rep, user, other, got)
			}
			if got, ok := b.verifyReviewer(other, rev); ok {
				t.Fatalf("reviewer %q signed for %d verified for %d as %q", rev, user, other, got)
			}
		}

		// Neither side accepts the other's token.
		if got, ok := b.verifyReviewer(user, rep); ok {
			t.Fatalf("reporter token %q verified as reviewer action %q", rep, got)
		}
		if got, err := verifyButton(ring, user, rev); err == nil {
			t.Fatalf("reviewer token %q verified as reporter action %q", rev, got)
		}

		// Any change to a token breaks it: a byte replaced, a byte inserted,
		// a cut.
		for _, tok := range []struct {
			data     string
			reviewer bool
		}{{rep, false}, {rev, true}} {
			verifies := func(d string) bool {
				if tok.reviewer {
					_, ok := b.verifyReviewer(user, d)
					return ok
				}
				_, err := verifyButton(ring, user, d)
				return err == nil
			}
			changed := func(how, d string) {
				if d != tok.data && verifies(d) {
					t.Fatalf("token %q %s as %q still verifies", tok.data, how, d)
				}
			}
			for i := 0; i < len(tok.data); i++ {
				changed("with a byte replaced", tok.data[:i]+string([]byte{tamper})+tok.data[i+1:])
				changed("with a bit flipped", tok.data[:i]+string([]byte{tok.data[i] ^ (1 << (tamper % 8))})+tok.data[i+1:])
				changed("cut", tok.data[:i])
			}
			for i := 0; i <= len(tok.data); i++ {
				changed("with a byte inserted", tok.data[:i]+string([]byte{tamper})+tok.data[i:])
			}
		}
	})
}

// webhookTexts are the only bodies the webhook answers with.
var webhookTexts = map[int]string{
	http.StatusOK:                    "",
	http.StatusBadRequest:            "bad request\n",
	http.StatusForbidden:             "forbidden\n",
	http.StatusMethodNotAllowed:      "method not allowed\n",
	http.StatusServiceUnavailable:    "unavailable\n",
	http.StatusRequestEntityTooLarge: "request too large\n",
}

// readSpy records whether the handler read the request body.
type readSpy struct {
	r    io.Reader
	read bool
}

func (s *readSpy) Read(p []byte) (int, error) {
	s.read = true
	return s.r.Read(p)
}

func (s *readSpy) Close() error { return nil }

func serveWebhook(t *testing.T, b *Bot, secretHeader, method string, body []byte, setSecret bool) (*httptest.ResponseRecorder, *readSpy) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/telegram/webhook", nil)
	req.Method = method // any string at all, as a proxy might pass it
	spy := &readSpy{r: bytes.NewReader(body)}
	req.Body = spy
	req.ContentLength = int64(len(body))
	if setSecret {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secretHeader)
	}
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	b.WebhookHandler().ServeHTTP(w, req)
	return w, spy
}

func FuzzWebhook(f *testing.F) {
	store := &fuzzStore{Store: memory.New(nil)}
	b := newFuzzBot(f, store, fuzzSecret)
	f.Add(fuzzSecret, "POST", []byte(`{"update_id":10,"message":{"message_id":1,"date":1700000000,"chat":{"id":5,"type":"private"},"from":{"id":5,"is_bot":false,"first_name":"A"},"text":"hello"}}`))
	f.Fuzz(func(t *testing.T, secretHeader, method string, body []byte) {
		var u models.Update
		var raw rawUpdate
		isUpdate := len(body) <= maxWebhookBody && json.Unmarshal(body, &raw) == nil && raw.ID > 0
		_ = json.Unmarshal(body, &u)

		// Each input is sent without the header, with the fuzzed header, and
		// with the fuzzed header while the inbox is down.
		for _, run := range []struct {
			setSecret, storeDown bool
		}{{false, false}, {true, false}, {true, true}} {
			store.Store = memory.New(nil)
			store.failInbox = run.storeDown
			w, spy := serveWebhook(t, b, secretHeader, method, body, run.setSecret)
			status, got := w.Code, w.Body.String()

			text, known := webhookTexts[status]
			if !known {
				t.Fatalf("status %d (body %q)", status, got)
			}
			// Fixed texts only: the request body is never echoed.
			if got != text {
				t.Fatalf("status %d answered %q, want %q", status, got, text)
			}
			for k, vs := range w.Header() {
				for _, v := range vs {
					if len(body) >= 8 && strings.Contains(v, string(body)) {
						t.Fatalf("header %s echoes the request body: %q", k, v)
					}
				}
			}

			pending, err := store.Peek().InboxPending(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			rightSecret := run.setSecret && secretHeader == fuzzSecret
			switch {
			case method != http.MethodPost:
				if status != http.StatusMethodNotAllowed || w.Header().Get("Allow") != http.MethodPost {
					t.Fatalf("method %q: status %d, Allow %q", method, status, w.Header().Get("Allow"))
				}
			case !rightSecret:
				if status != http.StatusForbidden {
					t.Fatalf("secret %q (sent %v): status %d, want 403", secretHeader, run.setSecret, status)
				}
			case !isUpdate:
				if status != http.StatusBadRequest && status != http.StatusRequestEntityTooLarge {
					t.Fatalf("a body that is no update: status %d", status)
				}
			case run.storeDown:
				if status != http.StatusServiceUnavailable {
					t.Fatalf("inbox down: status %d, want 503", status)
				}
			default:
				if status != http.StatusOK {
					t.Fatalf("update %d: status %d, want 200", u.ID, status)
				}
			}
			if (status == http.StatusMethodNotAllowed || status == http.StatusForbidden) && spy.read {
				t.Fatalf("status %d, but the body was read first", status)
			}

			if status != http.StatusOK {
				if pending != 0 {
					t.Fatalf("status %d, but %d updates in the inbox", status, pending)
				}
				continue
			}
			// 200: exactly this update, committed.
			if !isUpdate || pending != 1 {
				t.Fatalf("200 for update %v with %d in the inbox", isUpdate, pending)
			}
			item, ok, err := claimStored(t, b, store, "fuzz")
			if err != nil || !ok {
				t.Fatalf("claim: %v, %v", ok, err)
			}
			// As received, less the names (stripIdentity).
			want, err := stripIdentity(body)
			if err != nil {
				t.Fatalf("200 for a body that does not strip: %v", err)
			}
			if item.UpdateID != raw.ID || !bytes.Equal(item.Payload, want) || item.ChatKey != b.ring.ChatKey(raw.chat()) {
				t.Fatalf("stored %d %q under %q, want %d %q", item.UpdateID, item.Payload, item.ChatKey, u.ID, want)
			}
			if bytes.Contains(item.Payload, []byte(`"first_name"`)) {
				t.Fatalf("stored with a name: %q", item.Payload)
			}
		}
	})
}

// TestWebhookBodyLimit: a body over 1 MiB is refused and not stored, even
// a valid update padded out.
func TestWebhookBodyLimit(t *testing.T) {
	store := &fuzzStore{Store: memory.New(nil)}
	b := newFuzzBot(t, store, fuzzSecret)
	upd := `{"update_id":7,"message":{"message_id":1,"date":1700000000,"chat":{"id":5,"type":"private"},"text":"x"}}`
	for _, n := range []int{maxWebhookBody, maxWebhookBody + 1} {
		body := []byte(upd + strings.Repeat(" ", n-len(upd)))
		w, _ := serveWebhook(t, b, fuzzSecret, http.MethodPost, body, true)
		pending, _ := store.Peek().InboxPending(context.Background())
		switch {
		case n <= maxWebhookBody && (w.Code != http.StatusOK || pending != 1):
			t.Errorf("%d bytes: status %d, %d stored; want 200, 1", n, w.Code, pending)
		case n > maxWebhookBody && (w.Code != http.StatusBadRequest && w.Code != http.StatusRequestEntityTooLarge || pending != 0):
			t.Errorf("%d bytes: status %d, %d stored; want 400 or 413, none", n, w.Code, pending)
		}
		store.Store = memory.New(nil)
	}
}
