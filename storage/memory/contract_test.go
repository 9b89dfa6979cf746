package memory_test

import (
	"testing"
	"time"

	"github.com/tipline/tipline/internal/testclock"
	"github.com/tipline/tipline/storage/memory"
	"github.com/tipline/tipline/storage/storagetest"
)

func TestMemoryContract(t *testing.T) {
	storagetest.RunContract(t, func(t *testing.T) (storagetest.Store, storagetest.Peek) {
		s := memory.New(time.Now)
		return s, s.Peek()
	})
}

func TestMemorySessionsContract(t *testing.T) {
	storagetest.RunSessionsContract(t, func(t *testing.T) (storagetest.Sessions, time.Duration, func(time.Duration)) {
		clock := testclock.New(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
		const ttl = 24 * time.Hour
		return memory.NewSessions(ttl, clock.Now), ttl, clock.Advance
	})
}

func TestMemoryLimiterContract(t *testing.T) {
	storagetest.RunLimiterContract(t, func(t *testing.T) (storagetest.Limiter, time.Duration, func(time.Duration)) {
		clock := testclock.New(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
		return memory.NewLimiter(clock.Now), time.Minute, clock.Advance
	})
}

func TestMemoryThrottleContract(t *testing.T) {
	storagetest.RunThrottleContract(t, func(t *testing.T) storagetest.Throttle {
		return memory.NewThrottle(nil)
	})
}

func TestMemorySharedContract(t *testing.T) {
	storagetest.RunSharedContract(t, func(t *testing.T) (storagetest.Shared, time.Duration) {
		clock := testclock.New(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
		return memory.NewShared(24*time.Hour, clock.Now), time.Minute
	})
}
