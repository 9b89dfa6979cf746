package postgres_test

import (
	"crypto/sha256"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/storage/postgres"
	"github.com/tipline/tipline/storage/storagetest"
)

// Canaries of the reviewers' side.
const (
	canaryReviewerTelegram = 6123456789
	canaryReviewerName     = "CANARY-REVIEWER-Chanthou"
	canaryInviteeName      = "CANARY-INVITEE-Bopha"
	canaryGroupChat        = -1009876543210
	canaryNote             = "CANARY-NOTE-partner-visited-the-house"
	canaryReply            = "CANARY-REPLY-the-gate-is-red"
	canaryRota             = "CANARY-ROTA-weekend-shift"
)

var reviewT0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func inviteCodeHash(code string) []byte {
	h := sha256.Sum256([]byte(code))
	return h[:]
}

// mustRegister invites and registers a reviewer.
func mustRegister(t *testing.T, store *postgres.Store, telegramID int64, name string) tipline.Reviewer {
	t.Helper()
	code := inviteCodeHash("code " + strconv.FormatInt(telegramID, 10))
	if err := store.CreateInvite(t.Context(), code, name, true, reviewT0.Add(time.Hour)); err != nil {
		t.Fatalf("CreateInvite: %v", err)
	}
	rv, err := store.RedeemInvite(t.Context(), code, telegramID, "km", reviewT0)
	if err != nil {
		t.Fatalf("RedeemInvite: %v", err)
	}
	return rv
}

// TestDumpRevealsNoReviewer checks that a backup holds no reviewer's
// Telegram id or name, no invitee's name, no note or message and no chat
// id of a notification, and that the rota is sealed.
func TestDumpRevealsNoReviewer(t *testing.T) {
	ctx := t.Context()
	ring := keys.NewRandomRing()
	store, schema := storagetest.NewPostgres(t, ring)
	rv := mustRegister(t, store, canaryReviewerTelegram, canaryReviewerName)
	if err := store.CreateInvite(ctx, inviteCodeHash("pending"), canaryInviteeName, false, reviewT0.Add(time.Hour)); err != nil {
		t.Fatalf("CreateInvite: %v", err)
	}
	c := canaryCase("draft-1", "TL-AAAA-CCCC")
	if _, _, err := store.SubmitCase(ctx, c); err != nil {
		t.Fatalf("SubmitCase: %v", err)
	}
	for _, n := range []tipline.Notification{
		{ReviewerID: rv.ID, ChatID: canaryReviewerTelegram, MessageID: 77},
		{ReviewerID: rv.ID, ChatID: canaryGroupChat, MessageID: 78},
	} {
		if err := store.AddNotification(ctx, c.Reference, n); err != nil {
			t.Fatalf("AddNotification: %v", err)
		}
	}
	if _, _, err := store.Acknowledge(ctx, c.Reference, rv.ID, reviewT0); err != nil {
		t.Fatalf("Acknowledge: %v", err)
	}
	author := "reviewer:" + strconv.FormatInt(rv.ID, 10)
	for _, n := range []tipline.Note{
		{Author: author, Kind: tipline.NoteInternal, Text: canaryNote, At: reviewT0},
		{Author: "reporter", Kind: tipline.NoteFromReporter, Text: canaryReply, At: reviewT0},
	} {
		if err := store.AddNote(ctx, c.Reference, n); err != nil {
			t.Fatalf("AddNote: %v", err)
		}
	}
	if err := store.SaveRota(ctx, []byte(`{"note":"`+canaryRota+`"}`)); err != nil {
		t.Fatalf("SaveRota: %v", err)
	}

	dump := storagetest.DumpSchema(t, schema)
	pseudonym := ring.ReviewerKeys(canaryReviewerTelegram)[0] // its lookup key, not its reporter pseudonym
	if !strings.Contains(dump, pseudonym) || !strings.Contains(dump, "note_added") || !strings.Contains(dump, "acknowledged") {
		t.Fatalf("the dump lacks the reviewer's pseudonym or the audit; did it dump the data?\n%s", dump)
	}
	for _, canary := range []string{strconv.Itoa(canaryReviewerTelegram), canaryReviewerName, canaryInviteeName,
		strconv.Itoa(canaryGroupChat), canaryNote, canaryReply, canaryRota, canaryAnswer} {
		if strings.Contains(dump, canary) {
			t.Errorf("the dump of schema %s contains %q", schema, canary)
		}
	}
	// And the store reads it all back.
	if got, err := store.ReviewerByTelegram(ctx, canaryReviewerTelegram); err != nil || got.Name != canaryReviewerName {
		t.Fatalf("ReviewerByTelegram = %+v, %v", got, err)
	}
	if notes, err := store.Notes(ctx, c.Reference); err != nil || len(notes) != 2 || notes[0].Text != canaryNote {
		t.Fatalf("Notes = %+v, %v", notes, err)
	}
	if ns, err := store.Notifications(ctx, c.Reference); err != nil || len(ns) != 2 || ns[1].ChatID != canaryGroupChat {
		t.Fatalf("Notifications = %+v, %v", ns, err)
	}
}

// TestUnroutedAfterJobDeletedByHand deletes a case's job behind the
// store's back, as a mistaken operator might.
func TestUnroutedAfterJobDeletedByHand(t *testing.T) {
	ctx := t.Context()
	store, schema := storagetest.NewPostgres(t, keys.NewRandomRing())
	for _, c := range []tipline.NewCase{canaryCase("draft-1", "TL-AAAA-CCCC"), canaryCase("draft-2", "TL-AAAA-DDDD")} {
		if _, _, err := store.SubmitCase(ctx, c); err != nil {
			t.Fatalf("SubmitCase: %v", err)
		}
	}
	if refs, err := store.UnroutedCases(ctx); err != nil || len(refs) != 0 {
		t.Fatalf("UnroutedCases = %v, %v; want none", refs, err)
	}
	conn := storagetest.Conn(t)
	q := `delete from ` + pgx.Identifier{schema, "jobs"}.Sanitize() +
		` where case_id = (select id from ` + pgx.Identifier{schema, "cases"}.Sanitize() + ` where reference = $1)`
	if _, err := conn.Exec(ctx, q, "TL-AAAA-DDDD"); err != nil {
		t.Fatalf("delete job: %v", err)
	}
	refs, err := store.UnroutedCases(ctx)
	if err != nil || !reflect.DeepEqual(refs, []tipline.Reference{"TL-AAAA-DDDD"}) {
		t.Fatalf("UnroutedCases = %v, %v; want TL-AAAA-DDDD", refs, err)
	}
}

func TestJobsSeveralProcesses(t *testing.T) {
	first, second, _ := twoProcesses(t)
	storagetest.CheckConcurrentJobClaims(t, first, second)
}

// TestDeletingCaseDeletesItsRows deletes a case by hand, as retention will,
// and checks that its jobs, notification copies, notes and audit go with
// it while reviewers stay.
func TestDeletingCaseDeletesItsRows(t *testing.T) {
	ctx := t.Context()
	store, schema := storagetest.NewPostgres(t, keys.NewRandomRing())
	rv := mustRegister(t, store, canaryReviewerTelegram, canaryReviewerName)
	gone, kept := canaryCase("draft-1", "TL-AAAA-CCCC"), canaryCase("draft-2", "TL-AAAA-DDDD")
	for _, c := range []tipline.NewCase{gone, kept} {
		if _, _, err := store.SubmitCase(ctx, c); err != nil {
			t.Fatalf("SubmitCase: %v", err)
		}
		if err := store.ScheduleJob(ctx, tipline.Job{Reference: c.Reference, Level: 1, RunAt: reviewT0}); err != nil {
			t.Fatalf("ScheduleJob: %v", err)
		}
		if err := store.AddNotification(ctx, c.Reference, tipline.Notification{ReviewerID: rv.ID, ChatID: 1, MessageID: 2}); err != nil {
			t.Fatalf("AddNotification: %v", err)
		}
		if err := store.AddNote(ctx, c.Reference, tipline.Note{Author: "reviewer:1", Kind: tipline.NoteInternal, Text: canaryNote}); err != nil {
			t.Fatalf("AddNote: %v", err)
		}
	}
	if err := store.CloseCase(ctx, gone.Reference, rv.ID, tipline.OutcomeNoAction, reviewT0); err != nil {
		t.Fatalf("CloseCase: %v", err)
	}
	conn := storagetest.Conn(t)
	cases := pgx.Identifier{schema, "cases"}.Sanitize()
	if _, err := conn.Exec(ctx, `delete from `+cases+` where reference = $1`, string(gone.Reference)); err != nil {
		t.Fatalf("delete case: %v", err)
	}
	for table, want := range map[string]int{"jobs": 2, "notifications": 1, "notes": 1, "audit_events": 2, "reviewers": 1} {
		var n int
		if err := conn.QueryRow(ctx, `select count(*) from `+pgx.Identifier{schema, table}.Sanitize()).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		if n != want {
			t.Errorf("%d rows in %s after deleting a case, want %d (the other case's)", n, table, want)
		}
	}
	if _, err := store.Case(ctx, kept.Reference); err != nil {
		t.Fatalf("Case of the other case: %v", err)
	}
}

// TestReviewerSealedValuesBoundToRow copies ciphertexts between reviewers'
// and notes' rows and checks that the store refuses to open them.
func TestReviewerSealedValuesBoundToRow(t *testing.T) {
	ctx := t.Context()
	store, schema := storagetest.NewPostgres(t, keys.NewRandomRing())
	a := mustRegister(t, store, canaryReviewerTelegram, canaryReviewerName)
	b := mustRegister(t, store, canaryReviewerTelegram+1, "Dara")
	c := canaryCase("draft-1", "TL-AAAA-CCCC")
	if _, _, err := store.SubmitCase(ctx, c); err != nil {
		t.Fatalf("SubmitCase: %v", err)
	}
	for _, text := range []string{canaryNote, "second"} {
		if err := store.AddNote(ctx, c.Reference, tipline.Note{Author: "reviewer:1", Kind: tipline.NoteInternal, Text: text}); err != nil {
			t.Fatalf("AddNote: %v", err)
		}
	}
	conn := storagetest.Conn(t)
	reviewers := pgx.Identifier{schema, "reviewers"}.Sanitize()
	notes := pgx.Identifier{schema, "notes"}.Sanitize()

	// b takes a's name: whoever can write to the database cannot make one
	// reviewer show as another.
	if _, err := conn.Exec(ctx, `update `+reviewers+` set name = (select name from `+reviewers+` where id = $1) where id = $2`, a.ID, b.ID); err != nil {
		t.Fatalf("tamper: %v", err)
	}
	if _, err := store.Reviewer(ctx, b.ID); !errors.Is(err, keys.ErrUndecryptable) {
		t.Fatalf("Reviewer with another's name: %v, want ErrUndecryptable", err)
	}
	if _, err := conn.Exec(ctx, `update `+reviewers+` set telegram_id = name where id = $1`, a.ID); err != nil {
		t.Fatalf("tamper: %v", err)
	}
	if _, err := store.ReviewerByTelegram(ctx, canaryReviewerTelegram); !errors.Is(err, keys.ErrUndecryptable) {
		t.Fatalf("ReviewerByTelegram with the name in place of the id: %v, want ErrUndecryptable", err)
	}
	if _, err := conn.Exec(ctx, `update `+notes+` set text = (select text from `+notes+` order by id limit 1)`); err != nil {
		t.Fatalf("tamper: %v", err)
	}
	_, err := store.Notes(ctx, c.Reference)
	if !errors.Is(err, keys.ErrUndecryptable) {
		t.Fatalf("Notes with one note's words copied to another: %v, want ErrUndecryptable", err)
	}
	if strings.Contains(err.Error(), canaryNote) {
		t.Fatalf("error %q reveals a note", err)
	}
}
