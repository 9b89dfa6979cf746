package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/tipline/tipline/storage"
)

// committer completes updates that different workers finished at about
// the same time in one transaction (one commit, one round trip), where
// each took one of its own: on the message path the commit, not the
// statement, is most of what PostgreSQL spends on an answer.
//
// It is a group commit without a timer: a worker that finds no commit
// under way commits its own update, with every update that is waiting;
// one that finds a commit under way waits, and the first of the waiters
// commits the next group as soon as that one is done. Nobody waits for a
// group to fill, so a lone update is completed as quickly as before.
//
// Each update stays its own (G1, G2): it is done, with its outbox entries,
// exactly when this process still holds it, as InboxComplete does it. An
// update the store refuses (not held any more, a bad entry) fails alone;
// when the whole group fails, each update is tried again alone, so one
// bad update never fails the others.
type committer struct {
	mu      sync.Mutex
	busy    bool               // a group is being committed
	waiting []*pendingComplete // the next group
}

// pendingComplete is one update waiting to be completed in a group.
type pendingComplete struct {
	c    storage.Completion
	err  chan error    // its result
	lead chan struct{} // it is to commit the next group
}

// groupStore is what the committer needs of the store.
type groupStore interface {
	InboxComplete(ctx context.Context, updateID int64, owner string, entries []storage.OutboxEntry) error
	InboxCompleteMany(ctx context.Context, owner string, done []storage.Completion) ([]error, error)
}

// complete marks an update done and queues its entries, in a group with
// the updates other workers complete meanwhile. It returns once the
// update's own outcome is known.
func (g *committer) complete(ctx context.Context, s groupStore, owner string, updateID int64, entries []storage.OutboxEntry) error {
	p := &pendingComplete{
		c:    storage.Completion{UpdateID: updateID, Entries: entries},
		err:  make(chan error, 1),
		lead: make(chan struct{}, 1),
	}
	g.mu.Lock()
	g.waiting = append(g.waiting, p)
	if g.busy {
		g.mu.Unlock()
		// Not selecting on ctx: a waiter may be handed the lead, and the
		// group it leads is bounded by the store call's own deadline.
		select {
		case err := <-p.err:
			return err
		case <-p.lead:
		}
		g.mu.Lock()
	}
	g.busy = true
	group := g.waiting
	g.waiting = nil
	g.mu.Unlock()

	commitGroupSafely(ctx, s, owner, group)

	g.mu.Lock()
	if len(g.waiting) > 0 {
		g.waiting[0].lead <- struct{}{} // busy stays set: the lead passes on
	} else {
		g.busy = false
	}
	g.mu.Unlock()
	return <-p.err
}

// errGroupPanicked is the outcome of the updates of a group whose commit
// panicked: they are retried like any failed update.
var errGroupPanicked = errors.New("bot: completing updates panicked")

// commitGroupSafely commits a group; a panic is an error for each of its
// updates, so the lead still passes on and no worker waits for ever.
func commitGroupSafely(ctx context.Context, s groupStore, owner string, group []*pendingComplete) {
	defer func() {
		if r := recover(); r != nil {
			for _, p := range group {
				select {
				case p.err <- errGroupPanicked:
				default: // its outcome was given already
				}
			}
		}
	}()
	commitGroup(ctx, s, owner, group)
}

// commitGroup completes a group and gives each update its outcome.
func commitGroup(ctx context.Context, s groupStore, owner string, group []*pendingComplete) {
	if len(group) == 1 {
		p := group[0]
		p.err <- s.InboxComplete(ctx, p.c.UpdateID, owner, p.c.Entries)
		return
	}
	done := make([]storage.Completion, len(group))
	for i, p := range group {
		done[i] = p.c
	}
	errs, err := s.InboxCompleteMany(ctx, owner, done)
	if err == nil && len(errs) != len(group) {
		err = fmt.Errorf("complete updates: %d results for %d updates", len(errs), len(group))
	}
	if err != nil && !errors.Is(err, storage.ErrUnavailable) {
		// Whatever failed the group, each update alone fails or not by
		// itself.
		for _, p := range group {
			p.err <- s.InboxComplete(ctx, p.c.UpdateID, owner, p.c.Entries)
		}
		return
	}
	for i, p := range group {
		if err != nil {
			p.err <- err
		} else {
			p.err <- errs[i]
		}
	}
}
