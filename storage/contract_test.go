package storage_test

import (
	"testing"
	"time"

	"github.com/tipline/tipline/internal/testclock"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/storagetest"
)

func TestPostgresContract(t *testing.T) {
	storagetest.RunContract(t, func(t *testing.T) storagetest.Store {
		store, _ := storagetest.NewPostgres(t, keys.NewRandomRing())
		return store
	})
}

func TestMemoryContract(t *testing.T) {
	storagetest.RunContract(t, func(t *testing.T) storagetest.Store {
		return storage.NewMemory(time.Now)
	})
}

func TestRedisSessionsContract(t *testing.T) {
	storagetest.RunSessionsContract(t, func(t *testing.T) (storagetest.Sessions, time.Duration, func(time.Duration)) {
		client, prefix := storagetest.NewRedis(t)
		const ttl = 400 * time.Millisecond
		return storage.NewRedisSessions(client, prefix, ttl, keys.NewRandomRing()), ttl, time.Sleep
	})
}

func TestMemorySessionsContract(t *testing.T) {
	storagetest.RunSessionsContract(t, func(t *testing.T) (storagetest.Sessions, time.Duration, func(time.Duration)) {
		clock := testclock.New(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
		const ttl = 24 * time.Hour
		return storage.NewMemorySessions(ttl, clock.Now), ttl, clock.Advance
	})
}

func TestRedisLimiterContract(t *testing.T) {
	storagetest.RunLimiterContract(t, func(t *testing.T) (storagetest.Limiter, time.Duration, func(time.Duration)) {
		client, prefix := storagetest.NewRedis(t)
		return storage.NewRedisLimiter(client, prefix), time.Second, time.Sleep
	})
}

func TestMemoryLimiterContract(t *testing.T) {
	storagetest.RunLimiterContract(t, func(t *testing.T) (storagetest.Limiter, time.Duration, func(time.Duration)) {
		clock := testclock.New(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
		return storage.NewMemoryLimiter(clock.Now), time.Minute, clock.Advance
	})
}

func TestRedisThrottleContract(t *testing.T) {
	storagetest.RunThrottleContract(t, func(t *testing.T) storagetest.Throttle {
		client, prefix := storagetest.NewRedis(t)
		return storage.NewRedisThrottle(client, prefix)
	})
}

func TestMemoryThrottleContract(t *testing.T) {
	storagetest.RunThrottleContract(t, func(t *testing.T) storagetest.Throttle {
		return storage.NewMemoryThrottle(nil)
	})
}
