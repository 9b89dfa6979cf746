package storagetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// Contract tests of the reviewers' side: invites and reviewers, the rota,
// routing jobs, notification copies and working a case. Times are given,
// as the on-call code gives them: t0 stands for the clock, and a test
// moves it by adding to it.

// reviewTests are added to RunContract's.
var reviewTests = []struct {
	name string
	run  func(t *testing.T, s Store)
}{
	{"InviteIsOneTime", testInviteOneTime},
	{"InviteRefusals", testInviteRefusals},
	{"Reviewers", testReviewers},
	{"DisabledReviewer", testDisabledReviewer},
	{"UnreachableReviewer", testUnreachable},
	{"Rota", testRota},
	{"SubmitCaseSchedulesFirstJob", testSubmitSchedulesJob},
	{"ClaimDueJobsRespectsNow", testClaimRespectsNow},
	{"ClaimDueJobsOldestFirst", testClaimOldestFirst},
	{"JobLeaseExpiry", testJobLeaseExpiry},
	{"JobRelease", testJobRelease},
	{"JobsConcurrentClaims", testJobsConcurrent},
	{"CompleteJob", testCompleteJob},
	{"CompleteJobAfterAcknowledge", testCompleteJobAcknowledged},
	{"UnroutedCases", testUnroutedCases},
	{"ScheduleJob", testScheduleJob},
	{"Notifications", testNotifications},
	{"Acknowledge", testAcknowledge},
	{"Escalate", testEscalate},
	{"Notes", testNotes},
	{"CloseAndReopen", testCloseReopen},
	{"CloseUnacknowledged", testCloseUnacknowledged},
	{"Queue", testQueue},
	{"ReviewNotFound", testReviewNotFound},
	{"ReadsAudited", testReadsAudited},
}

// testReadsAudited: a reviewer's reads are audited, listed by reviewer
// with their case, and left out of the case's story.
func testReadsAudited(t *testing.T, s Store) {
	ctx := t.Context()
	c := sampleCase("draft-r", "TL-AAAA-RRRR")
	mustSubmit(t, s, c)
	before := mustTimeline(t, s, c.Reference)
	since := time.Now().Add(-time.Hour)
	for _, what := range []string{storage.ReadFound, storage.ReadDetails, storage.ReadFiles} {
		if err := s.RecordRead(ctx, c.Reference, 7, what); err != nil {
			t.Fatalf("RecordRead(%s): %v", what, err)
		}
	}
	if err := s.RecordTakeOverWhy(ctx, c.Reference, 7, "unreachable"); err != nil {
		t.Fatalf("RecordTakeOverWhy: %v", err)
	}
	if err := s.RecordRead(ctx, "TL-ZZZZ-ZZZZ", 7, storage.ReadDetails); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("RecordRead of an unknown case: %v, want ErrNotFound", err)
	}
	got, err := s.ReviewerAudit(ctx, 7, since)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range got {
		if e.Reference != c.Reference || e.Actor != "reviewer:7" || e.At.IsZero() {
			t.Errorf("read %+v, want of %s by reviewer:7, with a time", e, c.Reference)
		}
		actions = append(actions, e.Action)
	}
	if want := []string{"viewed:found", "viewed:details", "viewed:files", "take_over_why:unreachable"}; !slices.Equal(actions, want) {
		t.Errorf("reviewer 7 read %v, want %v", actions, want)
	}
	if other, err := s.ReviewerAudit(ctx, 8, since); err != nil || len(other) != 0 {
		t.Errorf("reviewer 8's audit = %+v, %v; want empty", other, err)
	}
	if later, err := s.ReviewerAudit(ctx, 7, time.Now().Add(time.Hour)); err != nil || len(later) != 0 {
		t.Errorf("reviewer 7's audit since later = %+v, %v; want empty", later, err)
	}
	if after := mustTimeline(t, s, c.Reference); len(after) != len(before) {
		t.Errorf("the timeline has %d events after reads, want the %d it had", len(after), len(before))
	}
}

// t0 is the clock at the start of every test here.
var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// inviteHash stands for the SHA-256 the caller makes of an invite code.
func inviteHash(code string) []byte { return followUpHash("invite " + code) }

// mustReviewer invites and registers a reviewer.
func mustReviewer(t *testing.T, s Store, telegramID int64, name string) tipline.Reviewer {
	t.Helper()
	code := inviteHash(fmt.Sprint("code for ", telegramID))
	if err := s.CreateInvite(t.Context(), code, name, false, t0.Add(time.Hour)); err != nil {
		t.Fatalf("CreateInvite: %v", err)
	}
	rv, err := s.RedeemInvite(t.Context(), code, telegramID, "en", t0)
	if err != nil {
		t.Fatalf("RedeemInvite: %v", err)
	}
	return rv
}

// mustTake has a new reviewer (telegramID) take a case now, as a press of
// "I take it" does.
func mustTake(t *testing.T, s Store, ref tipline.Reference, telegramID int64) tipline.Reviewer {
	t.Helper()
	rv := mustReviewer(t, s, telegramID, fmt.Sprint("reviewer ", telegramID))
	if first, _, err := s.Acknowledge(t.Context(), ref, rv.ID, time.Now()); err != nil || !first {
		t.Fatalf("Acknowledge(%s) = %v, %v; want the first take", ref, first, err)
	}
	return rv
}

// receivedAt is sampleCase submitted at submitted.
func receivedAt(draft string, ref tipline.Reference, submitted time.Time) tipline.NewCase {
	c := sampleCase(draft, ref)
	c.SubmittedAt = submitted
	return c
}

func mustClaimJobs(t *testing.T, s Store, now time.Time, lease time.Duration, limit int) []tipline.Job {
	t.Helper()
	jobs, err := s.ClaimDueJobs(t.Context(), "w", now, lease, limit)
	if err != nil {
		t.Fatalf("ClaimDueJobs: %v", err)
	}
	if jobs == nil {
		t.Fatalf("ClaimDueJobs gave nil, want a list")
	}
	return jobs
}

func mustPendingJobs(t *testing.T, s Store, ref tipline.Reference) []tipline.Job {
	t.Helper()
	jobs, err := peekOf(t, s).PendingJobs(t.Context(), ref)
	if err != nil {
		t.Fatalf("PendingJobs(%s): %v", ref, err)
	}
	if jobs == nil {
		t.Fatalf("PendingJobs gave nil, want a list")
	}
	return jobs
}

func mustUnrouted(t *testing.T, s Store) []tipline.Reference {
	t.Helper()
	refs, err := s.UnroutedCases(t.Context())
	if err != nil {
		t.Fatalf("UnroutedCases: %v", err)
	}
	if refs == nil {
		t.Fatalf("UnroutedCases gave nil, want a list")
	}
	return refs
}

// levels lists jobs as "level@minutes after t0".
func levels(jobs []tipline.Job) []string {
	out := []string{}
	for _, j := range jobs {
		out = append(out, fmt.Sprintf("%d@%v", j.Level, j.RunAt.Sub(t0)))
	}
	return out
}

func sameReviewer(a, b tipline.Reviewer) bool {
	return a.ID == b.ID && a.Name == b.Name && a.TelegramID == b.TelegramID && a.Lang == b.Lang &&
		a.Admin == b.Admin && a.Active == b.Active && a.CreatedAt.Equal(b.CreatedAt)
}

func sameAssignment(a, b tipline.Assignment) bool {
	return a.ReviewerID == b.ReviewerID && a.AcknowledgedAt.Equal(b.AcknowledgedAt) &&
		a.Outcome == b.Outcome && a.ClosedAt.Equal(b.ClosedAt) &&
		a.PartnerID == b.PartnerID && a.DuplicateOf == b.DuplicateOf
}

func testInviteOneTime(t *testing.T, s Store) {
	ctx := t.Context()
	code := inviteHash("1")
	if err := s.CreateInvite(ctx, code, "Sokha", true, t0.Add(48*time.Hour)); err != nil {
		t.Fatalf("CreateInvite: %v", err)
	}
	now := t0.Add(time.Hour + 250*time.Millisecond)
	rv, err := s.RedeemInvite(ctx, code, 5550001, "km", now)
	if err != nil {
		t.Fatalf("RedeemInvite: %v", err)
	}
	want := tipline.Reviewer{ID: rv.ID, Name: "Sokha", TelegramID: 5550001, Lang: "km", Admin: true, Active: true, CreatedAt: now}
	if rv.ID == 0 || !sameReviewer(rv, want) {
		t.Fatalf("RedeemInvite = %+v, want %+v", rv, want)
	}
	got, err := s.Reviewer(ctx, rv.ID)
	if err != nil || !sameReviewer(got, want) {
		t.Fatalf("Reviewer = %+v, %v; want %+v", got, err, want)
	}

	// Used, unknown and expired invites all give the same error.
	_, used := s.RedeemInvite(ctx, code, 5550002, "en", now)
	_, unknown := s.RedeemInvite(ctx, inviteHash("never made"), 5550002, "en", now)
	expiring := inviteHash("2")
	if err := s.CreateInvite(ctx, expiring, "Dara", false, t0.Add(time.Hour)); err != nil {
		t.Fatalf("CreateInvite: %v", err)
	}
	_, expired := s.RedeemInvite(ctx, expiring, 5550002, "en", t0.Add(time.Hour))
	_, empty := s.RedeemInvite(ctx, nil, 5550002, "en", now)
	for name, err := range map[string]error{"used": used, "unknown": unknown, "expired": expired, "empty": empty} {
		if !errors.Is(err, tipline.ErrNotFound) {
			t.Errorf("RedeemInvite of an %s invite: %v, want ErrNotFound", name, err)
		} else if err.Error() != used.Error() {
			t.Errorf("RedeemInvite of an %s invite says %q, a used one %q: want the same", name, err, used)
		}
	}
	// Just before it expires, it still works.
	if _, err := s.RedeemInvite(ctx, expiring, 5550002, "en", t0.Add(time.Hour-time.Microsecond)); err != nil {
		t.Fatalf("RedeemInvite just before expiry: %v", err)
	}
	if all, err := s.Reviewers(ctx); err != nil || len(all) != 2 {
		t.Fatalf("Reviewers = %+v, %v; want two", all, err)
	}
}

func testInviteRefusals(t *testing.T, s Store) {
	ctx := t.Context()
	first := mustReviewer(t, s, 5550001, "Sokha")
	code := inviteHash("again")
	if err := s.CreateInvite(ctx, code, "Sokha again", true, t0.Add(time.Hour)); err != nil {
		t.Fatalf("CreateInvite: %v", err)
	}
	if err := s.CreateInvite(ctx, code, "someone else", false, t0.Add(time.Hour)); !errors.Is(err, tipline.ErrInvalid) {
		t.Fatalf("CreateInvite of a code already invited: %v, want ErrInvalid", err)
	}
	// A Telegram account that is already a reviewer cannot redeem, and the
	// invite stays for the person it was meant for.
	if _, err := s.RedeemInvite(ctx, code, 5550001, "en", t0); !errors.Is(err, tipline.ErrInvalid) {
		t.Fatalf("RedeemInvite by a reviewer: %v, want ErrInvalid", err)
	}
	if err := s.DisableReviewer(ctx, first.ID, t0); err != nil {
		t.Fatalf("DisableReviewer: %v", err)
	}
	if _, err := s.RedeemInvite(ctx, code, 5550001, "en", t0); !errors.Is(err, tipline.ErrInvalid) {
		t.Fatalf("RedeemInvite by a disabled reviewer: %v, want ErrInvalid", err)
	}
	if _, err := s.RedeemInvite(ctx, code, 5550003, "", t0); !errors.Is(err, tipline.ErrInvalid) {
		t.Fatalf("RedeemInvite without a language: %v, want ErrInvalid", err)
	}
	rv, err := s.RedeemInvite(ctx, code, 5550003, "th", t0)
	if err != nil || rv.Name != "Sokha again" || !rv.Admin {
		t.Fatalf("RedeemInvite after refusals = %+v, %v; want the invite still usable", rv, err)
	}
	for name, call := range map[string]func() error{
		"no code":   func() error { return s.CreateInvite(ctx, nil, "x", false, t0.Add(time.Hour)) },
		"no name":   func() error { return s.CreateInvite(ctx, inviteHash("x"), "", false, t0.Add(time.Hour)) },
		"no expiry": func() error { return s.CreateInvite(ctx, inviteHash("y"), "x", false, time.Time{}) },
	} {
		if err := call(); !errors.Is(err, tipline.ErrInvalid) {
			t.Errorf("CreateInvite with %s: %v, want ErrInvalid", name, err)
		}
	}
}

func testReviewers(t *testing.T, s Store) {
	ctx := t.Context()
	if all, err := s.Reviewers(ctx); err != nil || all == nil || len(all) != 0 {
		t.Fatalf("Reviewers of an empty store = %#v, %v; want an empty list", all, err)
	}
	a := mustReviewer(t, s, 5550001, "Sokha")
	b := mustReviewer(t, s, 7000000001, "Dara")
	got, err := s.ReviewerByTelegram(ctx, 7000000001)
	if err != nil || !sameReviewer(got, b) {
		t.Fatalf("ReviewerByTelegram = %+v, %v; want %+v", got, err, b)
	}
	if _, err := s.ReviewerByTelegram(ctx, 7000000002); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("ReviewerByTelegram of a stranger: %v, want ErrNotFound", err)
	}
	if _, err := s.Reviewer(ctx, b.ID+100); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("Reviewer of an unknown id: %v, want ErrNotFound", err)
	}
	if err := s.SetReviewerLang(ctx, a.ID, "th"); err != nil {
		t.Fatalf("SetReviewerLang: %v", err)
	}
	if err := s.SetReviewerLang(ctx, a.ID, ""); !errors.Is(err, tipline.ErrInvalid) {
		t.Fatalf("SetReviewerLang to nothing: %v, want ErrInvalid", err)
	}
	if err := s.SetReviewerLang(ctx, b.ID+100, "th"); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("SetReviewerLang of an unknown reviewer: %v, want ErrNotFound", err)
	}
	a.Lang = "th"
	all, err := s.Reviewers(ctx)
	if err != nil || len(all) != 2 || !sameReviewer(all[0], a) || !sameReviewer(all[1], b) || a.ID >= b.ID {
		t.Fatalf("Reviewers = %+v, %v; want %+v then %+v", all, err, a, b)
	}
}

func testDisabledReviewer(t *testing.T, s Store) {
	ctx := t.Context()
	rv := mustReviewer(t, s, 5550001, "Sokha")
	other := mustReviewer(t, s, 5550002, "Dara")
	if err := s.DisableReviewer(ctx, rv.ID, t0.Add(time.Hour)); err != nil {
		t.Fatalf("DisableReviewer: %v", err)
	}
	if err := s.DisableReviewer(ctx, rv.ID, t0.Add(2*time.Hour)); err != nil {
		t.Fatalf("DisableReviewer again: %v", err)
	}
	got, err := s.ReviewerByTelegram(ctx, 5550001)
	if err != nil {
		t.Fatalf("ReviewerByTelegram of a disabled reviewer: %v, want the reviewer", err)
	}
	rv.Active = false
	if !sameReviewer(got, rv) {
		t.Fatalf("ReviewerByTelegram = %+v, want %+v", got, rv)
	}
	if got, err := s.Reviewer(ctx, rv.ID); err != nil || got.Active {
		t.Fatalf("Reviewer = %+v, %v; want inactive", got, err)
	}
	if got, err := s.Reviewer(ctx, other.ID); err != nil || !got.Active {
		t.Fatalf("Reviewer of the other = %+v, %v; want active", got, err)
	}
	if all, err := s.Reviewers(ctx); err != nil || len(all) != 2 || all[0].Active || !all[1].Active {
		t.Fatalf("Reviewers = %+v, %v; want the disabled one listed inactive", all, err)
	}
	if err := s.DisableReviewer(ctx, other.ID+100, t0); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("DisableReviewer of an unknown reviewer: %v, want ErrNotFound", err)
	}
}

func testRota(t *testing.T, s Store) {
	ctx := t.Context()
	if _, err := s.LoadRota(ctx); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("LoadRota before any: %v, want ErrNotFound", err)
	}
	doc := []byte(`{"time_zone":"Asia/Phnom_Penh",  "primary":[{"reviewer":1,"days":"mon"}], "secondary":[]}`)
	if err := s.SaveRota(ctx, doc); err != nil {
		t.Fatalf("SaveRota: %v", err)
	}
	doc[2] = 'X'
	got, err := s.LoadRota(ctx)
	if err != nil || string(got) != `{"time_zone":"Asia/Phnom_Penh",  "primary":[{"reviewer":1,"days":"mon"}], "secondary":[]}` {
		t.Fatalf("LoadRota = %s, %v; want the document as saved", got, err)
	}
	got[2] = 'Y'
	if err := s.SaveRota(ctx, []byte(`{"primary":[]}`)); err != nil {
		t.Fatalf("SaveRota again: %v", err)
	}
	if got, err := s.LoadRota(ctx); err != nil || string(got) != `{"primary":[]}` {
		t.Fatalf("LoadRota = %s, %v; want the second document", got, err)
	}
	if err := s.SaveRota(ctx, []byte(`{"primary":`)); !errors.Is(err, tipline.ErrInvalid) {
		t.Fatalf("SaveRota of broken JSON: %v, want ErrInvalid", err)
	}
	if got, err := s.LoadRota(ctx); err != nil || string(got) != `{"primary":[]}` {
		t.Fatalf("LoadRota after a refused save = %s, %v; want the second document", got, err)
	}
}

func testSubmitSchedulesJob(t *testing.T, s Store) {
	c := receivedAt("draft-1", "TL-AAAA-CCCC", t0.Add(90*time.Second+123456*time.Nanosecond))
	mustSubmit(t, s, c)
	again := c
	again.Reference = "TL-AAAA-DDDD"
	if _, created, err := s.SubmitCase(t.Context(), again); err != nil || created {
		t.Fatalf("SubmitCase again: created %v, %v", created, err)
	}
	jobs := mustPendingJobs(t, s, c.Reference)
	if len(jobs) != 1 {
		t.Fatalf("PendingJobs after two submissions = %+v, want one job", jobs)
	}
	j := jobs[0]
	if j.ID == 0 || j.Reference != c.Reference || j.Level != 0 || !j.RunAt.Equal(t0.Add(90*time.Second+123*time.Microsecond)) || j.Attempts != 0 {
		t.Fatalf("first job %+v, want level 0 of %s due at submission, no attempt", j, c.Reference)
	}
	if refs := mustUnrouted(t, s); len(refs) != 0 {
		t.Fatalf("UnroutedCases = %v, want none", refs)
	}

	// Without a submission time, the job is due when the case was stored.
	bare := sampleCase("draft-2", "TL-AAAA-EEEE")
	bare.SubmittedAt = time.Time{}
	mustSubmit(t, s, bare)
	stored := mustCase(t, s, bare.Reference)
	if jobs := mustPendingJobs(t, s, bare.Reference); len(jobs) != 1 || !jobs[0].RunAt.Equal(stored.SubmittedAt) {
		t.Fatalf("PendingJobs of a case without a time = %+v, want one due at %v", jobs, stored.SubmittedAt)
	}
}

func testClaimRespectsNow(t *testing.T, s Store) {
	c := receivedAt("draft-1", "TL-AAAA-CCCC", t0.Add(5*time.Minute))
	mustSubmit(t, s, c)
	if jobs := mustClaimJobs(t, s, t0, time.Minute, 10); len(jobs) != 0 {
		t.Fatalf("ClaimDueJobs at t0 = %+v, want nothing due before t0+5m", jobs)
	}
	if jobs := mustClaimJobs(t, s, t0.Add(5*time.Minute-time.Microsecond), time.Minute, 10); len(jobs) != 0 {
		t.Fatalf("ClaimDueJobs just before = %+v, want nothing due", jobs)
	}
	jobs := mustClaimJobs(t, s, t0.Add(5*time.Minute), time.Minute, 10)
	if len(jobs) != 1 || jobs[0].Reference != c.Reference || jobs[0].Level != 0 || jobs[0].Attempts != 1 || !jobs[0].RunAt.Equal(c.SubmittedAt) {
		t.Fatalf("ClaimDueJobs at t0+5m = %+v, want the case's level-0 job, attempt 1", jobs)
	}
	if pending := mustPendingJobs(t, s, c.Reference); len(pending) != 1 || pending[0].Attempts != 1 {
		t.Fatalf("PendingJobs of a claimed job = %+v, want it listed with its attempt", pending)
	}
	if _, err := s.ClaimDueJobs(t.Context(), "w", t0, 0, 10); !errors.Is(err, tipline.ErrInvalid) {
		t.Fatalf("ClaimDueJobs without a lease: %v, want ErrInvalid", err)
	}
}

func testClaimOldestFirst(t *testing.T, s Store) {
	mustSubmit(t, s, receivedAt("draft-1", "TL-AAAA-CCCC", t0.Add(3*time.Minute)))
	mustSubmit(t, s, receivedAt("draft-2", "TL-AAAA-DDDD", t0.Add(1*time.Minute)))
	mustSubmit(t, s, receivedAt("draft-3", "TL-AAAA-EEEE", t0.Add(2*time.Minute)))
	mustSubmit(t, s, receivedAt("draft-4", "TL-AAAA-FFFF", t0.Add(9*time.Minute)))
	now := t0.Add(5 * time.Minute)
	var got []tipline.Reference
	for _, j := range mustClaimJobs(t, s, now, time.Hour, 2) {
		got = append(got, j.Reference)
	}
	for _, j := range mustClaimJobs(t, s, now, time.Hour, 2) {
		got = append(got, j.Reference)
	}
	if want := []tipline.Reference{"TL-AAAA-DDDD", "TL-AAAA-EEEE", "TL-AAAA-CCCC"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("claimed %v, want %v (oldest first, not the one due later)", got, want)
	}
	if jobs := mustClaimJobs(t, s, now, time.Hour, 0); len(jobs) != 0 {
		t.Fatalf("ClaimDueJobs with limit 0 = %+v, want nothing", jobs)
	}
}

func testJobLeaseExpiry(t *testing.T, s Store) {
	c := receivedAt("draft-1", "TL-AAAA-CCCC", t0)
	mustSubmit(t, s, c)
	first := mustClaimJobs(t, s, t0, time.Minute, 10)
	if len(first) != 1 {
		t.Fatalf("ClaimDueJobs = %+v, want one job", first)
	}
	if jobs := mustClaimJobs(t, s, t0.Add(59*time.Second), time.Minute, 10); len(jobs) != 0 {
		t.Fatalf("ClaimDueJobs while the claim lives = %+v, want nothing", jobs)
	}
	// The claimer crashed: once its lease runs out, the job is claimed again.
	again := mustClaimJobs(t, s, t0.Add(time.Minute), time.Minute, 10)
	if len(again) != 1 || again[0].ID != first[0].ID || again[0].Attempts != 2 {
		t.Fatalf("ClaimDueJobs after the lease = %+v, want job %d again, attempt 2", again, first[0].ID)
	}
	if jobs := mustClaimJobs(t, s, t0.Add(90*time.Second), time.Minute, 10); len(jobs) != 0 {
		t.Fatalf("ClaimDueJobs under the second claim = %+v, want nothing", jobs)
	}
}

func testJobRelease(t *testing.T, s Store) {
	mustSubmit(t, s, receivedAt("draft-1", "TL-AAAA-CCCC", t0))
	jobs := mustClaimJobs(t, s, t0, time.Hour, 10)
	if len(jobs) != 1 {
		t.Fatalf("ClaimDueJobs = %+v, want one", jobs)
	}
	if err := s.ReleaseJob(t.Context(), jobs[0].ID, "w"); err != nil {
		t.Fatalf("ReleaseJob: %v", err)
	}
	again := mustClaimJobs(t, s, t0, time.Hour, 10)
	if len(again) != 1 || again[0].ID != jobs[0].ID || again[0].Attempts != 2 {
		t.Fatalf("ClaimDueJobs after release = %+v, want the job again, attempt 2", again)
	}
	if err := s.ReleaseJob(t.Context(), jobs[0].ID+1000, "w"); err != nil {
		t.Fatalf("ReleaseJob of a job that is gone: %v, want nothing", err)
	}
}

func testJobsConcurrent(t *testing.T, s Store) {
	CheckConcurrentJobClaims(t, s)
}

// CheckConcurrentJobClaims submits cases through the first store and lets
// several workers, spread over all the stores, claim their due jobs at the
// same instant with a long lease. Each job must be claimed exactly once
// while the leases live; once they run out, every job can be claimed
// again. Pass several stores that share one database to stand for several
// processes.
func CheckConcurrentJobClaims(t *testing.T, stores ...Store) {
	t.Helper()
	const cases, workers, lease = 40, 6, time.Hour
	for i := range cases {
		mustSubmit(t, stores[0], receivedAt(fmt.Sprintf("draft-%d", i), tipline.Reference(fmt.Sprintf("TL-CC%02d-AAAA", i)), t0.Add(time.Duration(i)*time.Second)))
	}
	now := t0.Add(time.Hour)
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	var (
		mu      sync.Mutex
		claimed = map[int64][]string{} // job → owners
		refs    = map[tipline.Reference]bool{}
		errs    []error
	)
	var wg sync.WaitGroup
	for w := range workers {
		owner := fmt.Sprintf("worker%d", w)
		s := stores[w%len(stores)]
		wg.Go(func() {
			for ctx.Err() == nil {
				jobs, err := s.ClaimDueJobs(ctx, owner, now, lease, 3)
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("%s: ClaimDueJobs: %w", owner, err))
					mu.Unlock()
					return
				}
				if len(jobs) == 0 {
					return // the rest are claimed, or being claimed by others
				}
				mu.Lock()
				for _, j := range jobs {
					claimed[j.ID] = append(claimed[j.ID], owner)
					refs[j.Reference] = true
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	if ctx.Err() != nil {
		t.Fatalf("workers did not finish in time")
	}
	for id, owners := range claimed {
		if len(owners) != 1 {
			t.Errorf("job %d claimed by %v while the leases lived, want one claimer", id, owners)
		}
	}
	if len(claimed) != cases || len(refs) != cases {
		t.Fatalf("%d jobs of %d cases claimed, want %d", len(claimed), len(refs), cases)
	}
	if jobs := mustClaimJobs(t, stores[0], now, lease, cases); len(jobs) != 0 {
		t.Fatalf("ClaimDueJobs while every lease lives = %+v, want nothing", jobs)
	}
	again := mustClaimJobs(t, stores[len(stores)-1], now.Add(lease), lease, cases+1)
	if len(again) != cases {
		t.Fatalf("ClaimDueJobs once the leases ran out gave %d jobs, want %d", len(again), cases)
	}
	for _, j := range again {
		if j.Attempts != 2 {
			t.Fatalf("job %d reclaimed with attempts %d, want 2", j.ID, j.Attempts)
		}
		if err := stores[0].CompleteJob(t.Context(), j.ID, "w", nil, nil); err != nil {
			t.Fatalf("CompleteJob: %v", err)
		}
	}
	if refs := mustUnrouted(t, stores[0]); len(refs) != cases {
		t.Fatalf("UnroutedCases after completing every job without a next = %d cases, want %d", len(refs), cases)
	}
}

func testCompleteJob(t *testing.T, s Store) {
	ctx := t.Context()
	c := receivedAt("draft-1", "TL-AAAA-CCCC", t0)
	mustSubmit(t, s, c)
	jobs := mustClaimJobs(t, s, t0, time.Minute, 10)
	if len(jobs) != 1 {
		t.Fatalf("ClaimDueJobs = %+v, want one", jobs)
	}
	for name, next := range map[string]tipline.Job{
		"a negative level": {Reference: c.Reference, Level: -1, RunAt: t0},
		"no time":          {Reference: c.Reference, Level: 1},
		"another case":     {Reference: "TL-XXXX-XXXX", Level: 1, RunAt: t0},
	} {
		if err := s.CompleteJob(ctx, jobs[0].ID, "w", &next, nil); !errors.Is(err, tipline.ErrInvalid) {
			t.Errorf("CompleteJob with a next job of %s: %v, want ErrInvalid", name, err)
		}
	}
	if pending := mustPendingJobs(t, s, c.Reference); len(pending) != 1 || pending[0].ID != jobs[0].ID {
		t.Fatalf("PendingJobs after refused completions = %+v, want the job still there", pending)
	}
	next := &tipline.Job{Reference: c.Reference, Level: 1, RunAt: t0.Add(5 * time.Minute)}
	if err := s.CompleteJob(ctx, jobs[0].ID, "w", next, nil); err != nil {
		t.Fatalf("CompleteJob: %v", err)
	}
	if got := levels(mustPendingJobs(t, s, c.Reference)); !reflect.DeepEqual(got, []string{"1@5m0s"}) {
		t.Fatalf("PendingJobs after CompleteJob = %v, want level 1 at t0+5m", got)
	}
	// Completing again (a second claimer whose lease ran out) adds nothing.
	if err := s.CompleteJob(ctx, jobs[0].ID, "w", next, nil); err != nil {
		t.Fatalf("CompleteJob of a completed job: %v, want nothing", err)
	}
	if got := levels(mustPendingJobs(t, s, c.Reference)); !reflect.DeepEqual(got, []string{"1@5m0s"}) {
		t.Fatalf("PendingJobs after completing again = %v, want level 1 at t0+5m only", got)
	}
	if jobs := mustClaimJobs(t, s, t0.Add(time.Minute), time.Minute, 10); len(jobs) != 0 {
		t.Fatalf("ClaimDueJobs before the next level is due = %+v, want nothing", jobs)
	}
	second := mustClaimJobs(t, s, t0.Add(5*time.Minute), time.Minute, 10)
	if len(second) != 1 || second[0].Level != 1 || second[0].Attempts != 1 {
		t.Fatalf("ClaimDueJobs at t0+5m = %+v, want level 1, attempt 1", second)
	}
	// A job whose case a reviewer took in between ends without a next one.
	rv := mustReviewer(t, s, 5550001, "Sokha")
	if err := s.ScheduleJob(ctx, tipline.Job{Reference: c.Reference, Level: 2, RunAt: t0.Add(6 * time.Minute)}); err != nil {
		t.Fatalf("ScheduleJob: %v", err)
	}
	if first, _, err := s.Acknowledge(ctx, c.Reference, rv.ID, t0.Add(6*time.Minute)); err != nil || !first {
		t.Fatalf("Acknowledge: first %v, %v", first, err)
	}
	if err := s.ScheduleJob(ctx, tipline.Job{Reference: c.Reference, Level: 2, RunAt: t0.Add(7 * time.Minute)}); err != nil {
		t.Fatalf("ScheduleJob of an acknowledged case (an escalation): %v", err)
	}
	third := mustClaimJobs(t, s, t0.Add(7*time.Minute), time.Minute, 10)
	if len(third) != 1 || third[0].Level != 2 {
		t.Fatalf("ClaimDueJobs = %+v, want the level-2 job", third)
	}
	if err := s.CompleteJob(ctx, third[0].ID, "w", &tipline.Job{Level: 3, RunAt: t0.Add(20 * time.Minute)}, nil); err != nil {
		t.Fatalf("CompleteJob of an acknowledged case's job: %v", err)
	}
	if got := mustPendingJobs(t, s, c.Reference); len(got) != 0 {
		t.Fatalf("PendingJobs of an acknowledged case after CompleteJob = %+v, want none", got)
	}
}

func testCompleteJobAcknowledged(t *testing.T, s Store) {
	ctx := t.Context()
	c := receivedAt("draft-1", "TL-AAAA-CCCC", t0)
	mustSubmit(t, s, c)
	rv := mustReviewer(t, s, 5550001, "Sokha")
	jobs := mustClaimJobs(t, s, t0, time.Minute, 10)
	if len(jobs) != 1 {
		t.Fatalf("ClaimDueJobs = %+v, want one", jobs)
	}
	// The reviewer acknowledges while the worker is still sending.
	if first, _, err := s.Acknowledge(ctx, c.Reference, rv.ID, t0.Add(time.Second)); err != nil || !first {
		t.Fatalf("Acknowledge: first %v, %v", first, err)
	}
	if err := s.CompleteJob(ctx, jobs[0].ID, "w", &tipline.Job{Reference: c.Reference, Level: 1, RunAt: t0.Add(5 * time.Minute)}, nil); err != nil {
		t.Fatalf("CompleteJob of a job the acknowledgement removed: %v, want nothing", err)
	}
	if err := s.ReleaseJob(ctx, jobs[0].ID, "w"); err != nil {
		t.Fatalf("ReleaseJob of a job the acknowledgement removed: %v, want nothing", err)
	}
	if got := mustPendingJobs(t, s, c.Reference); len(got) != 0 {
		t.Fatalf("PendingJobs = %+v, want none once acknowledged", got)
	}
	if jobs := mustClaimJobs(t, s, t0.Add(time.Hour), time.Minute, 10); len(jobs) != 0 {
		t.Fatalf("ClaimDueJobs later = %+v, want nothing", jobs)
	}
}

func testUnroutedCases(t *testing.T, s Store) {
	ctx := t.Context()
	lost := receivedAt("draft-1", "TL-AAAA-CCCC", t0)
	routed := receivedAt("draft-2", "TL-AAAA-DDDD", t0.Add(time.Second))
	taken := receivedAt("draft-3", "TL-AAAA-EEEE", t0.Add(2*time.Second))
	for _, c := range []tipline.NewCase{lost, routed, taken} {
		mustSubmit(t, s, c)
	}
	rv := mustReviewer(t, s, 5550001, "Sokha")
	if _, _, err := s.Acknowledge(ctx, taken.Reference, rv.ID, t0); err != nil {
		t.Fatalf("Acknowledge: %v", err)
	}
	jobs := mustClaimJobs(t, s, t0, time.Minute, 1)
	if len(jobs) != 1 || jobs[0].Reference != lost.Reference {
		t.Fatalf("ClaimDueJobs = %+v, want the first case's job", jobs)
	}
	// A bug ends the job without scheduling the next step.
	if err := s.CompleteJob(ctx, jobs[0].ID, "w", nil, nil); err != nil {
		t.Fatalf("CompleteJob: %v", err)
	}
	if got := mustUnrouted(t, s); !reflect.DeepEqual(got, []tipline.Reference{lost.Reference}) {
		t.Fatalf("UnroutedCases = %v, want %s only (the acknowledged one has no job either, but someone has it)", got, lost.Reference)
	}
	if err := s.ScheduleJob(ctx, tipline.Job{Reference: lost.Reference, Level: 2, RunAt: t0.Add(time.Minute)}); err != nil {
		t.Fatalf("ScheduleJob: %v", err)
	}
	if got := mustUnrouted(t, s); len(got) != 0 {
		t.Fatalf("UnroutedCases after ScheduleJob = %v, want none", got)
	}
}

func testScheduleJob(t *testing.T, s Store) {
	ctx := t.Context()
	c := receivedAt("draft-1", "TL-AAAA-CCCC", t0)
	mustSubmit(t, s, c)
	if err := s.ScheduleJob(ctx, tipline.Job{ID: 999, Reference: c.Reference, Level: 2, RunAt: t0.Add(time.Minute), Attempts: 7}); err != nil {
		t.Fatalf("ScheduleJob: %v", err)
	}
	jobs := mustPendingJobs(t, s, c.Reference)
	if got := levels(jobs); !reflect.DeepEqual(got, []string{"0@0s", "2@1m0s"}) || jobs[1].Attempts != 0 || jobs[1].ID == 999 {
		t.Fatalf("PendingJobs = %+v, want level 0 and the new level 2, no attempt", jobs)
	}
	for name, j := range map[string]tipline.Job{
		"a negative level": {Reference: c.Reference, Level: -1, RunAt: t0},
		"no time":          {Reference: c.Reference, Level: 1},
	} {
		if err := s.ScheduleJob(ctx, j); !errors.Is(err, tipline.ErrInvalid) {
			t.Errorf("ScheduleJob with %s: %v, want ErrInvalid", name, err)
		}
	}
	rv := mustReviewer(t, s, 5550001, "Sokha")
	if err := s.CloseCase(ctx, c.Reference, rv.ID, tipline.OutcomeDuplicate, t0); err != nil {
		t.Fatalf("CloseCase: %v", err)
	}
	if err := s.ScheduleJob(ctx, tipline.Job{Reference: c.Reference, Level: 0, RunAt: t0}); !errors.Is(err, tipline.ErrInvalid) {
		t.Fatalf("ScheduleJob of a closed case: %v, want ErrInvalid", err)
	}
}

func testNotifications(t *testing.T, s Store) {
	ctx := t.Context()
	c := receivedAt("draft-1", "TL-AAAA-CCCC", t0)
	mustSubmit(t, s, c)
	a := mustReviewer(t, s, 5550001, "Sokha")
	b := mustReviewer(t, s, 7000000001, "Dara")
	if got, err := s.Notifications(ctx, c.Reference); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("Notifications before any = %#v, %v; want an empty list", got, err)
	}
	want := []tipline.Notification{
		{ReviewerID: b.ID, ChatID: 7000000001, MessageID: 41},
		{ReviewerID: a.ID, ChatID: 5550001, MessageID: 7},
		{ReviewerID: a.ID, ChatID: -1001234567890, MessageID: 8},
	}
	for _, n := range want {
		if err := s.AddNotification(ctx, c.Reference, n); err != nil {
			t.Fatalf("AddNotification: %v", err)
		}
	}
	got, err := s.Notifications(ctx, c.Reference)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Notifications = %+v, %v; want %+v", got, err, want)
	}
	if err := s.AddNotification(ctx, c.Reference, tipline.Notification{ReviewerID: b.ID + 100, ChatID: 1, MessageID: 1}); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("AddNotification for an unknown reviewer: %v, want ErrNotFound", err)
	}
	// Acknowledging keeps them: they are what gets edited to "taken by".
	if _, _, err := s.Acknowledge(ctx, c.Reference, a.ID, t0); err != nil {
		t.Fatalf("Acknowledge: %v", err)
	}
	if got, err := s.Notifications(ctx, c.Reference); err != nil || len(got) != 3 {
		t.Fatalf("Notifications after Acknowledge = %+v, %v; want all three", got, err)
	}
}

func testAcknowledge(t *testing.T, s Store) {
	ctx := t.Context()
	c := receivedAt("draft-1", "TL-AAAA-CCCC", t0)
	c.Reporter = reporterA
	mustSubmit(t, s, c)
	if err := s.ScheduleJob(ctx, tipline.Job{Reference: c.Reference, Level: 2, RunAt: t0.Add(time.Hour)}); err != nil {
		t.Fatalf("ScheduleJob: %v", err)
	}
	a := mustReviewer(t, s, 5550001, "Sokha")
	b := mustReviewer(t, s, 7000000001, "Dara")
	if got := mustCase(t, s, c.Reference); got.Status != tipline.StatusReceived || got.Assignment != (tipline.Assignment{}) {
		t.Fatalf("case before Acknowledge: status %s, assignment %+v; want received, none", got.Status, got.Assignment)
	}

	at := t0.Add(3*time.Minute + 500*time.Microsecond)
	first, by, err := s.Acknowledge(ctx, c.Reference, a.ID, at)
	if err != nil || !first || by != a.ID {
		t.Fatalf("Acknowledge = %v, %d, %v; want first, by %d", first, by, err, a.ID)
	}
	got := mustCase(t, s, c.Reference)
	if want := (tipline.Assignment{ReviewerID: a.ID, AcknowledgedAt: at}); got.Status != tipline.StatusAcknowledged || !sameAssignment(got.Assignment, want) || !got.UpdatedAt.Equal(at) {
		t.Fatalf("case after Acknowledge: status %s, assignment %+v, updated %v; want acknowledged, %+v", got.Status, got.Assignment, got.UpdatedAt, want)
	}
	if jobs := mustPendingJobs(t, s, c.Reference); len(jobs) != 0 {
		t.Fatalf("PendingJobs after Acknowledge = %+v, want none", jobs)
	}
	if list := mustCasesBy(t, s, reporterA); len(list) != 1 || list[0].Status != tipline.StatusAcknowledged {
		t.Fatalf("CasesByReporter after Acknowledge = %+v, want the case acknowledged", list)
	}

	// The second one learns who has it; nothing changes.
	first, by, err = s.Acknowledge(ctx, c.Reference, b.ID, at.Add(time.Minute))
	if err != nil || first || by != a.ID {
		t.Fatalf("second Acknowledge = %v, %d, %v; want not first, by %d", first, by, err, a.ID)
	}
	again := mustCase(t, s, c.Reference)
	if again.Status != got.Status || !sameAssignment(again.Assignment, got.Assignment) || !again.UpdatedAt.Equal(got.UpdatedAt) {
		t.Fatalf("second Acknowledge changed the case: %+v, %v", again.Assignment, again.UpdatedAt)
	}
	wantAudit := []string{"reporter:" + reporterA + " submitted", fmt.Sprintf("reviewer:%d acknowledged", a.ID)}
	events := mustAudit(t, s, c.Reference)
	if got := actions(events); !reflect.DeepEqual(got, wantAudit) {
		t.Fatalf("audit %q, want %q", got, wantAudit)
	}
	if !events[1].At.Equal(at) {
		t.Fatalf("acknowledged at %v in the audit, want %v", events[1].At, at)
	}

	if _, _, err := s.Acknowledge(ctx, "TL-XXXX-XXXX", a.ID, at); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("Acknowledge of an unknown case: %v, want ErrNotFound", err)
	}
	other := receivedAt("draft-2", "TL-AAAA-DDDD", t0)
	mustSubmit(t, s, other)
	if _, _, err := s.Acknowledge(ctx, other.Reference, b.ID+100, at); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("Acknowledge by an unknown reviewer: %v, want ErrNotFound", err)
	}
	if got := mustCase(t, s, other.Reference); got.Status != tipline.StatusReceived {
		t.Fatalf("case after a refused Acknowledge: %s, want received", got.Status)
	}

	// Many reviewers at once: one is first, all learn who.
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		firsts int
		bys    = map[int64]bool{}
	)
	for _, rv := range []int64{a.ID, b.ID, a.ID, b.ID, a.ID, b.ID} {
		wg.Go(func() {
			first, by, err := s.Acknowledge(ctx, other.Reference, rv, at)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("Acknowledge at once: %v", err)
			}
			if first {
				firsts++
			}
			bys[by] = true
		})
	}
	wg.Wait()
	if firsts != 1 || len(bys) != 1 {
		t.Fatalf("Acknowledge at once: %d first, reviewers %v; want one first and one reviewer named to all", firsts, bys)
	}
}

func testEscalate(t *testing.T, s Store) {
	ctx := t.Context()
	c := receivedAt("draft-1", "TL-AAAA-CCCC", t0)
	mustSubmit(t, s, c)
	rv := mustReviewer(t, s, 5550001, "Sokha")
	now := t0.Add(2 * time.Minute)
	if err := s.Escalate(ctx, c.Reference, rv.ID, 2, now); err != nil {
		t.Fatalf("Escalate: %v", err)
	}
	if got := levels(mustPendingJobs(t, s, c.Reference)); !reflect.DeepEqual(got, []string{"2@2m0s"}) {
		t.Fatalf("PendingJobs after Escalate = %v, want only level 2 now", got)
	}
	jobs := mustClaimJobs(t, s, now, time.Minute, 10)
	if len(jobs) != 1 || jobs[0].Level != 2 {
		t.Fatalf("ClaimDueJobs after Escalate = %+v, want the level-2 job", jobs)
	}
	got := mustCase(t, s, c.Reference)
	if got.Status != tipline.StatusReceived || got.Assignment != (tipline.Assignment{}) {
		t.Fatalf("case after Escalate: status %s, assignment %+v; want received, none", got.Status, got.Assignment)
	}
	if events := actions(mustAudit(t, s, c.Reference)); events[len(events)-1] != fmt.Sprintf("reviewer:%d escalated", rv.ID) {
		t.Fatalf("audit %q, want escalated last", events)
	}
	if err := s.Escalate(ctx, c.Reference, rv.ID, -1, now); !errors.Is(err, tipline.ErrInvalid) {
		t.Fatalf("Escalate to a negative level: %v, want ErrInvalid", err)
	}
	if err := s.Escalate(ctx, c.Reference, rv.ID+100, 2, now); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("Escalate by an unknown reviewer: %v, want ErrNotFound", err)
	}
	if err := s.CloseCase(ctx, c.Reference, rv.ID, tipline.OutcomeFalse, now); err != nil {
		t.Fatalf("CloseCase: %v", err)
	}
	if err := s.Escalate(ctx, c.Reference, rv.ID, 2, now); !errors.Is(err, tipline.ErrInvalid) {
		t.Fatalf("Escalate of a closed case: %v, want ErrInvalid", err)
	}
	if jobs := mustPendingJobs(t, s, c.Reference); len(jobs) != 0 {
		t.Fatalf("PendingJobs of a closed case = %+v, want none", jobs)
	}
}

func testNotes(t *testing.T, s Store) {
	ctx := t.Context()
	c := receivedAt("draft-1", "TL-AAAA-CCCC", t0)
	mustSubmit(t, s, c)
	if got, err := s.Notes(ctx, c.Reference); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("Notes before any = %#v, %v; want an empty list", got, err)
	}
	want := []tipline.Note{
		{Author: "reviewer:1", Kind: tipline.NoteInternal, Text: "called the partner in Siem Reap", At: t0.Add(time.Minute + 7*time.Microsecond)},
		{Author: "reviewer:1", Kind: tipline.NoteToReporter, Text: "Can you tell us the colour of the door?", At: t0.Add(2 * time.Minute)},
		{Author: "reporter", Kind: tipline.NoteFromReporter, Text: "blue, with a red gate", At: t0.Add(3 * time.Minute)},
	}
	for _, n := range want {
		if err := s.AddNote(ctx, c.Reference, n); err != nil {
			t.Fatalf("AddNote: %v", err)
		}
	}
	got, err := s.Notes(ctx, c.Reference)
	if err != nil || len(got) != len(want) {
		t.Fatalf("Notes = %+v, %v; want %+v", got, err, want)
	}
	for i := range want {
		if got[i].Author != want[i].Author || got[i].Kind != want[i].Kind || got[i].Text != want[i].Text || !got[i].At.Equal(want[i].At) {
			t.Fatalf("note %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	got[0].Text = "changed"
	if again, _ := s.Notes(ctx, c.Reference); again[0].Text != want[0].Text {
		t.Fatalf("stored note changed through a caller's copy")
	}
	wantAudit := []string{"reporter:" + c.Reporter + " submitted", "reviewer:1 note_added", "reviewer:1 note_added", "reporter note_added"}
	events := mustAudit(t, s, c.Reference)
	if got := actions(events); !reflect.DeepEqual(got, wantAudit) {
		t.Fatalf("audit %q, want %q", got, wantAudit)
	}
	if !events[3].At.Equal(want[2].At) {
		t.Fatalf("note_added at %v, want the note's time %v", events[3].At, want[2].At)
	}

	before := time.Now().Add(-time.Minute)
	if err := s.AddNote(ctx, c.Reference, tipline.Note{Author: "reviewer:1", Kind: tipline.NoteInternal, Text: "no time given"}); err != nil {
		t.Fatalf("AddNote without a time: %v", err)
	}
	if got, _ := s.Notes(ctx, c.Reference); got[3].At.Before(before) {
		t.Fatalf("note without a time stored at %v, want now", got[3].At)
	}
	for name, n := range map[string]tipline.Note{
		"no author":    {Kind: tipline.NoteInternal, Text: "x"},
		"unknown kind": {Author: "reviewer:1", Kind: "gossip", Text: "x"},
		"no words":     {Author: "reviewer:1", Kind: tipline.NoteInternal},
	} {
		if err := s.AddNote(ctx, c.Reference, n); !errors.Is(err, tipline.ErrInvalid) {
			t.Errorf("AddNote with %s: %v, want ErrInvalid", name, err)
		}
	}
	if got, _ := s.Notes(ctx, c.Reference); len(got) != 4 {
		t.Fatalf("%d notes after refused ones, want 4", len(got))
	}
}

func testCloseReopen(t *testing.T, s Store) {
	ctx := t.Context()
	c := receivedAt("draft-1", "TL-AAAA-CCCC", t0)
	c.Reporter = reporterA
	mustSubmit(t, s, c)
	a := mustReviewer(t, s, 5550001, "Sokha")
	b := mustReviewer(t, s, 7000000001, "Dara")
	ackAt, closeAt, reopenAt := t0.Add(time.Minute), t0.Add(time.Hour), t0.Add(2*time.Hour)
	if _, _, err := s.Acknowledge(ctx, c.Reference, a.ID, ackAt); err != nil {
		t.Fatalf("Acknowledge: %v", err)
	}
	if err := s.ScheduleJob(ctx, tipline.Job{Reference: c.Reference, Level: 2, RunAt: closeAt}); err != nil {
		t.Fatalf("ScheduleJob: %v", err)
	}
	if err := s.CloseCase(ctx, c.Reference, a.ID, "arrested", closeAt); !errors.Is(err, tipline.ErrInvalid) {
		t.Fatalf("CloseCase with an unknown outcome: %v, want ErrInvalid", err)
	}
	if err := s.CloseCase(ctx, c.Reference, b.ID, tipline.OutcomePolice, closeAt); err != nil {
		t.Fatalf("CloseCase: %v", err)
	}
	got := mustCase(t, s, c.Reference)
	want := tipline.Assignment{ReviewerID: a.ID, AcknowledgedAt: ackAt, Outcome: tipline.OutcomePolice, ClosedAt: closeAt}
	if got.Status != tipline.StatusClosed || !sameAssignment(got.Assignment, want) {
		t.Fatalf("case after CloseCase: status %s, assignment %+v; want closed, %+v", got.Status, got.Assignment, want)
	}
	if jobs := mustPendingJobs(t, s, c.Reference); len(jobs) != 0 {
		t.Fatalf("PendingJobs of a closed case = %+v, want none", jobs)
	}
	if list := mustCasesBy(t, s, reporterA); len(list) != 1 || list[0].Status != tipline.StatusClosed {
		t.Fatalf("CasesByReporter after CloseCase = %+v, want the case closed", list)
	}
	// Closing again, with another outcome, is refused and changes nothing:
	// a closed case is inert until reopened.
	if err := s.CloseCase(ctx, c.Reference, a.ID, tipline.OutcomeFalse, closeAt.Add(time.Minute)); !errors.Is(err, tipline.ErrClosed) {
		t.Fatalf("CloseCase again: %v, want ErrClosed", err)
	}
	if got := mustCase(t, s, c.Reference); !sameAssignment(got.Assignment, want) {
		t.Fatalf("second CloseCase changed the assignment to %+v", got.Assignment)
	}
	if first, by, err := s.Acknowledge(ctx, c.Reference, b.ID, closeAt); err != nil || first || by != a.ID {
		t.Fatalf("Acknowledge of a closed case = %v, %d, %v; want not first, by %d", first, by, err, a.ID)
	}

	if err := s.ReopenCase(ctx, c.Reference, b.ID, reopenAt); err != nil {
		t.Fatalf("ReopenCase: %v", err)
	}
	got = mustCase(t, s, c.Reference)
	want = tipline.Assignment{ReviewerID: b.ID, AcknowledgedAt: reopenAt}
	if got.Status != tipline.StatusAcknowledged || !sameAssignment(got.Assignment, want) || !got.UpdatedAt.Equal(reopenAt) {
		t.Fatalf("case after ReopenCase: status %s, assignment %+v; want acknowledged, %+v", got.Status, got.Assignment, want)
	}
	if jobs := mustPendingJobs(t, s, c.Reference); len(jobs) != 0 {
		t.Fatalf("PendingJobs of a reopened case = %+v, want none: someone has it", jobs)
	}
	if refs := mustUnrouted(t, s); len(refs) != 0 {
		t.Fatalf("UnroutedCases = %v, want none", refs)
	}
	// Reopening an open case changes nothing.
	if err := s.ReopenCase(ctx, c.Reference, a.ID, reopenAt.Add(time.Minute)); err != nil {
		t.Fatalf("ReopenCase of an open case: %v", err)
	}
	if got := mustCase(t, s, c.Reference); !sameAssignment(got.Assignment, want) {
		t.Fatalf("ReopenCase of an open case changed the assignment to %+v", got.Assignment)
	}
	wantAudit := []string{
		"reporter:" + reporterA + " submitted",
		fmt.Sprintf("reviewer:%d acknowledged", a.ID),
		fmt.Sprintf("reviewer:%d closed_police", b.ID),
		fmt.Sprintf("reviewer:%d reopened", b.ID),
	}
	events := mustAudit(t, s, c.Reference)
	if got := actions(events); !reflect.DeepEqual(got, wantAudit) {
		t.Fatalf("audit %q, want %q", got, wantAudit)
	}
	if !events[2].At.Equal(closeAt) || !events[3].At.Equal(reopenAt) {
		t.Fatalf("audit times %v, %v; want %v, %v", events[2].At, events[3].At, closeAt, reopenAt)
	}
	if err := s.ReopenCase(ctx, c.Reference, b.ID+100, reopenAt); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("ReopenCase by an unknown reviewer: %v, want ErrNotFound", err)
	}
	if err := s.CloseCase(ctx, c.Reference, b.ID+100, tipline.OutcomePolice, reopenAt); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("CloseCase by an unknown reviewer: %v, want ErrNotFound", err)
	}
	for _, o := range tipline.Outcomes {
		ref := tipline.Reference("TL-CCCC-" + map[tipline.Outcome]string{
			tipline.OutcomePolice: "AAAA", tipline.OutcomePartner: "CCCC", tipline.OutcomeNoAction: "DDDD",
			tipline.OutcomeDuplicate: "EEEE", tipline.OutcomeFalse: "FFFF", tipline.OutcomeFoundSafe: "GGGG",
			tipline.OutcomeFoundHarmed: "HHHH", tipline.OutcomeFoundOther: "JJJJ"}[o])
		mustSubmit(t, s, receivedAt("draft-"+string(o), ref, t0))
		if err := s.CloseCase(ctx, ref, a.ID, o, closeAt); err != nil {
			t.Fatalf("CloseCase with %s: %v", o, err)
		}
		if events := actions(mustAudit(t, s, ref)); events[len(events)-1] != fmt.Sprintf("reviewer:%d closed_%s", a.ID, o) {
			t.Fatalf("audit %q, want closed_%s last", events, o)
		}
	}
}

func testCloseUnacknowledged(t *testing.T, s Store) {
	ctx := t.Context()
	c := receivedAt("draft-1", "TL-AAAA-CCCC", t0)
	mustSubmit(t, s, c)
	rv := mustReviewer(t, s, 5550001, "Sokha")
	at := t0.Add(time.Minute)
	if err := s.CloseCase(ctx, c.Reference, rv.ID, tipline.OutcomeDuplicate, at); err != nil {
		t.Fatalf("CloseCase: %v", err)
	}
	got := mustCase(t, s, c.Reference)
	want := tipline.Assignment{ReviewerID: rv.ID, AcknowledgedAt: at, Outcome: tipline.OutcomeDuplicate, ClosedAt: at}
	if got.Status != tipline.StatusClosed || !sameAssignment(got.Assignment, want) {
		t.Fatalf("case closed without acknowledgement: status %s, assignment %+v; want closed, %+v", got.Status, got.Assignment, want)
	}
	if jobs := mustPendingJobs(t, s, c.Reference); len(jobs) != 0 {
		t.Fatalf("PendingJobs = %+v, want none", jobs)
	}
	if jobs := mustClaimJobs(t, s, t0.Add(time.Hour), time.Minute, 10); len(jobs) != 0 {
		t.Fatalf("ClaimDueJobs = %+v, want nothing for a closed case", jobs)
	}
	if refs := mustUnrouted(t, s); len(refs) != 0 {
		t.Fatalf("UnroutedCases = %v, want none: a closed case is not forgotten", refs)
	}
}

func testQueue(t *testing.T, s Store) {
	ctx := t.Context()
	a := mustReviewer(t, s, 5550001, "Sokha")
	b := mustReviewer(t, s, 7000000001, "Dara")
	submit := func(draft string, ref tipline.Reference, urgency tipline.Urgency, at time.Duration) {
		c := receivedAt(draft, ref, t0.Add(at))
		c.Urgency = urgency
		mustSubmit(t, s, c)
	}
	submit("d1", "TL-AAAA-AAAA", tipline.UrgencyNormal, 1*time.Minute) // waiting, oldest normal
	submit("d2", "TL-AAAA-CCCC", tipline.UrgencyUrgent, 5*time.Minute) // waiting, newer urgent
	submit("d3", "TL-AAAA-DDDD", tipline.UrgencyUrgent, 2*time.Minute) // waiting, older urgent
	submit("d4", "TL-AAAA-EEEE", tipline.UrgencyNormal, 3*time.Minute) // waiting, newer normal
	submit("d5", "TL-AAAA-FFFF", tipline.UrgencyUrgent, 0)             // a's, taken first
	submit("d6", "TL-AAAA-GGGG", tipline.UrgencyNormal, 0)             // a's, taken last
	submit("d7", "TL-AAAA-HHHH", tipline.UrgencyUrgent, 0)             // b's
	submit("d8", "TL-AAAA-JJJJ", tipline.UrgencyUrgent, 0)             // closed
	ack := func(ref tipline.Reference, rv int64, at time.Duration) {
		t.Helper()
		if _, _, err := s.Acknowledge(ctx, ref, rv, t0.Add(at)); err != nil {
			t.Fatalf("Acknowledge: %v", err)
		}
	}
	ack("TL-AAAA-FFFF", a.ID, 10*time.Minute)
	ack("TL-AAAA-GGGG", a.ID, 20*time.Minute)
	ack("TL-AAAA-HHHH", b.ID, 15*time.Minute)
	ack("TL-AAAA-JJJJ", a.ID, 30*time.Minute)
	if err := s.CloseCase(ctx, "TL-AAAA-JJJJ", a.ID, tipline.OutcomePartner, t0.Add(40*time.Minute)); err != nil {
		t.Fatalf("CloseCase: %v", err)
	}

	waiting := []tipline.Reference{"TL-AAAA-DDDD", "TL-AAAA-CCCC", "TL-AAAA-AAAA", "TL-AAAA-EEEE"}
	for _, tc := range []struct {
		reviewer int64
		want     []tipline.Reference
	}{
		{a.ID, append(waiting[:4:4], "TL-AAAA-GGGG", "TL-AAAA-FFFF")},
		{b.ID, append(waiting[:4:4], "TL-AAAA-HHHH")},
		{b.ID + 100, waiting},
	} {
		got, err := s.Queue(ctx, tc.reviewer)
		if err != nil {
			t.Fatalf("Queue(%d): %v", tc.reviewer, err)
		}
		if refs := references(got); !reflect.DeepEqual(refs, tc.want) {
			t.Errorf("Queue(%d) = %v, want %v", tc.reviewer, refs, tc.want)
		}
		for _, cs := range got {
			if cs.CreatedAt.IsZero() || cs.Kind != tipline.KindTip ||
				(cs.Status != tipline.StatusReceived && cs.Status != tipline.StatusAcknowledged) {
				t.Errorf("Queue(%d) summary %+v, want a kind, a status and a time", tc.reviewer, cs)
			}
		}
	}
	if got, err := s.Queue(ctx, a.ID); err != nil || got[0].Urgency != tipline.UrgencyUrgent || got[0].Status != tipline.StatusReceived || got[5].Status != tipline.StatusAcknowledged {
		t.Fatalf("Queue summaries %+v, %v; want urgency and status filled", got, err)
	}
	// Reopening puts the case back in the reopener's queue.
	if err := s.ReopenCase(ctx, "TL-AAAA-JJJJ", b.ID, t0.Add(time.Hour)); err != nil {
		t.Fatalf("ReopenCase: %v", err)
	}
	if got, _ := s.Queue(ctx, b.ID); !reflect.DeepEqual(references(got), append(waiting[:4:4], "TL-AAAA-JJJJ", "TL-AAAA-HHHH")) {
		t.Fatalf("Queue of the reopener = %v, want the reopened case first among theirs", references(got))
	}
}

func testReviewNotFound(t *testing.T, s Store) {
	ctx := t.Context()
	const ref tipline.Reference = "TL-XXXX-XXXX"
	rv := mustReviewer(t, s, 5550001, "Sokha")
	if err := s.ScheduleJob(ctx, tipline.Job{Reference: ref, Level: 0, RunAt: t0}); !errors.Is(err, tipline.ErrNotFound) {
		t.Errorf("ScheduleJob: %v, want ErrNotFound", err)
	}
	if err := s.AddNotification(ctx, ref, tipline.Notification{ReviewerID: rv.ID, ChatID: 1, MessageID: 1}); !errors.Is(err, tipline.ErrNotFound) {
		t.Errorf("AddNotification: %v, want ErrNotFound", err)
	}
	if _, err := s.Notifications(ctx, ref); !errors.Is(err, tipline.ErrNotFound) {
		t.Errorf("Notifications: %v, want ErrNotFound", err)
	}
	if err := s.Escalate(ctx, ref, rv.ID, 2, t0); !errors.Is(err, tipline.ErrNotFound) {
		t.Errorf("Escalate: %v, want ErrNotFound", err)
	}
	if err := s.AddNote(ctx, ref, tipline.Note{Author: "reviewer:1", Kind: tipline.NoteInternal, Text: "x"}); !errors.Is(err, tipline.ErrNotFound) {
		t.Errorf("AddNote: %v, want ErrNotFound", err)
	}
	if _, err := s.Notes(ctx, ref); !errors.Is(err, tipline.ErrNotFound) {
		t.Errorf("Notes: %v, want ErrNotFound", err)
	}
	if err := s.CloseCase(ctx, ref, rv.ID, tipline.OutcomePolice, t0); !errors.Is(err, tipline.ErrNotFound) {
		t.Errorf("CloseCase: %v, want ErrNotFound", err)
	}
	if err := s.ReopenCase(ctx, ref, rv.ID, t0); !errors.Is(err, tipline.ErrNotFound) {
		t.Errorf("ReopenCase: %v, want ErrNotFound", err)
	}
	if got, err := s.Queue(ctx, rv.ID); err != nil || got == nil || len(got) != 0 {
		t.Errorf("Queue of an empty store = %#v, %v; want an empty list", got, err)
	}
	if got := mustUnrouted(t, s); len(got) != 0 {
		t.Errorf("UnroutedCases of an empty store = %v, want none", got)
	}
	if jobs := mustClaimJobs(t, s, t0, time.Minute, 10); len(jobs) != 0 {
		t.Errorf("ClaimDueJobs of an empty store = %+v, want none", jobs)
	}
}

func mustTimeline(t *testing.T, s Store, ref tipline.Reference) []tipline.Event {
	t.Helper()
	events, err := s.Timeline(t.Context(), ref)
	if err != nil {
		t.Fatalf("Timeline(%s): %v", ref, err)
	}
	return events
}
