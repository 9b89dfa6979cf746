package storage

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tipline/tipline"
)

// CaseByFollowUp returns the reference of the case whose follow-up hash is
// hash, or tipline.ErrNotFound, as Postgres.CaseByFollowUp does.
func (m *Memory) CaseByFollowUp(ctx context.Context, hash []byte) (tipline.Reference, error) {
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
// Postgres.CasesByReporter does.
func (m *Memory) CasesByReporter(ctx context.Context, pseudonyms ...string) ([]tipline.CaseSummary, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list cases of a reporter: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []tipline.CaseSummary{}
	pseudonyms = nonEmpty(pseudonyms)
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

// AddToCase stores an addition under a random idempotency key, as
// Postgres.AddToCase does.
func (m *Memory) AddToCase(ctx context.Context, ref tipline.Reference, a tipline.Addition) error {
	return m.AddToCaseOnce(ctx, ref, randomAdditionKey(), a)
}

// AddToCaseOnce stores an addition, its attachments (to be fetched) and an
// "information_added" audit event, unless the case has seen key before, as
// Postgres.AddToCaseOnce does.
func (m *Memory) AddToCaseOnce(ctx context.Context, ref tipline.Reference, key string, a tipline.Addition) error {
	_, err := m.AddToCaseTracked(ctx, ref, key, a)
	return err
}

// AddToCaseTracked stores an addition as AddToCaseOnce does and tells
// where it went, following a duplicate's link, as
// Postgres.AddToCaseTracked does.
func (m *Memory) AddToCaseTracked(ctx context.Context, ref tipline.Reference, key string, a tipline.Addition) (AddResult, error) {
	if err := ctx.Err(); err != nil {
		return AddResult{}, fmt.Errorf("add to case %s: %w", ref, err)
	}
	if err := checkAddition(key, a); err != nil {
		return AddResult{}, fmt.Errorf("add to case %s: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, ok := m.cases[ref]
	if !ok {
		return AddResult{}, fmt.Errorf("add to case %s: %w", ref, tipline.ErrNotFound)
	}
	res := AddResult{Reference: ref}
	for hop := 0; ; hop++ {
		for _, ma := range sc.additions {
			if ma.key == key {
				return res, nil // added before under the same key
			}
		}
		older := sc.duplicateOf
		if older == nil || m.cases[older.c.Reference] != older || hop == maxDuplicateHops {
			break
		}
		sc, res.Reference = older, older.c.Reference
	}
	ref = res.Reference
	res.Closed = sc.c.Status == tipline.StatusClosed
	if res.Closed {
		res.LastReviewer = sc.c.Assignment.ReviewerID
	}
	now := m.clock()
	stored := tipline.Addition{Actor: a.Actor, Text: a.Text, At: truncateTime(a.At)}
	if a.At.IsZero() {
		stored.At = now
	}
	var (
		count int
		bytes int64
	)
	for _, ma := range sc.additions {
		if ma.a.At.After(stored.At.Add(-24 * time.Hour)) {
			count, bytes = count+1, bytes+ma.size
		}
	}
	size := additionSize(a)
	if m.addLimits.overLimit(count, bytes, size) {
		return AddResult{}, fmt.Errorf("add to case %s: %w", ref, ErrAdditionLimit)
	}
	for _, att := range a.Attachments {
		att.Question = QuestionAddition
		stored.Attachments = append(stored.Attachments, att)
		sc.attachments = append(sc.attachments, &memAttachment{a: att})
	}
	sc.additions = append(sc.additions, memAddition{key: key, a: stored, size: size})
	sc.c.UpdatedAt = now
	sc.audit = append(sc.audit, tipline.AuditEvent{Reference: ref, Actor: a.Actor, Action: ActionInformationAdded, At: now})
	res.Stored = true
	return res, nil
}

// SetStatus sets a case's status and records "status_<status>", as
// Postgres.SetStatus does.
func (m *Memory) SetStatus(ctx context.Context, ref tipline.Reference, status tipline.Status, actor string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("set status of case %s: %w", ref, err)
	}
	if err := checkStatus(status, actor); err != nil {
		return fmt.Errorf("set status of case %s: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, ok := m.cases[ref]
	if !ok {
		return fmt.Errorf("set status of case %s: %w", ref, tipline.ErrNotFound)
	}
	if sc.c.Status == status {
		return nil
	}
	now := m.clock()
	sc.c.Status, sc.c.UpdatedAt = status, now
	sc.retentionWarned = false
	sc.audit = append(sc.audit, tipline.AuditEvent{Reference: ref, Actor: actor, Action: ActionStatusPrefix + string(status), At: now})
	return nil
}

// Forget unlinks a reporter from every case, as Postgres.Forget does.
func (m *Memory) Forget(ctx context.Context, pseudonyms ...string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("forget reporter: %w", err)
	}
	pseudonyms = nonEmpty(pseudonyms)
	if len(pseudonyms) == 0 {
		return 0, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	replaced := forgottenActors(pseudonyms...)
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
		sc.audit = append(sc.audit, tipline.AuditEvent{Reference: sc.c.Reference, Actor: ActorSystem, Action: ActionReporterForgotten, At: now})
		n++
	}
	return n, nil
}

// SetAdditionLimits sets the limits of what may be added to a case in a
// day, as Postgres.SetAdditionLimits does.
func (m *Memory) SetAdditionLimits(l AdditionLimits) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.addLimits = l.orDefaults()
}
