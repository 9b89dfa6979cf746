package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/memory"
	"github.com/tipline/tipline/storage/storagetest"
)

// claimStored claims for owner, as stored, what intake claimed for b's
// workers: b leaves, as when it stops, and its workers' share with it.
func claimStored(t *testing.T, b *Bot, mem storagetest.Store, owner string) (storage.InboxItem, bool, error) {
	t.Helper()
	b.takeIntaken(t.Context(), b.cfg.Workers)
	if err := mem.Leave(t.Context(), b.owner); err != nil {
		t.Fatal(err)
	}
	return storagetest.InboxClaim(t.Context(), mem, owner, time.Minute)
}

// setAside stores an update of chat and sets it aside, as processing does
// with one that keeps failing.
func setAside(t *testing.T, b *Bot, mem *memory.Store, id, chat int64) {
	t.Helper()
	upd := fmt.Sprintf(`{"update_id":%d,"message":{"message_id":1,"date":1700000000,"chat":{"id":%d,"type":"private","first_name":"Sreymom"},"from":{"id":%d,"first_name":"Sreymom","username":"sreymom_pp","language_code":"km"},"text":"the girl is at the karaoke"}}`, id, chat, chat)
	if err := b.storeUpdates(t.Context(), []json.RawMessage{json.RawMessage(upd)}); err != nil {
		t.Fatal(err)
	}
	it, ok, err := claimStored(t, b, mem, "w")
	if err != nil || !ok || it.UpdateID != id {
		t.Fatalf("claim: %+v %v %v", it, ok, err)
	}
	if strings.Contains(string(it.Payload), "Sreymom") || strings.Contains(string(it.Payload), "sreymom_pp") {
		t.Fatalf("the inbox holds the sender's name: %s", it.Payload)
	}
	if err := mem.InboxDead(t.Context(), id, "w", "test"); err != nil {
		t.Fatal(err)
	}
}

// processNext runs one update through the bot as a worker does.
func processNext(t *testing.T, b *Bot, mem *memory.Store, upd string) {
	t.Helper()
	if err := b.storeUpdates(t.Context(), []json.RawMessage{json.RawMessage(upd)}); err != nil {
		t.Fatal(err)
	}
	// Claimed as it was stored, or else as a worker claims.
	var it storage.InboxItem
	if got := b.takeIntaken(t.Context(), 1); len(got) == 1 {
		it = got[0]
	} else {
		var ok bool
		var err error
		if it, ok, err = storagetest.InboxClaim(t.Context(), mem, b.owner, time.Minute); err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
	}
	if err := b.process(t.Context(), it); err != nil {
		t.Fatalf("process: %v", err)
	}
}

// TestDeadLettersGo: the security review's M1. A dead letter holds no
// name; /forget drops the reporter's own and no one else's; the
// maintenance loop purges the rest after DeadLetterTTL.
func TestDeadLettersGo(t *testing.T) {
	clock := fuzzNow
	mem := memory.New(func() time.Time { return clock })
	b := newFuzzBot(t, mem, fuzzSecret)
	setAside(t, b, mem, 10, 77)
	setAside(t, b, mem, 11, 88)

	// Reporter 77 asks to be forgotten.
	msg := `{"update_id":%d,"message":{"message_id":%d,"date":1700000000,"chat":{"id":77,"type":"private"},"from":{"id":77,"language_code":"en"},"text":"%s"}}`
	processNext(t, b, mem, fmt.Sprintf(msg, 12, 2, "/forget"))
	press := fmt.Sprintf(`{"update_id":13,"callback_query":{"id":"cb1","from":{"id":77,"language_code":"en"},"message":{"message_id":3,"date":1700000000,"chat":{"id":77,"type":"private"}},"data":%q}}`,
		signButton(b.ring, 77, "forget:yes"))
	processNext(t, b, mem, press)
	list, err := mem.InboxDeadList(t.Context())
	if err != nil || len(list) != 1 || list[0].UpdateID != 11 {
		t.Fatalf("dead letters after /forget: %+v, %v; want only the other reporter's (11)", list, err)
	}

	// Maintenance keeps it until DeadLetterTTL, then purges it.
	b.RunMaintenance(context.Background())
	if n, _ := mem.InboxDeadCount(t.Context()); n != 1 {
		t.Fatalf("%d dead letters after maintenance, want the recent one kept", n)
	}
	clock = fuzzNow.Add(b.cfg.DeadLetterTTL + time.Hour)
	b.cfg.Now = func() time.Time { return clock }
	b.RunMaintenance(context.Background())
	if n, _ := mem.InboxDeadCount(t.Context()); n != 0 {
		t.Fatalf("%d dead letters after %s, want none", n, b.cfg.DeadLetterTTL)
	}
}

// TestSessionOverTheBoundNotWritten: a step whose session would pass
// storage.MaxSessionBytes is not saved; the reporter is told this message
// was not kept, the session before it stays, and the update is done, not
// tried again in a loop (the security review's H1, last line of defence
// behind the flows' own bounds).
func TestSessionOverTheBoundNotWritten(t *testing.T) {
	mem := memory.New(nil)
	b := newFuzzBot(t, mem, fuzzSecret)
	chatKey := b.ring.ChatKey(77)
	st := chatState{Flow: flows.Session{Lang: "en", State: flows.StateTipWhere, Draft: &flows.Draft{ID: "d", Kind: tipline.KindTip, Answers: tipline.Answers{}}}}
	base, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	st.Flow.Draft.Answers["what"] = strings.Repeat("x", storage.MaxSessionBytes-len(base)-40)
	if err := b.saveSession(t.Context(), chatKey, st); err != nil {
		t.Fatalf("a session just under the bound: %v", err)
	}
	before, _ := b.sessions.Load(t.Context(), chatKey)
	msg := `{"update_id":21,"message":{"message_id":2,"date":1700000000,"chat":{"id":77,"type":"private"},"from":{"id":77,"language_code":"en"},"text":"Psar Thmei, behind the market"}}`
	processNext(t, b, mem, msg)
	after, _ := b.sessions.Load(t.Context(), chatKey)
	if !bytes.Equal(before, after) {
		t.Error("the session changed, want the one before kept")
	}
	if n, _ := mem.Peek().InboxPending(t.Context()); n != 0 {
		t.Errorf("%d updates still pending, want the update done", n)
	}
	// The completion claimed the answer for the bot's own dispatcher (not
	// running here); the bot leaves, as when it stops, to let it be read.
	if err := mem.Leave(t.Context(), b.owner); err != nil {
		t.Fatal(err)
	}
	got, err := storagetest.OutboxClaim(t.Context(), mem, "test", time.Minute, 10)
	if err != nil || len(got) != 1 || !strings.Contains(string(got[0].Payload), b.render.cat.Text("en", "error_session_full", nil)[:20]) {
		t.Fatalf("queued %d entries (%v), want the reporter told", len(got), err)
	}
}
