// Package storagetest gives tests of any package a real PostgreSQL store
// in a schema of its own, a Redis key prefix of its own, a pg_dump of a
// schema, and the contract suites that the PostgreSQL, Redis and in-memory
// implementations in package storage must all pass.
package storagetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/storage/postgres"
)

// The services tests use unless the environment names others.
const (
	defaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	defaultRedisURL    = "redis://127.0.0.1:6379/0"
)

// servicesHint tells a developer whose test could not reach a service what
// to do about it.
const servicesHint = "run ./scripts/test, which starts PostgreSQL and Redis (installing them when missing), " +
	"or point TIPLINE_TEST_DATABASE_URL / TIPLINE_TEST_REDIS_URL at running servers"

// setupTimeout bounds creating or dropping a schema, connecting and migrating.
const setupTimeout = 30 * time.Second

// SkipShort skips the test under go test -short, saying what it needs:
// -short runs the unit tests alone, on a machine with nothing but Go, so
// every test that needs PostgreSQL, Redis, Chromium or an operator's tool
// calls it (the helpers below do, for PostgreSQL and Redis). Without
// -short a missing service fails the test instead: ./scripts/test
// provides them all.
func SkipShort(tb testing.TB, needs string) {
	tb.Helper()
	if testing.Short() {
		tb.Skipf("-short: skipped, needs %s", needs)
	}
}

// PostgresURL is the database tests use: TIPLINE_TEST_DATABASE_URL, or a
// local PostgreSQL with trust authentication.
func PostgresURL() string {
	if u := os.Getenv("TIPLINE_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return defaultPostgresURL
}

// RedisURL is the Redis tests use: TIPLINE_TEST_REDIS_URL, or a local one.
func RedisURL() string {
	if u := os.Getenv("TIPLINE_TEST_REDIS_URL"); u != "" {
		return u
	}
	return defaultRedisURL
}

// SchemaURL is PostgresURL with its search_path set to schema, so every
// connection opened with it works in that schema.
func SchemaURL(schema string) string {
	base := PostgresURL()
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		if u, err := url.Parse(base); err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return base + " search_path=" + schema // keyword/value form
}

// NewPostgres opens a store on a fresh, migrated schema of its own and
// returns it with the schema's name. The store is closed and the schema
// dropped when the test ends. An unreachable database fails the test
// (skips it under -short).
func NewPostgres(tb testing.TB, ring *keys.Ring) (*postgres.Store, string) {
	tb.Helper()
	SkipShort(tb, "PostgreSQL")
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()

	admin := connect(ctx, tb)
	defer admin.Close(ctx)
	schema := "t_" + randomHex(8)
	if _, err := admin.Exec(ctx, "create schema "+pgx.Identifier{schema}.Sanitize()); err != nil {
		tb.Fatalf("create test schema: %v", err)
	}
	tb.Cleanup(func() { dropSchema(tb, schema) })

	store, err := postgres.Open(ctx, SchemaURL(schema), ring)
	if err != nil {
		tb.Fatalf("open store on %s: %v; %s", PostgresURL(), err, servicesHint)
	}
	tb.Cleanup(store.Close)
	if err := store.Migrate(ctx); err != nil {
		tb.Fatalf("migrate test schema: %v", err)
	}
	return store, schema
}

// Conn returns a plain connection to the test database, closed when the
// test ends, for tests that look at rows directly. Name tables with their
// schema (pgx.Identifier{schema, "cases"}.Sanitize()).
func Conn(tb testing.TB) *pgx.Conn {
	tb.Helper()
	SkipShort(tb, "PostgreSQL")
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	conn := connect(ctx, tb)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		if err := conn.Close(ctx); err != nil {
			tb.Errorf("close test connection: %v", err)
		}
	})
	return conn
}

func connect(ctx context.Context, tb testing.TB) *pgx.Conn {
	tb.Helper()
	conn, err := pgx.Connect(ctx, PostgresURL())
	if err != nil {
		tb.Fatalf("cannot reach PostgreSQL at %s: %v; %s", PostgresURL(), err, servicesHint)
	}
	return conn
}

func dropSchema(tb testing.TB, schema string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, PostgresURL())
	if err != nil {
		tb.Errorf("drop test schema %s: %v", schema, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "drop schema if exists "+pgx.Identifier{schema}.Sanitize()+" cascade"); err != nil {
		tb.Errorf("drop test schema %s: %v", schema, err)
	}
}

// DumpSchema returns what pg_dump writes for schema, its tables and their
// rows, so a test can check that nothing confidential is readable in a
// backup.
func DumpSchema(tb testing.TB, schema string) string {
	tb.Helper()
	SkipShort(tb, "PostgreSQL and pg_dump")
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "pg_dump", "--schema="+schema, "--no-owner", "--no-privileges", "--dbname="+PostgresURL())
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("pg_dump of schema %s: %v: %s (install the PostgreSQL client tools of the server's version)", schema, err, stderr.String())
	}
	return stdout.String()
}

// NewRedis returns a client of the test Redis and a key prefix no other
// test uses; keys with that prefix are deleted when the test ends. An
// unreachable Redis fails the test (skips it under -short).
func NewRedis(tb testing.TB) (*redis.Client, string) {
	tb.Helper()
	SkipShort(tb, "Redis")
	opts, err := redis.ParseURL(RedisURL())
	if err != nil {
		tb.Fatalf("TIPLINE_TEST_REDIS_URL: %v", err)
	}
	client := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		tb.Fatalf("cannot reach Redis at %s: %v; %s", RedisURL(), err, servicesHint)
	}
	prefix := "t_" + randomHex(8) + ":"
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		iter := client.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			if err := client.Del(ctx, iter.Val()).Err(); err != nil {
				tb.Errorf("delete test key: %v", err)
			}
		}
		if err := iter.Err(); err != nil {
			tb.Errorf("list test keys: %v", err)
		}
		if err := client.Close(); err != nil {
			tb.Errorf("close redis client: %v", err)
		}
	})
	return client, prefix
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("storagetest: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// PostgresPeek is the Peek of the stores on schema: it reads their tables
// over a connection of its own, as the program never does.
func PostgresPeek(tb testing.TB, schema string) Peek {
	return &postgresPeek{tb: tb, schema: schema}
}

type postgresPeek struct {
	tb     testing.TB
	schema string
	mu     sync.Mutex // a connection serves one query at a time
	conn   *pgx.Conn
}

func (p *postgresPeek) query(ctx context.Context, q string, args []any, scan func(pgx.Rows) error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil {
		p.conn = Conn(p.tb)
	}
	rows, err := p.conn.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (p *postgresPeek) table(name string) string { return pgx.Identifier{p.schema, name}.Sanitize() }

func (p *postgresPeek) InboxPending(ctx context.Context) (int, error) {
	var n int
	err := p.query(ctx, `select count(*) from `+p.table("inbox")+` where processed_at is null`, nil,
		func(r pgx.Rows) error { return r.Scan(&n) })
	return n, err
}

func (p *postgresPeek) PendingJobs(ctx context.Context, ref tipline.Reference) ([]tipline.Job, error) {
	out := []tipline.Job{}
	q := `select j.id, j.level, j.run_at, j.attempts from ` + p.table("jobs") + ` j
		join ` + p.table("cases") + ` c on c.id = j.case_id
		where c.reference = $1 order by j.run_at, j.id`
	err := p.query(ctx, q, []any{string(ref)}, func(r pgx.Rows) error {
		j := tipline.Job{Reference: ref}
		if err := r.Scan(&j.ID, &j.Level, &j.RunAt, &j.Attempts); err != nil {
			return err
		}
		out = append(out, j)
		return nil
	})
	return out, err
}
