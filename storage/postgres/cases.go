package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// sealedAnswers is what a case's answers column holds once opened.
type sealedAnswers struct {
	Answers  tipline.Answers   `json:"answers"`
	Location *tipline.Location `json:"location,omitempty"`
}

// SubmitCase stores a case with its sealed answers, the reporter's sealed
// chat id only when they allow contact (none otherwise), its attachments'
// file references, its follow-up hash (as given: the bot hashes the code),
// its first routing job (level 0, due at SubmittedAt) and a "submitted"
// audit event, in one transaction. Submitting the same DraftID again
// stores nothing, no job either, and returns the first case's reference
// with created false. A reference already used by another draft gives
// ErrReferenceTaken; a follow-up hash another case has gives
// ErrFollowUpTaken.
func (p *Store) SubmitCase(ctx context.Context, c tipline.NewCase) (tipline.Reference, bool, error) {
	const insertCase = `
		insert into cases (reference, draft_id, kind, urgency, lang, reporter,
		                   reporter_chat, contact_allowed, answers, submitted_at, followup_hash)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9, coalesce($10, now()), $11)
		on conflict do nothing
		returning id`
	const findDraft = `select reference from cases where draft_id = $1`
	const referenceTaken = `select exists (select 1 from cases where reference = $1)`
	const insertAttachment = `
		insert into attachments (case_id, position, kind, question, file_id, file_unique_id, caption)
		values ($1, $2, $3, $4, $5, $6, $7)`
	const insertFirstJob = `insert into jobs (case_id, level, run_at) select id, 0, submitted_at from cases where id = $1`
	if err := rules.CheckNewCase(c); err != nil {
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
	// The chat id is kept only while the reporter lets the team write to
	// them: a reporter who declined leaves no Telegram id behind, not even
	// a sealed one (the key lives on the same server).
	var sealedChat []byte
	if c.ContactAllowed && c.ReporterChatID != 0 {
		sealedChat = p.ring.Seal([]byte(strconv.FormatInt(c.ReporterChatID, 10)), caseAAD(c.DraftID, "reporter_chat"))
	}
	var followUp []byte // null when the case has no code
	if len(c.FollowUpHash) > 0 {
		followUp = c.FollowUpHash
	}

	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return "", false, fmt.Errorf("save case: %w", dbErr(err))
	}
	defer tx.Rollback(ctx)

	var caseID int64
	err = tx.QueryRow(ctx, insertCase,
		string(c.Reference), c.DraftID, string(c.Kind), string(c.Urgency), c.Lang, c.Reporter,
		sealedChat,
		c.ContactAllowed && sealedChat != nil,
		p.ring.Seal(answers, caseAAD(c.DraftID, "answers")),
		submittedAt, followUp,
	).Scan(&caseID)
	if errors.Is(err, pgx.ErrNoRows) {
		// The draft was submitted before, or the reference or the follow-up
		// hash is another draft's. Only cases closed long ago are deleted,
		// so the row that conflicted is still there to find.
		var first string
		err := tx.QueryRow(ctx, findDraft, c.DraftID).Scan(&first)
		if err == nil {
			return tipline.Reference(first), false, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return "", false, fmt.Errorf("save case: %w", dbErr(err))
		}
		var taken bool
		if err := tx.QueryRow(ctx, referenceTaken, string(c.Reference)).Scan(&taken); err != nil {
			return "", false, fmt.Errorf("save case: %w", dbErr(err))
		}
		if taken {
			return "", false, fmt.Errorf("save case %s: %w", c.Reference, storage.ErrReferenceTaken)
		}
		return "", false, fmt.Errorf("save case %s: %w", c.Reference, storage.ErrFollowUpTaken)
	}
	if err != nil {
		return "", false, fmt.Errorf("save case: %w", dbErr(err))
	}

	if len(c.Attachments) > 0 {
		batch := &pgx.Batch{}
		for i, a := range c.Attachments {
			batch.Queue(insertAttachment, caseID, i, a.Kind, a.Question,
				p.ring.Seal([]byte(a.FileID), attachmentAAD(c.DraftID, i, "file_id")),
				p.ring.Seal([]byte(a.FileUniqueID), attachmentAAD(c.DraftID, i, "file_unique_id")),
				p.sealCaption(a.Caption, c.DraftID, i))
		}
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return "", false, fmt.Errorf("save case: attachments: %w", dbErr(err))
		}
	}
	if _, err := tx.Exec(ctx, insertFirstJob, caseID); err != nil {
		return "", false, fmt.Errorf("save case: first job: %w", dbErr(err))
	}
	if err := insertAudit(ctx, tx, caseID, tipline.ReporterActor(c.Reporter), storage.ActionSubmitted); err != nil {
		return "", false, fmt.Errorf("save case: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return "", false, fmt.Errorf("save case: %w", dbErr(err))
	}
	return c.Reference, true, nil
}

// Case returns a stored case with its answers, attachments and additions
// opened, its status and assignment, or tipline.ErrNotFound. A case whose
// reporter was forgotten has an empty Reporter and a ReporterChatID of 0;
// a case whose reporter declined or withdrew contact, or that was closed,
// has a ReporterChatID of 0.
func (p *Store) Case(ctx context.Context, ref tipline.Reference) (tipline.Case, error) {
	const q = `
		select id, reference, draft_id, kind, urgency, status, lang, coalesce(reporter, ''),
		       reporter_chat, contact_allowed, answers, submitted_at, followup_hash,
		       created_at, updated_at,
		       coalesce(assignee, 0), acknowledged_at, coalesce(outcome, ''), closed_at,
		       coalesce(exploitation, ''), coalesce(risk, ''), coalesce(classified_by, 0), classified_at,
		       coalesce(partner_id, 0), duplicate_of
		from cases
		where reference = $1`
	var (
		c                     tipline.Case
		caseID                int64
		reference, kind, urg  string
		status                string
		sealedChat, sealedAns []byte
		outcome               string
		ackedAt, closedAt     *time.Time
		exploit, risk         string
		classifiedAt          *time.Time
		duplicateOf           *int64
	)
	err := p.pool.QueryRow(ctx, q, string(ref)).Scan(&caseID, &reference, &c.DraftID, &kind, &urg, &status,
		&c.Lang, &c.Reporter, &sealedChat, &c.ContactAllowed, &sealedAns,
		&c.SubmittedAt, &c.FollowUpHash, &c.CreatedAt, &c.UpdatedAt,
		&c.Assignment.ReviewerID, &ackedAt, &outcome, &closedAt,
		&exploit, &risk, &c.Classification.ReviewerID, &classifiedAt,
		&c.Assignment.PartnerID, &duplicateOf)
	if errors.Is(err, pgx.ErrNoRows) {
		return tipline.Case{}, fmt.Errorf("load case %s: %w", ref, tipline.ErrNotFound)
	}
	if err != nil {
		return tipline.Case{}, fmt.Errorf("load case %s: %w", ref, dbErr(err))
	}
	c.Reference, c.Kind, c.Urgency, c.Status = tipline.Reference(reference), tipline.Kind(kind), tipline.Urgency(urg), tipline.Status(status)
	c.Assignment.Outcome = tipline.Outcome(outcome)
	if ackedAt != nil {
		c.Assignment.AcknowledgedAt = *ackedAt
	}
	if closedAt != nil {
		c.Assignment.ClosedAt = *closedAt
	}
	c.Classification.Exploitation, c.Classification.Risk = tipline.Exploitation(exploit), tipline.Risk(risk)
	if classifiedAt != nil {
		c.Classification.At = *classifiedAt
	}
	if err := p.loadDuplicateOf(ctx, duplicateOf, &c); err != nil {
		return tipline.Case{}, fmt.Errorf("load case %s: %w", ref, err)
	}

	if sealedChat != nil { // null once the reporter is forgotten
		chat, err := p.ring.Open(sealedChat, caseAAD(c.DraftID, "reporter_chat"))
		if err != nil {
			return tipline.Case{}, fmt.Errorf("load case %s: reporter chat: %w", ref, err)
		}
		if c.ReporterChatID, err = strconv.ParseInt(string(chat), 10, 64); err != nil {
			return tipline.Case{}, fmt.Errorf("load case %s: reporter chat: malformed", ref)
		}
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

	// Additions first, then attachments: the attachments of an addition
	// committed in between are left out with it.
	additions, err := p.loadAdditions(ctx, caseID, &c)
	if err != nil {
		return tipline.Case{}, fmt.Errorf("load case %s: %w", ref, err)
	}
	if err := p.loadAttachments(ctx, caseID, additions, &c); err != nil {
		return tipline.Case{}, fmt.Errorf("load case %s: %w", ref, err)
	}
	return c, nil
}

// loadDuplicateOf sets the reference of the case c duplicates, given the
// id stored in its row.
func (p *Store) loadDuplicateOf(ctx context.Context, duplicateOf *int64, c *tipline.Case) error {
	const q = `select reference from cases where id = $1`
	if duplicateOf == nil {
		return nil
	}
	var ref string
	err := p.pool.QueryRow(ctx, q, *duplicateOf).Scan(&ref)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // deleted since
	}
	if err != nil {
		return fmt.Errorf("duplicate of: %w", dbErr(err))
	}
	c.Assignment.DuplicateOf = tipline.Reference(ref)
	return nil
}

// loadAdditions fills c.Additions, oldest first, with their words opened,
// and returns the index in c.Additions of each addition's id.
func (p *Store) loadAdditions(ctx context.Context, caseID int64, c *tipline.Case) (map[int64]int, error) {
	const q = `
		select id, idempotency_key, actor, text, added_at
		from additions
		where case_id = $1
		order by id`
	rows, err := p.pool.Query(ctx, q, caseID)
	if err != nil {
		return nil, fmt.Errorf("additions: %w", dbErr(err))
	}
	defer rows.Close()
	index := map[int64]int{}
	for rows.Next() {
		var (
			a      tipline.Addition
			id     int64
			key    []byte
			sealed []byte
		)
		if err := rows.Scan(&id, &key, &a.Actor, &sealed, &a.At); err != nil {
			return nil, fmt.Errorf("additions: %w", dbErr(err))
		}
		text, err := p.ring.Open(sealed, additionAAD(c.DraftID, key, "text"))
		if err != nil {
			return nil, fmt.Errorf("addition %d: %w", len(c.Additions), err)
		}
		a.Text = string(text)
		index[id] = len(c.Additions)
		c.Additions = append(c.Additions, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("additions: %w", dbErr(err))
	}
	return index, nil
}

// sealCaption seals the caption of a case's attachment at position; nil
// (null) when there is none.
func (p *Store) sealCaption(caption, draftID string, position int) []byte {
	if caption == "" {
		return nil
	}
	return p.ring.Seal([]byte(caption), attachmentAAD(draftID, position, "caption"))
}

// loadAttachments fills c.Attachments with the attachments given with the
// case, and each addition in c.Additions (indexed by additions) with its
// own, in the order they were given.
func (p *Store) loadAttachments(ctx context.Context, caseID int64, additions map[int64]int, c *tipline.Case) error {
	const q = `
		select position, addition_id, kind, question, file_id, file_unique_id, caption
		from attachments
		where case_id = $1
		order by position`
	rows, err := p.pool.Query(ctx, q, caseID)
	if err != nil {
		return fmt.Errorf("attachments: %w", dbErr(err))
	}
	defer rows.Close()
	for rows.Next() {
		var (
			a                  tipline.Attachment
			position           int
			additionID         *int64
			sealedID, sealedUq []byte
			sealedCaption      []byte
		)
		if err := rows.Scan(&position, &additionID, &a.Kind, &a.Question, &sealedID, &sealedUq, &sealedCaption); err != nil {
			return fmt.Errorf("attachments: %w", dbErr(err))
		}
		owner := &c.Attachments
		if additionID != nil {
			i, ok := additions[*additionID]
			if !ok {
				continue // its addition came after the additions were read
			}
			owner = &c.Additions[i].Attachments
		}
		fileID, err := p.ring.Open(sealedID, attachmentAAD(c.DraftID, position, "file_id"))
		if err != nil {
			return fmt.Errorf("attachment %d: %w", position, err)
		}
		uniqueID, err := p.ring.Open(sealedUq, attachmentAAD(c.DraftID, position, "file_unique_id"))
		if err != nil {
			return fmt.Errorf("attachment %d: %w", position, err)
		}
		a.FileID, a.FileUniqueID = string(fileID), string(uniqueID)
		if sealedCaption != nil {
			caption, err := p.ring.Open(sealedCaption, attachmentAAD(c.DraftID, position, "caption"))
			if err != nil {
				return fmt.Errorf("attachment %d: caption: %w", position, err)
			}
			a.Caption = string(caption)
		}
		*owner = append(*owner, a)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("attachments: %w", dbErr(err))
	}
	return nil
}

// CaseByFollowUp returns the reference of the case whose follow-up hash is
// hash, or tipline.ErrNotFound. A case whose reporter was forgotten keeps
// its hash: whoever kept the code can still open it.
func (p *Store) CaseByFollowUp(ctx context.Context, hash []byte) (tipline.Reference, error) {
	const q = `select reference from cases where followup_hash = $1`
	if len(hash) == 0 {
		return "", fmt.Errorf("find case by follow-up code: %w", tipline.ErrNotFound)
	}
	var ref string
	err := p.pool.QueryRow(ctx, q, hash).Scan(&ref)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("find case by follow-up code: %w", tipline.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("find case by follow-up code: %w", dbErr(err))
	}
	return tipline.Reference(ref), nil
}

// CasesByReporter lists the cases a reporter submitted, newest first: an
// empty list, not an error, when there are none or no pseudonym is given.
// It takes every pseudonym the key ring makes for the reporter, so cases
// submitted before a key rotation stay theirs while "tipline rekey" runs.
// Its errors do not name the pseudonym.
func (p *Store) CasesByReporter(ctx context.Context, pseudonyms ...string) ([]tipline.CaseSummary, error) {
	const q = `
		select reference, kind, urgency, status, created_at,
		       contact_allowed and reporter_chat is not null
		from cases
		where reporter = any($1)
		order by created_at desc, id desc`
	out := []tipline.CaseSummary{}
	pseudonyms = rules.NonEmpty(pseudonyms)
	if len(pseudonyms) == 0 {
		return out, nil
	}
	rows, err := p.pool.Query(ctx, q, pseudonyms)
	if err != nil {
		return nil, fmt.Errorf("list cases of a reporter: %w", dbErr(err))
	}
	defer rows.Close()
	for rows.Next() {
		var (
			cs                         tipline.CaseSummary
			ref, kind, urgency, status string
		)
		if err := rows.Scan(&ref, &kind, &urgency, &status, &cs.CreatedAt, &cs.ContactAllowed); err != nil {
			return nil, fmt.Errorf("list cases of a reporter: %w", dbErr(err))
		}
		cs.Reference, cs.Kind, cs.Urgency, cs.Status = tipline.Reference(ref), tipline.Kind(kind), tipline.Urgency(urgency), tipline.Status(status)
		out = append(out, cs)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list cases of a reporter: %w", dbErr(err))
	}
	return out, nil
}
