package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/tipline/tipline"
)

// Retention: a closed case is kept for a configured period after it was
// closed, then deleted with everything attached to it — answers,
// attachments and their bytes, additions, notes, routing jobs,
// notification copies and its audit trail. Nothing is kept aside: the rows
// are deleted, not marked. The reviewer who had the case is warned before
// (CasesToWarn, MarkRetentionWarned). Open cases (received or
// acknowledged) are never deleted, however old. The caller decides the
// period and passes the times; the store reckons nothing from its own
// clock.
//
// A case closed without a closing time (by a status change of an earlier
// version) has the time of its last change stand for it, so it is not kept
// forever.

// CasesToWarn lists the closed cases closed before warnBefore (the caller
// passes now minus the retention period plus the warning's notice, such as
// 72 hours) whose reviewer has not been warned yet (MarkRetentionWarned),
// the earliest closed first, with the reviewer who had each. An empty list
// when there are none.
func (p *Store) CasesToWarn(ctx context.Context, warnBefore time.Time) ([]tipline.RetentionWarning, error) {
	const q = `
		select reference, coalesce(assignee, 0), coalesce(closed_at, updated_at)
		from cases
		where status = 'closed'
		  and coalesce(closed_at, updated_at) < $1
		  and retention_warned_at is null
		order by coalesce(closed_at, updated_at), id`
	rows, err := p.pool.Query(ctx, q, warnBefore)
	if err != nil {
		return nil, fmt.Errorf("list cases to warn: %w", dbErr(err))
	}
	defer rows.Close()
	out := []tipline.RetentionWarning{}
	for rows.Next() {
		var (
			w   tipline.RetentionWarning
			ref string
		)
		if err := rows.Scan(&ref, &w.ReviewerID, &w.ClosedAt); err != nil {
			return nil, fmt.Errorf("list cases to warn: %w", dbErr(err))
		}
		w.Reference = tipline.Reference(ref)
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list cases to warn: %w", dbErr(err))
	}
	return out, nil
}

// MarkRetentionWarned records that the reviewer of a case was warned of
// its deletion, at now, so CasesToWarn leaves it out. Marking again keeps
// the first time. Closing the case again after reopening it clears the
// mark. It gives tipline.ErrNotFound for an unknown case.
func (p *Store) MarkRetentionWarned(ctx context.Context, ref tipline.Reference, now time.Time) error {
	const q = `update cases set retention_warned_at = coalesce(retention_warned_at, $2) where reference = $1`
	tag, err := p.pool.Exec(ctx, q, string(ref), now)
	if err != nil {
		return fmt.Errorf("mark case %s warned: %w", ref, dbErr(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("mark case %s warned: %w", ref, tipline.ErrNotFound)
	}
	return nil
}

// deleteCaseRows are the statements that delete cases (ids in $1) with
// everything attached to them, in an order the foreign keys accept.
var deleteCaseRows = []string{
	`delete from notifications where case_id = any($1)`,
	`delete from jobs where case_id = any($1)`,
	`delete from notes where case_id = any($1)`,
	`delete from audit_events where case_id = any($1)`,
	`delete from attachments where case_id = any($1)`,
	`delete from additions where case_id = any($1)`,
	`delete from referrals where case_id = any($1)`,
	// A block outlives its case, but no longer names it.
	`update blocks set reference = null where reference in (select reference from cases where id = any($1))`,
	`delete from cases where id = any($1)`,
}

// DeleteClosedCases deletes up to limit closed cases closed before cutoff
// (the caller passes now minus the retention period), the earliest closed
// first, with their answers, attachments and their bytes, additions,
// notes, routing jobs, notification copies and audit events, in one
// transaction, and returns their references. Each call is one batch: call
// again until it returns none. Open cases are never deleted, however old; a
// case being changed meanwhile is left for the next call. A limit of 0 or
// less deletes nothing. Blocks of the cases' reporters stay, but no longer
// name the case they were made from.
func (p *Store) DeleteClosedCases(ctx context.Context, cutoff time.Time, limit int) ([]tipline.Reference, error) {
	const pick = `
		select id, reference
		from cases
		where status = 'closed' and coalesce(closed_at, updated_at) < $1
		order by coalesce(closed_at, updated_at), id
		limit $2
		for update skip locked`
	out := []tipline.Reference{}
	if limit <= 0 {
		return out, nil
	}
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("delete closed cases: %w", dbErr(err))
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, pick, cutoff, limit)
	if err != nil {
		return nil, fmt.Errorf("delete closed cases: %w", dbErr(err))
	}
	var ids []int64
	for rows.Next() {
		var (
			id  int64
			ref string
		)
		if err := rows.Scan(&id, &ref); err != nil {
			rows.Close()
			return nil, fmt.Errorf("delete closed cases: %w", dbErr(err))
		}
		ids = append(ids, id)
		out = append(out, tipline.Reference(ref))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("delete closed cases: %w", dbErr(err))
	}
	if len(ids) == 0 {
		return out, nil
	}
	for _, sql := range deleteCaseRows {
		if _, err := tx.Exec(ctx, sql, ids); err != nil {
			return nil, fmt.Errorf("delete closed cases: %w", dbErr(err))
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("delete closed cases: %w", dbErr(err))
	}
	return out, nil
}

// PurgeInbox deletes the inbox rows processed before cutoff (the caller
// passes now minus 48 hours, say) and returns how many. Unprocessed rows
// stay, however old. A purged update_id is no longer recognised as a
// duplicate, so cutoff must lie well beyond the time Telegram may deliver
// an update again.
func (p *Store) PurgeInbox(ctx context.Context, cutoff time.Time) (int, error) {
	const q = `delete from inbox where processed_at is not null and processed_at < $1`
	tag, err := p.pool.Exec(ctx, q, cutoff)
	if err != nil {
		return 0, fmt.Errorf("purge inbox: %w", dbErr(err))
	}
	return int(tag.RowsAffected()), nil
}

// PurgeAudit deletes the audit events that happened before cutoff (the
// caller passes now minus the configured period) and returns how many.
// The cases stay; the events of a deleted case went with it.
func (p *Store) PurgeAudit(ctx context.Context, cutoff time.Time) (int, error) {
	const q = `delete from audit_events where at < $1`
	tag, err := p.pool.Exec(ctx, q, cutoff)
	if err != nil {
		return 0, fmt.Errorf("purge audit: %w", dbErr(err))
	}
	return int(tag.RowsAffected()), nil
}
