package memory

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// MarkUnreachable marks a reviewer unreachable and moves their waiting
// cases on, as postgres.Store.MarkUnreachable does.
func (m *Store) MarkUnreachable(ctx context.Context, id int64, now time.Time, notices []storage.OutboxEntry) (bool, []tipline.Reference, error) {
	if err := ctx.Err(); err != nil {
		return false, nil, fmt.Errorf("mark reviewer %d unreachable: %w", id, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rv := m.reviewer(id)
	if rv == nil {
		return false, nil, fmt.Errorf("mark reviewer %d unreachable: %w", id, tipline.ErrNotFound)
	}
	now = rules.TruncateTime(now)
	marked := rv.Unreachable.IsZero()
	if marked {
		if err := m.addOutboxLocked(notices); err != nil {
			return false, nil, fmt.Errorf("mark reviewer %d unreachable: notices: %w", id, err)
		}
		rv.Unreachable = now
	}
	moved := []tipline.Reference{}
	action := storage.ActionMovedOnPrefix + strconv.FormatInt(id, 10)
	for _, sc := range m.order {
		if sc.c.Status != tipline.StatusReceived || !notified(sc, id) {
			continue
		}
		forward := false
		for _, j := range m.jobs {
			if j.sc == sc && j.job.RunAt.After(now) {
				j.job.RunAt = now
				forward = true
			}
		}
		if forward {
			sc.record(tipline.ActorSystem, action, now)
			moved = append(moved, sc.c.Reference)
		}
	}
	return marked, moved, nil
}

// notified tells whether a case was sent to a reviewer; m.mu must be held.
func notified(sc *memCase, reviewerID int64) bool {
	for _, n := range sc.notifications {
		if n.ReviewerID == reviewerID {
			return true
		}
	}
	return false
}

// MarkReachable clears a reviewer's unreachable mark, as
// postgres.Store.MarkReachable does.
func (m *Store) MarkReachable(ctx context.Context, id int64) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("mark reviewer %d reachable: %w", id, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rv := m.reviewer(id)
	if rv == nil {
		return false, fmt.Errorf("mark reviewer %d reachable: %w", id, tipline.ErrNotFound)
	}
	was := !rv.Unreachable.IsZero()
	rv.Unreachable = time.Time{}
	return was, nil
}
