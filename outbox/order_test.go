package outbox

import (
	"strconv"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/memory"
)

// TestSentInQueueOrder: when the bot's bucket is what holds sends back,
// the dispatcher's turns at it follow the outbox claim's order across
// everything ready, whichever way it came: an urgent notification queued
// last first, then replies oldest first, those waiting in the outbox
// before the ones a later commit handed over, however far ahead the
// turns reach within the claims' lease. Each entry is sent at its
// turn (dispatchOne waits for it), so the turns are the sending order.
// The throttle's clock stands still: no timer decides anything here.
func TestSentInQueueOrder(t *testing.T) {
	ctx := t.Context()
	mem := memory.New(nil)
	s := newTestSender(t, mem, nil)
	// Four a second: the ten turns reach 2.5 s ahead, beyond a second,
	// and each is still taken in its place (ahead).
	s.cfg.Pacing = Pacing{Global: 4, GlobalBurst: 1, PerChat: 1, ChatBurst: 3}
	frozen := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.throttle = memory.NewThrottle(func() time.Time { return frozen })
	s.cfg.Idle = time.Hour // only a wake reads the outbox

	chatKey := func(id int64) string { return "chat-" + strconv.FormatInt(id, 10) }
	reply := func(i int, lane tipline.Lane) []storage.OutboxEntry {
		b := NewBatch("u:"+strconv.Itoa(i), chatKey)
		b.Text(int64(100+i), lane, "hello", nil, false)
		return b.Entries
	}
	var want []string // chat keys in queue order
	// Three reporters' answers wait in the outbox (queued by another
	// process, or given back after a wait).
	var older []storage.OutboxEntry
	for i := range 3 {
		older = append(older, reply(i, tipline.LaneReply)...)
		want = append(want, chatKey(int64(100+i)))
	}
	if err := mem.OutboxAdd(ctx, older); err != nil {
		t.Fatal(err)
	}
	// Six later reporters' answers are claimed by the commit that queued
	// them and handed to the dispatcher.
	var (
		items []storage.InboxItem
		done  []storage.Completion
	)
	for i := 3; i < 9; i++ {
		id := int64(i + 1)
		items = append(items, storage.InboxItem{UpdateID: id, ChatKey: chatKey(int64(100 + i)), Payload: []byte(`{}`)})
		done = append(done, storage.Completion{UpdateID: id, Entries: reply(i, tipline.LaneReply)})
		want = append(want, chatKey(int64(100+i)))
	}
	if _, err := mem.InboxAdd(ctx, items); err != nil {
		t.Fatal(err)
	}
	if got, err := mem.InboxClaimBatch(ctx, "test", time.Minute, len(items)); err != nil || len(got) != len(items) {
		t.Fatalf("claimed %d updates, %v", len(got), err)
	}
	completed, err := mem.InboxCompleteHand(ctx, "test", time.Minute, done)
	handed := completed.Handed
	if err != nil || len(handed) != len(done) {
		t.Fatalf("handed %d, %v; want %d", len(handed), err, len(done))
	}
	s.Hand(handed, handed)
	// Last, a reviewer's urgent notification, queued by routing.
	urgent := reply(9, tipline.LaneUrgent)
	if err := mem.OutboxAdd(ctx, urgent); err != nil {
		t.Fatal(err)
	}
	s.WakeFor(urgent)
	want = append([]string{chatKey(109)}, want...)

	// The dispatcher's loop, without its goroutines: claim as many as a
	// few free hands take, reserve their turns in one call, again.
	var got []string
	last := time.Duration(-1)
	for range 20 {
		es, err := s.claim(ctx, 4, tipline.LaneUrgent, tipline.LaneBulk)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) == 0 {
			break
		}
		s.reserve(ctx, es)
		for _, e := range es {
			tk, ok := s.reservation(e.ID)
			if !ok || tk.Wait > 0 {
				t.Fatalf("entry of %s: reserved %v, %+v; want its turn taken", e.ChatKey, ok, tk)
			}
			if tk.Due <= last {
				t.Errorf("entry of %s is due at %v, not after the one before it (%v)", e.ChatKey, tk.Due, last)
			}
			last = tk.Due
			got = append(got, e.ChatKey)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("sent %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("sending order %v, want %v", got, want)
		}
	}
}
