// Package snapshot reads the metrics' Snapshot from the store: the
// mapping from storage's counts, and from the rota, to the plain numbers
// package metrics exports. It lives beside metrics, not in it, so metrics
// keeps importing nothing of ours.
package snapshot

import (
	"context"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/metrics"
	"github.com/tipline/tipline/oncall"
	"github.com/tipline/tipline/storage"
)

// Store is what a scrape reads. The PostgreSQL store has it all; the
// sandbox's in-memory twin has no Stats, and so no gauges.
type Store interface {
	Stats(ctx context.Context) (storage.Stats, error)
	Reviewers(ctx context.Context) ([]tipline.Reviewer, error)
	LoadRota(ctx context.Context) ([]byte, error)
	OutboxPending(ctx context.Context) (map[tipline.Lane]int, error)
	OutboxOldest(ctx context.Context) (map[tipline.Lane]time.Duration, error)
	InboxDeadCount(ctx context.Context) (int, error)
}

// Read turns the store's counts into the metrics' snapshot, with the
// reviewers on call computed from the rota at now.
func Read(ctx context.Context, s Store, now time.Time) (metrics.Snapshot, error) {
	st, err := s.Stats(ctx)
	if err != nil {
		return metrics.Snapshot{}, err
	}
	snap := metrics.Snapshot{
		InboxPending:         st.InboxPending,
		InboxOldest:          st.InboxOldest,
		OldestUnacknowledged: map[string]time.Duration{},
		RoutingJobs:          st.RoutingJobs,
	}
	for status, byUrgency := range st.OpenCases {
		for u, n := range byUrgency {
			snap.OpenCases = append(snap.OpenCases, metrics.CaseCount{Status: string(status), Urgency: string(u), N: n})
		}
	}
	for u, d := range st.OldestUnacknowledged {
		snap.OldestUnacknowledged[string(u)] = d
	}
	reviewers, err := s.Reviewers(ctx)
	if err != nil {
		return metrics.Snapshot{}, err
	}
	rota, _, err := oncall.Load(ctx, s)
	if err != nil {
		return metrics.Snapshot{}, err
	}
	snap.ActiveReviewers = oncall.Active(reviewers)
	snap.UnreachableReviewers = oncall.Unreachable(reviewers)
	snap.OnCall = len(oncall.OnCall(rota, now, reviewers))
	pending, err := s.OutboxPending(ctx)
	if err != nil {
		return metrics.Snapshot{}, err
	}
	oldest, err := s.OutboxOldest(ctx)
	if err != nil {
		return metrics.Snapshot{}, err
	}
	snap.OutboxPending, snap.OutboxOldest = map[int]int{}, map[int]time.Duration{}
	for lane := tipline.LaneCallback; lane <= tipline.LaneBulk; lane++ {
		snap.OutboxPending[int(lane)] = pending[lane]
		snap.OutboxOldest[int(lane)] = oldest[lane]
	}
	dead, err := s.InboxDeadCount(ctx)
	if err != nil {
		return metrics.Snapshot{}, err
	}
	snap.DeadLetters = &dead
	return snap, nil
}
