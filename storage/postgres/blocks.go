package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// Blocking: a reviewer can block the reporter of a case that abuses the tip
// line. The reviewer names the case; the store blocks its reporter's
// pseudonym, which the reviewer never sees. A block row holds only the
// pseudonym and when: it names no case, so it outlives the case's deletion
// and the reporter asking to be forgotten (abuse protection), and the
// audit trail of the case records who blocked.

// caseReporter locks a case and returns its id and reporter pseudonym
// ("" once the reporter was forgotten); tipline.ErrNotFound for an unknown
// case.
func caseReporter(ctx context.Context, tx pgx.Tx, ref tipline.Reference) (int64, string, error) {
	const q = `select id, coalesce(reporter, '') from cases where reference = $1 for update`
	var (
		caseID   int64
		reporter string
	)
	err := tx.QueryRow(ctx, q, string(ref)).Scan(&caseID, &reporter)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, "", tipline.ErrNotFound
	}
	if err != nil {
		return 0, "", dbErr(err)
	}
	return caseID, reporter, nil
}

// BlockReporterFor blocks the reporter of a case from now on for a
// reason, keeping the reason and the case's reference with the block, and
// records "reporter_blocked:<reason>" by the reviewer in the case's audit
// trail, in one transaction. A case whose reporter was forgotten has none
// to block, and a reporter already blocked stays blocked as they were:
// both change and record nothing. It gives tipline.ErrNotFound for an
// unknown case or reviewer and ErrInvalid for an unknown reason. Errors
// name the case, never the pseudonym.
func (p *Store) BlockReporterFor(ctx context.Context, ref tipline.Reference, reviewerID int64, reason tipline.BlockReason, now time.Time) error {
	return p.blockReporter(ctx, ref, reviewerID, reason, storage.ActionReporterBlockedPrefix+string(reason), now)
}

func (p *Store) blockReporter(ctx context.Context, ref tipline.Reference, reviewerID int64, reason tipline.BlockReason, action string, now time.Time) error {
	const insert = `
		insert into blocks (pseudonym, blocked_at, reason, reference) values ($1, $2, $3, $4)
		on conflict (pseudonym) do nothing`
	if !reason.Valid() {
		return fmt.Errorf("block reporter of case %s: %w: unknown reason", ref, tipline.ErrInvalid)
	}
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("block reporter of case %s: %w", ref, dbErr(err))
	}
	defer tx.Rollback(ctx)
	caseID, reporter, err := caseReporter(ctx, tx, ref)
	if err != nil {
		return fmt.Errorf("block reporter of case %s: %w", ref, err)
	}
	if err := requireReviewer(ctx, tx, reviewerID); err != nil {
		return fmt.Errorf("block reporter of case %s: %w", ref, err)
	}
	if reporter == "" {
		return nil
	}
	tag, err := tx.Exec(ctx, insert, reporter, now, string(reason), string(ref))
	if err != nil {
		return fmt.Errorf("block reporter of case %s: %w", ref, dbErr(err))
	}
	if tag.RowsAffected() == 0 {
		return nil
	}
	if err := insertAuditAt(ctx, tx, caseID, tipline.ReviewerActor(reviewerID), action, now); err != nil {
		return fmt.Errorf("block reporter of case %s: %w", ref, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("block reporter of case %s: %w", ref, dbErr(err))
	}
	return nil
}

// Blocks lists the blocks, the most recent first: the case each was made
// from, its reason and when; never the pseudonym.
func (p *Store) Blocks(ctx context.Context) ([]tipline.Block, error) {
	const q = `select coalesce(reference, ''), reason, blocked_at from blocks order by blocked_at desc, coalesce(reference, '') collate "C"`
	rows, err := p.pool.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list blocks: %w", dbErr(err))
	}
	defer rows.Close()
	out := []tipline.Block{}
	for rows.Next() {
		var b tipline.Block
		var ref, reason string
		if err := rows.Scan(&ref, &reason, &b.BlockedAt); err != nil {
			return nil, fmt.Errorf("list blocks: %w", dbErr(err))
		}
		b.Reference, b.Reason = tipline.Reference(ref), tipline.BlockReason(reason)
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list blocks: %w", dbErr(err))
	}
	return out, nil
}

// UnblockReporter lifts the block of the reporter of a case, and records
// "reporter_unblocked" by the reviewer in the case's audit trail, in one
// transaction. A case whose reporter was forgotten, or whose reporter is
// not blocked, changes and records nothing. It gives tipline.ErrNotFound
// for an unknown case or reviewer.
func (p *Store) UnblockReporter(ctx context.Context, ref tipline.Reference, reviewerID int64, now time.Time) error {
	const remove = `delete from blocks where pseudonym = $1`
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("unblock reporter of case %s: %w", ref, dbErr(err))
	}
	defer tx.Rollback(ctx)
	caseID, reporter, err := caseReporter(ctx, tx, ref)
	if err != nil {
		return fmt.Errorf("unblock reporter of case %s: %w", ref, err)
	}
	if err := requireReviewer(ctx, tx, reviewerID); err != nil {
		return fmt.Errorf("unblock reporter of case %s: %w", ref, err)
	}
	if reporter == "" {
		return nil
	}
	tag, err := tx.Exec(ctx, remove, reporter)
	if err != nil {
		return fmt.Errorf("unblock reporter of case %s: %w", ref, dbErr(err))
	}
	if tag.RowsAffected() == 0 {
		return nil
	}
	if err := insertAuditAt(ctx, tx, caseID, tipline.ReviewerActor(reviewerID), storage.ActionReporterUnblocked, now); err != nil {
		return fmt.Errorf("unblock reporter of case %s: %w", ref, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("unblock reporter of case %s: %w", ref, dbErr(err))
	}
	return nil
}

// IsBlocked tells whether the reporter with any of these pseudonyms is
// blocked; false for none or only empty ones. It takes every pseudonym the
// key ring makes for the reporter, so a block made before a key rotation
// holds until "tipline rekey" moves it. Its errors do not name the
// pseudonym.
func (p *Store) IsBlocked(ctx context.Context, pseudonyms ...string) (bool, error) {
	const q = `select exists (select 1 from blocks where pseudonym = any($1))`
	pseudonyms = rules.NonEmpty(pseudonyms)
	if len(pseudonyms) == 0 {
		return false, nil
	}
	var blocked bool
	if err := p.pool.QueryRow(ctx, q, pseudonyms).Scan(&blocked); err != nil {
		return false, fmt.Errorf("check block: %w", dbErr(err))
	}
	return blocked, nil
}

// UnblockByOperator lifts, for the operator ("tipline reporters unblock"),
// the block made from a case or held by its reporter, and records
// "reporter_unblocked" by ActorOperator in the case's audit trail when the
// case is still there. A block outlives its case, so it can be lifted by
// the reference kept with it after the case was deleted. It reports
// whether a block was lifted; false, and no error, when there was none.
func (p *Store) UnblockByOperator(ctx context.Context, ref tipline.Reference, now time.Time) (bool, error) {
	const remove = `delete from blocks where reference = $1 or pseudonym = $2`
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("unblock reporter of case %s: %w", ref, dbErr(err))
	}
	defer tx.Rollback(ctx)
	caseID, reporter, err := caseReporter(ctx, tx, ref)
	if err != nil && !errors.Is(err, tipline.ErrNotFound) {
		return false, fmt.Errorf("unblock reporter of case %s: %w", ref, err)
	}
	tag, err := tx.Exec(ctx, remove, string(ref), reporter)
	if err != nil {
		return false, fmt.Errorf("unblock reporter of case %s: %w", ref, dbErr(err))
	}
	if tag.RowsAffected() == 0 {
		return false, nil
	}
	if caseID != 0 {
		if err := insertAuditAt(ctx, tx, caseID, tipline.ActorOperator, storage.ActionReporterUnblocked, now); err != nil {
			return false, fmt.Errorf("unblock reporter of case %s: %w", ref, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("unblock reporter of case %s: %w", ref, dbErr(err))
	}
	return true, nil
}
