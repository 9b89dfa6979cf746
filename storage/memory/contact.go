package memory

import (
	"context"
	"fmt"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// WithdrawContact deletes a case's chat id and stops contact, as
// postgres.Store.WithdrawContact does.
func (m *Store) WithdrawContact(ctx context.Context, ref tipline.Reference, pseudonyms ...string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("withdraw contact on case %s: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, ok := m.cases[ref]
	if !ok || !rules.OwnedBy(sc.c.Reporter, pseudonyms) {
		return fmt.Errorf("withdraw contact on case %s: %w", ref, tipline.ErrNotFound)
	}
	if !sc.c.ContactAllowed && sc.c.ReporterChatID == 0 {
		return nil
	}
	now := m.clock()
	sc.c.ContactAllowed, sc.c.ReporterChatID, sc.c.UpdatedAt = false, 0, now
	sc.record(tipline.ReporterActor(sc.c.Reporter), storage.ActionContactWithdrawn, now)
	return nil
}
