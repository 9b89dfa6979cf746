package memory

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage/internal/rules"
)

// Retention, blocks and key rotation of Store, with the semantics of the
// postgres.Store methods of the same names.

// closedAt is when a closed case was closed, for retention: its closing
// time, or its last change when it was closed by a status change alone.
func (sc *memCase) closedAt() time.Time {
	if !sc.c.Assignment.ClosedAt.IsZero() {
		return sc.c.Assignment.ClosedAt
	}
	return sc.c.UpdatedAt
}

// closedBefore lists the closed cases closed before t, the earliest closed
// first; m.mu must be held.
func (m *Store) closedBefore(t time.Time) []*memCase {
	var out []*memCase
	for _, sc := range m.order { // in the order of ids, which break ties
		if sc.c.Status == tipline.StatusClosed && sc.closedAt().Before(t) {
			out = append(out, sc)
		}
	}
	slices.SortStableFunc(out, func(a, b *memCase) int { return a.closedAt().Compare(b.closedAt()) })
	return out
}

// CasesToWarn lists closed cases due for a retention warning, as
// postgres.Store.CasesToWarn does.
func (m *Store) CasesToWarn(ctx context.Context, warnBefore time.Time) ([]tipline.RetentionWarning, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list cases to warn: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []tipline.RetentionWarning{}
	for _, sc := range m.closedBefore(rules.TruncateTime(warnBefore)) {
		if sc.retentionWarned {
			continue
		}
		out = append(out, tipline.RetentionWarning{Reference: sc.c.Reference, ReviewerID: sc.c.Assignment.ReviewerID, ClosedAt: sc.closedAt()})
	}
	return out, nil
}

// MarkRetentionWarned records that a case's reviewer was warned, as
// postgres.Store.MarkRetentionWarned does.
func (m *Store) MarkRetentionWarned(ctx context.Context, ref tipline.Reference, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mark case %s warned: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, ok := m.cases[ref]
	if !ok {
		return fmt.Errorf("mark case %s warned: %w", ref, tipline.ErrNotFound)
	}
	sc.retentionWarned = true
	return nil
}

// DeleteClosedCases deletes up to limit cases closed before cutoff with
// everything attached to them, as postgres.Store.DeleteClosedCases does.
func (m *Store) DeleteClosedCases(ctx context.Context, cutoff time.Time, limit int) ([]tipline.Reference, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("delete closed cases: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []tipline.Reference{}
	if limit <= 0 {
		return out, nil
	}
	doomed := m.closedBefore(rules.TruncateTime(cutoff))
	doomed = doomed[:min(len(doomed), limit)]
	for _, sc := range doomed {
		m.deleteJobs(sc)
		delete(m.cases, sc.c.Reference)
		delete(m.drafts, sc.c.DraftID)
		for p, b := range m.blocks {
			if b.ref == sc.c.Reference {
				b.ref = "" // the block stays but names no case
				m.blocks[p] = b
			}
		}
		if len(sc.c.FollowUpHash) > 0 && m.followUps[string(sc.c.FollowUpHash)] == sc {
			delete(m.followUps, string(sc.c.FollowUpHash))
		}
		out = append(out, sc.c.Reference)
	}
	m.order = slices.DeleteFunc(m.order, func(sc *memCase) bool { return slices.Contains(doomed, sc) })
	return out, nil
}

// PurgeInbox deletes inbox rows processed before cutoff, as
// postgres.Store.PurgeInbox does.
func (m *Store) PurgeInbox(ctx context.Context, cutoff time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("purge inbox: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cutoff = rules.TruncateTime(cutoff)
	n := 0
	for id, r := range m.inbox {
		if r.processed && r.processedAt.Before(cutoff) {
			delete(m.inbox, id)
			n++
		}
	}
	return n, nil
}

// PurgeAudit deletes audit events older than cutoff, as postgres.Store.PurgeAudit
// does.
func (m *Store) PurgeAudit(ctx context.Context, cutoff time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("purge audit: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cutoff = rules.TruncateTime(cutoff)
	n := 0
	for _, sc := range m.order {
		before := len(sc.audit)
		sc.audit = slices.DeleteFunc(sc.audit, func(e tipline.AuditEvent) bool { return e.At.Before(cutoff) })
		n += before - len(sc.audit)
	}
	return n, nil
}
