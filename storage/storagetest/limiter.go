package storagetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// Limiter is what both redis.Limiter and memory.Limiter
// offer: at most so many calls per key in any window.
type Limiter interface {
	Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error)
	Reset(ctx context.Context, key string) error
}

// RunLimiterContract checks that a rate limiter keeps the promises every
// implementation makes. newLimiter returns an empty limiter, the window
// the tests should use with it, and a function that lets time pass (a fake
// clock's advance, or time.Sleep for a real server: then keep the window
// short, about a second).
func RunLimiterContract(t *testing.T, newLimiter func(t *testing.T) (l Limiter, window time.Duration, wait func(time.Duration))) {
	t.Run("RefusesOverLimit", func(t *testing.T) {
		t.Parallel()
		l, window, _ := newLimiter(t)
		const limit = 3
		for i := range limit {
			mustAllow(t, l, "reporter-a", limit, window, true, i+1)
		}
		mustAllow(t, l, "reporter-a", limit, window, false, limit+1)
		mustAllow(t, l, "reporter-a", limit, window, false, limit+2)
		// Other keys have their own count.
		mustAllow(t, l, "reporter-b", limit, window, true, 1)
		mustAllow(t, l, "reporter-a:other-action", limit, window, true, 1)
		mustAllow(t, l, "reporter-a", 1, window, false, limit+3)
	})
	t.Run("AllowedAgainAfterWindow", func(t *testing.T) {
		t.Parallel()
		l, window, wait := newLimiter(t)
		const limit = 2
		mustAllow(t, l, "reporter-a", limit, window, true, 1)
		mustAllow(t, l, "reporter-a", limit, window, true, 2)
		mustAllow(t, l, "reporter-a", limit, window, false, 3)
		wait(window + window/10)
		mustAllow(t, l, "reporter-a", limit, window, true, 4)
		mustAllow(t, l, "reporter-a", limit, window, true, 5)
		mustAllow(t, l, "reporter-a", limit, window, false, 6)
	})
	t.Run("SlidingWindow", func(t *testing.T) {
		t.Parallel()
		l, window, wait := newLimiter(t)
		const limit = 2
		mustAllow(t, l, "reporter-a", limit, window, true, 1)
		wait(window / 2)
		mustAllow(t, l, "reporter-a", limit, window, true, 2)
		mustAllow(t, l, "reporter-a", limit, window, false, 3)
		// The first call has left the window, the second has not: one more.
		wait(window/2 + window/10)
		mustAllow(t, l, "reporter-a", limit, window, true, 4)
		mustAllow(t, l, "reporter-a", limit, window, false, 5)
	})
	t.Run("Reset", func(t *testing.T) {
		t.Parallel()
		l, window, _ := newLimiter(t)
		ctx := t.Context()
		mustAllow(t, l, "reporter-a", 1, window, true, 1)
		mustAllow(t, l, "reporter-a", 1, window, false, 2)
		mustAllow(t, l, "reporter-b", 1, window, true, 1)
		if err := l.Reset(ctx, "reporter-a"); err != nil {
			t.Fatalf("Reset: %v", err)
		}
		mustAllow(t, l, "reporter-a", 1, window, true, 3)
		mustAllow(t, l, "reporter-b", 1, window, false, 2)
		if err := l.Reset(ctx, "reporter-unknown"); err != nil {
			t.Fatalf("Reset of an unknown key: %v", err)
		}
	})
	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		l, window, _ := newLimiter(t)
		for _, c := range []struct {
			limit  int
			window time.Duration
		}{{0, window}, {-1, window}, {1, 0}, {1, -time.Second}} {
			if ok, err := l.Allow(t.Context(), "reporter-a", c.limit, c.window); ok || !errors.Is(err, tipline.ErrInvalid) {
				t.Errorf("Allow with limit %d, window %v = %v, %v; want ErrInvalid", c.limit, c.window, ok, err)
			}
		}
		mustAllow(t, l, "reporter-a", 1, window, true, 1)
	})
	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		l, window, _ := newLimiter(t)
		const limit, callers = 5, 40
		var allowed atomic.Int32
		var wg sync.WaitGroup
		for range callers {
			wg.Go(func() {
				ok, err := l.Allow(t.Context(), "reporter-a", limit, window)
				if err != nil {
					t.Errorf("Allow: %v", err)
				}
				if ok {
					allowed.Add(1)
				}
			})
		}
		wg.Wait()
		if n := allowed.Load(); n != limit {
			t.Fatalf("%d of %d concurrent calls allowed, want %d", n, callers, limit)
		}
	})
}

// mustAllow makes the nth call for key and fails unless Allow answers want.
func mustAllow(t *testing.T, l Limiter, key string, limit int, window time.Duration, want bool, n int) {
	t.Helper()
	got, err := l.Allow(t.Context(), key, limit, window)
	if err != nil {
		t.Fatalf("Allow(%s) call %d: %v", key, n, err)
	}
	if got != want {
		t.Fatalf("Allow(%s) call %d with limit %d = %v, want %v", key, n, limit, got, want)
	}
}

// Shared is what both redis.Shared and memory.Shared offer: sessions and
// a limiter as one, whose batch reads count calls.
type Shared interface {
	Sessions
	Limiter
}

// RunSharedContract checks that a batch read counts its calls as Allow
// does, in order, with the same logs. newShared returns empty sessions
// and limiter and the window the tests should use.
func RunSharedContract(t *testing.T, newShared func(t *testing.T) (s Shared, window time.Duration)) {
	t.Run("ReadBatchCountsAsAllow", func(t *testing.T) {
		t.Parallel()
		s, window := newShared(t)
		ctx := t.Context()
		const limit = 3
		mustAllow(t, s, "reporter-a", limit, window, true, 1)
		check := storage.Check{Key: "reporter-a", Limit: limit, Window: window}
		other := storage.Check{Key: "reporter-b", Limit: limit, Window: window}
		got, err := s.ReadBatch(ctx, storage.BatchRead{Chats: []string{"chat-a"}, Marks: []string{"lang:p1"}, Checks: []storage.Check{check, other, check, check}})
		if err != nil {
			t.Fatalf("ReadBatch with checks: %v", err)
		}
		if !slices.Equal(got.Known, []bool{true, true, true, true}) {
			t.Fatalf("ReadBatch's checks known: %v, want all", got.Known)
		}
		// The second and third calls of reporter-a fill its limit; the
		// fourth is refused, and reporter-b has a count of its own.
		if want := []bool{true, true, true, false}; !slices.Equal(got.Allowed, want) {
			t.Fatalf("ReadBatch's checks allowed: %v, want %v", got.Allowed, want)
		}
		if len(got.Sessions) != 1 || !errors.Is(got.SessionErrs[0], tipline.ErrNotFound) || !slices.Equal(got.Marks, []string{""}) {
			t.Fatalf("ReadBatch's reads beside the checks = %+v", got)
		}
		// Allow and the batch keep one log.
		mustAllow(t, s, "reporter-a", limit, window, false, 5)
		mustAllow(t, s, "reporter-b", limit, window, true, 2)
		if _, err := s.ReadBatch(ctx, storage.BatchRead{Checks: []storage.Check{{Key: "reporter-c", Limit: 0, Window: window}}}); !errors.Is(err, tipline.ErrInvalid) {
			t.Fatalf("ReadBatch with a limit of 0: %v, want ErrInvalid", err)
		}
	})
}
