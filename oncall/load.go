package oncall

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tipline/tipline"
)

// Store is where the rota is kept: the one call Load needs.
type Store interface {
	// LoadRota returns the stored rota document, or tipline.ErrNotFound
	// when none was ever set.
	LoadRota(ctx context.Context) ([]byte, error)
}

// Load reads the stored rota. found is false when none was set: the rota
// is then empty, and every active reviewer is notified of every case
// (Recipients). It is the one place the stored document is decoded, so the
// routing, the metrics and the operator's commands read it alike.
func Load(ctx context.Context, s Store) (r Rota, found bool, err error) {
	doc, err := s.LoadRota(ctx)
	if errors.Is(err, tipline.ErrNotFound) {
		return Rota{}, false, nil
	}
	if err != nil {
		return Rota{}, false, fmt.Errorf("load rota: %w", err)
	}
	r, err = DecodeRota(doc)
	if err != nil {
		return Rota{}, false, err
	}
	return r, true, nil
}

// Check reports a shift that names a reviewer who is unknown or disabled,
// so a rota is not saved that would leave its hours to nobody.
func (r Rota) Check(reviewers []tipline.Reviewer) error {
	active := map[int64]bool{}
	for _, rv := range reviewers {
		active[rv.ID] = rv.Active
	}
	for _, id := range r.ReviewerIDs() {
		if !active[id] {
			return fmt.Errorf("reviewer %d is unknown or disabled", id)
		}
	}
	return nil
}

// Active counts the reviewers who can be notified.
func Active(reviewers []tipline.Reviewer) int {
	n := 0
	for _, rv := range reviewers {
		if rv.Active {
			n++
		}
	}
	return n
}

// Unreachable counts the active reviewers Telegram refused to reach (they
// blocked the bot, or their account is gone): routing passes them over.
func Unreachable(reviewers []tipline.Reviewer) int {
	n := 0
	for _, r := range reviewers {
		if r.Active && !r.Reachable() {
			n++
		}
	}
	return n
}

// OnCall lists the reviewers a new case reaches first at the instant at:
// the primary reviewers on shift, or every active reviewer when the rota
// is empty or nobody active is on shift (Recipients at Primary).
func OnCall(r Rota, at time.Time, reviewers []tipline.Reviewer) []tipline.Reviewer {
	chosen, _ := Recipients(r, int(Primary), at, reviewers)
	return chosen
}
