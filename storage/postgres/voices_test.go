package postgres_test

import (
	"testing"

	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/storage/storagetest"
)

func TestPostgresVoicesContract(t *testing.T) {
	storagetest.RunVoicesContract(t, func(t *testing.T) storagetest.Voices {
		store, _ := storagetest.NewPostgres(t, keys.NewRandomRing())
		return store
	})
}
