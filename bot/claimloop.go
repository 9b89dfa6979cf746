package bot

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// claimLoop is what the inbox's workers and the outbox's dispatchers share:
// claim as much as there are free hands, hand each item to a goroutine of
// its own, and between claims wait for a wake-up, a free hand or the idle
// time. Its failure and idle behaviour are one, so the two cannot drift: a
// store that cannot be read is logged once until it can again, and tried
// every half second.
type claimLoop[T any] struct {
	what  string // "inbox" or "outbox", for the log
	hands int    // items in hand at most
	claim func(ctx context.Context, n int) ([]T, error)
	// claimed, if set, sees each claimed batch before its items start
	// (the workers read the batch's sessions in one round trip).
	claimed func(ctx context.Context, items []T)
	handle  func(item T)
	// before, if set, runs before each claim; it returns again to skip
	// this round (the dispatcher probing Telegram) or stop to end the loop.
	before func(ctx context.Context) (again, stop bool)
	// drained, if set, is asked when a claim came back empty: true ends
	// the loop (the dispatcher at shutdown, with nothing left in hand).
	drained func(inHand int) bool
	wake    <-chan struct{}
	idle    time.Duration
	log     *slog.Logger
}

// run claims and hands out until ctx ends, a claim fails because ctx
// ended, or a hook stops it. Items in hand are counted in wg; run does not
// wait for them, so each caller chooses how long to give them.
func (l claimLoop[T]) run(ctx context.Context, wg *sync.WaitGroup) {
	sem := make(chan struct{}, l.hands)
	free := make(chan struct{}, 1) // a hand is free
	failing := false
	for ctx.Err() == nil {
		if l.before != nil {
			if again, stop := l.before(ctx); stop {
				return
			} else if again {
				continue
			}
		}
		n := cap(sem) - len(sem)
		if n == 0 {
			select {
			case <-ctx.Done():
			case <-free:
			}
			continue
		}
		items, err := l.claim(ctx, n)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !failing {
				l.log.Error("cannot read the "+l.what+"; retrying", "err", err)
				failing = true
			}
			_ = sleep(ctx, 500*time.Millisecond)
			continue
		}
		if failing {
			l.log.Info(l.what + " readable again")
			failing = false
		}
		if len(items) == 0 {
			if l.drained != nil && l.drained(len(sem)) {
				return
			}
			select {
			case <-ctx.Done():
			case <-l.wake:
			case <-free:
			case <-time.After(l.idle):
			}
			continue
		}
		if l.claimed != nil {
			l.claimed(ctx, items)
		}
		for _, item := range items {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() {
					<-sem
					signal(free)
				}()
				l.handle(item)
			})
		}
	}
}
