package memory

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tipline/tipline/storage/internal/rules"
)

// Both limiters keep a sliding log: the times of the calls they allowed in
// the last window, per key. A call is allowed when fewer than limit calls
// were allowed in the window before it, so no stretch of time as long as
// the window ever holds more than limit allowed calls (a fixed window lets
// twice the limit through across its boundary). Refused calls are not
// logged: a reporter who keeps trying is let through again once the window
// has passed since their oldest allowed call. A key should always be
// checked with the same limit and window.

// Limiter limits the rate of calls per key in one process, for the
// sandbox, with the same behaviour as redis.Limiter. It is safe for
// concurrent use.
type Limiter struct {
	now func() time.Time

	mu        sync.Mutex
	logs      map[string]*memRateLog
	nextSweep time.Time
}

type memRateLog struct {
	calls  []time.Time // allowed calls, oldest first
	window time.Duration
}

// NewLimiter returns a limiter reading the time from now (time.Now
// when nil).
func NewLimiter(now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{now: now, logs: map[string]*memRateLog{}}
}

// Allow tells whether a call for key is allowed, as redis.Limiter.Allow does.
func (l *Limiter) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("rate limit: %w", err)
	}
	if err := rules.CheckLimit(limit, window); err != nil {
		return false, fmt.Errorf("rate limit: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	// Drop the logs of keys that went quiet, once per window, so they do
	// not pile up.
	if !now.Before(l.nextSweep) {
		for k, rl := range l.logs {
			if len(rl.calls) == 0 || !rl.calls[len(rl.calls)-1].After(now.Add(-rl.window)) {
				delete(l.logs, k)
			}
		}
		l.nextSweep = now.Add(window)
	}
	rl := l.logs[key]
	if rl == nil {
		rl = &memRateLog{}
		l.logs[key] = rl
	}
	rl.window = window
	start := now.Add(-window)
	expired := 0
	for expired < len(rl.calls) && !rl.calls[expired].After(start) {
		expired++
	}
	rl.calls = rl.calls[expired:]
	if len(rl.calls) >= limit {
		return false, nil
	}
	rl.calls = append(rl.calls, now)
	return true, nil
}

// Reset forgets every call logged for key.
func (l *Limiter) Reset(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("reset rate limit: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.logs, key)
	return nil
}
