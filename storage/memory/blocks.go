package memory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// Retention, blocks and key rotation of Store, with the semantics of the
// postgres.Store methods of the same names.

// BlockReporterFor blocks the reporter of a case for a reason, as
// postgres.Store.BlockReporterFor does.
func (m *Store) BlockReporterFor(ctx context.Context, ref tipline.Reference, reviewerID int64, reason tipline.BlockReason, now time.Time) error {
	return m.blockReporter(ctx, ref, reviewerID, reason, storage.ActionReporterBlockedPrefix+string(reason), now)
}

func (m *Store) blockReporter(ctx context.Context, ref tipline.Reference, reviewerID int64, reason tipline.BlockReason, action string, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("block reporter of case %s: %w", ref, err)
	}
	if !reason.Valid() {
		return fmt.Errorf("block reporter of case %s: %w: unknown reason", ref, tipline.ErrInvalid)
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
	now = rules.TruncateTime(now)
	m.blocks[pseudonym] = memBlock{at: now, reason: reason, ref: ref}
	sc.record(tipline.ReviewerActor(reviewerID), action, now)
	return nil
}

// Blocks lists the blocks, the most recent first, as postgres.Store.Blocks does.
func (m *Store) Blocks(ctx context.Context) ([]tipline.Block, error) {
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
// postgres.Store.UnblockReporter does.
func (m *Store) UnblockReporter(ctx context.Context, ref tipline.Reference, reviewerID int64, now time.Time) error {
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
	sc.record(tipline.ReviewerActor(reviewerID), storage.ActionReporterUnblocked, rules.TruncateTime(now))
	return nil
}

// UnblockByOperator lifts the block made from a case or held by its
// reporter, as postgres.Store.UnblockByOperator does.
func (m *Store) UnblockByOperator(ctx context.Context, ref tipline.Reference, now time.Time) (bool, error) {
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
		sc.record(tipline.ActorOperator, storage.ActionReporterUnblocked, rules.TruncateTime(now))
	}
	return lifted, nil
}

// IsBlocked tells whether a reporter is blocked, as postgres.Store.IsBlocked
// does.
func (m *Store) IsBlocked(ctx context.Context, pseudonyms ...string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("check block: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range rules.NonEmpty(pseudonyms) {
		if _, ok := m.blocks[p]; ok {
			return true, nil
		}
	}
	return false, nil
}

// ScreenSenders tells who of senders is a reviewer and who is blocked, as
// postgres.Store.ScreenSenders does.
func (m *Store) ScreenSenders(ctx context.Context, senders []storage.Sender) ([]storage.Screening, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("screen senders: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]storage.Screening, len(senders))
	for i, s := range senders {
		out[i] = m.screenLocked(s)
	}
	return out, nil
}

// screenLocked is what ScreenSenders finds of one sender.
func (m *Store) screenLocked(s storage.Sender) storage.Screening {
	var out storage.Screening
	for _, rv := range m.reviewers {
		out.Reviewer = out.Reviewer || rv.TelegramID == s.TelegramID
	}
	for _, p := range rules.NonEmpty(s.Pseudonyms) {
		_, blocked := m.blocks[p]
		out.Blocked = out.Blocked || blocked
	}
	return out
}
