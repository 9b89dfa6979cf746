package memory

import (
	"context"
	"fmt"
	"slices"

	"github.com/tipline/tipline"
)

// Audit lists a case's audit events in order, or tipline.ErrNotFound.
func (m *Store) Audit(ctx context.Context, ref tipline.Reference) ([]tipline.AuditEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list audit of case %s: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, ok := m.cases[ref]
	if !ok {
		return nil, fmt.Errorf("list audit of case %s: %w", ref, tipline.ErrNotFound)
	}
	return slices.Clone(sc.audit), nil
}
