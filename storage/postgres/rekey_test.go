package postgres_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/postgres"
	"github.com/tipline/tipline/storage/storagetest"
)

func randomRootKey(t *testing.T) []byte {
	t.Helper()
	b := make([]byte, keys.RootKeySize)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func mustRing(t *testing.T, current []byte, previous ...[]byte) *keys.Ring {
	t.Helper()
	r, err := keys.NewRing(current, previous...)
	if err != nil {
		t.Fatalf("NewRing: %v", err)
	}
	return r
}

// openSchema opens another store on schema, with ring, as a process
// restarted with other keys would.
func openSchema(t *testing.T, schema string, ring *keys.Ring) *postgres.Store {
	t.Helper()
	store, err := postgres.Open(t.Context(), storagetest.SchemaURL(schema), ring)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(store.Close)
	return store
}

// snapshot is everything a store reads back of the rekey test's data.
type snapshot struct {
	Cases         map[tipline.Reference]tipline.Case
	Audit         map[tipline.Reference][]tipline.AuditEvent
	Notes         map[tipline.Reference][]tipline.Note
	Notifications map[tipline.Reference][]tipline.Notification
	Contents      map[string]string // reference and file_unique_id → bytes
	ToFetch       []storage.PendingAttachment
	Reviewers     []tipline.Reviewer
	Rota          string
}

func readAll(t *testing.T, store *postgres.Store, refs []tipline.Reference) snapshot {
	t.Helper()
	ctx := t.Context()
	s := snapshot{
		Cases: map[tipline.Reference]tipline.Case{}, Audit: map[tipline.Reference][]tipline.AuditEvent{},
		Notes: map[tipline.Reference][]tipline.Note{}, Notifications: map[tipline.Reference][]tipline.Notification{},
		Contents: map[string]string{},
	}
	var err error
	for _, ref := range refs {
		c, err := store.Case(ctx, ref)
		if err != nil {
			t.Fatalf("Case(%s): %v", ref, err)
		}
		s.Cases[ref] = c
		if s.Audit[ref], err = store.Audit(ctx, ref); err != nil {
			t.Fatalf("Audit(%s): %v", ref, err)
		}
		if s.Notes[ref], err = store.Notes(ctx, ref); err != nil {
			t.Fatalf("Notes(%s): %v", ref, err)
		}
		if s.Notifications[ref], err = store.Notifications(ctx, ref); err != nil {
			t.Fatalf("Notifications(%s): %v", ref, err)
		}
		for _, uniq := range []string{canaryUniqueID, canaryAddUnique} {
			b, err := store.AttachmentContent(ctx, ref, uniq)
			if errors.Is(err, tipline.ErrNotFound) {
				continue // not fetched
			}
			if err != nil {
				t.Fatalf("AttachmentContent(%s): %v", ref, err)
			}
			s.Contents[string(ref)+" "+uniq] = string(b)
		}
	}
	if s.ToFetch, err = store.AttachmentsToFetch(ctx, 100); err != nil {
		t.Fatalf("AttachmentsToFetch: %v", err)
	}
	if s.Reviewers, err = store.Reviewers(ctx); err != nil {
		t.Fatalf("Reviewers: %v", err)
	}
	rota, err := store.LoadRota(ctx)
	if err != nil {
		t.Fatalf("LoadRota: %v", err)
	}
	s.Rota = string(rota)
	return s
}

func totalOf(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// sealedKeyIDs reads every sealed value in the schema and counts them by
// the id of the key that sealed them.
func sealedKeyIDs(t *testing.T, conn *pgx.Conn, schema string) map[uint32]int {
	t.Helper()
	out := map[uint32]int{}
	for table, columns := range storage.SealedColumns() {
		for _, column := range columns {
			q := `select ` + pgx.Identifier{column}.Sanitize() + ` from ` + pgx.Identifier{schema, table}.Sanitize() +
				` where ` + pgx.Identifier{column}.Sanitize() + ` is not null`
			rows, err := conn.Query(t.Context(), q)
			if err != nil {
				t.Fatalf("read %s.%s: %v", table, column, err)
			}
			values, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
			if err != nil {
				t.Fatalf("read %s.%s: %v", table, column, err)
			}
			for _, v := range values {
				id, ok := keys.SealedKeyID(v)
				if !ok {
					t.Fatalf("%s.%s holds a value that is not sealed", table, column)
				}
				out[id]++
			}
		}
	}
	return out
}

// TestSealedColumnsAreAllTheBytea checks that SealedColumns, which Rekey
// and OldKeyValues cover, names every bytea column of the schema but the
// hashes, so a sealed column added later cannot be forgotten.
func TestSealedColumnsAreAllTheBytea(t *testing.T) {
	_, schema := storagetest.NewPostgres(t, keys.NewRandomRing())
	conn := storagetest.Conn(t)
	rows, err := conn.Query(t.Context(), `select table_name || '.' || column_name from information_schema.columns
		where table_schema = $1 and data_type = 'bytea' order by 1`, schema)
	if err != nil {
		t.Fatalf("list columns: %v", err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("list columns: %v", err)
	}
	// Hashes, not sealed: the follow-up code's (see Rekey), the addition's
	// idempotency key's and the invite code's (SHA-256, keyless), and the
	// keyed hash of an attachment's content (stored once per case).
	want := []string{"additions.idempotency_key", "attachments.content_hash", "cases.followup_hash", "invites.code_hash"}
	for table, columns := range storage.SealedColumns() {
		for _, c := range columns {
			want = append(want, table+"."+c)
		}
	}
	slices.Sort(want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("bytea columns %v\nwant %v", got, want)
	}
	if tables := slices.Sorted(func(yield func(string) bool) {
		for table := range storage.SealedColumns() {
			if !yield(table) {
				return
			}
		}
	}); !reflect.DeepEqual(tables, slices.Sorted(slices.Values(storage.SealedTables()))) {
		t.Fatalf("SealedColumns covers %v, SealedTables %v", tables, storage.SealedTables())
	}
}

// TestRekey writes data under key A, rotates to key B (A kept as a
// previous key), re-keys in two runs — the first stopped after one batch —
// and then drops A: everything still reads, and keyed lookups still find
// what they found.
func TestRekey(t *testing.T) {
	ctx := t.Context()
	keyA, keyB := randomRootKey(t), randomRootKey(t)
	ringA := mustRing(t, keyA)
	storeA, schema := storagetest.NewPostgres(t, ringA)

	// Reporters, whose pseudonyms the bot makes from their user ids (their
	// private chats' ids).
	const chat1, chat2, chat3 = 111000111, 222000222, 333000333
	const code = "4929187355026614"
	rv := mustRegister(t, storeA, canaryReviewerTelegram, canaryReviewerName)
	rv2 := mustRegister(t, storeA, canaryReviewerTelegram+1, "Dara")
	if err := storeA.CreateInvite(ctx, inviteCodeHash("pending"), canaryInviteeName, false, reviewT0.Add(time.Hour)); err != nil {
		t.Fatalf("CreateInvite: %v", err)
	}
	refs := []tipline.Reference{"TL-AAAA-CCCC", "TL-AAAA-DDDD", "TL-AAAA-EEEE", "TL-AAAA-FFFF"}
	chats := []int64{chat1, chat1, chat2, chat3}
	for i, ref := range refs {
		c := canaryCase(fmt.Sprint("draft-", i), ref)
		c.Reporter, c.ReporterChatID = ringA.Pseudonym(chats[i]), chats[i]
		if i == 0 {
			c.FollowUpHash = ringA.FollowUpHash(code)
		}
		if _, _, err := storeA.SubmitCase(ctx, c); err != nil {
			t.Fatalf("SubmitCase: %v", err)
		}
		if err := storeA.SaveAttachmentContent(ctx, ref, canaryUniqueID, []byte(canaryContent+" "+string(ref))); err != nil {
			t.Fatalf("SaveAttachmentContent: %v", err)
		}
		if err := storagetest.AddToCaseOnce(ctx, storeA, ref, canaryIdemKey, canaryAdditionOf(c.Reporter)); err != nil {
			t.Fatalf("AddToCaseOnce: %v", err)
		}
		if i%2 == 0 { // the others' stay to fetch
			if err := storeA.SaveAttachmentContent(ctx, ref, canaryAddUnique, []byte(canaryContent)); err != nil {
				t.Fatalf("SaveAttachmentContent: %v", err)
			}
		}
		if err := storeA.AddNotification(ctx, ref, tipline.Notification{ReviewerID: rv.ID, ChatID: canaryGroupChat, MessageID: 10 + i}); err != nil {
			t.Fatalf("AddNotification: %v", err)
		}
		if err := storeA.AddNote(ctx, ref, tipline.Note{Author: "reviewer:1", Kind: tipline.NoteInternal, Text: canaryNote + " " + string(ref), At: reviewT0}); err != nil {
			t.Fatalf("AddNote: %v", err)
		}
	}
	// The second reporter used the first case's follow-up code.
	if err := storagetest.AddToCaseOnce(ctx, storeA, refs[0], "upd:fu", tipline.Addition{Actor: "followup:" + ringA.Pseudonym(chat2), Text: canaryAddition}); err != nil {
		t.Fatalf("AddToCaseOnce: %v", err)
	}
	if err := storagetest.BlockReporter(ctx, storeA, refs[0], rv.ID, reviewT0); err != nil {
		t.Fatalf("BlockReporter: %v", err)
	}
	// The third reporter was blocked, then forgotten: nothing is left to
	// recompute their pseudonym from.
	if err := storagetest.BlockReporter(ctx, storeA, refs[3], rv.ID, reviewT0); err != nil {
		t.Fatalf("BlockReporter: %v", err)
	}
	if _, err := storeA.Forget(ctx, ringA.Pseudonym(chat3)); err != nil {
		t.Fatalf("Forget: %v", err)
	}
	if err := storeA.SaveRota(ctx, []byte(`{"note":"`+canaryRota+`"}`)); err != nil {
		t.Fatalf("SaveRota: %v", err)
	}
	payload := func(id int) []byte { return fmt.Appendf(nil, `{"update_id":%d,"text":%q}`, id, canaryTipText) }
	if _, err := storeA.InboxAdd(ctx, []storage.InboxItem{
		{UpdateID: 1, ChatKey: ringA.ChatKey(chat1), Payload: payload(1)},
		{UpdateID: 2, ChatKey: ringA.ChatKey(chat2), Payload: payload(2)},
		{UpdateID: 3, ChatKey: ringA.ChatKey(chat1), Payload: payload(3)},
	}); err != nil {
		t.Fatalf("InboxAdd: %v", err)
	}
	if _, _, err := storagetest.InboxClaim(ctx, storeA, "w", time.Minute); err != nil {
		t.Fatalf("InboxClaim: %v", err)
	}
	if err := storeA.InboxComplete(ctx, 1, "w", nil); err != nil {
		t.Fatalf("InboxComplete: %v", err)
	}
	// A message still waiting to go out, and an update set aside.
	if err := storeA.OutboxAdd(ctx, []storage.OutboxEntry{{Key: "u:3:0", ChatKey: ringA.ChatKey(chat1), ChatID: chat1,
		Lane: tipline.LaneReply, Method: "sendMessage", Payload: payload(3)}}); err != nil {
		t.Fatalf("OutboxAdd: %v", err)
	}
	if _, _, err := storagetest.InboxClaim(ctx, storeA, "w", time.Minute); err != nil {
		t.Fatalf("InboxClaim: %v", err)
	}
	if err := storeA.InboxDead(ctx, 2, "w", "test"); err != nil {
		t.Fatalf("InboxDead: %v", err)
	}
	before := readAll(t, storeA, refs)

	// Rotated: B is current, A previous. Everything reads as before.
	ringBA := mustRing(t, keyB, keyA)
	ringB := mustRing(t, keyB)
	storeBA := openSchema(t, schema, ringBA)
	if got := readAll(t, storeBA, refs); !reflect.DeepEqual(got, before) {
		t.Fatalf("read with ring (B, previous A):\n%+v\nwant\n%+v", got, before)
	}
	if got, err := storeBA.ReviewerByTelegram(ctx, canaryReviewerTelegram); err != nil || got.ID != rv.ID {
		t.Fatalf("ReviewerByTelegram before re-keying = %+v, %v; want reviewer %d, found under the previous key", got, err, rv.ID)
	}
	if err := storeBA.CreateInvite(ctx, inviteCodeHash("again"), "x", false, reviewT0.Add(time.Hour)); err != nil {
		t.Fatalf("CreateInvite: %v", err)
	}
	if _, err := storeBA.RedeemInvite(ctx, inviteCodeHash("again"), canaryReviewerTelegram, "km", reviewT0); !errors.Is(err, tipline.ErrInvalid) {
		t.Fatalf("RedeemInvite by a reviewer under the previous key: %v, want ErrInvalid (already a reviewer)", err)
	}

	// Without A, nothing under A can be re-keyed: Rekey stops, changing
	// nothing.
	if n, err := openSchema(t, schema, ringB).Rekey(ctx, 2, nil); !errors.Is(err, keys.ErrUndecryptable) || n != 0 {
		t.Fatalf("Rekey without the old key = %d, %v; want 0, ErrUndecryptable", n, err)
	}

	conn := storagetest.Conn(t)
	old, err := storeBA.OldKeyValues(ctx)
	if err != nil {
		t.Fatalf("OldKeyValues: %v", err)
	}
	for _, table := range storage.SealedTables() {
		if old[table] == 0 {
			t.Errorf("OldKeyValues[%s] = 0 before re-keying, want the values written under A", table)
		}
	}
	// Under B already: the invite made since the rotation.
	idsBefore := sealedKeyIDs(t, conn, schema)
	underB := idsBefore[ringB.KeyID()]
	if idsBefore[ringA.KeyID()] != totalOf(old) || underB != 1 || len(idsBefore) != 2 {
		t.Fatalf("sealed values by key id %v; OldKeyValues counts %d under A, want 1 under B", idsBefore, totalOf(old))
	}

	// Stopped after the first batch.
	stop, cancel := context.WithCancel(ctx)
	defer cancel()
	calls := 0
	first, err := storeBA.Rekey(stop, 2, func(table string, done, left int) {
		calls++
		cancel()
	})
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("Rekey cancelled after a batch: %v, want context.Canceled", err)
	}
	if first <= 0 || calls != 1 {
		t.Fatalf("Rekey cancelled after a batch re-sealed %d values in %d batches, want some in 1", first, calls)
	}
	mid, err := storeBA.OldKeyValues(ctx)
	if err != nil || totalOf(mid) != totalOf(old)-first {
		t.Fatalf("OldKeyValues after the stopped run = %v, %v; want %d left", mid, err, totalOf(old)-first)
	}
	if got := readAll(t, storeBA, refs); !reflect.DeepEqual(got.Cases[refs[2]].Answers, before.Cases[refs[2]].Answers) {
		t.Fatalf("a case half re-keyed reads %+v", got.Cases[refs[2]].Answers)
	}

	// Run again: it carries on and finishes.
	type call struct {
		table      string
		done, left int
	}
	var progress []call
	rest, err := storeBA.Rekey(ctx, 2, func(table string, done, left int) { progress = append(progress, call{table, done, left}) })
	if err != nil {
		t.Fatalf("Rekey: %v", err)
	}
	if first+rest != totalOf(old) {
		t.Fatalf("Rekey re-sealed %d + %d values, want %d", first, rest, totalOf(old))
	}
	last := map[string]call{}
	order := []string{}
	for _, c := range progress {
		if p, ok := last[c.table]; ok && (c.done <= p.done || c.left >= p.left) {
			t.Errorf("progress of %s went from %+v to %+v", c.table, p, c)
		}
		if _, ok := last[c.table]; !ok {
			order = append(order, c.table)
		}
		last[c.table] = c
	}
	for table, c := range last {
		if c.left != 0 || c.done != mid[table] {
			t.Errorf("last progress of %s = %+v, want %d done, 0 left", table, c, mid[table])
		}
	}
	if !slices.IsSorted(slices.Collect(func(yield func(int) bool) {
		for _, table := range order {
			if !yield(slices.Index(storage.SealedTables(), table)) {
				return
			}
		}
	})) {
		t.Errorf("tables re-keyed in the order %v, want that of SealedTables %v", order, storage.SealedTables())
	}
	if after, err := storeBA.OldKeyValues(ctx); err != nil || totalOf(after) != 0 || len(after) != len(storage.SealedTables()) {
		t.Fatalf("OldKeyValues after Rekey = %v, %v; want 0 in every table", after, err)
	}
	ids := sealedKeyIDs(t, conn, schema)
	if ids[ringA.KeyID()] != 0 || ids[ringB.KeyID()] != totalOf(old)+underB || len(ids) != 1 {
		t.Fatalf("sealed values by key id after Rekey: %v; want all %d under B (%d), none under A (%d)",
			ids, totalOf(old)+underB, ringB.KeyID(), ringA.KeyID())
	}
	if n, err := storeBA.Rekey(ctx, 2, nil); err != nil || n != 0 {
		t.Fatalf("Rekey once done = %d, %v; want 0", n, err)
	}

	// A removed: everything still reads, reporters' pseudonyms now under B.
	storeB := openSchema(t, schema, ringB)
	want := before // changed in place: before is not used again
	renamed := map[string]string{}
	for _, chat := range []int64{chat1, chat2} {
		renamed["reporter:"+ringA.Pseudonym(chat)] = "reporter:" + ringB.Pseudonym(chat)
		renamed["followup:"+ringA.Pseudonym(chat)] = "followup:" + ringB.Pseudonym(chat)
	}
	rename := func(actor string) string {
		if to, ok := renamed[actor]; ok {
			return to
		}
		return actor
	}
	for ref, c := range want.Cases {
		if c.Reporter != "" {
			c.Reporter = ringB.Pseudonym(c.ReporterChatID)
		}
		c.Additions = slices.Clone(c.Additions)
		for i := range c.Additions {
			c.Additions[i].Actor = rename(c.Additions[i].Actor)
		}
		want.Cases[ref] = c
		events := slices.Clone(want.Audit[ref])
		for i := range events {
			events[i].Actor = rename(events[i].Actor)
		}
		want.Audit[ref] = events
	}
	got := readAll(t, storeB, refs)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("read with ring (B) after Rekey:\n%+v\nwant\n%+v", got, want)
	}
	if r := got.Cases[refs[0]].Reporter; r != ringB.Pseudonym(chat1) || r == ringA.Pseudonym(chat1) {
		t.Fatalf("the reporter's pseudonym did not change with the key")
	}
	for _, r := range []tipline.Reviewer{rv, rv2} {
		if found, err := storeB.ReviewerByTelegram(ctx, r.TelegramID); err != nil || found.ID != r.ID || found.Name != r.Name {
			t.Fatalf("ReviewerByTelegram with ring (B) = %+v, %v; want reviewer %d", found, err, r.ID)
		}
	}
	if mine, err := storeB.CasesByReporter(ctx, ringB.Pseudonym(chat1)); err != nil || len(mine) != 2 {
		t.Fatalf("CasesByReporter under B = %+v, %v; want the reporter's 2 cases", mine, err)
	}
	for pseudonym, want := range map[string]bool{
		ringB.Pseudonym(chat1): true,  // moved with the pseudonym
		ringA.Pseudonym(chat1): false, // nothing left under A
		ringA.Pseudonym(chat3): true,  // forgotten: left as it was, no longer matches
		ringB.Pseudonym(chat3): false,
	} {
		if blocked, err := storeB.IsBlocked(ctx, pseudonym); err != nil || blocked != want {
			t.Errorf("IsBlocked = %v, %v; want %v", blocked, err, want)
		}
	}
	// Follow-up hashes cannot be re-keyed: a code given under A is found
	// while A is a previous key, and no longer once A is removed.
	if ref, err := storeB.CaseByFollowUp(ctx, ringA.FollowUpHash(code)); err != nil || ref != refs[0] {
		t.Fatalf("CaseByFollowUp of the stored hash = %s, %v; want %s", ref, err, refs[0])
	}
	found := func(r *keys.Ring) bool {
		for _, h := range r.FollowUpHashes(code) {
			if _, err := storeB.CaseByFollowUp(ctx, h); err == nil {
				return true
			}
		}
		return false
	}
	if !found(ringBA) || found(ringB) {
		t.Fatalf("follow-up code found with ring (B, A): %v, with ring (B): %v; want true, false", found(ringBA), found(ringB))
	}
	it, ok, err := storagetest.InboxClaim(ctx, storeB, "w", time.Minute)
	if err != nil || !ok || it.UpdateID != 3 || string(it.Payload) != string(payload(3)) {
		t.Fatalf("InboxClaim with ring (B) = %+v, %v, %v; want update 3 and its payload", it, ok, err)
	}
	if err := storeB.InboxRetryDead(ctx, 2); err != nil {
		t.Fatalf("InboxRetryDead: %v", err)
	}
	if it, ok, err := storagetest.InboxClaim(ctx, storeB, "w", time.Minute); err != nil || !ok || it.UpdateID != 2 || string(it.Payload) != string(payload(2)) {
		t.Fatalf("InboxClaim of the dead update with ring (B) = %+v, %v, %v; want update 2 and its payload", it, ok, err)
	}
	if es, err := storagetest.OutboxClaim(ctx, storeB, "w", time.Minute, 10); err != nil || len(es) != 1 || es[0].ChatID != chat1 || string(es[0].Payload) != string(payload(3)) {
		t.Fatalf("OutboxClaim with ring (B) = %+v, %v; want the waiting message, opened", es, err)
	}
	if invited, err := storeB.RedeemInvite(ctx, inviteCodeHash("pending"), 7000000003, "km", reviewT0); err != nil || invited.Name != canaryInviteeName {
		t.Fatalf("RedeemInvite with ring (B) = %+v, %v", invited, err)
	}
	if dump := storagetest.DumpSchema(t, schema); strings.Contains(dump, ringA.Pseudonym(chat1)) || strings.Contains(dump, ringA.Pseudonym(chat2)) {
		t.Fatalf("the dump after Rekey still holds a pseudonym under A that could be recomputed")
	}
}
