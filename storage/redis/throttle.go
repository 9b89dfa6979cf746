package redis

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// A throttle paces the bot's sends within Telegram's limits (G11), by the
// generic cell rate algorithm: each bucket keeps the time its next token
// is due (its "theoretical arrival time"), so a take is one comparison.

// Throttle keeps its buckets in Redis, so every bot process shares
// them: 30 messages a second is Telegram's limit for the bot, not for one
// process.
type Throttle struct {
	client *redis.Client
	prefix string
}

// NewThrottle returns a throttle keeping its buckets through client
// under prefix.
func NewThrottle(client *redis.Client, prefix string) *Throttle {
	return &Throttle{client: client, prefix: prefix}
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

// Take takes a token from every bucket, all or none. It returns 0 when it
// took them, or how long until the short bucket (its index) has one.
func (t *Throttle) Take(ctx context.Context, buckets ...storage.Bucket) (time.Duration, int, error) {
	keys := make([]string, len(buckets))
	args := make([]any, 0, 2*len(buckets))
	for i, b := range buckets {
		if b.Rate <= 0 || b.Burst < 1 {
			return 0, 0, fmt.Errorf("throttle %s: %w", b.Key, tipline.ErrInvalid)
		}
		keys[i] = t.prefix + "pace:" + b.Key
		args = append(args, rules.Interval(b.Rate), b.Burst)
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
func (t *Throttle) Hold(ctx context.Context, b storage.Bucket, d time.Duration) error {
	err := holdScript.Run(ctx, t.client, []string{t.prefix + "pace:" + b.Key}, d.Microseconds(), rules.Interval(b.Rate)*int64(b.Burst-1)).Err()
	if err != nil {
		return fmt.Errorf("throttle hold: %w", redisErr(err))
	}
	return nil
}
