package bot

import (
	"context"
	"time"

	"github.com/tipline/tipline/review"
)

// inboxKeep is how long processed updates are kept, to recognise one that
// Telegram delivers again.
const inboxKeep = 48 * time.Hour

// outboxKeep is how long sent messages' ids are kept: a notification can
// be marked "taken" and a chat cleared within it.
const outboxKeep = 7 * 24 * time.Hour

// retentionWarning is how long before deletion a closed case's reviewer is told.
const retentionWarning = 72 * time.Hour

func (b *Bot) maintenanceLoop(ctx context.Context) {
	last := time.Time{}
	for {
		if now := b.cfg.Now(); now.Sub(last) >= b.cfg.Maintenance {
			last = now
			b.RunMaintenance(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(b.cfg.RouteTick):
		}
	}
}

// RunMaintenance applies the retention rules once (G12): it warns the
// reviewer of a closed case 72 hours before it is deleted, deletes closed
// cases past the period with everything attached, and purges processed
// inbox rows and old audit events. Open cases are never deleted.
func (b *Bot) RunMaintenance(ctx context.Context) {
	now := b.cfg.Now()
	warn, err := b.store.CasesToWarn(ctx, now.Add(-b.cfg.Retention+retentionWarning))
	if err != nil {
		b.log.Error("retention: list cases to warn about", "err", err)
	}
	for _, w := range warn {
		if w.ReviewerID != 0 {
			rv, err := b.store.Reviewer(ctx, w.ReviewerID)
			if err == nil && rv.Active {
				deleteAt := w.ClosedAt.Add(b.cfg.Retention)
				out := b.newBatch("retention:" + string(w.Reference) + ":" + w.ClosedAt.UTC().Format(time.RFC3339))
				b.queueOuts(out, []review.Out{{To: review.ToReviewer(rv), Lane: review.LaneBulk, Message: review.RetentionWarning(w.Reference, deleteAt.In(b.cfg.Location)), Protect: true}})
				if err := b.store.OutboxAdd(ctx, out.entries); err != nil {
					b.log.Warn("retention: warn the reviewer", "case", w.Reference, "err", err)
					continue
				}
			}
		}
		if err := b.store.MarkRetentionWarned(ctx, w.Reference, now); err != nil {
			b.log.Error("retention: mark warned", "case", w.Reference, "err", err)
		}
	}
	for {
		refs, err := b.store.DeleteClosedCases(ctx, now.Add(-b.cfg.Retention), 100)
		if err != nil {
			b.log.Error("retention: delete closed cases", "err", err)
			break
		}
		for _, ref := range refs {
			b.log.Info("retention: closed case deleted with everything attached", "case", ref)
		}
		if len(refs) < 100 {
			break
		}
	}
	if n, err := b.store.PurgeInbox(ctx, now.Add(-inboxKeep)); err != nil {
		b.log.Error("retention: purge inbox", "err", err)
	} else if n > 0 {
		b.log.Info("retention: processed updates purged", "count", n)
	}
	if n, err := b.store.PurgeOutbox(ctx, now.Add(-outboxKeep)); err != nil {
		b.log.Error("retention: purge outbox", "err", err)
	} else if n > 0 {
		b.log.Info("retention: sent messages forgotten", "count", n)
	}
	if n, err := b.store.PurgeAudit(ctx, now.Add(-b.cfg.AuditRetention)); err != nil {
		b.log.Error("retention: purge audit events", "err", err)
	} else if n > 0 {
		b.log.Info("retention: old audit events purged", "count", n)
	}
}
