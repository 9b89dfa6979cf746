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

// takeScript takes, for each set of buckets in turn, a token from every
// bucket of the set, all or none. ARGV[1] is the number of sets; then,
// for each set, its size n and n triples of emission interval, burst and
// ahead (in microseconds, tokens and microseconds) for its keys, which
// follow one another in KEYS (a bucket in several sets, the bot's global
// one, appears once a set). A bucket's token may be taken while it is
// not there yet, if it will be within ahead. The script returns, for each
// set, {0, 0, due in microseconds} when taken, or {wait in microseconds,
// i, 0} for the bucket that is short longest.
var takeScript = redis.NewScript(`
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tats, dirty, out = {}, {}, {}
local k, a = 1, 2
for s = 1, tonumber(ARGV[1]) do
	local n = tonumber(ARGV[a])
	a = a + 1
	local news = {}
	local wait, short, due = 0, 0, 0
	for i = 1, n do
		local key = KEYS[k]
		local interval = tonumber(ARGV[a])
		local burst = tonumber(ARGV[a+1])
		local ahead = tonumber(ARGV[a+2])
		k, a = k + 1, a + 3
		local tat = tats[key]
		if tat == nil then tat = tonumber(redis.call('GET', key) or '0') end
		if tat < now then tat = now end
		local new = tat + interval
		local within = new - interval * burst - now
		if within > ahead then
			if within > wait then wait, short = within, i end
		elseif within > due then
			due = within
		end
		news[i] = {key, new}
	end
	if wait == 0 then
		for _, kv in ipairs(news) do
			tats[kv[1]] = kv[2]
			dirty[kv[1]] = true
		end
	else
		due = 0
	end
	out[#out+1] = wait
	out[#out+1] = short
	out[#out+1] = due
end
for key in pairs(dirty) do
	redis.call('SET', key, tats[key], 'PX', math.ceil((tats[key] - now) / 1000) + 1000)
end
return out
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

// TakeEach takes, for each set of buckets in turn, a token from every
// bucket of the set, all or none, in one round trip and one script: a set
// short of a token takes nothing and does not stop the sets after it. The
// dispatcher takes for the batch it claimed with one call. A token taken
// for a message that is then not sent is not given back: it expires, as
// every token does, one emission interval later (GCRA keeps a time, not a
// count), so it delays the bucket by that interval at most.
func (t *Throttle) TakeEach(ctx context.Context, sets [][]storage.Bucket) ([]storage.Taken, error) {
	if len(sets) == 0 {
		return nil, nil
	}
	var keys []string
	args := []any{len(sets)}
	for _, set := range sets {
		args = append(args, len(set))
		for _, b := range set {
			if b.Rate <= 0 || b.Burst < 1 {
				return nil, fmt.Errorf("throttle %s: %w", b.Key, tipline.ErrInvalid)
			}
			keys = append(keys, t.prefix+"pace:"+b.Key)
			args = append(args, rules.Interval(b.Rate), b.Burst, b.Ahead.Microseconds())
		}
	}
	res, err := takeScript.Run(ctx, t.client, keys, args...).Int64Slice()
	if err != nil {
		return nil, fmt.Errorf("throttle: %w", redisErr(err))
	}
	out := make([]storage.Taken, len(sets))
	for i := range out {
		w, short, due := res[3*i], res[3*i+1], res[3*i+2]
		if w > 0 {
			out[i] = storage.Taken{Wait: time.Duration(w) * time.Microsecond, Short: int(short) - 1}
		} else {
			out[i] = storage.Taken{Due: time.Duration(due) * time.Microsecond}
		}
	}
	return out, nil
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
