package outbox

import (
	"context"
	"slices"
	"sync"

	"github.com/tipline/tipline/storage"
)

// sentLog records sent entries in batches, as a database does group
// commits: a sender hands its entry over and waits for the outcome; the
// sender that finds no write in flight writes every entry handed over
// meanwhile in one statement, again until none is left. An entry is
// recorded (or not) before its sender goes on, as with one write each; the
// entries simply share their round trip and commit.
type sentLog struct {
	mu      sync.Mutex
	pending []sentWait
	busy    bool
}

type sentWait struct {
	sent storage.Sent
	done chan error
}

// recordSent records that entry id went out as message msgID (0 for
// none). It gives storage.ErrNotHolder when the entry is no longer ours.
func (s *Sender) recordSent(ctx context.Context, id int64, msgID int) error {
	w := sentWait{sent: storage.Sent{ID: id, MessageID: msgID}, done: make(chan error, 1)}
	l := &s.sentLog
	l.mu.Lock()
	l.pending = append(l.pending, w)
	if l.busy {
		l.mu.Unlock()
		return <-w.done // the writer in flight delivers it, whatever happens
	}
	l.busy = true
	for len(l.pending) > 0 {
		batch := l.pending
		l.pending = nil
		l.mu.Unlock()
		sent := make([]storage.Sent, len(batch))
		for i, w := range batch {
			sent[i] = w.sent
		}
		notHeld, err := s.store.OutboxSentMany(ctx, s.cfg.Owner, sent)
		for _, w := range batch {
			switch {
			case err != nil:
				w.done <- err
			case slices.Contains(notHeld, w.sent.ID):
				w.done <- storage.ErrNotHolder
			default:
				w.done <- nil
			}
		}
		l.mu.Lock()
	}
	l.busy = false
	l.mu.Unlock()
	return <-w.done
}
