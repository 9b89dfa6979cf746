package bot

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/tipline/tipline/storage"
)

// intaken keeps the updates intake claimed for this process as it stored
// them (InboxAddClaim), until a worker takes them instead of claiming.
type intaken struct {
	mu      sync.Mutex
	items   []intakenItem
	storing int        // stores under way that may claim
	closed  bool       // the workers stopped: intake claims no more
	stored  *sync.Cond // a store under way ended (on mu)
}

type intakenItem struct {
	it storage.InboxItem
	at time.Time // when it was stored: its claim began a little before
}

// beginIntake is said before a store: it returns how many updates the
// store may claim for the workers (as many as there are workers, less
// those still waiting for one; none once the workers stopped), and end,
// to be called after the store with what it claimed (nothing when it
// failed), which gives those to the workers.
func (b *Bot) beginIntake() (room int, end func([]storage.InboxItem)) {
	b.intaken.mu.Lock()
	defer b.intaken.mu.Unlock()
	if b.intaken.closed {
		return 0, func([]storage.InboxItem) {}
	}
	b.intaken.storing++
	return max(0, b.cfg.Workers-len(b.intaken.items)), b.endIntake
}

// endIntake ends a store begun with beginIntake.
func (b *Bot) endIntake(items []storage.InboxItem) {
	now := time.Now()
	b.intaken.mu.Lock()
	defer b.intaken.mu.Unlock()
	for _, it := range items {
		b.intaken.items = append(b.intaken.items, intakenItem{it, now})
	}
	b.intaken.storing--
	if b.intaken.stored != nil {
		b.intaken.stored.Broadcast()
	}
}

// closeIntake says the workers stopped: it waits for the stores under way
// (a few seconds at most: a webhook's store may hang on a database that
// is down; what it claims is then freed when the process leaves) and
// returns every update claimed for the workers, to be finished as the
// updates in hand are. Intake claims nothing after it.
func (b *Bot) closeIntake() []storage.InboxItem {
	b.intaken.mu.Lock()
	defer b.intaken.mu.Unlock()
	b.intaken.closed = true
	if b.intaken.stored == nil {
		b.intaken.stored = sync.NewCond(&b.intaken.mu)
	}
	waited := false
	t := time.AfterFunc(closeIntakeWait, func() {
		b.intaken.mu.Lock()
		defer b.intaken.mu.Unlock()
		waited = true
		b.intaken.stored.Broadcast()
	})
	defer t.Stop()
	for b.intaken.storing > 0 && !waited {
		b.intaken.stored.Wait()
	}
	out := make([]storage.InboxItem, len(b.intaken.items))
	for i, q := range b.intaken.items {
		out[i] = q.it
	}
	b.intaken.items = nil
	return out
}

// takeIntaken takes up to n updates claimed at intake, oldest first. One
// that waited more than half a lease (the workers stood still) is given
// back, not processed: its claim may have lapsed, and another process
// may process it.
func (b *Bot) takeIntaken(ctx context.Context, n int) []storage.InboxItem {
	b.intaken.mu.Lock()
	var out, stale []storage.InboxItem
	cut := 0
	for _, q := range b.intaken.items {
		if len(out) == n {
			break
		}
		cut++
		if time.Since(q.at) > b.cfg.Lease/2 {
			stale = append(stale, q.it)
			continue
		}
		out = append(out, q.it)
	}
	b.intaken.items = append(b.intaken.items[:0], b.intaken.items[cut:]...)
	b.intaken.mu.Unlock()
	for _, it := range stale {
		err := b.store.InboxRelease(ctx, it.UpdateID, b.owner, 0)
		if err != nil && !errors.Is(err, storage.ErrNotHolder) {
			// Its claim lapses by itself when the lease ends.
			b.log.Warn("could not give back an update held too long; it is processed when its claim ends", "update_id", it.UpdateID, "err", err)
		}
	}
	return out
}

// closeIntakeWait bounds how long a stopping process waits for the stores
// under way before it finishes what intake claimed.
const closeIntakeWait = 5 * time.Second
