package storage

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tipline/tipline"
)

// Classification, partners, referrals, duplicates, look-ups and the
// timeline of Memory, with the semantics of the Postgres methods of the
// same names.

// Classify records a reviewer's classification of a case, as
// Postgres.Classify does.
func (m *Memory) Classify(ctx context.Context, ref tipline.Reference, reviewerID int64, kind tipline.Exploitation, risk tipline.Risk, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("classify case %s: %w", ref, err)
	}
	if err := checkClassification(kind, risk); err != nil {
		return fmt.Errorf("classify case %s: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, err := m.workCase(ref, reviewerID)
	if err != nil {
		return fmt.Errorf("classify case %s: %w", ref, err)
	}
	if sc.c.Status == tipline.StatusClosed {
		return fmt.Errorf("classify case %s: %w", ref, tipline.ErrClosed)
	}
	now = truncateTime(now)
	sc.c.Classification = tipline.Classification{Exploitation: kind, Risk: risk, ReviewerID: reviewerID, At: now}
	sc.c.UpdatedAt = now
	sc.record(reviewerActor(reviewerID), ActionClassifiedPrefix+string(kind)+":"+string(risk), now)
	return nil
}

// AddPartner stores an active partner, as Postgres.AddPartner does.
func (m *Memory) AddPartner(ctx context.Context, name string, kind tipline.PartnerKind, country string) (tipline.Partner, error) {
	if err := ctx.Err(); err != nil {
		return tipline.Partner{}, fmt.Errorf("add partner: %w", err)
	}
	name = strings.TrimSpace(name)
	if err := checkPartner(name, kind, country); err != nil {
		return tipline.Partner{}, fmt.Errorf("add partner: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	pt := tipline.Partner{ID: int64(len(m.partners) + 1), Name: name, Kind: kind, Country: country, Active: true, CreatedAt: m.clock()}
	m.partners = append(m.partners, pt)
	return pt, nil
}

// Partners lists every partner by id, as Postgres.Partners does.
func (m *Memory) Partners(ctx context.Context) ([]tipline.Partner, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list partners: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]tipline.Partner{}, m.partners...), nil
}

// partner returns the partner with that id, or nil; m.mu must be held.
func (m *Memory) partner(id int64) *tipline.Partner {
	if id < 1 || id > int64(len(m.partners)) {
		return nil
	}
	return &m.partners[id-1]
}

// Partner returns one partner, as Postgres.Partner does.
func (m *Memory) Partner(ctx context.Context, id int64) (tipline.Partner, error) {
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

// DisablePartner stops offering a partner, as Postgres.DisablePartner does.
func (m *Memory) DisablePartner(ctx context.Context, id int64) error {
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

// Refer closes a case as referred to a partner, as Postgres.Refer does.
func (m *Memory) Refer(ctx context.Context, ref tipline.Reference, reviewerID, partnerID int64, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("refer case %s: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, err := m.workCase(ref, reviewerID)
	if err != nil {
		return fmt.Errorf("refer case %s: %w", ref, err)
	}
	if pt := m.partner(partnerID); pt == nil || !pt.Active {
		return fmt.Errorf("refer case %s: %w: no active partner %d", ref, ErrInvalid, partnerID)
	}
	if sc.c.Status == tipline.StatusClosed {
		return fmt.Errorf("refer case %s: %w", ref, tipline.ErrClosed)
	}
	m.closeCase(sc, reviewerID, tipline.OutcomePartner, partnerID, nil, now)
	sc.record(reviewerActor(reviewerID), ActionReferredPrefix+strconv.FormatInt(partnerID, 10), truncateTime(now))
	return nil
}

// LinkDuplicate closes newer as a duplicate of older, as
// Postgres.LinkDuplicate does.
func (m *Memory) LinkDuplicate(ctx context.Context, newer, older tipline.Reference, reviewerID int64, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("link case %s to %s: %w", newer, older, err)
	}
	if newer == older {
		return fmt.Errorf("link case %s to %s: %w: a case cannot repeat itself", newer, older, ErrInvalid)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	first, second := newer, older
	if second < first {
		first, second = second, first
	}
	for _, r := range []tipline.Reference{first, second} {
		if _, ok := m.cases[r]; !ok {
			return fmt.Errorf("link case %s to %s: case %s: %w", newer, older, r, tipline.ErrNotFound)
		}
	}
	scNew, err := m.workCase(newer, reviewerID)
	if err != nil {
		return fmt.Errorf("link case %s to %s: %w", newer, older, err)
	}
	scOld := m.cases[older]
	if scNew.c.Status == tipline.StatusClosed {
		return fmt.Errorf("link case %s to %s: %w", newer, older, tipline.ErrClosed)
	}
	if scOld.duplicateOf == scNew {
		return fmt.Errorf("link case %s to %s: %w: %s is already a duplicate of %s", newer, older, ErrInvalid, older, newer)
	}
	now = truncateTime(now)
	m.closeCase(scNew, reviewerID, tipline.OutcomeDuplicate, 0, scOld, now)
	actor := reviewerActor(reviewerID)
	scNew.record(actor, ActionDuplicateOfPrefix+string(older), now)
	scOld.record(actor, ActionDuplicateLinkedPrefix+string(newer), now)
	return nil
}

// FindCases looks cases up, as Postgres.FindCases does.
func (m *Memory) FindCases(ctx context.Context, q FindQuery) ([]Found, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("find cases: %w", err)
	}
	if err := checkFind(q); err != nil {
		return nil, fmt.Errorf("find cases: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if q.Reference != "" {
		sc, ok := m.cases[q.Reference]
		if !ok {
			return []Found{}, nil
		}
		return []Found{{CaseSummary: summaryOf(sc.c)}}, nil
	}
	out := []Found{}
	for _, sc := range m.order {
		if sc.c.Status == tipline.StatusClosed || m.cases[sc.c.Reference] != sc {
			continue
		}
		if f, ok := matchOpenCase(q, sc.c.Answers, sc.c.Location); ok {
			f.CaseSummary = summaryOf(sc.c)
			out = append(out, f)
		}
	}
	return sortFound(q, out), nil
}

// Timeline returns a case's story in time order, as Postgres.Timeline
// does.
func (m *Memory) Timeline(ctx context.Context, ref tipline.Reference) ([]tipline.Event, error) {
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
	return buildTimeline(c, notes, audit), nil
}
