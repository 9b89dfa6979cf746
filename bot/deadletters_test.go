package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline/storage/memory"
)

// setAside stores an update of chat and sets it aside, as processing does
// with one that keeps failing.
func setAside(t *testing.T, b *Bot, mem *memory.Store, id, chat int64) {
	t.Helper()
	upd := fmt.Sprintf(`{"update_id":%d,"message":{"message_id":1,"date":1700000000,"chat":{"id":%d,"type":"private","first_name":"Sreymom"},"from":{"id":%d,"first_name":"Sreymom","username":"sreymom_pp","language_code":"km"},"text":"the girl is at the karaoke"}}`, id, chat, chat)
	if err := b.storeUpdates(t.Context(), []json.RawMessage{json.RawMessage(upd)}); err != nil {
		t.Fatal(err)
	}
	it, ok, err := mem.InboxClaim(t.Context(), "w", time.Minute)
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
	it, ok, err := mem.InboxClaim(t.Context(), b.owner, time.Minute)
	if err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
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
