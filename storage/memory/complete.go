package memory

import (
	"context"
	"fmt"

	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// InboxCompleteMany completes several updates at once, as
// postgres.Store.InboxCompleteMany does: errs[i] is nil when done[i] was
// completed, or says why it was not (ErrNotHolder, a bad entry), and the
// others are completed all the same.
func (m *Store) InboxCompleteMany(ctx context.Context, owner string, done []storage.Completion) ([]error, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("complete updates: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	errs := make([]error, len(done))
	for i, c := range done {
		errs[i] = m.completeLocked(c, owner)
	}
	return errs, nil
}

func (m *Store) completeLocked(c storage.Completion, owner string) error {
	for _, e := range c.Entries {
		if err := rules.CheckEntry(e); err != nil {
			return fmt.Errorf("complete update %d: %w", c.UpdateID, err)
		}
	}
	r, ok := m.heldLocked(c.UpdateID, owner)
	if !ok {
		return fmt.Errorf("complete update %d: %w", c.UpdateID, storage.ErrNotHolder)
	}
	if err := m.addOutboxLocked(c.Entries); err != nil {
		return fmt.Errorf("complete update %d: %w", c.UpdateID, err)
	}
	m.doneLocked(r)
	return nil
}
