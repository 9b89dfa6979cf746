package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tipline/tipline"
)

// insertAudit records that actor did action to a case, inside tx so the
// event commits with the change it describes.
func insertAudit(ctx context.Context, tx pgx.Tx, caseID int64, actor, action string) error {
	const q = `insert into audit_events (case_id, actor, action) values ($1, $2, $3)`
	if _, err := tx.Exec(ctx, q, caseID, actor, action); err != nil {
		return fmt.Errorf("audit %s: %w", action, dbErr(err))
	}
	return nil
}

// insertAuditAt is insertAudit for a change made at a time the caller gave.
func insertAuditAt(ctx context.Context, tx pgx.Tx, caseID int64, actor, action string, at time.Time) error {
	const q = `insert into audit_events (case_id, actor, action, at) values ($1, $2, $3, $4)`
	if _, err := tx.Exec(ctx, q, caseID, actor, action, at); err != nil {
		return fmt.Errorf("audit %s: %w", action, dbErr(err))
	}
	return nil
}

// Audit lists a case's audit events in the order they happened, or
// tipline.ErrNotFound when there is no such case.
func (p *Store) Audit(ctx context.Context, ref tipline.Reference) ([]tipline.AuditEvent, error) {
	const q = `
		select e.actor, e.action, e.at
		from audit_events e
		join cases c on c.id = e.case_id
		where c.reference = $1
		order by e.id`
	rows, err := p.pool.Query(ctx, q, string(ref))
	if err != nil {
		return nil, fmt.Errorf("list audit of case %s: %w", ref, dbErr(err))
	}
	defer rows.Close()
	var events []tipline.AuditEvent
	for rows.Next() {
		e := tipline.AuditEvent{Reference: ref}
		if err := rows.Scan(&e.Actor, &e.Action, &e.At); err != nil {
			return nil, fmt.Errorf("list audit of case %s: %w", ref, dbErr(err))
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list audit of case %s: %w", ref, dbErr(err))
	}
	if len(events) == 0 {
		if err := p.caseExists(ctx, ref); err != nil {
			return nil, fmt.Errorf("list audit of case %s: %w", ref, err)
		}
	}
	return events, nil
}

// caseExists tells why a case's list came back empty: nil when the case is
// there (the list is empty), tipline.ErrNotFound when there is no such case.
func (p *Store) caseExists(ctx context.Context, ref tipline.Reference) error {
	const q = `select exists (select 1 from cases where reference = $1)`
	var exists bool
	if err := p.pool.QueryRow(ctx, q, string(ref)).Scan(&exists); err != nil {
		return dbErr(err)
	}
	if !exists {
		return tipline.ErrNotFound
	}
	return nil
}
