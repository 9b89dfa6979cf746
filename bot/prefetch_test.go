package bot

import (
	"errors"
	"fmt"
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
	b.dropPrefetched(storage.InboxItem{UpdateID: 2, ChatKey: "b"}) // its update finished without reading it
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

// TestSendersScreenedWithTheirBatch: the senders of a claimed batch are
// screened at once; each update takes its own sender's screening once,
// and only for the sender it was read for.
func TestSendersScreenedWithTheirBatch(t *testing.T) {
	ctx := t.Context()
	mem := memory.New(nil)
	code := tipline.InviteHash("invite-11")
	if err := mem.CreateInvite(ctx, code, "Reviewer", false, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := mem.RedeemInvite(ctx, code, 11, "en", time.Now()); err != nil {
		t.Fatal(err)
	}
	b := &Bot{store: mem, ring: fuzzRing(t)}
	private := func(update, user int64) storage.InboxItem {
		return storage.InboxItem{UpdateID: update, ChatKey: fmt.Sprint("chat", user), Payload: fmt.Appendf(nil,
			`{"update_id":%d,"message":{"message_id":1,"date":1700000000,"chat":{"id":%d,"type":"private"},"from":{"id":%d},"text":"hi"}}`,
			update, user, user)}
	}
	group := storage.InboxItem{UpdateID: 3, ChatKey: "group", Payload: []byte(
		`{"update_id":3,"message":{"message_id":1,"date":1700000000,"chat":{"id":-5,"type":"group"},"from":{"id":13},"text":"hi"}}`)}
	b.screenSenders(ctx, []storage.InboxItem{private(1, 11), private(2, 12), group})
	if s, ok := b.screening(1, 11); !ok || !s.Reviewer || s.Blocked {
		t.Fatalf("screening of the reviewer's update = %+v, %v; want a reviewer", s, ok)
	}
	if _, ok := b.screening(1, 11); ok {
		t.Fatal("an update's screening was used twice")
	}
	if _, ok := b.screening(2, 99); ok {
		t.Fatal("a screening was used for a sender it was not read for")
	}
	if _, ok := b.screening(3, 13); ok {
		t.Fatal("a group's update was screened; the bot serves no group")
	}
	if len(b.prefetched.screened) != 0 {
		t.Fatalf("%d screenings left", len(b.prefetched.screened))
	}
}
