package review

import (
	"context"
	"log/slog"
	"time"

	"github.com/tipline/tipline"
)

// WarnBefore is how long before deletion a closed case's reviewer is told.
const WarnBefore = 72 * time.Hour

// RetentionStore is what the retention run needs of storage.
type RetentionStore interface {
	Reviewer(ctx context.Context, id int64) (tipline.Reviewer, error)
	CasesToWarn(ctx context.Context, warnBefore time.Time) ([]tipline.RetentionWarning, error)
	MarkRetentionWarned(ctx context.Context, ref tipline.Reference, now time.Time) error
	DeleteClosedCases(ctx context.Context, cutoff time.Time, limit int) ([]tipline.Reference, error)
	PurgeAudit(ctx context.Context, cutoff time.Time) (int, error)
}

// Outbox queues messages outside any other work, under a key that makes
// queueing them again add nothing; bot implements it.
type Outbox interface {
	Add(ctx context.Context, key string, outs []Out) error
}

// Retention applies the retention rules (G12).
type Retention struct {
	Store  RetentionStore
	Outbox Outbox
	Log    *slog.Logger
	Now    func() time.Time
	// Period is how long a closed case is kept; Audit how long audit
	// events are.
	Period time.Duration
	Audit  time.Duration
	// Location is where the deletion day is written (the NGO's time zone).
	Location *time.Location
}

// Run warns the reviewer of a closed case WarnBefore it is deleted,
// deletes closed cases past the period with everything attached, and
// purges old audit events. Open cases are never deleted. Errors are
// logged: the next run tries again.
func (r *Retention) Run(ctx context.Context) {
	now := r.Now()
	warn, err := r.Store.CasesToWarn(ctx, now.Add(-r.Period+WarnBefore))
	if err != nil {
		r.Log.Error("retention: list cases to warn about", "err", err)
	}
	for _, w := range warn {
		if w.ReviewerID != 0 {
			rv, err := r.Store.Reviewer(ctx, w.ReviewerID)
			if err == nil && rv.Active {
				deleteAt := w.ClosedAt.Add(r.Period)
				key := "retention:" + string(w.Reference) + ":" + w.ClosedAt.UTC().Format(time.RFC3339)
				out := Out{To: ToReviewer(rv), Lane: tipline.LaneBulk, Message: RetentionWarning(w.Reference, deleteAt.In(r.Location)), Protect: true}
				if err := r.Outbox.Add(ctx, key, []Out{out}); err != nil {
					r.Log.Warn("retention: warn the reviewer", "case", w.Reference, "err", err)
					continue
				}
			}
		}
		if err := r.Store.MarkRetentionWarned(ctx, w.Reference, now); err != nil {
			r.Log.Error("retention: mark warned", "case", w.Reference, "err", err)
		}
	}
	for {
		refs, err := r.Store.DeleteClosedCases(ctx, now.Add(-r.Period), 100)
		if err != nil {
			r.Log.Error("retention: delete closed cases", "err", err)
			break
		}
		for _, ref := range refs {
			r.Log.Info("retention: closed case deleted with everything attached", "case", ref)
		}
		if len(refs) < 100 {
			break
		}
	}
	if n, err := r.Store.PurgeAudit(ctx, now.Add(-r.Audit)); err != nil {
		r.Log.Error("retention: purge audit events", "err", err)
	} else if n > 0 {
		r.Log.Info("retention: old audit events purged", "count", n)
	}
}
