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

// Reassign gives an open case to a reviewer, as postgres.Store.Reassign does.
func (m *Store) Reassign(ctx context.Context, ref tipline.Reference, to int64, actor string, now time.Time) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("reassign case %s: %w", ref, err)
	}
	if actor == "" {
		return 0, fmt.Errorf("reassign case %s: %w: no actor", ref, tipline.ErrInvalid)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, err := m.workCase(ref, to)
	if err != nil {
		return 0, fmt.Errorf("reassign case %s: %w", ref, err)
	}
	if !m.reviewer(to).Active {
		return 0, fmt.Errorf("reassign case %s: %w: reviewer %d is disabled", ref, tipline.ErrInvalid, to)
	}
	if sc.c.Status == tipline.StatusClosed {
		return 0, fmt.Errorf("reassign case %s: %w: case is closed", ref, tipline.ErrInvalid)
	}
	prev := sc.c.Assignment.ReviewerID
	if prev == to && sc.c.Status == tipline.StatusAcknowledged {
		return prev, nil
	}
	now = rules.TruncateTime(now)
	sc.c.Status, sc.c.UpdatedAt = tipline.StatusAcknowledged, now
	sc.c.Assignment.ReviewerID, sc.c.Assignment.AcknowledgedAt = to, now
	m.deleteJobs(sc)
	sc.record(actor, storage.ActionReassignedPrefix+strconv.FormatInt(to, 10), now)
	return prev, nil
}

// DisableReviewer disables a reviewer and sends their open cases back to
// routing, as postgres.Store.DisableReviewer does.
func (m *Store) DisableReviewer(ctx context.Context, id int64, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("disable reviewer %d: %w", id, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rv := m.reviewer(id)
	if rv == nil {
		return fmt.Errorf("disable reviewer %d: %w", id, tipline.ErrNotFound)
	}
	rv.Active = false
	now = rules.TruncateTime(now)
	for _, sc := range m.order {
		if sc.c.Status != tipline.StatusAcknowledged || sc.c.Assignment.ReviewerID != id {
			continue
		}
		sc.c.Status, sc.c.UpdatedAt = tipline.StatusReceived, now
		sc.c.Assignment = tipline.Assignment{}
		m.addJob(sc, 0, now)
		sc.record(tipline.ActorSystem, storage.ActionReturnedToRouting, now)
	}
	return nil
}
