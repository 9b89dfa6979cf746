package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// WithdrawContact records that the reporter no longer wants the team to
// write to them about a case: its sealed chat id is deleted and contact is
// no longer allowed, with a "contact_withdrawn" audit event by the
// reporter, in one transaction. Only the case's own reporter can do this:
// pseudonyms are every pseudonym the key ring makes for them; a case that is
// not theirs gives tipline.ErrNotFound, as an unknown case does, so the
// answer tells nothing of other people's cases. A case whose contact is
// already withdrawn changes and records nothing. Errors name the case,
// never the pseudonym.
func (p *Store) WithdrawContact(ctx context.Context, ref tipline.Reference, pseudonyms ...string) error {
	const q = `select id, coalesce(reporter, ''), contact_allowed, reporter_chat is not null
		from cases where reference = $1 for update`
	const update = `update cases set reporter_chat = null, contact_allowed = false, updated_at = now() where id = $1`
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("withdraw contact on case %s: %w", ref, dbErr(err))
	}
	defer tx.Rollback(ctx)
	var (
		caseID          int64
		reporter        string
		allowed, stored bool
	)
	err = tx.QueryRow(ctx, q, string(ref)).Scan(&caseID, &reporter, &allowed, &stored)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("withdraw contact on case %s: %w", ref, tipline.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("withdraw contact on case %s: %w", ref, dbErr(err))
	}
	if !rules.OwnedBy(reporter, pseudonyms) {
		return fmt.Errorf("withdraw contact on case %s: %w", ref, tipline.ErrNotFound)
	}
	if !allowed && !stored {
		return nil
	}
	if _, err := tx.Exec(ctx, update, caseID); err != nil {
		return fmt.Errorf("withdraw contact on case %s: %w", ref, dbErr(err))
	}
	if err := insertAudit(ctx, tx, caseID, tipline.ReporterActor(reporter), storage.ActionContactWithdrawn); err != nil {
		return fmt.Errorf("withdraw contact on case %s: %w", ref, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("withdraw contact on case %s: %w", ref, dbErr(err))
	}
	return nil
}
