package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/oncall"
	"github.com/tipline/tipline/review"
	"github.com/tipline/tipline/storage"
)

// Routing: a submitted case has a job from the moment it is stored (in the
// same transaction). A job notifies the reviewers of its level and
// schedules the next level; an acknowledgement deletes the pending jobs. A
// periodic check makes sure no open case is left without a job (G4).

// RouteSoon wakes the routing loop (review.Notifier): an escalation is due now.
func (b *Bot) RouteSoon() {
	select {
	case b.routeWake <- struct{}{}:
	default:
	}
}

// routeLoop runs due routing jobs until ctx ends.
func (b *Bot) routeLoop(ctx context.Context) {
	lastCheck := time.Time{}
	for ctx.Err() == nil {
		b.RunDueJobs(ctx)
		if now := b.cfg.Now(); now.Sub(lastCheck) >= b.cfg.UnroutedCheck {
			lastCheck = now
			b.CheckUnrouted(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-b.routeWake:
		case <-time.After(b.cfg.RouteTick):
		}
	}
}

// RunDueJobs runs the routing jobs that are due now, once.
func (b *Bot) RunDueJobs(ctx context.Context) {
	for ctx.Err() == nil {
		jobs, err := b.store.ClaimDueJobs(ctx, b.owner, b.cfg.Now(), b.cfg.Lease, 10)
		if err != nil {
			if ctx.Err() == nil {
				b.log.Error("cannot read routing jobs; retrying", "err", err)
			}
			return
		}
		if len(jobs) == 0 {
			return
		}
		for _, j := range jobs {
			jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.Lease)
			if err := b.runJob(jctx, j); err != nil {
				b.log.Error("routing job failed; it will be retried", "case", j.Reference, "level", j.Level, "err", err)
				if rerr := b.store.ReleaseJob(jctx, j.ID, b.owner); rerr != nil {
					b.log.Error("release routing job", "err", rerr)
				}
			}
			cancel()
		}
	}
}

// runJob notifies the reviewers of a job's level and schedules the next
// level, queueing the notifications in the transaction that completes the
// job: a job run twice (a crash, a take-over) notifies once.
func (b *Bot) runJob(ctx context.Context, j tipline.Job) error {
	complete := func(next *tipline.Job, entries []storage.OutboxEntry) error {
		err := b.store.CompleteJob(ctx, j.ID, b.owner, next, entries)
		if errors.Is(err, storage.ErrNotHolder) {
			return nil // another process has it now
		}
		return err
	}
	c, err := b.store.Case(ctx, j.Reference)
	if errors.Is(err, tipline.ErrNotFound) {
		return complete(nil, nil)
	}
	if err != nil {
		return fmt.Errorf("load case: %w", err)
	}
	if c.Status != tipline.StatusReceived {
		return complete(nil, nil)
	}
	rota, err := b.rota(ctx)
	if err != nil {
		return err
	}
	all, err := b.store.Reviewers(ctx)
	if err != nil {
		return fmt.Errorf("list reviewers: %w", err)
	}
	now := b.cfg.Now()
	to, reason := oncall.Recipients(rota, j.Level, now, all)
	if len(to) == 0 {
		b.log.Error("NO REVIEWERS: a case is stored but nobody can be notified; register reviewers with 'tipline reviewers invite'",
			"case", c.Reference, "urgency", c.Urgency)
	}
	out := b.newBatch("job:" + strconv.FormatInt(j.ID, 10))
	var keys []string
	for _, rv := range to {
		key := b.queueOuts(out, []review.Out{{To: review.ToReviewer(rv), Lane: review.LaneUrgent, Message: review.NewCase(c, j.Level, now), Protect: true}})[0]
		n := tipline.Notification{ReviewerID: rv.ID, ChatID: rv.TelegramID, OutboxKey: key}
		if err := b.store.AddNotification(ctx, c.Reference, n); err != nil {
			return fmt.Errorf("record notification: %w", err)
		}
		keys = append(keys, key)
	}
	var next *tipline.Job
	if lvl, after, ok := b.cfg.Policy.Next(j.Level, c.Urgency); ok {
		next = &tipline.Job{Reference: c.Reference, Level: lvl, RunAt: now.Add(after)}
	}
	if err := complete(next, out.entries); err != nil {
		return err
	}
	signal(b.outWake)
	b.log.Info("reviewers notified", "case", c.Reference, "level", j.Level, "who", reason, "count", len(to))
	// Taken while this was decided? The taker's edits may have missed these
	// copies (they list the copies recorded when they ran): edit them too.
	if now, err := b.store.Case(ctx, c.Reference); err == nil && now.Assignment.ReviewerID != 0 {
		if by, err := b.store.Reviewer(ctx, now.Assignment.ReviewerID); err == nil {
			late := b.newBatch("job:" + strconv.FormatInt(j.ID, 10) + ":taken")
			ns, err := b.store.Notifications(ctx, c.Reference)
			if err == nil {
				for _, n := range ns {
					if slices.Contains(keys, n.OutboxKey) {
						if o, ok := b.desk.MarkOne(ctx, now, by, n); ok {
							b.queueOuts(late, []review.Out{o})
						}
					}
				}
				if err := b.store.OutboxAdd(ctx, late.entries); err != nil {
					b.log.Warn("could not mark late notifications as taken", "case", c.Reference, "err", err)
				}
			}
		}
	}
	return nil
}

func (b *Bot) rota(ctx context.Context) (oncall.Rota, error) {
	doc, err := b.store.LoadRota(ctx)
	if errors.Is(err, tipline.ErrNotFound) {
		return oncall.Rota{}, nil
	}
	if err != nil {
		return oncall.Rota{}, fmt.Errorf("load rota: %w", err)
	}
	return oncall.DecodeRota(doc)
}

// oncallText says who is on call now, for /oncall and `tipline oncall show`.
func (b *Bot) oncallText(ctx context.Context) (string, error) {
	rota, err := b.rota(ctx)
	if err != nil {
		return "", err
	}
	all, err := b.store.Reviewers(ctx)
	if err != nil {
		return "", fmt.Errorf("list reviewers: %w", err)
	}
	return rota.Describe(b.cfg.Now(), all), nil
}

// CheckUnrouted finds open, unacknowledged cases with no notification
// scheduled (G4), says so loudly, and notifies everyone about them.
func (b *Bot) CheckUnrouted(ctx context.Context) {
	refs, err := b.store.UnroutedCases(ctx)
	if err != nil {
		if ctx.Err() == nil {
			b.log.Error("check for forgotten cases", "err", err)
		}
		return
	}
	for _, ref := range refs {
		b.log.Error("FORGOTTEN CASE: open and unacknowledged with nothing scheduled; notifying everyone", "case", ref)
		if err := b.store.ScheduleJob(ctx, tipline.Job{Reference: ref, Level: int(oncall.Everyone), RunAt: b.cfg.Now()}); err != nil {
			b.log.Error("schedule a forgotten case", "case", ref, "err", err)
		}
	}
	if len(refs) > 0 {
		b.RouteSoon()
	}
}

// notifyAssigned tells the reviewer who has a case that the reporter added
// to it or answered.
func (b *Bot) notifyAssigned(ctx context.Context, ref tipline.Reference, a tipline.Addition, out *batch) error {
	c, err := b.store.Case(ctx, ref)
	if err != nil {
		return fmt.Errorf("load case: %w", err)
	}
	if c.Assignment.ReviewerID == 0 {
		return nil
	}
	rv, err := b.store.Reviewer(ctx, c.Assignment.ReviewerID)
	if err != nil || !rv.Active {
		// Stored, but nobody would hear of it: say so loudly, never drop
		// it silently (a disabled reviewer's open cases go back to routing;
		// a closed one stays theirs).
		b.log.Error("information was added to a case whose reviewer is disabled: give it to someone with 'tipline cases reassign' or reopen it",
			"case", ref, "status", c.Status)
		return nil
	}
	b.queueOuts(out, []review.Out{{To: review.ToReviewer(rv), Lane: review.LaneUrgent, Message: review.ReporterAdded(c, a.Text), Protect: true}})
	for _, f := range a.Attachments {
		out.file(rv.TelegramID, storage.LaneUrgent, f.Kind, f.FileID)
	}
	return nil
}
