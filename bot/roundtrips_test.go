package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/memory"
)

// tripSessions is the memory twin of the sessions and the limiter as one
// part (memory.Shared), counting each call that reads and each that
// writes, and each call to the limiter: against Redis, each is a round
// trip.
type tripSessions struct {
	*memory.Shared
	reads, writes, allows int
}

func (s *tripSessions) ReadBatch(ctx context.Context, r storage.BatchRead) (storage.BatchReads, error) {
	s.reads++
	return s.Shared.ReadBatch(ctx, r)
}

func (s *tripSessions) LoadMany(ctx context.Context, chatKeys []string) ([][]byte, []error, error) {
	s.reads++
	return s.Shared.LoadMany(ctx, chatKeys)
}

func (s *tripSessions) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error) {
	s.allows++
	return s.Shared.Allow(ctx, key, limit, window)
}

func (s *tripSessions) Load(ctx context.Context, chatKey string) ([]byte, error) {
	s.reads++
	return s.Sessions.Load(ctx, chatKey)
}

func (s *tripSessions) Save(ctx context.Context, chatKey string, data []byte) error {
	s.writes++
	return s.Sessions.Save(ctx, chatKey, data)
}

func (s *tripSessions) SaveMarked(ctx context.Context, chatKey string, data []byte, marks ...storage.Mark) error {
	s.writes++
	return s.Sessions.SaveMarked(ctx, chatKey, data, marks...)
}

func (s *tripSessions) SaveAll(ctx context.Context, saves []storage.SessionSave) []error {
	s.writes++
	return s.Sessions.SaveAll(ctx, saves)
}

func (s *tripSessions) Delete(ctx context.Context, chatKey string) error {
	s.writes++
	return s.Sessions.Delete(ctx, chatKey)
}

func (s *tripSessions) Mark(ctx context.Context, name string, ttl time.Duration) error {
	s.writes++
	return s.Sessions.Mark(ctx, name, ttl)
}

func (s *tripSessions) Marked(ctx context.Context, name string) (bool, error) {
	s.reads++
	return s.Sessions.Marked(ctx, name)
}

func (s *tripSessions) Unmark(ctx context.Context, name string) error {
	s.writes++
	return s.Sessions.Unmark(ctx, name)
}

func (s *tripSessions) MarkWith(ctx context.Context, name, value string, ttl time.Duration) error {
	s.writes++
	return s.Sessions.MarkWith(ctx, name, value, ttl)
}

func (s *tripSessions) MarkValues(ctx context.Context, names ...string) ([]string, error) {
	s.reads++
	return s.Sessions.MarkValues(ctx, names...)
}

func (s *tripSessions) MarkValue(ctx context.Context, name string) (string, error) {
	s.reads++
	return s.Sessions.MarkValue(ctx, name)
}

// TestLanguageChoiceIsOneWrite: /start reads the chat's draft marker and
// the reporter's language and listening in one round trip; pressing a language on the picker writes
// the session, its draft marker and the reporter's language in one round
// trip; the language is kept (for the paths that
// have no session).
// tripBot is a bot on memory storage whose sessions count their round
// trips, and a step that stores, claims and processes one raw update.
func tripBot(t *testing.T) (*Bot, *tripSessions, func(raw string)) {
	t.Helper()
	ctx := t.Context()
	store := memory.New(nil)
	sessions := &tripSessions{Shared: memory.NewShared(time.Hour, nil)}
	b, err := New(testConfig(), Parts{
		Store: store, Sessions: sessions, Limiter: memory.NewLimiter(nil),
		Throttle: memory.NewThrottle(nil), FallbackThrottle: memory.NewThrottle(nil), Ring: keys.NewRandomRing(), Catalog: locales.MustLoad(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	step := func(raw string) {
		t.Helper()
		item, err := b.inboxItem(json.RawMessage(raw))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.InboxAdd(ctx, []storage.InboxItem{item}); err != nil {
			t.Fatal(err)
		}
		got, err := store.InboxClaimBatch(ctx, b.owner, time.Minute, 10)
		if err != nil || len(got) != 1 {
			t.Fatalf("claimed %d, %v; want the update", len(got), err)
		}
		if err := b.process(ctx, got[0]); err != nil {
			t.Fatal(err)
		}
	}
	return b, sessions, step
}

func TestLanguageChoiceIsOneWrite(t *testing.T) {
	ctx := t.Context()
	b, sessions, step := tripBot(t)
	sessions.reads, sessions.writes = 0, 0
	step(`{"update_id":1,"message":{"message_id":1,"date":1700000000,"chat":{"id":77,"type":"private"},"from":{"id":77,"language_code":"en"},"text":"/start"}}`)
	// The session; then, together, the chat's draft marker (did a report
	// expire?) and the reporter's language and listening.
	if sessions.reads != 2 || sessions.writes != 1 {
		t.Errorf("/start read in %d round trips and wrote in %d, want 2 and 1", sessions.reads, sessions.writes)
	}
	sessions.reads, sessions.writes = 0, 0
	step(fmt.Sprintf(`{"update_id":2,"callback_query":{"id":"cb2","from":{"id":77,"is_bot":false,"first_name":"A"},"chat_instance":"x","data":%q,
		"message":{"message_id":2,"date":1700000001,"chat":{"id":77,"type":"private"}}}}`, signButton(b.ring, 77, "lang:km")))
	if sessions.reads != 2 || sessions.writes != 1 {
		t.Errorf("choosing a language read in %d round trips and wrote in %d, want 2 and 1", sessions.reads, sessions.writes)
	}
	if l := b.reporterLanguage(ctx, 77); l != "km" {
		t.Errorf("language kept: %q, want km", l)
	}
}

// TestExpiredDraftExplained: a chat whose session expired while it held a
// draft has it noticed by the next message, whose markers are read in one
// round trip with the reporter's: the draft marker is then removed, once
// (so the reporter is told once), beside the step's save.
func TestExpiredDraftExplained(t *testing.T) {
	ctx := t.Context()
	b, sessions, step := tripBot(t)
	text := func(id int, words string) string {
		return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":1700000000,"chat":{"id":77,"type":"private"},"from":{"id":77,"language_code":"en"},"text":%q}}`, id, id, words)
	}
	step(text(1, "/start"))
	item, err := b.inboxItem(json.RawMessage(text(2, "x")))
	if err != nil {
		t.Fatal(err)
	}
	chat := item.ChatKey
	if err := b.saveSession(ctx, chat, chatState{LastUpdateID: 1, Flow: flows.Session{Lang: "en", State: flows.StateMenu, Draft: &flows.Draft{}}}); err != nil {
		t.Fatal(err)
	}
	if err := sessions.Sessions.Delete(ctx, chat); err != nil { // expired
		t.Fatal(err)
	}
	sessions.reads, sessions.writes = 0, 0
	step(text(2, "hello"))
	if sessions.reads != 2 {
		t.Errorf("the message after the expiry read in %d round trips, want 2 (the session, then the markers)", sessions.reads)
	}
	if sessions.writes != 2 {
		t.Errorf("the message after the expiry wrote in %d round trips, want 2 (the expired marker removed, the save)", sessions.writes)
	}
	if on, err := sessions.Marked(ctx, draftMarker(chat)); err != nil || on {
		t.Errorf("draft marker after it was noticed: %v, %v; want removed", on, err)
	}
	if err := sessions.Sessions.Delete(ctx, chat); err != nil { // lost again, with no draft this time
		t.Fatal(err)
	}
	sessions.reads, sessions.writes = 0, 0
	step(text(3, "hello again"))
	if sessions.writes != 1 {
		t.Errorf("a lost session with no draft wrote in %d round trips, want 1 (the save alone)", sessions.writes)
	}
}

// TestBatchIsOneRoundTripPerAnswer: a claimed batch of N reporters' texts
// in the middle of their conversations reads their sessions and markers
// and counts their messages in one round trip; each then makes one of its
// own, the save: N+1 in all, not 3N+1. The limiter counts as before:
// messages coming in batches, a reporter's (limit+1)-th within a minute is
// refused, and counted with its batch too.
func TestBatchIsOneRoundTripPerAnswer(t *testing.T) {
	// A batch of one is read in one round trip too: two in all.
	const limit = 3
	for _, n := range []int{1, 4} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			ctx := t.Context()
			cfg := testConfig()
			cfg.MessagesPerMinute = limit
			store := memory.New(nil)
			sessions := &tripSessions{Shared: memory.NewShared(time.Hour, nil)}
			b, err := New(cfg, Parts{
				Store: store, Sessions: sessions, Limiter: sessions, // one part, as serve gives it
				Throttle: memory.NewThrottle(nil), FallbackThrottle: memory.NewThrottle(nil), Ring: keys.NewRandomRing(), Catalog: locales.MustLoad(),
				Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			})
			if err != nil {
				t.Fatal(err)
			}
			text := func(user int64, id int) storage.InboxItem {
				t.Helper()
				item, err := b.inboxItem(json.RawMessage(fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":1700000000,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"language_code":"en"},"text":"a car hit a boy"}}`, id, id, user, user)))
				if err != nil {
					t.Fatal(err)
				}
				return item
			}
			// Each reporter mid-conversation: a session in a language, on the menu.
			for u := range int64(n) {
				st := chatState{LastUpdateID: 1, Flow: flows.Session{Lang: "en", State: flows.StateMenu}}
				if err := b.saveSession(ctx, text(100+u, 1).ChatKey, st); err != nil {
					t.Fatal(err)
				}
			}
			// round stores one text from each reporter, claims them as one batch
			// and processes it as the workers do, giving the chats' last update.
			round := func(r int) map[string]int64 {
				t.Helper()
				var items []storage.InboxItem
				for u := range int64(n) {
					items = append(items, text(100+u, 10*r+int(u)+2))
				}
				if _, err := store.InboxAdd(ctx, items); err != nil {
					t.Fatal(err)
				}
				got, err := store.InboxClaimBatch(ctx, b.owner, time.Minute, 2*n)
				if err != nil || len(got) != n {
					t.Fatalf("claimed %d, %v; want the %d texts", len(got), err, n)
				}
				b.prefetchBatch(ctx, got)
				for _, it := range got {
					if err := b.process(ctx, it); err != nil {
						t.Fatal(err)
					}
					b.dropPrefetched(it)
				}
				last := map[string]int64{}
				for _, it := range got {
					var st chatState
					data, err := sessions.Sessions.Load(ctx, it.ChatKey) // not counted
					if err != nil || json.Unmarshal(data, &st) != nil {
						t.Fatalf("session after the batch: %v", err)
					}
					last[it.ChatKey] = st.LastUpdateID
				}
				return last
			}
			var prev map[string]int64
			for r := range limit {
				sessions.reads, sessions.writes, sessions.allows = 0, 0, 0
				prev = round(r)
				if trips := sessions.reads + sessions.writes + sessions.allows; trips != n+1 {
					t.Errorf("round %d: a batch of %d texts made %d round trips (%d reads, %d writes, %d limiter calls), want %d: one batch read and the saves",
						r+1, n, trips, sessions.reads, sessions.writes, sessions.allows, n+1)
				}
				for chat, id := range prev {
					if id < int64(10*r+2) {
						t.Fatalf("round %d: chat %s's last update %d; want this round's text applied (within the limit)", r+1, chat, id)
					}
				}
			}
			sessions.allows = 0
			for chat, id := range round(limit) {
				if id != prev[chat] {
					t.Errorf("chat %s applied update %d, its text number %d within a minute; want it refused (limit %d)", chat, id, limit+1, limit)
				}
			}
			// Refused as counted with the batch; the limiter called alone only to
			// tell the reporter once a minute (messages-told).
			if sessions.allows != n {
				t.Errorf("the refused batches called the limiter alone %d times, want %d (once per reporter, to tell them)", sessions.allows, n)
			}
		})
	}
}

// TestMayRedeemInvite: a message that might redeem an invite is not
// counted with its batch (the reviewer's side may take it before the
// guard): whatever inviteCode finds, mayRedeemInvite says yes to.
func TestMayRedeemInvite(t *testing.T) {
	code := tipline.NewInviteCode()
	for _, text := range []string{code, "/start " + code, " " + strings.ToLower(code) + " ", "/start@tiplinebot " + code, "TLR\u200b-" + code[4:]} {
		raw := fmt.Sprintf(`{"update_id":1,"message":{"message_id":1,"date":1700000000,"chat":{"id":5,"type":"private"},"from":{"id":5},"text":%q}}`, text)
		u, _ := readUpdate([]byte(raw))
		var full models.Update
		if err := json.Unmarshal([]byte(raw), &full); err != nil {
			t.Fatal(err)
		}
		in, _ := decodeUnverified(&full, time.Now())
		if _, ok := inviteCode(in); ok && !u.mayRedeemInvite() {
			t.Errorf("%q: inviteCode finds an invite, mayRedeemInvite says no", text)
		}
	}
	if u, _ := readUpdate([]byte(`{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":5,"type":"private"},"from":{"id":5},"text":"a car hit a boy"}}`)); u.mayRedeemInvite() {
		t.Error("an ordinary text might redeem an invite, it says")
	}
}
