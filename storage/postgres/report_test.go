package postgres_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/storage/storagetest"
)

// TestReportCountsReferralsByPartner: the board report's data names the
// partner of each referred case, and its classification, so referrals can
// be counted by partner.
func TestReportCountsReferralsByPartner(t *testing.T) {
	ctx := t.Context()
	store, _ := storagetest.NewPostgres(t, keys.NewRandomRing())
	rv := mustRegister(t, store, canaryReviewerTelegram, canaryReviewerName)
	police, err := store.AddPartner(ctx, "Poipet police", tipline.PartnerPolice, "KH")
	if err != nil {
		t.Fatal(err)
	}
	shelter, err := store.AddPartner(ctx, "Pattaya shelter", tipline.PartnerNGO, "TH")
	if err != nil {
		t.Fatal(err)
	}
	for i, ref := range []tipline.Reference{"TL-AAAA-3333", "TL-AAAA-4444", "TL-AAAA-6666", "TL-AAAA-7777"} {
		c := canaryCase("draft-report-"+string(ref), ref)
		c.SubmittedAt = reviewT0.Add(time.Duration(i) * time.Minute)
		if _, _, err := store.SubmitCase(ctx, c); err != nil {
			t.Fatalf("SubmitCase: %v", err)
		}
		if i == 3 {
			continue // left open
		}
		if err := store.Classify(ctx, ref, rv.ID, tipline.ExploitLabour, tipline.RiskHigh, reviewT0.Add(time.Hour)); err != nil {
			t.Fatalf("Classify: %v", err)
		}
		partner := police.ID
		if i == 2 {
			partner = shelter.ID
		}
		if err := store.Refer(ctx, ref, rv.ID, partner, reviewT0.Add(2*time.Hour)); err != nil {
			t.Fatalf("Refer: %v", err)
		}
	}
	rows, err := store.ReportCases(ctx, reviewT0.Add(-time.Hour), reviewT0.Add(24*time.Hour))
	if err != nil {
		t.Fatalf("ReportCases: %v", err)
	}
	if len(rows) != 4 || !slices.Equal(rows[0].Partners, []string{"Poipet police"}) || rows[0].Exploitation != tipline.ExploitLabour || rows[0].Risk != tipline.RiskHigh || len(rows[3].Partners) != 0 {
		t.Fatalf("ReportCases = %+v", rows)
	}
	// A case referred to a police unit and then to a shelter counts for
	// both; the reporter's language is there to count by.
	if err := store.Refer(ctx, "TL-AAAA-3333", rv.ID, shelter.ID, reviewT0.Add(3*time.Hour)); err != nil {
		t.Fatalf("Refer to a second partner: %v", err)
	}
	rows, err = store.ReportCases(ctx, reviewT0.Add(-time.Hour), reviewT0.Add(24*time.Hour))
	if err != nil {
		t.Fatalf("ReportCases: %v", err)
	}
	if !slices.Equal(rows[0].Partners, []string{"Poipet police", "Pattaya shelter"}) || len(rows[3].Partners) != 0 || rows[0].Lang == "" {
		t.Fatalf("ReportCases = %+v; want the first case referred to both partners, in order, and the reporter's language", rows)
	}
}

// TestReportOpensOnlyThePlace: asked for the answers that say where, the
// report's data carries the first one given and the shared point, opened
// from the sealed answers; not asked, it opens nothing.
func TestReportOpensOnlyThePlace(t *testing.T) {
	ctx := t.Context()
	store, _ := storagetest.NewPostgres(t, keys.NewRandomRing())
	c := canaryCase("draft-report-place", "TL-AAAA-9999")
	c.SubmittedAt = reviewT0
	c.Answers = tipline.Answers{"seen_where": "Siem Reap", "who": canaryName}
	if _, _, err := store.SubmitCase(ctx, c); err != nil {
		t.Fatalf("SubmitCase: %v", err)
	}
	from, to := reviewT0.Add(-time.Hour), reviewT0.Add(time.Hour)
	rows, err := store.ReportCases(ctx, from, to, "where", "seen_where")
	if err != nil {
		t.Fatalf("ReportCases: %v", err)
	}
	if len(rows) != 1 || rows[0].Place != "Siem Reap" || rows[0].Location == nil || rows[0].Location.Latitude != c.Location.Latitude {
		t.Fatalf("ReportCases = %+v; want the place answer Siem Reap and the shared point", rows)
	}
	rows, err = store.ReportCases(ctx, from, to)
	if err != nil {
		t.Fatalf("ReportCases: %v", err)
	}
	if len(rows) != 1 || rows[0].Place != "" || rows[0].Location != nil {
		t.Fatalf("ReportCases without place answers = %+v; want nothing opened", rows)
	}
}
