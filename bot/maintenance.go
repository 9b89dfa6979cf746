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

// RunMaintenance applies the retention rules once (G12, review.Retention:
// warnings, deletion of closed cases, old audit events) and purges the
// bot's own processed inbox rows and sent messages' ids.
func (b *Bot) RunMaintenance(ctx context.Context) {
	now := b.cfg.Now()
	b.retention.Run(ctx)
	if n, err := b.store.PurgeInbox(ctx, now.Add(-inboxKeep)); err != nil {
		b.log.Error("retention: purge inbox", "err", err)
	} else if n > 0 {
		b.log.Info("retention: processed updates purged", "count", n)
	}
	if n, err := b.store.PurgeDeadLetters(ctx, now.Add(-b.cfg.DeadLetterTTL)); err != nil {
		b.log.Error("retention: purge dead letters", "err", err)
	} else if n > 0 {
		b.log.Info("retention: dead letters purged", "count", n)
	}
	if n, err := b.store.PurgeOutbox(ctx, now.Add(-outboxKeep)); err != nil {
		b.log.Error("retention: purge outbox", "err", err)
	} else if n > 0 {
		b.log.Info("retention: sent messages forgotten", "count", n)
	}
}

// retentionOutbox queues retention warnings (review.Outbox).
type retentionOutbox struct{ b *Bot }

func (o retentionOutbox) Add(ctx context.Context, key string, outs []review.Out) error {
	out := o.b.newBatch(key)
	o.b.queueOuts(out, outs)
	return o.b.store.OutboxAdd(ctx, out.Entries)
}
