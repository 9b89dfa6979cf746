package memory

import (
	"context"
	"fmt"
	"strings"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage/internal/rules"
)

// Classification, partners, referrals, duplicates, look-ups and the
// timeline of Store, with the semantics of the postgres.Store methods of the
// same names.

// AddPartner stores an active partner, as postgres.Store.AddPartner does.
func (m *Store) AddPartner(ctx context.Context, name string, kind tipline.PartnerKind, country string) (tipline.Partner, error) {
	if err := ctx.Err(); err != nil {
		return tipline.Partner{}, fmt.Errorf("add partner: %w", err)
	}
	name = strings.TrimSpace(name)
	if err := rules.CheckPartner(name, kind, country); err != nil {
		return tipline.Partner{}, fmt.Errorf("add partner: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	pt := tipline.Partner{ID: int64(len(m.partners) + 1), Name: name, Kind: kind, Country: country, Active: true, CreatedAt: m.clock()}
	m.partners = append(m.partners, pt)
	return pt, nil
}

// Partners lists every partner by id, as postgres.Store.Partners does.
func (m *Store) Partners(ctx context.Context) ([]tipline.Partner, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list partners: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]tipline.Partner{}, m.partners...), nil
}

// partner returns the partner with that id, or nil; m.mu must be held.
func (m *Store) partner(id int64) *tipline.Partner {
	if id < 1 || id > int64(len(m.partners)) {
		return nil
	}
	return &m.partners[id-1]
}

// Partner returns one partner, as postgres.Store.Partner does.
func (m *Store) Partner(ctx context.Context, id int64) (tipline.Partner, error) {
	if err := ctx.Err(); err != nil {
		return tipline.Partner{}, fmt.Errorf("load partner %d: %w", id, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	pt := m.partner(id)
	if pt == nil {
		return tipline.Partner{}, fmt.Errorf("load partner %d: %w", id, tipline.ErrNotFound)
	}
	return *pt, nil
}

// DisablePartner stops offering a partner, as postgres.Store.DisablePartner does.
func (m *Store) DisablePartner(ctx context.Context, id int64) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("disable partner %d: %w", id, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	pt := m.partner(id)
	if pt == nil {
		return fmt.Errorf("disable partner %d: %w", id, tipline.ErrNotFound)
	}
	pt.Active = false
	return nil
}
