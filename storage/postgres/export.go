package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// CaseReferences lists the references of the cases that match f, oldest first.
func (p *Store) CaseReferences(ctx context.Context, f storage.CaseFilter) ([]tipline.Reference, error) {
	const q = `
		select reference from cases
		where ($1 = '' or kind = $1) and ($2 = '' or status = $2)
		  and ($3::timestamptz is null or submitted_at >= $3)
		order by submitted_at, id`
	var since *time.Time
	if !f.Since.IsZero() {
		since = &f.Since
	}
	rows, err := p.pool.Query(ctx, q, string(f.Kind), string(f.Status), since)
	if err != nil {
		return nil, fmt.Errorf("list cases: %w", dbErr(err))
	}
	defer rows.Close()
	var refs []tipline.Reference
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, fmt.Errorf("list cases: %w", dbErr(err))
		}
		refs = append(refs, tipline.Reference(r))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list cases: %w", dbErr(err))
	}
	return refs, nil
}

// RecordExport adds an audit event "exported_FORMAT" by the operator to
// each case, in one transaction: all are recorded or none.
func (p *Store) RecordExport(ctx context.Context, refs []tipline.Reference, format string) error {
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("record export: %w", dbErr(err))
	}
	defer tx.Rollback(ctx)
	for _, ref := range refs {
		var id int64
		if err := tx.QueryRow(ctx, `select id from cases where reference = $1`, string(ref)).Scan(&id); err != nil {
			return fmt.Errorf("record export of %s: %w", ref, dbErr(err))
		}
		if err := insertAudit(ctx, tx, id, tipline.ActorOperator, storage.ActionExportedPrefix+format); err != nil {
			return fmt.Errorf("record export of %s: %w", ref, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("record export: %w", dbErr(err))
	}
	return nil
}
