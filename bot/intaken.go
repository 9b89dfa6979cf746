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
	mu    sync.Mutex
	items []intakenItem
}

type intakenItem struct {
	it storage.InboxItem
	at time.Time // when it was stored: its claim began a little before
}

// intakeRoom is how many updates intake may claim for the workers: as
// many as there are workers, less those still waiting for one.
func (b *Bot) intakeRoom() int {
	b.intaken.mu.Lock()
	defer b.intaken.mu.Unlock()
	return max(0, b.cfg.Workers-len(b.intaken.items))
}

// handIntaken gives the workers updates claimed as they were stored.
func (b *Bot) handIntaken(items []storage.InboxItem) {
	if len(items) == 0 {
		return
	}
	now := time.Now()
	b.intaken.mu.Lock()
	defer b.intaken.mu.Unlock()
	for _, it := range items {
		b.intaken.items = append(b.intaken.items, intakenItem{it, now})
	}
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
