package storagetest

import (
	"errors"
	"reflect"
	"testing"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// Contract tests of storing less: the reporter's chat id kept only while
// they allow contact, and a reporter found under every pseudonym the key
// ring makes for them (before and after a key rotation).

// privacyTests are added to RunContract's.
var privacyTests = []struct {
	name string
	run  func(t *testing.T, s Store)
}{
	{"NoChatIDWithoutContact", testNoChatWithoutContact},
	{"ClosingDeletesChatID", testCloseDeletesChat},
	{"WithdrawContact", testWithdrawContact},
	{"PseudonymsAcrossTheKeyRing", testRingPseudonyms},
	{"Reassign", testReassign},
	{"DisablingSendsCasesBackToRouting", testDisableReturnsCases},
	{"AdditionsPerCasePerDay", testAdditionLimits},
	{"AdditionsPerReporterPerDay", testReporterAdditionLimits},
	{"FilesFetchedPerReporterPerDay", testReporterFetchLimit},
	{"FailedDownloadsWaitAndGiveUp", testFetchFailures},
}

// The same reporter's pseudonym under the current key and under a previous
// one, as keys.Ring.Pseudonyms gives them.
const (
	reporterNow    = "cccc2222cccc2222cccc2222cccc2222"
	reporterBefore = "dddd3333dddd3333dddd3333dddd3333"
)

func testNoChatWithoutContact(t *testing.T, s Store) {
	c := sampleCase("draft-1", "TL-AAAA-CCCC")
	c.ContactAllowed = false
	mustSubmit(t, s, c)
	got := mustCase(t, s, c.Reference)
	if got.ReporterChatID != 0 || got.ContactAllowed {
		t.Fatalf("case of a reporter who declined contact: chat %d, contact %v; want no chat id kept", got.ReporterChatID, got.ContactAllowed)
	}
	allowed := sampleCase("draft-2", "TL-AAAA-DDDD")
	mustSubmit(t, s, allowed)
	if got := mustCase(t, s, allowed.Reference); got.ReporterChatID != allowed.ReporterChatID || !got.ContactAllowed {
		t.Fatalf("case of a reporter who allowed contact: chat %d, contact %v; want %d, true", got.ReporterChatID, got.ContactAllowed, allowed.ReporterChatID)
	}
}

func testCloseDeletesChat(t *testing.T, s Store) {
	rv := mustReviewer(t, s, 5550001, "Sokha")
	c := sampleCase("draft-1", "TL-AAAA-CCCC")
	mustSubmit(t, s, c)
	mustClose(t, s, c.Reference, rv.ID, t0)
	if got := mustCase(t, s, c.Reference); got.ReporterChatID != 0 {
		t.Fatalf("closed case still holds the reporter's chat id %d", got.ReporterChatID)
	}
	if err := s.ReopenCase(t.Context(), c.Reference, rv.ID, t0.Add(day)); err != nil {
		t.Fatalf("ReopenCase: %v", err)
	}
	if got := mustCase(t, s, c.Reference); got.ReporterChatID != 0 {
		t.Fatalf("reopened case got the reporter's chat id back: %d", got.ReporterChatID)
	}
}

func testWithdrawContact(t *testing.T, s Store) {
	ctx := t.Context()
	c := caseBy("draft-1", "TL-AAAA-CCCC", reporterBefore)
	mustSubmit(t, s, c)
	other := caseBy("draft-2", "TL-AAAA-DDDD", reporterB)
	mustSubmit(t, s, other)

	for name, err := range map[string]error{
		"someone else's case": s.WithdrawContact(ctx, other.Reference, reporterNow, reporterBefore),
		"an unknown case":     s.WithdrawContact(ctx, "TL-XXXX-XXXX", reporterNow),
		"no pseudonym":        s.WithdrawContact(ctx, c.Reference),
		"an empty pseudonym":  s.WithdrawContact(ctx, c.Reference, ""),
	} {
		if !errors.Is(err, tipline.ErrNotFound) {
			t.Errorf("WithdrawContact on %s: %v, want ErrNotFound", name, err)
		}
	}
	if list := mustCasesBy2(t, s, reporterBefore); len(list) != 1 || !list[0].ContactAllowed {
		t.Fatalf("My reports before WithdrawContact = %+v, want the case with contact allowed", list)
	}
	if got := mustCase(t, s, other.Reference); !got.ContactAllowed || got.ReporterChatID == 0 {
		t.Fatalf("someone else's case lost its contact")
	}

	// The case is under the pseudonym of a previous key: still theirs.
	if err := s.WithdrawContact(ctx, c.Reference, reporterNow, reporterBefore); err != nil {
		t.Fatalf("WithdrawContact: %v", err)
	}
	got := mustCase(t, s, c.Reference)
	if list := mustCasesBy2(t, s, reporterBefore); len(list) != 1 || list[0].ContactAllowed {
		t.Fatalf("My reports after WithdrawContact = %+v, want the case without contact", list)
	}
	if got.ContactAllowed || got.ReporterChatID != 0 {
		t.Fatalf("after WithdrawContact: contact %v, chat %d; want false, none", got.ContactAllowed, got.ReporterChatID)
	}
	if got.Reporter != reporterBefore {
		t.Fatalf("WithdrawContact changed the reporter to %q", got.Reporter)
	}
	want := []string{"reporter:" + reporterBefore + " " + storage.ActionSubmitted, "reporter:" + reporterBefore + " " + storage.ActionContactWithdrawn}
	if got := actions(mustAudit(t, s, c.Reference)); !reflect.DeepEqual(got, want) {
		t.Fatalf("audit %q, want %q", got, want)
	}
	if err := s.WithdrawContact(ctx, c.Reference, reporterBefore); err != nil {
		t.Fatalf("WithdrawContact again: %v", err)
	}
	if got := actions(mustAudit(t, s, c.Reference)); len(got) != 2 {
		t.Fatalf("withdrawing twice recorded %q, want one event", got)
	}
}

func testRingPseudonyms(t *testing.T, s Store) {
	ctx := t.Context()
	rv := mustReviewer(t, s, 5550001, "Sokha")
	before := caseBy("draft-1", "TL-AAAA-CCCC", reporterBefore) // before the key rotation
	mustSubmit(t, s, before)
	now := caseBy("draft-2", "TL-AAAA-DDDD", reporterNow) // after it
	mustSubmit(t, s, now)
	theirs := caseBy("draft-3", "TL-AAAA-EEEE", reporterB)
	mustSubmit(t, s, theirs)

	got := mustCasesBy2(t, s, reporterNow, reporterBefore)
	if want := []tipline.Reference{now.Reference, before.Reference}; !sameRefs(references(got), want) {
		t.Fatalf("CasesByReporter under both pseudonyms = %v, want %v", references(got), want)
	}

	// Blocked before the rotation: still blocked after it.
	if err := BlockReporter(ctx, s, before.Reference, rv.ID, t0); err != nil {
		t.Fatalf("BlockReporter: %v", err)
	}
	if blocked, err := s.IsBlocked(ctx, reporterNow, reporterBefore); err != nil || !blocked {
		t.Fatalf("IsBlocked under both pseudonyms = %v, %v; want true", blocked, err)
	}
	if blocked, err := s.IsBlocked(ctx, reporterB, ""); err != nil || blocked {
		t.Fatalf("IsBlocked of another reporter = %v, %v; want false", blocked, err)
	}

	// Forget unlinks the cases under every pseudonym.
	n, err := s.Forget(ctx, reporterNow, reporterBefore)
	if err != nil {
		t.Fatalf("Forget: %v", err)
	}
	if n != 2 {
		t.Fatalf("Forget unlinked %d cases, want 2", n)
	}
	for _, ref := range []tipline.Reference{before.Reference, now.Reference} {
		if c := mustCase(t, s, ref); c.Reporter != "" || c.ReporterChatID != 0 {
			t.Fatalf("case %s after Forget: reporter %q, chat %d; want none", ref, c.Reporter, c.ReporterChatID)
		}
	}
	if got := mustCasesBy2(t, s, reporterNow, reporterBefore); len(got) != 0 {
		t.Fatalf("CasesByReporter after Forget = %v, want none", references(got))
	}
	if c := mustCase(t, s, theirs.Reference); c.Reporter != reporterB {
		t.Fatalf("another reporter's case was unlinked")
	}
}

func mustCasesBy2(t *testing.T, s Store, pseudonyms ...string) []tipline.CaseSummary {
	t.Helper()
	got, err := s.CasesByReporter(t.Context(), pseudonyms...)
	if err != nil {
		t.Fatalf("CasesByReporter: %v", err)
	}
	return got
}

// sameRefs tells whether a and b hold the same references, in any order
// (cases submitted in the same instant may come in either order).
func sameRefs(a, b []tipline.Reference) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[tipline.Reference]int{}
	for _, r := range a {
		seen[r]++
	}
	for _, r := range b {
		seen[r]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}
