package memory

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// The reviewers' side of Store: invites, reviewers, the rota, routing
// jobs, notification copies and working a case, with the semantics of the
// postgres.Store methods of the same names. Times come from the now the caller
// passes, as they do for postgres.Store.

// workCase finds a case and checks the reviewer working it; m.mu must be held.
func (m *Store) workCase(ref tipline.Reference, reviewerID int64) (*memCase, error) {
	sc, ok := m.cases[ref]
	if !ok {
		return nil, tipline.ErrNotFound
	}
	if m.reviewer(reviewerID) == nil {
		return nil, fmt.Errorf("reviewer %d: %w", reviewerID, tipline.ErrNotFound)
	}
	return sc, nil
}

// record appends an event to a case's audit trail; m.mu must be held.
func (sc *memCase) record(actor, action string, at time.Time) {
	sc.audit = append(sc.audit, tipline.AuditEvent{Reference: sc.c.Reference, Actor: actor, Action: action, At: at})
}

// Acknowledge records that a reviewer takes a case, as
// postgres.Store.Acknowledge does.
func (m *Store) Acknowledge(ctx context.Context, ref tipline.Reference, reviewerID int64, now time.Time) (first bool, by int64, err error) {
	if err := ctx.Err(); err != nil {
		return false, 0, fmt.Errorf("acknowledge case %s: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, err := m.workCase(ref, reviewerID)
	if err != nil {
		return false, 0, fmt.Errorf("acknowledge case %s: %w", ref, err)
	}
	if sc.c.Status != tipline.StatusReceived {
		return false, sc.c.Assignment.ReviewerID, nil
	}
	now = rules.TruncateTime(now)
	sc.c.Status, sc.c.UpdatedAt = tipline.StatusAcknowledged, now
	sc.c.Assignment.ReviewerID, sc.c.Assignment.AcknowledgedAt = reviewerID, now
	m.deleteJobs(sc)
	sc.record(tipline.ReviewerActor(reviewerID), storage.ActionAcknowledged, now)
	return true, reviewerID, nil
}

// Escalate jumps a case's routing to toLevel now, as postgres.Store.Escalate
// does.
func (m *Store) Escalate(ctx context.Context, ref tipline.Reference, reviewerID int64, toLevel int, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("escalate case %s: %w", ref, err)
	}
	if err := rules.CheckJob(toLevel, now); err != nil {
		return fmt.Errorf("escalate case %s: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, err := m.workCase(ref, reviewerID)
	if err != nil {
		return fmt.Errorf("escalate case %s: %w", ref, err)
	}
	if sc.c.Status == tipline.StatusClosed {
		return fmt.Errorf("escalate case %s: %w: case is closed", ref, tipline.ErrInvalid)
	}
	now = rules.TruncateTime(now)
	m.deleteJobs(sc)
	m.addJob(sc, toLevel, now)
	sc.c.UpdatedAt = now
	sc.record(tipline.ReviewerActor(reviewerID), storage.ActionEscalated, now)
	return nil
}

// AddNote stores a note on a case, as postgres.Store.AddNote does.
func (m *Store) AddNote(ctx context.Context, ref tipline.Reference, n tipline.Note) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("add note to case %s: %w", ref, err)
	}
	if err := rules.CheckNote(n); err != nil {
		return fmt.Errorf("add note to case %s: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, ok := m.cases[ref]
	if !ok {
		return fmt.Errorf("add note to case %s: %w", ref, tipline.ErrNotFound)
	}
	for _, old := range sc.notes {
		if n.Key != "" && old.Key == n.Key {
			return nil
		}
	}
	if sc.c.Status == tipline.StatusClosed && n.Kind != tipline.NoteFromReporter {
		return fmt.Errorf("add note to case %s: %w", ref, tipline.ErrClosed)
	}
	n.At = rules.TruncateTime(n.At)
	if n.At.IsZero() {
		n.At = m.clock()
	}
	sc.notes = append(sc.notes, n)
	sc.c.UpdatedAt = n.At
	sc.record(n.Author, storage.ActionNoteAdded, n.At)
	return nil
}

// Notes lists a case's notes, oldest first, as postgres.Store.Notes does.
func (m *Store) Notes(ctx context.Context, ref tipline.Reference) ([]tipline.Note, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list notes of case %s: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, ok := m.cases[ref]
	if !ok {
		return nil, fmt.Errorf("list notes of case %s: %w", ref, tipline.ErrNotFound)
	}
	return append([]tipline.Note{}, sc.notes...), nil
}

// CloseCase closes a case with an outcome, as postgres.Store.CloseCase does.
func (m *Store) CloseCase(ctx context.Context, ref tipline.Reference, reviewerID int64, outcome tipline.Outcome, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("close case %s: %w", ref, err)
	}
	if err := rules.CheckOutcome(outcome); err != nil {
		return fmt.Errorf("close case %s: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, err := m.workCase(ref, reviewerID)
	if err != nil {
		return fmt.Errorf("close case %s: %w", ref, err)
	}
	if sc.c.Status == tipline.StatusClosed {
		return fmt.Errorf("close case %s: %w", ref, tipline.ErrClosed)
	}
	m.closeCase(sc, reviewerID, outcome, 0, nil, now)
	return nil
}

// closeCase closes an open case (see postgres.Store.CloseCase) and records
// "closed_<outcome>"; m.mu must be held.
func (m *Store) closeCase(sc *memCase, reviewerID int64, outcome tipline.Outcome, partnerID int64, duplicateOf *memCase, now time.Time) {
	now = rules.TruncateTime(now)
	a := &sc.c.Assignment
	if a.ReviewerID == 0 {
		a.ReviewerID = reviewerID
	}
	if a.AcknowledgedAt.IsZero() {
		a.AcknowledgedAt = now
	}
	a.Outcome, a.ClosedAt, a.PartnerID = outcome, now, partnerID
	sc.duplicateOf = duplicateOf
	sc.c.Status, sc.c.UpdatedAt = tipline.StatusClosed, now
	sc.c.ReporterChatID = 0
	sc.retentionWarned = false
	m.deleteJobs(sc)
	sc.record(tipline.ReviewerActor(reviewerID), storage.ActionClosedPrefix+string(outcome), now)
}

// ReopenCase reopens a closed case, as postgres.Store.ReopenCase does.
func (m *Store) ReopenCase(ctx context.Context, ref tipline.Reference, reviewerID int64, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("reopen case %s: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, err := m.workCase(ref, reviewerID)
	if err != nil {
		return fmt.Errorf("reopen case %s: %w", ref, err)
	}
	if sc.c.Status != tipline.StatusClosed {
		return nil
	}
	now = rules.TruncateTime(now)
	sc.c.Assignment = tipline.Assignment{ReviewerID: reviewerID, AcknowledgedAt: now}
	sc.duplicateOf = nil
	sc.c.Status, sc.c.UpdatedAt = tipline.StatusAcknowledged, now
	sc.retentionWarned = false
	sc.record(tipline.ReviewerActor(reviewerID), storage.ActionReopened, now)
	return nil
}

// Queue lists the open cases a reviewer should see, as postgres.Store.Queue does.
func (m *Store) Queue(ctx context.Context, reviewerID int64) ([]tipline.CaseSummary, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list queue of reviewer %d: %w", reviewerID, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var waiting, mine []*memCase
	for _, sc := range m.order {
		switch {
		case sc.c.Status == tipline.StatusReceived:
			waiting = append(waiting, sc)
		case sc.c.Status == tipline.StatusAcknowledged && sc.c.Assignment.ReviewerID == reviewerID:
			mine = append(mine, sc)
		}
	}
	// m.order is the order of ids, which break ties as they do in Postgres.
	slices.SortStableFunc(waiting, func(a, b *memCase) int {
		if ua, ub := a.c.Urgency == tipline.UrgencyUrgent, b.c.Urgency == tipline.UrgencyUrgent; ua != ub {
			if ua {
				return -1
			}
			return 1
		}
		return a.c.SubmittedAt.Compare(b.c.SubmittedAt)
	})
	slices.Reverse(mine)
	slices.SortStableFunc(mine, func(a, b *memCase) int {
		return b.c.Assignment.AcknowledgedAt.Compare(a.c.Assignment.AcknowledgedAt)
	})
	out := []tipline.CaseSummary{}
	for _, sc := range append(waiting, mine...) {
		out = append(out, rules.SummaryOf(sc.c))
	}
	return out, nil
}
