package outbox

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/memory"
)

// claimCounting is the memory store, counting which entries its claims
// gave out.
type claimCounting struct {
	*memory.Store
	mu      sync.Mutex
	claimed map[string]int // by key
}

func (c *claimCounting) OutboxClaimLanes(ctx context.Context, owner string, lease time.Duration, limit int, first, last tipline.Lane) ([]storage.OutboxEntry, error) {
	es, err := c.Store.OutboxClaimLanes(ctx, owner, lease, limit, first, last)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range es {
		c.claimed[e.Key]++
	}
	return es, err
}

// TestHandedSentWithoutAClaim: entries a commit claimed for this process
// and handed over are sent once each, and recorded, with no claim of
// their own; one handed too long ago (its claim may have lapsed) is given
// back, claimed again like any other, and also sent once.
func TestHandedSentWithoutAClaim(t *testing.T) {
	ctx := t.Context()
	mem := memory.New(nil)
	store := &claimCounting{Store: mem, claimed: map[string]int{}}
	const chats = 3
	var (
		items []storage.InboxItem
		done  []storage.Completion
	)
	for i := range chats {
		id := int64(i + 1)
		key := "chat-" + strconv.Itoa(100+i)
		items = append(items, storage.InboxItem{UpdateID: id, ChatKey: key, Payload: []byte(`{}`)})
		b := NewBatch("u:"+strconv.Itoa(i), func(id int64) string { return "chat-" + strconv.FormatInt(id, 10) })
		b.Text(int64(100+i), tipline.LaneReply, "hello", nil, false)
		done = append(done, storage.Completion{UpdateID: id, Entries: b.Entries})
	}
	if _, err := mem.InboxAdd(ctx, items); err != nil {
		t.Fatal(err)
	}
	if got, err := mem.InboxClaimBatch(ctx, "test", time.Minute, chats); err != nil || len(got) != chats {
		t.Fatalf("claimed %d updates, %v", len(got), err)
	}
	got, err := mem.InboxCompleteHand(ctx, "test", time.Minute, done)
	handed := got.Handed
	if err != nil || len(handed) != chats {
		t.Fatalf("handed %d, %v; want %d", len(handed), err, chats)
	}
	api := &texting{sent: map[int64]int{}, all: make(chan struct{}), want: chats}
	s := newTestSender(t, store, api)
	s.Hand(handed, handed)
	s.handed.mu.Lock()
	s.handed.others.Age(0, time.Now().Add(-time.Hour)) // its dispatcher stood still
	s.handed.mu.Unlock()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	finished := make(chan struct{})
	go func() { s.Run(runCtx); close(finished) }()
	select {
	case <-api.all:
	case <-time.After(10 * time.Second):
		t.Fatalf("sent to %d chats of %d", len(api.sent), chats)
	}
	s.Drain()
	<-finished
	for id, n := range api.sent {
		if n != 1 {
			t.Errorf("chat %d got %d messages, want 1", id, n)
		}
	}
	store.mu.Lock()
	defer store.mu.Unlock()
	for i, e := range handed {
		want := 0
		if i == 0 {
			want = 1 // given back, then claimed
		}
		if n := store.claimed[e.Key]; n != want {
			t.Errorf("entry %d claimed %d times, want %d", i, n, want)
		}
	}
	if pending, err := mem.OutboxPending(ctx); err != nil || pending[tipline.LaneReply] != 0 {
		t.Errorf("pending after sending %v, %v; want none: each recorded sent", pending, err)
	}
}
