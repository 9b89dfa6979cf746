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
	TakeEach(ctx context.Context, sets [][]storage.Bucket) ([]storage.Taken, error)
	Hold(ctx context.Context, b storage.Bucket, d time.Duration) error
}

var (
	_ Throttle = (*redis.Throttle)(nil)
	_ Throttle = (*memory.Throttle)(nil)
)

// take is TakeEach for one set: the wait (0 when taken) and the short
// bucket.
func take(t *testing.T, th Throttle, buckets ...storage.Bucket) (time.Duration, int, error) {
	taken, err := th.TakeEach(t.Context(), [][]storage.Bucket{buckets})
	if err != nil {
		return 0, 0, err
	}
	if len(taken) != 1 {
		t.Fatalf("TakeEach of one set gave %d results", len(taken))
	}
	return taken[0].Wait, taken[0].Short, nil
}

// RunThrottleContract checks the promises of a throttle. newThrottle
// returns an empty one, with keys of its own.
func RunThrottleContract(t *testing.T, newThrottle func(t *testing.T) Throttle) {
	chat := storage.Bucket{Key: "chat:a", Rate: 1, Burst: 3}
	global := storage.Bucket{Key: "global", Rate: 30, Burst: 5}
	t.Run("BurstThenWait", func(t *testing.T) {
		t.Parallel()
		th := newThrottle(t)
		for i := range 3 {
			if wait, _, err := take(t, th, chat); err != nil || wait != 0 {
				t.Fatalf("take %d of a burst of 3: wait %v, %v", i+1, wait, err)
			}
		}
		wait, short, err := take(t, th, chat)
		if err != nil || wait <= 0 || wait > time.Second || short != 0 {
			t.Fatalf("fourth take = %v (bucket %d), %v; want a wait of up to 1 s", wait, short, err)
		}
	})
	t.Run("AllOrNone", func(t *testing.T) {
		t.Parallel()
		th := newThrottle(t)
		for range 3 {
			if wait, _, _ := take(t, th, chat); wait != 0 {
				t.Fatal("burst refused")
			}
		}
		// The chat is empty: the take fails, and takes nothing from global.
		if wait, short, err := take(t, th, chat, global); err != nil || wait <= 0 || short != 0 {
			t.Fatalf("take with the chat empty = %v (bucket %d), %v; want a wait for bucket 0", wait, short, err)
		}
		for i := range 5 {
			if wait, _, err := take(t, th, global); err != nil || wait != 0 {
				t.Fatalf("global take %d after a refused pair: wait %v, %v; want the whole burst left", i+1, wait, err)
			}
		}
		other := storage.Bucket{Key: "chat:b", Rate: 1, Burst: 3}
		if wait, short, _ := take(t, th, other, global); wait <= 0 || short != 1 {
			t.Fatalf("take with global empty = %v (bucket %d); want a wait for bucket 1", wait, short)
		}
	})
	t.Run("HoldAfter429", func(t *testing.T) {
		t.Parallel()
		th := newThrottle(t)
		if err := th.Hold(t.Context(), chat, 3*time.Second); err != nil {
			t.Fatalf("Hold: %v", err)
		}
		wait, _, err := take(t, th, chat)
		if err != nil || wait < 2*time.Second {
			t.Fatalf("take after a hold of 3 s = %v, %v; want about 3 s", wait, err)
		}
	})
	t.Run("TakeEachAsTakesInTurn", func(t *testing.T) {
		t.Parallel()
		th := newThrottle(t)
		chatB := storage.Bucket{Key: "chat:b", Rate: 1, Burst: 1}
		// Six sends in one call: chat a's burst of 3 goes, its fourth
		// waits; chat b's one goes, its second waits; global's 5 are
		// shared by the sets in turn, so the last set finds it empty.
		sets := [][]storage.Bucket{{chat, global}, {chat, global}, {chatB, global}, {chatB, global}, {chat, global}, {chat, global}, {storage.Bucket{Key: "chat:c", Rate: 1, Burst: 3}, global}}
		taken, err := th.TakeEach(t.Context(), sets)
		if err != nil || len(taken) != len(sets) {
			t.Fatalf("TakeEach = %v, %v; want one result a set", taken, err)
		}
		wantTaken := []bool{true, true, true, false, true, false, true}
		wantShort := []int{0, 0, 0, 0, 0, 0, 0}
		for i, tk := range taken {
			if (tk.Wait == 0) != wantTaken[i] || tk.Short != wantShort[i] {
				t.Errorf("set %d: wait %v (bucket %d); want taken %v", i, tk.Wait, tk.Short, wantTaken[i])
			}
		}
		// 5 sets took a token from global: its burst is spent, and what a
		// refused set did not take is still there for no one.
		if wait, short, _ := take(t, th, storage.Bucket{Key: "chat:d", Rate: 1, Burst: 3}, global); wait <= 0 || short != 1 {
			t.Fatalf("take after the batch = %v (bucket %d); want global empty", wait, short)
		}
		// The sets refused took nothing from their chat: chat b's second
		// token comes after one interval, not two.
		if taken[3].Wait > time.Second {
			t.Errorf("chat b's refused set waits %v, want at most 1 s", taken[3].Wait)
		}
		if none, err := th.TakeEach(t.Context(), nil); err != nil || len(none) != 0 {
			t.Errorf("TakeEach of nothing = %v, %v", none, err)
		}
	})
	t.Run("AheadReservesTokensDueLater", func(t *testing.T) {
		t.Parallel()
		th := newThrottle(t)
		// 10 a second, a burst of 1, reserved up to a quarter second
		// ahead: now, in 100 ms, in 200 ms; the fourth would be due in
		// 300 ms and is refused, taking nothing.
		bot := storage.Bucket{Key: "global", Rate: 10, Burst: 1, Ahead: 250 * time.Millisecond}
		sets := [][]storage.Bucket{{bot}, {bot}, {bot}, {bot}}
		taken, err := th.TakeEach(t.Context(), sets)
		if err != nil || len(taken) != 4 {
			t.Fatalf("TakeEach = %v, %v", taken, err)
		}
		for i, want := range []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond} {
			if taken[i].Wait != 0 || taken[i].Due < want-20*time.Millisecond || taken[i].Due > want {
				t.Errorf("set %d: due %v, wait %v; want taken, due in about %v", i, taken[i].Due, taken[i].Wait, want)
			}
		}
		if taken[3].Wait <= 250*time.Millisecond || taken[3].Due != 0 {
			t.Errorf("fourth set: wait %v, due %v; want refused, waiting past the quarter second", taken[3].Wait, taken[3].Due)
		}
		// A bucket with no Ahead takes only what is there, in the same set:
		// a chat short now refuses its set, and the bot's reservation is
		// not made.
		chatA := storage.Bucket{Key: "chat:ahead", Rate: 1, Burst: 1}
		if w, _, _ := take(t, th, chatA); w != 0 {
			t.Fatal("the chat's first token refused")
		}
		if w, short, _ := take(t, th, chatA, bot); w <= 0 || short != 0 {
			t.Fatalf("chat empty: wait %v (bucket %d); want the chat short", w, short)
		}
		// A hold pushes reservations past it.
		if err := th.Hold(t.Context(), bot, 2*time.Second); err != nil {
			t.Fatal(err)
		}
		if w, short, _ := take(t, th, bot); w < time.Second || short != 0 {
			t.Errorf("take during a hold of 2 s: wait %v (bucket %d); want refused", w, short)
		}
	})
	t.Run("RefusesBadBuckets", func(t *testing.T) {
		t.Parallel()
		th := newThrottle(t)
		if _, _, err := take(t, th, storage.Bucket{Key: "x", Rate: 0, Burst: 1}); err == nil {
			t.Fatal("a bucket with no rate was accepted")
		}
	})
}
