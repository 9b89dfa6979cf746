package storagetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// Voices is the part of a store that keeps the team's recordings of the
// prompts.
type Voices interface {
	SaveVoicePrompt(ctx context.Context, v storage.VoicePrompt, actor, action string) error
	RemoveVoicePrompt(ctx context.Context, key, lang, actor string) error
	VoicePrompts(ctx context.Context, lang string) ([]storage.VoicePrompt, error)
	VoiceEvents(ctx context.Context) ([]storage.VoiceEvent, error)
}

// RunVoicesContract checks what every store of recordings must do: one
// recording per prompt and language, the newest kept with everything it
// was saved with, listed by language, and every change audited.
func RunVoicesContract(t *testing.T, newStore func(t *testing.T) Voices) {
	ctx := context.Background()
	at := time.Date(2026, 12, 7, 1, 30, 0, 123456000, time.UTC)
	rec := func(key, lang, file string) storage.VoicePrompt {
		return storage.VoicePrompt{Key: key, Lang: lang, FileID: file, Duration: 4, RecordedBy: 7, RecordedAt: at, TextHash: "h-" + key}
	}

	t.Run("saved, listed by language, replaced", func(t *testing.T) {
		s := newStore(t)
		for _, v := range []storage.VoicePrompt{rec("q_what", "km", "f1"), rec("q_danger", "km", "f2"), rec("q_what", "th", "f3")} {
			if err := s.SaveVoicePrompt(ctx, v, "reviewer:7", storage.ActionVoiceRecorded); err != nil {
				t.Fatal(err)
			}
		}
		km, err := s.VoicePrompts(ctx, "km")
		if err != nil {
			t.Fatal(err)
		}
		if len(km) != 2 || km[0].Key != "q_danger" || km[1].Key != "q_what" {
			t.Fatalf("got %+v, want q_danger and q_what in Khmer", km)
		}
		if got, want := km[1], rec("q_what", "km", "f1"); !got.RecordedAt.Equal(want.RecordedAt) || got.FileID != want.FileID ||
			got.Duration != want.Duration || got.RecordedBy != want.RecordedBy || got.TextHash != want.TextHash {
			t.Fatalf("got %+v, want %+v", got, want)
		}
		again := rec("q_what", "km", "f9")
		again.TextHash = "h-new"
		if err := s.SaveVoicePrompt(ctx, again, "reviewer:8", storage.ActionVoiceRecorded); err != nil {
			t.Fatal(err)
		}
		all, err := s.VoicePrompts(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 3 {
			t.Fatalf("got %d recordings, want 3 (one per prompt and language)", len(all))
		}
		if all[1].FileID != "f9" || all[1].TextHash != "h-new" || all[2].Lang != "th" {
			t.Fatalf("got %+v, want the Khmer q_what replaced and Thai last", all)
		}
	})

	t.Run("incomplete recording refused", func(t *testing.T) {
		s := newStore(t)
		v := rec("q_what", "km", "")
		if err := s.SaveVoicePrompt(ctx, v, "reviewer:7", storage.ActionVoiceRecorded); !errors.Is(err, tipline.ErrInvalid) {
			t.Fatalf("got %v, want ErrInvalid", err)
		}
	})

	t.Run("audited", func(t *testing.T) {
		s := newStore(t)
		if err := s.SaveVoicePrompt(ctx, rec("welcome", "km", "f1"), "reviewer:7", storage.ActionVoiceRecorded); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveVoicePrompt(ctx, rec("welcome", "th", "f2"), "operator", storage.ActionVoiceImported); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveVoicePrompt(ctx, "welcome", "km", "reviewer:7"); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveVoicePrompt(ctx, "welcome", "km", "reviewer:7"); err != nil {
			t.Fatal(err) // nothing there: nothing to do, nothing audited
		}
		evs, err := s.VoiceEvents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []storage.VoiceEvent{
			{Key: "welcome", Lang: "km", Actor: "reviewer:7", Action: storage.ActionVoiceRecorded},
			{Key: "welcome", Lang: "th", Actor: "operator", Action: storage.ActionVoiceImported},
			{Key: "welcome", Lang: "km", Actor: "reviewer:7", Action: storage.ActionVoiceRemoved},
		}
		if len(evs) != len(want) {
			t.Fatalf("got %+v, want %+v", evs, want)
		}
		for i := range want {
			e := evs[i]
			if e.Key != want[i].Key || e.Lang != want[i].Lang || e.Actor != want[i].Actor || e.Action != want[i].Action || e.At.IsZero() {
				t.Fatalf("event %d: got %+v, want %+v", i, e, want[i])
			}
		}
		left, err := s.VoicePrompts(ctx, "km")
		if err != nil {
			t.Fatal(err)
		}
		if len(left) != 0 {
			t.Fatalf("got %+v, want the Khmer welcome removed", left)
		}
	})
}
