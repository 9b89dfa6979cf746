package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// Reviewers work a case from Telegram: they acknowledge it (which stops
// its routing), escalate it, write notes and messages, close it with an
// outcome and reopen it. Each change and its audit event, by
// "reviewer:<id>" at the now given, commit together: one transaction locks
// the case (lockCase), checks the reviewer (requireReviewer), writes the
// change and its event (insertAuditAt). Blocks, custody, case facts and
// routing take the same steps, with these helpers.

// lockCase locks a case for a change and returns its id, draft id and
// status; tipline.ErrNotFound for an unknown case.
func lockCase(ctx context.Context, tx pgx.Tx, ref tipline.Reference) (caseID int64, draftID string, status tipline.Status, err error) {
	const q = `select id, draft_id, status from cases where reference = $1 for update`
	var st string
	err = tx.QueryRow(ctx, q, string(ref)).Scan(&caseID, &draftID, &st)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, "", "", tipline.ErrNotFound
	}
	if err != nil {
		return 0, "", "", dbErr(err)
	}
	return caseID, draftID, tipline.Status(st), nil
}

// requireReviewer gives tipline.ErrNotFound unless a reviewer with that id
// exists, active or not.
func requireReviewer(ctx context.Context, tx pgx.Tx, id int64) error {
	const q = `select exists (select 1 from reviewers where id = $1)`
	var exists bool
	if err := tx.QueryRow(ctx, q, id).Scan(&exists); err != nil {
		return dbErr(err)
	}
	if !exists {
		return fmt.Errorf("reviewer %d: %w", id, tipline.ErrNotFound)
	}
	return nil
}

// insertAudit records that actor did action to a case, inside tx so the
// event commits with the change it describes.
func insertAudit(ctx context.Context, tx pgx.Tx, caseID int64, actor, action string) error {
	const q = `insert into audit_events (case_id, actor, action) values ($1, $2, $3)`
	if _, err := tx.Exec(ctx, q, caseID, actor, action); err != nil {
		return fmt.Errorf("audit %s: %w", action, dbErr(err))
	}
	return nil
}

// insertAuditAt is insertAudit for a change made at a time the caller gave.
func insertAuditAt(ctx context.Context, tx pgx.Tx, caseID int64, actor, action string, at time.Time) error {
	const q = `insert into audit_events (case_id, actor, action, at) values ($1, $2, $3, $4)`
	if _, err := tx.Exec(ctx, q, caseID, actor, action, at); err != nil {
		return fmt.Errorf("audit %s: %w", action, dbErr(err))
	}
	return nil
}

// Acknowledge records that a reviewer takes a case, in one transaction: a
// received case becomes acknowledged with the reviewer as assignee since
// now, every pending job of the case is deleted (its routing stops) and an
// "acknowledged" audit event is written; first is true and by is
// reviewerID. A case already acknowledged or closed is left as it is:
// first is false and by is the reviewer who has it (0 if none was ever
// recorded). It gives tipline.ErrNotFound for an unknown case or reviewer.
func (p *Store) Acknowledge(ctx context.Context, ref tipline.Reference, reviewerID int64, now time.Time) (first bool, by int64, err error) {
	const assignee = `select coalesce(assignee, 0) from cases where id = $1`
	const update = `
		update cases
		set status = 'acknowledged', assignee = $2, acknowledged_at = $3, updated_at = $3
		where id = $1`
	const deleteJobs = `delete from jobs where case_id = $1`
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return false, 0, fmt.Errorf("acknowledge case %s: %w", ref, dbErr(err))
	}
	defer tx.Rollback(ctx)
	caseID, _, status, err := lockCase(ctx, tx, ref)
	if err != nil {
		return false, 0, fmt.Errorf("acknowledge case %s: %w", ref, err)
	}
	if err := requireReviewer(ctx, tx, reviewerID); err != nil {
		return false, 0, fmt.Errorf("acknowledge case %s: %w", ref, err)
	}
	if status != tipline.StatusReceived {
		if err := tx.QueryRow(ctx, assignee, caseID).Scan(&by); err != nil {
			return false, 0, fmt.Errorf("acknowledge case %s: %w", ref, dbErr(err))
		}
		return false, by, nil
	}
	if _, err := tx.Exec(ctx, update, caseID, reviewerID, now); err != nil {
		return false, 0, fmt.Errorf("acknowledge case %s: %w", ref, dbErr(err))
	}
	if _, err := tx.Exec(ctx, deleteJobs, caseID); err != nil {
		return false, 0, fmt.Errorf("acknowledge case %s: jobs: %w", ref, dbErr(err))
	}
	if err := insertAuditAt(ctx, tx, caseID, tipline.ReviewerActor(reviewerID), storage.ActionAcknowledged, now); err != nil {
		return false, 0, fmt.Errorf("acknowledge case %s: %w", ref, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return false, 0, fmt.Errorf("acknowledge case %s: %w", ref, dbErr(err))
	}
	return true, reviewerID, nil
}

// Escalate jumps a case's routing to toLevel now, in one transaction: its
// pending jobs are deleted, a job of toLevel due at now is stored and an
// "escalated" audit event is written by the reviewer. The status and the
// assignment stay as they are (the worker that runs the job decides whom
// to tell, and stores no next step once the case is acknowledged). It
// gives tipline.ErrNotFound for an unknown case or reviewer and ErrInvalid
// for a negative level or a closed case.
func (p *Store) Escalate(ctx context.Context, ref tipline.Reference, reviewerID int64, toLevel int, now time.Time) error {
	const deleteJobs = `delete from jobs where case_id = $1`
	const insertJob = `insert into jobs (case_id, level, run_at) values ($1, $2, $3)`
	const touch = `update cases set updated_at = $2 where id = $1`
	if err := rules.CheckJob(toLevel, now); err != nil {
		return fmt.Errorf("escalate case %s: %w", ref, err)
	}
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("escalate case %s: %w", ref, dbErr(err))
	}
	defer tx.Rollback(ctx)
	caseID, _, status, err := lockCase(ctx, tx, ref)
	if err != nil {
		return fmt.Errorf("escalate case %s: %w", ref, err)
	}
	if err := requireReviewer(ctx, tx, reviewerID); err != nil {
		return fmt.Errorf("escalate case %s: %w", ref, err)
	}
	if status == tipline.StatusClosed {
		return fmt.Errorf("escalate case %s: %w: case is closed", ref, tipline.ErrInvalid)
	}
	if _, err := tx.Exec(ctx, deleteJobs, caseID); err != nil {
		return fmt.Errorf("escalate case %s: jobs: %w", ref, dbErr(err))
	}
	if _, err := tx.Exec(ctx, insertJob, caseID, toLevel, now); err != nil {
		return fmt.Errorf("escalate case %s: jobs: %w", ref, dbErr(err))
	}
	if _, err := tx.Exec(ctx, touch, caseID, now); err != nil {
		return fmt.Errorf("escalate case %s: %w", ref, dbErr(err))
	}
	if err := insertAuditAt(ctx, tx, caseID, tipline.ReviewerActor(reviewerID), storage.ActionEscalated, now); err != nil {
		return fmt.Errorf("escalate case %s: %w", ref, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("escalate case %s: %w", ref, dbErr(err))
	}
	return nil
}

// AddNote stores a note on a case with its words sealed, and a
// "note_added" audit event by n.Author, in one transaction. n.At is the
// time given, or now when zero. A closed case takes no internal note and
// no message to the reporter (tipline.ErrClosed); the reporter's answer
// (tipline.NoteFromReporter) is still stored, never dropped. It gives tipline.ErrNotFound for an unknown
// case and ErrInvalid for a note without an author or words, or of a kind
// other than NoteInternal, NoteToReporter and NoteFromReporter.
func (p *Store) AddNote(ctx context.Context, ref tipline.Reference, n tipline.Note) error {
	const nextID = `select nextval(pg_get_serial_sequence('notes', 'id'))`
	const insert = `
		insert into notes (id, case_id, author, kind, text, at, key)
		overriding system value
		values ($1, $2, $3, $4, $5, coalesce($6, now()), nullif($7, ''))
		returning at`
	const seen = `select exists (select 1 from notes where key = $1)`
	const touch = `update cases set updated_at = $2 where id = $1`
	if err := rules.CheckNote(n); err != nil {
		return fmt.Errorf("add note to case %s: %w", ref, err)
	}
	var at *time.Time
	if !n.At.IsZero() {
		at = &n.At
	}
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("add note to case %s: %w", ref, dbErr(err))
	}
	defer tx.Rollback(ctx)
	caseID, _, status, err := lockCase(ctx, tx, ref)
	if err != nil {
		return fmt.Errorf("add note to case %s: %w", ref, err)
	}
	if n.Key != "" {
		var done bool
		if err := tx.QueryRow(ctx, seen, n.Key).Scan(&done); err != nil {
			return fmt.Errorf("add note to case %s: %w", ref, dbErr(err))
		}
		if done {
			return nil
		}
	}
	if status == tipline.StatusClosed && n.Kind != tipline.NoteFromReporter {
		return fmt.Errorf("add note to case %s: %w", ref, tipline.ErrClosed)
	}
	// The id is drawn first: the sealed words name their row by it.
	var id int64
	if err := tx.QueryRow(ctx, nextID).Scan(&id); err != nil {
		return fmt.Errorf("add note to case %s: %w", ref, dbErr(err))
	}
	var stored time.Time
	err = tx.QueryRow(ctx, insert, id, caseID, n.Author, n.Kind, p.ring.Seal([]byte(n.Text), noteAAD(id, "text")), at, n.Key).Scan(&stored)
	if err != nil {
		return fmt.Errorf("add note to case %s: %w", ref, dbErr(err))
	}
	if _, err := tx.Exec(ctx, touch, caseID, stored); err != nil {
		return fmt.Errorf("add note to case %s: %w", ref, dbErr(err))
	}
	if err := insertAuditAt(ctx, tx, caseID, n.Author, storage.ActionNoteAdded, stored); err != nil {
		return fmt.Errorf("add note to case %s: %w", ref, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("add note to case %s: %w", ref, dbErr(err))
	}
	return nil
}

// Notes lists a case's notes, oldest first, their words opened: an empty
// list when there are none, tipline.ErrNotFound when there is no such case.
func (p *Store) Notes(ctx context.Context, ref tipline.Reference) ([]tipline.Note, error) {
	const q = `
		select n.id, n.author, n.kind, n.text, n.at, coalesce(n.key, '')
		from notes n
		join cases c on c.id = n.case_id
		where c.reference = $1
		order by n.id`
	rows, err := p.pool.Query(ctx, q, string(ref))
	if err != nil {
		return nil, fmt.Errorf("list notes of case %s: %w", ref, dbErr(err))
	}
	defer rows.Close()
	out := []tipline.Note{}
	for rows.Next() {
		var (
			n      tipline.Note
			id     int64
			sealed []byte
		)
		if err := rows.Scan(&id, &n.Author, &n.Kind, &sealed, &n.At, &n.Key); err != nil {
			return nil, fmt.Errorf("list notes of case %s: %w", ref, dbErr(err))
		}
		text, err := p.ring.Open(sealed, noteAAD(id, "text"))
		if err != nil {
			return nil, fmt.Errorf("list notes of case %s: note %d: %w", ref, len(out), err)
		}
		n.Text = string(text)
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list notes of case %s: %w", ref, dbErr(err))
	}
	if len(out) == 0 {
		if err := p.caseExists(ctx, ref); err != nil {
			return nil, fmt.Errorf("list notes of case %s: %w", ref, err)
		}
	}
	return out, nil
}

// CloseCase closes a case with an outcome, in one transaction: status
// closed, outcome and closed_at (now) set, the reporter's chat id deleted
// (nobody writes to the reporter of a closed case; reopening does not bring
// it back), pending jobs deleted and a
// "closed_<outcome>" audit event written by the reviewer. A case closed
// before it was acknowledged gets the closing reviewer as assignee, since
// now. Its retention period starts: a warning of its deletion recorded
// before it was last reopened is cleared (MarkRetentionWarned). A closed
// case is inert: closing it again gives tipline.ErrClosed and changes
// nothing (an old button cannot re-close it with another outcome). It gives
// tipline.ErrNotFound for an unknown case or reviewer and ErrInvalid for an
// outcome not in tipline.Outcomes. Use Refer to close as referred to a
// named partner and LinkDuplicate to close as a duplicate of another case.
func (p *Store) CloseCase(ctx context.Context, ref tipline.Reference, reviewerID int64, outcome tipline.Outcome, now time.Time) error {
	if err := rules.CheckOutcome(outcome); err != nil {
		return fmt.Errorf("close case %s: %w", ref, err)
	}
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("close case %s: %w", ref, dbErr(err))
	}
	defer tx.Rollback(ctx)
	caseID, _, status, err := lockCase(ctx, tx, ref)
	if err != nil {
		return fmt.Errorf("close case %s: %w", ref, err)
	}
	if err := requireReviewer(ctx, tx, reviewerID); err != nil {
		return fmt.Errorf("close case %s: %w", ref, err)
	}
	if status == tipline.StatusClosed {
		return fmt.Errorf("close case %s: %w", ref, tipline.ErrClosed)
	}
	if err := closeCaseTx(ctx, tx, caseID, reviewerID, outcome, 0, 0, now); err != nil {
		return fmt.Errorf("close case %s: %w", ref, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("close case %s: %w", ref, dbErr(err))
	}
	return nil
}

// ReopenCase reopens a closed case, in one transaction: it becomes
// acknowledged with the reopening reviewer as assignee since now, its
// outcome and closing time are cleared and a "reopened" audit event is
// written. It is not routed again: someone has it. Reopening a case that
// is not closed changes and records nothing. It gives tipline.ErrNotFound
// for an unknown case or reviewer.
func (p *Store) ReopenCase(ctx context.Context, ref tipline.Reference, reviewerID int64, now time.Time) error {
	const update = `
		update cases
		set status = 'acknowledged', assignee = $2, acknowledged_at = $3, updated_at = $3,
		    outcome = null, closed_at = null, retention_warned_at = null,
		    partner_id = null, duplicate_of = null
		where id = $1`
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("reopen case %s: %w", ref, dbErr(err))
	}
	defer tx.Rollback(ctx)
	caseID, _, status, err := lockCase(ctx, tx, ref)
	if err != nil {
		return fmt.Errorf("reopen case %s: %w", ref, err)
	}
	if err := requireReviewer(ctx, tx, reviewerID); err != nil {
		return fmt.Errorf("reopen case %s: %w", ref, err)
	}
	if status != tipline.StatusClosed {
		return nil
	}
	if _, err := tx.Exec(ctx, update, caseID, reviewerID, now); err != nil {
		return fmt.Errorf("reopen case %s: %w", ref, dbErr(err))
	}
	if err := insertAuditAt(ctx, tx, caseID, tipline.ReviewerActor(reviewerID), storage.ActionReopened, now); err != nil {
		return fmt.Errorf("reopen case %s: %w", ref, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("reopen case %s: %w", ref, dbErr(err))
	}
	return nil
}

// Queue lists the open cases a reviewer should see: first every case
// nobody has acknowledged, urgent before normal, then oldest submitted
// first; then the cases the reviewer acknowledged and has not closed, the
// most recently acknowledged first. Cases others have and closed cases are
// left out. An empty list, not an error, when there are none.
func (p *Store) Queue(ctx context.Context, reviewerID int64) ([]tipline.CaseSummary, error) {
	const q = `
		select reference, kind, urgency, status, created_at, coalesce(exploitation, ''), coalesce(risk, '')
		from cases
		where status = 'received' or (status = 'acknowledged' and assignee = $1)
		order by status <> 'received',
		         case when status = 'received' then urgency <> 'urgent' end,
		         case when status = 'received' then submitted_at end,
		         case when status = 'received' then id end,
		         acknowledged_at desc,
		         id desc`
	rows, err := p.pool.Query(ctx, q, reviewerID)
	if err != nil {
		return nil, fmt.Errorf("list queue of reviewer %d: %w", reviewerID, dbErr(err))
	}
	defer rows.Close()
	out := []tipline.CaseSummary{}
	for rows.Next() {
		var (
			cs                                        tipline.CaseSummary
			ref, kind, urgency, status, exploit, risk string
		)
		if err := rows.Scan(&ref, &kind, &urgency, &status, &cs.CreatedAt, &exploit, &risk); err != nil {
			return nil, fmt.Errorf("list queue of reviewer %d: %w", reviewerID, dbErr(err))
		}
		cs.Reference, cs.Kind, cs.Urgency, cs.Status = tipline.Reference(ref), tipline.Kind(kind), tipline.Urgency(urgency), tipline.Status(status)
		cs.Exploitation, cs.Risk = tipline.Exploitation(exploit), tipline.Risk(risk)
		out = append(out, cs)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list queue of reviewer %d: %w", reviewerID, dbErr(err))
	}
	return out, nil
}
