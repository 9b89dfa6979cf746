package storagetest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// Sessions is what both redis.Sessions and memory.Sessions
// offer: a chat's conversation state, kept for a while, and markers.
type Sessions interface {
	Load(ctx context.Context, chatKey string) ([]byte, error)
	// LoadMany is Load for several chats in one round trip.
	LoadMany(ctx context.Context, chatKeys []string) ([][]byte, []error, error)
	// ReadBatch is LoadMany and MarkValues in one round trip.
	ReadBatch(ctx context.Context, r storage.BatchRead) (storage.BatchReads, error)
	Save(ctx context.Context, chatKey string, data []byte) error
	SaveMarked(ctx context.Context, chatKey string, data []byte, marks ...storage.Mark) error
	// SaveAll is SaveMarked for several chats in one round trip.
	SaveAll(ctx context.Context, saves []storage.SessionSave) []error
	Delete(ctx context.Context, chatKey string) error

	Mark(ctx context.Context, name string, ttl time.Duration) error
	Marked(ctx context.Context, name string) (bool, error)
	Unmark(ctx context.Context, name string) error
	MarkWith(ctx context.Context, name, value string, ttl time.Duration) error
	MarkValue(ctx context.Context, name string) (string, error)
	MarkValues(ctx context.Context, names ...string) ([]string, error)
}

// RunSessionsContract checks that sessions keep the promises every
// implementation makes. newSessions returns empty sessions, the time to
// live they were made with, and a function that lets that much time pass
// (a fake clock's advance, or time.Sleep for a real server).
func RunSessionsContract(t *testing.T, newSessions func(t *testing.T) (s Sessions, ttl time.Duration, wait func(time.Duration))) {
	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		s, _, _ := newSessions(t)
		ctx := t.Context()
		mustSaveSession(t, s, "chat-a", []byte(`{"state":"ask_what"}`))
		mustSaveSession(t, s, "chat-b", []byte(`{"state":"ask_where"}`))
		mustLoadSession(t, s, "chat-a", `{"state":"ask_what"}`)
		mustSaveSession(t, s, "chat-a", []byte(`{"state":"ask_when"}`))
		mustLoadSession(t, s, "chat-a", `{"state":"ask_when"}`)
		mustLoadSession(t, s, "chat-b", `{"state":"ask_where"}`)
		mustSaveSession(t, s, "chat-c", nil)
		mustLoadSession(t, s, "chat-c", "")

		data := []byte("original")
		mustSaveSession(t, s, "chat-d", data)
		data[0] = 'X'
		got, err := s.Load(ctx, "chat-d")
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		got[1] = 'X'
		mustLoadSession(t, s, "chat-d", "original")
	})
	t.Run("SaveMarked", func(t *testing.T) {
		t.Parallel()
		s, ttl, _ := newSessions(t)
		ctx := t.Context()
		draft := storage.Mark{Name: "draft:chat-a", TTL: ttl}
		lang := storage.Mark{Name: "lang:p1", Value: "km", TTL: ttl}
		if err := s.SaveMarked(ctx, "chat-a", []byte(`{"state":"ask_what"}`), draft, lang); err != nil {
			t.Fatalf("SaveMarked: %v", err)
		}
		mustLoadSession(t, s, "chat-a", `{"state":"ask_what"}`)
		mustMarked(t, s, "draft:chat-a", true)
		if v, err := s.MarkValue(ctx, "draft:chat-a"); err != nil || v != "1" {
			t.Fatalf("draft marker holds %q, %v; want \"1\"", v, err)
		}
		if v, err := s.MarkValue(ctx, "lang:p1"); err != nil || v != "km" {
			t.Fatalf("language marker holds %q, %v; want \"km\"", v, err)
		}
		// TTL 0 removes; a marker not named is left as it was.
		if err := s.SaveMarked(ctx, "chat-a", []byte(`{"state":"done"}`), storage.Mark{Name: "draft:chat-a"}); err != nil {
			t.Fatalf("SaveMarked removing the marker: %v", err)
		}
		mustLoadSession(t, s, "chat-a", `{"state":"done"}`)
		mustMarked(t, s, "draft:chat-a", false)
		mustMarked(t, s, "lang:p1", true)
		if err := s.SaveMarked(ctx, "chat-b", []byte(`{}`)); err != nil {
			t.Fatalf("SaveMarked with no marker: %v", err)
		}
		mustLoadSession(t, s, "chat-b", `{}`)
		// Refused whole: a session over the bound, a marker for no time
		// or with too long a value.
		big := make([]byte, storage.MaxSessionBytes+1)
		if err := s.SaveMarked(ctx, "chat-a", big, draft); !errors.Is(err, storage.ErrSessionTooLarge) {
			t.Fatalf("SaveMarked over the bound: %v, want ErrSessionTooLarge", err)
		}
		if err := s.SaveMarked(ctx, "chat-a", []byte(`{}`), storage.Mark{Name: "draft:chat-a", TTL: -time.Second}); !errors.Is(err, tipline.ErrInvalid) {
			t.Fatalf("SaveMarked for a negative time: %v, want ErrInvalid", err)
		}
		long := storage.Mark{Name: "lang:p2", Value: strings.Repeat("x", 4096), TTL: ttl}
		if err := s.SaveMarked(ctx, "chat-a", []byte(`{}`), draft, long); !errors.Is(err, tipline.ErrInvalid) {
			t.Fatalf("SaveMarked with a long marker value: %v, want ErrInvalid", err)
		}
		mustLoadSession(t, s, "chat-a", `{"state":"done"}`)
		mustMarked(t, s, "draft:chat-a", false)
		mustMarked(t, s, "lang:p2", false)
	})
	t.Run("SaveAll", func(t *testing.T) {
		t.Parallel()
		s, ttl, _ := newSessions(t)
		ctx := t.Context()
		mustSaveSession(t, s, "chat-b", []byte(`{"state":"before"}`))
		errs := s.SaveAll(ctx, []storage.SessionSave{
			{ChatKey: "chat-a", Data: []byte(`{"state":"ask_what"}`), Marks: []storage.Mark{{Name: "draft:chat-a", TTL: ttl}}},
			{ChatKey: "chat-b", Data: make([]byte, storage.MaxSessionBytes+1), Marks: []storage.Mark{{Name: "draft:chat-b", TTL: ttl}}},
			{ChatKey: "chat-c", Data: []byte(`{"state":"menu"}`), Marks: []storage.Mark{{Name: "lang:p3", Value: "th", TTL: ttl}}},
		})
		if len(errs) != 3 || errs[0] != nil || !errors.Is(errs[1], storage.ErrSessionTooLarge) || errs[2] != nil {
			t.Fatalf("SaveAll: %v, want nil, ErrSessionTooLarge, nil", errs)
		}
		// Each save is its own: the refused one wrote nothing, the others all.
		mustLoadSession(t, s, "chat-a", `{"state":"ask_what"}`)
		mustMarked(t, s, "draft:chat-a", true)
		mustLoadSession(t, s, "chat-b", `{"state":"before"}`)
		mustMarked(t, s, "draft:chat-b", false)
		mustLoadSession(t, s, "chat-c", `{"state":"menu"}`)
		if v, err := s.MarkValue(ctx, "lang:p3"); err != nil || v != "th" {
			t.Fatalf("language marker holds %q, %v; want \"th\"", v, err)
		}
		if errs := s.SaveAll(ctx, nil); len(errs) != 0 {
			t.Fatalf("SaveAll of nothing: %v", errs)
		}
	})
	t.Run("SizeBound", func(t *testing.T) {
		t.Parallel()
		s, _, _ := newSessions(t)
		mustSaveSession(t, s, "chat-a", []byte(`{"state":"menu"}`))
		mustSaveSession(t, s, "chat-b", bytes.Repeat([]byte("x"), storage.MaxSessionBytes))
		err := s.Save(t.Context(), "chat-a", bytes.Repeat([]byte("x"), storage.MaxSessionBytes+1))
		if !errors.Is(err, storage.ErrSessionTooLarge) {
			t.Fatalf("Save of %d bytes: %v, want ErrSessionTooLarge", storage.MaxSessionBytes+1, err)
		}
		mustLoadSession(t, s, "chat-a", `{"state":"menu"}`)
	})
	t.Run("LoadManyAsLoad", func(t *testing.T) {
		t.Parallel()
		s, _, _ := newSessions(t)
		mustSaveSession(t, s, "chat-a", []byte(`{"state":"ask_what"}`))
		mustSaveSession(t, s, "chat-c", nil)
		got, errs, err := s.LoadMany(t.Context(), []string{"chat-a", "chat-b", "chat-c", "chat-a"})
		if err != nil || len(got) != 4 || len(errs) != 4 {
			t.Fatalf("LoadMany = %q, %v, %v; want four results", got, errs, err)
		}
		if errs[0] != nil || string(got[0]) != `{"state":"ask_what"}` || errs[3] != nil || string(got[3]) != string(got[0]) {
			t.Fatalf("LoadMany of a saved session = %q, %v; want it", got[0], errs[0])
		}
		if !errors.Is(errs[1], tipline.ErrNotFound) {
			t.Fatalf("LoadMany of an unknown chat: %v, want ErrNotFound", errs[1])
		}
		if errs[2] != nil || got[2] == nil || len(got[2]) != 0 {
			t.Fatalf("LoadMany of an empty session = %q, %v; want empty, found", got[2], errs[2])
		}
		if got, errs, err := s.LoadMany(t.Context(), nil); err != nil || len(got)+len(errs) != 0 {
			t.Fatalf("LoadMany of nothing = %q, %v, %v", got, errs, err)
		}
	})
	t.Run("ReadBatchAsLoadAndMarkValues", func(t *testing.T) {
		t.Parallel()
		s, ttl, _ := newSessions(t)
		ctx := t.Context()
		mustSaveSession(t, s, "chat-a", []byte(`{"state":"ask_what"}`))
		if err := s.MarkWith(ctx, "lang:p1", "km", ttl); err != nil {
			t.Fatalf("MarkWith: %v", err)
		}
		if err := s.Mark(ctx, "draft:chat-b", ttl); err != nil {
			t.Fatalf("Mark: %v", err)
		}
		got, err := s.ReadBatch(ctx, storage.BatchRead{
			Chats: []string{"chat-a", "chat-b"},
			Marks: []string{"lang:p1", "listen:p1", "draft:chat-b", "lang:p1"},
		})
		if err != nil || len(got.Sessions) != 2 || len(got.SessionErrs) != 2 {
			t.Fatalf("ReadBatch = %+v, %v; want two sessions", got, err)
		}
		if got.SessionErrs[0] != nil || string(got.Sessions[0]) != `{"state":"ask_what"}` {
			t.Fatalf("ReadBatch of a saved session = %q, %v; want it", got.Sessions[0], got.SessionErrs[0])
		}
		if !errors.Is(got.SessionErrs[1], tipline.ErrNotFound) {
			t.Fatalf("ReadBatch of an unknown chat: %v, want ErrNotFound", got.SessionErrs[1])
		}
		if want := []string{"km", "", "1", "km"}; !slices.Equal(got.Marks, want) {
			t.Fatalf("ReadBatch's markers = %q, want %q", got.Marks, want)
		}
		if len(got.Allowed)+len(got.Known) != 0 {
			t.Fatalf("ReadBatch with no checks answered %v, %v", got.Allowed, got.Known)
		}
		// Markers alone, and nothing at all.
		if got, err := s.ReadBatch(ctx, storage.BatchRead{Marks: []string{"draft:chat-b"}}); err != nil || !slices.Equal(got.Marks, []string{"1"}) || len(got.Sessions) != 0 {
			t.Fatalf("ReadBatch of a marker alone = %+v, %v", got, err)
		}
		if got, err := s.ReadBatch(ctx, storage.BatchRead{}); err != nil || len(got.Sessions)+len(got.Marks) != 0 {
			t.Fatalf("ReadBatch of nothing = %+v, %v", got, err)
		}
		// Sessions without a limiter cannot count a call (Shared can).
		check := storage.Check{Key: "reporter-a", Limit: 1, Window: time.Minute}
		if _, err := s.ReadBatch(ctx, storage.BatchRead{Chats: []string{"chat-a"}, Checks: []storage.Check{check}}); !errors.Is(err, tipline.ErrInvalid) {
			t.Fatalf("ReadBatch with a check: %v, want ErrInvalid", err)
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		s, _, _ := newSessions(t)
		if _, err := s.Load(t.Context(), "chat-unknown"); !errors.Is(err, tipline.ErrNotFound) {
			t.Fatalf("Load of an unknown chat: %v, want ErrNotFound", err)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		s, _, _ := newSessions(t)
		ctx := t.Context()
		mustSaveSession(t, s, "chat-a", []byte("state"))
		mustSaveSession(t, s, "chat-b", []byte("other"))
		if err := s.Delete(ctx, "chat-a"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if _, err := s.Load(ctx, "chat-a"); !errors.Is(err, tipline.ErrNotFound) {
			t.Fatalf("Load after Delete: %v, want ErrNotFound", err)
		}
		mustLoadSession(t, s, "chat-b", "other")
		if err := s.Delete(ctx, "chat-a"); err != nil {
			t.Fatalf("Delete of a missing session: %v", err)
		}
	})
	t.Run("Expiry", func(t *testing.T) {
		t.Parallel()
		s, ttl, wait := newSessions(t)
		ctx := t.Context()
		mustSaveSession(t, s, "chat-a", []byte("state"))
		wait(ttl / 2)
		mustSaveSession(t, s, "chat-a", []byte("state 2")) // starts the ttl again
		wait(ttl * 3 / 4)
		mustLoadSession(t, s, "chat-a", "state 2")
		wait(ttl / 2)
		if _, err := s.Load(ctx, "chat-a"); !errors.Is(err, tipline.ErrNotFound) {
			t.Fatalf("Load after the ttl: %v, want ErrNotFound", err)
		}
	})
	t.Run("Markers", func(t *testing.T) {
		t.Parallel()
		s, ttl, _ := newSessions(t)
		ctx := t.Context()
		mustMarked(t, s, "chat-a", false)
		if err := s.Mark(ctx, "chat-a", ttl); err != nil {
			t.Fatalf("Mark: %v", err)
		}
		mustMarked(t, s, "chat-a", true)
		mustMarked(t, s, "chat-b", false)
		// Markers and sessions are apart, even under the same name.
		if _, err := s.Load(ctx, "chat-a"); !errors.Is(err, tipline.ErrNotFound) {
			t.Fatalf("Load of a marked chat without a session: %v, want ErrNotFound", err)
		}
		mustSaveSession(t, s, "chat-b", []byte("state"))
		mustMarked(t, s, "chat-b", false)
		if err := s.Delete(ctx, "chat-a"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		mustMarked(t, s, "chat-a", true)

		if err := s.Unmark(ctx, "chat-a"); err != nil {
			t.Fatalf("Unmark: %v", err)
		}
		mustMarked(t, s, "chat-a", false)
		if err := s.Unmark(ctx, "chat-a"); err != nil {
			t.Fatalf("Unmark of a missing marker: %v", err)
		}
		mustLoadSession(t, s, "chat-b", "state")
		for _, ttl := range []time.Duration{0, -time.Second} {
			if err := s.Mark(ctx, "chat-c", ttl); !errors.Is(err, tipline.ErrInvalid) {
				t.Errorf("Mark for %v: %v, want ErrInvalid", ttl, err)
			}
		}
		mustMarked(t, s, "chat-c", false)
	})
	t.Run("MarkerValues", func(t *testing.T) {
		t.Parallel()
		s, ttl, _ := newSessions(t)
		ctx := t.Context()
		mustMarkValue(t, s, "lang:a", "")
		if err := s.MarkWith(ctx, "lang:a", "km", ttl); err != nil {
			t.Fatalf("MarkWith: %v", err)
		}
		mustMarkValue(t, s, "lang:a", "km")
		mustMarked(t, s, "lang:a", true)
		mustMarkValue(t, s, "lang:b", "")
		// A new value replaces the old one.
		if err := s.MarkWith(ctx, "lang:a", "th", ttl); err != nil {
			t.Fatalf("MarkWith: %v", err)
		}
		mustMarkValue(t, s, "lang:a", "th")
		// A plain marker holds "1".
		if err := s.Mark(ctx, "chat-a", ttl); err != nil {
			t.Fatalf("Mark: %v", err)
		}
		mustMarkValue(t, s, "chat-a", "1")
		if err := s.Unmark(ctx, "lang:a"); err != nil {
			t.Fatalf("Unmark: %v", err)
		}
		mustMarkValue(t, s, "lang:a", "")
		for _, v := range []string{"", strings.Repeat("x", 257)} {
			if err := s.MarkWith(ctx, "lang:c", v, ttl); !errors.Is(err, tipline.ErrInvalid) {
				t.Errorf("MarkWith a value of %d bytes: %v, want ErrInvalid", len(v), err)
			}
		}
		if err := s.MarkWith(ctx, "lang:c", "km", 0); !errors.Is(err, tipline.ErrInvalid) {
			t.Errorf("MarkWith for no time: %v, want ErrInvalid", err)
		}
		mustMarkValue(t, s, "lang:c", "")
	})
	t.Run("MarkValuesAsMarkValue", func(t *testing.T) {
		t.Parallel()
		s, ttl, wait := newSessions(t)
		ctx := t.Context()
		if got, err := s.MarkValues(ctx); err != nil || len(got) != 0 {
			t.Fatalf("MarkValues of none: %q, %v; want none", got, err)
		}
		if err := s.MarkWith(ctx, "lang:a", "km", ttl); err != nil {
			t.Fatalf("MarkWith: %v", err)
		}
		if err := s.Mark(ctx, "listen:a", ttl/4); err != nil {
			t.Fatalf("Mark: %v", err)
		}
		names := []string{"lang:b", "lang:a", "listen:a", "lang:a"}
		got, err := s.MarkValues(ctx, names...)
		if err != nil {
			t.Fatalf("MarkValues: %v", err)
		}
		if want := []string{"", "km", "1", "km"}; !slices.Equal(got, want) {
			t.Fatalf("MarkValues(%q) = %q, want %q", names, got, want)
		}
		wait(ttl / 2)
		got, err = s.MarkValues(ctx, names...)
		if err != nil {
			t.Fatalf("MarkValues: %v", err)
		}
		if want := []string{"", "km", "", "km"}; !slices.Equal(got, want) {
			t.Fatalf("MarkValues(%q) after the listening marker expired = %q, want %q", names, got, want)
		}
	})
	t.Run("MarkerValueExpiry", func(t *testing.T) {
		t.Parallel()
		s, ttl, wait := newSessions(t)
		if err := s.MarkWith(t.Context(), "lang:a", "km", ttl); err != nil {
			t.Fatalf("MarkWith: %v", err)
		}
		wait(ttl / 2)
		mustMarkValue(t, s, "lang:a", "km")
		wait(ttl * 3 / 4)
		mustMarkValue(t, s, "lang:a", "")
	})
	t.Run("MarkerExpiry", func(t *testing.T) {
		t.Parallel()
		s, ttl, wait := newSessions(t)
		ctx := t.Context()
		mark := func() {
			t.Helper()
			if err := s.Mark(ctx, "chat-a", ttl); err != nil {
				t.Fatalf("Mark: %v", err)
			}
		}
		mark()
		wait(ttl / 2)
		mustMarked(t, s, "chat-a", true)
		mark() // starts the ttl again
		wait(ttl * 3 / 4)
		mustMarked(t, s, "chat-a", true)
		wait(ttl / 2)
		mustMarked(t, s, "chat-a", false)
	})
}

func mustMarkValue(t *testing.T, s Sessions, name, want string) {
	t.Helper()
	got, err := s.MarkValue(t.Context(), name)
	if err != nil {
		t.Fatalf("MarkValue(%s): %v", name, err)
	}
	if got != want {
		t.Fatalf("MarkValue(%s) = %q, want %q", name, got, want)
	}
}

func mustMarked(t *testing.T, s Sessions, name string, want bool) {
	t.Helper()
	got, err := s.Marked(t.Context(), name)
	if err != nil {
		t.Fatalf("Marked(%s): %v", name, err)
	}
	if got != want {
		t.Fatalf("Marked(%s) = %v, want %v", name, got, want)
	}
}

func mustSaveSession(t *testing.T, s Sessions, chat string, data []byte) {
	t.Helper()
	if err := s.Save(t.Context(), chat, data); err != nil {
		t.Fatalf("Save(%s): %v", chat, err)
	}
}

func mustLoadSession(t *testing.T, s Sessions, chat, want string) {
	t.Helper()
	got, err := s.Load(t.Context(), chat)
	if err != nil {
		t.Fatalf("Load(%s): %v", chat, err)
	}
	if string(got) != want {
		t.Fatalf("Load(%s) = %q, want %q", chat, got, want)
	}
}
