package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
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
	processed := func(what string) {
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
