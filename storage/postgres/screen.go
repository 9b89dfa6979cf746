package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// ScreenSenders tells, for the senders of a claimed batch at once, who is
// a reviewer (active or not, under any key, as ReviewerByTelegram finds
// them) and who is blocked (as IsBlocked): one statement for the batch
// instead of two for each update. The result is in the order of senders.
func (p *Store) ScreenSenders(ctx context.Context, senders []storage.Sender) ([]storage.Screening, error) {
	out := make([]storage.Screening, len(senders))
	if len(senders) == 0 {
		return out, nil
	}
	var (
		keys, pseudonyms     []string
		keyOwner, pseudOwner []int32 // the sender each key or pseudonym is of
	)
	for i, s := range senders {
		for _, k := range p.reviewerLookup(s.TelegramID) {
			keys, keyOwner = append(keys, k), append(keyOwner, int32(i))
		}
		for _, ps := range rules.NonEmpty(s.Pseudonyms) {
			pseudonyms, pseudOwner = append(pseudonyms, ps), append(pseudOwner, int32(i))
		}
	}
	const q = `
		select
			array(select distinct k.n from unnest($1::text[], $2::int[]) as k(key, n)
			      where exists (select 1 from reviewers where telegram_key = k.key)),
			array(select distinct b.n from unnest($3::text[], $4::int[]) as b(pseudonym, n)
			      where exists (select 1 from blocks where pseudonym = b.pseudonym))`
	var reviewers, blocked []int32
	if err := p.pool.QueryRow(ctx, q, keys, keyOwner, pseudonyms, pseudOwner).Scan(&reviewers, &blocked); err != nil {
		return nil, fmt.Errorf("screen senders: %w", dbErr(err))
	}
	for i := range out {
		out[i].Reviewer = slices.Contains(reviewers, int32(i))
		out[i].Blocked = slices.Contains(blocked, int32(i))
	}
	return out, nil
}
