package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/tipline/tipline"
)

// ReportCase is what the board report knows of one case: counts and
// times, never content.
type ReportCase struct {
	Kind        tipline.Kind
	Urgency     tipline.Urgency
	Status      tipline.Status
	Outcome     tipline.Outcome
	SubmittedAt time.Time
	// AcknowledgedAt is zero until someone took the case; Assignee is the
	// reviewer who took it (0 for none).
	AcknowledgedAt time.Time
	Assignee       int64
	// Escalations counts the reviewers' "Escalate" presses on the case.
	Escalations int
	// Partner is the partner a referred case went to (PartnerID 0 and
	// PartnerName "" for none): the report counts referrals by partner.
	PartnerID   int64
	PartnerName string
	// Exploitation and Risk are the reviewer's classification, "" unset.
	Exploitation tipline.Exploitation
	Risk         tipline.Risk
}

// ReferralsByPartner counts the referred cases of a report by partner
// name, for the report's table of referrals.
func ReferralsByPartner(cases []ReportCase) map[string]int {
	out := map[string]int{}
	for _, c := range cases {
		if c.PartnerID != 0 {
			out[c.PartnerName]++
		}
	}
	return out
}

// ReportCases lists the cases submitted in [from, to), oldest first.
// Cases deleted by retention are no longer there.
func (p *Postgres) ReportCases(ctx context.Context, from, to time.Time) ([]ReportCase, error) {
	const q = `
		select c.kind, c.urgency, c.status, coalesce(c.outcome, ''), c.submitted_at, c.acknowledged_at,
		       coalesce(c.assignee, 0),
		       (select count(*) from audit_events a where a.case_id = c.id and a.action = $3),
		       coalesce(c.partner_id, 0), coalesce(p.name, ''), coalesce(c.exploitation, ''), coalesce(c.risk, '')
		from cases c
		left join partners p on p.id = c.partner_id
		where c.submitted_at >= $1 and c.submitted_at < $2
		order by c.submitted_at, c.id`
	rows, err := p.pool.Query(ctx, q, from, to, ActionEscalated)
	if err != nil {
		return nil, fmt.Errorf("report cases: %w", dbErr(err))
	}
	defer rows.Close()
	var out []ReportCase
	for rows.Next() {
		var r ReportCase
		var kind, urgency, status, outcome, exploit, risk string
		var acked *time.Time
		if err := rows.Scan(&kind, &urgency, &status, &outcome, &r.SubmittedAt, &acked, &r.Assignee, &r.Escalations,
			&r.PartnerID, &r.PartnerName, &exploit, &risk); err != nil {
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
