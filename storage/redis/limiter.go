package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tipline/tipline/storage"
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

// Limiter limits the rate of calls per key across every process that
// shares one Redis. Each key's log is a sorted set at prefix+"rate:"+key
// holding the allowed calls' times (by Redis's clock, so processes whose
// clocks differ agree), which expires a window after the last allowed call.
type Limiter struct {
	client *redis.Client
	prefix string
}

// NewLimiter returns a limiter keeping its logs through client under
// prefix, which separates deployments (and tests) sharing one Redis.
func NewLimiter(client *redis.Client, prefix string) *Limiter {
	return &Limiter{client: client, prefix: prefix}
}

func (l *Limiter) key(key string) string {
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
func (l *Limiter) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error) {
	keys, args, err := l.allowArgs(storage.Check{Key: key, Limit: limit, Window: window})
	if err != nil {
		return false, err
	}
	allowed, err := allowScript.Run(ctx, l.client, keys, args...).Int()
	if err != nil {
		return false, fmt.Errorf("rate limit: %w", redisErr(err))
	}
	return allowed == 1, nil
}

// allowIn adds Allow's call for c to a pipeline, by the script's hash
// alone: one the server does not hold yet answers NOSCRIPT, and that call
// was not counted (Shared.ReadBatch leaves it to the caller, whose Allow
// loads the script).
func (l *Limiter) allowIn(ctx context.Context, p redis.Pipeliner, c storage.Check) (*redis.Cmd, error) {
	keys, args, err := l.allowArgs(c)
	if err != nil {
		return nil, err
	}
	return allowScript.EvalSha(ctx, p, keys, args...), nil
}

// allowArgs are the script's keys and arguments for a call c, with a
// member of its own in the log.
func (l *Limiter) allowArgs(c storage.Check) ([]string, []any, error) {
	if err := rules.CheckLimit(c.Limit, c.Window); err != nil {
		return nil, nil, fmt.Errorf("rate limit: %w", err)
	}
	member := make([]byte, 12)
	if _, err := rand.Read(member); err != nil {
		panic("storage: crypto/rand failed: " + err.Error())
	}
	return []string{l.key(c.Key)}, []any{c.Limit, c.Window.Microseconds(), hex.EncodeToString(member)}, nil
}

// Reset forgets every call logged for key.
func (l *Limiter) Reset(ctx context.Context, key string) error {
	if err := l.client.Del(ctx, l.key(key)).Err(); err != nil {
		return fmt.Errorf("reset rate limit: %w", redisErr(err))
	}
	return nil
}
