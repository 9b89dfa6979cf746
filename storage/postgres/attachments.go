package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// Attachments are found by Telegram's file_unique_id, which is sealed at
// rest. A case has a handful of attachments, so a lookup opens the sealed
// ids of that case's attachments and compares, instead of keeping a keyed
// hash that would stop matching once the key rotates.

// AttachmentsToFetch lists up to limit attachments whose bytes are not
// stored yet, oldest case first. A file given twice in one case is listed
// once. A file whose last download failed is listed again only from its
// next try (AttachmentFetchFailed), and never once given up.
func (p *Store) AttachmentsToFetch(ctx context.Context, limit int) ([]storage.PendingAttachment, error) {
	const q = `
		select c.reference, c.draft_id, a.position, a.kind, a.file_id, a.file_unique_id, a.fetch_attempts
		from attachments a
		join cases c on c.id = a.case_id
		where a.fetched_at is null and a.fetch_given_up_at is null
		  and (a.next_fetch_at is null or a.next_fetch_at <= now())
		  and (c.reporter is null or coalesce((
			select sum(f.size) from attachments f join cases fc on fc.id = f.case_id
			where fc.reporter = c.reporter and f.fetched_at > now() - interval '1 day'), 0) < $2)
		order by a.case_id, a.position
		limit $1`
	if limit <= 0 {
		return nil, nil
	}
	rows, err := p.pool.Query(ctx, q, limit, p.addLimits.OrDefaults().ReporterFilesBytesPerDay)
	if err != nil {
		return nil, fmt.Errorf("list attachments to fetch: %w", dbErr(err))
	}
	defer rows.Close()
	type key struct {
		ref      tipline.Reference
		uniqueID string
	}
	seen := map[key]bool{}
	var out []storage.PendingAttachment
	for rows.Next() {
		var (
			pa                 storage.PendingAttachment
			ref, draftID       string
			position           int
			sealedID, sealedUq []byte
		)
		if err := rows.Scan(&ref, &draftID, &position, &pa.Kind, &sealedID, &sealedUq, &pa.Attempts); err != nil {
			return nil, fmt.Errorf("list attachments to fetch: %w", dbErr(err))
		}
		pa.Reference = tipline.Reference(ref)
		fileID, err := p.ring.Open(sealedID, attachmentAAD(draftID, position, "file_id"))
		if err != nil {
			return nil, fmt.Errorf("list attachments to fetch: case %s attachment %d: %w", ref, position, err)
		}
		uniqueID, err := p.ring.Open(sealedUq, attachmentAAD(draftID, position, "file_unique_id"))
		if err != nil {
			return nil, fmt.Errorf("list attachments to fetch: case %s attachment %d: %w", ref, position, err)
		}
		pa.FileID, pa.FileUniqueID = string(fileID), string(uniqueID)
		k := key{pa.Reference, pa.FileUniqueID}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, pa)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list attachments to fetch: %w", dbErr(err))
	}
	return out, nil
}

// attachmentRow is an attachment as a lookup sees it.
type attachmentRow struct {
	position int
	fetched  bool
}

// querier runs queries on the pool or in a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// findAttachments returns the case's id and draft id and the attachments of
// the case whose file_unique_id is uniqueID, or tipline.ErrNotFound. With
// forUpdate the rows stay locked until q's transaction ends.
func (p *Store) findAttachments(ctx context.Context, q querier, ref tipline.Reference, uniqueID string, forUpdate bool) (int64, string, []attachmentRow, error) {
	const qCase = `select id, draft_id from cases where reference = $1`
	const qRows = `
		select position, file_unique_id, fetched_at is not null
		from attachments
		where case_id = $1
		order by position`
	var caseID int64
	var draftID string
	err := q.QueryRow(ctx, qCase, string(ref)).Scan(&caseID, &draftID)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, "", nil, tipline.ErrNotFound
	}
	if err != nil {
		return 0, "", nil, dbErr(err)
	}
	sql := qRows
	if forUpdate {
		sql += " for update"
	}
	rows, err := q.Query(ctx, sql, caseID)
	if err != nil {
		return 0, "", nil, dbErr(err)
	}
	defer rows.Close()
	var found []attachmentRow
	for rows.Next() {
		var r attachmentRow
		var sealedUq []byte
		if err := rows.Scan(&r.position, &sealedUq, &r.fetched); err != nil {
			return 0, "", nil, dbErr(err)
		}
		got, err := p.ring.Open(sealedUq, attachmentAAD(draftID, r.position, "file_unique_id"))
		if err != nil {
			return 0, "", nil, fmt.Errorf("attachment %d: %w", r.position, err)
		}
		if string(got) == uniqueID {
			found = append(found, r)
		}
	}
	if err := rows.Err(); err != nil {
		return 0, "", nil, dbErr(err)
	}
	if len(found) == 0 {
		return 0, "", nil, tipline.ErrNotFound
	}
	return caseID, draftID, found, nil
}

// SaveAttachmentContent stores the fetched bytes of a case's attachment,
// sealed, and writes an "attachment_stored" audit event, in one
// transaction. Saving an attachment that is already stored does nothing.
// Bytes the case holds already (the same photo sent again, as another
// file) are not stored again: the row points at the row that holds them.
func (p *Store) SaveAttachmentContent(ctx context.Context, ref tipline.Reference, fileUniqueID string, content []byte) error {
	const q = `
		update attachments
		set content = $3, size = $4, fetched_at = now(), content_hash = $5, content_from = $6
		where case_id = $1 and position = $2`
	const holder = `
		select position from attachments
		where case_id = $1 and content is not null and content_hash = any($2)
		order by position limit 1`
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("save attachment of case %s: %w", ref, dbErr(err))
	}
	defer tx.Rollback(ctx)
	caseID, draftID, found, err := p.findAttachments(ctx, tx, ref, fileUniqueID, true)
	if err != nil {
		return fmt.Errorf("save attachment of case %s: %w", ref, err)
	}
	hashes := p.ring.ContentHashes(content)
	stored := false
	for _, r := range found {
		if r.fetched {
			continue
		}
		var from *int
		var pos int
		err := tx.QueryRow(ctx, holder, caseID, hashes).Scan(&pos)
		switch {
		case err == nil:
			from = &pos
		case !errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("save attachment of case %s: %w", ref, dbErr(err))
		}
		var sealed []byte
		if from == nil {
			sealed = p.ring.Seal(content, attachmentAAD(draftID, r.position, "content"))
		}
		if _, err := tx.Exec(ctx, q, caseID, r.position, sealed, len(content), hashes[0], from); err != nil {
			return fmt.Errorf("save attachment of case %s: %w", ref, dbErr(err))
		}
		stored = true
	}
	if !stored {
		return nil
	}
	if err := insertAudit(ctx, tx, caseID, tipline.ActorSystem, storage.ActionAttachmentStored); err != nil {
		return fmt.Errorf("save attachment of case %s: %w", ref, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("save attachment of case %s: %w", ref, dbErr(err))
	}
	return nil
}

// AttachmentContent returns the stored bytes of a case's attachment,
// opened; tipline.ErrNotFound if there is no such attachment or its bytes
// have not been fetched yet.
func (p *Store) AttachmentContent(ctx context.Context, ref tipline.Reference, fileUniqueID string) ([]byte, error) {
	const q = `select coalesce(content_from, position), content from attachments where case_id = $1 and position = $2`
	const held = `select content from attachments where case_id = $1 and position = $2`
	caseID, draftID, found, err := p.findAttachments(ctx, p.pool, ref, fileUniqueID, false)
	if err != nil {
		return nil, fmt.Errorf("load attachment of case %s: %w", ref, err)
	}
	for _, r := range found {
		if !r.fetched {
			continue
		}
		var (
			sealed []byte
			holder int // the row that holds the bytes: this one, or the first with the same
		)
		if err := p.pool.QueryRow(ctx, q, caseID, r.position).Scan(&holder, &sealed); err != nil {
			return nil, fmt.Errorf("load attachment of case %s: %w", ref, dbErr(err))
		}
		if holder != r.position {
			if err := p.pool.QueryRow(ctx, held, caseID, holder).Scan(&sealed); err != nil {
				return nil, fmt.Errorf("load attachment of case %s: %w", ref, dbErr(err))
			}
		}
		content, err := p.ring.Open(sealed, attachmentAAD(draftID, holder, "content"))
		if err != nil {
			return nil, fmt.Errorf("load attachment of case %s: attachment %d: %w", ref, r.position, err)
		}
		if content == nil {
			content = []byte{}
		}
		return content, nil
	}
	return nil, fmt.Errorf("load attachment of case %s: not fetched yet: %w", ref, tipline.ErrNotFound)
}

// AttachmentFetchFailed records that downloading a case's attachment
// failed: its attempts grow by one, and it is tried again after retryIn,
// or never again when retryIn is zero or less (given up). It returns the
// number of attempts so far, tipline.ErrNotFound for an unknown case or
// attachment. An attachment already stored is left as it is.
func (p *Store) AttachmentFetchFailed(ctx context.Context, ref tipline.Reference, fileUniqueID string, retryIn time.Duration) (int, error) {
	const q = `
		update attachments
		set fetch_attempts = fetch_attempts + 1,
		    next_fetch_at = case when $3::bigint > 0 then now() + $3::bigint * interval '1 microsecond' end,
		    fetch_given_up_at = case when $3::bigint > 0 then null else now() end
		where case_id = $1 and position = $2 and fetched_at is null
		returning fetch_attempts`
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("record failed download of case %s: %w", ref, dbErr(err))
	}
	defer tx.Rollback(ctx)
	caseID, _, found, err := p.findAttachments(ctx, tx, ref, fileUniqueID, true)
	if err != nil {
		return 0, fmt.Errorf("record failed download of case %s: %w", ref, err)
	}
	attempts := 0
	for _, r := range found {
		var n int
		err := tx.QueryRow(ctx, q, caseID, r.position, retryIn.Microseconds()).Scan(&n)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("record failed download of case %s: %w", ref, dbErr(err))
		}
		attempts = max(attempts, n)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("record failed download of case %s: %w", ref, dbErr(err))
	}
	return attempts, nil
}
