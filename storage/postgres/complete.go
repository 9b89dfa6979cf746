package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

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
	errs, _, err := p.InboxCompleteHand(ctx, owner, 0, done)
	return errs, err
}

// InboxCompleteHand completes updates as InboxCompleteMany does and, in
// the same statement, claims for owner, for lease, the entries it queues
// that the dispatcher's claim (OutboxClaimLanes) would give now: in its
// chat, no pending entry of a lane as low before it (in the outbox, or
// earlier among those queued here), and no edit. It returns them as that
// claim does, for this process to send at once without claiming them
// again: the claim is on the sender's path, one commit fewer before an
// answer goes out. With lease 0 it claims nothing.
func (p *Store) InboxCompleteHand(ctx context.Context, owner string, lease time.Duration, done []storage.Completion) ([]error, []storage.OutboxEntry, error) {
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
		return errs, nil, nil
	}
	args, err := p.outboxArgs(entries)
	if err != nil {
		return nil, nil, fmt.Errorf("complete updates: %w", err)
	}
	// An entry is queued only when its own update was marked done here,
	// and claimed only when the claim rule allows it: no pending entry of
	// its chat in a lane as low, before it or queued earlier here. (The
	// outbox's rows are all earlier: this statement's ids are the newest.)
	q := `
		with done as (
			update inbox
			set processed_at = now(), payload = null, claimed_by = null, claimed_until = null, next_try = null
			where update_id = any($1::bigint[]) and processed_at is null and claimed_by = $2
			returning update_id
		), queued as (
			insert into outbox (key, chat_key, chat_id, lane, method, payload, retry_unknown, edit_of, claimed_by, claimed_until)
			select e.key, e.chat_key, e.chat_id, e.lane, e.method, e.payload, e.retry_unknown, nullif(e.edit_of, ''),
				case when h.hand then $2 end,
				case when h.hand then now() + $12::bigint * interval '1 microsecond' end
			from unnest($3::text[], $4::text[], $5::bytea[], $6::smallint[], $7::text[], $8::bytea[],
				$9::boolean[], $10::text[]) with ordinality as e(key, chat_key, chat_id, lane, method, payload, retry_unknown, edit_of, ord)
			cross join lateral (select $12::bigint > 0 and e.edit_of = ''
				and not exists (
					select 1 from unnest($4::text[], $6::smallint[]) with ordinality as b(chat_key, lane, ord)
					where b.chat_key = e.chat_key and b.lane <= e.lane and b.ord < e.ord)
				and not exists (
					select 1 from outbox x
					where x.chat_key = e.chat_key and x.lane <= e.lane
					  and x.sent_at is null and x.dead_at is null) as hand) h
			where ($11::bigint[])[e.ord] in (select update_id from done)
			order by e.ord
			on conflict (key) do nothing
			returning id, key, created_at, claimed_by is not null as handed
		)
		select array(select update_id from done),
			array(select id from queued where handed order by id),
			array(select key from queued where handed order by id),
			array(select created_at from queued where handed order by id)`
	var (
		completed, handedIDs []int64
		handedKeys           []string
		handedAt             []time.Time
	)
	err = p.pool.QueryRow(ctx, q, append(append(append([]any{ids, owner}, args...), ofID), lease.Microseconds())...).
		Scan(&completed, &handedIDs, &handedKeys, &handedAt)
	if err != nil {
		return nil, nil, fmt.Errorf("complete updates: %w", dbErr(err))
	}
	for i, c := range done {
		if errs[i] == nil && !slices.Contains(completed, c.UpdateID) {
			errs[i] = fmt.Errorf("complete update %d: %w", c.UpdateID, storage.ErrNotHolder)
		}
	}
	byKey := make(map[string]storage.OutboxEntry, len(entries))
	for _, e := range entries {
		byKey[e.Key] = e
	}
	handed := make([]storage.OutboxEntry, 0, len(handedIDs))
	for i, id := range handedIDs {
		e := byKey[handedKeys[i]]
		e.ID, e.CreatedAt, e.Attempts, e.EditOfMessageID = id, handedAt[i], 0, 0
		handed = append(handed, e)
	}
	return errs, handed, nil
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
