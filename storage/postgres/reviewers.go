package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

// Reviewers join with a one-time invite. Their Telegram id and name are
// sealed; the store finds a reviewer by the keyed pseudonym of the Telegram
// id (keys.Ring.Pseudonym), made with the ring's current key, or with a
// previous key until Rekey recomputes it.

// isUniqueViolation tells whether err is PostgreSQL's unique_violation.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// CreateInvite stores an invite for a future reviewer named name (sealed),
// an admin or not, valid until expires. codeHash is the SHA-256 of the
// random code given to the person, computed by the caller; the code itself
// never reaches the store. A code hash already invited gives ErrInvalid, as
// do an empty code hash or name and a zero expiry.
func (p *Store) CreateInvite(ctx context.Context, codeHash []byte, name string, admin bool, expires time.Time) error {
	const q = `insert into invites (code_hash, name, admin, expires_at) values ($1, $2, $3, $4)`
	if err := rules.CheckInvite(codeHash, name, expires); err != nil {
		return fmt.Errorf("create invite: %w", err)
	}
	_, err := p.pool.Exec(ctx, q, codeHash, p.ring.Seal([]byte(name), inviteAAD(codeHash, "name")), admin, expires)
	if isUniqueViolation(err) {
		return fmt.Errorf("create invite: %w: code already invited", tipline.ErrInvalid)
	}
	if err != nil {
		return fmt.Errorf("create invite: %w", dbErr(err))
	}
	return nil
}

// RedeemInvite turns an invite into an active reviewer with the invite's
// name and admin right, the given Telegram id and language, created at now,
// in one transaction that deletes the invite: it works once. An unknown,
// used or expired (expires at or before now) invite gives the same
// tipline.ErrNotFound. A Telegram id that is already a reviewer's, active or
// disabled, gives ErrInvalid and leaves the invite unused; so does an
// empty lang.
func (p *Store) RedeemInvite(ctx context.Context, codeHash []byte, telegramID int64, lang string, now time.Time) (tipline.Reviewer, error) {
	const takeInvite = `
		delete from invites
		where code_hash = $1 and expires_at > $2
		returning name, admin`
	const known = `select exists (select 1 from reviewers where telegram_key = any($1))`
	const nextID = `select nextval(pg_get_serial_sequence('reviewers', 'id'))`
	const insertReviewer = `
		insert into reviewers (id, telegram_key, telegram_id, name, lang, admin, created_at)
		overriding system value
		values ($1, $2, $3, $4, $5, $6, $7)
		on conflict (telegram_key) do nothing`
	if err := rules.CheckLang(lang); err != nil {
		return tipline.Reviewer{}, fmt.Errorf("redeem invite: %w", err)
	}
	if len(codeHash) == 0 {
		return tipline.Reviewer{}, rules.ErrInviteNotFound()
	}
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return tipline.Reviewer{}, fmt.Errorf("redeem invite: %w", dbErr(err))
	}
	defer tx.Rollback(ctx)

	var sealedName []byte
	rv := tipline.Reviewer{TelegramID: telegramID, Lang: lang, Active: true, CreatedAt: rules.TruncateTime(now)}
	err = tx.QueryRow(ctx, takeInvite, codeHash, now).Scan(&sealedName, &rv.Admin)
	if errors.Is(err, pgx.ErrNoRows) {
		return tipline.Reviewer{}, rules.ErrInviteNotFound()
	}
	if err != nil {
		return tipline.Reviewer{}, fmt.Errorf("redeem invite: %w", dbErr(err))
	}
	name, err := p.ring.Open(sealedName, inviteAAD(codeHash, "name"))
	if err != nil {
		return tipline.Reviewer{}, fmt.Errorf("redeem invite: name: %w", err)
	}
	rv.Name = string(name)

	// A reviewer whose telegram_key is still under a previous key (not yet
	// re-keyed) is a reviewer all the same.
	var exists bool
	if err := tx.QueryRow(ctx, known, p.reviewerLookup(telegramID)).Scan(&exists); err != nil {
		return tipline.Reviewer{}, fmt.Errorf("redeem invite: %w", dbErr(err))
	}
	if exists {
		return tipline.Reviewer{}, fmt.Errorf("redeem invite: %w: already a reviewer", tipline.ErrInvalid)
	}

	// The id is drawn first: the sealed columns name their row by it.
	if err := tx.QueryRow(ctx, nextID).Scan(&rv.ID); err != nil {
		return tipline.Reviewer{}, fmt.Errorf("redeem invite: %w", dbErr(err))
	}
	tag, err := tx.Exec(ctx, insertReviewer, rv.ID, p.ring.ReviewerKeys(telegramID)[0],
		p.ring.Seal([]byte(strconv.FormatInt(telegramID, 10)), reviewerAAD(rv.ID, "telegram_id")),
		p.ring.Seal(name, reviewerAAD(rv.ID, "name")),
		lang, rv.Admin, now)
	if err != nil {
		return tipline.Reviewer{}, fmt.Errorf("redeem invite: %w", dbErr(err))
	}
	if tag.RowsAffected() == 0 {
		return tipline.Reviewer{}, fmt.Errorf("redeem invite: %w: already a reviewer", tipline.ErrInvalid)
	}
	if err := tx.Commit(ctx); err != nil {
		return tipline.Reviewer{}, fmt.Errorf("redeem invite: %w", dbErr(err))
	}
	return rv, nil
}

// reviewerColumns are the columns scanReviewer reads, in its order.
const reviewerColumns = `id, telegram_id, name, lang, admin, disabled_at is null, created_at, unreachable_at`

// scanReviewer reads a row of reviewerColumns and opens its sealed values.
func (p *Store) scanReviewer(row pgx.Row) (tipline.Reviewer, error) {
	var (
		rv                   tipline.Reviewer
		sealedID, sealedName []byte
		unreachable          *time.Time
	)
	if err := row.Scan(&rv.ID, &sealedID, &sealedName, &rv.Lang, &rv.Admin, &rv.Active, &rv.CreatedAt, &unreachable); err != nil {
		return tipline.Reviewer{}, err
	}
	if unreachable != nil {
		rv.Unreachable = *unreachable
	}
	telegramID, err := p.ring.Open(sealedID, reviewerAAD(rv.ID, "telegram_id"))
	if err != nil {
		return tipline.Reviewer{}, fmt.Errorf("reviewer %d: telegram id: %w", rv.ID, err)
	}
	if rv.TelegramID, err = strconv.ParseInt(string(telegramID), 10, 64); err != nil {
		return tipline.Reviewer{}, fmt.Errorf("reviewer %d: telegram id: malformed", rv.ID)
	}
	name, err := p.ring.Open(sealedName, reviewerAAD(rv.ID, "name"))
	if err != nil {
		return tipline.Reviewer{}, fmt.Errorf("reviewer %d: name: %w", rv.ID, err)
	}
	rv.Name = string(name)
	return rv, nil
}

// ReviewerByTelegram returns the reviewer with that Telegram id, or
// tipline.ErrNotFound. A disabled reviewer is returned too, with Active
// false: the caller must check. After a key rotation it finds reviewers
// under the previous keys too, until Rekey brings them under the current
// one.
func (p *Store) ReviewerByTelegram(ctx context.Context, telegramID int64) (tipline.Reviewer, error) {
	// A row still keyed by the reporter pseudonym (written before reviewers
	// had a lookup key of their own) or by a previous key is moved to the
	// current reviewer key on the way.
	const q = `
		with found as (
			select id, telegram_key from reviewers where telegram_key = any($1)
			order by telegram_key = $2 desc, id limit 1
		), moved as (
			update reviewers r set telegram_key = $2
			from found where r.id = found.id and found.telegram_key <> $2
		)
		select ` + reviewerColumns + ` from reviewers where id = (select id from found)`
	lookup := p.reviewerLookup(telegramID)
	rv, err := p.scanReviewer(p.pool.QueryRow(ctx, q, lookup, lookup[0]))
	if errors.Is(err, pgx.ErrNoRows) {
		return tipline.Reviewer{}, fmt.Errorf("find reviewer: %w", tipline.ErrNotFound)
	}
	if err != nil {
		return tipline.Reviewer{}, fmt.Errorf("find reviewer: %w", dbErr(err))
	}
	return rv, nil
}

// Reviewer returns a reviewer, active or not, or tipline.ErrNotFound.
func (p *Store) Reviewer(ctx context.Context, id int64) (tipline.Reviewer, error) {
	const q = `select ` + reviewerColumns + ` from reviewers where id = $1`
	rv, err := p.scanReviewer(p.pool.QueryRow(ctx, q, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return tipline.Reviewer{}, fmt.Errorf("load reviewer %d: %w", id, tipline.ErrNotFound)
	}
	if err != nil {
		return tipline.Reviewer{}, fmt.Errorf("load reviewer %d: %w", id, dbErr(err))
	}
	return rv, nil
}

// Reviewers lists every reviewer, active or not, by id: an empty list when
// there are none.
func (p *Store) Reviewers(ctx context.Context) ([]tipline.Reviewer, error) {
	const q = `select ` + reviewerColumns + ` from reviewers order by id`
	rows, err := p.pool.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list reviewers: %w", dbErr(err))
	}
	defer rows.Close()
	out := []tipline.Reviewer{}
	for rows.Next() {
		rv, err := p.scanReviewer(rows)
		if err != nil {
			return nil, fmt.Errorf("list reviewers: %w", dbErr(err))
		}
		out = append(out, rv)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list reviewers: %w", dbErr(err))
	}
	return out, nil
}

// SetReviewerLang sets the language a reviewer is written to in. It gives
// tipline.ErrNotFound for an unknown reviewer and ErrInvalid for an empty
// lang.
func (p *Store) SetReviewerLang(ctx context.Context, id int64, lang string) error {
	const q = `update reviewers set lang = $2 where id = $1`
	if err := rules.CheckLang(lang); err != nil {
		return fmt.Errorf("set language of reviewer %d: %w", id, err)
	}
	tag, err := p.pool.Exec(ctx, q, id, lang)
	if err != nil {
		return fmt.Errorf("set language of reviewer %d: %w", id, dbErr(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("set language of reviewer %d: %w", id, tipline.ErrNotFound)
	}
	return nil
}

// SaveRota replaces the on-call rota, an opaque JSON document owned by
// package oncall, stored sealed. A document that is not JSON gives
// ErrInvalid.
func (p *Store) SaveRota(ctx context.Context, doc []byte) error {
	const q = `
		insert into rota (singleton, doc) values (true, $1)
		on conflict (singleton) do update set doc = excluded.doc, updated_at = now()`
	if err := rules.CheckRota(doc); err != nil {
		return fmt.Errorf("save rota: %w", err)
	}
	if _, err := p.pool.Exec(ctx, q, p.ring.Seal(doc, rotaAAD)); err != nil {
		return fmt.Errorf("save rota: %w", dbErr(err))
	}
	return nil
}

// LoadRota returns the rota document as last saved, or tipline.ErrNotFound
// when none was ever saved.
func (p *Store) LoadRota(ctx context.Context) ([]byte, error) {
	const q = `select doc from rota`
	var sealed []byte
	err := p.pool.QueryRow(ctx, q).Scan(&sealed)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("load rota: %w", tipline.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load rota: %w", dbErr(err))
	}
	doc, err := p.ring.Open(sealed, rotaAAD)
	if err != nil {
		return nil, fmt.Errorf("load rota: %w", err)
	}
	return doc, nil
}

// reviewerLookup lists every telegram_key a reviewer's row may hold: their
// reviewer key under each key of the ring, the current one first, then the
// reporter pseudonyms that keyed reviewers before they had a key of their
// own (until the row is next looked up, which moves it).
func (p *Store) reviewerLookup(telegramID int64) []string {
	return append(p.ring.ReviewerKeys(telegramID), p.ring.Pseudonyms(telegramID)...)
}

// ScreenSenders tells, for the senders of a claimed batch at once, who is
// a reviewer (active or not, under any key, as ReviewerByTelegram finds
// them) and who is blocked (as IsBlocked): one statement for the batch
// instead of two for each update. The result is in the order of senders.
func (p *Store) ScreenSenders(ctx context.Context, senders []storage.Sender) ([]storage.Screening, error) {
	out := make([]storage.Screening, len(senders))
	if len(senders) == 0 {
		return out, nil
	}
	each := make([]*storage.Sender, len(senders))
	for i := range senders {
		each[i] = &senders[i]
	}
	var reviewers, blocked []int32
	if err := p.pool.QueryRow(ctx, `select `+screenColumns(1), p.screenArgs(each)...).Scan(&reviewers, &blocked); err != nil {
		return nil, fmt.Errorf("screen senders: %w", dbErr(err))
	}
	for i := range out {
		out[i] = screening(reviewers, blocked, i)
	}
	return out, nil
}

// screenColumns are two columns: the indexes (into the senders given to
// screenArgs) of the senders who are reviewers, and of those blocked as
// reporters. Its parameters are screenArgs' four, numbered from first.
func screenColumns(first int) string {
	return fmt.Sprintf(`
		array(select distinct k.n from unnest($%d::text[], $%d::int[]) as k(key, n)
		      where exists (select 1 from reviewers where telegram_key = k.key)),
		array(select distinct b.n from unnest($%d::text[], $%d::int[]) as b(pseudonym, n)
		      where exists (select 1 from blocks where pseudonym = b.pseudonym))`, first, first+1, first+2, first+3)
}

// screenArgs are the four arrays screenColumns reads: senders' reviewer
// keys and pseudonyms, each with the index of its sender. A nil sender is
// left out (nobody).
func (p *Store) screenArgs(senders []*storage.Sender) []any {
	var (
		keys, pseudonyms     []string
		keyOwner, pseudOwner []int32 // the sender each key or pseudonym is of
	)
	for i, s := range senders {
		if s == nil {
			continue
		}
		for _, k := range p.reviewerLookup(s.TelegramID) {
			keys, keyOwner = append(keys, k), append(keyOwner, int32(i))
		}
		for _, ps := range rules.NonEmpty(s.Pseudonyms) {
			pseudonyms, pseudOwner = append(pseudonyms, ps), append(pseudOwner, int32(i))
		}
	}
	return []any{keys, keyOwner, pseudonyms, pseudOwner}
}

// screening is sender i's screening from screenColumns' two arrays.
func screening(reviewers, blocked []int32, i int) storage.Screening {
	return storage.Screening{Reviewer: slices.Contains(reviewers, int32(i)), Blocked: slices.Contains(blocked, int32(i))}
}
