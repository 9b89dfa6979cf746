package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// InboxAdd stores updates, as postgres.Store.InboxAdd does.
func (m *Store) InboxAdd(ctx context.Context, items []storage.InboxItem) (int, error) {
	added, _, err := m.InboxAddClaim(ctx, items, "", 0, 0)
	return added, err
}

// InboxAddClaim stores updates and claims those ready at once, as
// postgres.Store.InboxAddClaim does.
func (m *Store) InboxAddClaim(ctx context.Context, items []storage.InboxItem, owner string, lease time.Duration, limit int) (int, []storage.InboxItem, error) {
	if err := ctx.Err(); err != nil {
		return 0, nil, fmt.Errorf("add to inbox: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock()
	// As in PostgreSQL, what may be claimed is decided before anything is
	// added: the first item of its chat, the chat with nothing unprocessed.
	busy := m.busyChatsLocked()
	take := map[int]bool{}
	for i, it := range items {
		if len(take) == max(limit, 0) {
			break
		}
		if it.Hold <= 0 && !busy[it.ChatKey] {
			take[i] = true
		}
		busy[it.ChatKey] = true // an item of the chat holds back those after it
	}
	added := 0
	var claimed []storage.InboxItem
	for i, it := range items {
		if _, ok := m.inbox[it.UpdateID]; ok {
			continue
		}
		row := &memInboxRow{item: storage.InboxItem{
			UpdateID:   it.UpdateID,
			ChatKey:    it.ChatKey,
			Payload:    slices.Clone(it.Payload),
			ReceivedAt: rules.TruncateTime(it.ReceivedAt),
		}}
		if it.ReceivedAt.IsZero() {
			row.item.ReceivedAt = now
		}
		row.item.Group = it.Group
		if it.Hold > 0 {
			row.nextTry = now.Add(it.Hold)
		}
		if take[i] {
			row.item.ChatSeen = m.chatSeenLocked(it.ChatKey, it.UpdateID)
			row.claimedBy, row.claimedUntil = owner, now.Add(lease.Truncate(time.Microsecond))
			row.item.Attempts = 1
			c := row.item
			c.Payload, c.Group = slices.Clone(c.Payload), ""
			if it.Sender != nil {
				sc := m.screenLocked(*it.Sender)
				c.Screened = &sc
			}
			claimed = append(claimed, c)
		}
		m.inbox[it.UpdateID] = row
		added++
		if it.Answer != nil {
			if err := m.addOutboxLocked([]storage.OutboxEntry{*it.Answer}); err != nil {
				return added, nil, fmt.Errorf("add to inbox: %w", err)
			}
		}
	}
	slices.SortFunc(claimed, func(a, b storage.InboxItem) int { return cmp.Compare(a.UpdateID, b.UpdateID) })
	return added, claimed, nil
}

// InboxReady returns those of items that may be processed before they
// are stored, as postgres.Store.InboxReady does.
func (m *Store) InboxReady(ctx context.Context, items []storage.InboxItem) ([]storage.InboxItem, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("inbox ready: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []storage.InboxItem
	busy, alone := m.busyChatsLocked(), storage.AloneInChat(items)
	for i, it := range items {
		if _, ok := m.inbox[it.UpdateID]; ok || it.Hold > 0 || !alone[i] || busy[it.ChatKey] {
			continue
		}
		it.ChatSeen = m.chatSeenLocked(it.ChatKey, it.UpdateID)
		if it.Sender != nil {
			sc := m.screenLocked(*it.Sender)
			it.Screened = &sc
		}
		out = append(out, it)
	}
	return out, nil
}

// busyChatsLocked are the chats with an update waiting unprocessed.
func (m *Store) busyChatsLocked() map[string]bool {
	busy := map[string]bool{}
	for _, r := range m.inbox {
		if !r.processed {
			busy[r.item.ChatKey] = true
		}
	}
	return busy
}

// InboxClaimBatch claims up to limit updates, as
// postgres.Store.InboxClaimBatch does.
func (m *Store) InboxClaimBatch(ctx context.Context, owner string, lease time.Duration, limit int) ([]storage.InboxItem, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("claim updates: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock()
	m.processes[owner] = now
	// The first unprocessed update of each chat.
	heads := map[string]*memInboxRow{}
	for _, r := range m.inbox {
		if r.processed {
			continue
		}
		if h, ok := heads[r.item.ChatKey]; !ok || r.item.UpdateID < h.item.UpdateID {
			heads[r.item.ChatKey] = r
		}
	}
	var ready []*memInboxRow
	for _, h := range heads {
		if !m.claimFree(h.claimedBy, h.claimedUntil, now) || h.nextTry.After(now) {
			continue
		}
		ready = append(ready, h)
	}
	slices.SortFunc(ready, func(a, b *memInboxRow) int { return cmp.Compare(a.item.UpdateID, b.item.UpdateID) })
	if len(ready) > max(limit, 0) {
		ready = ready[:max(limit, 0)]
	}
	var items []storage.InboxItem
	for _, next := range ready {
		next.item.ChatSeen = m.chatSeenLocked(next.item.ChatKey, next.item.UpdateID)
		next.claimedBy = owner
		next.claimedUntil = now.Add(lease.Truncate(time.Microsecond))
		next.item.Attempts++
		it := next.item
		it.Payload = slices.Clone(it.Payload)
		items = append(items, it)
	}
	return items, nil
}

// claimFree tells whether a claim may be taken: there is none, it has run
// out, or its holder has been silent for the take-over time.
func (m *Store) claimFree(by string, until, now time.Time) bool {
	if by == "" || !until.After(now) {
		return true
	}
	// A holder not known at all counts as alive: only its lease frees it.
	seen, ok := m.processes[by]
	return ok && !seen.After(now.Add(-m.takeover))
}

func (m *Store) doneLocked(r *memInboxRow) {
	if !r.processed {
		r.processed, r.processedAt = true, m.clock()
	}
	r.item.Payload = nil
	r.claimedBy, r.claimedUntil, r.nextTry = "", time.Time{}, time.Time{}
}

// heldLocked returns the update's row when owner holds its claim.
func (m *Store) heldLocked(updateID int64, owner string) (*memInboxRow, bool) {
	r, ok := m.inbox[updateID]
	if !ok || r.processed || r.claimedBy != owner {
		return nil, false
	}
	return r, true
}

// InboxRelease gives a claim back, to be tried again after wait.
func (m *Store) InboxRelease(ctx context.Context, updateID int64, owner string, wait time.Duration) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("release update %d: %w", updateID, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.heldLocked(updateID, owner)
	if !ok {
		return fmt.Errorf("release update %d: %w", updateID, storage.ErrNotHolder)
	}
	r.claimedBy, r.claimedUntil = "", time.Time{}
	r.nextTry = m.clock().Add(wait)
	return nil
}

// InboxChatSeen is postgres.Store.InboxChatSeen.
func (m *Store) InboxChatSeen(ctx context.Context, chatKey string, updateID int64) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("chat seen: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.chatSeenLocked(chatKey, updateID), nil
}

// chatSeenLocked tells whether the chat has an update before updateID in
// the inbox.
func (m *Store) chatSeenLocked(chatKey string, updateID int64) bool {
	for id, r := range m.inbox {
		if r.item.ChatKey == chatKey && id < updateID {
			return true
		}
	}
	return false
}

// InboxNextInChat tells whether the chat has an unprocessed update after
// updateID, and its album, as postgres.Store.InboxNextInChat does.
func (m *Store) InboxNextInChat(ctx context.Context, chatKey string, updateID int64) (bool, string, error) {
	if err := ctx.Err(); err != nil {
		return false, "", fmt.Errorf("next update of a chat: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var next *memInboxRow
	for id, r := range m.inbox {
		if r.item.ChatKey == chatKey && id > updateID && !r.processed && (next == nil || id < next.item.UpdateID) {
			next = r
		}
	}
	if next == nil {
		return false, "", nil
	}
	return true, next.item.Group, nil
}
