package memory

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tipline/tipline"

	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// InboxCompleteMany completes several updates at once, as
// postgres.Store.InboxCompleteMany does: errs[i] is nil when done[i] was
// completed, or says why it was not (ErrNotHolder, a bad entry), and the
// others are completed all the same.
func (m *Store) InboxCompleteMany(ctx context.Context, owner string, done []storage.Completion) ([]error, error) {
	errs, _, err := m.InboxCompleteHand(ctx, owner, 0, done)
	return errs, err
}

// InboxCompleteHand completes updates as InboxCompleteMany does and claims
// for owner the entries queued that the claim rule gives now, as
// postgres.Store.InboxCompleteHand does.
func (m *Store) InboxCompleteHand(ctx context.Context, owner string, lease time.Duration, done []storage.Completion) ([]error, []storage.OutboxEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("complete updates: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	errs := make([]error, len(done))
	first := len(m.outbox) // the rows queued here come after it
	// As in PostgreSQL, an entry of the call holds back those after it in
	// its chat and a lane as high, queued or not.
	heldBack := map[string]bool{} // by key
	low := map[string]tipline.Lane{}
	seen := map[int64]bool{}
	for _, c := range done {
		if checkEntries(c.Entries) != nil || seen[c.UpdateID] {
			continue
		}
		seen[c.UpdateID] = true
		for _, e := range c.Entries {
			l, ok := low[e.ChatKey]
			if _, dup := heldBack[e.Key]; !dup {
				heldBack[e.Key] = ok && l <= e.Lane
			}
			if !ok || e.Lane < l {
				low[e.ChatKey] = e.Lane
			}
		}
	}
	for i, c := range done {
		errs[i] = m.completeLocked(c, owner)
	}
	if lease <= 0 {
		return errs, nil, nil
	}
	now := m.clock()
	var handed []storage.OutboxEntry
	for _, o := range m.outbox[first:] {
		if o.e.EditOf != "" || heldBack[o.e.Key] || m.pendingBeforeLocked(o) {
			continue
		}
		o.claimedBy, o.claimedUntil = owner, now.Add(lease)
		e := o.e
		e.Payload = slices.Clone(e.Payload)
		handed = append(handed, e)
	}
	return errs, handed, nil
}

// pendingBeforeLocked tells whether an entry before o in its chat, of a
// lane as low, is pending.
func (m *Store) pendingBeforeLocked(o *memOutbox) bool {
	for _, x := range m.outbox[:o.e.ID-1] {
		if x.pending() && x.e.ChatKey == o.e.ChatKey && x.e.Lane <= o.e.Lane {
			return true
		}
	}
	return false
}

func (m *Store) completeLocked(c storage.Completion, owner string) error {
	for _, e := range c.Entries {
		if err := rules.CheckEntry(e); err != nil {
			return fmt.Errorf("complete update %d: %w", c.UpdateID, err)
		}
	}
	r, ok := m.heldLocked(c.UpdateID, owner)
	if !ok {
		return fmt.Errorf("complete update %d: %w", c.UpdateID, storage.ErrNotHolder)
	}
	if err := m.addOutboxLocked(c.Entries); err != nil {
		return fmt.Errorf("complete update %d: %w", c.UpdateID, err)
	}
	m.doneLocked(r)
	return nil
}

// checkEntries checks one update's entries before they join others'.
func checkEntries(entries []storage.OutboxEntry) error {
	for _, e := range entries {
		if err := rules.CheckEntry(e); err != nil {
			return err
		}
	}
	return nil
}
