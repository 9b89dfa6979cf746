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
	const lockCase = `select id, draft_id from cases where reference = $1 for update`
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
		return fmt.Errorf("add to case %s: %w", ref, err)
	}
	var at *time.Time
	if !a.At.IsZero() {
		at = &a.At
	}
	storedKey := additionKey(key)

	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("add to case %s: %w", ref, dbErr(err))
	}
	defer tx.Rollback(ctx)

	// The lock orders additions to a case, so their attachments' positions
	// do not collide.
	var (
		caseID  int64
		draftID string
	)
	err = tx.QueryRow(ctx, lockCase, string(ref)).Scan(&caseID, &draftID)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("add to case %s: %w", ref, tipline.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("add to case %s: %w", ref, dbErr(err))
	}
	var known bool
	if err := tx.QueryRow(ctx, seen, caseID, storedKey).Scan(&known); err != nil {
		return fmt.Errorf("add to case %s: %w", ref, dbErr(err))
	}
	if known {
		return nil // added before under the same key
	}
	var (
		count int
		bytes int64
	)
	if err := tx.QueryRow(ctx, day, caseID, at).Scan(&count, &bytes); err != nil {
		return fmt.Errorf("add to case %s: %w", ref, dbErr(err))
	}
	size := additionSize(a)
	if p.addLimits.overLimit(count, bytes, size) {
		return fmt.Errorf("add to case %s: %w", ref, ErrAdditionLimit)
	}
	var additionID int64
	err = tx.QueryRow(ctx, insertAddition, caseID, storedKey, a.Actor,
		p.ring.Seal([]byte(a.Text), additionAAD(draftID, storedKey, "text")), at, size,
	).Scan(&additionID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // added before under the same key
	}
	if err != nil {
		return fmt.Errorf("add to case %s: %w", ref, dbErr(err))
	}

	if len(a.Attachments) > 0 {
		var first int
		if err := tx.QueryRow(ctx, nextPosition, caseID).Scan(&first); err != nil {
			return fmt.Errorf("add to case %s: attachments: %w", ref, dbErr(err))
		}
		batch := &pgx.Batch{}
		for i, att := range a.Attachments {
			position := first + i
			batch.Queue(insertAttachment, caseID, position, additionID, att.Kind, QuestionAddition,
				p.ring.Seal([]byte(att.FileID), attachmentAAD(draftID, position, "file_id")),
				p.ring.Seal([]byte(att.FileUniqueID), attachmentAAD(draftID, position, "file_unique_id")))
		}
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return fmt.Errorf("add to case %s: attachments: %w", ref, dbErr(err))
		}
	}
	if _, err := tx.Exec(ctx, touchCase, caseID); err != nil {
		return fmt.Errorf("add to case %s: %w", ref, dbErr(err))
	}
	if err := insertAudit(ctx, tx, caseID, a.Actor, ActionInformationAdded); err != nil {
		return fmt.Errorf("add to case %s: %w", ref, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("add to case %s: %w", ref, dbErr(err))
	}
	return nil
}
