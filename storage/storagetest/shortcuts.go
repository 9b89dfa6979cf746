package storagetest

import (
	"context"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// Shortcuts for tests, over the calls production makes: the stores carry
// no method that only tests call, so a test that wants one update, every
// lane or an addition without a key says so through these.

// InboxClaimer is the store InboxClaim claims from.
type InboxClaimer interface {
	InboxClaimBatch(ctx context.Context, owner string, lease time.Duration, limit int) ([]storage.InboxItem, error)
}

// InboxClaim claims the next ready update, as the bot's workers do with a
// batch of one; false when none is ready.
func InboxClaim(ctx context.Context, s InboxClaimer, owner string, lease time.Duration) (storage.InboxItem, bool, error) {
	items, err := s.InboxClaimBatch(ctx, owner, lease, 1)
	if err != nil || len(items) == 0 {
		return storage.InboxItem{}, false, err
	}
	return items[0], true, nil
}

// OutboxClaimer is the store OutboxClaim claims from.
type OutboxClaimer interface {
	OutboxClaimLanes(ctx context.Context, owner string, lease time.Duration, limit int, first, last tipline.Lane) ([]storage.OutboxEntry, error)
}

// OutboxClaim claims up to limit entries of every lane, as one dispatcher
// serving all lanes would.
func OutboxClaim(ctx context.Context, s OutboxClaimer, owner string, lease time.Duration, limit int) ([]storage.OutboxEntry, error) {
	return s.OutboxClaimLanes(ctx, owner, lease, limit, tipline.LaneCallback, tipline.LaneBulk)
}

// Adder is the store AddToCase adds through.
type Adder interface {
	AddToCaseTracked(ctx context.Context, ref tipline.Reference, key string, a tipline.Addition) (storage.AddResult, error)
}

// AddToCaseOnce adds to a case unless it has seen key before, ignoring
// where a duplicate's link took the addition.
func AddToCaseOnce(ctx context.Context, s Adder, ref tipline.Reference, key string, a tipline.Addition) error {
	_, err := s.AddToCaseTracked(ctx, ref, key, a)
	return err
}

// AddToCase adds to a case under a fresh key, so it is never taken for a
// repeat.
func AddToCase(ctx context.Context, s Adder, ref tipline.Reference, a tipline.Addition) error {
	return AddToCaseOnce(ctx, s, ref, rules.RandomAdditionKey(), a)
}

// Blocker is the store BlockReporter blocks through.
type Blocker interface {
	BlockReporterFor(ctx context.Context, ref tipline.Reference, reviewerID int64, reason tipline.BlockReason, now time.Time) error
}

// BlockReporter blocks a case's reporter for no reason in particular
// (tipline.BlockOther).
func BlockReporter(ctx context.Context, s Blocker, ref tipline.Reference, reviewerID int64, now time.Time) error {
	return s.BlockReporterFor(ctx, ref, reviewerID, tipline.BlockOther, now)
}
