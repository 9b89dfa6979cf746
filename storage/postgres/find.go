package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage/internal/rules"
)

// Looking cases up for a reviewer's /find. Answers are sealed, so a search
// by place opens them in Go; it reads open cases only, which keeps it
// bounded by the team's workload rather than by history.

// FindCases looks cases up: by reference (any status), or open cases by
// place words or near a location. An empty list, not an error, when
// nothing matches; ErrInvalid for a query with nothing to look for.
func (p *Store) FindCases(ctx context.Context, q tipline.FindQuery) ([]tipline.Found, error) {
	const open = `
		select reference, draft_id, kind, urgency, status, created_at, answers, coalesce(assignee, 0)
		from cases
		where status <> 'closed'
		order by id`
	if err := rules.CheckFind(q); err != nil {
		return nil, fmt.Errorf("find cases: %w", err)
	}
	if q.Reference != "" {
		c, err := p.Case(ctx, q.Reference)
		if err != nil {
			if isNotFound(err) {
				return []tipline.Found{}, nil
			}
			return nil, fmt.Errorf("find cases: %w", err)
		}
		if !rules.InScope(q, c.Status, c.Assignment.ReviewerID) {
			return []tipline.Found{}, nil
		}
		return []tipline.Found{{CaseSummary: rules.SummaryOf(c)}}, nil
	}
	rows, err := p.pool.Query(ctx, open)
	if err != nil {
		return nil, fmt.Errorf("find cases: %w", dbErr(err))
	}
	defer rows.Close()
	out := []tipline.Found{}
	for rows.Next() {
		var (
			cs                        tipline.CaseSummary
			ref, draft, kind, urg, st string
			sealed                    []byte
			assignee                  int64
		)
		if err := rows.Scan(&ref, &draft, &kind, &urg, &st, &cs.CreatedAt, &sealed, &assignee); err != nil {
			return nil, fmt.Errorf("find cases: %w", dbErr(err))
		}
		cs.Reference, cs.Kind, cs.Urgency, cs.Status = tipline.Reference(ref), tipline.Kind(kind), tipline.Urgency(urg), tipline.Status(st)
		if !rules.InScope(q, cs.Status, assignee) {
			continue // not opened: its answers stay sealed
		}
		plain, err := p.ring.Open(sealed, caseAAD(draft, "answers"))
		if err != nil {
			return nil, fmt.Errorf("find cases: case %s: answers: %w", ref, err)
		}
		var ans sealedAnswers
		if err := json.Unmarshal(plain, &ans); err != nil {
			return nil, fmt.Errorf("find cases: case %s: answers: malformed", ref)
		}
		if f, ok := rules.MatchOpenCase(q, ans.Answers, ans.Location); ok {
			f.CaseSummary = cs
			out = append(out, f)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find cases: %w", dbErr(err))
	}
	return rules.SortFound(q, out), nil
}

// isNotFound tells whether err is tipline.ErrNotFound.
func isNotFound(err error) bool { return errors.Is(err, tipline.ErrNotFound) }
