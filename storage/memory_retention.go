package storage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tipline/tipline"
)

// Retention, blocks and key rotation of Memory, with the semantics of the
// Postgres methods of the same names.

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
func (m *Memory) closedBefore(t time.Time) []*memCase {
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
// Postgres.CasesToWarn does.
func (m *Memory) CasesToWarn(ctx context.Context, warnBefore time.Time) ([]RetentionWarning, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list cases to warn: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []RetentionWarning{}
	for _, sc := range m.closedBefore(truncateTime(warnBefore)) {
		if sc.retentionWarned {
			continue
		}
		out = append(out, RetentionWarning{Reference: sc.c.Reference, ReviewerID: sc.c.Assignment.ReviewerID, ClosedAt: sc.closedAt()})
	}
	return out, nil
}

// MarkRetentionWarned records that a case's reviewer was warned, as
// Postgres.MarkRetentionWarned does.
func (m *Memory) MarkRetentionWarned(ctx context.Context, ref tipline.Reference, now time.Time) error {
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
// everything attached to them, as Postgres.DeleteClosedCases does.
func (m *Memory) DeleteClosedCases(ctx context.Context, cutoff time.Time, limit int) ([]tipline.Reference, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("delete closed cases: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []tipline.Reference{}
	if limit <= 0 {
		return out, nil
	}
	doomed := m.closedBefore(truncateTime(cutoff))
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
// Postgres.PurgeInbox does.
func (m *Memory) PurgeInbox(ctx context.Context, cutoff time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("purge inbox: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cutoff = truncateTime(cutoff)
	n := 0
	for id, r := range m.inbox {
		if r.processed && r.processedAt.Before(cutoff) {
			delete(m.inbox, id)
			n++
		}
	}
	return n, nil
}

// PurgeAudit deletes audit events older than cutoff, as Postgres.PurgeAudit
// does.
func (m *Memory) PurgeAudit(ctx context.Context, cutoff time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("purge audit: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cutoff = truncateTime(cutoff)
	n := 0
	for _, sc := range m.order {
		before := len(sc.audit)
		sc.audit = slices.DeleteFunc(sc.audit, func(e tipline.AuditEvent) bool { return e.At.Before(cutoff) })
		n += before - len(sc.audit)
	}
	return n, nil
}

// BlockReporter blocks the reporter of a case for BlockOther, as
// Postgres.BlockReporter does.
func (m *Memory) BlockReporter(ctx context.Context, ref tipline.Reference, reviewerID int64, now time.Time) error {
	return m.blockReporter(ctx, ref, reviewerID, tipline.BlockOther, ActionReporterBlocked, now)
}

// BlockReporterFor blocks the reporter of a case for a reason, as
// Postgres.BlockReporterFor does.
func (m *Memory) BlockReporterFor(ctx context.Context, ref tipline.Reference, reviewerID int64, reason tipline.BlockReason, now time.Time) error {
	return m.blockReporter(ctx, ref, reviewerID, reason, ActionReporterBlockedPrefix+string(reason), now)
}

func (m *Memory) blockReporter(ctx context.Context, ref tipline.Reference, reviewerID int64, reason tipline.BlockReason, action string, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("block reporter of case %s: %w", ref, err)
	}
	if !reason.Valid() {
		return fmt.Errorf("block reporter of case %s: %w: unknown reason", ref, ErrInvalid)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, err := m.workCase(ref, reviewerID)
	if err != nil {
		return fmt.Errorf("block reporter of case %s: %w", ref, err)
	}
	pseudonym := sc.c.Reporter
	if pseudonym == "" {
		return nil
	}
	if _, ok := m.blocks[pseudonym]; ok {
		return nil
	}
	now = truncateTime(now)
	m.blocks[pseudonym] = memBlock{at: now, reason: reason, ref: ref}
	sc.record(reviewerActor(reviewerID), action, now)
	return nil
}

// Blocks lists the blocks, the most recent first, as Postgres.Blocks does.
func (m *Memory) Blocks(ctx context.Context) ([]tipline.Block, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list blocks: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []tipline.Block{}
	for _, b := range m.blocks {
		out = append(out, tipline.Block{Reference: b.ref, Reason: b.reason, BlockedAt: b.at})
	}
	slices.SortFunc(out, func(a, b tipline.Block) int {
		if c := b.BlockedAt.Compare(a.BlockedAt); c != 0 {
			return c
		}
		return strings.Compare(string(a.Reference), string(b.Reference))
	})
	return out, nil
}

// UnblockReporter lifts the block of the reporter of a case, as
// Postgres.UnblockReporter does.
func (m *Memory) UnblockReporter(ctx context.Context, ref tipline.Reference, reviewerID int64, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("unblock reporter of case %s: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, err := m.workCase(ref, reviewerID)
	if err != nil {
		return fmt.Errorf("unblock reporter of case %s: %w", ref, err)
	}
	pseudonym := sc.c.Reporter
	if _, ok := m.blocks[pseudonym]; !ok || pseudonym == "" {
		return nil
	}
	delete(m.blocks, pseudonym)
	sc.record(reviewerActor(reviewerID), ActionReporterUnblocked, truncateTime(now))
	return nil
}

// UnblockByOperator lifts the block made from a case or held by its
// reporter, as Postgres.UnblockByOperator does.
func (m *Memory) UnblockByOperator(ctx context.Context, ref tipline.Reference, now time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("unblock reporter of case %s: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc := m.cases[ref]
	lifted := false
	for p, b := range m.blocks {
		if b.ref == ref || (sc != nil && sc.c.Reporter != "" && p == sc.c.Reporter) {
			delete(m.blocks, p)
			lifted = true
		}
	}
	if lifted && sc != nil {
		sc.record(ActorOperator, ActionReporterUnblocked, truncateTime(now))
	}
	return lifted, nil
}

// IsBlocked tells whether a reporter is blocked, as Postgres.IsBlocked
// does.
func (m *Memory) IsBlocked(ctx context.Context, pseudonyms ...string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("check block: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range nonEmpty(pseudonyms) {
		if _, ok := m.blocks[p]; ok {
			return true, nil
		}
	}
	return false, nil
}

// Rekey re-seals nothing: Memory keeps plain text, under no key. It
// returns 0, and calls progress never. A batch of 0 or less gives
// ErrInvalid, as Postgres.Rekey does.
func (m *Memory) Rekey(ctx context.Context, batch int, progress func(table string, done, left int)) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("rekey: %w", err)
	}
	if batch <= 0 {
		return 0, fmt.Errorf("rekey: %w: batch must be positive", ErrInvalid)
	}
	return 0, nil
}

// OldKeyValues gives 0 for each table of SealedTables: Memory keeps
// nothing under an old key.
func (m *Memory) OldKeyValues(ctx context.Context) (map[string]int, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("count values under old keys: %w", err)
	}
	out := map[string]int{}
	for _, t := range SealedTables() {
		out[t] = 0
	}
	return out, nil
}
