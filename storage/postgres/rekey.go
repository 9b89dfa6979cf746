package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// Key rotation. Every sealed value starts with the id of the key that
// sealed it (keys.SealedKeyID). Once TIPLINE_SECRET_KEY is replaced and the
// old key moved to TIPLINE_PREVIOUS_SECRET_KEYS, everything still reads,
// and Rekey re-seals what is under an old key so the old key can go.
//
// Keyed lookups are recomputed where what they were made from is stored:
// a reviewer's telegram_key from their sealed Telegram id, and a case's
// reporter pseudonym from its sealed reporter chat (in a private chat the
// chat id is the user id), together with the "reporter:…" and "followup:…"
// actors naming that pseudonym in audit events and additions, and a block
// of it. What cannot be recomputed stays as it was:
//
//   - follow-up hashes: the code is never stored. The bot looks a code up
//     under the current and previous keys (keys.Ring.FollowUpHashes), so a
//     code given before a rotation works only while its key stays in
//     TIPLINE_PREVIOUS_SECRET_KEYS; once that key is removed, old codes
//     stop working (the cases stay, for the team);
//   - the pseudonym of a reporter who was forgotten (there is no chat id to
//     recompute it from) in a block, and of someone who only used a
//     follow-up code, in "followup:…" actors: such a block no longer matches
//     the reporter's new pseudonym;
//   - inbox chat keys (processed rows are purged within days) and sessions
//     in Redis, which expire: keep the old key for at least as long.
//
// Run Rekey once every process runs with the new ring: a process still
// sealing under the old key would leave values for the next run.

// sealedTable is a table with sealed values; storage.SealedColumns names
// its sealed columns.
type sealedTable struct {
	name string
	// rekey re-seals, in tx, up to limit rows of the table that hold a value
	// under an old key, and returns how many values it re-sealed and how many
	// rows it read.
	rekey func(p *Store, ctx context.Context, tx pgx.Tx, limit int) (values, rows int, err error)
}

// sealedTables lists every table with sealed values, in the order Rekey
// visits them: that of storage.SealedTables.
var sealedTables = []sealedTable{
	{"inbox", (*Store).rekeyInbox},
	{"inbox_dead", (*Store).rekeyInboxDead},
	{"outbox", (*Store).rekeyOutbox},
	{"cases", (*Store).rekeyCases},
	{"attachments", (*Store).rekeyAttachments},
	{"additions", (*Store).rekeyAdditions},
	{"notes", (*Store).rekeyNotes},
	{"notifications", (*Store).rekeyNotifications},
	{"reviewers", (*Store).rekeyReviewers},
	{"invites", (*Store).rekeyInvites},
	{"rota", (*Store).rekeyRota},
}

// sealedColumns names the sealed columns of each table of sealedTables.
var sealedColumns = storage.SealedColumns()

// oldKey is the SQL condition that column holds a value sealed under
// another key than $1, the current key's id as 4 bytes: the bytes after
// the version byte (keys.SealedKeyID).
func oldKey(column string) string {
	return "(" + column + " is not null and substring(" + column + " from 2 for 4) <> $1::bytea)"
}

// keyID is the current key's id as the 4 bytes sealed values start with,
// after the version byte.
func (p *Store) keyID() []byte {
	return binary.BigEndian.AppendUint32(nil, p.ring.KeyID())
}

// Rekey re-seals every sealed value not under the ring's current key,
// table by table (SealedTables), batch rows at a time, each batch in its
// own transaction: stopped (its context cancelled, the process killed), it
// can simply be run again and carries on with what is left. After each
// batch, progress (when not nil) is called with the table, how many of its
// values were re-sealed so far and how many remain under old keys. It
// returns how many values it re-sealed, also when it stops on an error;
// values it cannot open (their key is not in the ring) stop it with an
// error wrapping keys.ErrUndecryptable. A batch of 0 or less gives
// ErrInvalid.
//
// Keyed lookups are recomputed on the way: a reviewer's telegram_key, and
// a case's reporter pseudonym while its reporter chat is stored (with the
// actors and the block naming it); see the package's notes on key rotation
// for what cannot be, follow-up codes above all: keep a rotated-out key in
// TIPLINE_PREVIOUS_SECRET_KEYS for as long as codes given under it should
// keep working.
func (p *Store) Rekey(ctx context.Context, batch int, progress func(table string, done, left int)) (int, error) {
	if batch <= 0 {
		return 0, fmt.Errorf("rekey: %w: batch must be positive", tipline.ErrInvalid)
	}
	total := 0
	for _, t := range sealedTables {
		done := 0
		for {
			n, rows, err := p.rekeyBatch(ctx, t, batch)
			if err != nil {
				return total, fmt.Errorf("rekey %s: %w", t.name, err)
			}
			if rows == 0 {
				break
			}
			total += n
			done += n
			if progress == nil {
				continue
			}
			left, err := p.countOld(ctx, t)
			if err != nil {
				return total, fmt.Errorf("rekey %s: %w", t.name, err)
			}
			progress(t.name, done, left)
		}
	}
	return total, nil
}

// rekeyBatch runs one batch of a table in its own transaction.
func (p *Store) rekeyBatch(ctx context.Context, t sealedTable, limit int) (values, rows int, err error) {
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return 0, 0, dbErr(err)
	}
	defer tx.Rollback(ctx)
	values, rows, err = t.rekey(p, ctx, tx, limit)
	if err != nil {
		return 0, 0, err
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, 0, dbErr(err)
	}
	return values, rows, nil
}

// OldKeyValues counts, for each table of SealedTables, the sealed values
// not under the ring's current key: what Rekey has left to do.
func (p *Store) OldKeyValues(ctx context.Context) (map[string]int, error) {
	out := make(map[string]int, len(sealedTables))
	for _, t := range sealedTables {
		n, err := p.countOld(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("count values under old keys: %s: %w", t.name, err)
		}
		out[t.name] = n
	}
	return out, nil
}

func (p *Store) countOld(ctx context.Context, t sealedTable) (int, error) {
	q := "select 0"
	for _, c := range sealedColumns[t.name] {
		q += " + count(*) filter (where " + oldKey(c) + ")"
	}
	q += " from " + t.name
	var n int
	if err := p.pool.QueryRow(ctx, q, p.keyID()).Scan(&n); err != nil {
		return 0, dbErr(err)
	}
	return n, nil
}

// collect runs a query in tx and calls scan on each row.
func collect(ctx context.Context, tx pgx.Tx, sql string, scan func(pgx.Rows) error, args ...any) error {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return dbErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return dbErr(err)
		}
	}
	return dbErr(rows.Err())
}

// sendBatch runs the statements queued in b in tx.
func sendBatch(ctx context.Context, tx pgx.Tx, b *pgx.Batch) error {
	if b.Len() == 0 {
		return nil
	}
	return dbErr(tx.SendBatch(ctx, b).Close())
}

// resealer re-seals values under the current key and counts those it
// changed.
type resealer struct {
	p *Store
	n int
}

// value returns sealed under the current key; nil stays nil.
func (r *resealer) value(sealed []byte, aad string) ([]byte, error) {
	if sealed == nil {
		return nil, nil
	}
	out, changed, err := r.p.ring.Reseal(sealed, aad)
	if err != nil {
		return nil, err
	}
	if changed {
		r.n++
	}
	return out, nil
}

// openID opens a sealed Telegram id (of a user or a chat).
func (p *Store) openID(sealed []byte, aad string) (int64, error) {
	plain, err := p.ring.Open(sealed, aad)
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(string(plain), 10, 64)
	if err != nil {
		return 0, errors.New("malformed id")
	}
	return id, nil
}

func (p *Store) rekeyInbox(ctx context.Context, tx pgx.Tx, limit int) (int, int, error) {
	return p.rekeyByID(ctx, tx, limit, "inbox", "update_id", "payload", updatePayloadAAD)
}

func (p *Store) rekeyInboxDead(ctx context.Context, tx pgx.Tx, limit int) (int, int, error) {
	return p.rekeyByID(ctx, tx, limit, "inbox_dead", "update_id", "payload", updatePayloadAAD)
}

func (p *Store) rekeyOutbox(ctx context.Context, tx pgx.Tx, limit int) (int, int, error) {
	pick := `select id, key, chat_id, payload from outbox where ` + oldKey("chat_id") + ` or ` + oldKey("payload") + `
		order by id limit $2 for update`
	const update = `update outbox set chat_id = $2, payload = $3 where id = $1`
	type row struct {
		id            int64
		key           string
		chat, payload []byte
	}
	var rows []row
	err := collect(ctx, tx, pick, func(r pgx.Rows) error {
		var x row
		err := r.Scan(&x.id, &x.key, &x.chat, &x.payload)
		rows = append(rows, x)
		return err
	}, p.keyID(), limit)
	if err != nil {
		return 0, 0, err
	}
	rs := &resealer{p: p}
	b := &pgx.Batch{}
	for _, x := range rows {
		chat, err := rs.value(x.chat, outboxAAD(x.key, "chat_id"))
		if err != nil {
			return 0, 0, fmt.Errorf("outbox entry %d: %w", x.id, err)
		}
		payload, err := rs.value(x.payload, outboxAAD(x.key, "payload"))
		if err != nil {
			return 0, 0, fmt.Errorf("outbox entry %d: %w", x.id, err)
		}
		b.Queue(update, x.id, chat, payload)
	}
	if err := sendBatch(ctx, tx, b); err != nil {
		return 0, 0, err
	}
	return rs.n, len(rows), nil
}

// rekeyCases re-seals cases' reporter chats and answers and recomputes
// their reporters' pseudonyms from the chat ids: a stored pseudonym that is
// the chat's under a previous key becomes the chat's under the current
// key, here and wherever it names an actor or a block.
func (p *Store) rekeyCases(ctx context.Context, tx pgx.Tx, limit int) (int, int, error) {
	pick := `select id, reference, draft_id, reporter, reporter_chat, answers from cases
		where ` + oldKey("reporter_chat") + ` or ` + oldKey("answers") + `
		order by id limit $2 for update`
	const update = `update cases set reporter = $2, reporter_chat = $3, answers = $4 where id = $1`
	const renameAudit = `
		update audit_events e set actor = m.new
		from unnest($1::text[], $2::text[]) as m (old, new)
		where e.actor = m.old`
	const renameAdditions = `
		update additions a set actor = m.new
		from unnest($1::text[], $2::text[]) as m (old, new)
		where a.actor = m.old`
	const moveBlocks = `
		insert into blocks (pseudonym, blocked_at, reason, reference)
		select m.new, b.blocked_at, b.reason, b.reference
		from blocks b join unnest($1::text[], $2::text[]) as m (old, new) on b.pseudonym = m.old
		on conflict (pseudonym) do nothing`
	const dropBlocks = `delete from blocks where pseudonym = any($1)`
	type row struct {
		id                  int64
		ref, draftID        string
		reporter            *string
		sealedChat, answers []byte
	}
	var rows []row
	err := collect(ctx, tx, pick, func(r pgx.Rows) error {
		var x row
		err := r.Scan(&x.id, &x.ref, &x.draftID, &x.reporter, &x.sealedChat, &x.answers)
		rows = append(rows, x)
		return err
	}, p.keyID(), limit)
	if err != nil {
		return 0, 0, err
	}
	rs := &resealer{p: p}
	renamed := map[string]string{} // old pseudonym → new
	b := &pgx.Batch{}
	for _, x := range rows {
		chatAAD := caseAAD(x.draftID, "reporter_chat")
		chat, err := rs.value(x.sealedChat, chatAAD)
		if err != nil {
			return 0, 0, fmt.Errorf("case %s: reporter chat: %w", x.ref, err)
		}
		answers, err := rs.value(x.answers, caseAAD(x.draftID, "answers"))
		if err != nil {
			return 0, 0, fmt.Errorf("case %s: answers: %w", x.ref, err)
		}
		reporter := x.reporter
		if reporter != nil && chat != nil {
			chatID, err := p.openID(chat, chatAAD)
			if err != nil {
				return 0, 0, fmt.Errorf("case %s: reporter chat: %w", x.ref, err)
			}
			// Only a pseudonym made from the chat id is recomputed: one under
			// a previous key. Any other is left as it is.
			pseudonyms := p.ring.Pseudonyms(chatID)
			if current := pseudonyms[0]; *reporter != current && slices.Contains(pseudonyms[1:], *reporter) {
				renamed[*reporter] = current
				reporter = &current
			}
		}
		b.Queue(update, x.id, reporter, chat, answers)
	}
	if len(renamed) > 0 {
		var oldActors, newActors, oldNames, newNames []string
		for _, old := range slices.Sorted(maps.Keys(renamed)) {
			pseudonym := renamed[old]
			oldNames, newNames = append(oldNames, old), append(newNames, pseudonym)
			oldActors = append(oldActors, tipline.ReporterActor(old), tipline.FollowUpActor(old))
			newActors = append(newActors, tipline.ReporterActor(pseudonym), tipline.FollowUpActor(pseudonym))
		}
		b.Queue(renameAudit, oldActors, newActors)
		b.Queue(renameAdditions, oldActors, newActors)
		b.Queue(moveBlocks, oldNames, newNames)
		b.Queue(dropBlocks, oldNames)
	}
	if err := sendBatch(ctx, tx, b); err != nil {
		return 0, 0, err
	}
	return rs.n, len(rows), nil
}

// rekeyBatchBytes bounds the attachment bytes one batch of Rekey re-seals:
// a batch holds one attachment in memory at a time, and stops after this
// many bytes (or limit rows), whatever the files' sizes.
const rekeyBatchBytes = 8 << 20

// rekeyAttachments re-seals attachments one at a time: it picks the rows
// to do (their keys and sizes only), then reads, re-seals and writes each
// in turn, until limit rows or the batch's bytes (rekeyBatchBytes, or
// p.rekeyBytes when set) are done. Memory holds one file at a time.
func (p *Store) rekeyAttachments(ctx context.Context, tx pgx.Tx, limit int) (int, int, error) {
	pick := `select a.case_id, a.position, coalesce(octet_length(a.content), 0)
		from attachments a
		where ` + oldKey("a.file_id") + ` or ` + oldKey("a.file_unique_id") + ` or ` + oldKey("a.content") + ` or ` + oldKey("a.caption") + `
		order by a.case_id, a.position limit $2 for update of a`
	const read = `select c.reference, c.draft_id, a.file_id, a.file_unique_id, a.content, a.caption
		from attachments a join cases c on c.id = a.case_id
		where a.case_id = $1 and a.position = $2`
	const update = `update attachments set file_id = $3, file_unique_id = $4, content = $5, caption = $6 where case_id = $1 and position = $2`
	type row struct {
		caseID   int64
		position int
		size     int64
	}
	var rows []row
	err := collect(ctx, tx, pick, func(r pgx.Rows) error {
		var x row
		err := r.Scan(&x.caseID, &x.position, &x.size)
		rows = append(rows, x)
		return err
	}, p.keyID(), limit)
	if err != nil {
		return 0, 0, err
	}
	budget := int64(rekeyBatchBytes)
	if p.rekeyBytes > 0 {
		budget = p.rekeyBytes
	}
	rs := &resealer{p: p}
	done, bytes := 0, int64(0)
	for _, x := range rows {
		if done > 0 && bytes+x.size > budget {
			break // the next batch takes it
		}
		var (
			ref, draftID                       string
			fileID, uniqueID, content, caption []byte
		)
		if err := tx.QueryRow(ctx, read, x.caseID, x.position).Scan(&ref, &draftID, &fileID, &uniqueID, &content, &caption); err != nil {
			return 0, 0, dbErr(err)
		}
		values := [][]byte{fileID, uniqueID, content, caption}
		for i, col := range []string{"file_id", "file_unique_id", "content", "caption"} {
			if values[i], err = rs.value(values[i], attachmentAAD(draftID, x.position, col)); err != nil {
				return 0, 0, fmt.Errorf("case %s attachment %d: %s: %w", ref, x.position, col, err)
			}
		}
		if _, err := tx.Exec(ctx, update, x.caseID, x.position, values[0], values[1], values[2], values[3]); err != nil {
			return 0, 0, dbErr(err)
		}
		done, bytes = done+1, bytes+x.size
	}
	return rs.n, done, nil
}

func (p *Store) rekeyAdditions(ctx context.Context, tx pgx.Tx, limit int) (int, int, error) {
	pick := `select a.id, c.reference, c.draft_id, a.idempotency_key, a.text
		from additions a join cases c on c.id = a.case_id
		where ` + oldKey("a.text") + `
		order by a.id limit $2 for update of a`
	const update = `update additions set text = $2 where id = $1`
	type row struct {
		id           int64
		ref, draftID string
		key, text    []byte
	}
	var rows []row
	err := collect(ctx, tx, pick, func(r pgx.Rows) error {
		var x row
		err := r.Scan(&x.id, &x.ref, &x.draftID, &x.key, &x.text)
		rows = append(rows, x)
		return err
	}, p.keyID(), limit)
	if err != nil {
		return 0, 0, err
	}
	rs := &resealer{p: p}
	b := &pgx.Batch{}
	for _, x := range rows {
		text, err := rs.value(x.text, additionAAD(x.draftID, x.key, "text"))
		if err != nil {
			return 0, 0, fmt.Errorf("case %s: addition: %w", x.ref, err)
		}
		b.Queue(update, x.id, text)
	}
	if err := sendBatch(ctx, tx, b); err != nil {
		return 0, 0, err
	}
	return rs.n, len(rows), nil
}

// rekeyByID re-seals one column of a table whose additional data names
// rows by their id column (notes and notifications by id; the inbox and
// the dead letters by update_id).
func (p *Store) rekeyByID(ctx context.Context, tx pgx.Tx, limit int, table, idColumn, column string, aad func(id int64, column string) string) (int, int, error) {
	pick := `select ` + idColumn + `, ` + column + ` from ` + table + ` where ` + oldKey(column) + ` order by ` + idColumn + ` limit $2 for update`
	update := `update ` + table + ` set ` + column + ` = $2 where ` + idColumn + ` = $1`
	type row struct {
		id     int64
		sealed []byte
	}
	var rows []row
	err := collect(ctx, tx, pick, func(r pgx.Rows) error {
		var x row
		err := r.Scan(&x.id, &x.sealed)
		rows = append(rows, x)
		return err
	}, p.keyID(), limit)
	if err != nil {
		return 0, 0, err
	}
	rs := &resealer{p: p}
	b := &pgx.Batch{}
	for _, x := range rows {
		v, err := rs.value(x.sealed, aad(x.id, column))
		if err != nil {
			return 0, 0, fmt.Errorf("%s row %d: %w", table, x.id, err)
		}
		b.Queue(update, x.id, v)
	}
	if err := sendBatch(ctx, tx, b); err != nil {
		return 0, 0, err
	}
	return rs.n, len(rows), nil
}

// updatePayloadAAD is the additional data of a raw update's payload, as
// rekeyByID asks for it.
func updatePayloadAAD(id int64, _ string) string { return inboxPayloadAAD(id) }

func (p *Store) rekeyNotes(ctx context.Context, tx pgx.Tx, limit int) (int, int, error) {
	return p.rekeyByID(ctx, tx, limit, "notes", "id", "text", noteAAD)
}

func (p *Store) rekeyNotifications(ctx context.Context, tx pgx.Tx, limit int) (int, int, error) {
	return p.rekeyByID(ctx, tx, limit, "notifications", "id", "chat_id", notificationAAD)
}

// rekeyReviewers re-seals reviewers' Telegram ids and names and recomputes
// telegram_key, the reviewer key of the Telegram id (keys.Ring.ReviewerKeys),
// under the current key.
func (p *Store) rekeyReviewers(ctx context.Context, tx pgx.Tx, limit int) (int, int, error) {
	pick := `select id, telegram_id, name from reviewers
		where ` + oldKey("telegram_id") + ` or ` + oldKey("name") + `
		order by id limit $2 for update`
	const update = `update reviewers set telegram_key = $2, telegram_id = $3, name = $4 where id = $1`
	type row struct {
		id               int64
		telegramID, name []byte
	}
	var rows []row
	err := collect(ctx, tx, pick, func(r pgx.Rows) error {
		var x row
		err := r.Scan(&x.id, &x.telegramID, &x.name)
		rows = append(rows, x)
		return err
	}, p.keyID(), limit)
	if err != nil {
		return 0, 0, err
	}
	rs := &resealer{p: p}
	b := &pgx.Batch{}
	for _, x := range rows {
		idAAD := reviewerAAD(x.id, "telegram_id")
		telegramID, err := rs.value(x.telegramID, idAAD)
		if err != nil {
			return 0, 0, fmt.Errorf("reviewer %d: telegram id: %w", x.id, err)
		}
		name, err := rs.value(x.name, reviewerAAD(x.id, "name"))
		if err != nil {
			return 0, 0, fmt.Errorf("reviewer %d: name: %w", x.id, err)
		}
		id, err := p.openID(telegramID, idAAD)
		if err != nil {
			return 0, 0, fmt.Errorf("reviewer %d: telegram id: %w", x.id, err)
		}
		b.Queue(update, x.id, p.ring.ReviewerKeys(id)[0], telegramID, name)
	}
	if err := sendBatch(ctx, tx, b); err != nil {
		return 0, 0, err
	}
	return rs.n, len(rows), nil
}

func (p *Store) rekeyInvites(ctx context.Context, tx pgx.Tx, limit int) (int, int, error) {
	pick := `select code_hash, name from invites where ` + oldKey("name") + ` order by code_hash limit $2 for update`
	const update = `update invites set name = $2 where code_hash = $1`
	type row struct{ codeHash, name []byte }
	var rows []row
	err := collect(ctx, tx, pick, func(r pgx.Rows) error {
		var x row
		err := r.Scan(&x.codeHash, &x.name)
		rows = append(rows, x)
		return err
	}, p.keyID(), limit)
	if err != nil {
		return 0, 0, err
	}
	rs := &resealer{p: p}
	b := &pgx.Batch{}
	for i, x := range rows {
		name, err := rs.value(x.name, inviteAAD(x.codeHash, "name"))
		if err != nil {
			return 0, 0, fmt.Errorf("invite %d of the batch: %w", i, err)
		}
		b.Queue(update, x.codeHash, name)
	}
	if err := sendBatch(ctx, tx, b); err != nil {
		return 0, 0, err
	}
	return rs.n, len(rows), nil
}

func (p *Store) rekeyRota(ctx context.Context, tx pgx.Tx, limit int) (int, int, error) {
	pick := `select doc from rota where ` + oldKey("doc") + ` limit $2 for update`
	const update = `update rota set doc = $1`
	var docs [][]byte
	err := collect(ctx, tx, pick, func(r pgx.Rows) error {
		var doc []byte
		err := r.Scan(&doc)
		docs = append(docs, doc)
		return err
	}, p.keyID(), limit)
	if err != nil {
		return 0, 0, err
	}
	rs := &resealer{p: p}
	b := &pgx.Batch{}
	for _, sealed := range docs { // at most one: the table holds one row
		doc, err := rs.value(sealed, rotaAAD)
		if err != nil {
			return 0, 0, err
		}
		b.Queue(update, doc)
	}
	if err := sendBatch(ctx, tx, b); err != nil {
		return 0, 0, err
	}
	return rs.n, len(docs), nil
}
