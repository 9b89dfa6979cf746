package outbox

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// handed keeps the entries a commit of this process claimed for it as it
// queued them (the bot's InboxCompleteHand), until a dispatcher takes them
// instead of claiming: each lane's loop its own, in the order handed.
type handed struct {
	mu      sync.Mutex
	answers []handedEntry // LaneCallback
	others  []handedEntry
}

type handedEntry struct {
	e  storage.OutboxEntry
	at time.Time // when it was handed: its claim began a little before
}

// Hand gives the dispatchers entries this process claimed for Config.Lease
// as it queued them, to send as if they had claimed them themselves, and
// wakes them. Each must have been ready to claim: the first pending entry
// of its chat and lane, nothing earlier held back, no edit.
func (s *Sender) Hand(entries []storage.OutboxEntry) {
	now := time.Now()
	s.handed.mu.Lock()
	for _, e := range entries {
		if e.Lane == tipline.LaneCallback {
			s.handed.answers = append(s.handed.answers, handedEntry{e, now})
		} else {
			s.handed.others = append(s.handed.others, handedEntry{e, now})
		}
	}
	s.handed.mu.Unlock()
	s.WakeFor(entries)
}

// takeHanded takes up to n handed entries of the lanes a loop sends
// (answers or the others). An entry handed more than half a lease ago
// (its dispatcher stood still: Telegram was down) is given back, not
// sent: its claim may have lapsed, and another process may send it.
func (s *Sender) takeHanded(ctx context.Context, answers bool, n int) []storage.OutboxEntry {
	s.handed.mu.Lock()
	q := &s.handed.others
	if answers {
		q = &s.handed.answers
	}
	var out, stale []storage.OutboxEntry
	cut := 0
	for _, h := range *q {
		if len(out) == n {
			break
		}
		cut++
		if time.Since(h.at) > s.cfg.Lease/2 {
			stale = append(stale, h.e)
			continue
		}
		out = append(out, h.e)
	}
	*q = append((*q)[:0], (*q)[cut:]...)
	s.handed.mu.Unlock()
	for _, e := range stale {
		err := s.store.OutboxRetry(ctx, e.ID, s.cfg.Owner, 0, false)
		if err != nil && !errors.Is(err, storage.ErrNotHolder) {
			// The claim lapses by itself when the lease ends.
			s.log.Warn("could not give back a message held too long; it goes out when its claim ends", "err", err)
		}
	}
	return out
}
