package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// A reviewer Telegram will not reach (blocked bot, account gone) costs a
// case seconds, not an escalation period (G17): the mark moves their
// waiting cases on at once, and routing passes them over until they write
// to the bot again.

// MarkUnreachable marks a reviewer unreachable since now, unless they
// already are, and in the same transaction brings forward the pending
// routing jobs of every received case they were notified of, each with a
// "moved_on_unreachable_<id>" audit event by the system, so the next level
// is told at once. notices (the word to the admins) are queued only when
// this call made the mark, so two processes that see the same refusal
// tell the admins once. It returns whether this call made the mark and
// the cases moved on; tipline.ErrNotFound for an unknown reviewer.
func (p *Store) MarkUnreachable(ctx context.Context, id int64, now time.Time, notices []storage.OutboxEntry) (bool, []tipline.Reference, error) {
	const mark = `
		update reviewers r set unreachable_at = coalesce(r.unreachable_at, $2)
		from reviewers old
		where r.id = $1 and old.id = r.id
		returning old.unreachable_at is null`
	// Cases are locked in id order, as the other case changes lock them,
	// before their jobs are touched (as CompleteJob does).
	const waiting = `
		select c.id, c.reference from cases c
		where c.status = 'received'
		  and exists (select 1 from notifications n where n.case_id = c.id and n.reviewer_id = $1)
		order by c.id
		for update of c`
	const forward = `update jobs set run_at = $2 where case_id = $1 and run_at > $2`
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return false, nil, fmt.Errorf("mark reviewer %d unreachable: %w", id, dbErr(err))
	}
	defer tx.Rollback(ctx)
	var marked bool
	if err := tx.QueryRow(ctx, mark, id, now).Scan(&marked); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return false, nil, fmt.Errorf("mark reviewer %d unreachable: %w", id, tipline.ErrNotFound)
		}
		return false, nil, fmt.Errorf("mark reviewer %d unreachable: %w", id, dbErr(err))
	}
	type waitingCase struct {
		id  int64
		ref tipline.Reference
	}
	var cases []waitingCase
	err = collect(ctx, tx, waiting, func(r pgx.Rows) error {
		var c waitingCase
		var ref string
		err := r.Scan(&c.id, &ref)
		c.ref = tipline.Reference(ref)
		cases = append(cases, c)
		return err
	}, id)
	if err != nil {
		return false, nil, fmt.Errorf("mark reviewer %d unreachable: cases: %w", id, err)
	}
	moved := []tipline.Reference{}
	action := storage.ActionMovedOnPrefix + strconv.FormatInt(id, 10)
	for _, c := range cases {
		tag, err := tx.Exec(ctx, forward, c.id, now)
		if err != nil {
			return false, nil, fmt.Errorf("mark reviewer %d unreachable: move case %s on: %w", id, c.ref, dbErr(err))
		}
		if tag.RowsAffected() == 0 {
			continue // its next level is due already, or it has none left
		}
		if err := insertAuditAt(ctx, tx, c.id, tipline.ActorSystem, action, now); err != nil {
			return false, nil, fmt.Errorf("mark reviewer %d unreachable: %w", id, err)
		}
		moved = append(moved, c.ref)
	}
	if marked {
		if err := p.insertOutbox(ctx, tx, notices); err != nil {
			return false, nil, fmt.Errorf("mark reviewer %d unreachable: notices: %w", id, dbErr(err))
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return false, nil, fmt.Errorf("mark reviewer %d unreachable: %w", id, dbErr(err))
	}
	return marked, moved, nil
}

// MarkReachable clears a reviewer's unreachable mark (they wrote to the
// bot, or unblocked it) and tells whether there was one to clear;
// tipline.ErrNotFound for an unknown reviewer.
func (p *Store) MarkReachable(ctx context.Context, id int64) (bool, error) {
	const q = `
		update reviewers r set unreachable_at = null
		from reviewers old
		where r.id = $1 and old.id = r.id
		returning old.unreachable_at is not null`
	var was bool
	err := p.pool.QueryRow(ctx, q, id).Scan(&was)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("mark reviewer %d reachable: %w", id, tipline.ErrNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("mark reviewer %d reachable: %w", id, dbErr(err))
	}
	return was, nil
}
