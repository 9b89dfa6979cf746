package memory

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// RecordRead records a reviewer's read of a case, as postgres.Store.
func (m *Store) RecordRead(ctx context.Context, ref tipline.Reference, reviewerID int64, what string) error {
	if err := m.recordByReviewer(ctx, ref, reviewerID, storage.ActionViewedPrefix+what); err != nil {
		return fmt.Errorf("record a read of case %s: %w", ref, err)
	}
	return nil
}

// RecordTakeOverWhy records why a reviewer took a case over, as
// postgres.Store.
func (m *Store) RecordTakeOverWhy(ctx context.Context, ref tipline.Reference, reviewerID int64, why string) error {
	if err := m.recordByReviewer(ctx, ref, reviewerID, storage.ActionTakeOverWhyPrefix+why); err != nil {
		return fmt.Errorf("record why case %s was taken over: %w", ref, err)
	}
	return nil
}

func (m *Store) recordByReviewer(ctx context.Context, ref tipline.Reference, reviewerID int64, action string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, ok := m.cases[ref]
	if !ok {
		return tipline.ErrNotFound
	}
	sc.audit = append(sc.audit, tipline.AuditEvent{Reference: ref, Actor: tipline.ReviewerActor(reviewerID), Action: action, At: m.clock()})
	return nil
}

// ReviewerAudit lists what one reviewer did or read since since, as
// postgres.Store.
func (m *Store) ReviewerAudit(ctx context.Context, reviewerID int64, since time.Time) ([]tipline.AuditEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list audit of reviewer %d: %w", reviewerID, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	actor := tipline.ReviewerActor(reviewerID)
	out := []tipline.AuditEvent{}
	for _, sc := range m.order {
		if m.cases[sc.c.Reference] != sc {
			continue
		}
		for _, e := range sc.audit {
			if e.Actor == actor && !e.At.Before(since) {
				out = append(out, e)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}
