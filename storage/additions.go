package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tipline/tipline"
)

// AdditionLimits bound what may be added to one case in a day (the 24
// hours before the addition), so that no anonymous account can fill the
// disk or bury a reviewer under messages. Zero fields mean the defaults.
type AdditionLimits struct {
	PerDay      int   // additions
	BytesPerDay int64 // words plus the sizes Telegram announces for files
}

// DefaultAdditionLimits are generous for a person with news: 30 additions
// and 100 MiB a day for each case.
var DefaultAdditionLimits = AdditionLimits{PerDay: 30, BytesPerDay: 100 << 20}

func (l AdditionLimits) orDefaults() AdditionLimits {
	if l.PerDay <= 0 {
		l.PerDay = DefaultAdditionLimits.PerDay
	}
	if l.BytesPerDay <= 0 {
		l.BytesPerDay = DefaultAdditionLimits.BytesPerDay
	}
	return l
}

// additionSize is what an addition counts against AdditionLimits.BytesPerDay.
func additionSize(a tipline.Addition) int64 {
	n := int64(len(a.Text))
	for _, att := range a.Attachments {
		n += max(att.Size, 0)
	}
	return n
}

// overLimit tells whether one more addition of size would exceed l, given
// the count and bytes of the case's additions in the day before it.
func (l AdditionLimits) overLimit(count int, bytes, size int64) bool {
	l = l.orDefaults()
	return count+1 > l.PerDay || bytes+size > l.BytesPerDay
}

// SetAdditionLimits sets the limits of what may be added to a case in a
// day; call it before use.
func (p *Postgres) SetAdditionLimits(l AdditionLimits) { p.addLimits = l.orDefaults() }

// checkAddition refuses an addition the store should not keep.
func checkAddition(key string, a tipline.Addition) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: addition without an idempotency key", ErrInvalid)
	case a.Actor == "":
		return fmt.Errorf("%w: addition without an actor", ErrInvalid)
	case a.Text == "" && len(a.Attachments) == 0:
		return fmt.Errorf("%w: empty addition", ErrInvalid)
	}
	return nil
}

// randomAdditionKey is the idempotency key of an addition given without one.
func randomAdditionKey() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("storage: crypto/rand failed: " + err.Error())
	}
	return "random:" + hex.EncodeToString(b)
}

// AddResult tells where an addition went (AddToCaseTracked).
type AddResult struct {
	// Reference is the case it was stored on: the one named, or the older
	// case a duplicate repeats.
	Reference tipline.Reference
	// Stored is false when the key was seen before and nothing was stored.
	Stored bool
	// Closed says that case is closed: the addition is kept, and the
	// reviewer who had it (LastReviewer, 0 for none) should be told, with
	// a Reopen button.
	Closed       bool
	LastReviewer int64
}

// maxDuplicateHops bounds how many duplicate links an addition follows.
const maxDuplicateHops = 8

// AddToCase stores an addition to a case, as AddToCaseOnce does, under a
// random idempotency key: calling it twice stores the addition twice.
func (p *Postgres) AddToCase(ctx context.Context, ref tipline.Reference, a tipline.Addition) error {
	return p.AddToCaseOnce(ctx, ref, randomAdditionKey(), a)
}

// AddToCaseOnce stores what a reporter added to a case: the words sealed,
// each attachment's file references with the case's other attachments
// (Question "addition", whatever was given, so AttachmentsToFetch lists
// them), and an "information_added" audit event by a.Actor, in one
// transaction. At is the time given, or now when zero.
//
// key makes the call idempotent: an opaque, non-personal string (such as
// "upd:12345", the update that carried the addition), stored as its
// SHA-256. A key the case has
// seen before stores nothing and is not an error, so the bot can apply an
// update again after a crash. It gives tipline.ErrNotFound for an unknown
// case and ErrInvalid for an empty key, an addition without an actor, or
// one with neither words nor attachments. An addition over the case's
// AdditionLimits for the 24 hours before it gives ErrAdditionLimit and
// stores nothing.
func (p *Postgres) AddToCaseOnce(ctx context.Context, ref tipline.Reference, key string, a tipline.Addition) error {
	_, err := p.AddToCaseTracked(ctx, ref, key, a)
	return err
}

// AddToCaseTracked stores an addition as AddToCaseOnce does and tells
// where it went. An addition to a case closed as a duplicate
// (LinkDuplicate) is stored on the older case it repeats. An addition to
// a closed case is stored all the same (a reporter's words are never
// dropped): Closed and LastReviewer tell the caller to let that reviewer
// know, with a Reopen button.
func (p *Postgres) AddToCaseTracked(ctx context.Context, ref tipline.Reference, key string, a tipline.Addition) (AddResult, error) {
	const lockCase = `select id, draft_id, status, coalesce(assignee, 0), duplicate_of from cases where reference = $1 for update`
	const follow = `select reference from cases where id = $1`
	const insertAddition = `
		insert into additions (case_id, idempotency_key, actor, text, added_at, size)
		values ($1, $2, $3, $4, coalesce($5, now()), $6)
		on conflict (case_id, idempotency_key) do nothing
		returning id`
	const seen = `select exists (select 1 from additions where case_id = $1 and idempotency_key = $2)`
	const day = `
		select count(*), coalesce(sum(size), 0)::bigint from additions
		where case_id = $1 and added_at > coalesce($2, now()) - interval '1 day'`
	const nextPosition = `select coalesce(max(position) + 1, 0) from attachments where case_id = $1`
	const insertAttachment = `
		insert into attachments (case_id, position, addition_id, kind, question, file_id, file_unique_id)
		values ($1, $2, $3, $4, $5, $6, $7)`
	const touchCase = `update cases set updated_at = now() where id = $1`
	if err := checkAddition(key, a); err != nil {
		return AddResult{}, fmt.Errorf("add to case %s: %w", ref, err)
	}
	var at *time.Time
	if !a.At.IsZero() {
		at = &a.At
	}
	storedKey := additionKey(key)

	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return AddResult{}, fmt.Errorf("add to case %s: %w", ref, dbErr(err))
	}
	defer tx.Rollback(ctx)

	// The lock orders additions to a case, so their attachments' positions
	// do not collide.
	// A duplicate's additions go to the case it repeats (a few links at
	// most are followed); a key seen by any case on the way was stored.
	var (
		caseID, assignee int64
		draftID, status  string
		duplicateOf      *int64
		res              = AddResult{Reference: ref}
	)
	for hop := 0; ; hop++ {
		err = tx.QueryRow(ctx, lockCase, string(res.Reference)).Scan(&caseID, &draftID, &status, &assignee, &duplicateOf)
		if errors.Is(err, pgx.ErrNoRows) {
			return AddResult{}, fmt.Errorf("add to case %s: %w", res.Reference, tipline.ErrNotFound)
		}
		if err != nil {
			return AddResult{}, fmt.Errorf("add to case %s: %w", ref, dbErr(err))
		}
		var known bool
		if err := tx.QueryRow(ctx, seen, caseID, storedKey).Scan(&known); err != nil {
			return AddResult{}, fmt.Errorf("add to case %s: %w", ref, dbErr(err))
		}
		if known {
			return res, nil // added before under the same key
		}
		if duplicateOf == nil || hop == maxDuplicateHops {
			break
		}
		var next string
		if err := tx.QueryRow(ctx, follow, *duplicateOf).Scan(&next); err != nil {
			return AddResult{}, fmt.Errorf("add to case %s: duplicate of: %w", ref, dbErr(err))
		}
		res.Reference = tipline.Reference(next)
	}
	res.Closed = tipline.Status(status) == tipline.StatusClosed
	if res.Closed {
		res.LastReviewer = assignee
	}
	var (
		count int
		bytes int64
	)
	if err := tx.QueryRow(ctx, day, caseID, at).Scan(&count, &bytes); err != nil {
		return AddResult{}, fmt.Errorf("add to case %s: %w", ref, dbErr(err))
	}
	size := additionSize(a)
	if p.addLimits.overLimit(count, bytes, size) {
		return AddResult{}, fmt.Errorf("add to case %s: %w", ref, ErrAdditionLimit)
	}
	var additionID int64
	err = tx.QueryRow(ctx, insertAddition, caseID, storedKey, a.Actor,
		p.ring.Seal([]byte(a.Text), additionAAD(draftID, storedKey, "text")), at, size,
	).Scan(&additionID)
	if errors.Is(err, pgx.ErrNoRows) {
		return res, nil // added before under the same key
	}
	if err != nil {
		return AddResult{}, fmt.Errorf("add to case %s: %w", ref, dbErr(err))
	}

	if len(a.Attachments) > 0 {
		var first int
		if err := tx.QueryRow(ctx, nextPosition, caseID).Scan(&first); err != nil {
			return AddResult{}, fmt.Errorf("add to case %s: attachments: %w", ref, dbErr(err))
		}
		batch := &pgx.Batch{}
		for i, att := range a.Attachments {
			position := first + i
			batch.Queue(insertAttachment, caseID, position, additionID, att.Kind, QuestionAddition,
				p.ring.Seal([]byte(att.FileID), attachmentAAD(draftID, position, "file_id")),
				p.ring.Seal([]byte(att.FileUniqueID), attachmentAAD(draftID, position, "file_unique_id")))
		}
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return AddResult{}, fmt.Errorf("add to case %s: attachments: %w", ref, dbErr(err))
		}
	}
	if _, err := tx.Exec(ctx, touchCase, caseID); err != nil {
		return AddResult{}, fmt.Errorf("add to case %s: %w", ref, dbErr(err))
	}
	if err := insertAudit(ctx, tx, caseID, a.Actor, ActionInformationAdded); err != nil {
		return AddResult{}, fmt.Errorf("add to case %s: %w", ref, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return AddResult{}, fmt.Errorf("add to case %s: %w", ref, dbErr(err))
	}
	res.Stored = true
	return res, nil
}
