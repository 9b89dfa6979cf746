package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// ReportCases lists the cases submitted in [from, to), oldest first.
// Cases deleted by retention are no longer there. With placeAnswers (the
// answer keys that say where, in the order to look), each case's sealed
// answers are opened for its Place and Location; without, nothing sealed
// is opened.
func (p *Store) ReportCases(ctx context.Context, from, to time.Time, placeAnswers ...string) ([]tipline.ReportCase, error) {
	const q = `
		select c.kind, c.urgency, c.status, coalesce(c.outcome, ''), c.submitted_at, c.acknowledged_at,
		       coalesce(c.assignee, 0),
		       (select count(*) from audit_events a where a.case_id = c.id and a.action = $3),
		       coalesce(c.exploitation, ''), coalesce(c.risk, ''),
		       c.lang, c.draft_id, case when $4 then c.answers end,
		       array(select rp.name from referrals r join partners rp on rp.id = r.partner_id
		             where r.case_id = c.id order by r.referred_at, rp.id)
		from cases c
		where c.submitted_at >= $1 and c.submitted_at < $2
		order by c.submitted_at, c.id`
	rows, err := p.pool.Query(ctx, q, from, to, storage.ActionEscalated, len(placeAnswers) > 0)
	if err != nil {
		return nil, fmt.Errorf("report cases: %w", dbErr(err))
	}
	defer rows.Close()
	var out []tipline.ReportCase
	for rows.Next() {
		var r tipline.ReportCase
		var kind, urgency, status, outcome, exploit, risk string
		var acked *time.Time
		var draftID string
		var sealed []byte
		if err := rows.Scan(&kind, &urgency, &status, &outcome, &r.SubmittedAt, &acked, &r.Assignee, &r.Escalations,
			&exploit, &risk, &r.Lang, &draftID, &sealed, &r.Partners); err != nil {
			return nil, fmt.Errorf("report cases: %w", dbErr(err))
		}
		if sealed != nil {
			plain, err := p.ring.Open(sealed, caseAAD(draftID, "answers"))
			if err != nil {
				return nil, fmt.Errorf("report cases: answers: %w", err)
			}
			var ans sealedAnswers
			if err := json.Unmarshal(plain, &ans); err != nil {
				return nil, errors.New("report cases: answers: malformed")
			}
			for _, k := range placeAnswers {
				if v := ans.Answers[k]; v != "" {
					r.Place = v
					break
				}
			}
			r.Location = ans.Location
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
