package storagetest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// Contract tests of retention (warning, deleting closed cases, purging the
// inbox and the audit trail), of blocking reporters and of the semantics
// of key rotation both stores share.

// retentionTests are added to RunContract's.
var retentionTests = []struct {
	name string
	run  func(t *testing.T, s Store)
}{
	{"CasesToWarn", testCasesToWarn},
	{"DeleteClosedCases", testDeleteClosedCases},
	{"DeleteClosedCasesInBatches", testDeleteClosedInBatches},
	{"PurgeInbox", testPurgeInbox},
	{"PurgeAudit", testPurgeAudit},
	{"BlockReporter", testBlockReporter},
	{"BlockOutlivesForgetAndDeletion", testBlockForgotten},
	{"RekeyWithNothingOld", testRekeyNothingOld},
}

// retention is the period tests keep closed cases for.
const retention = 90 * 24 * time.Hour

const day = 24 * time.Hour

func mustClose(t *testing.T, s Store, ref tipline.Reference, reviewerID int64, at time.Time) {
	t.Helper()
	if err := s.CloseCase(t.Context(), ref, reviewerID, tipline.OutcomePolice, at); err != nil {
		t.Fatalf("CloseCase(%s): %v", ref, err)
	}
}

func mustWarnings(t *testing.T, s Store, warnBefore time.Time) []tipline.RetentionWarning {
	t.Helper()
	got, err := s.CasesToWarn(t.Context(), warnBefore)
	if err != nil {
		t.Fatalf("CasesToWarn: %v", err)
	}
	if got == nil {
		t.Fatalf("CasesToWarn gave nil, want a list")
	}
	return got
}

// warned lists warnings as "reference reviewer closed-at (after t0)".
func warned(ws []tipline.RetentionWarning) []string {
	out := []string{}
	for _, w := range ws {
		out = append(out, string(w.Reference)+" "+strconv.FormatInt(w.ReviewerID, 10)+" "+w.ClosedAt.Sub(t0).String())
	}
	return out
}

func mustDeleteClosed(t *testing.T, s Store, cutoff time.Time, limit int) []tipline.Reference {
	t.Helper()
	got, err := s.DeleteClosedCases(t.Context(), cutoff, limit)
	if err != nil {
		t.Fatalf("DeleteClosedCases: %v", err)
	}
	if got == nil {
		t.Fatalf("DeleteClosedCases gave nil, want a list")
	}
	return got
}

func testCasesToWarn(t *testing.T, s Store) {
	ctx := t.Context()
	rv := mustReviewer(t, s, 5550001, "Sokha")
	other := mustReviewer(t, s, 5550002, "Dara")
	early := receivedAt("draft-1", "TL-AAAA-CCCC", t0)
	late := receivedAt("draft-2", "TL-AAAA-DDDD", t0)
	open := receivedAt("draft-3", "TL-AAAA-EEEE", t0.Add(-365*day))
	for _, c := range []tipline.NewCase{early, late, open} {
		mustSubmit(t, s, c)
	}
	if _, _, err := s.Acknowledge(ctx, early.Reference, other.ID, t0); err != nil {
		t.Fatalf("Acknowledge: %v", err)
	}
	mustClose(t, s, early.Reference, rv.ID, t0.Add(time.Hour))
	mustClose(t, s, late.Reference, rv.ID, t0.Add(25*time.Hour))

	if got := warned(mustWarnings(t, s, t0.Add(time.Hour))); len(got) != 0 {
		t.Fatalf("CasesToWarn at the closing time = %q, want none (closed before, strictly)", got)
	}
	// The reviewer to warn is the one who had the case.
	want := []string{"TL-AAAA-CCCC " + strconv.FormatInt(other.ID, 10) + " 1h0m0s"}
	if got := warned(mustWarnings(t, s, t0.Add(2*time.Hour))); !reflect.DeepEqual(got, want) {
		t.Fatalf("CasesToWarn = %q, want %q", got, want)
	}
	all := t0.Add(30 * day)
	want = append(want, "TL-AAAA-DDDD "+strconv.FormatInt(rv.ID, 10)+" 25h0m0s")
	if got := warned(mustWarnings(t, s, all)); !reflect.DeepEqual(got, want) {
		t.Fatalf("CasesToWarn = %q, want %q (earliest closed first; open cases never)", got, want)
	}

	if err := s.MarkRetentionWarned(ctx, early.Reference, t0.Add(3*time.Hour)); err != nil {
		t.Fatalf("MarkRetentionWarned: %v", err)
	}
	if err := s.MarkRetentionWarned(ctx, early.Reference, t0.Add(4*time.Hour)); err != nil {
		t.Fatalf("MarkRetentionWarned again: %v", err)
	}
	if err := s.MarkRetentionWarned(ctx, "TL-XXXX-XXXX", t0); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("MarkRetentionWarned of an unknown case: %v, want ErrNotFound", err)
	}
	want = want[1:]
	if got := warned(mustWarnings(t, s, all)); !reflect.DeepEqual(got, want) {
		t.Fatalf("CasesToWarn after marking = %q, want %q", got, want)
	}

	// Reopened, the case is no longer due; closed again, its period starts
	// again and its reviewer is to be warned again.
	if err := s.ReopenCase(ctx, early.Reference, rv.ID, t0.Add(5*time.Hour)); err != nil {
		t.Fatalf("ReopenCase: %v", err)
	}
	if got := warned(mustWarnings(t, s, all)); !reflect.DeepEqual(got, want) {
		t.Fatalf("CasesToWarn after reopening = %q, want %q", got, want)
	}
	mustClose(t, s, early.Reference, rv.ID, t0.Add(48*time.Hour))
	want = append(want, "TL-AAAA-CCCC "+strconv.FormatInt(rv.ID, 10)+" 48h0m0s")
	if got := warned(mustWarnings(t, s, all)); !reflect.DeepEqual(got, want) {
		t.Fatalf("CasesToWarn after closing again = %q, want %q", got, want)
	}
}

func testDeleteClosedCases(t *testing.T, s Store) {
	ctx := t.Context()
	rv := mustReviewer(t, s, 5550001, "Sokha")
	old := caseBy("draft-old", "TL-AAAA-CCCC", reporterA)
	later := caseBy("draft-later", "TL-AAAA-DDDD", reporterA)
	stale := receivedAt("draft-stale", "TL-AAAA-EEEE", t0.Add(-3*365*day)) // never acknowledged
	held := receivedAt("draft-held", "TL-AAAA-FFFF", t0.Add(-3*365*day))   // acknowledged, never closed
	for _, c := range []tipline.NewCase{old, later, stale, held} {
		mustSubmit(t, s, c)
	}
	mustAddOnce(t, s, old.Reference, "upd:1", tipline.Addition{Actor: "reporter:" + reporterA, Text: "the van is white",
		Attachments: []tipline.Attachment{{Kind: tipline.AttachPhoto, FileID: "file-add-1", FileUniqueID: "uniq-add-1"}}})
	for _, uniq := range []string{"uniq-photo-1", "uniq-add-1"} {
		if err := s.SaveAttachmentContent(ctx, old.Reference, uniq, []byte("bytes of "+uniq)); err != nil {
			t.Fatalf("SaveAttachmentContent: %v", err)
		}
	}
	if err := s.AddNotification(ctx, old.Reference, tipline.Notification{ReviewerID: rv.ID, ChatID: 5550001, MessageID: 7}); err != nil {
		t.Fatalf("AddNotification: %v", err)
	}
	if err := s.AddNote(ctx, old.Reference, tipline.Note{Author: "reviewer:1", Kind: tipline.NoteInternal, Text: "called the partner", At: t0}); err != nil {
		t.Fatalf("AddNote: %v", err)
	}
	if _, _, err := s.Acknowledge(ctx, held.Reference, rv.ID, t0.Add(-3*365*day)); err != nil {
		t.Fatalf("Acknowledge: %v", err)
	}
	mustClose(t, s, old.Reference, rv.ID, t0)
	mustClose(t, s, later.Reference, rv.ID, t0.Add(day))

	now := t0.Add(retention + time.Hour)
	if got := mustDeleteClosed(t, s, now.Add(-retention), 10); !reflect.DeepEqual(got, []tipline.Reference{old.Reference}) {
		t.Fatalf("DeleteClosedCases = %v, want only %s (closed past the period)", got, old.Reference)
	}
	if got := mustDeleteClosed(t, s, now.Add(-retention), 10); len(got) != 0 {
		t.Fatalf("DeleteClosedCases again = %v, want nothing", got)
	}

	// Nothing of the deleted case can be found any more.
	notFound := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, tipline.ErrNotFound) {
			t.Errorf("%s of a deleted case: %v, want ErrNotFound", what, err)
		}
	}
	_, err := s.Case(ctx, old.Reference)
	notFound("Case", err)
	_, err = s.Audit(ctx, old.Reference)
	notFound("Audit", err)
	_, err = s.Notes(ctx, old.Reference)
	notFound("Notes", err)
	_, err = s.Notifications(ctx, old.Reference)
	notFound("Notifications", err)
	if jobs := mustPendingJobs(t, s, old.Reference); len(jobs) != 0 {
		t.Errorf("jobs of a deleted case: %+v, want none", jobs)
	}
	for _, uniq := range []string{"uniq-photo-1", "uniq-add-1"} {
		_, err = s.AttachmentContent(ctx, old.Reference, uniq)
		notFound("AttachmentContent", err)
	}
	_, err = s.CaseByFollowUp(ctx, old.FollowUpHash)
	notFound("CaseByFollowUp", err)
	notFound("AddNote", s.AddNote(ctx, old.Reference, tipline.Note{Author: "reviewer:1", Kind: tipline.NoteInternal, Text: "x"}))
	notFound("MarkRetentionWarned", s.MarkRetentionWarned(ctx, old.Reference, now))
	if got := references(mustCasesBy(t, s, reporterA)); !reflect.DeepEqual(got, []tipline.Reference{later.Reference}) {
		t.Errorf("CasesByReporter after deleting = %v, want only %s", got, later.Reference)
	}
	pending, err := s.AttachmentsToFetch(ctx, 100)
	if err != nil {
		t.Fatalf("AttachmentsToFetch: %v", err)
	}
	for _, pa := range pending {
		if pa.Reference == old.Reference {
			t.Errorf("AttachmentsToFetch lists %+v of a deleted case", pa)
		}
	}
	if got := warned(mustWarnings(t, s, now)); len(got) != 1 || got[0][:12] != string(later.Reference) {
		t.Errorf("CasesToWarn after deleting = %q, want only %s", got, later.Reference)
	}

	// The case closed a day later, and open cases, stay.
	for _, ref := range []tipline.Reference{later.Reference, stale.Reference, held.Reference} {
		mustCase(t, s, ref)
	}
	if jobs := mustPendingJobs(t, s, stale.Reference); len(jobs) != 1 {
		t.Errorf("jobs of an open case after deleting others = %v, want its first", jobs)
	}
	// However late, open cases are never deleted.
	if got := mustDeleteClosed(t, s, t0.Add(100*365*day), 10); !reflect.DeepEqual(got, []tipline.Reference{later.Reference}) {
		t.Fatalf("DeleteClosedCases much later = %v, want only %s", got, later.Reference)
	}
	for _, ref := range []tipline.Reference{stale.Reference, held.Reference} {
		mustCase(t, s, ref)
	}
	// A draft whose case was deleted is a new case if it comes again.
	mustSubmit(t, s, old)
}

func testDeleteClosedInBatches(t *testing.T, s Store) {
	rv := mustReviewer(t, s, 5550001, "Sokha")
	refs := []tipline.Reference{"TL-AAAA-CCCC", "TL-AAAA-DDDD", "TL-AAAA-EEEE"}
	for i, ref := range refs {
		mustSubmit(t, s, receivedAt("draft-"+string(ref), ref, t0))
		// Closed in the opposite order of submission.
		mustClose(t, s, ref, rv.ID, t0.Add(time.Duration(len(refs)-i)*time.Minute))
	}
	cutoff := t0.Add(time.Hour)
	if got := mustDeleteClosed(t, s, cutoff, 0); len(got) != 0 {
		t.Fatalf("DeleteClosedCases with limit 0 = %v, want nothing", got)
	}
	if got, want := mustDeleteClosed(t, s, cutoff, 2), []tipline.Reference{refs[2], refs[1]}; !reflect.DeepEqual(got, want) {
		t.Fatalf("first batch = %v, want %v (earliest closed first)", got, want)
	}
	if got, want := mustDeleteClosed(t, s, cutoff, 2), []tipline.Reference{refs[0]}; !reflect.DeepEqual(got, want) {
		t.Fatalf("second batch = %v, want %v", got, want)
	}
	if got := mustDeleteClosed(t, s, cutoff, 2); len(got) != 0 {
		t.Fatalf("third batch = %v, want nothing", got)
	}

}

func testPurgeInbox(t *testing.T, s Store) {
	ctx := t.Context()
	mustAdd(t, s, item(1, "a"), item(2, "a"), item(3, "b"))
	mustClaim(t, s, "w", longLease, 1)
	mustDone(t, s, "w", 1)
	mustClaim(t, s, "w", longLease, 2)
	mustDone(t, s, "w", 2)
	purge := func(cutoff time.Time, want int) {
		t.Helper()
		n, err := s.PurgeInbox(ctx, cutoff)
		if err != nil || n != want {
			t.Fatalf("PurgeInbox = %d, %v; want %d", n, err, want)
		}
	}
	purge(time.Now().Add(-time.Hour), 0) // processed since
	purge(time.Now().Add(time.Hour), 2)
	purge(time.Now().Add(time.Hour), 0)
	mustPending(t, s, 1)
	if seen, err := s.InboxChatSeen(ctx, "a", 99); err != nil || seen {
		t.Fatalf("InboxChatSeen of a purged chat = %v, %v; want false", seen, err)
	}
	// The unprocessed update stays, however old the cutoff says it is.
	purge(time.Now().Add(100*365*day), 0)
	if it := mustClaim(t, s, "w", longLease, 3); string(it.Payload) != `{"update_id":3}` {
		t.Fatalf("payload after purge = %q", it.Payload)
	}
	// A purged update_id is no longer known.
	if n := mustAdd(t, s, item(1, "a")); n != 1 {
		t.Fatalf("InboxAdd of a purged update = %d new, want 1", n)
	}
}

func testPurgeAudit(t *testing.T, s Store) {
	ctx := t.Context()
	c := receivedAt("draft-1", "TL-AAAA-CCCC", t0)
	mustSubmit(t, s, c) // "submitted" happens now
	for _, at := range []time.Time{t0, t0.Add(2 * time.Hour)} {
		if err := s.AddNote(ctx, c.Reference, tipline.Note{Author: "reviewer:1", Kind: tipline.NoteInternal, Text: "a note", At: at}); err != nil {
			t.Fatalf("AddNote: %v", err)
		}
	}
	n, err := s.PurgeAudit(ctx, t0.Add(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("PurgeAudit = %d, %v; want 1", n, err)
	}
	events := mustAudit(t, s, c.Reference)
	if got, want := actions(events), []string{"reporter:" + c.Reporter + " submitted", "reviewer:1 note_added"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("audit after purge %q, want %q", got, want)
	}
	if !events[1].At.Equal(t0.Add(2 * time.Hour)) {
		t.Fatalf("the event left is at %v, want the later note's", events[1].At)
	}
	if n, err := s.PurgeAudit(ctx, time.Now().Add(time.Hour)); err != nil || n != 2 {
		t.Fatalf("PurgeAudit of everything = %d, %v; want 2", n, err)
	}
	if events := mustAudit(t, s, c.Reference); len(events) != 0 {
		t.Fatalf("audit after purging everything = %+v, want none", events)
	}
	// Only the events go: the case and its notes stay.
	mustCase(t, s, c.Reference)
	if notes, err := s.Notes(ctx, c.Reference); err != nil || len(notes) != 2 {
		t.Fatalf("Notes after PurgeAudit = %d, %v; want 2", len(notes), err)
	}
}

func mustBlocked(t *testing.T, s Store, pseudonym string, want bool) {
	t.Helper()
	got, err := s.IsBlocked(t.Context(), pseudonym)
	if err != nil {
		t.Fatalf("IsBlocked: %v", err)
	}
	if got != want {
		t.Fatalf("IsBlocked(%q) = %v, want %v", pseudonym, got, want)
	}
}

// blockEvents lists a case's audit events about blocks.
func blockEvents(t *testing.T, s Store, ref tipline.Reference) []string {
	t.Helper()
	out := []string{}
	for _, e := range mustAudit(t, s, ref) {
		if strings.HasPrefix(e.Action, storage.ActionReporterBlockedPrefix) || e.Action == storage.ActionReporterUnblocked {
			out = append(out, e.Actor+" "+e.Action+" "+e.At.Sub(t0).String())
		}
	}
	return out
}

func testBlockReporter(t *testing.T, s Store) {
	ctx := t.Context()
	rv := mustReviewer(t, s, 5550001, "Sokha")
	actor := "reviewer:" + strconv.FormatInt(rv.ID, 10)
	first := caseBy("draft-1", "TL-AAAA-CCCC", reporterA)
	second := caseBy("draft-2", "TL-AAAA-DDDD", reporterA)
	theirs := caseBy("draft-3", "TL-AAAA-EEEE", reporterB)
	for _, c := range []tipline.NewCase{first, second, theirs} {
		mustSubmit(t, s, c)
	}
	mustBlocked(t, s, reporterA, false)
	mustBlocked(t, s, "", false)

	if err := BlockReporter(ctx, s, first.Reference, rv.ID, t0); err != nil {
		t.Fatalf("BlockReporter: %v", err)
	}
	mustBlocked(t, s, reporterA, true)
	mustBlocked(t, s, reporterB, false)
	if got, want := blockEvents(t, s, first.Reference), []string{actor + " reporter_blocked:other 0s"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("audit of the blocking case %q, want %q", got, want)
	}
	// Blocked already, through another of their cases: nothing changes.
	if err := BlockReporter(ctx, s, second.Reference, rv.ID, t0.Add(time.Minute)); err != nil {
		t.Fatalf("BlockReporter again: %v", err)
	}
	if got := blockEvents(t, s, second.Reference); len(got) != 0 {
		t.Fatalf("audit of blocking a blocked reporter %q, want nothing", got)
	}
	// Their other reporter is not blocked: nothing to lift.
	if err := s.UnblockReporter(ctx, theirs.Reference, rv.ID, t0); err != nil {
		t.Fatalf("UnblockReporter of a reporter not blocked: %v", err)
	}
	if got := blockEvents(t, s, theirs.Reference); len(got) != 0 {
		t.Fatalf("audit of unblocking a reporter not blocked %q, want nothing", got)
	}

	if err := s.UnblockReporter(ctx, second.Reference, rv.ID, t0.Add(2*time.Minute)); err != nil {
		t.Fatalf("UnblockReporter: %v", err)
	}
	mustBlocked(t, s, reporterA, false)
	if got, want := blockEvents(t, s, second.Reference), []string{actor + " reporter_unblocked 2m0s"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("audit of the unblocking case %q, want %q", got, want)
	}
	if err := s.UnblockReporter(ctx, second.Reference, rv.ID, t0.Add(3*time.Minute)); err != nil {
		t.Fatalf("UnblockReporter again: %v", err)
	}
	if got := blockEvents(t, s, second.Reference); len(got) != 1 {
		t.Fatalf("audit after unblocking twice %q, want one event", got)
	}

	for name, err := range map[string]error{
		"BlockReporter of an unknown case":       BlockReporter(ctx, s, "TL-XXXX-XXXX", rv.ID, t0),
		"BlockReporter by an unknown reviewer":   BlockReporter(ctx, s, first.Reference, rv.ID+100, t0),
		"UnblockReporter of an unknown case":     s.UnblockReporter(ctx, "TL-XXXX-XXXX", rv.ID, t0),
		"UnblockReporter by an unknown reviewer": s.UnblockReporter(ctx, first.Reference, rv.ID+100, t0),
	} {
		if !errors.Is(err, tipline.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}
	mustBlocked(t, s, reporterA, false)
}

func testBlockForgotten(t *testing.T, s Store) {
	ctx := t.Context()
	rv := mustReviewer(t, s, 5550001, "Sokha")
	c := caseBy("draft-1", "TL-AAAA-CCCC", reporterA)
	gone := caseBy("draft-2", "TL-AAAA-DDDD", reporterB)
	mustSubmit(t, s, c)
	mustSubmit(t, s, gone)
	if err := BlockReporter(ctx, s, c.Reference, rv.ID, t0); err != nil {
		t.Fatalf("BlockReporter: %v", err)
	}

	// Forgetting the reporter keeps the block: it names no case.
	if n, err := s.Forget(ctx, reporterA); err != nil || n != 1 {
		t.Fatalf("Forget = %d, %v; want 1", n, err)
	}
	mustBlocked(t, s, reporterA, true)
	// The case no longer has a reporter to block or unblock.
	before := len(mustAudit(t, s, c.Reference))
	if err := s.UnblockReporter(ctx, c.Reference, rv.ID, t0); err != nil {
		t.Fatalf("UnblockReporter of a forgotten reporter: %v", err)
	}
	if err := BlockReporter(ctx, s, c.Reference, rv.ID, t0); err != nil {
		t.Fatalf("BlockReporter of a forgotten reporter: %v", err)
	}
	if after := len(mustAudit(t, s, c.Reference)); after != before {
		t.Fatalf("blocking a forgotten reporter recorded %d events, want none", after-before)
	}
	mustBlocked(t, s, reporterA, true)

	// Forgotten before anyone blocked them: nothing to block.
	if _, err := s.Forget(ctx, reporterB); err != nil {
		t.Fatalf("Forget: %v", err)
	}
	if err := BlockReporter(ctx, s, gone.Reference, rv.ID, t0); err != nil {
		t.Fatalf("BlockReporter of a forgotten reporter: %v", err)
	}
	mustBlocked(t, s, reporterB, false)
	mustBlocked(t, s, tipline.ForgottenPseudonym, false)

	// Deleting the case keeps the block too.
	mustClose(t, s, c.Reference, rv.ID, t0)
	if got := mustDeleteClosed(t, s, t0.Add(time.Hour), 10); !reflect.DeepEqual(got, []tipline.Reference{c.Reference}) {
		t.Fatalf("DeleteClosedCases = %v, want %s", got, c.Reference)
	}
	mustBlocked(t, s, reporterA, true)
}

// testRekeyNothingOld checks what holds for every store whose values are
// all under its current key (a fresh postgres.Store, or a memory.Store, which
// keeps plain text): Rekey re-seals nothing and calls progress never, and
// OldKeyValues counts 0 in each table of storage.SealedTables.
func testRekeyNothingOld(t *testing.T, s Store) {
	ctx := t.Context()
	rv := mustReviewer(t, s, 5550001, "Sokha")
	if err := s.CreateInvite(ctx, inviteHash("pending"), "Bopha", false, t0.Add(time.Hour)); err != nil {
		t.Fatalf("CreateInvite: %v", err)
	}
	c := sampleCase("draft-1", "TL-AAAA-CCCC")
	mustSubmit(t, s, c)
	mustAddOnce(t, s, c.Reference, "upd:1", tipline.Addition{Actor: "reporter:" + c.Reporter, Text: "more"})
	if err := s.SaveAttachmentContent(ctx, c.Reference, "uniq-photo-1", []byte("jpeg")); err != nil {
		t.Fatalf("SaveAttachmentContent: %v", err)
	}
	if err := s.AddNotification(ctx, c.Reference, tipline.Notification{ReviewerID: rv.ID, ChatID: 5550001, MessageID: 1}); err != nil {
		t.Fatalf("AddNotification: %v", err)
	}
	if err := s.AddNote(ctx, c.Reference, tipline.Note{Author: "reviewer:1", Kind: tipline.NoteInternal, Text: "a note", At: t0}); err != nil {
		t.Fatalf("AddNote: %v", err)
	}
	if err := s.SaveRota(ctx, []byte(`{"primary":1}`)); err != nil {
		t.Fatalf("SaveRota: %v", err)
	}
	mustAdd(t, s, item(1, "a"))
	want := mustCase(t, s, c.Reference)

	checkNone := func() {
		t.Helper()
		old, err := s.OldKeyValues(ctx)
		if err != nil {
			t.Fatalf("OldKeyValues: %v", err)
		}
		tables := make([]string, 0, len(old))
		total := 0
		for table, n := range old {
			tables = append(tables, table)
			total += n
		}
		slices.Sort(tables)
		wantTables := slices.Sorted(slices.Values(storage.SealedTables()))
		if !reflect.DeepEqual(tables, wantTables) {
			t.Fatalf("OldKeyValues counts tables %v, want %v", tables, wantTables)
		}
		if total != 0 {
			t.Fatalf("OldKeyValues = %v, want 0 everywhere", old)
		}
	}
	checkNone()

	if _, err := s.Rekey(ctx, 0, nil); !errors.Is(err, tipline.ErrInvalid) {
		t.Fatalf("Rekey with a batch of 0: %v, want ErrInvalid", err)
	}
	calls := 0
	n, err := s.Rekey(ctx, 2, func(string, int, int) { calls++ })
	if err != nil || n != 0 || calls != 0 {
		t.Fatalf("Rekey = %d, %v with %d progress calls; want 0, nothing to do", n, err, calls)
	}
	checkNone()
	if got := mustCase(t, s, c.Reference); !reflect.DeepEqual(got, want) {
		t.Fatalf("case after Rekey = %+v\nwant %+v", got, want)
	}
	if got, err := s.ReviewerByTelegram(ctx, 5550001); err != nil || !sameReviewer(got, rv) {
		t.Fatalf("ReviewerByTelegram after Rekey = %+v, %v; want %+v", got, err, rv)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Rekey(cancelled, 2, nil); err == nil {
		t.Fatalf("Rekey with a cancelled context gave no error")
	}
}
