package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

func outboxAAD(key, column string) string { return "outbox:" + column + ":" + key }

func sealChat(p *Store, e storage.OutboxEntry) []byte {
	if e.ChatID == 0 {
		return nil
	}
	return p.ring.Seal([]byte(strconv.FormatInt(e.ChatID, 10)), outboxAAD(e.Key, "chat_id"))
}

// insertOutbox adds entries within tx; a key already present is skipped.
func (p *Store) insertOutbox(ctx context.Context, tx pgx.Tx, entries []storage.OutboxEntry) error {
	if len(entries) == 0 {
		return nil
	}
	args, err := p.outboxArgs(entries)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, outboxInsert(1, ""), args...)
	return err
}

// outboxInsert is the statement that adds the entries given as the eight
// arrays of outboxArgs (parameters from $first on) in their order, so ids
// follow it; a key already present is skipped. cond may add a where
// clause, so that one statement queues entries only when something else in
// it happened.
func outboxInsert(first int, cond string) string {
	var ps [8]any
	for i := range ps {
		ps[i] = first + i
	}
	return fmt.Sprintf(`
		insert into outbox (key, chat_key, chat_id, lane, method, payload, retry_unknown, edit_of)
		select e.key, e.chat_key, e.chat_id, e.lane, e.method, e.payload, e.retry_unknown, nullif(e.edit_of, '')
		from unnest($%d::text[], $%d::text[], $%d::bytea[], $%d::smallint[], $%d::text[], $%d::bytea[],
			$%d::boolean[], $%d::text[]) with ordinality as e(key, chat_key, chat_id, lane, method, payload, retry_unknown, edit_of, ord)
		`, ps[:]...) + cond + `
		order by e.ord
		on conflict (key) do nothing`
}

// outboxArgs checks and seals entries into the arrays outboxInsert reads.
func (p *Store) outboxArgs(entries []storage.OutboxEntry) ([]any, error) {
	n := len(entries)
	var (
		keys, chatKeys, methods, editOf = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		chatIDs, payloads               = make([][]byte, n), make([][]byte, n)
		lanes                           = make([]int16, n)
		retry                           = make([]bool, n)
	)
	for i, e := range entries {
		if err := rules.CheckEntry(e); err != nil {
			return nil, err
		}
		keys[i], chatKeys[i], methods[i], editOf[i] = e.Key, e.ChatKey, e.Method, e.EditOf
		chatIDs[i], payloads[i] = sealChat(p, e), p.ring.Seal(e.Payload, outboxAAD(e.Key, "payload"))
		lanes[i], retry[i] = int16(e.Lane), e.RetryUnknown
	}
	return []any{keys, chatKeys, chatIDs, lanes, methods, payloads, retry, editOf}, nil
}

// OutboxAdd adds entries in one transaction. An entry whose key is already
// there, sent or not, is not added again.
func (p *Store) OutboxAdd(ctx context.Context, entries []storage.OutboxEntry) error {
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("add to outbox: %w", dbErr(err))
	}
	defer tx.Rollback(ctx)
	if err := p.insertOutbox(ctx, tx, entries); err != nil {
		return fmt.Errorf("add to outbox: %w", dbErr(err))
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("add to outbox: %w", dbErr(err))
	}
	return nil
}

// InboxComplete marks an update processed and adds what its processing
// means to send, in one transaction, so the update is done exactly when
// its messages are queued. It gives ErrNotHolder, and changes nothing,
// when owner no longer holds the update's claim.
func (p *Store) InboxComplete(ctx context.Context, updateID int64, owner string, entries []storage.OutboxEntry) error {
	args, err := p.outboxArgs(entries)
	if err != nil {
		return fmt.Errorf("complete update %d: %w", updateID, err)
	}
	// One statement, so one round trip and one commit: the entries are
	// queued only when the update was ours to mark done.
	q := `
		with done as (
			update inbox
			set processed_at = now(), payload = null, claimed_by = null, claimed_until = null, next_try = null
			where update_id = $1 and processed_at is null and claimed_by = $2
			returning update_id
		), queued as (` + outboxInsert(3, "where exists (select 1 from done)") + `
		)
		select count(*) from done`
	var n int
	if err := p.pool.QueryRow(ctx, q, append([]any{updateID, owner}, args...)...).Scan(&n); err != nil {
		return fmt.Errorf("complete update %d: %w", updateID, dbErr(err))
	}
	if n == 0 {
		return fmt.Errorf("complete update %d: %w", updateID, storage.ErrNotHolder)
	}
	return nil
}

// alive is the SQL condition "the claim of this row is still good": held
// until a time not yet past by a process heard from within the take-over
// time ($takeover, in microseconds).
const claimFree = `(%[1]s.claimed_by is null or %[1]s.claimed_until <= now()
	or exists (select 1 from processes pr
		where pr.owner = %[1]s.claimed_by and pr.seen_at <= now() - $%[2]d::bigint * interval '1 microsecond'))`

// beatCTE is the claims' "this process is alive" (owner $1, the take-over
// time in microseconds as $%[1]d): it refreshes the process's row only when
// it is older than a tenth of the take-over time. Every claim of a process
// writing that one row made its workers and dispatchers queue behind each
// other's commits; a row a tenth of the take-over time old still says the
// process is alive. A process with no row yet gets one.
const beatCTE = `beat as (
			update processes set seen_at = now()
			where owner = $1 and seen_at < now() - $%[1]d::bigint / 10 * interval '1 microsecond'
		), joined as (
			insert into processes (owner, seen_at)
			select $1, now() where not exists (select 1 from processes where owner = $1)
			on conflict (owner) do nothing
		)`

// OutboxClaimLanes claims up to limit entries of the lanes from first to
// last (so callback answers can have senders of their own) ready to go: in
// each chat, the first pending entry of each lane with no earlier pending
// entry of a lane as low (an urgent notification is never held behind
// files or replies queued to the same chat; a lane keeps its order), and
// no edit before the message it edits is sent; whose time has come and
// whose claim is free; lower lanes first, then oldest first. Claims last
// lease by the database clock, or until owner has been silent for the
// take-over time.
func (p *Store) OutboxClaimLanes(ctx context.Context, owner string, lease time.Duration, limit int, first, last tipline.Lane) ([]storage.OutboxEntry, error) {
	q := `
		with ` + fmt.Sprintf(beatCTE, 4) + `, next as (
			select o.id
			from outbox o
			where o.sent_at is null and o.dead_at is null
			  and o.lane between $5 and $6
			  and o.not_before <= now()
			  and ` + fmt.Sprintf(claimFree, "o", 4) + `
			  and not exists (
				select 1 from outbox e
				where e.chat_key = o.chat_key and e.id < o.id and e.lane <= o.lane
				  and e.sent_at is null and e.dead_at is null)
			  and (o.edit_of is null or not exists (
				select 1 from outbox t
				where t.key = o.edit_of and t.sent_at is null and t.dead_at is null))
			order by o.lane, o.id
			limit $3
			for update skip locked
		)
		update outbox
		set claimed_by = $1, claimed_until = now() + $2::bigint * interval '1 microsecond'
		from next
		where outbox.id = next.id
		returning outbox.id, outbox.key, outbox.chat_key, outbox.chat_id, outbox.lane, outbox.method,
			outbox.payload, outbox.retry_unknown, coalesce(outbox.edit_of, ''), outbox.attempts, outbox.created_at,
			coalesce((select x.message_id from outbox x where x.key = outbox.edit_of), 0)`
	rows, err := p.pool.Query(ctx, q, owner, lease.Microseconds(), limit, p.takeover.Microseconds(), int(first), int(last))
	if err != nil {
		return nil, fmt.Errorf("claim outbox: %w", dbErr(err))
	}
	defer rows.Close()
	var out []storage.OutboxEntry
	for rows.Next() {
		var (
			e             storage.OutboxEntry
			chat, payload []byte
			lane          int
		)
		if err := rows.Scan(&e.ID, &e.Key, &e.ChatKey, &chat, &lane, &e.Method, &payload, &e.RetryUnknown,
			&e.EditOf, &e.Attempts, &e.CreatedAt, &e.EditOfMessageID); err != nil {
			return nil, fmt.Errorf("claim outbox: %w", dbErr(err))
		}
		e.Lane = tipline.Lane(lane)
		if chat != nil {
			plain, err := p.ring.Open(chat, outboxAAD(e.Key, "chat_id"))
			if err != nil {
				return nil, fmt.Errorf("claim outbox entry %d: %w", e.ID, err)
			}
			if e.ChatID, err = strconv.ParseInt(string(plain), 10, 64); err != nil {
				return nil, fmt.Errorf("claim outbox entry %d: %w", e.ID, err)
			}
		}
		if payload != nil {
			if e.Payload, err = p.ring.Open(payload, outboxAAD(e.Key, "payload")); err != nil {
				return nil, fmt.Errorf("claim outbox entry %d: %w", e.ID, err)
			}
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim outbox: %w", dbErr(err))
	}
	return out, nil
}

// outboxUpdate runs one change of a claimed entry, checking the holder.
func (p *Store) outboxUpdate(ctx context.Context, what string, q string, id int64, owner string, args ...any) error {
	tag, err := p.pool.Exec(ctx, q, append([]any{id, owner}, args...)...)
	if err != nil {
		return fmt.Errorf("%s outbox entry %d: %w", what, id, dbErr(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s outbox entry %d: %w", what, id, storage.ErrNotHolder)
	}
	return nil
}

// OutboxSent records that an entry was sent, with the id of the message it
// made (0 for calls that make none), and drops its payload and its chat id:
// only the keyed chat hash and the message id stay, for a while.
func (p *Store) OutboxSent(ctx context.Context, id int64, owner string, messageID int) error {
	const q = `
		update outbox
		set sent_at = now(), message_id = nullif($3, 0), payload = null, chat_id = null, claimed_by = null, claimed_until = null
		where id = $1 and claimed_by = $2 and sent_at is null`
	return p.outboxUpdate(ctx, "mark sent", q, id, owner, messageID)
}

// OutboxSentMany records several entries as sent at once, as OutboxSent
// records one, in one statement. It returns the ids that owner no longer
// held (or that were sent already), which it left as they were.
//
// Its commit does not wait for the disk (synchronous_commit off, for this
// transaction only): a mark is most of the message path's commits, and
// what waiting would protect is already unprotected a moment earlier. The
// commit is visible at once and survives the bot's crash (PostgreSQL
// writes it within a fraction of a second); only a crash of PostgreSQL's
// own machine in that fraction loses it, and then the message is sent
// once more, exactly as after a crash between the send and the mark (G2).
func (p *Store) OutboxSentMany(ctx context.Context, owner string, sent []storage.Sent) ([]int64, error) {
	if len(sent) == 0 {
		return nil, nil
	}
	ids, msgs := make([]int64, len(sent)), make([]int64, len(sent))
	for i, s := range sent {
		ids[i], msgs[i] = s.ID, int64(s.MessageID)
	}
	const q = `
		update outbox o
		set sent_at = now(), message_id = nullif(s.message_id, 0), payload = null, chat_id = null, claimed_by = null, claimed_until = null
		from unnest($2::bigint[], $3::bigint[]) as s(id, message_id)
		where o.id = s.id and o.claimed_by = $1 and o.sent_at is null
		  and (select set_config('synchronous_commit', 'off', true)) is not null
		returning o.id`
	rows, err := p.pool.Query(ctx, q, owner, ids, msgs)
	if err != nil {
		return nil, fmt.Errorf("mark sent: %w", dbErr(err))
	}
	done, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("mark sent: %w", dbErr(err))
	}
	var notHeld []int64
	for _, id := range ids {
		if !slices.Contains(done, id) {
			notHeld = append(notHeld, id)
		}
	}
	return notHeld, nil
}

// OutboxRetry gives an entry back to be tried again after wait (by the
// database clock). failed counts the try as a failure.
func (p *Store) OutboxRetry(ctx context.Context, id int64, owner string, wait time.Duration, failed bool) error {
	const q = `
		update outbox
		set claimed_by = null, claimed_until = null,
		    not_before = now() + $3::bigint * interval '1 microsecond',
		    attempts = attempts + case when $4 then 1 else 0 end
		where id = $1 and claimed_by = $2 and sent_at is null`
	return p.outboxUpdate(ctx, "retry", q, id, owner, wait.Microseconds(), failed)
}

// OutboxDead sets an entry aside for good: Telegram refused it, or it can
// never be sent. Its chat's later entries go on.
func (p *Store) OutboxDead(ctx context.Context, id int64, owner string, reason string) error {
	const q = `
		update outbox
		set dead_at = now(), reason = $3, payload = null, chat_id = null, claimed_by = null, claimed_until = null
		where id = $1 and claimed_by = $2 and sent_at is null`
	return p.outboxUpdate(ctx, "set aside", q, id, owner, reason)
}

// OutboxDropChat sets aside, with reason, every entry not yet sent to a
// chat, claimed or not, and returns how many: a disabled reviewer's phone
// may be in someone else's hands, and must receive nothing more.
func (p *Store) OutboxDropChat(ctx context.Context, chatKey, reason string) (int, error) {
	const q = `
		update outbox
		set dead_at = now(), reason = $2, payload = null, chat_id = null, claimed_by = null, claimed_until = null
		where chat_key = $1 and sent_at is null and dead_at is null`
	tag, err := p.pool.Exec(ctx, q, chatKey, reason)
	if err != nil {
		return 0, fmt.Errorf("drop messages to a chat: %w", dbErr(err))
	}
	return int(tag.RowsAffected()), nil
}

// OutboxSentMessages lists the ids of the messages sent to a chat within
// the last window, oldest first.
func (p *Store) OutboxSentMessages(ctx context.Context, chatKey string, window time.Duration) ([]int, error) {
	const q = `
		select message_id from outbox
		where chat_key = $1 and sent_at is not null and message_id is not null
		  and sent_at > now() - $2::bigint * interval '1 microsecond'
		order by id`
	rows, err := p.pool.Query(ctx, q, chatKey, window.Microseconds())
	if err != nil {
		return nil, fmt.Errorf("list sent messages: %w", dbErr(err))
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return nil, fmt.Errorf("list sent messages: %w", dbErr(err))
	}
	return ids, nil
}

// OutboxPending counts entries not yet sent nor set aside, by lane.
func (p *Store) OutboxPending(ctx context.Context) (map[tipline.Lane]int, error) {
	const q = `select lane, count(*) from outbox where sent_at is null and dead_at is null group by lane`
	rows, err := p.pool.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("count outbox: %w", dbErr(err))
	}
	defer rows.Close()
	out := map[tipline.Lane]int{}
	for rows.Next() {
		var lane, n int
		if err := rows.Scan(&lane, &n); err != nil {
			return nil, fmt.Errorf("count outbox: %w", dbErr(err))
		}
		out[tipline.Lane(lane)] = n
	}
	return out, dbErr(rows.Err())
}

// PurgeOutbox deletes entries sent or set aside before cutoff.
func (p *Store) PurgeOutbox(ctx context.Context, cutoff time.Time) (int, error) {
	const q = `delete from outbox where sent_at < $1 or dead_at < $1`
	tag, err := p.pool.Exec(ctx, q, cutoff)
	if err != nil {
		return 0, fmt.Errorf("purge outbox: %w", dbErr(err))
	}
	return int(tag.RowsAffected()), nil
}

// Heartbeat says owner is alive, so the work it holds stays its own, and
// gives the database's clock at that moment (leases and due times are
// compared with it).
func (p *Store) Heartbeat(ctx context.Context, owner string) (time.Time, error) {
	// A process whose advisory lock is gone died with its connection: it is
	// marked as gone (as its Leave would), so its work is free now.
	const q = `
		with beat as (
			insert into processes (owner, seen_at, lock_key) values ($1, now(), $2)
			on conflict (owner) do update set seen_at = now(), lock_key = excluded.lock_key
		), dead as (
			update processes pr set seen_at = '-infinity'
			where pr.owner <> $1 and pr.seen_at > '-infinity' and ` + lockGone + `
		)
		select clock_timestamp()`
	var at time.Time
	if err := p.pool.QueryRow(ctx, q, owner, p.heldKey(ctx, owner)).Scan(&at); err != nil {
		return time.Time{}, fmt.Errorf("heartbeat: %w", dbErr(err))
	}
	return at, nil
}

// Leave says owner has stopped: whatever it still holds is free at once.
// Processes silent for a day are forgotten (a claim of a process that is
// not known at all is only freed when its lease runs out).
func (p *Store) Leave(ctx context.Context, owner string) error {
	const q = `
		with gone as (delete from processes where seen_at < now() - interval '1 day')
		insert into processes (owner, seen_at) values ($1, '-infinity')
		on conflict (owner) do update set seen_at = '-infinity'`
	if _, err := p.pool.Exec(ctx, q, owner); err != nil {
		return fmt.Errorf("leave: %w", dbErr(err))
	}
	p.releaseProcessLock(owner)
	return nil
}

// SetTakeover sets how long a process may be silent before its work is
// taken over (DefaultTakeover unless set; tests shorten it).
func (p *Store) SetTakeover(d time.Duration) { p.takeover = d }

// InboxDead sets an update aside after it failed again and again: it is
// moved to the dead letters, with its payload still sealed, and its chat's
// next update may be processed.
func (p *Store) InboxDead(ctx context.Context, updateID int64, owner string, reason string) error {
	const move = `
		insert into inbox_dead (update_id, chat_key, payload, attempts, reason, received_at)
		select update_id, chat_key, payload, attempts, $3, received_at
		from inbox where update_id = $1 and claimed_by = $2 and processed_at is null
		on conflict (update_id) do nothing`
	const done = `
		update inbox set processed_at = now(), payload = null, claimed_by = null, claimed_until = null
		where update_id = $1 and claimed_by = $2 and processed_at is null`
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("set update %d aside: %w", updateID, dbErr(err))
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, move, updateID, owner, reason); err != nil {
		return fmt.Errorf("set update %d aside: %w", updateID, dbErr(err))
	}
	tag, err := tx.Exec(ctx, done, updateID, owner)
	if err != nil {
		return fmt.Errorf("set update %d aside: %w", updateID, dbErr(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("set update %d aside: %w", updateID, storage.ErrNotHolder)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("set update %d aside: %w", updateID, dbErr(err))
	}
	return nil
}

// InboxDeadList lists the updates set aside, oldest first, without content.
func (p *Store) InboxDeadList(ctx context.Context) ([]storage.DeadUpdate, error) {
	const q = `select update_id, attempts, reason, received_at, dead_at from inbox_dead order by dead_at, update_id`
	rows, err := p.pool.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list dead updates: %w", dbErr(err))
	}
	defer rows.Close()
	out := []storage.DeadUpdate{}
	for rows.Next() {
		var d storage.DeadUpdate
		if err := rows.Scan(&d.UpdateID, &d.Attempts, &d.Reason, &d.ReceivedAt, &d.DeadAt); err != nil {
			return nil, fmt.Errorf("list dead updates: %w", dbErr(err))
		}
		out = append(out, d)
	}
	return out, dbErr(rows.Err())
}

// InboxRetryDead puts a dead update back in the inbox to be processed
// again. It keeps its update id, so it goes before any later update of its
// chat that is not done yet.
func (p *Store) InboxRetryDead(ctx context.Context, updateID int64) error {
	const back = `
		insert into inbox (update_id, chat_key, payload, received_at)
		select update_id, chat_key, payload, received_at from inbox_dead where update_id = $1
		on conflict (update_id) do update
		set processed_at = null, payload = excluded.payload, attempts = 0, next_try = null,
		    claimed_by = null, claimed_until = null`
	const drop = `delete from inbox_dead where update_id = $1`
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("retry update %d: %w", updateID, dbErr(err))
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, back, updateID)
	if err != nil {
		return fmt.Errorf("retry update %d: %w", updateID, dbErr(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("retry update %d: %w", updateID, tipline.ErrNotFound)
	}
	if _, err := tx.Exec(ctx, drop, updateID); err != nil {
		return fmt.Errorf("retry update %d: %w", updateID, dbErr(err))
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("retry update %d: %w", updateID, dbErr(err))
	}
	return nil
}

// IntakeLock is a PostgreSQL advisory lock that lets one bot process at a
// time take updates in by long polling. It lives as long as the connection
// that took it: when the process dies, the database frees it and another
// process takes over within seconds. The lock is per schema, so tests in
// schemas of their own do not meet.
type IntakeLock struct {
	p    *Store
	conn *pgxpool.Conn
}

// IntakeLock returns the store's intake lock, not yet taken.
func (p *Store) IntakeLock() *IntakeLock { return &IntakeLock{p: p} }

const intakeLockKey = `hashtextextended(current_schema() || ':tipline-intake', 0)`

// TryLock takes the lock, or tells that another process holds it.
func (l *IntakeLock) TryLock(ctx context.Context) (bool, error) {
	if l.conn != nil {
		return true, nil
	}
	conn, err := l.p.pool.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("intake lock: %w", dbErr(err))
	}
	var ok bool
	if err := conn.QueryRow(ctx, `select pg_try_advisory_lock(`+intakeLockKey+`)`).Scan(&ok); err != nil {
		conn.Release()
		return false, fmt.Errorf("intake lock: %w", dbErr(err))
	}
	if !ok {
		conn.Release()
		return false, nil
	}
	l.conn = conn
	return true, nil
}

// Held checks that the lock is still held: its connection answers.
func (l *IntakeLock) Held(ctx context.Context) error {
	if l.conn == nil {
		return fmt.Errorf("intake lock: %w", storage.ErrNotHolder)
	}
	if err := l.conn.Ping(ctx); err != nil {
		l.drop()
		return fmt.Errorf("intake lock: %w", dbErr(err))
	}
	return nil
}

// Unlock gives the lock up.
func (l *IntakeLock) Unlock(ctx context.Context) error {
	if l.conn == nil {
		return nil
	}
	_, err := l.conn.Exec(ctx, `select pg_advisory_unlock(`+intakeLockKey+`)`)
	l.drop()
	if err != nil {
		return fmt.Errorf("intake unlock: %w", dbErr(err))
	}
	return nil
}

// drop closes the lock's connection, which frees the lock if it still held it.
func (l *IntakeLock) drop() {
	conn := l.conn.Hijack()
	l.conn = nil
	_ = conn.Close(context.Background())
}

// OutboxOldest is, per lane, how long the oldest entry not yet sent nor
// set aside has waited (by the database clock).
func (p *Store) OutboxOldest(ctx context.Context) (map[tipline.Lane]time.Duration, error) {
	const q = `select lane, extract(epoch from now() - min(created_at)) from outbox
		where sent_at is null and dead_at is null group by lane`
	rows, err := p.pool.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("outbox ages: %w", dbErr(err))
	}
	defer rows.Close()
	out := map[tipline.Lane]time.Duration{}
	for rows.Next() {
		var (
			lane int
			secs float64
		)
		if err := rows.Scan(&lane, &secs); err != nil {
			return nil, fmt.Errorf("outbox ages: %w", dbErr(err))
		}
		out[tipline.Lane(lane)] = time.Duration(secs * float64(time.Second))
	}
	return out, dbErr(rows.Err())
}

// InboxDeadCount counts the updates set aside.
func (p *Store) InboxDeadCount(ctx context.Context) (int, error) {
	var n int
	if err := p.pool.QueryRow(ctx, `select count(*) from inbox_dead`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count dead updates: %w", dbErr(err))
	}
	return n, nil
}

// InboxCompleteMany completes several updates, each as InboxComplete
// completes one, in one statement: one round trip and one commit for
// updates that different workers finished at about the same time. Each
// update is done, with its entries queued, exactly when owner still held
// it; errs[i] is nil for done[i] completed, ErrNotHolder (wrapped) for one
// that was not ours any more, or the reason its entries were refused, and
// such an update never stops the others. err is for the whole call (the
// database failed): then nothing was completed.
func (p *Store) InboxCompleteMany(ctx context.Context, owner string, done []storage.Completion) ([]error, error) {
	c, err := p.InboxCompleteHand(ctx, owner, 0, done)
	return c.Errs, err
}

// InboxCompleteHand completes updates as InboxCompleteMany does and, in
// the same statement, claims for owner, for lease, the entries it queues
// that the dispatcher's claim (OutboxClaimLanes) would give now: in its
// chat, no pending entry of a lane as low before it (in the outbox, or
// earlier among those queued here), and no edit. It returns them as that
// claim does, for this process to send at once without claiming them
// again: the claim is on the sender's path, one commit fewer before an
// answer goes out. With lease 0 it claims nothing. It also says whether a
// completed update's chat has a later one waiting (Behind), so that the
// caller claims only when a completion made one ready.
func (p *Store) InboxCompleteHand(ctx context.Context, owner string, lease time.Duration, done []storage.Completion) (storage.Completed, error) {
	errs := make([]error, len(done))
	var (
		ids     []int64 // claimed updates
		entries []storage.OutboxEntry
		ofID    []int64 // the update each entry belongs to
		seen    = map[int64]bool{}
		// Fresh updates, stored done here.
		freshIDs   []int64
		freshChats []string
		freshAt    []*time.Time
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
		if f := c.Fresh; f != nil {
			freshIDs, freshChats = append(freshIDs, c.UpdateID), append(freshChats, f.ChatKey)
			var at *time.Time
			if !f.ReceivedAt.IsZero() {
				at = &f.ReceivedAt
			}
			freshAt = append(freshAt, at)
		} else {
			ids = append(ids, c.UpdateID)
		}
		entries = append(entries, c.Entries...)
		for range c.Entries {
			ofID = append(ofID, c.UpdateID)
		}
	}
	if len(ids)+len(freshIDs) == 0 {
		return storage.Completed{Errs: errs}, nil
	}
	args, err := p.outboxArgs(entries)
	if err != nil {
		return storage.Completed{}, fmt.Errorf("complete updates: %w", err)
	}
	// An entry is queued only when its own update was marked done here
	// (or stored done, when fresh: only if nothing of its chat waits
	// unprocessed, and never twice), and claimed only when the claim rule
	// allows it: no pending entry of its chat in a lane as low, before it
	// or queued earlier here. (The outbox's rows are all earlier: this
	// statement's ids are the newest.)
	q := `
		with claimed as (
			update inbox
			set processed_at = now(), payload = null, claimed_by = null, claimed_until = null, next_try = null
			where update_id = any($1::bigint[]) and processed_at is null and claimed_by = $2
			returning update_id, chat_key
		), fresh as (
			insert into inbox (update_id, chat_key, payload, received_at, processed_at)
			select f.update_id, f.chat_key, null, coalesce(f.received_at, now()), now()
			from unnest($13::bigint[], $14::text[], $15::timestamptz[]) as f(update_id, chat_key, received_at)
			where not exists (
				select 1 from inbox e
				where e.chat_key = f.chat_key and e.processed_at is null)
			on conflict (update_id) do nothing
			returning update_id, chat_key
		), done as (
			select update_id, chat_key from claimed
			union all
			select update_id, chat_key from fresh
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
			array(select created_at from queued where handed order by id),
			exists (select 1 from done d join inbox i on i.chat_key = d.chat_key
				where i.processed_at is null and i.update_id > d.update_id)`
	var (
		completed, handedIDs []int64
		handedKeys           []string
		handedAt             []time.Time
		behind               bool
	)
	err = p.pool.QueryRow(ctx, q, append(append(append([]any{ids, owner}, args...), ofID), lease.Microseconds(), freshIDs, freshChats, freshAt)...).
		Scan(&completed, &handedIDs, &handedKeys, &handedAt, &behind)
	if err != nil {
		return storage.Completed{}, fmt.Errorf("complete updates: %w", dbErr(err))
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
	return storage.Completed{Errs: errs, Handed: handed, Behind: behind}, nil
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
