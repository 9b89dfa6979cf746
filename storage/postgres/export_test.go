package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/storage"
)

// SetRekeyBatchBytes lets tests make Rekey's attachment batches small.
func (p *Store) SetRekeyBatchBytes(n int64) { p.rekeyBytes = n }

// OpenExplained opens a store as Open does, on one connection, whose every
// statement's plan, as PostgreSQL runs it, is given to plan (auto_explain),
// for tests of the plans PostgreSQL chooses.
func OpenExplained(ctx context.Context, databaseURL string, ring *keys.Ring, plan func(string)) (*Store, error) {
	config, err := poolConfig(databaseURL)
	if err != nil {
		return nil, err
	}
	config.MaxConns = 1
	config.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		for _, q := range []string{
			"load 'auto_explain'",
			"set auto_explain.log_min_duration = 0",
			"set auto_explain.log_level = notice",
			"set client_min_messages = notice",
		} {
			if _, err := conn.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	}
	config.ConnConfig.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) { plan(n.Message) }
	pool, err := pgxpool.NewWithConfig(ctx, config)
	if err != nil {
		return nil, err
	}
	return &Store{pool: pool, ring: ring, takeover: storage.DefaultTakeover}, nil
}

// Setting is the value of a setting on one of the store's connections.
func (p *Store) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := p.pool.QueryRow(ctx, "select current_setting($1)", name).Scan(&v)
	return v, err
}

// OpenConns is how many connections the store's pool holds open.
func (p *Store) OpenConns() int32 { return p.pool.Stat().TotalConns() }
