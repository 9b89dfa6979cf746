package storage_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/storage"
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
	if _, _, err := store.InboxClaim(ctx, "w", time.Minute); err != nil {
		t.Fatalf("InboxClaim: %v", err)
	}
	if err := store.InboxDone(ctx, 1); err != nil {
		t.Fatalf("InboxDone: %v", err)
	}
	c := canaryCase("draft-1", "TL-AAAA-CCCC")
	if _, _, err := store.SubmitCase(ctx, c); err != nil {
		t.Fatalf("SubmitCase: %v", err)
	}
	if err := store.SaveAttachmentContent(ctx, c.Reference, canaryUniqueID, []byte(canaryContent)); err != nil {
		t.Fatalf("SaveAttachmentContent: %v", err)
	}

	dump := storagetest.DumpSchema(t, schema)
	if !strings.Contains(dump, string(c.Reference)) || !strings.Contains(dump, chat) {
		t.Fatalf("the dump lacks the case reference or chat key; did it dump the data?\n%s", dump)
	}
	for _, canary := range []string{"987654321987", canaryAnswer, canaryName, canaryTipText, canaryFileID, canaryUniqueID, canaryContent, canaryLat, canaryLon} {
		if strings.Contains(dump, canary) {
			t.Errorf("the dump of schema %s contains %q", schema, canary)
		}
	}
}

func TestInboxDoneDropsPayload(t *testing.T) {
	ctx := t.Context()
	store, schema := storagetest.NewPostgres(t, keys.NewRandomRing())
	if _, err := store.InboxAdd(ctx, []storage.InboxItem{{UpdateID: 7, ChatKey: "a", Payload: []byte("{}")}}); err != nil {
		t.Fatalf("InboxAdd: %v", err)
	}
	if _, _, err := store.InboxClaim(ctx, "w", time.Minute); err != nil {
		t.Fatalf("InboxClaim: %v", err)
	}
	if err := store.InboxDone(ctx, 7); err != nil {
		t.Fatalf("InboxDone: %v", err)
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
	ring := keys.NewRandomRing()
	first, schema := storagetest.NewPostgres(t, ring)
	second, err := storage.OpenPostgres(t.Context(), storagetest.SchemaURL(schema), ring)
	if err != nil {
		t.Fatalf("open a second store: %v", err)
	}
	defer second.Close()
	storagetest.CheckConcurrentClaims(t, first, second)
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
	if err := storage.Migrate(ctx, conn); err != nil {
		t.Fatalf("Migrate a third time: %v", err)
	}
	var version int
	if err := conn.QueryRow(ctx, `select version from tipline_schema_version`).Scan(&version); err != nil {
		t.Fatalf("read schema version: %v", err)
	}
	if version != 2 {
		t.Fatalf("schema version %d, want 2", version)
	}
	if got, err := store.Case(ctx, c.Reference); err != nil || got.Answers["where"] != canaryAnswer {
		t.Fatalf("case after migrating again: %v", err)
	}
}

func TestPostgresUnavailable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := storage.OpenPostgres(ctx, "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2", keys.NewRandomRing())
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("OpenPostgres of a database that is down: %v, want ErrUnavailable", err)
	}
}
