package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tipline/tipline/storage"
)

// InboxAdd stores updates in one transaction, before they are confirmed to
// Telegram. An update_id already present, processed or not, is ignored. It
// returns how many updates were new.
func (p *Store) InboxAdd(ctx context.Context, items []storage.InboxItem) (int, error) {
	added, _, err := p.InboxAddClaim(ctx, items, "", 0, 0)
	return added, err
}

// InboxAddClaim stores updates as InboxAdd does and, in the same
// statement, claims for owner, for lease, up to limit of those it added
// that InboxClaimBatch would give now: each the first of its chat, with no
// update of the chat unprocessed in the inbox nor before it among items,
// and not held (an album's part). It returns them, in update_id order, as
// that claim does: processing starts without a claim of its own, one
// commit fewer before an answer. With limit 0 it claims nothing. A claimed
// item given with its Sender comes back screened (Screened), as
// ScreenSenders would screen it: no statement of its own for that either.
func (p *Store) InboxAddClaim(ctx context.Context, items []storage.InboxItem, owner string, lease time.Duration, limit int) (int, []storage.InboxItem, error) {
	if len(items) == 0 {
		return 0, nil, nil
	}
	var (
		ids        = make([]int64, len(items))
		chatKeys   = make([]string, len(items))
		payloads   = make([][]byte, len(items))
		receivedAt = make([]*time.Time, len(items))
		groups     = make([]string, len(items))
		holds      = make([]int64, len(items))
		senders    = make([]*storage.Sender, len(items))
		answers    []storage.OutboxEntry
	)
	for i, it := range items {
		if limit > 0 { // with no claim, no one to screen
			senders[i] = it.Sender
		}
		ids[i], chatKeys[i] = it.UpdateID, it.ChatKey
		groups[i], holds[i] = it.Group, max(it.Hold, 0).Microseconds()
		payloads[i] = p.ring.Seal(it.Payload, inboxPayloadAAD(it.UpdateID))
		if !it.ReceivedAt.IsZero() {
			receivedAt[i] = &it.ReceivedAt
		}
		if it.Answer != nil {
			answers = append(answers, *it.Answer)
		}
	}
	args, err := p.outboxArgs(answers)
	if err != nil {
		return 0, nil, fmt.Errorf("add to inbox: %w", err)
	}
	// One statement: one round trip, one commit, all or nothing. A row
	// is claimed as it is inserted (the statement cannot update its own
	// rows); the inbox's rows it looks at are all older than items.
	q := `
		with take as (
			select v.ord, v.update_id,
				exists (select 1 from inbox s where s.chat_key = v.chat_key and s.update_id < v.update_id) as seen
			from unnest($1::bigint[], $2::text[], $6::bigint[]) with ordinality as v(update_id, chat_key, hold, ord)
			where v.hold <= 0
			  and not exists (
				select 1 from unnest($2::text[]) with ordinality as w(chat_key, ord)
				where w.chat_key = v.chat_key and w.ord < v.ord)
			  and not exists (
				select 1 from inbox e
				where e.chat_key = v.chat_key and e.processed_at is null)
			order by v.ord
			limit $17
		), added as (
			insert into inbox (update_id, chat_key, payload, received_at, group_key, next_try, claimed_by, claimed_until, attempts)
			select u.update_id, u.chat_key, u.payload, coalesce(u.received_at, now()), nullif(u.group_key, ''),
				case when u.hold > 0 then now() + u.hold * interval '1 microsecond' end,
				case when t.ord is not null then $15 end,
				case when t.ord is not null then now() + $16::bigint * interval '1 microsecond' end,
				case when t.ord is not null then 1 else 0 end
			from unnest($1::bigint[], $2::text[], $3::bytea[], $4::timestamptz[], $5::text[], $6::bigint[]) with ordinality
				as u(update_id, chat_key, payload, received_at, group_key, hold, ord)
			left join take t on t.ord = u.ord
			order by u.ord
			on conflict (update_id) do nothing
			returning update_id, received_at, claimed_by is not null as claimed
		), answers as (` + outboxInsert(7, "") + `
		)
		select count(*),
			coalesce(array_agg(a.update_id order by a.update_id) filter (where a.claimed), '{}'),
			coalesce(array_agg(a.received_at order by a.update_id) filter (where a.claimed), '{}'),
			coalesce(array_agg(t.seen order by a.update_id) filter (where a.claimed), '{}'),` + screenColumns(18) + `
		from added a left join take t on t.update_id = a.update_id`
	var (
		added     int
		claimedID []int64
		claimedAt []time.Time
		seen      []bool
		reviewers []int32 // the items whose sender is a reviewer
		blocked   []int32 // and those whose sender is blocked
	)
	qargs := append([]any{ids, chatKeys, payloads, receivedAt, groups, holds}, args...)
	qargs = append(qargs, owner, lease.Microseconds(), max(limit, 0))
	qargs = append(qargs, p.screenArgs(senders)...)
	if err := p.pool.QueryRow(ctx, q, qargs...).Scan(&added, &claimedID, &claimedAt, &seen, &reviewers, &blocked); err != nil {
		return 0, nil, fmt.Errorf("add to inbox: %w", dbErr(err))
	}
	byID := make(map[int64]int, len(items))
	for i, it := range items {
		byID[it.UpdateID] = i
	}
	claimed := make([]storage.InboxItem, len(claimedID))
	for i, id := range claimedID {
		k := byID[id]
		it := items[k]
		claimed[i] = storage.InboxItem{UpdateID: id, ChatKey: it.ChatKey, Payload: it.Payload, ReceivedAt: claimedAt[i], Attempts: 1, ChatSeen: seen[i]}
		if it.Sender != nil {
			sc := screening(reviewers, blocked, k)
			claimed[i].Screened = &sc
		}
	}
	return added, claimed, nil
}

// InboxReady returns those of items that may be processed before they
// are stored, in their order: not in the inbox, no update of their chat
// waiting unprocessed there, the only one of their chat among items (the
// others of a chat are stored as they come, in order), and not held (an
// album's part). Each comes back with ChatSeen as a claim would set it
// and, when given with its Sender, Screened as ScreenSenders would give
// it. It reads and writes nothing else: one statement, no commit to
// wait for. Such an update is then stored done by its completion
// (Completion.Fresh), or stored as any other when its processing failed.
func (p *Store) InboxReady(ctx context.Context, items []storage.InboxItem) ([]storage.InboxItem, error) {
	var (
		ids      []int64
		chatKeys []string
		senders  []*storage.Sender
		at       []int // index in items of each one asked about
	)
	alone := storage.AloneInChat(items)
	for i, it := range items {
		if !alone[i] || it.Hold > 0 {
			continue
		}
		ids, chatKeys, senders, at = append(ids, it.UpdateID), append(chatKeys, it.ChatKey), append(senders, it.Sender), append(at, i)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	q := `
		select coalesce(array_agg(v.n order by v.n), '{}'),
			coalesce(array_agg(exists (select 1 from inbox s where s.chat_key = v.chat_key and s.update_id < v.update_id) order by v.n), '{}'),` +
		screenColumns(3) + `
		from unnest($1::bigint[], $2::text[]) with ordinality as v(update_id, chat_key, n)
		where not exists (select 1 from inbox e where e.update_id = v.update_id)
		  and not exists (select 1 from inbox e where e.chat_key = v.chat_key and e.processed_at is null)`
	var (
		ready              []int64 // 1-based, into ids
		seen               []bool
		reviewers, blocked []int32
	)
	args := append([]any{ids, chatKeys}, p.screenArgs(senders)...)
	if err := p.pool.QueryRow(ctx, q, args...).Scan(&ready, &seen, &reviewers, &blocked); err != nil {
		return nil, fmt.Errorf("inbox ready: %w", dbErr(err))
	}
	out := make([]storage.InboxItem, 0, len(ready))
	for i, n := range ready {
		k := int(n) - 1
		it := items[at[k]]
		it.ChatSeen = seen[i]
		if it.Sender != nil {
			sc := screening(reviewers, blocked, k)
			it.Screened = &sc
		}
		out = append(out, it)
	}
	return out, nil
}

// InboxClaimBatch claims up to limit updates at once, each the first
// unprocessed update of its chat whose earlier updates are all processed
// and which is not under a live claim, so never two of one chat, lowest
// update_id first; the result is in update_id order, empty when nothing is
// ready. The claim lasts lease by the database clock; once it expires
// another worker may take the update (crash recovery), so lease must
// outlast processing.
//
// Rows are locked with FOR UPDATE SKIP LOCKED and only the first
// unprocessed update of a chat can be claimed, so a chat is never processed
// out of order or by two workers at once, across processes. A payload that
// cannot be opened (its key was retired) is claimed with Sealed set and no
// payload, for the caller to set aside. A claim is also free once its
// holder has been silent for the take-over time (see Heartbeat).
func (p *Store) InboxClaimBatch(ctx context.Context, owner string, lease time.Duration, limit int) ([]storage.InboxItem, error) {
	if limit <= 0 {
		return nil, nil
	}
	q := `
		with ` + fmt.Sprintf(beatCTE, 3) + `, next as (
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
			limit $4
			for update skip locked
		)
		update inbox
		set claimed_by = $1,
		    claimed_until = now() + $2::bigint * interval '1 microsecond',
		    attempts = attempts + 1
		from next
		where inbox.update_id = next.update_id
		returning inbox.update_id, inbox.chat_key, inbox.payload, inbox.received_at, inbox.attempts,
			exists (select 1 from inbox s where s.chat_key = inbox.chat_key and s.update_id < inbox.update_id)`
	rows, err := p.pool.Query(ctx, q, owner, lease.Microseconds(), p.takeover.Microseconds(), limit)
	if err != nil {
		return nil, fmt.Errorf("claim updates: %w", dbErr(err))
	}
	defer rows.Close()
	var items []storage.InboxItem
	for rows.Next() {
		var it storage.InboxItem
		var sealed []byte
		if err := rows.Scan(&it.UpdateID, &it.ChatKey, &sealed, &it.ReceivedAt, &it.Attempts, &it.ChatSeen); err != nil {
			return nil, fmt.Errorf("claim updates: %w", dbErr(err))
		}
		if sealed != nil {
			if it.Payload, err = p.ring.Open(sealed, inboxPayloadAAD(it.UpdateID)); err != nil {
				// Claimed all the same: the caller sets it aside.
				it.Payload = nil
				it.Sealed = true
			}
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim updates: %w", dbErr(err))
	}
	slices.SortFunc(items, func(a, b storage.InboxItem) int { return cmp.Compare(a.UpdateID, b.UpdateID) })
	return items, nil
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

// InboxNextInChat tells whether the chat has an unprocessed update after
// updateID and, if so, the album the first such update is part of (its
// Group; empty for none): an album's part is answered only when nothing
// of the same album follows it.
func (p *Store) InboxNextInChat(ctx context.Context, chatKey string, updateID int64) (bool, string, error) {
	const q = `
		select coalesce(group_key, '') from inbox
		where chat_key = $1 and update_id > $2 and processed_at is null
		order by update_id limit 1`
	var group string
	err := p.pool.QueryRow(ctx, q, chatKey, updateID).Scan(&group)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, "", nil
	}
	if err != nil {
		return false, "", fmt.Errorf("next update of a chat: %w", dbErr(err))
	}
	return true, group, nil
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
