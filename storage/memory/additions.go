package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// AddToCaseTracked stores an addition and tells
// where it went, following a duplicate's link, as
// postgres.Store.AddToCaseTracked does.
func (m *Store) AddToCaseTracked(ctx context.Context, ref tipline.Reference, key string, a tipline.Addition) (storage.AddResult, error) {
	if err := ctx.Err(); err != nil {
		return storage.AddResult{}, fmt.Errorf("add to case %s: %w", ref, err)
	}
	if err := rules.CheckAddition(key, a); err != nil {
		return storage.AddResult{}, fmt.Errorf("add to case %s: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, ok := m.cases[ref]
	if !ok {
		return storage.AddResult{}, fmt.Errorf("add to case %s: %w", ref, tipline.ErrNotFound)
	}
	res := storage.AddResult{Reference: ref}
	for hop := 0; ; hop++ {
		for _, ma := range sc.additions {
			if ma.key == key {
				return res, nil // added before under the same key
			}
		}
		older := sc.duplicateOf
		if older == nil || m.cases[older.c.Reference] != older || hop == rules.MaxDuplicateHops {
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
	stored := tipline.Addition{Actor: a.Actor, Text: a.Text, At: rules.TruncateTime(a.At)}
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
	size := rules.AdditionSize(a)
	if m.reporterOverLimit(a.Actor, stored.At, size) {
		return storage.AddResult{}, fmt.Errorf("add to case %s: the reporter's day: %w", ref, storage.ErrAdditionLimit)
	}
	if m.addLimits.OverLimit(count, bytes, size) {
		return storage.AddResult{}, fmt.Errorf("add to case %s: %w", ref, storage.ErrAdditionLimit)
	}
	for _, att := range a.Attachments {
		att.Question = storage.QuestionAddition
		stored.Attachments = append(stored.Attachments, att)
		sc.attachments = append(sc.attachments, &memAttachment{a: att})
	}
	sc.additions = append(sc.additions, memAddition{key: key, a: stored, size: size})
	sc.c.UpdatedAt = now
	sc.audit = append(sc.audit, tipline.AuditEvent{Reference: ref, Actor: a.Actor, Action: storage.ActionInformationAdded, At: now})
	res.Stored = true
	return res, nil
}

// SetAdditionLimits sets the limits of what may be added to a case in a
// day, as postgres.Store.SetAdditionLimits does.
func (m *Store) SetAdditionLimits(l storage.AdditionLimits) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.addLimits = l.OrDefaults()
}

// reporterOverLimit tells whether one more addition of size by actor at
// would exceed the reporter's limits across all their cases.
func (m *Store) reporterOverLimit(actor string, at time.Time, size int64) bool {
	var (
		count int
		bytes int64
	)
	for _, sc := range m.order {
		for _, ma := range sc.additions {
			if ma.a.Actor == actor && ma.a.At.After(at.Add(-24*time.Hour)) {
				count, bytes = count+1, bytes+ma.size
			}
		}
	}
	return m.addLimits.ReporterOverLimit(count, bytes, size)
}
