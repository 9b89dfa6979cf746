package memory

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/tipline/tipline"
)

// InboxDropDead deletes one dead letter now, audited; as postgres.Store.
func (m *Store) InboxDropDead(ctx context.Context, updateID int64, actor string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("drop dead update %d: %w", updateID, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.dead[updateID]; !ok {
		return fmt.Errorf("drop dead update %d: %w", updateID, tipline.ErrNotFound)
	}
	delete(m.dead, updateID)
	m.opEvents = append(m.opEvents, tipline.AuditEvent{Actor: actor, Action: "dead_letter_dropped " + strconv.FormatInt(updateID, 10), At: m.clock()})
	return nil
}

// InboxDropAllDead deletes every dead letter now, audited; as
// postgres.Store.
func (m *Store) InboxDropAllDead(ctx context.Context, actor string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("drop dead updates: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.dead)
	if n == 0 {
		return 0, nil
	}
	clear(m.dead)
	m.opEvents = append(m.opEvents, tipline.AuditEvent{Actor: actor, Action: "dead_letters_dropped " + strconv.Itoa(n), At: m.clock()})
	return n, nil
}

// PurgeDeadLetters deletes the dead letters set aside before before.
func (m *Store) PurgeDeadLetters(ctx context.Context, before time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("purge dead updates: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for id, d := range m.dead {
		if d.deadAt.Before(before) {
			delete(m.dead, id)
			n++
		}
	}
	return n, nil
}

// InboxDropDeadOfChat deletes the dead letters of one chat, for /forget.
func (m *Store) InboxDropDeadOfChat(ctx context.Context, chatKey string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("drop dead updates of a chat: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for id, d := range m.dead {
		if d.row.ChatKey == chatKey {
			delete(m.dead, id)
			n++
		}
	}
	return n, nil
}

// OperatorEvents lists what operators did to no case since since.
func (m *Store) OperatorEvents(ctx context.Context, since time.Time) ([]tipline.AuditEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list operator events: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []tipline.AuditEvent{}
	for _, e := range m.opEvents {
		if !e.At.Before(since) {
			out = append(out, e)
		}
	}
	return slices.Clone(out), nil
}
