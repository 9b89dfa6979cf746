package storagetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// Contract tests of what reviewers record about a case beyond taking and
// closing it: classification, referral to a named partner, duplicates,
// look-ups, blocks with a reason, closed cases left inert, and the
// timeline that tells it all in order.

// caseFactTests are added to RunContract's.
var caseFactTests = []struct {
	name string
	run  func(t *testing.T, s Store)
}{
	{"Classify", testClassify},
	{"Partners", testPartners},
	{"Refer", testRefer},
	{"PartnerExport", testPartnerExport},
	{"LinkDuplicate", testLinkDuplicate},
	{"ClosedCaseIsInert", testClosedInert},
	{"FindCases", testFindCases},
	{"BlockWithReason", testBlockWithReason},
	{"ScreenSenders", testScreenSenders},
	{"InboxAddClaimScreens", testInboxAddClaimScreens},
	{"Timeline", testTimeline},
}

// takenCase submits sampleCase and has a new reviewer take it; it returns
// the case and the reviewer.
func takenCase(t *testing.T, s Store, draft string, ref tipline.Reference, telegramID int64) (tipline.NewCase, tipline.Reviewer) {
	t.Helper()
	c := receivedAt(draft, ref, t0)
	mustSubmit(t, s, c)
	rv := mustReviewer(t, s, telegramID, fmt.Sprint("Reviewer ", telegramID))
	if _, _, err := s.Acknowledge(t.Context(), ref, rv.ID, t0.Add(time.Minute)); err != nil {
		t.Fatalf("Acknowledge: %v", err)
	}
	return c, rv
}

func mustPartner(t *testing.T, s Store, name string, kind tipline.PartnerKind, country string) tipline.Partner {
	t.Helper()
	pt, err := s.AddPartner(t.Context(), name, kind, country)
	if err != nil {
		t.Fatalf("AddPartner(%q): %v", name, err)
	}
	return pt
}

func testClassify(t *testing.T, s Store) {
	ctx := t.Context()
	c := receivedAt("d-cls", "TL-CCCC-3333", t0)
	c.Urgency = tipline.UrgencyNormal
	mustSubmit(t, s, c)
	rv := mustReviewer(t, s, 7001, "Reviewer 7001")
	if _, _, err := s.Acknowledge(ctx, c.Reference, rv.ID, t0.Add(time.Minute)); err != nil {
		t.Fatalf("Acknowledge: %v", err)
	}
	at := t0.Add(2 * time.Minute)
	if err := s.Classify(ctx, c.Reference, rv.ID, "smuggling", tipline.RiskHigh, at); !errors.Is(err, tipline.ErrInvalid) {
		t.Fatalf("Classify with an unknown kind: %v, want ErrInvalid", err)
	}
	if err := s.Classify(ctx, c.Reference, rv.ID, tipline.ExploitSale, "severe", at); !errors.Is(err, tipline.ErrInvalid) {
		t.Fatalf("Classify with an unknown risk: %v, want ErrInvalid", err)
	}
	if err := s.Classify(ctx, "TL-9999-9999", rv.ID, tipline.ExploitSale, tipline.RiskHigh, at); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("Classify of an unknown case: %v, want ErrNotFound", err)
	}
	if err := s.Classify(ctx, c.Reference, rv.ID+100, tipline.ExploitSale, tipline.RiskHigh, at); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("Classify by an unknown reviewer: %v, want ErrNotFound", err)
	}
	if got := mustCase(t, s, c.Reference).Classification; got != (tipline.Classification{}) {
		t.Fatalf("classification before Classify = %+v, want none", got)
	}
	if err := s.Classify(ctx, c.Reference, rv.ID, tipline.ExploitSale, tipline.RiskMedium, at); err != nil {
		t.Fatalf("Classify: %v", err)
	}
	later := at.Add(time.Hour)
	if err := s.Classify(ctx, c.Reference, rv.ID, tipline.ExploitSexual, tipline.RiskImmediate, later); err != nil {
		t.Fatalf("Classify again: %v", err)
	}
	got := mustCase(t, s, c.Reference).Classification
	want := tipline.Classification{Exploitation: tipline.ExploitSexual, Risk: tipline.RiskImmediate, ReviewerID: rv.ID, At: later}
	if got.Exploitation != want.Exploitation || got.Risk != want.Risk || got.ReviewerID != want.ReviewerID || !got.At.Equal(want.At) {
		t.Fatalf("classification = %+v, want %+v", got, want)
	}
	wantAudit := []string{
		fmt.Sprintf("reviewer:%d classified_sale:medium", rv.ID),
		fmt.Sprintf("reviewer:%d classified_sexual:immediate", rv.ID),
		fmt.Sprintf("reviewer:%d urgency_urgent", rv.ID),
	}
	if got := actions(mustAudit(t, s, c.Reference))[2:]; !reflect.DeepEqual(got, wantAudit) {
		t.Fatalf("audit %q, want %q", got, wantAudit)
	}
	// "In danger now" made the normal case urgent, once: classifying it
	// so again writes no second urgency event.
	if got := mustCase(t, s, c.Reference).Urgency; got != tipline.UrgencyUrgent {
		t.Fatalf("urgency after a risk of in danger now = %q, want urgent", got)
	}
	if err := s.Classify(ctx, c.Reference, rv.ID, tipline.ExploitSexual, tipline.RiskImmediate, later); err != nil {
		t.Fatalf("Classify a third time: %v", err)
	}
	if got := actions(mustAudit(t, s, c.Reference)); got[len(got)-1] != fmt.Sprintf("reviewer:%d classified_sexual:immediate", rv.ID) {
		t.Fatalf("audit ends %q, want the classification and no second urgency event", got[len(got)-1])
	}
	tl, err := s.Timeline(ctx, c.Reference)
	if err != nil || !slices.ContainsFunc(tl, func(e tipline.Event) bool { return e.Kind == tipline.EventMadeUrgent }) {
		t.Fatalf("Timeline = %+v, %v; want the case made urgent", tl, err)
	}
	// The reviewer's lists show it; the reporter's never do.
	queue, err := s.Queue(ctx, rv.ID)
	if err != nil || len(queue) != 1 || queue[0].Exploitation != tipline.ExploitSexual || queue[0].Risk != tipline.RiskImmediate {
		t.Fatalf("Queue = %+v, %v; want the case with its classification", queue, err)
	}
	found, err := s.FindCases(ctx, tipline.FindQuery{Reference: c.Reference})
	if err != nil || len(found) != 1 || found[0].Exploitation != tipline.ExploitSexual || found[0].Risk != tipline.RiskImmediate {
		t.Fatalf("FindCases = %+v, %v; want the case with its classification", found, err)
	}
	mine, err := s.CasesByReporter(ctx, c.Reporter)
	if err != nil || len(mine) != 1 || mine[0].Exploitation != "" || mine[0].Risk != "" {
		t.Fatalf("CasesByReporter = %+v, %v; want the case without the classification", mine, err)
	}
	if err := s.CloseCase(ctx, c.Reference, rv.ID, tipline.OutcomeNoAction, later); err != nil {
		t.Fatalf("CloseCase: %v", err)
	}
	if err := s.Classify(ctx, c.Reference, rv.ID, tipline.ExploitOther, tipline.RiskLow, later); !errors.Is(err, tipline.ErrClosed) {
		t.Fatalf("Classify of a closed case: %v, want ErrClosed", err)
	}
	if got := mustCase(t, s, c.Reference).Classification; got.Exploitation != tipline.ExploitSexual {
		t.Fatalf("a refused Classify changed the classification to %+v", got)
	} // Nobody took this one yet (an admin classified it): its pending
	// notification is due at once.
	waiting := receivedAt("d-cls-open", "TL-CCCC-3334", t0)
	waiting.Urgency = tipline.UrgencyNormal
	mustSubmit(t, s, waiting)
	if err := s.ScheduleJob(ctx, tipline.Job{Reference: waiting.Reference, Level: 1, RunAt: t0.Add(30 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Classify(ctx, waiting.Reference, rv.ID, tipline.ExploitSale, tipline.RiskImmediate, t0.Add(time.Minute)); err != nil {
		t.Fatalf("Classify an untaken case: %v", err)
	}
	jobs := mustPendingJobs(t, s, waiting.Reference)
	if len(jobs) == 0 {
		t.Fatalf("PendingJobs = %+v, want the case still routed", jobs)
	}
	for _, j := range jobs {
		if j.RunAt.After(t0.Add(time.Minute)) {
			t.Errorf("a pending notification of a case made urgent is due at %v, want at once (%v)", j.RunAt, t0.Add(time.Minute))
		}
	}
}

func testPartners(t *testing.T, s Store) {
	ctx := t.Context()
	if list, err := s.Partners(ctx); err != nil || len(list) != 0 {
		t.Fatalf("Partners of an empty store = %+v, %v; want none", list, err)
	}
	for _, bad := range []struct {
		name    string
		kind    tipline.PartnerKind
		country string
	}{{"", tipline.PartnerNGO, "KH"}, {"  ", tipline.PartnerNGO, "KH"}, {"APLE", "church", "KH"}, {"APLE", tipline.PartnerNGO, "VN"}} {
		if _, err := s.AddPartner(ctx, bad.name, bad.kind, bad.country); !errors.Is(err, tipline.ErrInvalid) {
			t.Errorf("AddPartner(%q, %q, %q): %v, want ErrInvalid", bad.name, bad.kind, bad.country, err)
		}
	}
	police := mustPartner(t, s, " Anti-Human Trafficking Police, Poipet ", tipline.PartnerPolice, "KH")
	ngo := mustPartner(t, s, "Pattaya children's shelter", tipline.PartnerNGO, "TH")
	if police.Name != "Anti-Human Trafficking Police, Poipet" || !police.Active || police.ID == 0 || ngo.ID == police.ID {
		t.Fatalf("AddPartner = %+v, %+v", police, ngo)
	}
	if err := s.DisablePartner(ctx, ngo.ID); err != nil {
		t.Fatalf("DisablePartner: %v", err)
	}
	if err := s.DisablePartner(ctx, ngo.ID+100); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("DisablePartner of an unknown partner: %v, want ErrNotFound", err)
	}
	list, err := s.Partners(ctx)
	if err != nil {
		t.Fatalf("Partners: %v", err)
	}
	if len(list) != 2 || list[0].ID != police.ID || !list[0].Active || list[1].Active ||
		list[1].Name != ngo.Name || list[1].Kind != tipline.PartnerNGO || list[1].Country != "TH" {
		t.Fatalf("Partners = %+v", list)
	}
	if got, err := s.Partner(ctx, police.ID); err != nil || got.Name != police.Name {
		t.Fatalf("Partner = %+v, %v", got, err)
	}
	if _, err := s.Partner(ctx, 999); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("Partner of an unknown id: %v, want ErrNotFound", err)
	}
}

func testRefer(t *testing.T, s Store) {
	ctx := t.Context()
	c, rv := takenCase(t, s, "d-ref", "TL-CCCC-4444", 7002)
	police := mustPartner(t, s, "Poipet police", tipline.PartnerPolice, "KH")
	gone := mustPartner(t, s, "Closed hotline", tipline.PartnerHotline, "TH")
	if err := s.DisablePartner(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(time.Hour)
	for _, id := range []int64{gone.ID, 999} {
		if err := s.Refer(ctx, c.Reference, rv.ID, id, at); !errors.Is(err, tipline.ErrInvalid) {
			t.Fatalf("Refer to partner %d: %v, want ErrInvalid", id, err)
		}
	}
	if got := mustCase(t, s, c.Reference); got.Status == tipline.StatusClosed {
		t.Fatal("a refused referral closed the case")
	}
	if err := s.Refer(ctx, c.Reference, rv.ID, police.ID, at); err != nil {
		t.Fatalf("Refer: %v", err)
	}
	got := mustCase(t, s, c.Reference)
	want := tipline.Assignment{ReviewerID: rv.ID, AcknowledgedAt: t0.Add(time.Minute), Outcome: tipline.OutcomePartner, ClosedAt: at, PartnerID: police.ID}
	if got.Status != tipline.StatusClosed || !sameAssignment(got.Assignment, want) || got.ReporterChatID != 0 {
		t.Fatalf("case after Refer: status %s, assignment %+v, chat %d; want closed, %+v, no chat", got.Status, got.Assignment, got.ReporterChatID, want)
	}
	wantAudit := []string{
		fmt.Sprintf("reviewer:%d closed_partner", rv.ID),
		fmt.Sprintf("reviewer:%d referred:%d", rv.ID, police.ID),
	}
	if got := actions(mustAudit(t, s, c.Reference))[2:]; !reflect.DeepEqual(got, wantAudit) {
		t.Fatalf("audit %q, want %q", got, wantAudit)
	}
	// Referred again to the same partner: nothing changes. To a second
	// partner (a police unit and an NGO, say): one more referral, the case
	// stays closed as it was.
	ngo := mustPartner(t, s, "APLE", tipline.PartnerNGO, "KH")
	if err := s.Refer(ctx, c.Reference, rv.ID, police.ID, at.Add(time.Minute)); err != nil {
		t.Fatalf("Refer to the same partner again: %v", err)
	}
	if err := s.Refer(ctx, c.Reference, rv.ID, ngo.ID, at.Add(time.Minute)); err != nil {
		t.Fatalf("Refer to a second partner: %v", err)
	}
	wantAudit = append(wantAudit, fmt.Sprintf("reviewer:%d referred:%d", rv.ID, ngo.ID))
	if got := actions(mustAudit(t, s, c.Reference))[2:]; !reflect.DeepEqual(got, wantAudit) {
		t.Fatalf("audit %q, want %q", got, wantAudit)
	}
	if got := mustCase(t, s, c.Reference); !sameAssignment(got.Assignment, want) {
		t.Fatalf("a second referral changed the close: %+v, want %+v", got.Assignment, want)
	}
	tl, err := s.Timeline(ctx, c.Reference)
	if err != nil || !slices.ContainsFunc(tl, func(e tipline.Event) bool { return e.Kind == tipline.EventReferred && e.PartnerID == ngo.ID }) {
		t.Fatalf("Timeline = %+v, %v; want the second referral", tl, err)
	}
	for _, pt := range []tipline.Partner{police, ngo} {
		refs, err := s.Referrals(ctx, pt.ID)
		if err != nil || len(refs) != 1 || refs[0].Reference != c.Reference || !refs[0].ExportedAt.IsZero() {
			t.Fatalf("Referrals(%s) = %+v, %v; want the case, never exported", pt.Name, refs, err)
		}
	}
	if _, err := s.Referrals(ctx, 999); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("Referrals of an unknown partner: %v, want ErrNotFound", err)
	}
	// A case closed otherwise is not referred.
	other, _ := takenCase(t, s, "d-ref2", "TL-CCCC-4447", 7012)
	if err := s.CloseCase(ctx, other.Reference, rv.ID, tipline.OutcomeNoAction, at); err != nil {
		t.Fatal(err)
	}
	if err := s.Refer(ctx, other.Reference, rv.ID, police.ID, at); !errors.Is(err, tipline.ErrClosed) {
		t.Fatalf("Refer of a case closed as no action: %v, want ErrClosed", err)
	}
	// Reopening forgets the close's partner; the referrals and the audit
	// trail keep what was shared.
	if err := s.ReopenCase(ctx, c.Reference, rv.ID, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := mustCase(t, s, c.Reference); got.Assignment.PartnerID != 0 {
		t.Fatalf("reopened case still names partner %d", got.Assignment.PartnerID)
	}
	if refs, err := s.Referrals(ctx, police.ID); err != nil || len(refs) != 1 {
		t.Fatalf("Referrals after reopening = %+v, %v; want the case still", refs, err)
	}
}

// testPartnerExport: a partner's key is kept with it; an export to it is
// recorded on each case (the audit names the partner) and on each
// referral, all or none, and only for cases referred to it.
func testPartnerExport(t *testing.T, s Store) {
	ctx := t.Context()
	c, rv := takenCase(t, s, "d-pex", "TL-CCCC-4448", 7013)
	unit := mustPartner(t, s, "Anti-trafficking unit", tipline.PartnerPolice, "TH")
	other := mustPartner(t, s, "Hotline", tipline.PartnerHotline, "TH")
	const key = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
	for _, bad := range []string{"", "  ", "two keys"} {
		if err := s.SetPartnerRecipient(ctx, unit.ID, bad); !errors.Is(err, tipline.ErrInvalid) {
			t.Errorf("SetPartnerRecipient(%q): %v, want ErrInvalid", bad, err)
		}
	}
	if err := s.SetPartnerRecipient(ctx, 999, key); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("SetPartnerRecipient of an unknown partner: %v, want ErrNotFound", err)
	}
	if err := s.SetPartnerRecipient(ctx, unit.ID, key); err != nil {
		t.Fatalf("SetPartnerRecipient: %v", err)
	}
	if pt, err := s.Partner(ctx, unit.ID); err != nil || pt.AgeRecipient != key {
		t.Fatalf("Partner = %+v, %v; want its key", pt, err)
	}
	at := t0.Add(time.Hour)
	if err := s.Refer(ctx, c.Reference, rv.ID, unit.ID, at); err != nil {
		t.Fatal(err)
	}
	before := len(mustAudit(t, s, c.Reference))
	if err := s.RecordPartnerExport(ctx, other.ID, []tipline.Reference{c.Reference}, "csv", at); !errors.Is(err, tipline.ErrInvalid) {
		t.Fatalf("RecordPartnerExport of a case not referred to the partner: %v, want ErrInvalid", err)
	}
	if got := len(mustAudit(t, s, c.Reference)); got != before {
		t.Fatalf("a refused export was audited")
	}
	sent := at.Add(time.Hour)
	if err := s.RecordPartnerExport(ctx, unit.ID, []tipline.Reference{c.Reference}, "csv", sent); err != nil {
		t.Fatalf("RecordPartnerExport: %v", err)
	}
	audit := actions(mustAudit(t, s, c.Reference))
	if want := fmt.Sprintf("operator exported_csv:partner:%d", unit.ID); audit[len(audit)-1] != want {
		t.Fatalf("audit ends %q, want %q", audit[len(audit)-1], want)
	}
	refs, err := s.Referrals(ctx, unit.ID)
	if err != nil || len(refs) != 1 || !refs[0].ExportedAt.Equal(sent) || !refs[0].ReferredAt.Equal(at) {
		t.Fatalf("Referrals = %+v, %v; want referred at %v, exported at %v", refs, err, at, sent)
	}
}

func testLinkDuplicate(t *testing.T, s Store) {
	ctx := t.Context()
	older, rv := takenCase(t, s, "d-old", "TL-CCCC-6666", 7003)
	newer := receivedAt("d-new", "TL-CCCC-7777", t0.Add(time.Hour))
	mustSubmit(t, s, newer)
	at := t0.Add(2 * time.Hour)
	if err := s.LinkDuplicate(ctx, newer.Reference, newer.Reference, rv.ID, at); !errors.Is(err, tipline.ErrInvalid) {
		t.Fatalf("LinkDuplicate to itself: %v, want ErrInvalid", err)
	}
	if err := s.LinkDuplicate(ctx, newer.Reference, "TL-9999-9999", rv.ID, at); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("LinkDuplicate to an unknown case: %v, want ErrNotFound", err)
	}
	if err := s.LinkDuplicate(ctx, newer.Reference, older.Reference, rv.ID+100, at); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("LinkDuplicate by an unknown reviewer: %v, want ErrNotFound", err)
	}
	if err := s.LinkDuplicate(ctx, newer.Reference, older.Reference, rv.ID, at); err != nil {
		t.Fatalf("LinkDuplicate: %v", err)
	}
	got := mustCase(t, s, newer.Reference)
	if got.Status != tipline.StatusClosed || got.Assignment.Outcome != tipline.OutcomeDuplicate || got.Assignment.DuplicateOf != older.Reference {
		t.Fatalf("newer case after LinkDuplicate: status %s, assignment %+v; want closed as a duplicate of %s", got.Status, got.Assignment, older.Reference)
	}
	if len(mustPendingJobs(t, s, newer.Reference)) != 0 {
		t.Fatal("a duplicate keeps routing jobs")
	}
	if got := mustCase(t, s, older.Reference); got.Status != tipline.StatusAcknowledged {
		t.Fatalf("older case after LinkDuplicate: status %s, want it as it was", got.Status)
	}
	actor := fmt.Sprintf("reviewer:%d ", rv.ID)
	if got, want := actions(mustAudit(t, s, newer.Reference))[1:], []string{actor + "closed_duplicate", actor + "duplicate_of:" + string(older.Reference)}; !reflect.DeepEqual(got, want) {
		t.Fatalf("audit of the newer case %q, want %q", got, want)
	}
	if got, want := actions(mustAudit(t, s, older.Reference))[2:], []string{actor + "duplicate_linked:" + string(newer.Reference)}; !reflect.DeepEqual(got, want) {
		t.Fatalf("audit of the older case %q, want %q", got, want)
	}
	// Both timelines tell the link.
	if tl, err := s.Timeline(ctx, newer.Reference); err != nil || tl[len(tl)-1].Kind != tipline.EventClosed ||
		tl[len(tl)-1].Detail != string(tipline.OutcomeDuplicate) || tl[len(tl)-1].Duplicate != older.Reference {
		t.Fatalf("timeline of the newer case = %+v, %v; want it closed as a duplicate of %s last", tl, err, older.Reference)
	}
	if tl, err := s.Timeline(ctx, older.Reference); err != nil || tl[len(tl)-1].Kind != tipline.EventDuplicate || tl[len(tl)-1].Duplicate != newer.Reference {
		t.Fatalf("timeline of the older case = %+v, %v; want the link to %s last", tl, err, newer.Reference)
	}
	if err := s.LinkDuplicate(ctx, older.Reference, newer.Reference, rv.ID, at); !errors.Is(err, tipline.ErrInvalid) {
		t.Fatalf("LinkDuplicate the other way round: %v, want ErrInvalid", err)
	}
	if err := s.LinkDuplicate(ctx, newer.Reference, older.Reference, rv.ID, at); !errors.Is(err, tipline.ErrClosed) {
		t.Fatalf("LinkDuplicate again: %v, want ErrClosed", err)
	}

	// What the reporter adds to the newer case goes to the older one.
	add := tipline.Addition{Actor: "reporter:" + newer.Reporter, Text: "they moved her today", At: at.Add(time.Minute)}
	res, err := s.AddToCaseTracked(ctx, newer.Reference, "upd:1", add)
	if err != nil {
		t.Fatalf("AddToCaseTracked: %v", err)
	}
	if want := (storage.AddResult{Reference: older.Reference, Stored: true}); res != want {
		t.Fatalf("AddToCaseTracked = %+v, want %+v", res, want)
	}
	if got := mustCase(t, s, older.Reference).Additions; len(got) != 1 || got[0].Text != add.Text {
		t.Fatalf("additions of the older case = %+v, want the one given to the newer", got)
	}
	if got := mustCase(t, s, newer.Reference).Additions; len(got) != 0 {
		t.Fatalf("additions of the duplicate = %+v, want none", got)
	}
	// The same update again stores nothing.
	if res, err := s.AddToCaseTracked(ctx, newer.Reference, "upd:1", add); err != nil || res.Stored {
		t.Fatalf("AddToCaseTracked again = %+v, %v; want nothing stored", res, err)
	}
	// Reopening the duplicate cuts the link.
	if err := s.ReopenCase(ctx, newer.Reference, rv.ID, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := mustCase(t, s, newer.Reference).Assignment.DuplicateOf; got != "" {
		t.Fatalf("reopened duplicate still links to %s", got)
	}
	if res, err := s.AddToCaseTracked(ctx, newer.Reference, "upd:2", add); err != nil || res.Reference != newer.Reference {
		t.Fatalf("AddToCaseTracked after reopening = %+v, %v; want it on the reopened case", res, err)
	}
}

func testClosedInert(t *testing.T, s Store) {
	ctx := t.Context()
	c, rv := takenCase(t, s, "d-inert", "TL-CCCC-9999", 7004)
	at := t0.Add(time.Hour)
	if err := s.CloseCase(ctx, c.Reference, rv.ID, tipline.OutcomeNoAction, at); err != nil {
		t.Fatalf("CloseCase: %v", err)
	}
	if err := s.CloseCase(ctx, c.Reference, rv.ID, tipline.OutcomePolice, at); !errors.Is(err, tipline.ErrClosed) {
		t.Fatalf("CloseCase of a closed case: %v, want ErrClosed", err)
	}
	for _, kind := range []string{tipline.NoteInternal, tipline.NoteToReporter} {
		n := tipline.Note{Author: fmt.Sprintf("reviewer:%d", rv.ID), Kind: kind, Text: "late words", At: at}
		if err := s.AddNote(ctx, c.Reference, n); !errors.Is(err, tipline.ErrClosed) {
			t.Fatalf("AddNote %s on a closed case: %v, want ErrClosed", kind, err)
		}
	}
	// The reporter's answer and additions are kept, and flagged.
	if err := s.AddNote(ctx, c.Reference, tipline.Note{Author: "reporter", Kind: tipline.NoteFromReporter, Text: "one more thing", At: at}); err != nil {
		t.Fatalf("AddNote from the reporter on a closed case: %v", err)
	}
	if notes := mustNotes(t, s, c.Reference); len(notes) != 1 || notes[0].Text != "one more thing" {
		t.Fatalf("notes = %+v, want the reporter's answer only", notes)
	}
	add := tipline.Addition{Actor: "reporter:" + c.Reporter, Text: "she is back at the house", At: at.Add(time.Minute)}
	res, err := s.AddToCaseTracked(ctx, c.Reference, "upd:7", add)
	if err != nil {
		t.Fatalf("AddToCaseTracked on a closed case: %v", err)
	}
	if want := (storage.AddResult{Reference: c.Reference, Stored: true, Closed: true, LastReviewer: rv.ID}); res != want {
		t.Fatalf("AddToCaseTracked on a closed case = %+v, want %+v", res, want)
	}
	if got := mustCase(t, s, c.Reference); len(got.Additions) != 1 || got.Status != tipline.StatusClosed {
		t.Fatalf("closed case after an addition: status %s, additions %+v; want closed with the addition", got.Status, got.Additions)
	}
	if err := AddToCaseOnce(ctx, s, c.Reference, "upd:8", add); err != nil {
		t.Fatalf("AddToCaseOnce on a closed case: %v", err)
	}
	// Reopened, it takes notes again.
	if err := s.ReopenCase(ctx, c.Reference, rv.ID, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.AddNote(ctx, c.Reference, tipline.Note{Author: fmt.Sprintf("reviewer:%d", rv.ID), Kind: tipline.NoteInternal, Text: "checking", At: at.Add(time.Hour)}); err != nil {
		t.Fatalf("AddNote after reopening: %v", err)
	}
}

func mustNotes(t *testing.T, s Store, ref tipline.Reference) []tipline.Note {
	t.Helper()
	notes, err := s.Notes(t.Context(), ref)
	if err != nil {
		t.Fatalf("Notes: %v", err)
	}
	return notes
}

func foundRefs(found []tipline.Found) []tipline.Reference {
	out := []tipline.Reference{}
	for _, f := range found {
		out = append(out, f.Reference)
	}
	return out
}

func testFindCases(t *testing.T, s Store) {
	ctx := t.Context()
	rv := mustReviewer(t, s, 7005, "Finder")
	// Poipet market, 3 km east of it, Siem Reap (about 130 km away), and a
	// closed case at the market itself.
	market := receivedAt("d-f1", "TL-FFFF-3333", t0)
	market.Answers = tipline.Answers{"where": "Poipet, near the Market, blue house"}
	market.Location = &tipline.Location{Latitude: 13.6600, Longitude: 102.5600}
	east := receivedAt("d-f2", "TL-FFFF-4444", t0.Add(time.Minute))
	east.Kind = tipline.KindMissing
	east.Answers = tipline.Answers{"seen_where": "the market bus stop"}
	east.Location = &tipline.Location{Latitude: 13.6600, Longitude: 102.5877}
	far := receivedAt("d-f3", "TL-FFFF-6666", t0.Add(2*time.Minute))
	far.Answers = tipline.Answers{"where": "Siem Reap"}
	far.Location = &tipline.Location{Latitude: 13.3633, Longitude: 103.8564}
	closed := receivedAt("d-f4", "TL-FFFF-7777", t0.Add(3*time.Minute))
	closed.Answers = tipline.Answers{"where": "market"}
	closed.Location = market.Location
	for _, c := range []tipline.NewCase{market, east, far, closed} {
		mustSubmit(t, s, c)
	}
	if err := s.CloseCase(ctx, closed.Reference, rv.ID, tipline.OutcomeFalse, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		q    tipline.FindQuery
		want []tipline.Reference
	}{
		{"reference", tipline.FindQuery{Reference: far.Reference}, []tipline.Reference{far.Reference}},
		{"closed by reference", tipline.FindQuery{Reference: closed.Reference}, []tipline.Reference{closed.Reference}},
		{"unknown reference", tipline.FindQuery{Reference: "TL-9999-9999"}, []tipline.Reference{}},
		{"place, any case, newest first", tipline.FindQuery{Place: " MARKET "}, []tipline.Reference{east.Reference, market.Reference}},
		{"place, one", tipline.FindQuery{Place: "siem"}, []tipline.Reference{far.Reference}},
		{"place, none", tipline.FindQuery{Place: "Bangkok"}, []tipline.Reference{}},
		{"near, default radius, nearest first", tipline.FindQuery{Near: &tipline.Location{Latitude: 13.6600, Longitude: 102.5610}}, []tipline.Reference{market.Reference, east.Reference}},
		{"near, 1 km", tipline.FindQuery{Near: market.Location, WithinKm: 1}, []tipline.Reference{market.Reference}},
		{"near, 200 km", tipline.FindQuery{Near: market.Location, WithinKm: 200}, []tipline.Reference{market.Reference, east.Reference, far.Reference}},
	} {
		found, err := s.FindCases(ctx, tc.q)
		if err != nil {
			t.Fatalf("%s: FindCases: %v", tc.name, err)
		}
		if got := foundRefs(found); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: FindCases = %v, want %v", tc.name, got, tc.want)
		}
	}
	found, err := s.FindCases(ctx, tipline.FindQuery{Near: market.Location, WithinKm: 10})
	if err != nil || len(found) != 2 || found[1].DistanceKm < 2.5 || found[1].DistanceKm > 3.5 {
		t.Fatalf("FindCases near = %+v, %v; want the second about 3 km away", found, err)
	}
	if found, _ := s.FindCases(ctx, tipline.FindQuery{Place: "bus"}); len(found) != 1 || found[0].Place != "the market bus stop" || found[0].Kind != tipline.KindMissing {
		t.Fatalf("FindCases by place = %+v, want the matching place shown", found)
	}
	// A reviewer finds their own cases and those nobody has; an admin
	// (For 0) finds all.
	other := mustReviewer(t, s, 7006, "Other")
	if _, _, err := s.Acknowledge(ctx, east.Reference, other.ID, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		q    tipline.FindQuery
		want []tipline.Reference
	}{
		{"place, for a reviewer", tipline.FindQuery{Place: "market", For: rv.ID}, []tipline.Reference{market.Reference}},
		{"place, for the one who has it", tipline.FindQuery{Place: "market", For: other.ID}, []tipline.Reference{east.Reference, market.Reference}},
		{"place, for all", tipline.FindQuery{Place: "market"}, []tipline.Reference{east.Reference, market.Reference}},
		{"another's case by reference", tipline.FindQuery{Reference: east.Reference, For: rv.ID}, []tipline.Reference{}},
		{"near, for a reviewer", tipline.FindQuery{Near: market.Location, WithinKm: 10, For: rv.ID}, []tipline.Reference{market.Reference}},
	} {
		found, err := s.FindCases(ctx, tc.q)
		if err != nil {
			t.Fatalf("%s: FindCases: %v", tc.name, err)
		}
		if got := foundRefs(found); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: FindCases = %v, want %v", tc.name, got, tc.want)
		}
	}
	for _, bad := range []tipline.FindQuery{{}, {Place: "  "}, {Near: market.Location, WithinKm: -1}} {
		if _, err := s.FindCases(ctx, bad); !errors.Is(err, tipline.ErrInvalid) {
			t.Errorf("FindCases(%+v): %v, want ErrInvalid", bad, err)
		}
	}
}

// testScreenSenders: the senders of a batch are screened at once, each
// as ReviewerByTelegram and IsBlocked would find them, in their order; a
// disabled reviewer is still a reviewer (the bot tells them so).
func testScreenSenders(t *testing.T, s Store) {
	ctx := t.Context()
	c, rv := takenCase(t, s, "d-scr", "TL-CCCC-DDDD", 7007)
	if err := s.BlockReporterFor(ctx, c.Reference, rv.ID, tipline.BlockSpam, t0.Add(time.Hour)); err != nil {
		t.Fatalf("BlockReporterFor: %v", err)
	}
	gone := mustReviewer(t, s, 7008, "Reviewer 7008")
	if err := s.DisableReviewer(ctx, gone.ID, t0.Add(time.Hour)); err != nil {
		t.Fatalf("DisableReviewer: %v", err)
	}
	got, err := s.ScreenSenders(ctx, []storage.Sender{
		{TelegramID: 7100, Pseudonyms: []string{"someone-else", ""}},
		{TelegramID: 7007, Pseudonyms: []string{"the-reviewer-as-reporter"}},
		{TelegramID: 7101, Pseudonyms: []string{"an-older-pseudonym", c.Reporter}},
		{TelegramID: 7008},
	})
	want := []storage.Screening{{}, {Reviewer: true}, {Blocked: true}, {Reviewer: true}}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("ScreenSenders = %+v, %v; want %+v", got, err, want)
	}
	if got, err := s.ScreenSenders(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("ScreenSenders of nobody = %+v, %v; want nothing", got, err)
	}
}

// testInboxAddClaimScreens: an update intake stores and claims with its
// sender comes back screened as ScreenSenders screens (a reviewer, a
// blocked reporter, nobody of note); one given without a sender, or not
// claimed, is not screened.
func testInboxAddClaimScreens(t *testing.T, s Store) {
	ctx := t.Context()
	c, rv := takenCase(t, s, "d-isc", "TL-CCCC-EEEE", 7207)
	if err := s.BlockReporterFor(ctx, c.Reference, rv.ID, tipline.BlockSpam, t0.Add(time.Hour)); err != nil {
		t.Fatalf("BlockReporterFor: %v", err)
	}
	from := func(id int64, chat string, sender *storage.Sender) storage.InboxItem {
		it := item(id, chat)
		it.Sender = sender
		return it
	}
	items := []storage.InboxItem{
		from(901, "s1", &storage.Sender{TelegramID: 7300, Pseudonyms: []string{"someone-else"}}),
		from(902, "s2", &storage.Sender{TelegramID: 7207}),
		from(903, "s3", &storage.Sender{TelegramID: 7301, Pseudonyms: []string{"an-older-pseudonym", c.Reporter}}),
		from(904, "s4", nil),
		from(905, "s4", &storage.Sender{TelegramID: 7207}), // waits behind 904
	}
	_, claimed, err := s.InboxAddClaim(ctx, items, "w", longLease, 10)
	if err != nil || len(claimed) != 4 {
		t.Fatalf("InboxAddClaim = %+v, %v; want 4 claimed", claimed, err)
	}
	want := []*storage.Screening{{}, {Reviewer: true}, {Blocked: true}, nil}
	for i, it := range claimed {
		if (it.Screened == nil) != (want[i] == nil) || (it.Screened != nil && *it.Screened != *want[i]) {
			t.Errorf("update %d claimed at intake screened %+v, want %+v", it.UpdateID, it.Screened, want[i])
		}
	}
}

func testBlockWithReason(t *testing.T, s Store) {
	ctx := t.Context()
	c, rv := takenCase(t, s, "d-blk", "TL-CCCC-AAAA", 7006)
	other := receivedAt("d-blk2", "TL-CCCC-CCCC", t0)
	other.Reporter = "another-reporter-pseudonym"
	mustSubmit(t, s, other)
	if err := s.BlockReporterFor(ctx, c.Reference, rv.ID, "rude", t0); !errors.Is(err, tipline.ErrInvalid) {
		t.Fatalf("BlockReporterFor with an unknown reason: %v, want ErrInvalid", err)
	}
	if err := s.BlockReporterFor(ctx, c.Reference, rv.ID, tipline.BlockThreats, t0.Add(time.Hour)); err != nil {
		t.Fatalf("BlockReporterFor: %v", err)
	}
	if err := s.BlockReporterFor(ctx, other.Reference, rv.ID, tipline.BlockSpam, t0.Add(2*time.Hour)); err != nil {
		t.Fatalf("BlockReporterFor: %v", err)
	}
	if blocked, err := s.IsBlocked(ctx, c.Reporter); err != nil || !blocked {
		t.Fatalf("IsBlocked = %v, %v; want blocked", blocked, err)
	}
	blocks, err := s.Blocks(ctx)
	if err != nil {
		t.Fatalf("Blocks: %v", err)
	}
	if len(blocks) != 2 || blocks[0].Reference != other.Reference || blocks[0].Reason != tipline.BlockSpam ||
		blocks[1].Reference != c.Reference || blocks[1].Reason != tipline.BlockThreats || !blocks[1].BlockedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("Blocks = %+v", blocks)
	}
	if got := actions(mustAudit(t, s, c.Reference)); got[len(got)-1] != fmt.Sprintf("reviewer:%d reporter_blocked:threats", rv.ID) {
		t.Fatalf("audit %q, want the block with its reason last", got)
	}
	if err := s.UnblockReporter(ctx, c.Reference, rv.ID, t0.Add(3*time.Hour)); err != nil {
		t.Fatalf("UnblockReporter: %v", err)
	}
	if blocks, err := s.Blocks(ctx); err != nil || len(blocks) != 1 || blocks[0].Reference != other.Reference {
		t.Fatalf("Blocks after unblocking = %+v, %v", blocks, err)
	}
	// The operator lifts a block by the reference it was made from.
	if lifted, err := s.UnblockByOperator(ctx, c.Reference, t0.Add(4*time.Hour)); err != nil || lifted {
		t.Fatalf("UnblockByOperator of a reporter not blocked = %v, %v; want false", lifted, err)
	}
	if lifted, err := s.UnblockByOperator(ctx, other.Reference, t0.Add(4*time.Hour)); err != nil || !lifted {
		t.Fatalf("UnblockByOperator = %v, %v; want true", lifted, err)
	}
	if blocked, err := s.IsBlocked(ctx, other.Reporter); err != nil || blocked {
		t.Fatalf("IsBlocked after UnblockByOperator = %v, %v; want not blocked", blocked, err)
	}
	if got := actions(mustAudit(t, s, other.Reference)); got[len(got)-1] != tipline.ActorOperator+" reporter_unblocked" {
		t.Fatalf("audit %q, want the operator's unblock last", got)
	}
	if lifted, err := s.UnblockByOperator(ctx, "TL-9999-9999", t0); err != nil || lifted {
		t.Fatalf("UnblockByOperator of an unknown case = %v, %v; want false", lifted, err)
	}
	// A forgotten reporter stays blocked, but the block no longer names the case.
	if err := s.BlockReporterFor(ctx, c.Reference, rv.ID, tipline.BlockAbuse, t0.Add(5*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Forget(ctx, c.Reporter); err != nil {
		t.Fatal(err)
	}
	if blocks, err := s.Blocks(ctx); err != nil || len(blocks) != 1 || blocks[0].Reference != "" || blocks[0].Reason != tipline.BlockAbuse {
		t.Fatalf("Blocks after Forget = %+v, %v; want one naming no case", blocks, err)
	}
	if blocked, err := s.IsBlocked(ctx, c.Reporter); err != nil || !blocked {
		t.Fatalf("IsBlocked after Forget = %v, %v; want blocked", blocked, err)
	}
	tl, err := s.Timeline(ctx, c.Reference)
	if err != nil {
		t.Fatalf("Timeline: %v", err)
	}
	var got []string
	for _, e := range tl {
		if e.Kind == tipline.EventBlocked || e.Kind == tipline.EventUnblocked {
			got = append(got, string(e.Kind)+":"+e.Detail)
		}
	}
	if want := []string{"blocked:threats", "unblocked:", "blocked:abuse"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("blocks in the timeline %q, want %q", got, want)
	}
}

func testTimeline(t *testing.T, s Store) {
	ctx := t.Context()
	c := receivedAt("d-tl", "TL-TTTT-3333", t0)
	mustSubmit(t, s, c)
	a := mustReviewer(t, s, 7007, "Sokha")
	b := mustReviewer(t, s, 7008, "Dara")
	pt := mustPartner(t, s, "Poipet police", tipline.PartnerPolice, "KH")
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	ra, rb := fmt.Sprintf("reviewer:%d", a.ID), fmt.Sprintf("reviewer:%d", b.ID)
	steps := []func() error{
		func() error { return s.Escalate(ctx, c.Reference, a.ID, 1, at(5)) },
		func() error { _, _, err := s.Acknowledge(ctx, c.Reference, a.ID, at(10)); return err },
		func() error {
			return s.AddNote(ctx, c.Reference, tipline.Note{Author: ra, Kind: tipline.NoteInternal, Text: "call the outreach team", At: at(12)})
		},
		func() error {
			return s.AddNote(ctx, c.Reference, tipline.Note{Author: ra, Kind: tipline.NoteToReporter, Text: "Is she still there?", At: at(15)})
		},
		func() error {
			return s.AddNote(ctx, c.Reference, tipline.Note{Author: "reporter", Kind: tipline.NoteFromReporter, Text: "yes", At: at(20)})
		},
		func() error {
			return AddToCaseOnce(ctx, s, c.Reference, "upd:tl", tipline.Addition{Actor: "reporter:" + c.Reporter, Text: "a van came", At: at(25),
				Attachments: []tipline.Attachment{{Kind: tipline.AttachPhoto, FileID: "f-add", FileUniqueID: "u-add"}}})
		},
		func() error { return s.Classify(ctx, c.Reference, a.ID, tipline.ExploitSale, tipline.RiskHigh, at(30)) },
		func() error { _, err := s.Reassign(ctx, c.Reference, b.ID, ra, at(35)); return err },
		func() error { return s.Refer(ctx, c.Reference, b.ID, pt.ID, at(40)) },
		func() error { return s.ReopenCase(ctx, c.Reference, b.ID, at(45)) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	events, err := s.Timeline(ctx, c.Reference)
	if err != nil {
		t.Fatalf("Timeline: %v", err)
	}
	want := []tipline.Event{
		{At: c.SubmittedAt, Kind: tipline.EventReported, Actor: "reporter", Text: "sale", Attachments: 2},
		{At: at(5), Kind: tipline.EventEscalated, Actor: ra},
		{At: at(10), Kind: tipline.EventTaken, Actor: ra},
		{At: at(12), Kind: tipline.EventNote, Actor: ra, Text: "call the outreach team"},
		{At: at(15), Kind: tipline.EventToReporter, Actor: ra, Text: "Is she still there?"},
		{At: at(20), Kind: tipline.EventFromReporter, Actor: "reporter", Text: "yes"},
		{At: at(25), Kind: tipline.EventAdded, Actor: "reporter", Text: "a van came", Attachments: 1},
		{At: at(30), Kind: tipline.EventClassified, Actor: ra, Detail: "sale:high"},
		{At: at(35), Kind: tipline.EventReassigned, Actor: ra, Detail: fmt.Sprint(b.ID)},
		{At: at(40), Kind: tipline.EventClosed, Actor: rb, Detail: string(tipline.OutcomePartner), PartnerID: pt.ID},
		{At: at(45), Kind: tipline.EventReopened, Actor: rb},
	}
	if len(events) != len(want) {
		t.Fatalf("Timeline has %d events, want %d:\n got %+v", len(events), len(want), events)
	}
	for i := range want {
		got := events[i]
		if !got.At.Equal(want[i].At) {
			t.Errorf("event %d at %v, want %v", i, got.At, want[i].At)
		}
		got.At = want[i].At
		if got != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, got, want[i])
		}
	}
	if _, err := s.Timeline(ctx, "TL-9999-9999"); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("Timeline of an unknown case: %v, want ErrNotFound", err)
	}
}
