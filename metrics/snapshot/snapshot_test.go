package snapshot_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/metrics/snapshot"
	"github.com/tipline/tipline/oncall"
	"github.com/tipline/tipline/storage/postgres"
	"github.com/tipline/tipline/storage/storagetest"
)

// addReviewer registers a reviewer through an invite, as the bot does.
func addReviewer(t *testing.T, s *postgres.Store, telegramID int64) tipline.Reviewer {
	t.Helper()
	code := tipline.NewInviteCode()
	if err := s.CreateInvite(t.Context(), tipline.InviteHash(code), "Reviewer", false, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	rv, err := s.RedeemInvite(t.Context(), tipline.InviteHash(code), telegramID, "en", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return rv
}

// TestRead: a scrape counts the active reviewers and those on call by the
// rota (the primary on shift, or every active reviewer when nobody is),
// and exports every lane and the dead letters even when they are zero.
func TestRead(t *testing.T) {
	ctx := t.Context()
	s, _ := storagetest.NewPostgres(t, keys.NewRandomRing())
	one, two, gone := addReviewer(t, s, 7_400_000_001), addReviewer(t, s, 7_400_000_002), addReviewer(t, s, 7_400_000_003)
	if err := s.DisableReviewer(ctx, gone.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	loc := time.FixedZone("ICT", 7*3600)
	rota := oncall.Rota{TimeZone: "Asia/Phnom_Penh"}
	var err error
	if rota.Primary, err = oncall.ParseShifts(spec(one.ID, "daily@08:00-20:00")+","+spec(gone.ID, "daily@20:00-24:00"), loc); err != nil {
		t.Fatal(err)
	}
	doc, err := rota.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveRota(ctx, doc); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name   string
		at     time.Time
		onCall int
	}{
		{"the primary on shift", time.Date(2026, 11, 23, 12, 0, 0, 0, loc), 1},
		{"only a disabled reviewer on shift: everyone active", time.Date(2026, 11, 23, 21, 0, 0, 0, loc), 2},
		{"nobody on shift: everyone active", time.Date(2026, 11, 23, 3, 0, 0, 0, loc), 2},
	} {
		snap, err := snapshot.Read(ctx, s, tc.at)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if snap.ActiveReviewers != 2 || snap.OnCall != tc.onCall {
			t.Errorf("%s: %d active, %d on call; want 2 active (reviewers %d and %d), %d on call", tc.name, snap.ActiveReviewers, snap.OnCall, one.ID, two.ID, tc.onCall)
		}
		if len(snap.OutboxPending) != 4 || len(snap.OutboxOldest) != 4 {
			t.Errorf("%s: outbox gauges for lanes %v, want all four lanes, zero included", tc.name, snap.OutboxPending)
		}
		if snap.DeadLetters == nil || *snap.DeadLetters != 0 {
			t.Errorf("%s: dead letters %v, want a known 0", tc.name, snap.DeadLetters)
		}
	}
}

// spec is one shift of `tipline oncall set`: "ID:when".
func spec(id int64, when string) string {
	return strconv.FormatInt(id, 10) + ":" + when
}
