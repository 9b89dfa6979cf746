package postgres_test

import (
	"context"
	"regexp"
	"strconv"
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

// TestGenericPlansUseIndexes: the store plans each statement once per
// connection (plan_cache_mode=force_generic_plan), so a plan cannot rest
// on the values of one run. On an inbox and an outbox of 300,000 rows
// each (a busy year), every statement of the message path (store and
// claim, claim, screen, ready before stored, complete and hand over, claim to send, record as
// sent) still finds its rows through an index: none reads a whole table.
func TestGenericPlansUseIndexes(t *testing.T) {
	ctx := t.Context()
	ring := keys.NewRandomRing()
	store, schema := storagetest.NewPostgres(t, ring)
	if mode, err := store.Setting(ctx, "plan_cache_mode"); err != nil || mode != "force_generic_plan" {
		t.Fatalf("plan_cache_mode = %q, %v; want force_generic_plan", mode, err)
	}
	conn := storagetest.Conn(t)
	inbox, outbox := pgx.Identifier{schema, "inbox"}.Sanitize(), pgx.Identifier{schema, "outbox"}.Sanitize()
	for _, q := range []string{
		`insert into ` + inbox + ` (update_id, chat_key, received_at, processed_at)
			select g, 'c' || (g % 20000), now() - interval '1 day', now() - interval '1 day'
			from generate_series(1, 300000) g`,
		`insert into ` + outbox + ` (key, chat_key, lane, method, sent_at, message_id)
			select 'k' || g, 'c' || (g % 20000), 3, 'send', now() - interval '1 day', g
			from generate_series(1, 300000) g`,
		`analyze ` + inbox,
		`analyze ` + outbox,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}

	var (
		mu    sync.Mutex
		plans []string
	)
	explained, err := postgres.OpenExplained(ctx, storagetest.SchemaURL(schema), ring, func(plan string) {
		mu.Lock()
		defer mu.Unlock()
		plans = append(plans, plan)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer explained.Close()
	path(ctx, t, explained)

	mu.Lock()
	defer mu.Unlock()
	seen := map[string]bool{}
	for _, p := range plans {
		p = strings.Join(strings.Fields(p), " ")
		if !strings.Contains(p, "Query Text:") {
			continue
		}
		for _, table := range []string{"inbox", "outbox"} {
			if strings.Contains(p, "Seq Scan on "+table+" ") {
				t.Errorf("a statement reads the whole %s:\n%s", table, p)
			}
		}
		// A step that reads far more rows than it needs (a range of the
		// primary key, say) costs thousands here; with the indexes the
		// dearest step of the path costs under a hundred.
		for _, m := range costRE.FindAllStringSubmatch(p, -1) {
			if c, _ := strconv.ParseFloat(m[1], 64); c > 1000 {
				t.Errorf("a step costs %.0f, reading far more than it needs:\n%s", c, p)
				break
			}
		}
		for _, what := range []string{"insert into inbox", "from inbox i", "reviewers where telegram_key", "with claimed as", "as v(update_id, chat_key, n)", "from outbox o", "update outbox o set sent_at"} {
			if strings.Contains(p, what) {
				seen[what] = true
			}
		}
	}
	for _, what := range []string{"insert into inbox", "from inbox i", "reviewers where telegram_key", "with claimed as", "as v(update_id, chat_key, n)", "from outbox o", "update outbox o set sent_at"} {
		if !seen[what] {
			t.Errorf("no plan seen of the statement with %q (of %d plans)", what, len(plans))
		}
	}
}

// costRE finds a plan step's estimated total cost.
var costRE = regexp.MustCompile(`cost=[0-9.]+\.\.([0-9.]+)`)

// path runs the message path once on s: two updates stored and claimed
// as they arrive, one more claimed, their senders screened, one found
// ready to be processed before it is stored, all completed with a reply
// each (handed over; the fresh one stored done), a reply claimed to send, and the sends
// recorded.
func path(ctx context.Context, t *testing.T, s *postgres.Store) {
	t.Helper()
	item := func(id int64, chat string) storage.InboxItem {
		return storage.InboxItem{UpdateID: id, ChatKey: chat, Payload: []byte(`{"update_id":1}`)}
	}
	_, claimed, err := s.InboxAddClaim(ctx, []storage.InboxItem{item(1_000_001, "c5"), item(1_000_002, "new"), item(1_000_003, "c7")}, "w", time.Minute, 2)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("InboxAddClaim = %d claimed, %v; want 2", len(claimed), err)
	}
	more, err := s.InboxClaimBatch(ctx, "w", time.Minute, 10)
	if err != nil || len(more) != 1 {
		t.Fatalf("InboxClaimBatch = %d, %v; want 1", len(more), err)
	}
	if _, err := s.ScreenSenders(ctx, []storage.Sender{{TelegramID: 5, Pseudonyms: []string{"p5"}}, {TelegramID: 6, Pseudonyms: []string{"p6"}}}); err != nil {
		t.Fatal(err)
	}
	fresh, err := s.InboxReady(ctx, []storage.InboxItem{item(1_000_004, "c11"), item(1_000_005, "c5")})
	if err != nil || len(fresh) != 1 {
		t.Fatalf("InboxReady = %d ready, %v; want 1", len(fresh), err)
	}
	fresh[0].Fresh = true
	var done []storage.Completion
	for _, it := range append(append(claimed, more...), fresh...) {
		done = append(done, storage.Completion{UpdateID: it.UpdateID, Entries: []storage.OutboxEntry{{
			Key: "u:" + it.ChatKey, ChatKey: it.ChatKey, ChatID: 42, Lane: tipline.LaneReply, Method: "send", Payload: []byte(`{"text":"hi"}`),
		}}})
		if it.Fresh {
			done[len(done)-1].Fresh = &storage.FreshUpdate{ChatKey: it.ChatKey}
		}
	}
	got, err := s.InboxCompleteHand(ctx, "w", time.Minute, done)
	if err != nil || len(got.Handed) != 4 {
		t.Fatalf("InboxCompleteHand = %+v, %v; want 4 handed", got, err)
	}
	if err := s.OutboxAdd(ctx, []storage.OutboxEntry{{Key: "later", ChatKey: "c9", ChatID: 42, Lane: tipline.LaneReply, Method: "send", Payload: []byte(`{"text":"hi"}`)}}); err != nil {
		t.Fatal(err)
	}
	ready, err := s.OutboxClaimLanes(ctx, "d", time.Minute, 10, tipline.LaneCallback, tipline.LaneBulk)
	if err != nil || len(ready) != 1 {
		t.Fatalf("OutboxClaimLanes = %d, %v; want 1", len(ready), err)
	}
	sent := []storage.Sent{{ID: got.Handed[0].ID, MessageID: 7}, {ID: got.Handed[1].ID, MessageID: 8}}
	if _, err := s.OutboxSentMany(ctx, "w", sent); err != nil {
		t.Fatal(err)
	}
}

// TestPoolConnectsBeforeWork: a store opens its pool's few connections as
// it opens, so that the first updates after a restart do not each wait
// for one.
func TestPoolConnectsBeforeWork(t *testing.T) {
	store, _ := storagetest.NewPostgres(t, keys.NewRandomRing())
	deadline := time.Now().Add(5 * time.Second)
	for store.OpenConns() < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections open 5 s after the store opened, want 4", store.OpenConns())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
