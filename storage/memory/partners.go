package memory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
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

// SetPartnerRecipient stores a partner's age public key, as
// postgres.Store.SetPartnerRecipient does.
func (m *Store) SetPartnerRecipient(ctx context.Context, id int64, recipient string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("set key of partner %d: %w", id, err)
	}
	recipient = strings.TrimSpace(recipient)
	if err := rules.CheckRecipient(recipient); err != nil {
		return fmt.Errorf("set key of partner %d: %w", id, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	pt := m.partner(id)
	if pt == nil {
		return fmt.Errorf("set key of partner %d: %w", id, tipline.ErrNotFound)
	}
	pt.AgeRecipient = recipient
	return nil
}

// Referrals lists the cases referred to a partner, as
// postgres.Store.Referrals does.
func (m *Store) Referrals(ctx context.Context, partnerID int64) ([]storage.Referral, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("referrals to partner %d: %w", partnerID, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.partner(partnerID) == nil {
		return nil, fmt.Errorf("referrals to partner %d: %w", partnerID, tipline.ErrNotFound)
	}
	out := []storage.Referral{}
	for _, sc := range m.order {
		for _, r := range sc.referrals {
			if r.partnerID == partnerID {
				out = append(out, storage.Referral{Reference: sc.c.Reference, ReferredAt: r.at, ExportedAt: r.exportedAt})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b storage.Referral) int { return a.ReferredAt.Compare(b.ReferredAt) })
	return out, nil
}

// RecordPartnerExport records an export to a partner, as
// postgres.Store.RecordPartnerExport does: all or none.
func (m *Store) RecordPartnerExport(ctx context.Context, partnerID int64, refs []tipline.Reference, format string, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("record export to partner %d: %w", partnerID, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	at = rules.TruncateTime(at)
	var marks []*memReferral
	var cases []*memCase
	for _, ref := range refs {
		sc := m.cases[ref]
		var found *memReferral
		if sc != nil {
			for i := range sc.referrals {
				if sc.referrals[i].partnerID == partnerID {
					found = &sc.referrals[i]
				}
			}
		}
		if found == nil {
			return fmt.Errorf("record export of %s to partner %d: %w: not referred to it", ref, partnerID, tipline.ErrInvalid)
		}
		marks, cases = append(marks, found), append(cases, sc)
	}
	action := rules.PartnerExportAction(format, partnerID)
	for i, r := range marks {
		r.exportedAt = at
		cases[i].record(tipline.ActorOperator, action, at)
	}
	return nil
}
