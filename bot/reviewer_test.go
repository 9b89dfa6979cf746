package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/review"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/memory"
)

// countingSessions is the memory twin of the sessions, counting its round
// trips and failing the next save when told to.
type countingSessions struct {
	*memory.Sessions
	loads, saves, deletes int
	// failKey's next save fails.
	failKey string
}

func (s *countingSessions) Load(ctx context.Context, chatKey string) ([]byte, error) {
	s.loads++
	return s.Sessions.Load(ctx, chatKey)
}

func (s *countingSessions) LoadMany(ctx context.Context, chatKeys []string) ([][]byte, []error, error) {
	s.loads++
	return s.Sessions.LoadMany(ctx, chatKeys)
}

func (s *countingSessions) Save(ctx context.Context, chatKey string, data []byte) error {
	s.saves++
	if chatKey == s.failKey {
		s.failKey = ""
		return errors.New("redis: gone")
	}
	return s.Sessions.Save(ctx, chatKey, data)
}

func (s *countingSessions) Delete(ctx context.Context, chatKey string) error {
	s.deletes++
	return s.Sessions.Delete(ctx, chatKey)
}

func (s *countingSessions) reset() { s.loads, s.saves, s.deletes = 0, 0, 0 }

// reviewerDesk is a bot on memory storage with one reviewer (Telegram id
// 11) and one received case, notified to them.
type reviewerDesk struct {
	b        *Bot
	store    *memory.Store
	sessions *countingSessions
	ref      tipline.Reference
	next     int64 // the next update id
}

func newReviewerDesk(t *testing.T) *reviewerDesk {
	t.Helper()
	ctx := t.Context()
	d := &reviewerDesk{store: memory.New(nil), sessions: &countingSessions{Sessions: memory.NewSessions(time.Hour, nil)}, ref: "TL-7K3Q-9XDM", next: 100}
	cfg := testConfig()
	cfg.Now = func() time.Time { return fuzzNow }
	b, err := New(cfg, Parts{
		Store: d.store, Sessions: d.sessions, Limiter: memory.NewLimiter(nil),
		Throttle: memory.NewThrottle(nil), FallbackThrottle: memory.NewThrottle(nil), Ring: keys.NewRandomRing(), Catalog: locales.MustLoad(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	d.b = b
	code := tipline.InviteHash("invite-11")
	if err := d.store.CreateInvite(ctx, code, "Dara", false, fuzzNow.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	rv, err := d.store.RedeemInvite(ctx, code, 11, "en", fuzzNow)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.store.SubmitCase(ctx, tipline.NewCase{
		DraftID: "d1", Reference: d.ref, Kind: tipline.KindTip, Urgency: tipline.UrgencyUrgent, Lang: "en",
		Reporter: "pseudo", Answers: tipline.Answers{"what": "a child at the market"}, SubmittedAt: fuzzNow,
	}); err != nil {
		t.Fatal(err)
	}
	if err := d.store.AddNotification(ctx, d.ref, tipline.Notification{ReviewerID: rv.ID, ChatID: 11, OutboxKey: "n1"}); err != nil {
		t.Fatal(err)
	}
	return d
}

// press stores and claims the reviewer's press of a case button.
func (d *reviewerDesk) press(t *testing.T, act review.Action) storage.InboxItem {
	t.Helper()
	c, err := d.store.Case(t.Context(), d.ref)
	if err != nil {
		t.Fatal(err)
	}
	data := d.b.signCase(11, review.On(act, d.ref).String(), review.Version(c))
	d.next++
	raw := fmt.Sprintf(`{"update_id":%d,"callback_query":{"id":"cb%d","from":{"id":11,"is_bot":false,"first_name":"D"},"chat_instance":"x","data":%q,
		"message":{"message_id":5,"date":1,"chat":{"id":11,"type":"private"}}}}`, d.next, d.next, data)
	item, err := d.b.inboxItem(json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.store.InboxAdd(t.Context(), []storage.InboxItem{item}); err != nil {
		t.Fatal(err)
	}
	got, err := d.store.InboxClaimBatch(t.Context(), d.b.owner, time.Minute, 10)
	if err != nil || len(got) != 1 {
		t.Fatalf("claimed %d, %v; want the press", len(got), err)
	}
	return got[0]
}

// TestTakeTouchesReviewerStateOnce: "I take it" reads the reviewer's state
// in one round trip, keeps what it queued before the commit in one save
// (the state itself is unchanged: not saved), and after the commit
// forgets it in one delete, with no second read.
func TestTakeTouchesReviewerStateOnce(t *testing.T) {
	d := newReviewerDesk(t)
	item := d.press(t, review.Take)
	d.sessions.reset()
	if err := d.b.process(t.Context(), item); err != nil {
		t.Fatal(err)
	}
	if s := d.sessions; s.loads != 1 || s.saves != 1 || s.deletes != 1 {
		t.Errorf("the reviewer's state: %d loads, %d saves, %d deletes; want 1, 1, 1", s.loads, s.saves, s.deletes)
	}
	if c, err := d.store.Case(t.Context(), d.ref); err != nil || c.Assignment.ReviewerID == 0 {
		t.Fatalf("case after the press: %+v, %v; want it taken", c.Assignment, err)
	}
	if _, err := d.sessions.Sessions.Load(t.Context(), reviewerPendingKey(item.ChatKey)); !errors.Is(err, tipline.ErrNotFound) {
		t.Errorf("the press's queued messages are still kept after the commit (%v): they name the chats they go to", err)
	}
}

// TestReviewerUpdateTriedAgain: a press whose state's save failed after
// its queued messages were kept is tried again: it queues the same
// messages, acting once, and its state is saved then.
func TestReviewerUpdateTriedAgain(t *testing.T) {
	ctx := t.Context()
	d := newReviewerDesk(t)
	if err := d.b.process(ctx, d.press(t, review.Take)); err != nil {
		t.Fatal(err)
	}
	item := d.press(t, review.Note) // changes the state: the next words are a note
	var u models.Update
	if err := json.Unmarshal(item.Payload, &u); err != nil {
		t.Fatal(err)
	}
	in, _ := decodeUnverified(&u, fuzzNow)
	first := d.b.newBatch(updateBatchPrefix(item.UpdateID))
	d.sessions.failKey = reviewerSessionKey(item.ChatKey) // the pending is kept, the state's save fails
	if _, err := d.b.reviewerUpdate(ctx, item, &u, in, first); err == nil {
		t.Fatal("the state's save failed, and the update did not say so")
	}
	again := d.b.newBatch(updateBatchPrefix(item.UpdateID))
	if handled, err := d.b.reviewerUpdate(ctx, item, &u, in, again); err != nil || !handled {
		t.Fatalf("tried again: %v, %v", handled, err)
	}
	if len(first.Entries) == 0 || !slices.EqualFunc(first.Entries, again.Entries, func(a, b storage.OutboxEntry) bool { return a.Key == b.Key && string(a.Payload) == string(b.Payload) }) {
		t.Errorf("tried again, it queued %d entries, want the same %d as the first time", len(again.Entries), len(first.Entries))
	}
	st, _, err := d.b.loadReviewer(ctx, item.ChatKey)
	if err != nil || st.Mode != review.ModeNote || st.Case != d.ref {
		t.Errorf("state after the update tried again: %+v, %v; want a note on %s", st.State, err, d.ref)
	}
}
