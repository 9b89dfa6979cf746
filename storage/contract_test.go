package storage_test

import (
	"sync"
	"testing"
	"time"

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
		clock := &fakeClock{now: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
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
		clock := &fakeClock{now: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
		return storage.NewMemoryLimiter(clock.Now), time.Minute, clock.Advance
	})
}

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
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
