package postgres

import (
	"context"
	"fmt"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage/internal/rules"
)

// Timeline returns a case's story in time order, for the reviewer's
// Details: the report, what the reporter added, messages each way, notes,
// who took it, escalations, reassignments, classification, closes (with
// the partner or the older case), reopenings, links of duplicates and
// blocks, each with its time and actor and its words opened. Reporters
// appear as "reporter" or "followup", never by pseudonym. It gives
// tipline.ErrNotFound for an unknown case.
func (p *Store) Timeline(ctx context.Context, ref tipline.Reference) ([]tipline.Event, error) {
	c, err := p.Case(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("timeline of case %s: %w", ref, err)
	}
	notes, err := p.Notes(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("timeline of case %s: %w", ref, err)
	}
	audit, err := p.Audit(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("timeline of case %s: %w", ref, err)
	}
	return rules.BuildTimeline(c, notes, audit), nil
}
