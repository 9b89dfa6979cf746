package postgres_test

import (
	"testing"

	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/storage/storagetest"
)

func TestPostgresContract(t *testing.T) {
	storagetest.RunContract(t, func(t *testing.T) (storagetest.Store, storagetest.Peek) {
		store, schema := storagetest.NewPostgres(t, keys.NewRandomRing())
		return store, storagetest.PostgresPeek(t, schema)
	})
}
