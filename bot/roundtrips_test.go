package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/memory"
)

// tripSessions is the memory twin of the sessions, counting each call
// that reads and each that writes: against Redis, each is a round trip.
type tripSessions struct {
	*memory.Sessions
	reads, writes int
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
	sessions := &tripSessions{Sessions: memory.NewSessions(time.Hour, nil)}
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
