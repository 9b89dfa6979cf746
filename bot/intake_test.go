package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/memory"
	"github.com/tipline/tipline/storage/storagetest"
)

// TestStripIdentity: an update loses every name, username, phone number
// and contact card, the sender's and those it quotes or forwards, and
// keeps what processing reads (ids digit for digit, the words, the
// language) — the security review's M1 probe update among them.
func TestStripIdentity(t *testing.T) {
	raw := `{"update_id":9001,"message":{"message_id":7,"date":1764500000,
		"chat":{"id":555000111,"type":"private","first_name":"Sreymom","last_name":"Chan","username":"sreymom_pp"},
		"from":{"id":555000111,"is_bot":false,"first_name":"Sreymom","username":"sreymom_pp","language_code":"km"},
		"text":"the girl is at the karaoke on street 63",
		"contact":{"phone_number":"+85512345678","first_name":"Neighbour","vcard":"BEGIN:VCARD"},
		"forward_origin":{"type":"hidden_user","sender_user_name":"Uncle Sok","date":1},
		"reply_to_message":{"message_id":3,"date":1,"chat":{"id":555000111,"type":"private"},
			"from":{"id":-1001234567890123,"is_bot":true,"first_name":"Tipline","username":"tipline_bot"}}}}`
	got, err := stripIdentity([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"Sreymom", "Chan", "sreymom_pp", "+85512345678", "Neighbour", "VCARD", "Uncle Sok", "tipline_bot", "first_name", "contact"} {
		if strings.Contains(string(got), secret) {
			t.Errorf("the stripped update still holds %q: %s", secret, got)
		}
	}
	var u models.Update
	if err := json.Unmarshal(got, &u); err != nil {
		t.Fatalf("the stripped update does not decode: %v", err)
	}
	m := u.Message
	if u.ID != 9001 || m == nil || m.Chat.ID != 555000111 || m.From.ID != 555000111 || m.From.LanguageCode != "km" ||
		m.Text != "the girl is at the karaoke on street 63" || m.ReplyToMessage == nil || m.ReplyToMessage.From.ID != -1001234567890123 {
		t.Errorf("the stripped update lost what processing reads: %s", got)
	}
	if _, err := stripIdentity([]byte(`{"update_id":`)); err == nil {
		t.Error("a broken update was stripped without an error")
	}
}

// TestIntakeClaimsForTheWorkers: updates stored that are ready at once
// (the first of a chat with nothing waiting) are claimed by the statement
// that stores them and go to the workers with no claim of their own;
// nobody else can claim them; one that waited too long for a worker is
// given back and claimed like any other.
func TestIntakeClaimsForTheWorkers(t *testing.T) {
	mem := memory.New(nil)
	b := newFuzzBot(t, mem, fuzzSecret)
	msg := func(id, chat int64) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":1700000000,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"language_code":"en"},"text":"hi"}}`, id, id, chat, chat))
	}
	if err := b.storeUpdates(t.Context(), []json.RawMessage{msg(1, 71), msg(2, 72), msg(3, 71)}); err != nil {
		t.Fatal(err)
	}
	// 3 waits behind 1 in its chat; 1 and 2 are this process's already.
	if _, ok, err := storagetest.InboxClaim(t.Context(), mem, "other", time.Minute); err != nil || ok {
		t.Fatalf("another process claimed an update (%v, %v); want none ready", ok, err)
	}
	b.intaken.mu.Lock()
	b.intaken.items.Age(1, time.Now().Add(-time.Hour)) // no worker came for it
	b.intaken.mu.Unlock()
	var ids []int64
	for _, it := range b.takeIntaken(t.Context(), 10) {
		ids = append(ids, it.UpdateID)
		if it.Attempts != 1 || it.ChatKey != b.ring.ChatKey(71) || len(it.Payload) == 0 {
			t.Fatalf("intaken %+v; want it as a claim gives it", it)
		}
	}
	if !slices.Equal(ids, []int64{1}) {
		t.Fatalf("workers took %v, want [1] (2 waited too long)", ids)
	}
	it, ok, err := storagetest.InboxClaim(t.Context(), mem, "other", time.Minute)
	if err != nil || !ok || it.UpdateID != 2 {
		t.Fatalf("claim after the give-back = %d, %v, %v; want update 2", it.UpdateID, ok, err)
	}
	if room, end := b.beginIntake(); room != intakeDepth*b.cfg.Workers {
		t.Fatalf("intake room %d with none waiting, want %d", room, intakeDepth*b.cfg.Workers)
	} else {
		end(nil)
	}
	// Once the workers stopped, what intake claimed is theirs to finish,
	// and intake claims no more.
	if err := b.storeUpdates(t.Context(), []json.RawMessage{msg(4, 73)}); err != nil {
		t.Fatal(err)
	}
	left := b.closeIntake()
	if len(left) != 1 || left[0].UpdateID != 4 {
		t.Fatalf("closeIntake gave %+v, want update 4", left)
	}
	if room, _ := b.beginIntake(); room != 0 {
		t.Fatalf("intake room %d after the workers stopped, want 0", room)
	}
}

// FuzzStripIdentity: for any JSON, the stripped bytes are JSON that reads
// as the input read into maps less every identity field (under any case
// the decoder would match), and none is left at any depth; what is not
// JSON is refused.
func FuzzStripIdentity(f *testing.F) {
	for _, s := range []string{
		`{"update_id":9001,"message":{"chat":{"id":555000111,"type":"private","first_name":"S"},"from":{"id":1,"username":"u","language_code":"km"},"text":"hi"}}`,
		` { "a" : [ 1 , -2.5e3 , true , null , { "contact" : { "vcard" : "x" } } ] , "b" : "q\"\\u00e9\u2028" } `,
		`{"First_Name":"S","\u0066irst_name":"T","uſername":"U","USERNAME":"V","phone_number":[1,{"x":2}],"k":{}}`,
		`{"a":"` + "\xff\xfe" + `","first_name":"` + "\xc3" + `","b":[[],{}],"a":1}`,
		`{"first_name":"a","first_name":"b","x":1,"x":2}`,
		`[{"bio":1},"last_name",{"z":{"author_signature":null}}]`,
		`{"update_id":`,
		`12345678901234567890`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := stripIdentity(raw)
		if !json.Valid(raw) {
			if err == nil {
				t.Fatalf("stripped bytes that are not JSON: %q", raw)
			}
			return
		}
		if err != nil {
			t.Fatalf("strip %q: %v", raw, err)
		}
		if !json.Valid(got) {
			t.Fatalf("strip %q gave bytes that are not JSON: %q", raw, got)
		}
		read := func(b []byte) any {
			dec := json.NewDecoder(strings.NewReader(string(b)))
			dec.UseNumber()
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("decode %q: %v", b, err)
			}
			return v
		}
		want, have := dropIdentity(read(raw)), read(got)
		if !reflect.DeepEqual(want, have) {
			t.Fatalf("strip %q = %q; reads %v, want %v", raw, got, have, want)
		}
		var left func(v any)
		left = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				for k, inner := range x {
					for f := range identityFields {
						if strings.EqualFold(k, f) {
							t.Fatalf("strip %q left %q", raw, k)
						}
					}
					left(inner)
				}
			case []any:
				for _, inner := range x {
					left(inner)
				}
			}
		}
		left(have)
	})
}

// dropIdentity is the stripping FuzzStripIdentity expects, on decoded
// JSON: every key that folds to an identity field goes, with its value.
func dropIdentity(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, inner := range x {
			drop := false
			for f := range identityFields {
				drop = drop || strings.EqualFold(k, f)
			}
			if drop {
				delete(x, k)
				continue
			}
			x[k] = dropIdentity(inner)
		}
	case []any:
		for i := range x {
			x[i] = dropIdentity(x[i])
		}
	}
	return v
}

// TestSenderLanguageRead: intake reads a message's sender only for the
// language said without a session; a sender it cannot read leaves the
// language unknown and the update still read.
func TestSenderLanguageRead(t *testing.T) {
	for from, want := range map[string]string{
		`{"id":5,"language_code":"km"}`: "km",
		`{"id":5}`:                      "",
		`5`:                             "",
		`null`:                          "",
		`{"language_code":7}`:           "",
	} {
		raw := `{"update_id":3,"message":{"chat":{"id":5,"type":"private"},"from":` + from + `,"text":"hi"}}`
		u, ok := readUpdate([]byte(raw))
		if !ok {
			t.Fatalf("from %s: the update was not read", from)
		}
		if chat, lang := u.privateChat(); chat != 5 || lang != want {
			t.Errorf("from %s: chat %d language %q, want 5 %q", from, chat, lang, want)
		}
	}
}

// claimCounter counts the workers' claims from the inbox.
type claimCounter struct {
	*memory.Store
	claims atomic.Int64
}

func (c *claimCounter) InboxClaimBatch(ctx context.Context, owner string, lease time.Duration, limit int) ([]storage.InboxItem, error) {
	c.claims.Add(1)
	return c.Store.InboxClaimBatch(ctx, owner, lease, limit)
}

// TestWorkersClaimOnlyWhenSomethingWaits: updates intake claimed are
// processed with no claim of the workers' own, however many complete; a
// chat's second update, stored while its first was in hand, is claimed
// once the first is done (the commit says it waits), not at the idle
// claim (an hour here).
func TestWorkersClaimOnlyWhenSomethingWaits(t *testing.T) {
	mem := memory.New(nil)
	store := &claimCounter{Store: mem}
	cfg := testConfig()
	cfg.Token = "123456:fuzz-test-token"
	cfg.Idle = time.Hour
	b := newMemoryBot(t, store, cfg)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); b.work(ctx) }()
	defer func() { cancel(); <-done }()
	msg := func(id, chat int64) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":1700000000,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"language_code":"en"},"text":"/start"}}`, id, id, chat, chat))
	}
	processed := func(what string) { t.Helper(); waitPending(t, mem, what) }
	// The loop's first claim finds nothing (at start, anything may wait).
	for store.claims.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	for i := range int64(12) {
		if err := b.storeUpdates(t.Context(), []json.RawMessage{msg(100+i, 700+i)}); err != nil {
			t.Fatal(err)
		}
		processed("a new chat")
	}
	if n := store.claims.Load(); n != 1 {
		t.Errorf("the workers claimed %d times for 12 updates intake claimed; want only their first claim", n)
	}
	if err := b.storeUpdates(t.Context(), []json.RawMessage{msg(200, 800), msg(201, 800)}); err != nil {
		t.Fatal(err)
	}
	processed("a chat's two updates")
}

// intakeRecorder records which updates intake stored as they came
// (InboxAddClaim) and which were completed fresh, and can fail the fresh
// completions.
type intakeRecorder struct {
	*memory.Store
	mu         sync.Mutex
	stored     []int64 // by InboxAddClaim
	freshDone  []int64 // stored done by a completion
	freshCalls int     // completions that stored fresh updates
	failFresh  bool
	// gate, when set, holds each fresh completion until it is closed.
	gate chan struct{}
}

func (r *intakeRecorder) InboxAddClaim(ctx context.Context, items []storage.InboxItem, owner string, lease time.Duration, limit int) (int, []storage.InboxItem, error) {
	r.mu.Lock()
	for _, it := range items {
		r.stored = append(r.stored, it.UpdateID)
	}
	r.mu.Unlock()
	return r.Store.InboxAddClaim(ctx, items, owner, lease, limit)
}

func (r *intakeRecorder) InboxCompleteHand(ctx context.Context, owner string, lease time.Duration, done []storage.Completion) (storage.Completed, error) {
	r.mu.Lock()
	fail, gate := r.failFresh, r.gate
	r.mu.Unlock()
	for _, c := range done {
		if c.Fresh != nil && fail {
			return storage.Completed{}, errors.New("test: the commit failed")
		}
		if c.Fresh != nil && gate != nil {
			<-gate
		}
	}
	got, err := r.Store.InboxCompleteHand(ctx, owner, lease, done)
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.freshDone)
	for i, c := range done {
		if err == nil && c.Fresh != nil && got.Errs[i] == nil {
			r.freshDone = append(r.freshDone, c.UpdateID)
		}
	}
	if len(r.freshDone) > n {
		r.freshCalls++
	}
	return got, err
}

func (r *intakeRecorder) seen() (stored, fresh []int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.stored), slices.Clone(r.freshDone)
}

// TestIntakeProcessesBeforeStoring: the poller's intake hands an update
// alone of its chat, with nothing of the chat waiting, to the workers as
// it came; its completion stores it done with its answer, and intake
// returns (so the batch may be confirmed to Telegram) only once it is in
// the inbox. A chat with two updates in the batch is stored as before, in
// order. One whose processing failed, or that no worker took in time, is
// stored by intake before it returns, and answered once by the workers.
// At a stop, intake returns without waiting (nothing is confirmed), and
// the update in hand is still completed.
func TestIntakeProcessesBeforeStoring(t *testing.T) {
	rec := &intakeRecorder{Store: memory.New(nil)}
	cfg := testConfig()
	cfg.Token = "123456:fuzz-test-token"
	cfg.Idle = 20 * time.Millisecond
	b := newMemoryBot(t, rec, cfg)
	msg := func(id, chat int64) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":1700000000,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"language_code":"en"},"text":"/start"}}`, id, id, chat, chat))
	}
	inInbox := func(id, chat int64) bool {
		ready, err := rec.InboxReady(t.Context(), []storage.InboxItem{{UpdateID: id, ChatKey: b.ring.ChatKey(chat)}})
		return err == nil && len(ready) == 0
	}
	// What was queued for a chat and not sent (nothing sends here),
	// taken out as it is counted.
	answers := func(chat int64) int {
		n, err := rec.OutboxDropChat(t.Context(), b.ring.ChatKey(chat), "counted")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// No worker runs yet: the fresh update waits freshWait, then intake
	// stores it as any other.
	if err := b.takeUpdates(t.Context(), []json.RawMessage{msg(1, 70)}); err != nil {
		t.Fatal(err)
	}
	if stored, fresh := rec.seen(); !slices.Equal(stored, []int64{1}) || len(fresh) != 0 {
		t.Fatalf("with no worker: stored %v, fresh %v; want 1 stored by intake", stored, fresh)
	}

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); b.work(ctx) }()
	defer func() { cancel(); <-done }()
	waitPending(t, rec.Store, "update 1")
	perStart := answers(70) // what /start is answered with
	if perStart == 0 {
		t.Fatal("update 1 was not answered")
	}

	if err := b.takeUpdates(t.Context(), []json.RawMessage{msg(2, 71), msg(3, 72), msg(4, 71)}); err != nil {
		t.Fatal(err)
	}
	stored, fresh := rec.seen()
	if !slices.Equal(stored, []int64{1, 2, 4}) || !slices.Equal(fresh, []int64{3}) {
		t.Fatalf("stored %v, fresh %v; want 2 and 4 (one chat) stored as they came, 3 stored done", stored, fresh)
	}
	if in, n := inInbox(3, 72), answers(72); !in || n != perStart {
		t.Fatalf("when intake returned, update 3 in the inbox: %v, messages queued: %d; want it stored with its %d", in, n, perStart)
	}
	waitPending(t, rec.Store, "updates 2 and 4")

	// The commit of a fresh update fails: intake stores it, and the
	// workers answer it once.
	rec.mu.Lock()
	rec.failFresh = true
	rec.mu.Unlock()
	if err := b.takeUpdates(t.Context(), []json.RawMessage{msg(5, 73)}); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	rec.failFresh = false
	rec.mu.Unlock()
	if stored, _ := rec.seen(); !slices.Contains(stored, 5) || !inInbox(5, 73) {
		t.Fatalf("a fresh update whose commit failed was not stored by intake (stored %v)", stored)
	}
	waitPending(t, rec.Store, "update 5")
	if n := answers(73); n != perStart {
		t.Fatalf("update 5 queued %d messages, want %d (answered once)", n, perStart)
	}

	// Stopping while a fresh update is in hand: intake returns at once
	// (the batch is not confirmed), and the worker still commits it.
	gate := make(chan struct{})
	rec.mu.Lock()
	rec.gate = gate
	rec.mu.Unlock()
	stopping, stop := context.WithCancel(t.Context())
	returned := make(chan error, 1)
	go func() { returned <- b.takeUpdates(stopping, []json.RawMessage{msg(6, 74)}) }()
	for {
		if _, fresh := rec.seen(); len(fresh) > 1 {
			t.Fatal("the gated update completed")
		}
		b.intaken.mu.Lock()
		waiting := b.intaken.items.Len()
		b.intaken.mu.Unlock()
		b.freshly.mu.Lock()
		inHand := len(b.freshly.outcomes) == 1 && waiting == 0
		b.freshly.mu.Unlock()
		if inHand {
			break
		}
		time.Sleep(time.Millisecond)
	}
	stop()
	if err := <-returned; err == nil {
		t.Fatal("intake said a batch was stored while its update was still in hand at the stop")
	}
	close(gate)
	waitFor(t, "update 6 stored done", func() bool { return inInbox(6, 74) })
	if _, fresh := rec.seen(); !slices.Equal(fresh, []int64{3, 6}) {
		t.Fatalf("stored done %v, want 3 and 6", fresh)
	}
}

// waitFor waits up to 10 s for ok.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 10 s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitPending waits until no update is left unprocessed.
func waitPending(t *testing.T, mem *memory.Store, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := mem.Peek().InboxPending(t.Context())
		if err == nil && n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d updates still pending after 10 s", what, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestIntakeFreshBatchIsOneCommit: the updates a poll hands to the
// workers before storing them are completed in one transaction, even when
// the workers take them a few at a time.
func TestIntakeFreshBatchIsOneCommit(t *testing.T) {
	rec := &intakeRecorder{Store: memory.New(nil)}
	cfg := testConfig()
	cfg.Token = "123456:fuzz-test-token"
	cfg.Workers = 2
	b := newMemoryBot(t, rec, cfg)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); b.work(ctx) }()
	defer func() { cancel(); <-done }()
	var raws []json.RawMessage
	for i := range int64(5) {
		raws = append(raws, json.RawMessage(fmt.Sprintf(`{"update_id":%d,"message":{"message_id":1,"date":1700000000,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"language_code":"km"},"text":"/start"}}`, 10+i, 900+i, 900+i)))
	}
	if err := b.takeUpdates(t.Context(), raws); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.freshDone) != 5 || rec.freshCalls != 1 {
		t.Fatalf("%d fresh updates stored done in %d completions, want 5 in 1", len(rec.freshDone), rec.freshCalls)
	}
}
