package memory

import (
	"context"
	"fmt"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// Retention, blocks and key rotation of Store, with the semantics of the
// postgres.Store methods of the same names.

// Rekey re-seals nothing: Store keeps plain text, under no key. It
// returns 0, and calls progress never. A batch of 0 or less gives
// ErrInvalid, as postgres.Store.Rekey does.
func (m *Store) Rekey(ctx context.Context, batch int, progress func(table string, done, left int)) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("rekey: %w", err)
	}
	if batch <= 0 {
		return 0, fmt.Errorf("rekey: %w: batch must be positive", tipline.ErrInvalid)
	}
	return 0, nil
}

// OldKeyValues gives 0 for each table of SealedTables: Store keeps
// nothing under an old key.
func (m *Store) OldKeyValues(ctx context.Context) (map[string]int, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("count values under old keys: %w", err)
	}
	out := map[string]int{}
	for _, t := range storage.SealedTables() {
		out[t] = 0
	}
	return out, nil
}
