package memory

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// Classification, partners, referrals, duplicates, look-ups and the
// timeline of Store, with the semantics of the postgres.Store methods of the
// same names.

// Classify records a reviewer's classification of a case, as
// postgres.Store.Classify does.
func (m *Store) Classify(ctx context.Context, ref tipline.Reference, reviewerID int64, kind tipline.Exploitation, risk tipline.Risk, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("classify case %s: %w", ref, err)
	}
	if err := rules.CheckClassification(kind, risk); err != nil {
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
	now = rules.TruncateTime(now)
	sc.c.Classification = tipline.Classification{Exploitation: kind, Risk: risk, ReviewerID: reviewerID, At: now}
	sc.c.UpdatedAt = now
	sc.record(tipline.ReviewerActor(reviewerID), storage.ActionClassifiedPrefix+string(kind)+":"+string(risk), now)
	if risk.MakesUrgent() && sc.c.Urgency != tipline.UrgencyUrgent {
		sc.c.Urgency = tipline.UrgencyUrgent
		for _, j := range m.jobs {
			if j.sc == sc && j.job.RunAt.After(now) {
				j.job.RunAt = now
			}
		}
		sc.record(tipline.ReviewerActor(reviewerID), storage.ActionUrgencyRaised, now)
	}
	return nil
}

// Refer closes a case as referred to a partner, as postgres.Store.Refer does.
func (m *Store) Refer(ctx context.Context, ref tipline.Reference, reviewerID, partnerID int64, now time.Time) error {
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
		return fmt.Errorf("refer case %s: %w: no active partner %d", ref, tipline.ErrInvalid, partnerID)
	}
	if sc.c.Status == tipline.StatusClosed && sc.c.Assignment.Outcome != tipline.OutcomePartner {
		return fmt.Errorf("refer case %s: %w", ref, tipline.ErrClosed)
	}
	closing := sc.c.Status != tipline.StatusClosed
	known := slices.ContainsFunc(sc.referrals, func(r memReferral) bool { return r.partnerID == partnerID })
	if known && !closing {
		return nil // referred to this partner already
	}
	if closing {
		m.closeCase(sc, reviewerID, tipline.OutcomePartner, partnerID, nil, now)
	}
	if !known {
		sc.referrals = append(sc.referrals, memReferral{partnerID: partnerID, at: rules.TruncateTime(now)})
	}
	sc.record(tipline.ReviewerActor(reviewerID), storage.ActionReferredPrefix+strconv.FormatInt(partnerID, 10), rules.TruncateTime(now))
	return nil
}

// LinkDuplicate closes newer as a duplicate of older, as
// postgres.Store.LinkDuplicate does.
func (m *Store) LinkDuplicate(ctx context.Context, newer, older tipline.Reference, reviewerID int64, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("link case %s to %s: %w", newer, older, err)
	}
	if newer == older {
		return fmt.Errorf("link case %s to %s: %w: a case cannot repeat itself", newer, older, tipline.ErrInvalid)
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
		return fmt.Errorf("link case %s to %s: %w: %s is already a duplicate of %s", newer, older, tipline.ErrInvalid, older, newer)
	}
	now = rules.TruncateTime(now)
	m.closeCase(scNew, reviewerID, tipline.OutcomeDuplicate, 0, scOld, now)
	actor := tipline.ReviewerActor(reviewerID)
	scNew.record(actor, storage.ActionDuplicateOfPrefix+string(older), now)
	scOld.record(actor, storage.ActionDuplicateLinkedPrefix+string(newer), now)
	return nil
}
