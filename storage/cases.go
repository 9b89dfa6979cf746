package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tipline/tipline"
)

// sealedAnswers is what a case's answers column holds once opened.
type sealedAnswers struct {
	Answers  tipline.Answers   `json:"answers"`
	Location *tipline.Location `json:"location,omitempty"`
}

// checkNewCase refuses a case the store could not find again.
func checkNewCase(c tipline.NewCase) error {
	switch {
	case c.DraftID == "":
		return fmt.Errorf("%w: case without a draft id", ErrInvalid)
	case c.Reference == "":
		return fmt.Errorf("%w: case without a reference", ErrInvalid)
	}
	return nil
}

// SubmitCase stores a case with its sealed answers, its attachments'
// file references and a "submitted" audit event, in one transaction.
// Submitting the same DraftID again stores nothing and returns the first
// case's reference with created false. A reference already used by another
// draft gives ErrReferenceTaken.
func (p *Postgres) SubmitCase(ctx context.Context, c tipline.NewCase) (tipline.Reference, bool, error) {
	const insertCase = `
		insert into cases (reference, draft_id, kind, urgency, lang, reporter,
		                   reporter_chat, contact_allowed, answers, submitted_at)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9, coalesce($10, now()))
		on conflict do nothing
		returning id`
	const findDraft = `select reference from cases where draft_id = $1`
	const insertAttachment = `
		insert into attachments (case_id, position, kind, question, file_id, file_unique_id)
		values ($1, $2, $3, $4, $5, $6)`
	if err := checkNewCase(c); err != nil {
		return "", false, fmt.Errorf("save case: %w", err)
	}
	answers, err := json.Marshal(sealedAnswers{Answers: c.Answers, Location: c.Location})
	if err != nil {
		return "", false, fmt.Errorf("save case: encode answers: %w", err)
	}
	var submittedAt *time.Time
	if !c.SubmittedAt.IsZero() {
		submittedAt = &c.SubmittedAt
	}
	chat := []byte(strconv.FormatInt(c.ReporterChatID, 10))

	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return "", false, fmt.Errorf("save case: %w", dbErr(err))
	}
	defer tx.Rollback(ctx)

	var caseID int64
	err = tx.QueryRow(ctx, insertCase,
		string(c.Reference), c.DraftID, string(c.Kind), string(c.Urgency), c.Lang, c.Reporter,
		p.ring.Seal(chat, caseAAD(c.DraftID, "reporter_chat")),
		c.ContactAllowed,
		p.ring.Seal(answers, caseAAD(c.DraftID, "answers")),
		submittedAt,
	).Scan(&caseID)
	if errors.Is(err, pgx.ErrNoRows) {
		// The draft was submitted before, or the reference is another draft's.
		var first string
		err := tx.QueryRow(ctx, findDraft, c.DraftID).Scan(&first)
		if errors.Is(err, pgx.ErrNoRows) {
			return "", false, fmt.Errorf("save case %s: %w", c.Reference, ErrReferenceTaken)
		}
		if err != nil {
			return "", false, fmt.Errorf("save case: %w", dbErr(err))
		}
		return tipline.Reference(first), false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("save case: %w", dbErr(err))
	}

	if len(c.Attachments) > 0 {
		batch := &pgx.Batch{}
		for i, a := range c.Attachments {
			batch.Queue(insertAttachment, caseID, i, a.Kind, a.Question,
				p.ring.Seal([]byte(a.FileID), attachmentAAD(c.DraftID, i, "file_id")),
				p.ring.Seal([]byte(a.FileUniqueID), attachmentAAD(c.DraftID, i, "file_unique_id")))
		}
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return "", false, fmt.Errorf("save case: attachments: %w", dbErr(err))
		}
	}
	if err := insertAudit(ctx, tx, caseID, reporterActor(c.Reporter), ActionSubmitted); err != nil {
		return "", false, fmt.Errorf("save case: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return "", false, fmt.Errorf("save case: %w", dbErr(err))
	}
	return c.Reference, true, nil
}

// Case returns a stored case with its answers and attachments opened, or
// tipline.ErrNotFound.
func (p *Postgres) Case(ctx context.Context, ref tipline.Reference) (tipline.Case, error) {
	const q = `
		select id, reference, draft_id, kind, urgency, status, lang, reporter,
		       reporter_chat, contact_allowed, answers, submitted_at, created_at, updated_at
		from cases
		where reference = $1`
	const qAttachments = `
		select position, kind, question, file_id, file_unique_id
		from attachments
		where case_id = $1
		order by position`
	var (
		c                     tipline.Case
		caseID                int64
		reference, kind, urg  string
		status                string
		sealedChat, sealedAns []byte
	)
	err := p.pool.QueryRow(ctx, q, string(ref)).Scan(&caseID, &reference, &c.DraftID, &kind, &urg, &status,
		&c.Lang, &c.Reporter, &sealedChat, &c.ContactAllowed, &sealedAns,
		&c.SubmittedAt, &c.CreatedAt, &c.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return tipline.Case{}, fmt.Errorf("load case %s: %w", ref, tipline.ErrNotFound)
	}
	if err != nil {
		return tipline.Case{}, fmt.Errorf("load case %s: %w", ref, dbErr(err))
	}
	c.Reference, c.Kind, c.Urgency, c.Status = tipline.Reference(reference), tipline.Kind(kind), tipline.Urgency(urg), tipline.Status(status)

	chat, err := p.ring.Open(sealedChat, caseAAD(c.DraftID, "reporter_chat"))
	if err != nil {
		return tipline.Case{}, fmt.Errorf("load case %s: reporter chat: %w", ref, err)
	}
	if c.ReporterChatID, err = strconv.ParseInt(string(chat), 10, 64); err != nil {
		return tipline.Case{}, fmt.Errorf("load case %s: reporter chat: malformed", ref)
	}
	plain, err := p.ring.Open(sealedAns, caseAAD(c.DraftID, "answers"))
	if err != nil {
		return tipline.Case{}, fmt.Errorf("load case %s: answers: %w", ref, err)
	}
	var ans sealedAnswers
	if err := json.Unmarshal(plain, &ans); err != nil {
		return tipline.Case{}, fmt.Errorf("load case %s: answers: malformed", ref)
	}
	c.Answers, c.Location = ans.Answers, ans.Location

	rows, err := p.pool.Query(ctx, qAttachments, caseID)
	if err != nil {
		return tipline.Case{}, fmt.Errorf("load case %s: attachments: %w", ref, dbErr(err))
	}
	defer rows.Close()
	for rows.Next() {
		var (
			a                  tipline.Attachment
			position           int
			sealedID, sealedUq []byte
		)
		if err := rows.Scan(&position, &a.Kind, &a.Question, &sealedID, &sealedUq); err != nil {
			return tipline.Case{}, fmt.Errorf("load case %s: attachments: %w", ref, dbErr(err))
		}
		fileID, err := p.ring.Open(sealedID, attachmentAAD(c.DraftID, position, "file_id"))
		if err != nil {
			return tipline.Case{}, fmt.Errorf("load case %s: attachment %d: %w", ref, position, err)
		}
		uniqueID, err := p.ring.Open(sealedUq, attachmentAAD(c.DraftID, position, "file_unique_id"))
		if err != nil {
			return tipline.Case{}, fmt.Errorf("load case %s: attachment %d: %w", ref, position, err)
		}
		a.FileID, a.FileUniqueID = string(fileID), string(uniqueID)
		c.Attachments = append(c.Attachments, a)
	}
	if err := rows.Err(); err != nil {
		return tipline.Case{}, fmt.Errorf("load case %s: attachments: %w", ref, dbErr(err))
	}
	return c, nil
}
