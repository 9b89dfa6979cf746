package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// Who has a case: a reviewer takes it over from another, an operator
// reassigns it, and disabling a reviewer sends their open cases back to
// routing, so that no case waits on someone who can no longer act.

// Reassign gives an open case to reviewer to since now, in one
// transaction: it becomes acknowledged with them as assignee, its pending
// routing jobs are deleted (someone has it), and "reassigned_to_<to>" is
// recorded by actor. It returns who had the case before (0 for nobody).
// Giving a case to the reviewer who has it changes and records nothing.
// It gives tipline.ErrNotFound for an unknown case or reviewer, ErrInvalid
// for a closed case, a disabled reviewer or an empty actor.
func (p *Store) Reassign(ctx context.Context, ref tipline.Reference, to int64, actor string, now time.Time) (int64, error) {
	const current = `select coalesce(assignee, 0) from cases where id = $1`
	const active = `select disabled_at is null from reviewers where id = $1`
	const update = `
		update cases
		set status = 'acknowledged', assignee = $2, acknowledged_at = $3, updated_at = $3
		where id = $1`
	const deleteJobs = `delete from jobs where case_id = $1`
	if actor == "" {
		return 0, fmt.Errorf("reassign case %s: %w: no actor", ref, tipline.ErrInvalid)
	}
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("reassign case %s: %w", ref, dbErr(err))
	}
	defer tx.Rollback(ctx)
	caseID, _, status, err := lockCase(ctx, tx, ref)
	if err != nil {
		return 0, fmt.Errorf("reassign case %s: %w", ref, err)
	}
	if err := requireReviewer(ctx, tx, to); err != nil {
		return 0, fmt.Errorf("reassign case %s: %w", ref, err)
	}
	var isActive bool
	if err := tx.QueryRow(ctx, active, to).Scan(&isActive); err != nil {
		return 0, fmt.Errorf("reassign case %s: %w", ref, dbErr(err))
	}
	if !isActive {
		return 0, fmt.Errorf("reassign case %s: %w: reviewer %d is disabled", ref, tipline.ErrInvalid, to)
	}
	if status == tipline.StatusClosed {
		return 0, fmt.Errorf("reassign case %s: %w: case is closed", ref, tipline.ErrInvalid)
	}
	var prev int64
	if err := tx.QueryRow(ctx, current, caseID).Scan(&prev); err != nil {
		return 0, fmt.Errorf("reassign case %s: %w", ref, dbErr(err))
	}
	if prev == to && status == tipline.StatusAcknowledged {
		return prev, nil
	}
	if _, err := tx.Exec(ctx, update, caseID, to, now); err != nil {
		return 0, fmt.Errorf("reassign case %s: %w", ref, dbErr(err))
	}
	if _, err := tx.Exec(ctx, deleteJobs, caseID); err != nil {
		return 0, fmt.Errorf("reassign case %s: jobs: %w", ref, dbErr(err))
	}
	if err := insertAuditAt(ctx, tx, caseID, actor, storage.ActionReassignedPrefix+strconv.FormatInt(to, 10), now); err != nil {
		return 0, fmt.Errorf("reassign case %s: %w", ref, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("reassign case %s: %w", ref, dbErr(err))
	}
	return prev, nil
}

// DisableReviewer disables a reviewer from now, in one transaction: their
// buttons stop working, and every open case they have goes back to
// routing: received again, nobody's, with a level-0 job due now and a
// "returned_to_routing" audit event by ActorSystem. Disabling a disabled
// reviewer changes nothing. It gives tipline.ErrNotFound for an unknown
// reviewer.
func (p *Store) DisableReviewer(ctx context.Context, id int64, now time.Time) error {
	const disable = `update reviewers set disabled_at = coalesce(disabled_at, $2) where id = $1`
	const back = `
		update cases
		set status = 'received', assignee = null, acknowledged_at = null, updated_at = $2
		where assignee = $1 and status = 'acknowledged'
		returning id`
	const job = `insert into jobs (case_id, level, run_at) values ($1, 0, $2)`
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("disable reviewer %d: %w", id, dbErr(err))
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, disable, id, now)
	if err != nil {
		return fmt.Errorf("disable reviewer %d: %w", id, dbErr(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("disable reviewer %d: %w", id, tipline.ErrNotFound)
	}
	var ids []int64
	err = collect(ctx, tx, back, func(r pgx.Rows) error {
		var caseID int64
		err := r.Scan(&caseID)
		ids = append(ids, caseID)
		return err
	}, id, now)
	if err != nil {
		return fmt.Errorf("disable reviewer %d: cases: %w", id, err)
	}
	for _, caseID := range ids {
		if _, err := tx.Exec(ctx, job, caseID, now); err != nil {
			return fmt.Errorf("disable reviewer %d: route case again: %w", id, dbErr(err))
		}
		if err := insertAuditAt(ctx, tx, caseID, tipline.ActorSystem, storage.ActionReturnedToRouting, now); err != nil {
			return fmt.Errorf("disable reviewer %d: %w", id, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("disable reviewer %d: %w", id, dbErr(err))
	}
	return nil
}
