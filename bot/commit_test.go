package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/memory"
	"github.com/tipline/tipline/storage/storagetest"
)

// gatedStore is the memory store, whose first single completion waits for
// the test to open a gate (so that the others queue behind it), and which
// records the size of every group and can fail the next group whole.
type gatedStore struct {
	*memory.Store
	gate      chan struct{}
	mu        sync.Mutex
	gated     bool
	groups    []int
	failNext  bool
	panicNext bool
}

func (s *gatedStore) InboxComplete(ctx context.Context, id int64, owner string, es []storage.OutboxEntry) error {
	s.mu.Lock()
	first := !s.gated
	s.gated = true
	s.mu.Unlock()
	if first {
		<-s.gate
	}
	return s.Store.InboxComplete(ctx, id, owner, es)
}

func (s *gatedStore) InboxCompleteHand(ctx context.Context, owner string, lease time.Duration, done []storage.Completion) (storage.Completed, error) {
	s.mu.Lock()
	s.groups = append(s.groups, len(done))
	fail, panics := s.failNext, s.panicNext
	s.failNext, s.panicNext = false, false
	s.mu.Unlock()
	if panics {
		panic("the store panicked")
	}
	if fail {
		return storage.Completed{}, errors.New("the group failed")
	}
	return s.Store.InboxCompleteHand(ctx, owner, lease, done)
}

// claimAll stores updates 1..n, each of a chat of its own, and claims them
// for owner.
func claimAll(t *testing.T, s *memory.Store, owner string, n int) {
	t.Helper()
	var items []storage.InboxItem
	for i := 1; i <= n; i++ {
		items = append(items, storage.InboxItem{UpdateID: int64(i), ChatKey: fmt.Sprint("chat", i), Payload: []byte(`{}`)})
	}
	if _, err := s.InboxAdd(t.Context(), items); err != nil {
		t.Fatal(err)
	}
	got, err := s.InboxClaimBatch(t.Context(), owner, time.Minute, n)
	if err != nil || len(got) != n {
		t.Fatalf("claimed %d, %v; want %d", len(got), err, n)
	}
}

func oneReply(id int64) []storage.OutboxEntry {
	return []storage.OutboxEntry{{Key: fmt.Sprint("u:", id), ChatKey: fmt.Sprint("chat", id), ChatID: id,
		Lane: tipline.LaneReply, Method: "sendMessage", Payload: []byte(`{}`)}}
}

// runGroup completes update 1 (held at the gate), then updates 2..n while
// it waits, opens the gate and returns each update's outcome.
func runGroup(t *testing.T, s *gatedStore, g *committer, n int, entries func(int64) []storage.OutboxEntry) map[int64]error {
	t.Helper()
	return runGroupSaving(t, s, g, n, entries, func(int64) *storage.SessionSave { return nil })
}

// runGroupSaving is runGroup with each update's session to save (nil:
// none).
func runGroupSaving(t *testing.T, s *gatedStore, g *committer, n int, entries func(int64) []storage.OutboxEntry, save func(int64) *storage.SessionSave) map[int64]error {
	t.Helper()
	var mu sync.Mutex
	out := map[int64]error{}
	var wg sync.WaitGroup
	do := func(id int64) {
		err := g.complete(t.Context(), s, "w", storage.Completion{UpdateID: id, Entries: entries(id)}, save(id))
		mu.Lock()
		out[id] = err
		mu.Unlock()
	}
	wg.Go(func() { do(1) })
	for !s.isGated() {
		time.Sleep(time.Millisecond)
	}
	for id := int64(2); id <= int64(n); id++ {
		wg.Go(func() { do(id) })
	}
	for g.queued() < n-1 {
		time.Sleep(time.Millisecond)
	}
	close(s.gate)
	wg.Wait()
	return out
}

func (s *gatedStore) isGated() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gated
}

func (g *committer) queued() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.waiting)
}

// TestCommitterGroups: updates completed while a commit is under way are
// completed together, in one call, each with its own entries; one that is
// no longer held fails alone.
func TestCommitterGroups(t *testing.T) {
	mem := memory.New(nil)
	s := &gatedStore{Store: mem, gate: make(chan struct{})}
	claimAll(t, mem, "w", 6)
	// Update 4 was taken over by another process meanwhile.
	if err := mem.InboxRelease(t.Context(), 4, "w", 0); err != nil {
		t.Fatal(err)
	}
	var g committer
	out := runGroup(t, s, &g, 6, oneReply)
	for id, err := range out {
		if id == 4 {
			if !errors.Is(err, storage.ErrNotHolder) {
				t.Errorf("update 4, not held: %v, want ErrNotHolder", err)
			}
		} else if err != nil {
			t.Errorf("update %d: %v", id, err)
		}
	}
	if len(s.groups) != 1 || s.groups[0] != 5 {
		t.Fatalf("groups committed: %v, want one of 5 after the first update", s.groups)
	}
	pending, err := mem.Peek().InboxPending(t.Context())
	if err != nil || pending != 1 {
		t.Fatalf("pending = %d, %v; want only update 4", pending, err)
	}
	sent, err := storagetest.OutboxClaim(t.Context(), mem, "d", time.Minute, 10)
	if err != nil || len(sent) != 5 {
		t.Fatalf("queued %d entries, %v; want 5 (one per completed update)", len(sent), err)
	}
	if g.busy || len(g.waiting) != 0 {
		t.Fatalf("committer left busy=%v with %d waiting", g.busy, len(g.waiting))
	}
}

// savingSessions is the memory sessions, recording each SaveAll call: how
// many sessions it saved, and how many updates the inbox then still held
// (a session is saved before its update is done). A save for chat3 fails.
type savingSessions struct {
	*memory.Sessions
	inbox   *memory.Store
	calls   []int
	pending []int
}

var errSaveFailed = errors.New("save session: the connection was reset")

func (s *savingSessions) SaveAll(ctx context.Context, saves []storage.SessionSave) []error {
	n, _ := s.inbox.Peek().InboxPending(ctx)
	s.calls, s.pending = append(s.calls, len(saves)), append(s.pending, n)
	errs := s.Sessions.SaveAll(ctx, slices.DeleteFunc(slices.Clone(saves), func(sv storage.SessionSave) bool { return sv.ChatKey == "chat3" }))
	for i, sv := range saves {
		if sv.ChatKey == "chat3" {
			errs = slices.Insert(errs, i, errSaveFailed)
		}
	}
	return errs
}

// TestCommitterSavesSessionsWithGroup: the sessions of a group's steps
// are saved in one round trip, before the group is committed; an update
// whose session could not be saved fails alone and stays in the inbox,
// and the rest are committed.
func TestCommitterSavesSessionsWithGroup(t *testing.T) {
	mem := memory.New(nil)
	s := &gatedStore{Store: mem, gate: make(chan struct{})}
	claimAll(t, mem, "w", 5)
	sessions := &savingSessions{Sessions: memory.NewSessions(time.Hour, nil), inbox: mem}
	g := committer{sessions: sessions}
	out := runGroupSaving(t, s, &g, 5, oneReply, func(id int64) *storage.SessionSave {
		if id == 5 {
			return nil // a step that saves no session
		}
		return &storage.SessionSave{ChatKey: fmt.Sprint("chat", id), Data: fmt.Appendf(nil, `{"update":%d}`, id),
			Marks: []storage.Mark{{Name: fmt.Sprint("draft:chat", id), TTL: time.Hour}}}
	})
	for id, err := range out {
		if id == 3 {
			if !errors.Is(err, errSaveFailed) {
				t.Errorf("update 3, its session not saved: %v, want the save's error", err)
			}
		} else if err != nil {
			t.Errorf("update %d: %v", id, err)
		}
	}
	// Update 1 alone, then 2..5 as one group: one round trip each.
	if !slices.Equal(sessions.calls, []int{1, 3}) {
		t.Fatalf("sessions saved per round trip: %v, want [1 3]", sessions.calls)
	}
	if !slices.Equal(sessions.pending, []int{5, 4}) {
		t.Fatalf("updates not done at each save: %v, want [5 4] (saved before the commit)", sessions.pending)
	}
	if len(s.groups) != 1 || s.groups[0] != 3 {
		t.Fatalf("groups committed: %v, want one of 3 (2, 4, 5) after the first update", s.groups)
	}
	for _, id := range []int{1, 2, 4} {
		data, err := sessions.Load(t.Context(), fmt.Sprint("chat", id))
		if err != nil || string(data) != fmt.Sprintf(`{"update":%d}`, id) {
			t.Errorf("session of chat%d: %q, %v", id, data, err)
		}
		if ok, _ := sessions.Marked(t.Context(), fmt.Sprint("draft:chat", id)); !ok {
			t.Errorf("draft marker of chat%d not written with its session", id)
		}
	}
	pending, err := mem.Peek().InboxPending(t.Context())
	if err != nil || pending != 1 {
		t.Fatalf("pending = %d, %v; want only update 3", pending, err)
	}
}

// TestCommitterGroupFailsAlone: when the group call fails whole, each
// update is tried alone, so the one with a bad entry fails and the others
// are completed.
func TestCommitterGroupFailsAlone(t *testing.T) {
	mem := memory.New(nil)
	s := &gatedStore{Store: mem, gate: make(chan struct{}), failNext: true}
	claimAll(t, mem, "w", 4)
	var g committer
	out := runGroup(t, s, &g, 4, func(id int64) []storage.OutboxEntry {
		es := oneReply(id)
		if id == 3 {
			es[0].Method = "" // refused by the store
		}
		return es
	})
	for id, err := range out {
		if (err != nil) != (id == 3) {
			t.Errorf("update %d: %v; want only update 3 to fail", id, err)
		}
	}
	pending, err := mem.Peek().InboxPending(t.Context())
	if err != nil || pending != 1 {
		t.Fatalf("pending = %d, %v; want only update 3", pending, err)
	}
}

// TestCommitterGroupPanics: a group whose commit panics fails each of its
// updates (to be retried), and the committer takes the next group.
func TestCommitterGroupPanics(t *testing.T) {
	mem := memory.New(nil)
	s := &gatedStore{Store: mem, gate: make(chan struct{}), panicNext: true}
	claimAll(t, mem, "w", 4)
	var g committer
	out := runGroup(t, s, &g, 3, oneReply)
	for id, err := range out {
		if (err == nil) != (id == 1) {
			t.Errorf("update %d: %v; want the group after update 1 to fail", id, err)
		}
	}
	if err := g.complete(t.Context(), s, "w", storage.Completion{UpdateID: 4, Entries: oneReply(4)}, nil); err != nil {
		t.Fatalf("the next update after a panic: %v", err)
	}
	if g.busy {
		t.Fatal("the committer stayed busy after a panic")
	}
}

// readyIn counts the updates waiting with the unit of update id (one still
// to come).
func (g *committer) readyIn(id int64) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if u := g.units[id]; u != nil {
		return len(u.ready)
	}
	return 0
}

// completeInBatch claims updates 1..3 as one batch, completes 1 and 2 from
// workers of their own and waits until both wait for update 3; last then
// ends update 3 (complete or leave). It returns each update's outcome.
func completeInBatch(t *testing.T, s *gatedStore, g *committer, last func()) map[int64]error {
	t.Helper()
	g.claimed([]int64{1, 2, 3})
	var mu sync.Mutex
	out := map[int64]error{}
	var wg sync.WaitGroup
	for _, id := range []int64{1, 2} {
		wg.Go(func() {
			err := g.complete(t.Context(), s, "w", storage.Completion{UpdateID: id, Entries: oneReply(id)}, nil)
			mu.Lock()
			out[id] = err
			mu.Unlock()
		})
	}
	for g.readyIn(3) < 2 {
		time.Sleep(time.Millisecond)
	}
	last()
	wg.Wait()
	if len(g.units) != 0 || g.busy || len(g.waiting) != 0 {
		t.Fatalf("committer left %d units, busy=%v, %d waiting", len(g.units), g.busy, len(g.waiting))
	}
	return out
}

// TestCommitterBatchIsOneUnit: the updates of a claimed batch are
// completed in one transaction, however their workers interleave, and one
// the store refuses (no longer held) fails alone.
func TestCommitterBatchIsOneUnit(t *testing.T) {
	mem := memory.New(nil)
	s := &gatedStore{Store: mem, gated: true}
	claimAll(t, mem, "w", 3)
	if err := mem.InboxRelease(t.Context(), 2, "w", 0); err != nil { // taken over meanwhile
		t.Fatal(err)
	}
	var g committer
	var err3 error
	out := completeInBatch(t, s, &g, func() {
		err3 = g.complete(t.Context(), s, "w", storage.Completion{UpdateID: 3, Entries: oneReply(3)}, nil)
	})
	if out[1] != nil || err3 != nil || !errors.Is(out[2], storage.ErrNotHolder) {
		t.Errorf("outcomes 1: %v, 2: %v, 3: %v; want only 2 to fail, not held", out[1], out[2], err3)
	}
	if len(s.groups) != 1 || s.groups[0] != 3 {
		t.Fatalf("groups committed: %v, want the batch of 3 as one", s.groups)
	}
	if pending, err := mem.Peek().InboxPending(t.Context()); err != nil || pending != 1 {
		t.Fatalf("pending = %d, %v; want only update 2", pending, err)
	}
}

// TestCommitterBatchGoesOnWithoutALeaver: an update that leaves its batch
// (it failed, or its step takes its time) lets the others be completed
// without it; it is completed alone later.
func TestCommitterBatchGoesOnWithoutALeaver(t *testing.T) {
	mem := memory.New(nil)
	s := &gatedStore{Store: mem, gated: true}
	claimAll(t, mem, "w", 3)
	var g committer
	out := completeInBatch(t, s, &g, func() { g.leave(3) })
	if out[1] != nil || out[2] != nil {
		t.Errorf("outcomes 1: %v, 2: %v; want both completed", out[1], out[2])
	}
	if len(s.groups) != 1 || s.groups[0] != 2 {
		t.Fatalf("groups committed: %v, want one of the 2 that stayed", s.groups)
	}
	if err := g.complete(t.Context(), s, "w", storage.Completion{UpdateID: 3, Entries: oneReply(3)}, nil); err != nil {
		t.Fatalf("the update that left, completed alone: %v", err)
	}
	if pending, err := mem.Peek().InboxPending(t.Context()); err != nil || pending != 0 {
		t.Fatalf("pending = %d, %v; want none", pending, err)
	}
}

// TestCommitterQueuesInArrivalOrder: a batch whose workers finish in
// reverse queues its messages in the order its updates arrived, so the
// outbox answers chats first come, first served.
func TestCommitterQueuesInArrivalOrder(t *testing.T) {
	mem := memory.New(nil)
	s := &gatedStore{Store: mem, gated: true}
	claimAll(t, mem, "w", 3)
	var g committer
	g.claimed([]int64{1, 2, 3})
	var wg sync.WaitGroup
	for _, id := range []int64{3, 2} {
		wg.Go(func() {
			if err := g.complete(t.Context(), s, "w", storage.Completion{UpdateID: id, Entries: oneReply(id)}, nil); err != nil {
				t.Errorf("update %d: %v", id, err)
			}
		})
	}
	for g.readyIn(1) < 2 {
		time.Sleep(time.Millisecond)
	}
	if err := g.complete(t.Context(), s, "w", storage.Completion{UpdateID: 1, Entries: oneReply(1)}, nil); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	queued, err := storagetest.OutboxClaim(t.Context(), mem, "d", time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, e := range queued {
		keys = append(keys, e.Key)
	}
	if want := []string{"u:1", "u:2", "u:3"}; !slices.Equal(keys, want) {
		t.Fatalf("queued %q, want %q (the order the updates arrived)", keys, want)
	}
}

// TestCommitterHandsWhatIsReady: with a lease, a commit, of one update
// alone or of a group, claims the messages it queues that are ready to go
// and hands them over before their workers hear the outcome; a message
// behind another of its chat stays queued for a claim.
func TestCommitterHandsWhatIsReady(t *testing.T) {
	mem := memory.New(nil)
	claimAll(t, mem, "w", 3)
	var (
		mu     sync.Mutex
		handed []string
	)
	g := committer{lease: time.Minute, hand: func(es, _ []storage.OutboxEntry) {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range es {
			handed = append(handed, e.Key)
		}
	}}
	twoReplies := func(id int64) []storage.OutboxEntry {
		second := oneReply(id)[0]
		second.Key += ":2"
		return append(oneReply(id), second)
	}
	if err := g.complete(t.Context(), mem, "w", storage.Completion{UpdateID: 1, Entries: twoReplies(1)}, nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if !slices.Equal(handed, []string{"u:1"}) {
		t.Fatalf("a lone update handed %v, want its first message only", handed)
	}
	mu.Unlock()
	g.claimed([]int64{2, 3})
	var wg sync.WaitGroup
	for id := int64(2); id <= 3; id++ {
		wg.Go(func() {
			if err := g.complete(t.Context(), mem, "w", storage.Completion{UpdateID: id, Entries: oneReply(id)}, nil); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(handed, []string{"u:1", "u:2", "u:3"}) {
		t.Fatalf("handed %v, want the batch's messages too", handed)
	}
	left, err := storagetest.OutboxClaim(t.Context(), mem, "d", time.Minute, 10)
	if err != nil || len(left) != 0 {
		t.Fatalf("claimable after the hand-off: %d, %v; want none (u:1:2 waits for u:1)", len(left), err)
	}
}

// TestCommitterFreesTheWorker: a worker's hand is given back as soon as
// its update waits for the commit, before the commit is done, once.
func TestCommitterFreesTheWorker(t *testing.T) {
	mem := memory.New(nil)
	s := &gatedStore{Store: mem, gate: make(chan struct{})}
	claimAll(t, mem, "w", 1)
	var g committer
	freed := make(chan struct{}, 2)
	g.holdHand(1, func() { freed <- struct{}{} })
	done := make(chan error, 1)
	go func() {
		done <- g.complete(t.Context(), s, "w", storage.Completion{UpdateID: 1, Entries: oneReply(1)}, nil)
	}()
	// The commit waits at the gate: the worker must be free all the same.
	select {
	case <-freed:
	case <-done:
		t.Fatal("the commit was done before the gate opened")
	case <-time.After(10 * time.Second):
		t.Fatal("the worker was not freed while its update waited for the commit")
	}
	close(s.gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(freed) != 0 {
		t.Fatal("the worker was freed twice")
	}
}
