// Package claimloop is the loop the bot's inbox workers and the outbox's
// dispatchers share: claim as much as there are free hands, hand each item
// to a goroutine of its own, wait between claims. One loop, so their
// failure and idle behaviour cannot drift apart.
package claimloop

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Loop is what the inbox's workers and the outbox's dispatchers share:
// claim as much as there are free hands, hand each item to a goroutine of
// its own, and between claims wait for a wake-up, a free hand or the idle
// time. Its failure and idle behaviour are one, so the two cannot drift: a
// store that cannot be read is logged once until it can again, and tried
// every half second.
type Loop[T any] struct {
	What  string // "inbox" or "outbox", for the log
	Hands int    // items in hand at most
	Claim func(ctx context.Context, n int) ([]T, error)
	// Claimed, if set, sees each claimed batch before its items start
	// (the workers read the batch's sessions in one round trip).
	Claimed func(ctx context.Context, items []T)
	// Handle handles an item in its own goroutine. It may call free to
	// give its hand back before it returns, once what is left of the item
	// needs no hand (the bot's workers, while their updates wait for the
	// commit they share); the hand is free when Handle returns at the
	// latest.
	Handle func(item T, free func())
	// Before, if set, runs before each claim; it returns again to skip
	// this round (the dispatcher probing Telegram) or stop to end the loop.
	Before func(ctx context.Context) (again, stop bool)
	// Drained, if set, is asked when a claim came back empty: true ends
	// the loop (the dispatcher at shutdown, with nothing left in hand).
	Drained func(inHand int) bool
	Wake    <-chan struct{}
	Idle    time.Duration
	Log     *slog.Logger
}

// Run claims and hands out until ctx ends, a claim fails because ctx
// ended, or a hook stops it. Items in hand are counted in wg; run does not
// wait for them, so each caller chooses how long to give them.
func (l Loop[T]) Run(ctx context.Context, wg *sync.WaitGroup) {
	sem := make(chan struct{}, l.Hands)
	free := make(chan struct{}, 1) // a hand is free
	failing := false
	for ctx.Err() == nil {
		if l.Before != nil {
			if again, stop := l.Before(ctx); stop {
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
		items, err := l.Claim(ctx, n)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !failing {
				l.Log.Error("cannot read the "+l.What+"; retrying", "err", err)
				failing = true
			}
			_ = Sleep(ctx, 500*time.Millisecond)
			continue
		}
		if failing {
			l.Log.Info(l.What + " readable again")
			failing = false
		}
		if len(items) == 0 {
			if l.Drained != nil && l.Drained(len(sem)) {
				return
			}
			select {
			case <-ctx.Done():
			case <-l.Wake:
			case <-free:
			case <-time.After(l.Idle):
			}
			continue
		}
		if l.Claimed != nil {
			l.Claimed(ctx, items)
		}
		for _, item := range items {
			sem <- struct{}{}
			wg.Go(func() {
				var once sync.Once
				give := func() {
					once.Do(func() {
						<-sem
						Signal(free)
					})
				}
				defer give()
				l.Handle(item, give)
			})
		}
	}
}

// Signal wakes whoever waits on ch, without blocking.
func Signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Sleep waits d, or until ctx ends (its error).
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
