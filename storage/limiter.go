package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Both limiters keep a sliding log: the times of the calls they allowed in
// the last window, per key. A call is allowed when fewer than limit calls
// were allowed in the window before it, so no stretch of time as long as
// the window ever holds more than limit allowed calls (a fixed window lets
// twice the limit through across its boundary). Refused calls are not
// logged: a reporter who keeps trying is let through again once the window
// has passed since their oldest allowed call. A key should always be
// checked with the same limit and window.

// checkLimit refuses a limit no call could pass or a window that never ends.
func checkLimit(limit int, window time.Duration) error {
	switch {
	case limit < 1:
		return fmt.Errorf("%w: rate limit below 1", ErrInvalid)
	case window <= 0:
		return fmt.Errorf("%w: rate limit window not positive", ErrInvalid)
	}
	return nil
}

// RedisLimiter limits the rate of calls per key across every process that
// shares one Redis. Each key's log is a sorted set at prefix+"rate:"+key
// holding the allowed calls' times (by Redis's clock, so processes whose
// clocks differ agree), which expires a window after the last allowed call.
type RedisLimiter struct {
	client *redis.Client
	prefix string
}

// NewRedisLimiter returns a limiter keeping its logs through client under
// prefix, which separates deployments (and tests) sharing one Redis.
func NewRedisLimiter(client *redis.Client, prefix string) *RedisLimiter {
	return &RedisLimiter{client: client, prefix: prefix}
}

func (l *RedisLimiter) key(key string) string {
	return l.prefix + "rate:" + key
}

// allowScript drops calls older than the window from the log at KEYS[1],
// then logs this call under the unique member ARGV[3] if fewer than
// ARGV[1] remain, all at once. ARGV[2] is the window in microseconds.
// It returns 1 when the call is allowed, 0 when not.
var allowScript = redis.NewScript(`
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
	return 0
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
return 1
`)

// Allow tells whether a call for key is allowed: true when fewer than
// limit calls for it were allowed in the last window, and logs it then.
// It gives ErrInvalid for a limit below 1 or a window that is not positive.
func (l *RedisLimiter) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error) {
	if err := checkLimit(limit, window); err != nil {
		return false, fmt.Errorf("rate limit: %w", err)
	}
	member := make([]byte, 12)
	if _, err := rand.Read(member); err != nil {
		panic("storage: crypto/rand failed: " + err.Error())
	}
	allowed, err := allowScript.Run(ctx, l.client, []string{l.key(key)},
		limit, window.Microseconds(), hex.EncodeToString(member)).Int()
	if err != nil {
		return false, fmt.Errorf("rate limit: %w", redisErr(err))
	}
	return allowed == 1, nil
}

// Reset forgets every call logged for key.
func (l *RedisLimiter) Reset(ctx context.Context, key string) error {
	if err := l.client.Del(ctx, l.key(key)).Err(); err != nil {
		return fmt.Errorf("reset rate limit: %w", redisErr(err))
	}
	return nil
}

// MemoryLimiter limits the rate of calls per key in one process, for the
// sandbox, with the same behaviour as RedisLimiter. It is safe for
// concurrent use.
type MemoryLimiter struct {
	now func() time.Time

	mu        sync.Mutex
	logs      map[string]*memRateLog
	nextSweep time.Time
}

type memRateLog struct {
	calls  []time.Time // allowed calls, oldest first
	window time.Duration
}

// NewMemoryLimiter returns a limiter reading the time from now (time.Now
// when nil).
func NewMemoryLimiter(now func() time.Time) *MemoryLimiter {
	if now == nil {
		now = time.Now
	}
	return &MemoryLimiter{now: now, logs: map[string]*memRateLog{}}
}

// Allow tells whether a call for key is allowed, as RedisLimiter.Allow does.
func (l *MemoryLimiter) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("rate limit: %w", err)
	}
	if err := checkLimit(limit, window); err != nil {
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
func (l *MemoryLimiter) Reset(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("reset rate limit: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.logs, key)
	return nil
}
