package memory

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

type memOutbox struct {
	e            storage.OutboxEntry
	notBefore    time.Time
	claimedBy    string
	claimedUntil time.Time
	sentAt       time.Time
	messageID    int
	deadAt       time.Time
	reason       string
}

func (o *memOutbox) pending() bool { return o.sentAt.IsZero() && o.deadAt.IsZero() }

type memDead struct {
	row    storage.InboxItem
	reason string
	deadAt time.Time
}

func (m *Store) addOutboxLocked(entries []storage.OutboxEntry) error {
	for _, e := range entries {
		if err := rules.CheckEntry(e); err != nil {
			return err
		}
	}
	now := m.clock()
	for _, e := range entries {
		if _, ok := m.outboxKey[e.Key]; ok {
			continue
		}
		e.ID = int64(len(m.outbox) + 1)
		e.Payload = slices.Clone(e.Payload)
		e.CreatedAt = now
		e.Attempts = 0
		e.EditOfMessageID = 0
		o := &memOutbox{e: e, notBefore: now}
		m.outbox = append(m.outbox, o)
		m.outboxKey[e.Key] = o
	}
	return nil
}

// OutboxAdd adds entries, as postgres.Store.OutboxAdd does.
func (m *Store) OutboxAdd(ctx context.Context, entries []storage.OutboxEntry) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("add to outbox: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.addOutboxLocked(entries); err != nil {
		return fmt.Errorf("add to outbox: %w", err)
	}
	return nil
}

// InboxComplete marks an update processed and queues its entries, as
// postgres.Store.InboxComplete does.
func (m *Store) InboxComplete(ctx context.Context, updateID int64, owner string, entries []storage.OutboxEntry) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("complete update %d: %w", updateID, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.heldLocked(updateID, owner)
	if !ok {
		return fmt.Errorf("complete update %d: %w", updateID, storage.ErrNotHolder)
	}
	if err := m.addOutboxLocked(entries); err != nil {
		return fmt.Errorf("complete update %d: %w", updateID, err)
	}
	m.doneLocked(r)
	return nil
}

// OutboxClaimLanes claims entries of the lanes from first to last, as
// postgres.Store.OutboxClaimLanes does.
func (m *Store) OutboxClaimLanes(ctx context.Context, owner string, lease time.Duration, limit int, first, last tipline.Lane) ([]storage.OutboxEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("claim outbox: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock()
	m.processes[owner] = now
	lowest := map[string]tipline.Lane{} // per chat: the lowest lane pending so far
	var ready []*memOutbox
	for _, o := range m.outbox { // in id order
		if !o.pending() {
			continue
		}
		low, seen := lowest[o.e.ChatKey]
		if seen && low <= o.e.Lane {
			continue // behind an earlier entry of a lane as low
		}
		lowest[o.e.ChatKey] = o.e.Lane
		if src, ok := m.outboxKey[o.e.EditOf]; ok && o.e.EditOf != "" && src.pending() {
			continue // the message it edits is not sent yet
		}
		if o.e.Lane < first || o.e.Lane > last || o.notBefore.After(now) || !m.claimFree(o.claimedBy, o.claimedUntil, now) {
			continue
		}
		ready = append(ready, o)
	}
	sort.SliceStable(ready, func(i, j int) bool { return ready[i].e.Lane < ready[j].e.Lane })
	if len(ready) > limit {
		ready = ready[:limit]
	}
	out := make([]storage.OutboxEntry, 0, len(ready))
	for _, o := range ready {
		o.claimedBy, o.claimedUntil = owner, now.Add(lease)
		e := o.e
		e.Payload = slices.Clone(e.Payload)
		if src, ok := m.outboxKey[e.EditOf]; ok && e.EditOf != "" {
			e.EditOfMessageID = src.messageID
		}
		out = append(out, e)
	}
	return out, nil
}

// heldOutboxLocked returns a pending entry that owner holds.
func (m *Store) heldOutboxLocked(id int64, owner string) (*memOutbox, bool) {
	if id < 1 || int(id) > len(m.outbox) {
		return nil, false
	}
	o := m.outbox[id-1]
	if !o.pending() || o.claimedBy != owner {
		return nil, false
	}
	return o, true
}

func (m *Store) outboxChange(ctx context.Context, what string, id int64, owner string, change func(*memOutbox, time.Time)) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s outbox entry %d: %w", what, id, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.heldOutboxLocked(id, owner)
	if !ok {
		return fmt.Errorf("%s outbox entry %d: %w", what, id, storage.ErrNotHolder)
	}
	o.claimedBy, o.claimedUntil = "", time.Time{}
	change(o, m.clock())
	return nil
}

// OutboxSent records that an entry was sent, as postgres.Store.OutboxSent does.
func (m *Store) OutboxSent(ctx context.Context, id int64, owner string, messageID int) error {
	return m.outboxChange(ctx, "mark sent", id, owner, func(o *memOutbox, now time.Time) {
		o.sentAt, o.messageID, o.e.Payload, o.e.ChatID = now, messageID, nil, 0
	})
}

// OutboxSentMany records several entries as sent at once, as
// postgres.Store.OutboxSentMany does.
func (m *Store) OutboxSentMany(ctx context.Context, owner string, sent []storage.Sent) ([]int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("mark sent: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock()
	var notHeld []int64
	for _, s := range sent {
		o, ok := m.heldOutboxLocked(s.ID, owner)
		if !ok {
			notHeld = append(notHeld, s.ID)
			continue
		}
		o.claimedBy, o.claimedUntil = "", time.Time{}
		o.sentAt, o.messageID, o.e.Payload, o.e.ChatID = now, s.MessageID, nil, 0
	}
	return notHeld, nil
}

// OutboxRetry gives an entry back to be tried again after wait.
func (m *Store) OutboxRetry(ctx context.Context, id int64, owner string, wait time.Duration, failed bool) error {
	return m.outboxChange(ctx, "retry", id, owner, func(o *memOutbox, now time.Time) {
		o.notBefore = now.Add(wait)
		if failed {
			o.e.Attempts++
		}
	})
}

// OutboxDead sets an entry aside for good.
func (m *Store) OutboxDead(ctx context.Context, id int64, owner string, reason string) error {
	return m.outboxChange(ctx, "set aside", id, owner, func(o *memOutbox, now time.Time) {
		o.deadAt, o.reason, o.e.Payload, o.e.ChatID = now, reason, nil, 0
	})
}

// OutboxDropChat sets aside every entry not yet sent to a chat, as
// postgres.Store.
func (m *Store) OutboxDropChat(ctx context.Context, chatKey, reason string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("drop messages to a chat: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now, n := m.clock(), 0
	for _, o := range m.outbox {
		if o.e.ChatKey == chatKey && o.pending() {
			o.deadAt, o.reason, o.e.Payload, o.e.ChatID = now, reason, nil, 0
			o.claimedBy, o.claimedUntil = "", time.Time{}
			n++
		}
	}
	return n, nil
}

// OutboxSentMessages lists the messages sent to a chat within window.
func (m *Store) OutboxSentMessages(ctx context.Context, chatKey string, window time.Duration) ([]int, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list sent messages: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	since := m.clock().Add(-window)
	var ids []int
	for _, o := range m.outbox {
		if o.e.ChatKey == chatKey && !o.sentAt.IsZero() && o.messageID != 0 && o.sentAt.After(since) {
			ids = append(ids, o.messageID)
		}
	}
	return ids, nil
}

// OutboxPending counts entries not yet sent nor set aside, by lane.
func (m *Store) OutboxPending(ctx context.Context) (map[tipline.Lane]int, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("count outbox: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[tipline.Lane]int{}
	for _, o := range m.outbox {
		if o.pending() {
			out[o.e.Lane]++
		}
	}
	return out, nil
}

// PurgeOutbox forgets the payload-free rows of entries sent or set aside
// before cutoff. Ids stay as they are (rows are kept as tombstones).
func (m *Store) PurgeOutbox(ctx context.Context, cutoff time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("purge outbox: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, o := range m.outbox {
		old := (!o.sentAt.IsZero() && o.sentAt.Before(cutoff)) || (!o.deadAt.IsZero() && o.deadAt.Before(cutoff))
		if old && o.e.ChatKey != "" {
			delete(m.outboxKey, o.e.Key)
			*o = memOutbox{e: storage.OutboxEntry{ID: o.e.ID}, sentAt: o.sentAt, deadAt: o.deadAt}
			n++
		}
	}
	return n, nil
}

// Heartbeat says owner is alive and gives the store's clock.
func (m *Store) Heartbeat(ctx context.Context, owner string) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, fmt.Errorf("heartbeat: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.processes[owner] = m.clock()
	return m.now(), nil
}

// Leave says owner has stopped; what it holds is free at once.
func (m *Store) Leave(ctx context.Context, owner string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("leave: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.processes[owner] = time.Time{}
	return nil
}

// SetTakeover sets how long a process may be silent before its work is
// taken over.
func (m *Store) SetTakeover(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.takeover = d
}

// InboxDead sets an update aside, as postgres.Store.InboxDead does.
func (m *Store) InboxDead(ctx context.Context, updateID int64, owner string, reason string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("set update %d aside: %w", updateID, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.heldLocked(updateID, owner)
	if !ok {
		return fmt.Errorf("set update %d aside: %w", updateID, storage.ErrNotHolder)
	}
	row := r.item
	row.Payload = slices.Clone(row.Payload)
	m.dead[updateID] = &memDead{row: row, reason: reason, deadAt: m.clock()}
	m.doneLocked(r)
	return nil
}

// InboxDeadList lists the updates set aside, oldest first.
func (m *Store) InboxDeadList(ctx context.Context) ([]storage.DeadUpdate, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list dead updates: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []storage.DeadUpdate{}
	for _, d := range m.dead {
		out = append(out, storage.DeadUpdate{UpdateID: d.row.UpdateID, Attempts: d.row.Attempts, Reason: d.reason, ReceivedAt: d.row.ReceivedAt, DeadAt: d.deadAt})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].DeadAt.Equal(out[j].DeadAt) {
			return out[i].DeadAt.Before(out[j].DeadAt)
		}
		return out[i].UpdateID < out[j].UpdateID
	})
	return out, nil
}

// InboxRetryDead puts a dead update back in the inbox.
func (m *Store) InboxRetryDead(ctx context.Context, updateID int64) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("retry update %d: %w", updateID, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.dead[updateID]
	if !ok {
		return fmt.Errorf("retry update %d: %w", updateID, tipline.ErrNotFound)
	}
	row := d.row
	row.Attempts = 0
	m.inbox[updateID] = &memInboxRow{item: row}
	delete(m.dead, updateID)
	return nil
}

// OutboxOldest is, per lane, how long the oldest pending entry has waited.
func (m *Store) OutboxOldest(ctx context.Context) (map[tipline.Lane]time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("outbox ages: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock()
	out := map[tipline.Lane]time.Duration{}
	for _, o := range m.outbox {
		if d := now.Sub(o.e.CreatedAt); o.pending() && d > out[o.e.Lane] {
			out[o.e.Lane] = d
		}
	}
	return out, nil
}

// InboxDeadCount counts the updates set aside.
func (m *Store) InboxDeadCount(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("count dead updates: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.dead), nil
}

// InboxCompleteMany completes several updates at once, as
// postgres.Store.InboxCompleteMany does: errs[i] is nil when done[i] was
// completed, or says why it was not (ErrNotHolder, a bad entry), and the
// others are completed all the same.
func (m *Store) InboxCompleteMany(ctx context.Context, owner string, done []storage.Completion) ([]error, error) {
	c, err := m.InboxCompleteHand(ctx, owner, 0, done)
	return c.Errs, err
}

// InboxCompleteHand completes updates as InboxCompleteMany does and claims
// for owner the entries queued that the claim rule gives now, as
// postgres.Store.InboxCompleteHand does.
func (m *Store) InboxCompleteHand(ctx context.Context, owner string, lease time.Duration, done []storage.Completion) (storage.Completed, error) {
	if err := ctx.Err(); err != nil {
		return storage.Completed{}, fmt.Errorf("complete updates: %w", err)
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
	// As in PostgreSQL, whether a fresh update may be stored done is
	// decided before any completion of the call is applied.
	var busy map[string]bool
	if slices.ContainsFunc(done, func(c storage.Completion) bool { return c.Fresh != nil }) {
		busy = m.busyChatsLocked()
	}
	behind := false
	for i, c := range done {
		if c.Fresh != nil && busy[c.Fresh.ChatKey] {
			errs[i] = fmt.Errorf("complete update %d: %w", c.UpdateID, storage.ErrNotHolder)
			continue
		}
		errs[i] = m.completeLocked(c, owner)
		behind = behind || errs[i] == nil && m.behindLocked(c.UpdateID)
	}
	if lease <= 0 {
		return storage.Completed{Errs: errs, Behind: behind}, nil
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
	return storage.Completed{Errs: errs, Handed: handed, Behind: behind}, nil
}

// behindLocked tells whether a later update of updateID's chat is not yet
// processed.
func (m *Store) behindLocked(updateID int64) bool {
	chat := m.inbox[updateID].item.ChatKey
	for id, r := range m.inbox {
		if id > updateID && !r.processed && r.item.ChatKey == chat {
			return true
		}
	}
	return false
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
	if c.Fresh != nil {
		return m.completeFreshLocked(c)
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

// completeFreshLocked stores a fresh update done with its entries, as
// postgres.Store.InboxCompleteHand does: only when the inbox does not
// hold it (the caller saw that nothing of its chat waits unprocessed).
func (m *Store) completeFreshLocked(c storage.Completion) error {
	if _, ok := m.inbox[c.UpdateID]; ok {
		return fmt.Errorf("complete update %d: %w", c.UpdateID, storage.ErrNotHolder)
	}
	if err := m.addOutboxLocked(c.Entries); err != nil {
		return fmt.Errorf("complete update %d: %w", c.UpdateID, err)
	}
	r := &memInboxRow{item: storage.InboxItem{UpdateID: c.UpdateID, ChatKey: c.Fresh.ChatKey, ReceivedAt: rules.TruncateTime(c.Fresh.ReceivedAt)}}
	if c.Fresh.ReceivedAt.IsZero() {
		r.item.ReceivedAt = m.clock()
	}
	m.inbox[c.UpdateID] = r
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
