package memory

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// Throttle is a throttle for one process: the sandbox's, and the
// fallback while Redis cannot be reached.
type Throttle struct {
	now func() time.Time
	mu  sync.Mutex
	tat map[string]time.Time
}

// NewThrottle returns an empty throttle reading the time from now
// (time.Now when nil).
func NewThrottle(now func() time.Time) *Throttle {
	if now == nil {
		now = time.Now
	}
	return &Throttle{now: now, tat: map[string]time.Time{}}
}

// TakeEach is redis.Throttle.TakeEach for one process.
func (t *Throttle) TakeEach(ctx context.Context, sets [][]storage.Bucket) ([]storage.Taken, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("throttle: %w", err)
	}
	for _, set := range sets {
		for _, b := range set {
			if b.Rate <= 0 || b.Burst < 1 {
				return nil, fmt.Errorf("throttle %s: %w", b.Key, tipline.ErrInvalid)
			}
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	out := make([]storage.Taken, len(sets))
	for s, set := range sets {
		news := make([]time.Time, len(set))
		var due time.Duration
		for i, b := range set {
			iv := time.Duration(rules.Interval(b.Rate)) * time.Microsecond
			tat := t.tat[b.Key]
			if tat.Before(now) {
				tat = now
			}
			news[i] = tat.Add(iv)
			in := news[i].Add(-iv * time.Duration(b.Burst)).Sub(now) // until its token is there
			switch {
			case in > b.Ahead && in > out[s].Wait:
				out[s] = storage.Taken{Wait: in, Short: i}
			case in > b.Ahead:
			case in > due:
				due = in
			}
		}
		if out[s].Wait > 0 {
			continue
		}
		out[s].Due = due
		for i, b := range set {
			t.tat[b.Key] = news[i]
		}
	}
	if len(t.tat) > 100000 {
		for k, tat := range t.tat {
			if tat.Before(now) {
				delete(t.tat, k)
			}
		}
	}
	return out, nil
}

// Hold is redis.Throttle.Hold for one process.
func (t *Throttle) Hold(ctx context.Context, b storage.Bucket, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("throttle hold: %w", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	until := t.now().Add(d).Add(time.Duration(rules.Interval(b.Rate)*int64(b.Burst-1)) * time.Microsecond)
	if t.tat[b.Key].Before(until) {
		t.tat[b.Key] = until
	}
	return nil
}
