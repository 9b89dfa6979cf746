package outbox

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/internal/claimloop"
	"github.com/tipline/tipline/storage"
)

// handed keeps the entries a commit of this process claimed for it as it
// queued them (the bot's InboxCompleteHand), until a dispatcher takes them
// instead of claiming: each lane's loop its own, in the order handed.
type handed struct {
	mu      sync.Mutex
	answers []handedEntry // LaneCallback
	others  []handedEntry
	// lone holds the ids of handed entries that nothing queued with them
	// waits behind in their chat: once sent, no claim need look for what
	// follows them (their chat's next entry, if another process queued
	// one, is found by the idle claim).
	lone map[int64]bool
}

// alone tells, once, whether id was handed with nothing queued behind it.
func (h *handed) alone(id int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	ok := h.lone[id]
	delete(h.lone, id)
	return ok
}

type handedEntry struct {
	e  storage.OutboxEntry
	at time.Time // when it was handed: its claim began a little before
}

// Hand gives the dispatchers the entries this process claimed for
// Config.Lease as it queued them (handed), to send as if they had claimed
// them themselves, and wakes them; queued is all that was queued with
// them. Each handed entry must have been ready to claim: the first
// pending entry of its chat and lane, nothing earlier held back, no edit.
// Where queued holds more than was handed, the dispatchers also claim
// from the outbox: now, and again once a handed entry of the chat is sent.
func (s *Sender) Hand(handed, queued []storage.OutboxEntry) {
	now := time.Now()
	given := make(map[string]bool, len(handed))
	for _, e := range handed {
		given[e.Key] = true
	}
	behind := map[string]bool{} // chats with an entry not handed
	var answers, others bool    // loops to claim from the outbox
	for _, e := range queued {
		if !given[e.Key] {
			behind[e.ChatKey] = true
			answers = answers || e.Lane == tipline.LaneCallback
			others = others || e.Lane != tipline.LaneCallback
		}
	}
	s.handed.mu.Lock()
	if s.handed.lone == nil {
		s.handed.lone = map[int64]bool{}
	}
	for _, e := range handed {
		if !behind[e.ChatKey] {
			s.handed.lone[e.ID] = true
		}
		if e.Lane == tipline.LaneCallback {
			s.handed.answers = append(s.handed.answers, handedEntry{e, now})
		} else {
			s.handed.others = append(s.handed.others, handedEntry{e, now})
		}
	}
	s.handed.mu.Unlock()
	s.lookFor(answers, others)
	for _, e := range handed {
		if e.Lane == tipline.LaneCallback {
			claimloop.Signal(s.answerWake)
		} else {
			claimloop.Signal(s.outWake)
		}
	}
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
		s.handed.alone(e.ID)
		s.lookFor(true, true)
		err := s.store.OutboxRetry(ctx, e.ID, s.cfg.Owner, 0, false)
		if err != nil && !errors.Is(err, storage.ErrNotHolder) {
			// The claim lapses by itself when the lease ends.
			s.log.Warn("could not give back a message held too long; it goes out when its claim ends", "err", err)
		}
	}
	return out
}
