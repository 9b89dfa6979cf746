package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// The reviewers' side of Store: invites, reviewers, the rota, routing
// jobs, notification copies and working a case, with the semantics of the
// postgres.Store methods of the same names. Times come from the now the caller
// passes, as they do for postgres.Store.

type memJob struct {
	job          tipline.Job // Reference is the case's
	sc           *memCase
	claimedBy    string
	claimedUntil time.Time // zero when not claimed
}

// addJob stores a pending job of a case; m.mu must be held.
func (m *Store) addJob(sc *memCase, level int, runAt time.Time) {
	m.lastJob++
	m.jobs[m.lastJob] = &memJob{job: tipline.Job{ID: m.lastJob, Reference: sc.c.Reference, Level: level, RunAt: rules.TruncateTime(runAt)}, sc: sc}
}

// deleteJobs deletes every pending job of a case; m.mu must be held.
func (m *Store) deleteJobs(sc *memCase) {
	for id, j := range m.jobs {
		if j.sc == sc {
			delete(m.jobs, id)
		}
	}
}

// ClaimDueJobs claims due jobs under no live claim, oldest first, as
// postgres.Store.ClaimDueJobs does. The owner is not kept: nothing reads it back.
func (m *Store) ClaimDueJobs(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]tipline.Job, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	if lease <= 0 {
		return nil, fmt.Errorf("claim jobs: %w: lease must be positive", tipline.ErrInvalid)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now = rules.TruncateTime(now)
	m.processes[owner] = m.clock()
	var due []*memJob
	for _, j := range m.jobs {
		free := j.claimedUntil.IsZero() || !j.claimedUntil.After(now) || m.claimFree(j.claimedBy, m.clock().Add(time.Hour), m.clock())
		if !j.job.RunAt.After(now) && free {
			due = append(due, j)
		}
	}
	slices.SortFunc(due, func(a, b *memJob) int {
		if c := a.job.RunAt.Compare(b.job.RunAt); c != 0 {
			return c
		}
		return cmp.Compare(a.job.ID, b.job.ID)
	})
	out := []tipline.Job{}
	for _, j := range due[:min(len(due), max(limit, 0))] {
		j.claimedUntil = now.Add(lease.Truncate(time.Microsecond))
		j.claimedBy = owner
		j.job.Attempts++
		out = append(out, j.job)
	}
	return out, nil
}

// CompleteJob ends a job and stores the next one while the case is
// received, as postgres.Store.CompleteJob does.
func (m *Store) CompleteJob(ctx context.Context, id int64, owner string, next *tipline.Job, entries []storage.OutboxEntry) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("complete job %d: %w", id, err)
	}
	if next != nil {
		if err := rules.CheckJob(next.Level, next.RunAt); err != nil {
			return fmt.Errorf("complete job %d: %w", id, err)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.jobs[id]
	if !ok {
		return nil
	}
	if j.claimedBy != owner {
		return fmt.Errorf("complete job %d: %w", id, storage.ErrNotHolder)
	}
	if next != nil && next.Reference != "" && next.Reference != j.sc.c.Reference {
		return fmt.Errorf("complete job %d: %w: next job of another case", id, tipline.ErrInvalid)
	}
	if err := m.addOutboxLocked(entries); err != nil {
		return fmt.Errorf("complete job %d: %w", id, err)
	}
	delete(m.jobs, id)
	if next != nil && j.sc.c.Status == tipline.StatusReceived {
		m.addJob(j.sc, next.Level, next.RunAt)
	}
	return nil
}

// ReleaseJob gives a claim back, as postgres.Store.ReleaseJob does.
func (m *Store) ReleaseJob(ctx context.Context, id int64, owner string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("release job %d: %w", id, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if j, ok := m.jobs[id]; ok && j.claimedBy == owner {
		j.claimedUntil, j.claimedBy = time.Time{}, ""
	}
	return nil
}

// UnroutedCases lists received cases without a pending job, oldest first,
// as postgres.Store.UnroutedCases does.
func (m *Store) UnroutedCases(ctx context.Context) ([]tipline.Reference, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list unrouted cases: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	routed := map[*memCase]bool{}
	for _, j := range m.jobs {
		routed[j.sc] = true
	}
	out := []tipline.Reference{}
	for _, sc := range m.order {
		if sc.c.Status == tipline.StatusReceived && !routed[sc] {
			out = append(out, sc.c.Reference)
		}
	}
	return out, nil
}

// ScheduleJob stores a pending job, as postgres.Store.ScheduleJob does.
func (m *Store) ScheduleJob(ctx context.Context, j tipline.Job) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("schedule job of case %s: %w", j.Reference, err)
	}
	if err := rules.CheckJob(j.Level, j.RunAt); err != nil {
		return fmt.Errorf("schedule job of case %s: %w", j.Reference, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, ok := m.cases[j.Reference]
	if !ok {
		return fmt.Errorf("schedule job of case %s: %w", j.Reference, tipline.ErrNotFound)
	}
	if sc.c.Status == tipline.StatusClosed {
		return fmt.Errorf("schedule job of case %s: %w: case is closed", j.Reference, tipline.ErrInvalid)
	}
	m.addJob(sc, j.Level, j.RunAt)
	return nil
}

// AddNotification records a copy of a case notification, as
// postgres.Store.AddNotification does.
func (m *Store) AddNotification(ctx context.Context, ref tipline.Reference, n tipline.Notification) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("add notification of case %s: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, ok := m.cases[ref]
	if !ok {
		return fmt.Errorf("add notification of case %s: %w", ref, tipline.ErrNotFound)
	}
	if m.reviewer(n.ReviewerID) == nil {
		return fmt.Errorf("add notification of case %s: reviewer %d: %w", ref, n.ReviewerID, tipline.ErrNotFound)
	}
	for _, old := range sc.notifications {
		if n.OutboxKey != "" && old.OutboxKey == n.OutboxKey {
			return nil
		}
	}
	sc.notifications = append(sc.notifications, n)
	return nil
}

// Notifications lists the copies of a case's notifications, as
// postgres.Store.Notifications does.
func (m *Store) Notifications(ctx context.Context, ref tipline.Reference) ([]tipline.Notification, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list notifications of case %s: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, ok := m.cases[ref]
	if !ok {
		return nil, fmt.Errorf("list notifications of case %s: %w", ref, tipline.ErrNotFound)
	}
	return append([]tipline.Notification{}, sc.notifications...), nil
}
