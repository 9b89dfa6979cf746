package bot

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/outbox"
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

// runJob runs one routing job through the router, with its messages
// queued in the transaction that completes the job.
func (b *Bot) runJob(ctx context.Context, j tipline.Job) error {
	return b.router.RunJob(ctx, j, &jobOutbox{b: b, job: j, out: b.newBatch("job:" + strconv.FormatInt(j.ID, 10))})
}

// jobOutbox is one routing job's outbox (review.JobOutbox).
type jobOutbox struct {
	b   *Bot
	job tipline.Job
	out *outbox.Batch
}

func (o *jobOutbox) Queue(outs []review.Out) []string { return o.b.queueOuts(o.out, outs) }

func (o *jobOutbox) Complete(ctx context.Context, next *tipline.Job) error {
	err := o.b.store.CompleteJob(ctx, o.job.ID, o.b.owner, next, o.out.Entries)
	if errors.Is(err, storage.ErrNotHolder) {
		return nil // another process has it now
	}
	if err == nil {
		o.b.sender.Wake()
	}
	return err
}

func (o *jobOutbox) Late(ctx context.Context, outs []review.Out) error {
	late := o.b.newBatch("job:" + strconv.FormatInt(o.job.ID, 10) + ":taken")
	o.b.queueOuts(late, outs)
	return o.b.store.OutboxAdd(ctx, late.Entries)
}

// CheckUnrouted finds open, unacknowledged cases with no notification
// scheduled (G4), says so loudly, and notifies everyone about them.
func (b *Bot) CheckUnrouted(ctx context.Context) { b.router.CheckUnrouted(ctx) }

// notifyAssigned queues what review says when the reporter added to a
// case or answered: a word to the reviewer who has it.
func (b *Bot) notifyAssigned(ctx context.Context, ref tipline.Reference, a tipline.Addition, out *outbox.Batch) error {
	outs, err := b.desk.Added(ctx, ref, a)
	if err != nil {
		return err
	}
	b.queueOuts(out, outs)
	return nil
}
