package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// ReportCases lists the cases submitted in [from, to), oldest first.
// Cases deleted by retention are no longer there.
func (p *Store) ReportCases(ctx context.Context, from, to time.Time) ([]tipline.ReportCase, error) {
	const q = `
		select c.kind, c.urgency, c.status, coalesce(c.outcome, ''), c.submitted_at, c.acknowledged_at,
		       coalesce(c.assignee, 0),
		       (select count(*) from audit_events a where a.case_id = c.id and a.action = $3),
		       coalesce(c.exploitation, ''), coalesce(c.risk, ''),
		       c.lang,
		       array(select rp.name from referrals r join partners rp on rp.id = r.partner_id
		             where r.case_id = c.id order by r.referred_at, rp.id)
		from cases c
		where c.submitted_at >= $1 and c.submitted_at < $2
		order by c.submitted_at, c.id`
	rows, err := p.pool.Query(ctx, q, from, to, storage.ActionEscalated)
	if err != nil {
		return nil, fmt.Errorf("report cases: %w", dbErr(err))
	}
	defer rows.Close()
	var out []tipline.ReportCase
	for rows.Next() {
		var r tipline.ReportCase
		var kind, urgency, status, outcome, exploit, risk string
		var acked *time.Time
		if err := rows.Scan(&kind, &urgency, &status, &outcome, &r.SubmittedAt, &acked, &r.Assignee, &r.Escalations,
			&exploit, &risk, &r.Lang, &r.Partners); err != nil {
			return nil, fmt.Errorf("report cases: %w", dbErr(err))
		}
		r.Kind, r.Urgency, r.Status, r.Outcome = tipline.Kind(kind), tipline.Urgency(urgency), tipline.Status(status), tipline.Outcome(outcome)
		r.Exploitation, r.Risk = tipline.Exploitation(exploit), tipline.Risk(risk)
		if acked != nil {
			r.AcknowledgedAt = *acked
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report cases: %w", dbErr(err))
	}
	return out, nil
}
