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

// InboxAdd stores updates in one transaction, before they are confirmed to
// Telegram. An update_id already present, processed or not, is ignored. It
// returns how many updates were new.
func (p *Store) InboxAdd(ctx context.Context, items []storage.InboxItem) (int, error) {
	const q = `
		insert into inbox (update_id, chat_key, payload, received_at)
		values ($1, $2, $3, coalesce($4, now()))
		on conflict (update_id) do nothing`
	if len(items) == 0 {
		return 0, nil
	}
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("add to inbox: %w", dbErr(err))
	}
	defer tx.Rollback(ctx)
	batch := &pgx.Batch{}
	for _, it := range items {
		var receivedAt *time.Time
		if !it.ReceivedAt.IsZero() {
			receivedAt = &it.ReceivedAt
		}
		sealed := p.ring.Seal(it.Payload, inboxPayloadAAD(it.UpdateID))
		batch.Queue(q, it.UpdateID, it.ChatKey, sealed, receivedAt)
	}
	results := tx.SendBatch(ctx, batch)
	added := 0
	for range items {
		tag, err := results.Exec()
		if err != nil {
			results.Close() // reports the same failure; the first one is the one to return
			return 0, fmt.Errorf("add to inbox: %w", dbErr(err))
		}
		added += int(tag.RowsAffected())
	}
	if err := results.Close(); err != nil {
		return 0, fmt.Errorf("add to inbox: %w", dbErr(err))
	}
	var answers []storage.OutboxEntry
	for _, it := range items {
		if it.Answer != nil {
			answers = append(answers, *it.Answer)
		}
	}
	if err := p.insertOutbox(ctx, tx, answers); err != nil {
		return 0, fmt.Errorf("add to inbox: %w", dbErr(err))
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("add to inbox: %w", dbErr(err))
	}
	return added, nil
}

// InboxClaim claims the next update to process: the lowest update_id of a
// chat whose earlier updates are all processed and which is not under a
// live claim, over all chats. ok is false when nothing is ready. The claim
// lasts lease by the database clock; once it expires another worker may
// take the update (crash recovery), so lease must outlast processing.
//
// Rows are locked with FOR UPDATE SKIP LOCKED and only the first
// unprocessed update of a chat can be claimed, so a chat is never processed
// out of order or by two workers at once, across processes. A payload that
// cannot be opened (its key was retired) is claimed with Sealed set and no
// payload, for the caller to set aside. A claim is also free once its
// holder has been silent for the take-over time (see Heartbeat).
func (p *Store) InboxClaim(ctx context.Context, owner string, lease time.Duration) (storage.InboxItem, bool, error) {
	q := `
		with beat as (
			insert into processes (owner, seen_at) values ($1, now())
			on conflict (owner) do update set seen_at = now()
		), next as (
			select i.update_id
			from inbox i
			where i.processed_at is null
			  and (i.next_try is null or i.next_try <= now())
			  and ` + fmt.Sprintf(claimFree, "i", 3) + `
			  and not exists (
				select 1 from inbox e
				where e.chat_key = i.chat_key
				  and e.update_id < i.update_id
				  and e.processed_at is null)
			order by i.update_id
			limit 1
			for update skip locked
		)
		update inbox
		set claimed_by = $1,
		    claimed_until = now() + $2::bigint * interval '1 microsecond',
		    attempts = attempts + 1
		from next
		where inbox.update_id = next.update_id
		returning inbox.update_id, inbox.chat_key, inbox.payload, inbox.received_at, inbox.attempts`
	var it storage.InboxItem
	var sealed []byte
	err := p.pool.QueryRow(ctx, q, owner, lease.Microseconds(), p.takeover.Microseconds()).
		Scan(&it.UpdateID, &it.ChatKey, &sealed, &it.ReceivedAt, &it.Attempts)
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.InboxItem{}, false, nil
	}
	if err != nil {
		return storage.InboxItem{}, false, fmt.Errorf("claim update: %w", dbErr(err))
	}
	if sealed != nil {
		if it.Payload, err = p.ring.Open(sealed, inboxPayloadAAD(it.UpdateID)); err != nil {
			// Claimed all the same: the caller sets it aside.
			it.Payload = nil
			it.Sealed = true
		}
	}
	return it, true, nil
}

// InboxDone marks an update processed and drops its payload; the row stays
// for de-duplication. Marking a processed update again does nothing.
func (p *Store) InboxDone(ctx context.Context, updateID int64) error {
	const q = `
		update inbox
		set processed_at = coalesce(processed_at, now()),
		    payload = null,
		    claimed_by = null,
		    claimed_until = null
		where update_id = $1`
	tag, err := p.pool.Exec(ctx, q, updateID)
	if err != nil {
		return fmt.Errorf("mark update %d done: %w", updateID, dbErr(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("mark update %d done: %w", updateID, tipline.ErrNotFound)
	}
	return nil
}

// InboxRelease gives a claim back after processing failed: the update is
// tried again once wait has passed (by the database clock), and meanwhile
// its chat waits while every other chat goes on. It gives ErrNotHolder when
// owner no longer holds the claim.
func (p *Store) InboxRelease(ctx context.Context, updateID int64, owner string, wait time.Duration) error {
	const q = `
		update inbox
		set claimed_by = null, claimed_until = null,
		    next_try = now() + $3::bigint * interval '1 microsecond'
		where update_id = $1 and claimed_by = $2 and processed_at is null`
	tag, err := p.pool.Exec(ctx, q, updateID, owner, wait.Microseconds())
	if err != nil {
		return fmt.Errorf("release update %d: %w", updateID, dbErr(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("release update %d: %w", updateID, storage.ErrNotHolder)
	}
	return nil
}

// InboxPending counts updates not yet processed.
func (p *Store) InboxPending(ctx context.Context) (int, error) {
	const q = `select count(*) from inbox where processed_at is null`
	var n int
	if err := p.pool.QueryRow(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("count pending updates: %w", dbErr(err))
	}
	return n, nil
}

// InboxChatSeen tells whether a chat had an update before updateID still
// in the inbox (processed updates are kept for a while): with no session
// for it, the chat's conversation was lost rather than never begun.
func (p *Store) InboxChatSeen(ctx context.Context, chatKey string, updateID int64) (bool, error) {
	const q = `select exists(select 1 from inbox where chat_key = $1 and update_id < $2)`
	var seen bool
	if err := p.pool.QueryRow(ctx, q, chatKey, updateID).Scan(&seen); err != nil {
		return false, fmt.Errorf("chat seen: %w", dbErr(err))
	}
	return seen, nil
}
