package postgres_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/postgres"
	"github.com/tipline/tipline/storage/storagetest"
)

// Canaries: values that must never be readable in the database.
const (
	canaryChatID   = 987654321987
	canaryAnswer   = "CANARY-ANSWER-blue-house-near-the-market"
	canaryName     = "CANARY-NAME-Sokha"
	canaryTipText  = "CANARY-TIP-TEXT-they-will-sell-her"
	canaryFileID   = "CANARY-FILEID-AgACAgUAAxkBAAIB"
	canaryUniqueID = "CANARY-FUID-AQADmrsxG"
	canaryContent  = "CANARY-CONTENT-jpeg-bytes"
	canaryLat      = "11.5564931"
	canaryLon      = "104.9282813"
	// Additions, follow-up codes and reporters.
	canaryAddition  = "CANARY-ADDITION-the-van-is-white"
	canaryAddFileID = "CANARY-ADD-FILEID-BQACAgUAAxkBAAIC"
	canaryAddUnique = "CANARY-ADD-FUID-AgADnBsxG"
	canaryCode      = "4929187355026614" // a follow-up code, 16 digits
	canaryPseudonym = "c0ffee00deadbeef5eed5eed0ddba115"
	canaryIdemKey   = "upd:CANARY-IDEMPOTENCY-KEY"
)

func canaryCase(draft string, ref tipline.Reference) tipline.NewCase {
	return tipline.NewCase{
		DraftID:        draft,
		Reference:      ref,
		Kind:           tipline.KindTip,
		Urgency:        tipline.UrgencyUrgent,
		Lang:           "km",
		Reporter:       "5f2c9a0d1b7e4c3a8f6d2e1b0a9c8d7e",
		ReporterChatID: canaryChatID,
		ContactAllowed: true,
		Answers:        tipline.Answers{"where": canaryAnswer, "who": canaryName},
		Location:       &tipline.Location{Latitude: 11.5564931, Longitude: 104.9282813},
		Attachments: []tipline.Attachment{
			{Kind: tipline.AttachPhoto, FileID: canaryFileID, FileUniqueID: canaryUniqueID, Question: "photos"},
		},
		SubmittedAt: time.Now(),
	}
}

func TestDumpRevealsNothing(t *testing.T) {
	ctx := t.Context()
	ring := keys.NewRandomRing()
	store, schema := storagetest.NewPostgres(t, ring)

	payload := `{"update_id":%d,"message":{"chat":{"id":987654321987,"first_name":"` + canaryName + `"},"text":"` + canaryTipText + `"}}`
	chat := ring.ChatKey(canaryChatID)
	if _, err := store.InboxAdd(ctx, []storage.InboxItem{
		{UpdateID: 1, ChatKey: chat, Payload: []byte(strings.Replace(payload, "%d", "1", 1))},
		{UpdateID: 2, ChatKey: chat, Payload: []byte(strings.Replace(payload, "%d", "2", 1))},
	}); err != nil {
		t.Fatalf("InboxAdd: %v", err)
	}
	if _, _, err := storagetest.InboxClaim(ctx, store, "w", time.Minute); err != nil {
		t.Fatalf("InboxClaim: %v", err)
	}
	if err := store.InboxComplete(ctx, 1, "w", nil); err != nil {
		t.Fatalf("InboxComplete: %v", err)
	}
	c := canaryCase("draft-1", "TL-AAAA-CCCC")
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

	dump := storagetest.DumpSchema(t, schema)
	if !strings.Contains(dump, string(c.Reference)) || !strings.Contains(dump, chat) || !strings.Contains(dump, "information_added") {
		t.Fatalf("the dump lacks the case reference, chat key or addition; did it dump the data?\n%s", dump)
	}
	for _, canary := range []string{"987654321987", canaryAnswer, canaryName, canaryTipText, canaryFileID, canaryUniqueID, canaryContent, canaryLat, canaryLon,
		canaryAddition, canaryAddFileID, canaryAddUnique, canaryIdemKey} {
		if strings.Contains(dump, canary) {
			t.Errorf("the dump of schema %s contains %q", schema, canary)
		}
	}
}

// canaryAdditionOf is an addition by reporter with words and a photo.
func canaryAdditionOf(reporter string) tipline.Addition {
	return tipline.Addition{
		Actor: "reporter:" + reporter,
		Text:  canaryAddition,
		Attachments: []tipline.Attachment{
			{Kind: tipline.AttachPhoto, FileID: canaryAddFileID, FileUniqueID: canaryAddUnique},
		},
		At: time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC),
	}
}

// TestDumpAfterForget checks that once a reporter is forgotten, a backup
// holds nothing that names them or lets the team reach them, while what they
// reported stays.
func TestDumpAfterForget(t *testing.T) {
	ctx := t.Context()
	store, schema := storagetest.NewPostgres(t, keys.NewRandomRing())
	mine := canaryCase("draft-1", "TL-AAAA-CCCC")
	mine.Reporter = canaryPseudonym
	mine.FollowUpHash = []byte("slow hash of a code")
	second := canaryCase("draft-2", "TL-AAAA-DDDD")
	second.Reporter = canaryPseudonym
	theirs := canaryCase("draft-3", "TL-AAAA-EEEE")
	theirs.ReporterChatID = 1234567
	for _, c := range []tipline.NewCase{mine, second, theirs} {
		if _, _, err := store.SubmitCase(ctx, c); err != nil {
			t.Fatalf("SubmitCase: %v", err)
		}
	}
	if err := storagetest.AddToCaseOnce(ctx, store, mine.Reference, "upd:1", canaryAdditionOf(canaryPseudonym)); err != nil {
		t.Fatalf("AddToCaseOnce: %v", err)
	}
	// The same person also added to someone else's case with its code.
	if err := storagetest.AddToCaseOnce(ctx, store, theirs.Reference, "upd:2", tipline.Addition{Actor: "followup:" + canaryPseudonym, Text: "seen her"}); err != nil {
		t.Fatalf("AddToCaseOnce: %v", err)
	}
	rv := mustRegister(t, store, canaryReviewerTelegram, canaryReviewerName)
	if _, _, err := store.Acknowledge(ctx, mine.Reference, rv.ID, time.Now()); err != nil {
		t.Fatalf("Acknowledge: %v", err)
	}
	if dump := storagetest.DumpSchema(t, schema); !strings.Contains(dump, canaryPseudonym) {
		t.Fatalf("the dump lacks the pseudonym before Forget; did it dump the data?")
	}

	n, err := store.Forget(ctx, canaryPseudonym)
	if err != nil || n != 3 {
		t.Fatalf("Forget = %d, %v; want 3 cases", n, err)
	}
	dump := storagetest.DumpSchema(t, schema)
	if strings.Contains(dump, canaryPseudonym) {
		t.Errorf("the dump after Forget contains the pseudonym")
	}
	for _, ref := range []tipline.Reference{mine.Reference, second.Reference, theirs.Reference} {
		if !strings.Contains(dump, string(ref)) {
			t.Errorf("the dump after Forget lacks case %s", ref)
		}
	}

	// The sealed chat ids are gone, not merely unreadable; the other
	// reporter's stays.
	conn := storagetest.Conn(t)
	q := `select reference, reporter is null, reporter_chat is null, contact_allowed from ` +
		pgx.Identifier{schema, "cases"}.Sanitize() + ` order by reference`
	rows, err := conn.Query(ctx, q)
	if err != nil {
		t.Fatalf("read cases: %v", err)
	}
	got := map[string][3]bool{}
	for rows.Next() {
		var ref string
		var noReporter, noChat, contact bool
		if err := rows.Scan(&ref, &noReporter, &noChat, &contact); err != nil {
			t.Fatalf("read cases: %v", err)
		}
		got[ref] = [3]bool{noReporter, noChat, contact}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read cases: %v", err)
	}
	want := map[string][3]bool{
		"TL-AAAA-CCCC": {true, true, false},
		"TL-AAAA-DDDD": {true, true, false},
		"TL-AAAA-EEEE": {false, false, true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("cases (reporter null, chat null, contact allowed) = %v, want %v", got, want)
	}
	c, err := store.Case(ctx, mine.Reference)
	if err != nil {
		t.Fatalf("Case after Forget: %v", err)
	}
	if c.Reporter != "" || c.ReporterChatID != 0 || c.Answers["where"] != canaryAnswer || len(c.Additions) != 1 || c.Additions[0].Text != canaryAddition {
		t.Fatalf("case after Forget: reporter %q, chat %d, answers %v, additions %+v", c.Reporter, c.ReporterChatID, c.Answers, c.Additions)
	}
	if ref, err := store.CaseByFollowUp(ctx, mine.FollowUpHash); err != nil || ref != mine.Reference {
		t.Fatalf("CaseByFollowUp after Forget = %s, %v; want %s", ref, err, mine.Reference)
	}
}

// TestFollowUpHashOnly checks that the database holds the follow-up hash
// exactly as given and never the code it was made from.
func TestFollowUpHashOnly(t *testing.T) {
	ctx := t.Context()
	ring := keys.NewRandomRing()
	store, schema := storagetest.NewPostgres(t, ring)
	// Any keyed hash stands for the bot's slow one here.
	m := hmac.New(sha256.New, ring.FollowUpKey())
	m.Write([]byte(canaryCode))
	hash := m.Sum(nil)
	c := canaryCase("draft-1", "TL-AAAA-CCCC")
	c.FollowUpHash = hash
	if _, _, err := store.SubmitCase(ctx, c); err != nil {
		t.Fatalf("SubmitCase: %v", err)
	}

	conn := storagetest.Conn(t)
	var stored []byte
	q := `select followup_hash from ` + pgx.Identifier{schema, "cases"}.Sanitize() + ` where reference = $1`
	if err := conn.QueryRow(ctx, q, string(c.Reference)).Scan(&stored); err != nil {
		t.Fatalf("read follow-up hash: %v", err)
	}
	if !bytes.Equal(stored, hash) {
		t.Fatalf("followup_hash holds %x, want the hash given, %x", stored, hash)
	}
	dump := storagetest.DumpSchema(t, schema)
	if !strings.Contains(dump, hex.EncodeToString(hash)) {
		t.Fatalf("the dump lacks the follow-up hash; did it dump the data?")
	}
	spaced := canaryCode[:4] + " " + canaryCode[4:8] + " " + canaryCode[8:12] + " " + canaryCode[12:]
	dashed := strings.ReplaceAll(spaced, " ", "-")
	for _, canary := range []string{canaryCode, spaced, dashed, hex.EncodeToString([]byte(canaryCode))} {
		if strings.Contains(dump, canary) {
			t.Errorf("the dump contains the follow-up code as %q", canary)
		}
	}
	if ref, err := store.CaseByFollowUp(ctx, hash); err != nil || ref != c.Reference {
		t.Fatalf("CaseByFollowUp = %s, %v; want %s", ref, err, c.Reference)
	}
	if _, err := store.CaseByFollowUp(ctx, []byte(canaryCode)); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("CaseByFollowUp of the code itself: %v, want ErrNotFound", err)
	}
}

// TestAddToCaseOnceStoresOneRow applies the same addition twice, and many
// times at once, and counts the rows.
func TestAddToCaseOnceStoresOneRow(t *testing.T) {
	ctx := t.Context()
	store, schema := storagetest.NewPostgres(t, keys.NewRandomRing())
	c := canaryCase("draft-1", "TL-AAAA-CCCC")
	if _, _, err := store.SubmitCase(ctx, c); err != nil {
		t.Fatalf("SubmitCase: %v", err)
	}
	a := canaryAdditionOf(c.Reporter)
	if err := storagetest.AddToCaseOnce(ctx, store, c.Reference, "upd:12345", a); err != nil {
		t.Fatalf("AddToCaseOnce: %v", err)
	}
	if err := storagetest.AddToCaseOnce(ctx, store, c.Reference, "upd:12345", a); err != nil {
		t.Fatalf("AddToCaseOnce again: %v", err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := storagetest.AddToCaseOnce(ctx, store, c.Reference, "upd:12346", a); err != nil {
				t.Errorf("AddToCaseOnce at once: %v", err)
			}
		})
	}
	wg.Wait()

	conn := storagetest.Conn(t)
	count := func(sql string) int {
		t.Helper()
		var n int
		if err := conn.QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatalf("count: %v", err)
		}
		return n
	}
	additions := pgx.Identifier{schema, "additions"}.Sanitize()
	attachments := pgx.Identifier{schema, "attachments"}.Sanitize()
	audit := pgx.Identifier{schema, "audit_events"}.Sanitize()
	if n := count(`select count(*) from ` + additions); n != 2 {
		t.Errorf("%d addition rows, want 2 (one per key)", n)
	}
	if n := count(`select count(*) from ` + attachments + ` where addition_id is not null`); n != 2 {
		t.Errorf("%d addition attachment rows, want 2", n)
	}
	if n := count(`select count(*) from ` + attachments + ` where addition_id is not null and question = 'addition'`); n != 2 {
		t.Errorf("%d addition attachment rows with question addition, want 2", n)
	}
	if n := count(`select count(*) from ` + audit + ` where action = 'information_added'`); n != 2 {
		t.Errorf("%d information_added events, want 2", n)
	}
	if n := count(`select count(*) from ` + additions + ` where length(idempotency_key) = 32`); n != 2 {
		t.Errorf("%d additions keep a 32-byte key hash, want 2", n)
	}
}

func TestInboxCompleteDropsPayload(t *testing.T) {
	ctx := t.Context()
	store, schema := storagetest.NewPostgres(t, keys.NewRandomRing())
	if _, err := store.InboxAdd(ctx, []storage.InboxItem{{UpdateID: 7, ChatKey: "a", Payload: []byte("{}")}}); err != nil {
		t.Fatalf("InboxAdd: %v", err)
	}
	if _, _, err := storagetest.InboxClaim(ctx, store, "w", time.Minute); err != nil {
		t.Fatalf("InboxClaim: %v", err)
	}
	if err := store.InboxComplete(ctx, 7, "w", nil); err != nil {
		t.Fatalf("InboxComplete: %v", err)
	}
	conn := storagetest.Conn(t)
	var payloadGone, processed, unclaimed bool
	q := `select payload is null, processed_at is not null, claimed_by is null and claimed_until is null from ` +
		pgx.Identifier{schema, "inbox"}.Sanitize() + ` where update_id = 7`
	if err := conn.QueryRow(ctx, q).Scan(&payloadGone, &processed, &unclaimed); err != nil {
		t.Fatalf("read inbox row: %v", err)
	}
	if !payloadGone || !processed || !unclaimed {
		t.Fatalf("after InboxDone: payload dropped %v, processed %v, unclaimed %v; want all true", payloadGone, processed, unclaimed)
	}
}

func TestInboxSeveralProcesses(t *testing.T) {
	first, second, schema := twoProcesses(t)
	storagetest.CheckConcurrentClaims(t, storagetest.PostgresPeek(t, schema), first, second)
}

// twoProcesses opens two stores on one fresh schema, as two bot processes
// would.
func twoProcesses(t *testing.T) (first, second *postgres.Store, schema string) {
	t.Helper()
	ring := keys.NewRandomRing()
	first, schema = storagetest.NewPostgres(t, ring)
	second, err := postgres.Open(t.Context(), storagetest.SchemaURL(schema), ring)
	if err != nil {
		t.Fatalf("open a second store: %v", err)
	}
	t.Cleanup(second.Close)
	return first, second, schema
}

// TestSealedValueCopiedElsewhereDoesNotOpen copies ciphertexts from one
// case's rows to another's, as someone with write access to the database
// might, and checks that the store refuses to open them.
func TestSealedValueCopiedElsewhereDoesNotOpen(t *testing.T) {
	ctx := t.Context()
	store, schema := storagetest.NewPostgres(t, keys.NewRandomRing())
	a, b := canaryCase("draft-a", "TL-AAAA-CCCC"), canaryCase("draft-b", "TL-AAAA-DDDD")
	b.Answers = tipline.Answers{"where": "elsewhere"}
	for _, c := range []tipline.NewCase{a, b} {
		if _, _, err := store.SubmitCase(ctx, c); err != nil {
			t.Fatalf("SubmitCase: %v", err)
		}
	}
	if err := store.SaveAttachmentContent(ctx, a.Reference, canaryUniqueID, []byte(canaryContent)); err != nil {
		t.Fatalf("SaveAttachmentContent: %v", err)
	}
	conn := storagetest.Conn(t)
	cases := pgx.Identifier{schema, "cases"}.Sanitize()
	attachments := pgx.Identifier{schema, "attachments"}.Sanitize()
	exec := func(sql string) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql, a.Reference, b.Reference); err != nil {
			t.Fatalf("tamper: %v", err)
		}
	}

	exec(`update ` + attachments + ` t set content = s.content, size = s.size, fetched_at = s.fetched_at
		from ` + attachments + ` s, ` + cases + ` ca, ` + cases + ` cb
		where ca.reference = $1 and cb.reference = $2 and s.case_id = ca.id and t.case_id = cb.id`)
	_, err := store.AttachmentContent(ctx, b.Reference, canaryUniqueID)
	if !errors.Is(err, keys.ErrUndecryptable) {
		t.Fatalf("AttachmentContent of a copied ciphertext: %v, want ErrUndecryptable", err)
	}

	exec(`update ` + cases + ` set answers = (select answers from ` + cases + ` where reference = $1) where reference = $2`)
	_, err = store.Case(ctx, b.Reference)
	if !errors.Is(err, keys.ErrUndecryptable) {
		t.Fatalf("Case with copied answers: %v, want ErrUndecryptable", err)
	}
	if strings.Contains(err.Error(), canaryAnswer) {
		t.Fatalf("error %q reveals an answer", err)
	}

	// Swapping a sealed column for another column of the same row fails too.
	exec(`update ` + cases + ` set answers = reporter_chat where reference = $1 or reference = $2`)
	if _, err := store.Case(ctx, a.Reference); !errors.Is(err, keys.ErrUndecryptable) {
		t.Fatalf("Case with the chat id in place of the answers: %v, want ErrUndecryptable", err)
	}
}

// TestAdditionCopiedElsewhereDoesNotOpen does the same with the sealed
// words of additions.
func TestAdditionCopiedElsewhereDoesNotOpen(t *testing.T) {
	ctx := t.Context()
	store, schema := storagetest.NewPostgres(t, keys.NewRandomRing())
	a, b := canaryCase("draft-a", "TL-AAAA-CCCC"), canaryCase("draft-b", "TL-AAAA-DDDD")
	for _, c := range []tipline.NewCase{a, b} {
		if _, _, err := store.SubmitCase(ctx, c); err != nil {
			t.Fatalf("SubmitCase: %v", err)
		}
		// The same key in both cases: only the case tells the rows apart.
		if err := storagetest.AddToCaseOnce(ctx, store, c.Reference, "upd:1", tipline.Addition{Actor: "reporter:x", Text: canaryAddition + " " + c.DraftID}); err != nil {
			t.Fatalf("AddToCaseOnce: %v", err)
		}
	}
	if err := storagetest.AddToCaseOnce(ctx, store, a.Reference, "upd:2", tipline.Addition{Actor: "reporter:x", Text: "second"}); err != nil {
		t.Fatalf("AddToCaseOnce: %v", err)
	}
	for _, ref := range []tipline.Reference{a.Reference, b.Reference} {
		if _, err := store.Case(ctx, ref); err != nil {
			t.Fatalf("Case before tampering: %v", err)
		}
	}
	conn := storagetest.Conn(t)
	cases := pgx.Identifier{schema, "cases"}.Sanitize()
	additions := pgx.Identifier{schema, "additions"}.Sanitize()
	exec := func(sql string) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql, a.Reference, b.Reference); err != nil {
			t.Fatalf("tamper: %v", err)
		}
	}

	// a's first addition's words into b's addition with the same key.
	exec(`update ` + additions + ` t set text = s.text
		from ` + additions + ` s, ` + cases + ` ca, ` + cases + ` cb
		where ca.reference = $1 and cb.reference = $2 and s.case_id = ca.id and t.case_id = cb.id
		  and s.idempotency_key = t.idempotency_key`)
	_, err := store.Case(ctx, b.Reference)
	if !errors.Is(err, keys.ErrUndecryptable) {
		t.Fatalf("Case with an addition copied from another case: %v, want ErrUndecryptable", err)
	}
	if strings.Contains(err.Error(), canaryAddition) {
		t.Fatalf("error %q reveals an addition", err)
	}

	// a's two additions' words swapped.
	exec(`update ` + additions + ` t set text = (select text from ` + additions + ` s where s.case_id = t.case_id and s.id <> t.id)
		where case_id = (select id from ` + cases + ` where reference = $1) and $2 <> ''`)
	if _, err := store.Case(ctx, a.Reference); !errors.Is(err, keys.ErrUndecryptable) {
		t.Fatalf("Case with additions' words swapped: %v, want ErrUndecryptable", err)
	}
}

func TestMigrateTwiceChangesNothing(t *testing.T) {
	ctx := t.Context()
	store, schema := storagetest.NewPostgres(t, keys.NewRandomRing())
	c := canaryCase("draft-1", "TL-AAAA-CCCC")
	if _, _, err := store.SubmitCase(ctx, c); err != nil {
		t.Fatalf("SubmitCase: %v", err)
	}
	if err := store.Migrate(ctx); err != nil {
		t.Fatalf("Migrate again: %v", err)
	}
	conn, err := pgx.Connect(ctx, storagetest.SchemaURL(schema))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if err := postgres.Migrate(ctx, conn); err != nil {
		t.Fatalf("Migrate a third time: %v", err)
	}
	var version int
	if err := conn.QueryRow(ctx, `select version from tipline_schema_version`).Scan(&version); err != nil {
		t.Fatalf("read schema version: %v", err)
	}
	files, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	if version != len(files) {
		t.Fatalf("schema version %d, want %d (one per migration)", version, len(files))
	}
	if got, err := store.Case(ctx, c.Reference); err != nil || got.Answers["where"] != canaryAnswer {
		t.Fatalf("case after migrating again: %v", err)
	}
}

func TestPostgresUnavailable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := postgres.Open(ctx, "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2", keys.NewRandomRing())
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("Open of a database that is down: %v, want ErrUnavailable", err)
	}
}

// TestKilledProcessTakenOverAtOnce: a process that holds its advisory lock
// and dies with its connection (kill -9: no Leave) has its claim freed by
// the next heartbeat of another process, not after ten seconds of
// silence; a process without a lock keeps its claim until its silence.
func TestKilledProcessTakenOverAtOnce(t *testing.T) {
	ctx := t.Context()
	ring := keys.NewRandomRing()
	survivor, schema := storagetest.NewPostgres(t, ring)
	open := func() *postgres.Store {
		s, err := postgres.Open(ctx, storagetest.SchemaURL(schema), ring)
		if err != nil {
			t.Fatalf("open another store: %v", err)
		}
		return s
	}
	other := open()
	t.Cleanup(other.Close)
	if _, err := survivor.InboxAdd(ctx, []storage.InboxItem{
		{UpdateID: 1, ChatKey: "a", Payload: []byte(`{"update_id":1}`)},
		{UpdateID: 2, ChatKey: "b", Payload: []byte(`{"update_id":2}`)},
	}); err != nil {
		t.Fatal(err)
	}
	// The victim: its own pool, as a process of its own.
	victim := open()
	if err := victim.HoldProcessLock(ctx, "victim"); err != nil {
		t.Fatalf("HoldProcessLock: %v", err)
	}
	if _, err := victim.Heartbeat(ctx, "victim"); err != nil {
		t.Fatal(err)
	}
	if it, ok, err := storagetest.InboxClaim(ctx, victim, "victim", time.Minute); err != nil || !ok || it.UpdateID != 1 {
		t.Fatalf("victim's claim = %+v, %v, %v", it, ok, err)
	}
	// A process without a lock, alive by its heartbeat alone.
	if _, err := other.Heartbeat(ctx, "quiet"); err != nil {
		t.Fatal(err)
	}
	if it, ok, err := storagetest.InboxClaim(ctx, other, "quiet", time.Minute); err != nil || !ok || it.UpdateID != 2 {
		t.Fatalf("quiet's claim = %+v, %v, %v", it, ok, err)
	}

	if _, err := survivor.Heartbeat(ctx, "survivor"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := storagetest.InboxClaim(ctx, survivor, "survivor", time.Minute); ok {
		t.Fatal("a claim of a live process was taken over")
	}
	victim.Close() // kill -9: the connections close, no Leave
	if _, err := survivor.Heartbeat(ctx, "survivor"); err != nil {
		t.Fatal(err)
	}
	it, ok, err := storagetest.InboxClaim(ctx, survivor, "survivor", time.Minute)
	if err != nil || !ok || it.UpdateID != 1 {
		t.Fatalf("after the victim died: claim = %+v, %v, %v; want update 1 at once", it, ok, err)
	}
	if _, ok, _ := storagetest.InboxClaim(ctx, survivor, "survivor", time.Minute); ok {
		t.Fatal("the claim of a process without a lock was taken over before its silence")
	}
}
