package memory

import (
	"context"
	"fmt"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage/internal/rules"
)

// Classification, partners, referrals, duplicates, look-ups and the
// timeline of Store, with the semantics of the postgres.Store methods of the
// same names.

// FindCases looks cases up, as postgres.Store.FindCases does.
func (m *Store) FindCases(ctx context.Context, q tipline.FindQuery) ([]tipline.Found, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("find cases: %w", err)
	}
	if err := rules.CheckFind(q); err != nil {
		return nil, fmt.Errorf("find cases: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if q.Reference != "" {
		sc, ok := m.cases[q.Reference]
		if !ok || !rules.InScope(q, sc.c.Status, sc.c.Assignment.ReviewerID) {
			return []tipline.Found{}, nil
		}
		return []tipline.Found{{CaseSummary: rules.SummaryOf(sc.c)}}, nil
	}
	out := []tipline.Found{}
	for _, sc := range m.order {
		if sc.c.Status == tipline.StatusClosed || m.cases[sc.c.Reference] != sc || !rules.InScope(q, sc.c.Status, sc.c.Assignment.ReviewerID) {
			continue
		}
		if f, ok := rules.MatchOpenCase(q, sc.c.Answers, sc.c.Location); ok {
			f.CaseSummary = rules.SummaryOf(sc.c)
			out = append(out, f)
		}
	}
	return rules.SortFound(q, out), nil
}
