package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// RecordRead records that a reviewer read part of a case (what is one of
// storage.ReadDetails, ReadWords, ReadFiles, ReadFound), as the audit event
// "viewed:WHAT" by "reviewer:ID"; tipline.ErrNotFound for no such case.
func (p *Store) RecordRead(ctx context.Context, ref tipline.Reference, reviewerID int64, what string) error {
	if err := p.recordByReviewer(ctx, ref, reviewerID, storage.ActionViewedPrefix+what); err != nil {
		return fmt.Errorf("record a read of case %s: %w", ref, err)
	}
	return nil
}

// RecordTakeOverWhy records why a reviewer took a case over, as the audit
// event "take_over_why:WHY"; tipline.ErrNotFound for no such case.
func (p *Store) RecordTakeOverWhy(ctx context.Context, ref tipline.Reference, reviewerID int64, why string) error {
	if err := p.recordByReviewer(ctx, ref, reviewerID, storage.ActionTakeOverWhyPrefix+why); err != nil {
		return fmt.Errorf("record why case %s was taken over: %w", ref, err)
	}
	return nil
}

// recordByReviewer adds the audit event action by a reviewer to a case.
func (p *Store) recordByReviewer(ctx context.Context, ref tipline.Reference, reviewerID int64, action string) error {
	const q = `
		insert into audit_events (case_id, actor, action)
		select id, $2, $3 from cases where reference = $1`
	tag, err := p.pool.Exec(ctx, q, string(ref), tipline.ReviewerActor(reviewerID), action)
	if err != nil {
		return dbErr(err)
	}
	if tag.RowsAffected() == 0 {
		return tipline.ErrNotFound
	}
	return nil
}

// ReviewerAudit lists everything one reviewer did or read since since,
// over all cases that still exist, oldest first: what a lost or stolen
// phone reached.
func (p *Store) ReviewerAudit(ctx context.Context, reviewerID int64, since time.Time) ([]tipline.AuditEvent, error) {
	const q = `
		select c.reference, e.actor, e.action, e.at
		from audit_events e
		join cases c on c.id = e.case_id
		where e.actor = $1 and e.at >= $2
		order by e.at, e.id`
	rows, err := p.pool.Query(ctx, q, tipline.ReviewerActor(reviewerID), since)
	if err != nil {
		return nil, fmt.Errorf("list audit of reviewer %d: %w", reviewerID, dbErr(err))
	}
	defer rows.Close()
	out := []tipline.AuditEvent{}
	for rows.Next() {
		var e tipline.AuditEvent
		var ref string
		if err := rows.Scan(&ref, &e.Actor, &e.Action, &e.At); err != nil {
			return nil, fmt.Errorf("list audit of reviewer %d: %w", reviewerID, dbErr(err))
		}
		e.Reference = tipline.Reference(ref)
		out = append(out, e)
	}
	return out, dbErr(rows.Err())
}
