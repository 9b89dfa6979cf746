package main

import (
	"context"
	"fmt"

	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/storage/postgres"
)

// openDatabase opens PostgreSQL at url (DATABASE_URL) and brings its schema
// up to date, so every command works on the schema it was built for. The
// caller closes the store.
func openDatabase(ctx context.Context, url string, ring *keys.Ring) (*postgres.Store, error) {
	db, err := postgres.Open(ctx, url, ring)
	if err != nil {
		return nil, fmt.Errorf("open database (DATABASE_URL): %w", err)
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate database: %w", err)
	}
	return db, nil
}
