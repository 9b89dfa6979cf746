package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

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
// group to fill beyond the rest of its own batch (below), so a lone
// update is completed as quickly as before.
//
// Each update stays its own (G1, G2): it is done, with its outbox entries,
// exactly when this process still holds it, as InboxComplete does it. An
// update the store refuses (not held any more, a bad entry) fails alone;
// when the whole group fails, each update is tried again alone, so one
// bad update never fails the others.
//
// A step's session is saved with its group too: the group's sessions in
// one round trip to Redis, just before its commit (as each worker saved
// its own before: a session is saved before its update is done, G1). An
// update whose session could not be saved fails alone.
//
// The updates of one claimed batch are a unit: each waits, at complete,
// for the others of its batch, so that a batch whose steps only save
// sessions and queue messages (most answers mid-conversation) is committed
// whole, in one transaction, however the workers interleave. An update
// that will not come to complete soon (it failed, was set aside, or its
// step writes on its own: a report, an addition) leaves its batch, and
// the others go on without it.
type committer struct {
	// lease, when set, has a group's commit claim for this process the
	// messages it queues that are ready to go (InboxCompleteHand): they
	// are sent without a claim of their own, one commit fewer before an
	// answer goes out. hand, when set, is given them with every message
	// the group queued (the dispatcher's Hand), after each commit.
	lease time.Duration
	hand  func(handed, queued []storage.OutboxEntry)
	// behind, when set, is told after a commit that may have made an
	// update ready to claim: a later update of a completed one's chat
	// waits in the inbox (or the commit could not tell).
	behind func()
	// sessions saves the sessions of a group's steps (SaveAll).
	sessions sessionSaver

	mu      sync.Mutex
	busy    bool               // a group is being committed
	waiting []*pendingComplete // the next group
	units   map[int64]*unit    // by update id: the batch an update in hand waits with
	// hands holds, by update id, what gives the update's worker back to
	// the loop: an update waiting for its commit needs no worker, so the
	// next ones are claimed and processed while the commit is under way.
	hands map[int64]func()
}

// holdHand says free gives the worker of updateID back, once the update
// waits for its commit.
func (g *committer) holdHand(updateID int64, free func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.hands == nil {
		g.hands = map[int64]func(){}
	}
	g.hands[updateID] = free
}

// dropHand forgets updateID's worker: it is free once its handling ends.
func (g *committer) dropHand(updateID int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.hands, updateID)
}

// unit is a claimed batch, as far as its updates have not all come to
// complete or left.
type unit struct {
	pending int                // updates still to come or leave
	ready   []*pendingComplete // those that came, waiting for the rest
}

// pendingComplete is one update waiting to be completed in a group.
type pendingComplete struct {
	c    storage.Completion
	save *storage.SessionSave // its step's session, saved before the commit (nil: none)
	err  chan error           // its result
	lead chan struct{}        // it is to commit the next group
}

// groupStore is what the committer needs of the store.
type groupStore interface {
	InboxComplete(ctx context.Context, updateID int64, owner string, entries []storage.OutboxEntry) error
	InboxCompleteHand(ctx context.Context, owner string, lease time.Duration, done []storage.Completion) (storage.Completed, error)
}

// sessionSaver is what the committer needs of the sessions.
type sessionSaver interface {
	SaveAll(ctx context.Context, saves []storage.SessionSave) []error
}

// claimed makes the updates of a claimed batch a unit. A batch of one
// needs none.
func (g *committer) claimed(updateIDs []int64) {
	if len(updateIDs) < 2 {
		return
	}
	u := &unit{pending: len(updateIDs)}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.units == nil {
		g.units = map[int64]*unit{}
	}
	for _, id := range updateIDs {
		g.units[id] = u
	}
}

// leave takes an update out of its batch's unit: the others are not to
// wait for it. When it was the last they waited for, they are queued for
// the next group now. Leaving twice, or after complete, does nothing.
func (g *committer) leave(updateID int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	u := g.units[updateID]
	if u == nil {
		return
	}
	delete(g.units, updateID)
	u.pending--
	if u.pending == 0 && len(u.ready) > 0 {
		g.queueLocked(u.ready)
	}
}

// queueLocked adds updates to the next group; with no commit under way,
// the first of them leads it. g.mu is held.
func (g *committer) queueLocked(ps []*pendingComplete) {
	g.waiting = append(g.waiting, ps...)
	if !g.busy {
		g.busy = true
		ps[0].lead <- struct{}{}
	}
}

// complete marks an update done and queues its entries, in a group with
// the rest of its batch and the updates other workers complete meanwhile;
// save, when not nil, is its step's session, saved first. It returns once
// the update's own outcome is known.
func (g *committer) complete(ctx context.Context, s groupStore, owner string, c storage.Completion, save *storage.SessionSave) error {
	updateID := c.UpdateID
	p := &pendingComplete{
		c:    c,
		save: save,
		err:  make(chan error, 1),
		lead: make(chan struct{}, 1),
	}
	g.mu.Lock()
	free := g.hands[updateID]
	delete(g.hands, updateID)
	if u := g.units[updateID]; u != nil {
		delete(g.units, updateID)
		u.pending--
		u.ready = append(u.ready, p)
		if u.pending == 0 {
			g.queueLocked(u.ready)
		}
	} else {
		g.queueLocked([]*pendingComplete{p})
	}
	g.mu.Unlock()
	if free != nil {
		free() // its worker takes the next update meanwhile
	}
	// Not selecting on ctx: a waiter may be handed the lead, and the group
	// it leads is bounded by the store call's own deadline.
	select {
	case err := <-p.err:
		return err
	case <-p.lead:
	}
	g.mu.Lock()
	group := g.waiting
	g.waiting = nil
	g.mu.Unlock()

	g.commitGroupSafely(ctx, s, owner, group)

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
func (g *committer) commitGroupSafely(ctx context.Context, s groupStore, owner string, group []*pendingComplete) {
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
	g.commitGroup(ctx, s, owner, group)
}

// commitGroup completes a group and gives each update its outcome. The
// group's messages are queued in the order its updates arrived (update
// id), not the order their workers finished: the outbox sends chats first
// come, first served by the order they were queued in. What the commit
// claimed for this process is handed to its dispatcher, with what the
// group queued, before any worker hears its outcome.
func (g *committer) commitGroup(ctx context.Context, s groupStore, owner string, group []*pendingComplete) {
	sortByArrival(group)
	errs := g.saveSessions(ctx, group)
	var commit []*pendingComplete // those whose session is saved, or have none
	for i, p := range group {
		if errs[i] == nil {
			commit = append(commit, p)
		}
	}
	var handed []storage.OutboxEntry
	if len(commit) > 0 {
		var (
			committed []error
			behind    bool
		)
		committed, handed, behind = g.commitAll(ctx, s, owner, commit)
		if behind && g.behind != nil {
			g.behind()
		}
		for i, j := 0, 0; i < len(group); i++ {
			if errs[i] == nil {
				errs[i] = committed[j]
				j++
			}
		}
	}
	if g.hand != nil {
		var queued []storage.OutboxEntry
		for i, p := range group {
			if errs[i] == nil {
				queued = append(queued, p.c.Entries...)
			}
		}
		if len(queued) > 0 {
			g.hand(handed, queued)
		}
	}
	for i, p := range group {
		p.err <- errs[i]
	}
}

// saveSessions saves the sessions of a group's steps in one round trip,
// before the group is committed: each update's outcome so far (nil when
// its session is saved, or it has none).
func (g *committer) saveSessions(ctx context.Context, group []*pendingComplete) []error {
	errs := make([]error, len(group))
	var (
		saves []storage.SessionSave
		of    []int // the group's index of each save
	)
	for i, p := range group {
		if p.save != nil {
			saves = append(saves, *p.save)
			of = append(of, i)
		}
	}
	if len(saves) == 0 {
		return errs
	}
	for k, err := range g.sessions.SaveAll(ctx, saves) {
		errs[of[k]] = err
	}
	return errs
}

// commitAll completes a group: each update's outcome, the entries its
// commit claimed for this process, and whether a later update of a
// completed one's chat may wait (true when the store could not tell).
func (g *committer) commitAll(ctx context.Context, s groupStore, owner string, group []*pendingComplete) ([]error, []storage.OutboxEntry, bool) {
	errs := make([]error, len(group))
	if len(group) == 1 && g.lease <= 0 {
		errs[0] = completeAlone(ctx, s, owner, group[0].c)
		return errs, nil, true
	}
	done := make([]storage.Completion, len(group))
	for i, p := range group {
		done[i] = p.c
	}
	got, err := s.InboxCompleteHand(ctx, owner, g.lease, done)
	if err == nil && len(got.Errs) != len(group) {
		err = fmt.Errorf("complete updates: %d results for %d updates", len(got.Errs), len(group))
	}
	if err != nil && !errors.Is(err, storage.ErrUnavailable) {
		// Whatever failed the group, each update alone fails or not by
		// itself.
		for i, p := range group {
			errs[i] = completeAlone(ctx, s, owner, p.c)
		}
		return errs, nil, true
	}
	for i := range group {
		if err != nil {
			errs[i] = err
		} else {
			errs[i] = got.Errs[i]
		}
	}
	return errs, got.Handed, got.Behind
}

// sortByArrival orders a group by update id: the order Telegram received
// the updates in.
func sortByArrival(group []*pendingComplete) {
	slices.SortFunc(group, func(a, b *pendingComplete) int { return cmp.Compare(a.c.UpdateID, b.c.UpdateID) })
}

// completeAlone completes one update in a transaction of its own, claiming
// none of its messages for this process: the dispatchers claim them.
func completeAlone(ctx context.Context, s groupStore, owner string, c storage.Completion) error {
	if c.Fresh == nil {
		return s.InboxComplete(ctx, c.UpdateID, owner, c.Entries)
	}
	got, err := s.InboxCompleteHand(ctx, owner, 0, []storage.Completion{c})
	if err == nil && len(got.Errs) != 1 {
		err = fmt.Errorf("complete update: %d results for 1 update", len(got.Errs))
	}
	if err != nil {
		return err
	}
	return got.Errs[0]
}
