package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline/storage"
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
		if _, ok, err := e.db.InboxClaim(ctx, "w", time.Minute); err != nil || !ok {
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
