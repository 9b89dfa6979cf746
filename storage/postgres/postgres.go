package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/tern/v2/migrate"

	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/internal/rules"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is the durable store: inbox, cases, attachments, audit
// events, reviewers and routing jobs in PostgreSQL. It is safe for concurrent use by many goroutines
// and many processes.
type Store struct {
	pool *pgxpool.Pool
	ring *keys.Ring
	// takeover is how long a process may be silent before its claims lapse.
	takeover  time.Duration
	addLimits storage.AdditionLimits
	// rekeyBytes, when set, replaces rekeyBatchBytes (tests).
	rekeyBytes int64
	// plock is the process's own advisory lock (processlock.go).
	plock processLock
}

// defaultMaxConns is the connection pool's size unless DATABASE_URL says.
const defaultMaxConns = 12

// defaultMinConns is how many connections the pool keeps open unless
// DATABASE_URL says: the intake, a worker, a sender and the heartbeat.
const defaultMinConns = 4

// Open connects to the database at databaseURL and checks that it
// answers. ring seals and opens everything confidential. Run Migrate before
// first use. A database that cannot be reached gives an error that
// satisfies errors.Is(err, ErrUnavailable).
func Open(ctx context.Context, databaseURL string, ring *keys.Ring) (*Store, error) {
	if ring == nil {
		return nil, errors.New("open postgres: no key ring")
	}
	config, err := poolConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, config)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", dbErr(err))
	}
	p := &Store{pool: pool, ring: ring, takeover: storage.DefaultTakeover}
	if err := p.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	return p, nil
}

// poolConfig is the pool's configuration for databaseURL.
func poolConfig(databaseURL string) (*pgxpool.Config, error) {
	config, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, err
	}
	if config.ConnConfig.ConnectTimeout == 0 {
		config.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	if !strings.Contains(databaseURL, "pool_max_conns") {
		// pgx's default (the number of CPUs, at least 4) would queue a
		// bot process's workers, senders and the intake lock behind each
		// other; pool_max_conns in DATABASE_URL overrides this.
		config.MaxConns = defaultMaxConns
	}
	if !strings.Contains(databaseURL, "pool_min_conns") {
		// Connected before the first update, not while it waits: after
		// a restart in a surge, the first answers do not each wait for a
		// connection of their own (pool_min_conns overrides this).
		config.MinConns = min(defaultMinConns, config.MaxConns)
	}
	if _, set := config.ConnConfig.RuntimeParams["plan_cache_mode"]; !set {
		// Each statement is planned once per connection, not at every
		// run. pgx prepares every statement; PostgreSQL then plans it
		// again for each run's values, and keeps doing so for the
		// message path's statements (their arrays look cheaper to it
		// with the values known): planning cost as much as running
		// them, about half of PostgreSQL's time per answer. Their plans
		// do not depend on the values (keyed lookups on indexes, which
		// TestGenericPlansUseIndexes holds on large tables).
		// plan_cache_mode in DATABASE_URL overrides this.
		config.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
	}
	return config, nil
}

// Close closes every connection; the store cannot be used afterwards.
func (p *Store) Close() {
	p.plock.mu.Lock()
	p.plock.drop()
	p.plock.mu.Unlock()
	p.pool.Close()
}

// Ping checks that the database answers.
func (p *Store) Ping(ctx context.Context) error {
	if err := p.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres: %w", dbErr(err))
	}
	return nil
}

// Migrate brings the schema up to date; see the package function Migrate.
func (p *Store) Migrate(ctx context.Context) error {
	conn, err := p.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", dbErr(err))
	}
	defer conn.Release()
	return Migrate(ctx, conn.Conn())
}

// Migrate runs the embedded migrations that have not run yet on conn, each
// in its own transaction, recording the version in tipline_schema_version
// (in the first schema of conn's search_path). tern holds an advisory lock
// meanwhile, so several processes starting at once migrate only once.
func Migrate(ctx context.Context, conn *pgx.Conn) error {
	files, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	m, err := migrate.NewMigrator(ctx, conn, schemaVersionTable)
	if err != nil {
		return fmt.Errorf("migrate: %w", dbErr(err))
	}
	if err := m.LoadMigrations(files); err != nil {
		return fmt.Errorf("migrate: load migrations: %w", err)
	}
	if err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", dbErr(err))
	}
	return nil
}

const (
	// schemaVersionTable records which migrations have run.
	schemaVersionTable = "tipline_schema_version"
	// defaultConnectTimeout applies when the database URL sets none.
	defaultConnectTimeout = 10 * time.Second
)

// dbErr marks err as storage.ErrUnavailable when it comes from a PostgreSQL server
// that is down, unreachable or refusing connections.
func dbErr(err error) error {
	if err == nil || !pgUnavailable(err) {
		return err
	}
	return rules.Unavailable(err)
}

func pgUnavailable(err error) bool {
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) || rules.NetUnavailable(err) || errors.Is(err, pgconn.ErrConnClosed) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case len(pgErr.Code) == 5 && pgErr.Code[:2] == "08": // connection exception
			return true
		case pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03": // shutdown, crash, starting up
			return true
		case pgErr.Code == "53300": // too many connections
			return true
		}
	}
	return false
}
