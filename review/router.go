package review

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/oncall"
	"github.com/tipline/tipline/reply"
)

// Routing: a submitted case has a job from the moment it is stored (in the
// same transaction). A job notifies the reviewers of its level (oncall
// decides who) and schedules the next level; an acknowledgement deletes
// the pending jobs. A periodic check makes sure no open case is left
// without a job (G4). bot claims the jobs and owns the outbox; the Router
// decides.

// RouterStore is what routing needs of storage.
type RouterStore interface {
	Case(ctx context.Context, ref tipline.Reference) (tipline.Case, error)
	Reviewer(ctx context.Context, id int64) (tipline.Reviewer, error)
	Reviewers(ctx context.Context) ([]tipline.Reviewer, error)
	LoadRota(ctx context.Context) ([]byte, error)
	AddNotification(ctx context.Context, ref tipline.Reference, n tipline.Notification) error
	Notifications(ctx context.Context, ref tipline.Reference) ([]tipline.Notification, error)
	UnroutedCases(ctx context.Context) ([]tipline.Reference, error)
	ScheduleJob(ctx context.Context, j tipline.Job) error
}

// JobOutbox is where one job's messages go: bot renders them into the
// job's outbox entries, written in the transaction that completes the job,
// so a job run twice (a crash, a take-over) notifies once.
type JobOutbox interface {
	// Queue adds outs to the job's entries and returns each Out's key.
	Queue(outs []Out) []string
	// Complete marks the job done with its entries and schedules next (nil:
	// none). It is nil when another process holds the job now.
	Complete(ctx context.Context, next *tipline.Job) error
	// Late queues edits outside the job's transaction (keyed by the job).
	Late(ctx context.Context, outs []Out) error
}

// Router runs routing jobs.
type Router struct {
	Store    RouterStore
	Notifier Notifier
	Policy   oncall.Policy
	Log      *slog.Logger
	Now      func() time.Time
}

// Rota is the stored on-call rota; none is an empty rota (everyone).
func (r *Router) Rota(ctx context.Context) (oncall.Rota, error) {
	rota, _, err := oncall.Load(ctx, r.Store)
	return rota, err
}

// Oncall says who is on call now and the next changes, for a reviewer's
// /oncall, in their language (`tipline oncall show` prints the operator's
// English description, oncall.Rota.Describe).
func (r *Router) Oncall(ctx context.Context) (reply.Message, error) {
	rota, err := r.Rota(ctx)
	if err != nil {
		return reply.Message{}, err
	}
	all, err := r.Store.Reviewers(ctx)
	if err != nil {
		return reply.Message{}, fmt.Errorf("list reviewers: %w", err)
	}
	loc, err := rota.Location()
	if err != nil {
		loc = time.UTC
	}
	return OnCall(rota, r.Now(), loc, all), nil
}

// NotifyLane is the lane of a case's notifications: an urgent case's go
// on the urgent lane, so that in a reviewer's chat they overtake a normal
// case's, queued on the reply lane (after an outage, say, when many wait).
func NotifyLane(c tipline.Case) tipline.Lane {
	if c.Urgency == tipline.UrgencyUrgent {
		return tipline.LaneUrgent
	}
	return tipline.LaneReply
}

// RunJob notifies the reviewers of j's level and schedules the next level.
func (r *Router) RunJob(ctx context.Context, j tipline.Job, out JobOutbox) error {
	c, err := r.Store.Case(ctx, j.Reference)
	if errors.Is(err, tipline.ErrNotFound) {
		return out.Complete(ctx, nil)
	}
	if err != nil {
		return fmt.Errorf("load case: %w", err)
	}
	if c.Status != tipline.StatusReceived {
		return out.Complete(ctx, nil)
	}
	rota, err := r.Rota(ctx)
	if err != nil {
		return err
	}
	all, err := r.Store.Reviewers(ctx)
	if err != nil {
		return fmt.Errorf("list reviewers: %w", err)
	}
	now := r.Now()
	to, reason := oncall.Recipients(rota, j.Level, now, all)
	if len(to) == 0 {
		r.Log.Error("NO REVIEWERS: a case is stored but nobody can be notified; register reviewers with 'tipline reviewers invite'",
			"case", c.Reference, "urgency", c.Urgency)
	}
	var keys []string
	for _, rv := range to {
		key := out.Queue([]Out{{To: ToReviewer(rv), Lane: NotifyLane(c), Message: NewCase(c, j.Level, now), Protect: true}})[0]
		n := tipline.Notification{ReviewerID: rv.ID, ChatID: rv.TelegramID, OutboxKey: key}
		if err := r.Store.AddNotification(ctx, c.Reference, n); err != nil {
			return fmt.Errorf("record notification: %w", err)
		}
		keys = append(keys, key)
	}
	var next *tipline.Job
	if lvl, after, ok := r.Policy.Next(j.Level, c.Urgency); ok {
		next = &tipline.Job{Reference: c.Reference, Level: lvl, RunAt: now.Add(after)}
	}
	if err := out.Complete(ctx, next); err != nil {
		return err
	}
	r.Log.Info("reviewers notified", "case", c.Reference, "level", j.Level, "who", reason, "count", len(to))
	// Taken while this was decided? The taker's edits may have missed these
	// copies (they list the copies recorded when they ran): edit them too.
	if now, err := r.Store.Case(ctx, c.Reference); err == nil && now.Assignment.ReviewerID != 0 {
		team := byID(all)
		if by, ok := team[now.Assignment.ReviewerID]; ok {
			ns, err := r.Store.Notifications(ctx, c.Reference)
			if err == nil {
				var late []Out
				for _, n := range ns {
					if slices.Contains(keys, n.OutboxKey) {
						if o, ok := markOne(team, now, by, n); ok {
							late = append(late, o)
						}
					}
				}
				if err := out.Late(ctx, late); err != nil {
					r.Log.Warn("could not mark late notifications as taken", "case", c.Reference, "err", err)
				}
			}
		}
	}
	return nil
}

// CheckUnrouted finds open, unacknowledged cases with no notification
// scheduled (G4), says so loudly, and notifies everyone about them.
func (r *Router) CheckUnrouted(ctx context.Context) {
	refs, err := r.Store.UnroutedCases(ctx)
	if err != nil {
		if ctx.Err() == nil {
			r.Log.Error("check for forgotten cases", "err", err)
		}
		return
	}
	for _, ref := range refs {
		r.Log.Error("FORGOTTEN CASE: open and unacknowledged with nothing scheduled; notifying everyone", "case", ref)
		if err := r.Store.ScheduleJob(ctx, tipline.Job{Reference: ref, Level: int(oncall.Everyone), RunAt: r.Now()}); err != nil {
			r.Log.Error("schedule a forgotten case", "case", ref, "err", err)
		}
	}
	if len(refs) > 0 && r.Notifier != nil {
		r.Notifier.RouteSoon()
	}
}
