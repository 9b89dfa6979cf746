package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tipline/tipline"
)

// Dead letters are updates set aside after failing again and again. They
// hold a reporter's words (names and contact cards were stripped at
// intake), so they never outlive their use: the maintenance loop purges
// them after a fixed time, an operator may drop them at once (audited),
// and /forget drops the reporter's own.

// insertOperatorEvent records, inside tx, that actor did action to no
// case in particular.
func insertOperatorEvent(ctx context.Context, tx pgx.Tx, actor, action string) error {
	const q = `insert into operator_events (actor, action) values ($1, $2)`
	if _, err := tx.Exec(ctx, q, actor, action); err != nil {
		return fmt.Errorf("audit %s: %w", action, dbErr(err))
	}
	return nil
}

// InboxDropDead deletes one dead letter now, recording "dead_letter_dropped
// UPDATE" by actor in the same transaction; tipline.ErrNotFound when there
// is no such dead letter.
func (p *Store) InboxDropDead(ctx context.Context, updateID int64, actor string) error {
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("drop dead update %d: %w", updateID, dbErr(err))
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `delete from inbox_dead where update_id = $1`, updateID)
	if err != nil {
		return fmt.Errorf("drop dead update %d: %w", updateID, dbErr(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("drop dead update %d: %w", updateID, tipline.ErrNotFound)
	}
	if err := insertOperatorEvent(ctx, tx, actor, "dead_letter_dropped "+strconv.FormatInt(updateID, 10)); err != nil {
		return fmt.Errorf("drop dead update %d: %w", updateID, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("drop dead update %d: %w", updateID, dbErr(err))
	}
	return nil
}

// InboxDropAllDead deletes every dead letter now, recording
// "dead_letters_dropped N" by actor in the same transaction (nothing when
// there was none), and returns N.
func (p *Store) InboxDropAllDead(ctx context.Context, actor string) (int, error) {
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("drop dead updates: %w", dbErr(err))
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `delete from inbox_dead`)
	if err != nil {
		return 0, fmt.Errorf("drop dead updates: %w", dbErr(err))
	}
	n := int(tag.RowsAffected())
	if n == 0 {
		return 0, nil
	}
	if err := insertOperatorEvent(ctx, tx, actor, "dead_letters_dropped "+strconv.Itoa(n)); err != nil {
		return 0, fmt.Errorf("drop dead updates: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("drop dead updates: %w", dbErr(err))
	}
	return n, nil
}

// PurgeDeadLetters deletes the dead letters set aside before before, for
// the maintenance loop, and returns how many.
func (p *Store) PurgeDeadLetters(ctx context.Context, before time.Time) (int, error) {
	tag, err := p.pool.Exec(ctx, `delete from inbox_dead where dead_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("purge dead updates: %w", dbErr(err))
	}
	return int(tag.RowsAffected()), nil
}

// InboxDropDeadOfChat deletes the dead letters of one chat (by its chat
// key), for /forget, and returns how many.
func (p *Store) InboxDropDeadOfChat(ctx context.Context, chatKey string) (int, error) {
	tag, err := p.pool.Exec(ctx, `delete from inbox_dead where chat_key = $1`, chatKey)
	if err != nil {
		return 0, fmt.Errorf("drop dead updates of a chat: %w", dbErr(err))
	}
	return int(tag.RowsAffected()), nil
}

// OperatorEvents lists what operators did to no case in particular since
// since, oldest first (tipline audit).
func (p *Store) OperatorEvents(ctx context.Context, since time.Time) ([]tipline.AuditEvent, error) {
	const q = `select actor, action, at from operator_events where at >= $1 order by id`
	rows, err := p.pool.Query(ctx, q, since)
	if err != nil {
		return nil, fmt.Errorf("list operator events: %w", dbErr(err))
	}
	defer rows.Close()
	out := []tipline.AuditEvent{}
	for rows.Next() {
		var e tipline.AuditEvent
		if err := rows.Scan(&e.Actor, &e.Action, &e.At); err != nil {
			return nil, fmt.Errorf("list operator events: %w", dbErr(err))
		}
		out = append(out, e)
	}
	return out, dbErr(rows.Err())
}
