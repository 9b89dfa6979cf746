package postgres_test

import (
	"testing"

	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/storage/storagetest"
)

// TestReviewerKeyIsNotTheirPseudonym: the value a reviewer is looked up by
// is not their pseudonym as a reporter, so cases they reported are not
// linked to their reviewer row; a row keyed by the pseudonym (written
// before) is still found, and moved to the reviewer key.
func TestReviewerKeyIsNotTheirPseudonym(t *testing.T) {
	ctx := t.Context()
	ring := keys.NewRandomRing()
	store, schema := storagetest.NewPostgres(t, ring)
	rv := mustRegister(t, store, canaryReviewerTelegram, canaryReviewerName)
	conn := storagetest.Conn(t)
	key := func() string {
		t.Helper()
		var k string
		if err := conn.QueryRow(ctx, `select telegram_key from `+schema+`.reviewers where id = $1`, rv.ID).Scan(&k); err != nil {
			t.Fatal(err)
		}
		return k
	}
	pseudonyms := ring.Pseudonyms(canaryReviewerTelegram)
	if got := key(); got == pseudonyms[0] {
		t.Fatalf("the reviewer's lookup key is their reporter pseudonym %q", got)
	} else if got != ring.ReviewerKeys(canaryReviewerTelegram)[0] {
		t.Fatalf("lookup key %q, want the current reviewer key", got)
	}

	// A row from before reviewers had a key of their own.
	if _, err := conn.Exec(ctx, `update `+schema+`.reviewers set telegram_key = $2 where id = $1`, rv.ID, pseudonyms[0]); err != nil {
		t.Fatal(err)
	}
	got, err := store.ReviewerByTelegram(ctx, canaryReviewerTelegram)
	if err != nil || got.ID != rv.ID {
		t.Fatalf("ReviewerByTelegram of a row keyed by the old pseudonym = %+v, %v; want reviewer %d", got, err, rv.ID)
	}
	if k := key(); k != ring.ReviewerKeys(canaryReviewerTelegram)[0] {
		t.Fatalf("the old row was not moved to the reviewer key: %q", k)
	}
}
