package bot

import (
	"errors"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/memory"
)

// TestPrefetchedSessionsUsedOnce: a claimed batch's sessions are loaded
// together and each is read once, by its update; after that, or once the
// update is finished, the chat's session is read from the store again.
func TestPrefetchedSessionsUsedOnce(t *testing.T) {
	ctx := t.Context()
	sessions := memory.NewSessions(time.Hour, nil)
	b := &Bot{sessions: sessions}
	for _, c := range []string{"a", "b"} {
		if err := sessions.Save(ctx, c, []byte("before "+c)); err != nil {
			t.Fatal(err)
		}
	}
	b.prefetchSessions(ctx, []storage.InboxItem{{UpdateID: 1, ChatKey: "a"}, {UpdateID: 2, ChatKey: "b"}, {UpdateID: 3, ChatKey: "c"}})
	for _, c := range []string{"a", "b"} {
		if err := sessions.Save(ctx, c, []byte("after "+c)); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := b.sessionData(ctx, "a"); err != nil || string(got) != "before a" {
		t.Fatalf("first read of a = %q, %v; want the session loaded with the batch", got, err)
	}
	if got, err := b.sessionData(ctx, "a"); err != nil || string(got) != "after a" {
		t.Fatalf("second read of a = %q, %v; want the store's", got, err)
	}
	b.dropPrefetched("b") // its update finished without reading it
	if got, err := b.sessionData(ctx, "b"); err != nil || string(got) != "after b" {
		t.Fatalf("read of b after its update = %q, %v; want the store's", got, err)
	}
	if _, err := b.sessionData(ctx, "c"); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("read of a chat with no session: %v, want ErrNotFound", err)
	}
	if len(b.prefetched.m) != 0 {
		t.Fatalf("%d prefetched sessions left", len(b.prefetched.m))
	}
}
