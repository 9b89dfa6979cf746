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

// Timeline returns a case's story in time order, as postgres.Store.Timeline
// does.
func (m *Store) Timeline(ctx context.Context, ref tipline.Reference) ([]tipline.Event, error) {
	c, err := m.Case(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("timeline of case %s: %w", ref, err)
	}
	notes, err := m.Notes(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("timeline of case %s: %w", ref, err)
	}
	audit, err := m.Audit(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("timeline of case %s: %w", ref, err)
	}
	return rules.BuildTimeline(c, notes, audit), nil
}
