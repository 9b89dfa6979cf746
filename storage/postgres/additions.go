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

// SetAdditionLimits sets the limits of what may be added to a case in a
// day; call it before use.
func (p *Store) SetAdditionLimits(l storage.AdditionLimits) { p.addLimits = l.OrDefaults() }

// AddToCaseTracked stores what a reporter added to a case: the words
// sealed, each attachment's file references with the case's other
// attachments (Question "addition", whatever was given, so
// AttachmentsToFetch lists them), and an "information_added" audit event
// by a.Actor, in one transaction. At is the time given, or now when zero.
//
// key makes the call idempotent: an opaque, non-personal string (such as
// "upd:12345", the update that carried the addition), stored as its
// SHA-256. A key the case has seen before stores nothing and is not an
// error, so the bot can apply an update again after a crash. It gives
// tipline.ErrNotFound for an unknown case and ErrInvalid for an empty key,
// an addition without an actor, or one with neither words nor
// attachments. An addition over the case's AdditionLimits for the 24 hours
// before it gives ErrAdditionLimit and stores nothing.
//
// It tells where the addition went. An addition to a case closed as a duplicate
// (LinkDuplicate) is stored on the older case it repeats. An addition to
// a closed case is stored all the same (a reporter's words are never
// dropped): Closed and LastReviewer tell the caller to let that reviewer
// know, with a Reopen button.
func (p *Store) AddToCaseTracked(ctx context.Context, ref tipline.Reference, key string, a tipline.Addition) (storage.AddResult, error) {
	const lockRow = `select id, draft_id, status, coalesce(assignee, 0), duplicate_of from cases where reference = $1 for update`
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
	const actorDay = `
		select count(*), coalesce(sum(size), 0)::bigint from additions
		where actor = $1 and added_at > coalesce($2, now()) - interval '1 day'`
	const nextPosition = `select coalesce(max(position) + 1, 0) from attachments where case_id = $1`
	const insertAttachment = `
		insert into attachments (case_id, position, addition_id, kind, question, file_id, file_unique_id, caption)
		values ($1, $2, $3, $4, $5, $6, $7, $8)`
	const touchCase = `update cases set updated_at = now() where id = $1`
	if err := rules.CheckAddition(key, a); err != nil {
		return storage.AddResult{}, fmt.Errorf("add to case %s: %w", ref, err)
	}
	var at *time.Time
	if !a.At.IsZero() {
		at = &a.At
	}
	storedKey := additionKey(key)

	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return storage.AddResult{}, fmt.Errorf("add to case %s: %w", ref, dbErr(err))
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
		res              = storage.AddResult{Reference: ref}
	)
	for hop := 0; ; hop++ {
		err = tx.QueryRow(ctx, lockRow, string(res.Reference)).Scan(&caseID, &draftID, &status, &assignee, &duplicateOf)
		if errors.Is(err, pgx.ErrNoRows) {
			return storage.AddResult{}, fmt.Errorf("add to case %s: %w", res.Reference, tipline.ErrNotFound)
		}
		if err != nil {
			return storage.AddResult{}, fmt.Errorf("add to case %s: %w", ref, dbErr(err))
		}
		var known bool
		if err := tx.QueryRow(ctx, seen, caseID, storedKey).Scan(&known); err != nil {
			return storage.AddResult{}, fmt.Errorf("add to case %s: %w", ref, dbErr(err))
		}
		if known {
			return res, nil // added before under the same key
		}
		if duplicateOf == nil || hop == rules.MaxDuplicateHops {
			break
		}
		var next string
		if err := tx.QueryRow(ctx, follow, *duplicateOf).Scan(&next); err != nil {
			return storage.AddResult{}, fmt.Errorf("add to case %s: duplicate of: %w", ref, dbErr(err))
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
		return storage.AddResult{}, fmt.Errorf("add to case %s: %w", ref, dbErr(err))
	}
	size := rules.AdditionSize(a)
	if p.addLimits.OverLimit(count, bytes, size) {
		return storage.AddResult{}, fmt.Errorf("add to case %s: %w", ref, storage.ErrAdditionLimit)
	}
	if err := tx.QueryRow(ctx, actorDay, a.Actor, at).Scan(&count, &bytes); err != nil {
		return storage.AddResult{}, fmt.Errorf("add to case %s: %w", ref, dbErr(err))
	}
	if p.addLimits.ReporterOverLimit(count, bytes, size) {
		return storage.AddResult{}, fmt.Errorf("add to case %s: the reporter's day: %w", ref, storage.ErrAdditionLimit)
	}
	var additionID int64
	err = tx.QueryRow(ctx, insertAddition, caseID, storedKey, a.Actor,
		p.ring.Seal([]byte(a.Text), additionAAD(draftID, storedKey, "text")), at, size,
	).Scan(&additionID)
	if errors.Is(err, pgx.ErrNoRows) {
		return res, nil // added before under the same key
	}
	if err != nil {
		return storage.AddResult{}, fmt.Errorf("add to case %s: %w", ref, dbErr(err))
	}

	if len(a.Attachments) > 0 {
		var first int
		if err := tx.QueryRow(ctx, nextPosition, caseID).Scan(&first); err != nil {
			return storage.AddResult{}, fmt.Errorf("add to case %s: attachments: %w", ref, dbErr(err))
		}
		batch := &pgx.Batch{}
		for i, att := range a.Attachments {
			position := first + i
			batch.Queue(insertAttachment, caseID, position, additionID, att.Kind, storage.QuestionAddition,
				p.ring.Seal([]byte(att.FileID), attachmentAAD(draftID, position, "file_id")),
				p.ring.Seal([]byte(att.FileUniqueID), attachmentAAD(draftID, position, "file_unique_id")),
				p.sealCaption(att.Caption, draftID, position))
		}
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return storage.AddResult{}, fmt.Errorf("add to case %s: attachments: %w", ref, dbErr(err))
		}
	}
	if _, err := tx.Exec(ctx, touchCase, caseID); err != nil {
		return storage.AddResult{}, fmt.Errorf("add to case %s: %w", ref, dbErr(err))
	}
	if err := insertAudit(ctx, tx, caseID, a.Actor, storage.ActionInformationAdded); err != nil {
		return storage.AddResult{}, fmt.Errorf("add to case %s: %w", ref, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return storage.AddResult{}, fmt.Errorf("add to case %s: %w", ref, dbErr(err))
	}
	res.Stored = true
	return res, nil
}
