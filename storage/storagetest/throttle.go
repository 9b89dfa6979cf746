package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/memory"
	"github.com/tipline/tipline/storage/redis"
)

// Throttle is what redis.Throttle and memory.Throttle offer:
// token buckets that pace sends within Telegram's limits.
type Throttle interface {
	Take(ctx context.Context, buckets ...storage.Bucket) (time.Duration, int, error)
	Hold(ctx context.Context, b storage.Bucket, d time.Duration) error
}

var (
	_ Throttle = (*redis.Throttle)(nil)
	_ Throttle = (*memory.Throttle)(nil)
)

// RunThrottleContract checks the promises of a throttle. newThrottle
// returns an empty one, with keys of its own.
func RunThrottleContract(t *testing.T, newThrottle func(t *testing.T) Throttle) {
	chat := storage.Bucket{Key: "chat:a", Rate: 1, Burst: 3}
	global := storage.Bucket{Key: "global", Rate: 30, Burst: 5}
	t.Run("BurstThenWait", func(t *testing.T) {
		t.Parallel()
		th := newThrottle(t)
		for i := range 3 {
			if wait, _, err := th.Take(t.Context(), chat); err != nil || wait != 0 {
				t.Fatalf("take %d of a burst of 3: wait %v, %v", i+1, wait, err)
			}
		}
		wait, short, err := th.Take(t.Context(), chat)
		if err != nil || wait <= 0 || wait > time.Second || short != 0 {
			t.Fatalf("fourth take = %v (bucket %d), %v; want a wait of up to 1 s", wait, short, err)
		}
	})
	t.Run("AllOrNone", func(t *testing.T) {
		t.Parallel()
		th := newThrottle(t)
		for range 3 {
			if wait, _, _ := th.Take(t.Context(), chat); wait != 0 {
				t.Fatal("burst refused")
			}
		}
		// The chat is empty: the take fails, and takes nothing from global.
		if wait, short, err := th.Take(t.Context(), chat, global); err != nil || wait <= 0 || short != 0 {
			t.Fatalf("take with the chat empty = %v (bucket %d), %v; want a wait for bucket 0", wait, short, err)
		}
		for i := range 5 {
			if wait, _, err := th.Take(t.Context(), global); err != nil || wait != 0 {
				t.Fatalf("global take %d after a refused pair: wait %v, %v; want the whole burst left", i+1, wait, err)
			}
		}
		other := storage.Bucket{Key: "chat:b", Rate: 1, Burst: 3}
		if wait, short, _ := th.Take(t.Context(), other, global); wait <= 0 || short != 1 {
			t.Fatalf("take with global empty = %v (bucket %d); want a wait for bucket 1", wait, short)
		}
	})
	t.Run("HoldAfter429", func(t *testing.T) {
		t.Parallel()
		th := newThrottle(t)
		if err := th.Hold(t.Context(), chat, 3*time.Second); err != nil {
			t.Fatalf("Hold: %v", err)
		}
		wait, _, err := th.Take(t.Context(), chat)
		if err != nil || wait < 2*time.Second {
			t.Fatalf("take after a hold of 3 s = %v, %v; want about 3 s", wait, err)
		}
	})
	t.Run("RefusesBadBuckets", func(t *testing.T) {
		t.Parallel()
		th := newThrottle(t)
		if _, _, err := th.Take(t.Context(), storage.Bucket{Key: "x", Rate: 0, Burst: 1}); err == nil {
			t.Fatal("a bucket with no rate was accepted")
		}
	})
}
