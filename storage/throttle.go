package storage

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Bucket is one rate limit: Rate tokens a second, up to Burst at once.
type Bucket struct {
	Key   string
	Rate  float64
	Burst int
}

// A throttle paces the bot's sends within Telegram's limits (G11), by the
// generic cell rate algorithm: each bucket keeps the time its next token
// is due (its "theoretical arrival time"), so a take is one comparison.

// RedisThrottle keeps its buckets in Redis, so every bot process shares
// them: 30 messages a second is Telegram's limit for the bot, not for one
// process.
type RedisThrottle struct {
	client *redis.Client
	prefix string
}

// NewRedisThrottle returns a throttle keeping its buckets through client
// under prefix.
func NewRedisThrottle(client *redis.Client, prefix string) *RedisThrottle {
	return &RedisThrottle{client: client, prefix: prefix}
}

// takeScript takes a token from every bucket KEYS[i] (emission interval
// ARGV[2i-1] and burst ARGV[2i], in microseconds and tokens), all or none.
// It returns {0, 0} when taken, or {wait in microseconds, i} for the
// bucket that is short longest.
var takeScript = redis.NewScript(`
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local news = {}
local wait, short = 0, 0
for i, key in ipairs(KEYS) do
	local interval = tonumber(ARGV[2*i-1])
	local burst = tonumber(ARGV[2*i])
	local tat = tonumber(redis.call('GET', key) or '0')
	if tat < now then tat = now end
	local new = tat + interval
	local allow = new - interval * burst
	if allow > now then
		if allow - now > wait then wait, short = allow - now, i end
	end
	news[i] = new
end
if wait > 0 then return {wait, short} end
for i, key in ipairs(KEYS) do
	redis.call('SET', key, news[i], 'PX', math.ceil((news[i] - now) / 1000) + 1000)
end
return {0, 0}
`)

// holdScript makes bucket KEYS[1] give nothing for ARGV[1] microseconds.
var holdScript = redis.NewScript(`
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local until_ = now + tonumber(ARGV[1]) + tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < until_ then
	redis.call('SET', KEYS[1], until_, 'PX', math.ceil((until_ - now) / 1000) + 1000)
end
return 0
`)

func interval(rate float64) int64 { return int64(float64(time.Second/time.Microsecond) / rate) }

// Take takes a token from every bucket, all or none. It returns 0 when it
// took them, or how long until the short bucket (its index) has one.
func (t *RedisThrottle) Take(ctx context.Context, buckets ...Bucket) (time.Duration, int, error) {
	keys := make([]string, len(buckets))
	args := make([]any, 0, 2*len(buckets))
	for i, b := range buckets {
		if b.Rate <= 0 || b.Burst < 1 {
			return 0, 0, fmt.Errorf("throttle %s: %w", b.Key, ErrInvalid)
		}
		keys[i] = t.prefix + "pace:" + b.Key
		args = append(args, interval(b.Rate), b.Burst)
	}
	res, err := takeScript.Run(ctx, t.client, keys, args...).Int64Slice()
	if err != nil {
		return 0, 0, fmt.Errorf("throttle: %w", redisErr(err))
	}
	if res[0] <= 0 {
		return 0, 0, nil
	}
	return time.Duration(res[0]) * time.Microsecond, int(res[1]) - 1, nil
}

// Hold makes a bucket give nothing for d (Telegram said retry_after); the
// bucket's rate is needed to leave it empty, not full, when d ends.
func (t *RedisThrottle) Hold(ctx context.Context, b Bucket, d time.Duration) error {
	err := holdScript.Run(ctx, t.client, []string{t.prefix + "pace:" + b.Key}, d.Microseconds(), interval(b.Rate)*int64(b.Burst-1)).Err()
	if err != nil {
		return fmt.Errorf("throttle hold: %w", redisErr(err))
	}
	return nil
}

// MemoryThrottle is a throttle for one process: the sandbox's, and the
// fallback while Redis cannot be reached.
type MemoryThrottle struct {
	now func() time.Time
	mu  sync.Mutex
	tat map[string]time.Time
}

// NewMemoryThrottle returns an empty throttle reading the time from now
// (time.Now when nil).
func NewMemoryThrottle(now func() time.Time) *MemoryThrottle {
	if now == nil {
		now = time.Now
	}
	return &MemoryThrottle{now: now, tat: map[string]time.Time{}}
}

// Take is RedisThrottle.Take for one process.
func (t *MemoryThrottle) Take(ctx context.Context, buckets ...Bucket) (time.Duration, int, error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, fmt.Errorf("throttle: %w", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	news := make([]time.Time, len(buckets))
	var wait time.Duration
	short := 0
	for i, b := range buckets {
		if b.Rate <= 0 || b.Burst < 1 {
			return 0, 0, fmt.Errorf("throttle %s: %w", b.Key, ErrInvalid)
		}
		iv := time.Duration(interval(b.Rate)) * time.Microsecond
		tat := t.tat[b.Key]
		if tat.Before(now) {
			tat = now
		}
		news[i] = tat.Add(iv)
		if allow := news[i].Add(-iv * time.Duration(b.Burst)); allow.After(now) && allow.Sub(now) > wait {
			wait, short = allow.Sub(now), i
		}
	}
	if wait > 0 {
		return wait, short, nil
	}
	for i, b := range buckets {
		t.tat[b.Key] = news[i]
	}
	if len(t.tat) > 100000 {
		for k, tat := range t.tat {
			if tat.Before(now) {
				delete(t.tat, k)
			}
		}
	}
	return 0, 0, nil
}

// Hold is RedisThrottle.Hold for one process.
func (t *MemoryThrottle) Hold(ctx context.Context, b Bucket, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("throttle hold: %w", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	until := t.now().Add(d).Add(time.Duration(interval(b.Rate)*int64(b.Burst-1)) * time.Microsecond)
	if t.tat[b.Key].Before(until) {
		t.tat[b.Key] = until
	}
	return nil
}
