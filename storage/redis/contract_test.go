package redis_test

import (
	"testing"
	"time"

	"github.com/tipline/tipline/keys"
	redisstore "github.com/tipline/tipline/storage/redis"
	"github.com/tipline/tipline/storage/storagetest"
)

func TestRedisSessionsContract(t *testing.T) {
	storagetest.RunSessionsContract(t, func(t *testing.T) (storagetest.Sessions, time.Duration, func(time.Duration)) {
		client, prefix := storagetest.NewRedis(t)
		const ttl = 400 * time.Millisecond
		return redisstore.NewSessions(client, prefix, ttl, keys.NewRandomRing()), ttl, time.Sleep
	})
}

func TestRedisLimiterContract(t *testing.T) {
	storagetest.RunLimiterContract(t, func(t *testing.T) (storagetest.Limiter, time.Duration, func(time.Duration)) {
		client, prefix := storagetest.NewRedis(t)
		return redisstore.NewLimiter(client, prefix), time.Second, time.Sleep
	})
}

func TestRedisThrottleContract(t *testing.T) {
	storagetest.RunThrottleContract(t, func(t *testing.T) storagetest.Throttle {
		client, prefix := storagetest.NewRedis(t)
		return redisstore.NewThrottle(client, prefix)
	})
}

func TestRedisSharedContract(t *testing.T) {
	storagetest.RunSharedContract(t, func(t *testing.T) (storagetest.Shared, time.Duration) {
		client, prefix := storagetest.NewRedis(t)
		return redisstore.NewShared(client, prefix, time.Minute, keys.NewRandomRing()), time.Second
	})
}
