package postgres

import (
	"context"
	"fmt"

	"github.com/tipline/tipline"
)

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
