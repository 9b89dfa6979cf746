package postgres_test

import (
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage/storagetest"
)

// TestForgetAndBlockBetweenRotationAndRekey: after a key rotation and
// before "tipline rekey", /forget unlinks the cases made under the old key
// (and rekey does not link them again), and a block made under the old key
// still holds, with the bot's ring-wide look-ups.
func TestForgetAndBlockBetweenRotationAndRekey(t *testing.T) {
	ctx := t.Context()
	keyA, keyB := randomRootKey(t), randomRootKey(t)
	ringA := mustRing(t, keyA)
	storeA, schema := storagetest.NewPostgres(t, ringA)
	const forgetter, blocked = int64(7_000_000_101), int64(7_000_000_102)
	rv := mustRegister(t, storeA, canaryReviewerTelegram, canaryReviewerName)
	for i, id := range []int64{forgetter, blocked} {
		c := tipline.NewCase{
			DraftID: "draft-" + string(rune('a'+i)), Reference: []tipline.Reference{"TL-AAAA-CCCC", "TL-AAAA-DDDD"}[i],
			Kind: tipline.KindTip, Urgency: tipline.UrgencyNormal, Lang: "en", Answers: tipline.Answers{},
			Reporter: ringA.Pseudonym(id), ReporterChatID: id, ContactAllowed: true,
		}
		if _, _, err := storeA.SubmitCase(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := storagetest.BlockReporter(ctx, storeA, "TL-AAAA-DDDD", rv.ID, time.Now()); err != nil {
		t.Fatal(err)
	}

	ringBA := mustRing(t, keyB, keyA)
	storeBA := openSchema(t, schema, ringBA)
	if blockedNow, err := storeBA.IsBlocked(ctx, ringBA.Pseudonyms(blocked)...); err != nil || !blockedNow {
		t.Fatalf("after the rotation the blocked reporter is blocked = %v, %v; want true", blockedNow, err)
	}
	if n, err := storeBA.Forget(ctx, ringBA.Pseudonyms(forgetter)...); err != nil || n != 1 {
		t.Fatalf("Forget after the rotation unlinked %d cases, %v; want 1", n, err)
	}
	if _, err := storeBA.Rekey(ctx, 10, nil); err != nil {
		t.Fatalf("Rekey: %v", err)
	}
	storeB := openSchema(t, schema, mustRing(t, keyB))
	ringB := mustRing(t, keyB)
	if list, err := storeB.CasesByReporter(ctx, ringB.Pseudonyms(forgetter)...); err != nil || len(list) != 0 {
		t.Fatalf("after rekey the forgotten reporter has %d cases, %v; want none", len(list), err)
	}
	if c, err := storeB.Case(ctx, "TL-AAAA-CCCC"); err != nil || c.Reporter != "" || c.ReporterChatID != 0 {
		t.Fatalf("the forgotten case after rekey: reporter %q, chat %d, %v", c.Reporter, c.ReporterChatID, err)
	}
	if blockedNow, err := storeB.IsBlocked(ctx, ringB.Pseudonyms(blocked)...); err != nil || !blockedNow {
		t.Fatalf("after rekey the blocked reporter is blocked = %v, %v; want true", blockedNow, err)
	}
}
