package bot

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/tipline/tipline/outbox"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/memory"
	"github.com/tipline/tipline/storage/storagetest"
)

// failingStore fails every block check, as a bug in our own code would:
// not an outage (ErrUnavailable), an error that another try cannot fix.
type failingStore struct {
	*memory.Store
}

func (s failingStore) IsBlocked(context.Context, ...string) (bool, error) {
	return false, errors.New("test: a bug")
}

// ScreenSenders fails too, so each update checks its block alone, and fails.
func (s failingStore) ScreenSenders(context.Context, []storage.Sender) ([]storage.Screening, error) {
	return nil, errors.New("test: a bug")
}

// InboxAddClaim stores and claims as the memory store does, but screens
// no one, so the update claimed at intake checks its block alone too.
func (s failingStore) InboxAddClaim(ctx context.Context, items []storage.InboxItem, owner string, lease time.Duration, limit int) (int, []storage.InboxItem, error) {
	added, claimed, err := s.Store.InboxAddClaim(ctx, items, owner, lease, limit)
	for i := range claimed {
		claimed[i].Screened = nil
	}
	return added, claimed, err
}

// TestUpdateThatKeepsFailingIsSetAside: an update that fails five times,
// with back-off, goes to the dead letters; its sender is told once; the
// worker is free again.
func TestUpdateThatKeepsFailingIsSetAside(t *testing.T) {
	mem := memory.New(nil)
	b := newFuzzBot(t, failingStore{mem}, fuzzSecret)
	b.cfg.Idle = 10 * time.Millisecond
	upd := `{"update_id":41,"message":{"message_id":1,"date":1700000000,"chat":{"id":77,"type":"private"},"from":{"id":77,"language_code":"km"},"text":"hello"}}`
	if err := b.storeUpdates(t.Context(), []json.RawMessage{json.RawMessage(upd)}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { b.work(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		list, err := mem.InboxDeadList(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 1 {
			if list[0].UpdateID != 41 || list[0].Attempts != b.cfg.MaxAttempts {
				t.Fatalf("dead letter %+v, want update 41 after %d attempts", list[0], b.cfg.MaxAttempts)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the failing update was never set aside")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A chat's messages come one at a time: take each, mark it sent.
	var entries []storage.OutboxEntry
	for {
		got, err := storagetest.OutboxClaim(t.Context(), mem, "test", time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			break
		}
		for _, e := range got {
			if err := mem.OutboxSent(t.Context(), e.ID, "test", 1); err != nil {
				t.Fatal(err)
			}
		}
		entries = append(entries, got...)
	}
	var set, slow int
	for _, e := range entries {
		var p outbox.Payload
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			t.Fatal(err)
		}
		switch p.Text {
		case b.render.cat.Text("km", "error_set_aside", nil):
			set++
		case b.render.cat.Text("km", "error_delayed", nil):
			slow++
		}
	}
	if set != 1 || slow > 1 {
		t.Errorf("the sender was told %d times it was set aside and %d times we are slow; want once, at most once", set, slow)
	}
}

// TestIntakeStoresWhatTheClientCannotRead: one update in a batch that
// go-telegram/bot's types cannot decode does not stop the others.
func TestIntakeStoresWhatTheClientCannotRead(t *testing.T) {
	mem := memory.New(nil)
	b := newFuzzBot(t, mem, fuzzSecret)
	raws := []json.RawMessage{
		json.RawMessage(`{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":5,"type":"private"},"text":"a"}}`),
		json.RawMessage(`{"update_id":2,"message":{"message_id":"not a number","chat":{"id":5,"type":"private"}}}`),
		json.RawMessage(`{"no_update_id":true}`),
		json.RawMessage(`{"update_id":3,"message":{"message_id":2,"date":1,"chat":{"id":6,"type":"private"},"text":"b"}}`),
	}
	if err := b.storeUpdates(t.Context(), raws); err != nil {
		t.Fatalf("storeUpdates: %v", err)
	}
	if n, _ := mem.Peek().InboxPending(t.Context()); n != 3 {
		t.Fatalf("%d updates stored, want 3 (all but the one without an id)", n)
	}
}
