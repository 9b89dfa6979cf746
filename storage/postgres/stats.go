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

// readOnly is the transaction of the operator's and the metrics' reads.
var readOnly = pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}

// Stats reads the counts and ages of the inbox, the open cases and the
// routing jobs, in one read-only transaction so they agree with each other.
func (p *Store) Stats(ctx context.Context) (storage.Stats, error) {
	s := storage.Stats{
		OpenCases:            map[tipline.Status]map[tipline.Urgency]int{},
		OldestUnacknowledged: map[tipline.Urgency]time.Duration{},
		RoutingJobs:          map[int]int{},
	}
	tx, err := p.pool.BeginTx(ctx, readOnly)
	if err != nil {
		return s, fmt.Errorf("stats: %w", dbErr(err))
	}
	defer func() { _ = tx.Rollback(ctx) }() // read-only: nothing to undo

	const inbox = `
		select count(*), coalesce(extract(epoch from now() - min(received_at)), 0)::float8
		from inbox where processed_at is null`
	var oldest float64
	if err := tx.QueryRow(ctx, inbox).Scan(&s.InboxPending, &oldest); err != nil {
		return s, fmt.Errorf("stats: inbox: %w", dbErr(err))
	}
	s.InboxOldest = seconds(oldest)

	const cases = `
		select status, urgency, count(*),
		       coalesce(extract(epoch from now() - min(submitted_at) filter (where status = 'received')), -1)::float8
		from cases where status <> 'closed'
		group by status, urgency`
	rows, err := tx.Query(ctx, cases)
	if err != nil {
		return s, fmt.Errorf("stats: cases: %w", dbErr(err))
	}
	for rows.Next() {
		var status, urgency string
		var n int
		var age float64
		if err := rows.Scan(&status, &urgency, &n, &age); err != nil {
			rows.Close()
			return s, fmt.Errorf("stats: cases: %w", dbErr(err))
		}
		st, u := tipline.Status(status), tipline.Urgency(urgency)
		if s.OpenCases[st] == nil {
			s.OpenCases[st] = map[tipline.Urgency]int{}
		}
		s.OpenCases[st][u] = n
		if age >= 0 && seconds(age) > s.OldestUnacknowledged[u] {
			s.OldestUnacknowledged[u] = seconds(age)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return s, fmt.Errorf("stats: cases: %w", dbErr(err))
	}

	rows, err = tx.Query(ctx, `select level, count(*) from jobs group by level`)
	if err != nil {
		return s, fmt.Errorf("stats: jobs: %w", dbErr(err))
	}
	for rows.Next() {
		var level, n int
		if err := rows.Scan(&level, &n); err != nil {
			rows.Close()
			return s, fmt.Errorf("stats: jobs: %w", dbErr(err))
		}
		s.RoutingJobs[level] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return s, fmt.Errorf("stats: jobs: %w", dbErr(err))
	}
	return s, nil
}

func seconds(f float64) time.Duration {
	return time.Duration(f * float64(time.Second))
}

// SchemaVersion returns the number of the last migration applied to the
// database and the number of the last one this program carries, so a
// caller can tell a database that is behind (or ahead, after a downgrade).
func (p *Store) SchemaVersion(ctx context.Context) (applied, latest int, err error) {
	entries, err := migrationFiles.ReadDir("migrations")
	if err != nil {
		return 0, 0, fmt.Errorf("schema version: %w", err)
	}
	for _, e := range entries {
		var n int
		if _, err := fmt.Sscanf(e.Name(), "%d_", &n); err == nil && n > latest {
			latest = n
		}
	}
	var exists bool
	if err := p.pool.QueryRow(ctx, `select to_regclass($1) is not null`, schemaVersionTable).Scan(&exists); err != nil {
		return 0, latest, fmt.Errorf("schema version: %w", dbErr(err))
	}
	if !exists {
		return 0, latest, nil
	}
	if err := p.pool.QueryRow(ctx, `select version from `+schemaVersionTable).Scan(&applied); err != nil {
		return 0, latest, fmt.Errorf("schema version: %w", dbErr(err))
	}
	return applied, latest, nil
}

// DatabaseClock returns the database server's time, to compare with ours.
func (p *Store) DatabaseClock(ctx context.Context) (time.Time, error) {
	var t time.Time
	if err := p.pool.QueryRow(ctx, `select clock_timestamp()`).Scan(&t); err != nil {
		return t, fmt.Errorf("database clock: %w", dbErr(err))
	}
	return t, nil
}

// VacuumOff says what keeps PostgreSQL's autovacuum from the message
// path's tables: server when autovacuum is off for the whole server, and
// tables (inbox, outbox) where it is off for that table alone. Each
// message's row is written more than once (queued, then sent), so without
// vacuum every answer costs more as the dead rows pile up, and the
// database only grows.
func (p *Store) VacuumOff(ctx context.Context) (server bool, tables []string, err error) {
	const q = `
		select current_setting('autovacuum') = 'off',
			array(select c.relname::text from pg_class c
				where c.oid in ('inbox'::regclass, 'outbox'::regclass)
				  and exists (select 1 from unnest(c.reloptions) o
					where lower(o) in ('autovacuum_enabled=false', 'autovacuum_enabled=off', 'autovacuum_enabled=0',
						'autovacuum_enabled=no', 'autovacuum_enabled=f', 'autovacuum_enabled=n'))
				order by c.relname)`
	if err := p.pool.QueryRow(ctx, q).Scan(&server, &tables); err != nil {
		return false, nil, fmt.Errorf("autovacuum: %w", dbErr(err))
	}
	return server, tables, nil
}

// AttachmentBytes returns the total size of the stored attachments and the
// size of the whole database, in bytes.
func (p *Store) AttachmentBytes(ctx context.Context) (attachments, database int64, err error) {
	const q = `select coalesce(sum(octet_length(content)), 0)::bigint, pg_database_size(current_database())
		from attachments`
	if err := p.pool.QueryRow(ctx, q).Scan(&attachments, &database); err != nil {
		return 0, 0, fmt.Errorf("attachment sizes: %w", dbErr(err))
	}
	return attachments, database, nil
}

// LatestReference returns the reference of the newest case, so a caller
// can check that the key opens it; ErrNotFound when there is no case.
func (p *Store) LatestReference(ctx context.Context) (tipline.Reference, error) {
	var ref string
	err := p.pool.QueryRow(ctx, `select reference from cases order by id desc limit 1`).Scan(&ref)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", tipline.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("latest case: %w", dbErr(err))
	}
	return tipline.Reference(ref), nil
}
