package memory

import (
	"context"
	"fmt"
	"slices"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// Forget unlinks a reporter from every case, as postgres.Store.Forget does.
func (m *Store) Forget(ctx context.Context, pseudonyms ...string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("forget reporter: %w", err)
	}
	pseudonyms = rules.NonEmpty(pseudonyms)
	if len(pseudonyms) == 0 {
		return 0, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	replaced := rules.ForgottenActors(pseudonyms...)
	now := m.clock()
	for _, p := range pseudonyms {
		if b, ok := m.blocks[p]; ok {
			b.ref = "" // the block stays but names no case
			m.blocks[p] = b
		}
	}
	n := 0
	for _, sc := range m.order {
		affected := false
		if sc.c.Reporter != "" && slices.Contains(pseudonyms, sc.c.Reporter) {
			sc.c.Reporter, sc.c.ReporterChatID, sc.c.ContactAllowed = "", 0, false
			affected = true
		}
		for i, e := range sc.audit {
			if actor, ok := replaced[e.Actor]; ok {
				sc.audit[i].Actor = actor
				affected = true
			}
		}
		for i, ma := range sc.additions {
			if actor, ok := replaced[ma.a.Actor]; ok {
				sc.additions[i].a.Actor = actor
				affected = true
			}
		}
		if !affected {
			continue
		}
		sc.c.UpdatedAt = now
		sc.audit = append(sc.audit, tipline.AuditEvent{Reference: sc.c.Reference, Actor: tipline.ActorSystem, Action: storage.ActionReporterForgotten, At: now})
		n++
	}
	return n, nil
}
