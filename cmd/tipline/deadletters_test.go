package main

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/storagetest"
)

// TestInboxDrop: an operator deletes a dead letter, then all of them, at
// once; each drop is recorded, with no content.
func TestInboxDrop(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	for _, id := range []int64{901, 902, 903} {
		if _, err := e.db.InboxAdd(ctx, []storage.InboxItem{{UpdateID: id, ChatKey: "chat", Payload: []byte(`{"update_id":1}`)}}); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := storagetest.InboxClaim(ctx, e.db, "w", time.Minute); err != nil || !ok {
			t.Fatalf("claim %d: %v %v", id, ok, err)
		}
		if err := e.db.InboxDead(ctx, id, "w", "test"); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := e.runCLI(t, "inbox", "drop", "902"); err != nil || !strings.Contains(out, "902 dropped") {
		t.Fatalf("inbox drop 902: %v\n%s", err, out)
	}
	if out, err := e.runCLI(t, "inbox", "drop", "902"); err == nil {
		t.Fatalf("inbox drop of a dropped letter succeeded:\n%s", out)
	}
	if out, err := e.runCLI(t, "inbox", "drop"); err == nil {
		t.Fatalf("inbox drop with nothing to drop named succeeded:\n%s", out)
	}
	if out, err := e.runCLI(t, "inbox", "drop", "--all"); err != nil || !strings.Contains(out, "2 dead letters dropped") {
		t.Fatalf("inbox drop --all: %v\n%s", err, out)
	}
	if n := e.countRows("inbox_dead"); n != 0 {
		t.Fatalf("%d dead letters left", n)
	}
	out, err := e.runCLI(t, "audit", "--operator", "--since", "1d")
	if err != nil || !regexp.MustCompile(`-\s+operator\s+dead_letter_dropped 902[\s\S]*operator\s+dead_letters_dropped 2`).MatchString(out) {
		t.Fatalf("audit --operator: %v\n%s", err, out)
	}
}

// TestDisablingDropsQueuedMessages is the security review's M2: what was
// queued to a reviewer before they were disabled (Details, files pressed
// on a stolen phone) is dropped, never delivered; other chats' messages
// stay queued.
func TestDisablingDropsQueuedMessages(t *testing.T) {
	e := newOnCallEnv(t, "Primary Pich")
	stop := e.startOnCall()
	p := e.reviewers[0]
	e.settle()
	stop() // nothing is sent from here on: what is queued stays queued
	ctx := context.Background()
	var entries []storage.OutboxEntry
	for i, chat := range []int64{p.User.ID, p.User.ID, p.User.ID, 7_100_600_999} {
		entries = append(entries, storage.OutboxEntry{Key: fmt.Sprint("test:queued:", i), ChatKey: e.ring.ChatKey(chat), ChatID: chat,
			Lane: tipline.LaneBulk, Method: "sendMessage", Payload: []byte(`{"text":"a file of a case"}`)})
	}
	if err := e.db.OutboxAdd(ctx, entries); err != nil {
		t.Fatal(err)
	}
	out, err := e.runCLI(t, "reviewers", "disable", strconv.FormatInt(p.rv.ID, 10))
	if err != nil || !strings.Contains(out, "3 messages still queued to them were dropped") {
		t.Fatalf("reviewers disable: %v\n%s", err, out)
	}
	if n := e.countWhere("outbox", "key like 'test:queued:%' and sent_at is null and dead_at is null"); n != 1 {
		t.Fatalf("%d of the queued messages still wait, want only the other chat's", n)
	}
	if n := e.countWhere("outbox", "key like 'test:queued:%' and dead_at is not null and payload is null and chat_id is null"); n != 3 {
		t.Fatalf("%d dropped messages lost their content, want 3", n)
	}
}
