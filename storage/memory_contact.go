package storage

import (
	"context"
	"fmt"

	"github.com/tipline/tipline"
)

// WithdrawContact deletes a case's chat id and stops contact, as
// Postgres.WithdrawContact does.
func (m *Memory) WithdrawContact(ctx context.Context, ref tipline.Reference, pseudonyms ...string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("withdraw contact on case %s: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, ok := m.cases[ref]
	if !ok || !ownedBy(sc.c.Reporter, pseudonyms) {
		return fmt.Errorf("withdraw contact on case %s: %w", ref, tipline.ErrNotFound)
	}
	if !sc.c.ContactAllowed && sc.c.ReporterChatID == 0 {
		return nil
	}
	now := m.clock()
	sc.c.ContactAllowed, sc.c.ReporterChatID, sc.c.UpdatedAt = false, 0, now
	sc.record(reporterActor(sc.c.Reporter), ActionContactWithdrawn, now)
	return nil
}
