package claimloop

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestClaimLoopHandsFailuresAndDrain holds the loop both the workers and
// the dispatchers run to what they rely on: never more items in hand than
// hands, each claimed item handled once, a failing store logged once until
// it reads again, and a drained loop ending by itself.
func TestClaimLoopHandsFailuresAndDrain(t *testing.T) {
	var (
		mu       sync.Mutex
		next     int
		fails    = 2 // the first claims fail
		inHand   atomic.Int32
		most     atomic.Int32
		handled  = map[int]int{}
		draining atomic.Bool
		logs     bytes.Buffer
	)
	const total, hands = 40, 3
	release := make(chan struct{})
	l := Loop[int]{
		What:  "inbox",
		Hands: hands,
		Claim: func(ctx context.Context, n int) ([]int, error) {
			mu.Lock()
			defer mu.Unlock()
			if fails > 0 {
				fails--
				return nil, errors.New("database down")
			}
			if n > hands {
				t.Errorf("asked for %d, more than %d hands", n, hands)
			}
			var items []int
			for ; n > 0 && next < total; n-- {
				items = append(items, next)
				next++
			}
			if next == total {
				draining.Store(true)
			}
			return items, nil
		},
		Handle: func(item int, _ func()) {
			if n := inHand.Add(1); n > most.Load() {
				most.Store(n)
			}
			<-release
			mu.Lock()
			handled[item]++
			mu.Unlock()
			inHand.Add(-1)
		},
		Drained: func(busy int) bool { return draining.Load() && busy == 0 },
		Wake:    make(chan struct{}),
		Idle:    time.Millisecond,
		Log:     slog.New(slog.NewTextHandler(&logs, nil)),
	}
	go func() {
		for range total {
			release <- struct{}{}
		}
	}()
	var wg sync.WaitGroup
	l.Run(t.Context(), &wg) // returns once drained
	wg.Wait()

	if most.Load() > hands {
		t.Errorf("%d items in hand at once, want at most %d", most.Load(), hands)
	}
	if len(handled) != total {
		t.Errorf("handled %d items, want %d", len(handled), total)
	}
	for item, n := range handled {
		if n != 1 {
			t.Errorf("item %d handled %d times", item, n)
		}
	}
	out := logs.String()
	if c := strings.Count(out, "cannot read the inbox"); c != 1 {
		t.Errorf("the failing store logged %d times, want once:\n%s", c, out)
	}
	if !strings.Contains(out, "inbox readable again") {
		t.Errorf("no word that the store reads again:\n%s", out)
	}
}

// TestFreeGivesTheHandBack: a handler that gives its hand back (free)
// lets the loop claim and handle the next item while it is still running,
// and calling free more than once, or returning after it, frees no
// second hand.
func TestFreeGivesTheHandBack(t *testing.T) {
	var (
		mu     sync.Mutex
		next   int
		second = make(chan struct{})
		done   = make(chan struct{})
		most   atomic.Int32
		inHand atomic.Int32
	)
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	l := Loop[int]{
		What:  "inbox",
		Hands: 1,
		Claim: func(ctx context.Context, n int) ([]int, error) {
			mu.Lock()
			defer mu.Unlock()
			if n != 1 {
				t.Errorf("asked for %d, want 1: one hand", n)
			}
			if next == 3 {
				return nil, nil
			}
			next++
			return []int{next}, nil
		},
		Handle: func(item int, free func()) {
			switch item {
			case 1:
				free()
				free()
				<-second // handled while item 1 still runs
			case 2:
				if n := inHand.Add(1); n > most.Load() {
					most.Store(n)
				}
				close(second)
				time.Sleep(10 * time.Millisecond) // item 1 returns meanwhile
				inHand.Add(-1)
			case 3:
				if n := inHand.Add(1); n > most.Load() {
					most.Store(n)
				}
				inHand.Add(-1)
				close(done)
			}
		},
		Wake: make(chan struct{}),
		Idle: time.Millisecond,
		Log:  slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)),
	}
	var wg sync.WaitGroup
	go func() {
		<-done
		stop()
	}()
	l.Run(ctx, &wg)
	wg.Wait()
	select {
	case <-second:
	default:
		t.Fatal("item 2 was not handled while item 1 held no hand")
	}
	if most.Load() > 1 {
		t.Errorf("items 2 and 3 in hand at once (%d): item 1 freed a second hand", most.Load())
	}
}
