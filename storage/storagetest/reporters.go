package storagetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// Contract tests of what a reporter does after submitting: follow-up
// codes, "My reports", additions, being forgotten; and of status changes.

// Pseudonyms of the reporters in these tests.
const (
	reporterA = "aaaa0000aaaa0000aaaa0000aaaa0000"
	reporterB = "bbbb1111bbbb1111bbbb1111bbbb1111"
)

// caseBy is sampleCase submitted by reporter.
func caseBy(draft string, ref tipline.Reference, reporter string) tipline.NewCase {
	c := sampleCase(draft, ref)
	c.Reporter = reporter
	return c
}

func mustCase(t *testing.T, s Store, ref tipline.Reference) tipline.Case {
	t.Helper()
	c, err := s.Case(t.Context(), ref)
	if err != nil {
		t.Fatalf("Case(%s): %v", ref, err)
	}
	return c
}

func mustAddOnce(t *testing.T, s Store, ref tipline.Reference, key string, a tipline.Addition) {
	t.Helper()
	if err := AddToCaseOnce(t.Context(), s, ref, key, a); err != nil {
		t.Fatalf("AddToCaseOnce(%s, %s): %v", ref, key, err)
	}
}

func mustCasesBy(t *testing.T, s Store, pseudonym string) []tipline.CaseSummary {
	t.Helper()
	got, err := s.CasesByReporter(t.Context(), pseudonym)
	if err != nil {
		t.Fatalf("CasesByReporter: %v", err)
	}
	if got == nil {
		t.Fatalf("CasesByReporter gave nil, want a list (empty when there are no cases)")
	}
	return got
}

// references lists the references of summaries.
func references(summaries []tipline.CaseSummary) []tipline.Reference {
	var out []tipline.Reference
	for _, cs := range summaries {
		out = append(out, cs.Reference)
	}
	return out
}

func testFollowUp(t *testing.T, s Store) {
	ctx := t.Context()
	c := sampleCase("draft-1", "TL-AAAA-CCCC")
	mustSubmit(t, s, c)
	bare := sampleCase("draft-2", "TL-AAAA-DDDD")
	bare.FollowUpHash = nil
	mustSubmit(t, s, bare)
	empty := sampleCase("draft-3", "TL-AAAA-EEEE")
	empty.FollowUpHash = []byte{} // no code either
	mustSubmit(t, s, empty)

	ref, err := s.CaseByFollowUp(ctx, followUpHash("code of draft-1"))
	if err != nil || ref != c.Reference {
		t.Fatalf("CaseByFollowUp = %s, %v; want %s", ref, err, c.Reference)
	}
	if got := mustCase(t, s, c.Reference); !reflect.DeepEqual(got.FollowUpHash, c.FollowUpHash) {
		t.Fatalf("Case has follow-up hash %x, want %x", got.FollowUpHash, c.FollowUpHash)
	}
	for _, ref := range []tipline.Reference{bare.Reference, empty.Reference} {
		if got := mustCase(t, s, ref); got.FollowUpHash != nil {
			t.Fatalf("case %s without a code has follow-up hash %x, want nil", ref, got.FollowUpHash)
		}
	}
	for name, hash := range map[string][]byte{
		"an unknown hash":                      followUpHash("code of draft-9"),
		"no hash":                              nil,
		"an empty hash":                        {},
		"the hash of a case's draft":           followUpHash("draft-1"),
		"a prefix of a known hash":             followUpHash("code of draft-1")[:16],
		"a known hash with a byte more":        append(followUpHash("code of draft-1"), 0),
		"the hash of the code of another case": followUpHash("code of draft-2"),
	} {
		if ref, err := s.CaseByFollowUp(ctx, hash); !errors.Is(err, tipline.ErrNotFound) {
			t.Errorf("CaseByFollowUp of %s = %s, %v; want ErrNotFound", name, ref, err)
		}
	}
}

func testFollowUpTaken(t *testing.T, s Store) {
	ctx := t.Context()
	first := sampleCase("draft-1", "TL-AAAA-CCCC")
	mustSubmit(t, s, first)

	// The same draft again, even with another code: the first case.
	again := first
	again.FollowUpHash = followUpHash("another code")
	if ref, created, err := s.SubmitCase(ctx, again); err != nil || created || ref != first.Reference {
		t.Fatalf("SubmitCase of the same draft = %s, created %v, %v; want %s, not created", ref, created, err, first.Reference)
	}
	// Another draft whose code hashes the same.
	other := sampleCase("draft-2", "TL-AAAA-DDDD")
	other.FollowUpHash = first.FollowUpHash
	if _, _, err := s.SubmitCase(ctx, other); !errors.Is(err, storage.ErrFollowUpTaken) {
		t.Fatalf("SubmitCase with a taken follow-up hash: %v, want ErrFollowUpTaken", err)
	}
	// A taken reference is told first.
	other.Reference = first.Reference
	if _, _, err := s.SubmitCase(ctx, other); !errors.Is(err, storage.ErrReferenceTaken) {
		t.Fatalf("SubmitCase with a taken reference and follow-up hash: %v, want ErrReferenceTaken", err)
	}
	if _, err := s.Case(ctx, "TL-AAAA-DDDD"); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("Case of a refused submission: %v, want ErrNotFound", err)
	}
	other.Reference, other.FollowUpHash = "TL-AAAA-DDDD", followUpHash("a new code")
	mustSubmit(t, s, other)
	if ref, err := s.CaseByFollowUp(ctx, first.FollowUpHash); err != nil || ref != first.Reference {
		t.Fatalf("CaseByFollowUp = %s, %v; want %s", ref, err, first.Reference)
	}
	if ref, err := s.CaseByFollowUp(ctx, other.FollowUpHash); err != nil || ref != other.Reference {
		t.Fatalf("CaseByFollowUp = %s, %v; want %s", ref, err, other.Reference)
	}
}

func testCasesByReporter(t *testing.T, s Store) {
	old := caseBy("draft-1", "TL-AAAA-CCCC", reporterA)
	old.Kind, old.Urgency = tipline.KindMissing, tipline.UrgencyNormal
	mustSubmit(t, s, old)
	mustSubmit(t, s, caseBy("draft-2", "TL-AAAA-DDDD", reporterB))
	time.Sleep(2 * time.Millisecond) // a later creation time, at the database's precision
	mustSubmit(t, s, caseBy("draft-3", "TL-AAAA-EEEE", reporterA))

	got := mustCasesBy(t, s, reporterA)
	if want := []tipline.Reference{"TL-AAAA-EEEE", "TL-AAAA-CCCC"}; !reflect.DeepEqual(references(got), want) {
		t.Fatalf("CasesByReporter = %v, want %v (newest first)", references(got), want)
	}
	stored := mustCase(t, s, old.Reference)
	want := tipline.CaseSummary{Reference: old.Reference, Kind: tipline.KindMissing, Urgency: tipline.UrgencyNormal,
		Status: tipline.StatusReceived, CreatedAt: stored.CreatedAt, ContactAllowed: true}
	if got[1] != want {
		t.Fatalf("summary %+v, want %+v", got[1], want)
	}
	mustTake(t, s, old.Reference, 8001)
	if got := mustCasesBy(t, s, reporterA); got[1].Status != tipline.StatusAcknowledged {
		t.Fatalf("summary after Acknowledge %+v, want status acknowledged", got[1])
	}
	if got := mustCasesBy(t, s, reporterB); !reflect.DeepEqual(references(got), []tipline.Reference{"TL-AAAA-DDDD"}) {
		t.Fatalf("CasesByReporter(B) = %v, want TL-AAAA-DDDD", references(got))
	}
	if got := mustCasesBy(t, s, "cccc2222cccc2222cccc2222cccc2222"); len(got) != 0 {
		t.Fatalf("CasesByReporter of an unknown reporter = %v, want none", references(got))
	}

	// A case submitted with no reporter is no one's.
	mustSubmit(t, s, caseBy("draft-4", "TL-AAAA-FFFF", ""))
	if got := mustCasesBy(t, s, ""); len(got) != 0 {
		t.Fatalf("CasesByReporter of no pseudonym = %v, want none", references(got))
	}
}

func testAddToCase(t *testing.T, s Store) {
	ctx := t.Context()
	c := sampleCase("draft-1", "TL-AAAA-CCCC")
	mustSubmit(t, s, c)
	before := mustCase(t, s, c.Reference)
	actor := "reporter:" + c.Reporter
	at := time.Date(2026, 3, 2, 10, 0, 0, 123456789, time.UTC)

	if err := AddToCase(ctx, s, c.Reference, tipline.Addition{Actor: actor, Text: "he came back with two men", At: at}); err != nil {
		t.Fatalf("AddToCase: %v", err)
	}
	withFiles := tipline.Addition{Actor: "followup:" + reporterB, Attachments: []tipline.Attachment{
		{Kind: tipline.AttachPhoto, FileID: "file-photo-2", FileUniqueID: "uniq-photo-2", Question: "ignored", Caption: "ภาพนี้ถ่ายที่ตลาด"},
		// A photo the case already has, given again: fetched once.
		{Kind: tipline.AttachPhoto, FileID: "file-photo-1c", FileUniqueID: "uniq-photo-1"},
		{Kind: tipline.AttachVoice, FileID: "file-voice-2", FileUniqueID: "uniq-voice-2"},
	}}
	start := time.Now().Add(-time.Minute)
	if err := AddToCase(ctx, s, c.Reference, withFiles); err != nil {
		t.Fatalf("AddToCase with attachments: %v", err)
	}

	got := mustCase(t, s, c.Reference)
	if !reflect.DeepEqual(got.Attachments, c.Attachments) {
		t.Fatalf("the case's own attachments became %+v, want %+v", got.Attachments, c.Attachments)
	}
	if len(got.Additions) != 2 {
		t.Fatalf("Case has %d additions, want 2: %+v", len(got.Additions), got.Additions)
	}
	first, second := got.Additions[0], got.Additions[1]
	wantFirst := tipline.Addition{Actor: actor, Text: "he came back with two men", At: at.Truncate(time.Microsecond)}
	if first.Attachments != nil || first.Actor != wantFirst.Actor || first.Text != wantFirst.Text || !first.At.Equal(wantFirst.At) {
		t.Fatalf("first addition %+v, want %+v", first, wantFirst)
	}
	wantFiles := []tipline.Attachment{
		{Kind: tipline.AttachPhoto, FileID: "file-photo-2", FileUniqueID: "uniq-photo-2", Question: storage.QuestionAddition, Caption: "ภาพนี้ถ่ายที่ตลาด"},
		{Kind: tipline.AttachPhoto, FileID: "file-photo-1c", FileUniqueID: "uniq-photo-1", Question: storage.QuestionAddition},
		{Kind: tipline.AttachVoice, FileID: "file-voice-2", FileUniqueID: "uniq-voice-2", Question: storage.QuestionAddition},
	}
	if second.Actor != withFiles.Actor || second.Text != "" || !reflect.DeepEqual(second.Attachments, wantFiles) {
		t.Fatalf("second addition %+v, want actor %s, no text, attachments %+v", second, withFiles.Actor, wantFiles)
	}
	if second.At.Before(start) || second.At.After(time.Now().Add(time.Minute)) {
		t.Fatalf("addition without a time has At %v, want now", second.At)
	}
	if got.UpdatedAt.Before(before.UpdatedAt) || !got.CreatedAt.Equal(before.CreatedAt) {
		t.Fatalf("after additions CreatedAt %v, UpdatedAt %v; want CreatedAt %v and UpdatedAt no earlier", got.CreatedAt, got.UpdatedAt, before.CreatedAt)
	}

	events := mustAudit(t, s, c.Reference)
	wantActions := []string{actor + " submitted", actor + " information_added", withFiles.Actor + " information_added"}
	if got := actions(events); !reflect.DeepEqual(got, wantActions) {
		t.Fatalf("audit %q, want %q", got, wantActions)
	}

	// The addition's files are fetched like the case's.
	pending, err := s.AttachmentsToFetch(ctx, 10)
	if err != nil {
		t.Fatalf("AttachmentsToFetch: %v", err)
	}
	wantPending := []storage.PendingAttachment{
		{Reference: c.Reference, FileID: "file-photo-1", FileUniqueID: "uniq-photo-1", Kind: tipline.AttachPhoto},
		{Reference: c.Reference, FileID: "file-voice-1", FileUniqueID: "uniq-voice-1", Kind: tipline.AttachVoice},
		{Reference: c.Reference, FileID: "file-photo-2", FileUniqueID: "uniq-photo-2", Kind: tipline.AttachPhoto},
		{Reference: c.Reference, FileID: "file-voice-2", FileUniqueID: "uniq-voice-2", Kind: tipline.AttachVoice},
	}
	if !reflect.DeepEqual(pending, wantPending) {
		t.Fatalf("AttachmentsToFetch = %+v\nwant %+v", pending, wantPending)
	}
	for _, uid := range []string{"uniq-photo-2", "uniq-photo-1"} {
		if err := s.SaveAttachmentContent(ctx, c.Reference, uid, []byte("bytes of "+uid)); err != nil {
			t.Fatalf("SaveAttachmentContent(%s): %v", uid, err)
		}
		if b, err := s.AttachmentContent(ctx, c.Reference, uid); err != nil || string(b) != "bytes of "+uid {
			t.Fatalf("AttachmentContent(%s) = %q, %v", uid, b, err)
		}
	}
	if pending, err = s.AttachmentsToFetch(ctx, 10); err != nil || len(pending) != 2 {
		t.Fatalf("AttachmentsToFetch after saving = %+v, %v; want the two voice notes", pending, err)
	}

	// Additions to another case are that case's.
	other := sampleCase("draft-2", "TL-AAAA-DDDD")
	other.Attachments = nil
	mustSubmit(t, s, other)
	if got := mustCase(t, s, other.Reference); got.Additions != nil {
		t.Fatalf("another case has additions %+v", got.Additions)
	}
	if err := AddToCase(ctx, s, other.Reference, tipline.Addition{Actor: actor, Text: "elsewhere"}); err != nil {
		t.Fatalf("AddToCase: %v", err)
	}
	if got := mustCase(t, s, other.Reference); len(got.Additions) != 1 || got.Additions[0].Text != "elsewhere" {
		t.Fatalf("other case's additions %+v, want one", got.Additions)
	}
	if got := mustCase(t, s, c.Reference); len(got.Additions) != 2 {
		t.Fatalf("first case has %d additions after one to another case, want 2", len(got.Additions))
	}
}

func testAddToCaseOnce(t *testing.T, s Store) {
	ctx := t.Context()
	c := sampleCase("draft-1", "TL-AAAA-CCCC")
	c.Attachments = nil
	mustSubmit(t, s, c)
	other := sampleCase("draft-2", "TL-AAAA-DDDD")
	other.Attachments = nil
	mustSubmit(t, s, other)
	actor := "reporter:" + c.Reporter
	a := tipline.Addition{Actor: actor, Text: "the car is white", Attachments: []tipline.Attachment{
		{Kind: tipline.AttachPhoto, FileID: "file-photo-7", FileUniqueID: "uniq-photo-7"},
	}}

	mustAddOnce(t, s, c.Reference, "upd:12345", a)
	// The bot crashed and applies the update again, maybe rebuilt differently.
	mustAddOnce(t, s, c.Reference, "upd:12345", a)
	changed := a
	changed.Text = "the car is grey"
	mustAddOnce(t, s, c.Reference, "upd:12345", changed)

	got := mustCase(t, s, c.Reference)
	if len(got.Additions) != 1 || got.Additions[0].Text != a.Text || len(got.Additions[0].Attachments) != 1 {
		t.Fatalf("additions after the same key three times: %+v, want the first one only", got.Additions)
	}
	if got := actions(mustAudit(t, s, c.Reference)); !reflect.DeepEqual(got, []string{actor + " submitted", actor + " information_added"}) {
		t.Fatalf("audit %q, want one information_added", got)
	}
	if pending, err := s.AttachmentsToFetch(ctx, 10); err != nil || len(pending) != 1 {
		t.Fatalf("AttachmentsToFetch = %+v, %v; want the photo once", pending, err)
	}

	// A key is the case's own: the same key on another case stores there.
	mustAddOnce(t, s, other.Reference, "upd:12345", a)
	if got := mustCase(t, s, other.Reference); len(got.Additions) != 1 {
		t.Fatalf("other case has %d additions, want 1", len(got.Additions))
	}
	// Another key stores again.
	mustAddOnce(t, s, c.Reference, "upd:12346", tipline.Addition{Actor: actor, Text: "and a red one"})
	// Keys are opaque: any characters.
	mustAddOnce(t, s, c.Reference, "upd:12345/x y\x00é", tipline.Addition{Actor: actor, Text: "odd key"})
	mustAddOnce(t, s, c.Reference, "upd:12345/x y\x00é", tipline.Addition{Actor: actor, Text: "odd key again"})
	// AddToCase has no key: each call stores.
	for range 2 {
		if err := AddToCase(ctx, s, c.Reference, tipline.Addition{Actor: actor, Text: "no key"}); err != nil {
			t.Fatalf("AddToCase: %v", err)
		}
	}
	var texts []string
	for _, a := range mustCase(t, s, c.Reference).Additions {
		texts = append(texts, a.Text)
	}
	if want := []string{"the car is white", "and a red one", "odd key", "no key", "no key"}; !reflect.DeepEqual(texts, want) {
		t.Fatalf("additions %q, want %q", texts, want)
	}
}

// testAddToCaseConcurrent adds to one case from several goroutines at once:
// each addition must be stored once, with all its attachments.
func testAddToCaseConcurrent(t *testing.T, s Store) {
	ctx := t.Context()
	c := sampleCase("draft-1", "TL-AAAA-CCCC")
	mustSubmit(t, s, c)
	const workers, keys = 6, 4
	var wg sync.WaitGroup
	errs := make(chan error, workers*keys)
	for w := range workers {
		wg.Go(func() {
			for k := range keys {
				// Every worker tries every key, as bots retrying each other's work.
				key := fmt.Sprintf("upd:%d", k)
				a := tipline.Addition{Actor: "reporter:" + c.Reporter, Text: key, Attachments: []tipline.Attachment{
					{Kind: tipline.AttachPhoto, FileID: "file-" + key, FileUniqueID: "uniq-" + key},
					{Kind: tipline.AttachVoice, FileID: "file-voice-" + key, FileUniqueID: "uniq-voice-" + key},
				}}
				if err := AddToCaseOnce(ctx, s, c.Reference, key, a); err != nil {
					errs <- fmt.Errorf("worker %d: %w", w, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got := mustCase(t, s, c.Reference)
	var texts []string
	for _, a := range got.Additions {
		texts = append(texts, a.Text)
		if len(a.Attachments) != 2 || a.Attachments[0].FileUniqueID != "uniq-"+a.Text || a.Attachments[1].FileUniqueID != "uniq-voice-"+a.Text {
			t.Errorf("addition %s has attachments %+v", a.Text, a.Attachments)
		}
	}
	slices.Sort(texts)
	if want := []string{"upd:0", "upd:1", "upd:2", "upd:3"}; !reflect.DeepEqual(texts, want) {
		t.Fatalf("additions %q, want each key once: %q", texts, want)
	}
	if pending, err := s.AttachmentsToFetch(ctx, 100); err != nil || len(pending) != len(c.Attachments)+2*keys {
		t.Fatalf("AttachmentsToFetch gave %d, %v; want %d", len(pending), err, len(c.Attachments)+2*keys)
	}
}

func testAddToCaseInvalid(t *testing.T, s Store) {
	ctx := t.Context()
	c := sampleCase("draft-1", "TL-AAAA-CCCC")
	mustSubmit(t, s, c)
	for name, call := range map[string]func() error{
		"an empty addition": func() error {
			return AddToCase(ctx, s, c.Reference, tipline.Addition{Actor: "reporter:" + c.Reporter})
		},
		"an addition without an actor": func() error {
			return AddToCase(ctx, s, c.Reference, tipline.Addition{Text: "more"})
		},
		"an empty key": func() error {
			return AddToCaseOnce(ctx, s, c.Reference, "", tipline.Addition{Actor: "reporter:" + c.Reporter, Text: "more"})
		},
	} {
		if err := call(); !errors.Is(err, tipline.ErrInvalid) {
			t.Errorf("adding %s: %v, want ErrInvalid", name, err)
		}
	}
	if got := mustCase(t, s, c.Reference); got.Additions != nil {
		t.Fatalf("refused additions were stored: %+v", got.Additions)
	}
}

// namesReporter reports where a case still names pseudonym.
func namesReporter(c tipline.Case, events []tipline.AuditEvent, pseudonym string) []string {
	var out []string
	if c.Reporter == pseudonym {
		out = append(out, "Reporter")
	}
	for i, a := range c.Additions {
		if strings.Contains(a.Actor, pseudonym) {
			out = append(out, fmt.Sprintf("addition %d actor %q", i, a.Actor))
		}
	}
	for _, e := range events {
		if strings.Contains(e.Actor, pseudonym) {
			out = append(out, fmt.Sprintf("audit event %q", e.Actor+" "+e.Action))
		}
	}
	return out
}

func testForget(t *testing.T, s Store) {
	ctx := t.Context()
	first := caseBy("draft-1", "TL-AAAA-CCCC", reporterA)
	second := caseBy("draft-2", "TL-AAAA-DDDD", reporterA)
	second.ContactAllowed = false
	others := caseBy("draft-3", "TL-AAAA-EEEE", reporterB)
	for _, c := range []tipline.NewCase{first, second, others} {
		mustSubmit(t, s, c)
	}
	mustAddOnce(t, s, first.Reference, "upd:1", tipline.Addition{Actor: "reporter:" + reporterA, Text: "more", Attachments: []tipline.Attachment{
		{Kind: tipline.AttachPhoto, FileID: "file-photo-5", FileUniqueID: "uniq-photo-5"},
	}})
	mustAddOnce(t, s, first.Reference, "upd:2", tipline.Addition{Actor: "followup:" + reporterA, Text: "and more"})
	rv := mustTake(t, s, first.Reference, 8001)
	mustAddOnce(t, s, others.Reference, "upd:3", tipline.Addition{Actor: "reporter:" + reporterB, Text: "B's words"})
	beforeFirst := mustCase(t, s, first.Reference)
	beforeOthers := mustCase(t, s, others.Reference)
	othersAudit := mustAudit(t, s, others.Reference)

	n, err := s.Forget(ctx, reporterA)
	if err != nil || n != 2 {
		t.Fatalf("Forget = %d, %v; want 2 cases", n, err)
	}
	if got := mustCasesBy(t, s, reporterA); len(got) != 0 {
		t.Fatalf("CasesByReporter after Forget = %v, want none", references(got))
	}
	for _, ref := range []tipline.Reference{first.Reference, second.Reference} {
		got := mustCase(t, s, ref)
		if got.Reporter != "" || got.ReporterChatID != 0 || got.ContactAllowed {
			t.Errorf("case %s after Forget: reporter %q, chat %d, contact allowed %v; want none, 0, false", ref, got.Reporter, got.ReporterChatID, got.ContactAllowed)
		}
		events := mustAudit(t, s, ref)
		if where := namesReporter(got, events, reporterA); len(where) > 0 {
			t.Errorf("case %s still names the forgotten reporter: %v", ref, where)
		}
		if last := events[len(events)-1]; last.Actor != tipline.ActorSystem || last.Action != storage.ActionReporterForgotten {
			t.Errorf("case %s: last audit event %q, want system reporter_forgotten", ref, last.Actor+" "+last.Action)
		}
		if r, err := s.CaseByFollowUp(ctx, followUpHash("code of "+got.DraftID)); err != nil || r != ref {
			t.Errorf("CaseByFollowUp of case %s after Forget = %s, %v; want the case: the code still opens it", ref, r, err)
		}
	}

	// What was reported stays.
	got := mustCase(t, s, first.Reference)
	if !reflect.DeepEqual(got.Answers, first.Answers) || !reflect.DeepEqual(got.Location, first.Location) ||
		!reflect.DeepEqual(got.Attachments, first.Attachments) || !reflect.DeepEqual(got.FollowUpHash, first.FollowUpHash) ||
		got.Status != tipline.StatusAcknowledged || got.Kind != first.Kind || !got.SubmittedAt.Equal(first.SubmittedAt) {
		t.Fatalf("case after Forget lost what was reported: %+v", got)
	}
	if got.UpdatedAt.Before(beforeFirst.UpdatedAt) {
		t.Fatalf("UpdatedAt went back from %v to %v", beforeFirst.UpdatedAt, got.UpdatedAt)
	}
	wantAdditions := []tipline.Addition{
		{Actor: "reporter:" + tipline.ForgottenPseudonym, Text: "more", At: beforeFirst.Additions[0].At, Attachments: beforeFirst.Additions[0].Attachments},
		{Actor: "followup:" + tipline.ForgottenPseudonym, Text: "and more", At: beforeFirst.Additions[1].At},
	}
	if !reflect.DeepEqual(got.Additions, wantAdditions) {
		t.Fatalf("additions after Forget %+v\nwant %+v", got.Additions, wantAdditions)
	}
	wantActions := []string{
		"reporter:forgotten submitted",
		"reporter:forgotten information_added",
		"followup:forgotten information_added",
		tipline.ReviewerActor(rv.ID) + " acknowledged",
		"system reporter_forgotten",
	}
	if got := actions(mustAudit(t, s, first.Reference)); !reflect.DeepEqual(got, wantActions) {
		t.Fatalf("audit after Forget %q\nwant %q", got, wantActions)
	}
	if pending, err := s.AttachmentsToFetch(ctx, 100); err != nil || len(pending) != 3*2+1 {
		t.Fatalf("AttachmentsToFetch after Forget gave %d, %v; want every attachment still", len(pending), err)
	}

	// Another reporter's case is untouched.
	if got := mustCase(t, s, others.Reference); !reflect.DeepEqual(got, beforeOthers) {
		t.Fatalf("another reporter's case changed:\n%+v\nwas %+v", got, beforeOthers)
	}
	if got := mustAudit(t, s, others.Reference); !reflect.DeepEqual(got, othersAudit) {
		t.Fatalf("another reporter's audit changed: %q", actions(got))
	}
	if got := mustCasesBy(t, s, reporterB); len(got) != 1 {
		t.Fatalf("CasesByReporter(B) after forgetting A = %v, want B's case", references(got))
	}

	// Forgetting again changes nothing.
	if n, err := s.Forget(ctx, reporterA); err != nil || n != 0 {
		t.Fatalf("Forget again = %d, %v; want 0", n, err)
	}
	if got := actions(mustAudit(t, s, first.Reference)); !reflect.DeepEqual(got, wantActions) {
		t.Fatalf("audit after forgetting again %q, want %q", got, wantActions)
	}
	if n, err := s.Forget(ctx, ""); err != nil || n != 0 {
		t.Fatalf("Forget of no pseudonym = %d, %v; want 0", n, err)
	}
	// Whoever has the code can still add to the case.
	if err := AddToCase(ctx, s, first.Reference, tipline.Addition{Actor: "followup:" + reporterB, Text: "later"}); err != nil {
		t.Fatalf("AddToCase after Forget: %v", err)
	}
}

// testForgetFollowUpActor forgets someone who only added to another
// reporter's case with its follow-up code.
func testForgetFollowUpActor(t *testing.T, s Store) {
	ctx := t.Context()
	c := caseBy("draft-1", "TL-AAAA-CCCC", reporterB)
	mustSubmit(t, s, c)
	mustAddOnce(t, s, c.Reference, "upd:1", tipline.Addition{Actor: "followup:" + reporterA, Text: "I know her too"})
	n, err := s.Forget(ctx, reporterA)
	if err != nil || n != 1 {
		t.Fatalf("Forget = %d, %v; want 1 case (where they added)", n, err)
	}
	got := mustCase(t, s, c.Reference)
	events := mustAudit(t, s, c.Reference)
	if where := namesReporter(got, events, reporterA); len(where) > 0 {
		t.Fatalf("case still names the forgotten reporter: %v", where)
	}
	if got.Reporter != reporterB || got.ReporterChatID != c.ReporterChatID || !got.ContactAllowed {
		t.Fatalf("the case's own reporter was unlinked: %q, %d, %v", got.Reporter, got.ReporterChatID, got.ContactAllowed)
	}
	want := []string{"reporter:" + reporterB + " submitted", "followup:forgotten information_added", "system reporter_forgotten"}
	if got := actions(events); !reflect.DeepEqual(got, want) {
		t.Fatalf("audit %q, want %q", got, want)
	}
	if got := mustCasesBy(t, s, reporterB); len(got) != 1 {
		t.Fatalf("CasesByReporter(B) = %v, want B's case", references(got))
	}
}
