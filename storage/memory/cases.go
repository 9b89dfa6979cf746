package memory

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// SubmitCase stores a case, its attachments, its first routing job and a
// "submitted" audit event, as postgres.Store.SubmitCase does.
func (m *Store) SubmitCase(ctx context.Context, c tipline.NewCase) (tipline.Reference, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, fmt.Errorf("save case: %w", err)
	}
	if err := rules.CheckNewCase(c); err != nil {
		return "", false, fmt.Errorf("save case: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if first, ok := m.drafts[c.DraftID]; ok {
		return first.c.Reference, false, nil
	}
	if _, ok := m.cases[c.Reference]; ok {
		return "", false, fmt.Errorf("save case %s: %w", c.Reference, storage.ErrReferenceTaken)
	}
	if _, ok := m.followUps[string(c.FollowUpHash)]; ok && len(c.FollowUpHash) > 0 {
		return "", false, fmt.Errorf("save case %s: %w", c.Reference, storage.ErrFollowUpTaken)
	}
	now := m.clock()
	stored := &memCase{c: tipline.Case{NewCase: copyNewCase(c), Status: tipline.StatusReceived, CreatedAt: now, UpdatedAt: now}}
	stored.c.SubmittedAt = rules.TruncateTime(c.SubmittedAt)
	if !c.ContactAllowed || c.ReporterChatID == 0 {
		stored.c.ReporterChatID, stored.c.ContactAllowed = 0, false
	}
	if c.SubmittedAt.IsZero() {
		stored.c.SubmittedAt = now
	}
	for _, a := range stored.c.Attachments {
		stored.attachments = append(stored.attachments, &memAttachment{a: a})
	}
	stored.audit = append(stored.audit, tipline.AuditEvent{Reference: c.Reference, Actor: tipline.ReporterActor(c.Reporter), Action: storage.ActionSubmitted, At: now})
	m.cases[c.Reference] = stored
	m.drafts[c.DraftID] = stored
	if len(c.FollowUpHash) > 0 {
		m.followUps[string(c.FollowUpHash)] = stored
	}
	m.order = append(m.order, stored)
	m.addJob(stored, 0, stored.c.SubmittedAt)
	return c.Reference, true, nil
}

// Case returns a copy of a stored case, or tipline.ErrNotFound.
func (m *Store) Case(ctx context.Context, ref tipline.Reference) (tipline.Case, error) {
	if err := ctx.Err(); err != nil {
		return tipline.Case{}, fmt.Errorf("load case %s: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, ok := m.cases[ref]
	if !ok {
		return tipline.Case{}, fmt.Errorf("load case %s: %w", ref, tipline.ErrNotFound)
	}
	c := sc.c
	c.NewCase = copyNewCase(sc.c.NewCase)
	if older := sc.duplicateOf; older != nil && m.cases[older.c.Reference] == older {
		c.Assignment.DuplicateOf = older.c.Reference
	}
	c.Additions = nil
	for _, ma := range sc.additions {
		a := ma.a
		a.Attachments = slices.Clone(a.Attachments)
		c.Additions = append(c.Additions, a)
	}
	return c, nil
}

// copyNewCase copies c deeply so that neither the caller nor the store can
// change the other's copy.
func copyNewCase(c tipline.NewCase) tipline.NewCase {
	out := c
	if c.Answers != nil {
		out.Answers = maps.Clone(c.Answers)
	}
	if c.Location != nil {
		loc := *c.Location
		out.Location = &loc
	}
	out.Attachments = nil
	if len(c.Attachments) > 0 {
		out.Attachments = slices.Clone(c.Attachments)
	}
	out.FollowUpHash = nil
	if len(c.FollowUpHash) > 0 {
		out.FollowUpHash = slices.Clone(c.FollowUpHash)
	}
	return out
}

// CaseByFollowUp returns the reference of the case whose follow-up hash is
// hash, or tipline.ErrNotFound, as postgres.Store.CaseByFollowUp does.
func (m *Store) CaseByFollowUp(ctx context.Context, hash []byte) (tipline.Reference, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("find case by follow-up code: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, ok := m.followUps[string(hash)]
	if !ok || len(hash) == 0 {
		return "", fmt.Errorf("find case by follow-up code: %w", tipline.ErrNotFound)
	}
	return sc.c.Reference, nil
}

// CasesByReporter lists the cases a reporter submitted, newest first, as
// postgres.Store.CasesByReporter does.
func (m *Store) CasesByReporter(ctx context.Context, pseudonyms ...string) ([]tipline.CaseSummary, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list cases of a reporter: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []tipline.CaseSummary{}
	pseudonyms = rules.NonEmpty(pseudonyms)
	for _, sc := range slices.Backward(m.order) {
		if sc.c.Reporter == "" || !slices.Contains(pseudonyms, sc.c.Reporter) {
			continue
		}
		out = append(out, tipline.CaseSummary{
			Reference: sc.c.Reference, Kind: sc.c.Kind, Urgency: sc.c.Urgency,
			Status: sc.c.Status, CreatedAt: sc.c.CreatedAt,
			ContactAllowed: sc.c.ContactAllowed && sc.c.ReporterChatID != 0,
		})
	}
	// Newest first; among cases created at the same time, the last
	// submitted first (the backward walk), as Postgres orders by id.
	slices.SortStableFunc(out, func(a, b tipline.CaseSummary) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, nil
}
