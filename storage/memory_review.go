package storage

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tipline/tipline"
)

// The reviewers' side of Memory: invites, reviewers, the rota, routing
// jobs, notification copies and working a case, with the semantics of the
// Postgres methods of the same names. Times come from the now the caller
// passes, as they do for Postgres.

type memInvite struct {
	name    string
	admin   bool
	expires time.Time
}

type memJob struct {
	job          tipline.Job // Reference is the case's
	sc           *memCase
	claimedBy    string
	claimedUntil time.Time // zero when not claimed
}

// addJob stores a pending job of a case; m.mu must be held.
func (m *Memory) addJob(sc *memCase, level int, runAt time.Time) {
	m.lastJob++
	m.jobs[m.lastJob] = &memJob{job: tipline.Job{ID: m.lastJob, Reference: sc.c.Reference, Level: level, RunAt: truncateTime(runAt)}, sc: sc}
}

// deleteJobs deletes every pending job of a case; m.mu must be held.
func (m *Memory) deleteJobs(sc *memCase) {
	for id, j := range m.jobs {
		if j.sc == sc {
			delete(m.jobs, id)
		}
	}
}

// reviewer returns the reviewer with that id, or nil; m.mu must be held.
func (m *Memory) reviewer(id int64) *tipline.Reviewer {
	if id < 1 || id > int64(len(m.reviewers)) {
		return nil
	}
	return &m.reviewers[id-1]
}

// CreateInvite stores an invite, as Postgres.CreateInvite does.
func (m *Memory) CreateInvite(ctx context.Context, codeHash []byte, name string, admin bool, expires time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("create invite: %w", err)
	}
	if err := checkInvite(codeHash, name, expires); err != nil {
		return fmt.Errorf("create invite: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.invites[string(codeHash)]; ok {
		return fmt.Errorf("create invite: %w: code already invited", ErrInvalid)
	}
	m.invites[string(codeHash)] = memInvite{name: name, admin: admin, expires: truncateTime(expires)}
	return nil
}

// RedeemInvite turns an invite into a reviewer, once, as
// Postgres.RedeemInvite does.
func (m *Memory) RedeemInvite(ctx context.Context, codeHash []byte, telegramID int64, lang string, now time.Time) (tipline.Reviewer, error) {
	if err := ctx.Err(); err != nil {
		return tipline.Reviewer{}, fmt.Errorf("redeem invite: %w", err)
	}
	if err := checkLang(lang); err != nil {
		return tipline.Reviewer{}, fmt.Errorf("redeem invite: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	inv, ok := m.invites[string(codeHash)]
	if !ok || len(codeHash) == 0 || !inv.expires.After(truncateTime(now)) {
		return tipline.Reviewer{}, errInviteNotFound()
	}
	for _, rv := range m.reviewers {
		if rv.TelegramID == telegramID {
			return tipline.Reviewer{}, fmt.Errorf("redeem invite: %w: already a reviewer", ErrInvalid)
		}
	}
	delete(m.invites, string(codeHash))
	rv := tipline.Reviewer{
		ID: int64(len(m.reviewers)) + 1, Name: inv.name, TelegramID: telegramID, Lang: lang,
		Admin: inv.admin, Active: true, CreatedAt: truncateTime(now),
	}
	m.reviewers = append(m.reviewers, rv)
	return rv, nil
}

// ReviewerByTelegram returns the reviewer with that Telegram id, disabled
// or not, as Postgres.ReviewerByTelegram does.
func (m *Memory) ReviewerByTelegram(ctx context.Context, telegramID int64) (tipline.Reviewer, error) {
	if err := ctx.Err(); err != nil {
		return tipline.Reviewer{}, fmt.Errorf("find reviewer: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, rv := range m.reviewers {
		if rv.TelegramID == telegramID {
			return rv, nil
		}
	}
	return tipline.Reviewer{}, fmt.Errorf("find reviewer: %w", tipline.ErrNotFound)
}

// Reviewer returns a reviewer, as Postgres.Reviewer does.
func (m *Memory) Reviewer(ctx context.Context, id int64) (tipline.Reviewer, error) {
	if err := ctx.Err(); err != nil {
		return tipline.Reviewer{}, fmt.Errorf("load reviewer %d: %w", id, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rv := m.reviewer(id)
	if rv == nil {
		return tipline.Reviewer{}, fmt.Errorf("load reviewer %d: %w", id, tipline.ErrNotFound)
	}
	return *rv, nil
}

// Reviewers lists every reviewer by id, as Postgres.Reviewers does.
func (m *Memory) Reviewers(ctx context.Context) ([]tipline.Reviewer, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list reviewers: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]tipline.Reviewer{}, m.reviewers...), nil
}

// SetReviewerLang sets a reviewer's language, as Postgres.SetReviewerLang
// does.
func (m *Memory) SetReviewerLang(ctx context.Context, id int64, lang string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("set language of reviewer %d: %w", id, err)
	}
	if err := checkLang(lang); err != nil {
		return fmt.Errorf("set language of reviewer %d: %w", id, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rv := m.reviewer(id)
	if rv == nil {
		return fmt.Errorf("set language of reviewer %d: %w", id, tipline.ErrNotFound)
	}
	rv.Lang = lang
	return nil
}

// SaveRota replaces the rota document, as Postgres.SaveRota does.
func (m *Memory) SaveRota(ctx context.Context, doc []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save rota: %w", err)
	}
	if err := checkRota(doc); err != nil {
		return fmt.Errorf("save rota: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rota = slices.Clone(doc)
	return nil
}

// LoadRota returns a copy of the rota document, as Postgres.LoadRota does.
func (m *Memory) LoadRota(ctx context.Context) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("load rota: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rota == nil {
		return nil, fmt.Errorf("load rota: %w", tipline.ErrNotFound)
	}
	return slices.Clone(m.rota), nil
}

// ClaimDueJobs claims due jobs under no live claim, oldest first, as
// Postgres.ClaimDueJobs does. The owner is not kept: nothing reads it back.
func (m *Memory) ClaimDueJobs(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]tipline.Job, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	if lease <= 0 {
		return nil, fmt.Errorf("claim jobs: %w: lease must be positive", ErrInvalid)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now = truncateTime(now)
	m.processes[owner] = m.clock()
	var due []*memJob
	for _, j := range m.jobs {
		free := j.claimedUntil.IsZero() || !j.claimedUntil.After(now) || m.claimFree(j.claimedBy, m.clock().Add(time.Hour), m.clock())
		if !j.job.RunAt.After(now) && free {
			due = append(due, j)
		}
	}
	slices.SortFunc(due, func(a, b *memJob) int {
		if c := a.job.RunAt.Compare(b.job.RunAt); c != 0 {
			return c
		}
		return cmp.Compare(a.job.ID, b.job.ID)
	})
	out := []tipline.Job{}
	for _, j := range due[:min(len(due), max(limit, 0))] {
		j.claimedUntil = now.Add(lease.Truncate(time.Microsecond))
		j.claimedBy = owner
		j.job.Attempts++
		out = append(out, j.job)
	}
	return out, nil
}

// CompleteJob ends a job and stores the next one while the case is
// received, as Postgres.CompleteJob does.
func (m *Memory) CompleteJob(ctx context.Context, id int64, owner string, next *tipline.Job, entries []OutboxEntry) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("complete job %d: %w", id, err)
	}
	if next != nil {
		if err := checkJob(next.Level, next.RunAt); err != nil {
			return fmt.Errorf("complete job %d: %w", id, err)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.jobs[id]
	if !ok {
		return nil
	}
	if j.claimedBy != owner {
		return fmt.Errorf("complete job %d: %w", id, ErrNotHolder)
	}
	if next != nil && next.Reference != "" && next.Reference != j.sc.c.Reference {
		return fmt.Errorf("complete job %d: %w: next job of another case", id, ErrInvalid)
	}
	if err := m.addOutboxLocked(entries); err != nil {
		return fmt.Errorf("complete job %d: %w", id, err)
	}
	delete(m.jobs, id)
	if next != nil && j.sc.c.Status == tipline.StatusReceived {
		m.addJob(j.sc, next.Level, next.RunAt)
	}
	return nil
}

// ReleaseJob gives a claim back, as Postgres.ReleaseJob does.
func (m *Memory) ReleaseJob(ctx context.Context, id int64, owner string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("release job %d: %w", id, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if j, ok := m.jobs[id]; ok && j.claimedBy == owner {
		j.claimedUntil, j.claimedBy = time.Time{}, ""
	}
	return nil
}

// PendingJobs lists a case's pending jobs, oldest first, as
// Postgres.PendingJobs does.
func (m *Memory) PendingJobs(ctx context.Context, ref tipline.Reference) ([]tipline.Job, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list jobs of case %s: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, ok := m.cases[ref]
	if !ok {
		return nil, fmt.Errorf("list jobs of case %s: %w", ref, tipline.ErrNotFound)
	}
	out := []tipline.Job{}
	for _, j := range m.jobs {
		if j.sc == sc {
			out = append(out, j.job)
		}
	}
	sortJobs(out)
	return out, nil
}

// UnroutedCases lists received cases without a pending job, oldest first,
// as Postgres.UnroutedCases does.
func (m *Memory) UnroutedCases(ctx context.Context) ([]tipline.Reference, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list unrouted cases: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	routed := map[*memCase]bool{}
	for _, j := range m.jobs {
		routed[j.sc] = true
	}
	out := []tipline.Reference{}
	for _, sc := range m.order {
		if sc.c.Status == tipline.StatusReceived && !routed[sc] {
			out = append(out, sc.c.Reference)
		}
	}
	return out, nil
}

// ScheduleJob stores a pending job, as Postgres.ScheduleJob does.
func (m *Memory) ScheduleJob(ctx context.Context, j tipline.Job) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("schedule job of case %s: %w", j.Reference, err)
	}
	if err := checkJob(j.Level, j.RunAt); err != nil {
		return fmt.Errorf("schedule job of case %s: %w", j.Reference, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, ok := m.cases[j.Reference]
	if !ok {
		return fmt.Errorf("schedule job of case %s: %w", j.Reference, tipline.ErrNotFound)
	}
	if sc.c.Status == tipline.StatusClosed {
		return fmt.Errorf("schedule job of case %s: %w: case is closed", j.Reference, ErrInvalid)
	}
	m.addJob(sc, j.Level, j.RunAt)
	return nil
}

// AddNotification records a copy of a case notification, as
// Postgres.AddNotification does.
func (m *Memory) AddNotification(ctx context.Context, ref tipline.Reference, n tipline.Notification) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("add notification of case %s: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, ok := m.cases[ref]
	if !ok {
		return fmt.Errorf("add notification of case %s: %w", ref, tipline.ErrNotFound)
	}
	if m.reviewer(n.ReviewerID) == nil {
		return fmt.Errorf("add notification of case %s: reviewer %d: %w", ref, n.ReviewerID, tipline.ErrNotFound)
	}
	for _, old := range sc.notifications {
		if n.OutboxKey != "" && old.OutboxKey == n.OutboxKey {
			return nil
		}
	}
	sc.notifications = append(sc.notifications, n)
	return nil
}

// Notifications lists the copies of a case's notifications, as
// Postgres.Notifications does.
func (m *Memory) Notifications(ctx context.Context, ref tipline.Reference) ([]tipline.Notification, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list notifications of case %s: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, ok := m.cases[ref]
	if !ok {
		return nil, fmt.Errorf("list notifications of case %s: %w", ref, tipline.ErrNotFound)
	}
	return append([]tipline.Notification{}, sc.notifications...), nil
}

// workCase finds a case and checks the reviewer working it; m.mu must be held.
func (m *Memory) workCase(ref tipline.Reference, reviewerID int64) (*memCase, error) {
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
// Postgres.Acknowledge does.
func (m *Memory) Acknowledge(ctx context.Context, ref tipline.Reference, reviewerID int64, now time.Time) (first bool, by int64, err error) {
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
	now = truncateTime(now)
	sc.c.Status, sc.c.UpdatedAt = tipline.StatusAcknowledged, now
	sc.c.Assignment.ReviewerID, sc.c.Assignment.AcknowledgedAt = reviewerID, now
	m.deleteJobs(sc)
	sc.record(reviewerActor(reviewerID), ActionAcknowledged, now)
	return true, reviewerID, nil
}

// Escalate jumps a case's routing to toLevel now, as Postgres.Escalate
// does.
func (m *Memory) Escalate(ctx context.Context, ref tipline.Reference, reviewerID int64, toLevel int, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("escalate case %s: %w", ref, err)
	}
	if err := checkJob(toLevel, now); err != nil {
		return fmt.Errorf("escalate case %s: %w", ref, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sc, err := m.workCase(ref, reviewerID)
	if err != nil {
		return fmt.Errorf("escalate case %s: %w", ref, err)
	}
	if sc.c.Status == tipline.StatusClosed {
		return fmt.Errorf("escalate case %s: %w: case is closed", ref, ErrInvalid)
	}
	now = truncateTime(now)
	m.deleteJobs(sc)
	m.addJob(sc, toLevel, now)
	sc.c.UpdatedAt = now
	sc.record(reviewerActor(reviewerID), ActionEscalated, now)
	return nil
}

// AddNote stores a note on a case, as Postgres.AddNote does.
func (m *Memory) AddNote(ctx context.Context, ref tipline.Reference, n tipline.Note) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("add note to case %s: %w", ref, err)
	}
	if err := checkNote(n); err != nil {
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
	if sc.c.Status == tipline.StatusClosed && n.Kind != NoteKindFromReporter {
		return fmt.Errorf("add note to case %s: %w", ref, tipline.ErrClosed)
	}
	n.At = truncateTime(n.At)
	if n.At.IsZero() {
		n.At = m.clock()
	}
	sc.notes = append(sc.notes, n)
	sc.c.UpdatedAt = n.At
	sc.record(n.Author, ActionNoteAdded, n.At)
	return nil
}

// Notes lists a case's notes, oldest first, as Postgres.Notes does.
func (m *Memory) Notes(ctx context.Context, ref tipline.Reference) ([]tipline.Note, error) {
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

// CloseCase closes a case with an outcome, as Postgres.CloseCase does.
func (m *Memory) CloseCase(ctx context.Context, ref tipline.Reference, reviewerID int64, outcome tipline.Outcome, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("close case %s: %w", ref, err)
	}
	if err := checkOutcome(outcome); err != nil {
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

// closeCase closes an open case (see Postgres.CloseCase) and records
// "closed_<outcome>"; m.mu must be held.
func (m *Memory) closeCase(sc *memCase, reviewerID int64, outcome tipline.Outcome, partnerID int64, duplicateOf *memCase, now time.Time) {
	now = truncateTime(now)
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
	sc.record(reviewerActor(reviewerID), ActionClosedPrefix+string(outcome), now)
}

// ReopenCase reopens a closed case, as Postgres.ReopenCase does.
func (m *Memory) ReopenCase(ctx context.Context, ref tipline.Reference, reviewerID int64, now time.Time) error {
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
	now = truncateTime(now)
	sc.c.Assignment = tipline.Assignment{ReviewerID: reviewerID, AcknowledgedAt: now}
	sc.duplicateOf = nil
	sc.c.Status, sc.c.UpdatedAt = tipline.StatusAcknowledged, now
	sc.retentionWarned = false
	sc.record(reviewerActor(reviewerID), ActionReopened, now)
	return nil
}

// Queue lists the open cases a reviewer should see, as Postgres.Queue does.
func (m *Memory) Queue(ctx context.Context, reviewerID int64) ([]tipline.CaseSummary, error) {
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
		out = append(out, tipline.CaseSummary{
			Reference: sc.c.Reference, Kind: sc.c.Kind, Urgency: sc.c.Urgency,
			Status: sc.c.Status, CreatedAt: sc.c.CreatedAt,
		})
	}
	return out, nil
}
