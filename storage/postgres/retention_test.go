package postgres_test

import (
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/storage/storagetest"
)

// TestDeleteClosedCaseLeavesNothing deletes a closed case past its
// retention period and looks at every table: no row with its id remains,
// nothing in a backup names it, and the cases closed later or still open
// keep all their rows.
func TestDeleteClosedCaseLeavesNothing(t *testing.T) {
	ctx := t.Context()
	store, schema := storagetest.NewPostgres(t, keys.NewRandomRing())
	rv := mustRegister(t, store, canaryReviewerTelegram, canaryReviewerName)
	gone := canaryCase("draft-gone", "TL-AAAA-CCCC")
	gone.Reporter = canaryPseudonym
	gone.FollowUpHash = []byte("slow hash of the gone case's code")
	later := canaryCase("draft-later", "TL-AAAA-DDDD")
	open := canaryCase("draft-open", "TL-AAAA-EEEE")
	open.SubmittedAt = reviewT0.AddDate(-3, 0, 0)
	for _, c := range []tipline.NewCase{gone, later, open} {
		if _, _, err := store.SubmitCase(ctx, c); err != nil {
			t.Fatalf("SubmitCase: %v", err)
		}
		if err := store.SaveAttachmentContent(ctx, c.Reference, canaryUniqueID, []byte(canaryContent)); err != nil {
			t.Fatalf("SaveAttachmentContent: %v", err)
		}
		if err := storagetest.AddToCaseOnce(ctx, store, c.Reference, canaryIdemKey, canaryAdditionOf(c.Reporter)); err != nil {
			t.Fatalf("AddToCaseOnce: %v", err)
		}
		if err := store.SaveAttachmentContent(ctx, c.Reference, canaryAddUnique, []byte(canaryContent)); err != nil {
			t.Fatalf("SaveAttachmentContent of an addition's file: %v", err)
		}
		if err := store.AddNotification(ctx, c.Reference, tipline.Notification{ReviewerID: rv.ID, ChatID: canaryGroupChat, MessageID: 5}); err != nil {
			t.Fatalf("AddNotification: %v", err)
		}
		if err := store.AddNote(ctx, c.Reference, tipline.Note{Author: "reviewer:1", Kind: tipline.NoteInternal, Text: canaryNote, At: reviewT0}); err != nil {
			t.Fatalf("AddNote: %v", err)
		}
	}
	// The case to delete was referred to a partner: its referral goes too.
	unit, err := store.AddPartner(ctx, "Poipet police", tipline.PartnerPolice, "KH")
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Refer(ctx, gone.Reference, rv.ID, unit.ID, reviewT0); err != nil {
		t.Fatalf("Refer: %v", err)
	}
	if err := store.CloseCase(ctx, later.Reference, rv.ID, tipline.OutcomePolice, reviewT0.Add(24*time.Hour)); err != nil {
		t.Fatalf("CloseCase: %v", err)
	}
	conn := storagetest.Conn(t)
	table := func(name string) string { return pgx.Identifier{schema, name}.Sanitize() }
	// A routing job left behind for the closed case, as a crash might leave one.
	if _, err := conn.Exec(ctx, `insert into `+table("jobs")+` (case_id, level, run_at)
		select id, 1, now() from `+table("cases")+` where reference = $1`, string(gone.Reference)); err != nil {
		t.Fatalf("insert job: %v", err)
	}
	caseID := func(ref tipline.Reference) int64 {
		t.Helper()
		var id int64
		if err := conn.QueryRow(ctx, `select id from `+table("cases")+` where reference = $1`, string(ref)).Scan(&id); err != nil {
			t.Fatalf("find case %s: %v", ref, err)
		}
		return id
	}
	ids := map[tipline.Reference]int64{gone.Reference: caseID(gone.Reference), later.Reference: caseID(later.Reference), open.Reference: caseID(open.Reference)}

	// Every table that names a case by its id, whatever tables come later.
	rows, err := conn.Query(ctx, `select table_name from information_schema.columns
		where table_schema = $1 and column_name = 'case_id' order by table_name`, schema)
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	caseTables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	wantTables := []string{"additions", "attachments", "audit_events", "jobs", "notes", "notifications", "referrals"}
	if !reflect.DeepEqual(caseTables, wantTables) {
		t.Fatalf("tables with a case_id: %v, want %v (check DeleteClosedCases deletes from every one)", caseTables, wantTables)
	}
	rowsOf := func(ref tipline.Reference) map[string]int {
		t.Helper()
		out := map[string]int{}
		for _, name := range append([]string{"cases"}, caseTables...) {
			column := "case_id"
			if name == "cases" {
				column = "id"
			}
			var n int
			if err := conn.QueryRow(ctx, `select count(*) from `+table(name)+` where `+column+` = $1`, ids[ref]).Scan(&n); err != nil {
				t.Fatalf("count %s: %v", name, err)
			}
			out[name] = n
		}
		return out
	}
	before := rowsOf(gone.Reference)
	for name, n := range before {
		if n == 0 {
			t.Fatalf("the case to delete has no rows in %s before; the test should give it some", name)
		}
	}
	laterRows, openRows := rowsOf(later.Reference), rowsOf(open.Reference)

	now := reviewT0.Add(90*24*time.Hour + time.Hour)
	refs, err := store.DeleteClosedCases(ctx, now.Add(-90*24*time.Hour), 100)
	if err != nil || !reflect.DeepEqual(refs, []tipline.Reference{gone.Reference}) {
		t.Fatalf("DeleteClosedCases = %v, %v; want %s", refs, err, gone.Reference)
	}
	for name, n := range rowsOf(gone.Reference) {
		if n != 0 {
			t.Errorf("%d rows of the deleted case left in %s", n, name)
		}
	}
	var orphans int
	if err := conn.QueryRow(ctx, `select count(*) from `+table("attachments")+` a
		where a.addition_id is not null and not exists (select 1 from `+table("additions")+` d where d.id = a.addition_id)`).Scan(&orphans); err != nil {
		t.Fatalf("count orphans: %v", err)
	}
	if orphans != 0 {
		t.Errorf("%d attachments of deleted additions left", orphans)
	}
	if got := rowsOf(later.Reference); !reflect.DeepEqual(got, laterRows) {
		t.Errorf("rows of the case closed a day later: %v, want %v as before", got, laterRows)
	}
	if got := rowsOf(open.Reference); !reflect.DeepEqual(got, openRows) {
		t.Errorf("rows of the open case: %v, want %v as before", got, openRows)
	}
	var reviewers int
	if err := conn.QueryRow(ctx, `select count(*) from `+table("reviewers")).Scan(&reviewers); err != nil || reviewers != 1 {
		t.Errorf("%d reviewers after deleting a case, %v; want the one", reviewers, err)
	}

	dump := storagetest.DumpSchema(t, schema)
	if !strings.Contains(dump, string(later.Reference)) || !strings.Contains(dump, string(open.Reference)) {
		t.Fatalf("the dump lacks the cases kept; did it dump the data?")
	}
	for _, gone := range []string{string(gone.Reference), gone.DraftID, canaryPseudonym, hex.EncodeToString(gone.FollowUpHash)} {
		if strings.Contains(dump, gone) {
			t.Errorf("the dump after deleting the case still contains %q", gone)
		}
	}
}

// TestBlockNamesNoCase checks that a block row holds a pseudonym, a time, a
// reason and the reference of the case it was made from only while that
// case itself names the reporter: no foreign key, and the reference is
// cleared when the reporter is forgotten.
func TestBlockNamesNoCase(t *testing.T) {
	ctx := t.Context()
	store, schema := storagetest.NewPostgres(t, keys.NewRandomRing())
	rv := mustRegister(t, store, canaryReviewerTelegram, canaryReviewerName)
	c := canaryCase("draft-1", "TL-AAAA-CCCC")
	c.Reporter = canaryPseudonym
	if _, _, err := store.SubmitCase(ctx, c); err != nil {
		t.Fatalf("SubmitCase: %v", err)
	}
	if err := storagetest.BlockReporter(ctx, store, c.Reference, rv.ID, reviewT0); err != nil {
		t.Fatalf("BlockReporter: %v", err)
	}
	conn := storagetest.Conn(t)
	rows, err := conn.Query(ctx, `select column_name from information_schema.columns
		where table_schema = $1 and table_name = 'blocks' order by ordinal_position`, schema)
	if err != nil {
		t.Fatalf("list columns: %v", err)
	}
	columns, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("list columns: %v", err)
	}
	if want := []string{"pseudonym", "blocked_at", "reason", "reference"}; !reflect.DeepEqual(columns, want) {
		t.Fatalf("blocks has columns %v, want %v", columns, want)
	}
	var foreignKeys int
	if err := conn.QueryRow(ctx, `select count(*) from information_schema.table_constraints
		where table_schema = $1 and table_name = 'blocks' and constraint_type = 'FOREIGN KEY'`, schema).Scan(&foreignKeys); err != nil || foreignKeys != 0 {
		t.Fatalf("blocks has %d foreign keys, %v; want none", foreignKeys, err)
	}
	var pseudonym string
	var at time.Time
	if err := conn.QueryRow(ctx, `select pseudonym, blocked_at from `+pgx.Identifier{schema, "blocks"}.Sanitize()).Scan(&pseudonym, &at); err != nil {
		t.Fatalf("read block: %v", err)
	}
	if pseudonym != canaryPseudonym || !at.Equal(reviewT0) {
		t.Fatalf("block (%s, %v), want (%s, %v)", pseudonym, at, canaryPseudonym, reviewT0)
	}
	if _, err := store.Forget(ctx, canaryPseudonym); err != nil {
		t.Fatalf("Forget: %v", err)
	}
	var reference *string
	if err := conn.QueryRow(ctx, `select reference from `+pgx.Identifier{schema, "blocks"}.Sanitize()).Scan(&reference); err != nil {
		t.Fatalf("read block: %v", err)
	}
	if reference != nil {
		t.Fatalf("block of a forgotten reporter still names case %s", *reference)
	}
	if blocked, err := store.IsBlocked(ctx, canaryPseudonym); err != nil || !blocked {
		t.Fatalf("IsBlocked after Forget = %v, %v; want still blocked", blocked, err)
	}
}
