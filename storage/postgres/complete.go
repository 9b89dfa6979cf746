package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// InboxCompleteMany completes several updates, each as InboxComplete
// completes one, in one statement: one round trip and one commit for
// updates that different workers finished at about the same time. Each
// update is done, with its entries queued, exactly when owner still held
// it; errs[i] is nil for done[i] completed, ErrNotHolder (wrapped) for one
// that was not ours any more, or the reason its entries were refused, and
// such an update never stops the others. err is for the whole call (the
// database failed): then nothing was completed.
func (p *Store) InboxCompleteMany(ctx context.Context, owner string, done []storage.Completion) ([]error, error) {
	errs := make([]error, len(done))
	var (
		ids     []int64
		entries []storage.OutboxEntry
		ofID    []int64 // the update each entry belongs to
		seen    = map[int64]bool{}
	)
	for i, c := range done {
		if err := checkEntries(c.Entries); err != nil {
			errs[i] = fmt.Errorf("complete update %d: %w", c.UpdateID, err)
			continue
		}
		if seen[c.UpdateID] {
			errs[i] = fmt.Errorf("complete update %d: %w", c.UpdateID, storage.ErrNotHolder)
			continue
		}
		seen[c.UpdateID] = true
		ids = append(ids, c.UpdateID)
		entries = append(entries, c.Entries...)
		for range c.Entries {
			ofID = append(ofID, c.UpdateID)
		}
	}
	if len(ids) == 0 {
		return errs, nil
	}
	args, err := p.outboxArgs(entries)
	if err != nil {
		return nil, fmt.Errorf("complete updates: %w", err)
	}
	// An entry is queued only when its own update was marked done here.
	q := `
		with done as (
			update inbox
			set processed_at = now(), payload = null, claimed_by = null, claimed_until = null, next_try = null
			where update_id = any($1::bigint[]) and processed_at is null and claimed_by = $2
			returning update_id
		), queued as (` + outboxInsert(3, "where ($11::bigint[])[e.ord] in (select update_id from done)") + `
		)
		select update_id from done`
	rows, err := p.pool.Query(ctx, q, append(append([]any{ids, owner}, args...), ofID)...)
	if err != nil {
		return nil, fmt.Errorf("complete updates: %w", dbErr(err))
	}
	completed, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("complete updates: %w", dbErr(err))
	}
	for i, c := range done {
		if errs[i] == nil && !slices.Contains(completed, c.UpdateID) {
			errs[i] = fmt.Errorf("complete update %d: %w", c.UpdateID, storage.ErrNotHolder)
		}
	}
	return errs, nil
}

// checkEntries checks one update's entries before they join others'.
func checkEntries(entries []storage.OutboxEntry) error {
	for _, e := range entries {
		if err := rules.CheckEntry(e); err != nil {
			return err
		}
	}
	return nil
}
