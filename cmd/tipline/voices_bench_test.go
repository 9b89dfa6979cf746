package main

import (
	"context"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/bot"
	"github.com/tipline/tipline/internal/testclock"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/storage"
	redisstore "github.com/tipline/tipline/storage/redis"
	"github.com/tipline/tipline/telegramemu"
	"github.com/tipline/tipline/voices"
)

// seedRecordings stores recordings of keys in every language, all of one
// voice message a helper sent the emulator, as if an admin had recorded
// them.
func seedRecordings(tb testing.TB, e *testEnv, keys ...string) {
	tb.Helper()
	helper := telegramemu.User{ID: 9_900_000_001, FirstName: "Benchhelper"}
	e.emu.AddUser(helper)
	e.emu.SendVoice(helper, fakeVoice("bench"), 3)
	msgs := e.emu.Messages(helper.ID)
	fileID := msgs[len(msgs)-1].FileID
	cat := locales.MustLoad()
	for _, l := range tipline.Languages {
		for _, k := range keys {
			v := storage.VoicePrompt{Key: k, Lang: l, FileID: fileID, Duration: 3, RecordedBy: 1, RecordedAt: time.Now(), TextHash: voices.TextHash(cat, l, k)}
			if err := e.db.SaveVoicePrompt(context.Background(), v, "reviewer:1", storage.ActionVoiceRecorded); err != nil {
				tb.Fatal(err)
			}
		}
	}
}

// rememberListening keeps that a user asked to hear the questions, as the
// bot does when they press 🔊.
func (e *testEnv) rememberListening(id int64) {
	e.t.Helper()
	sessions := redisstore.NewSessions(e.rc, e.prefix, time.Hour, e.ring)
	if err := bot.RememberListening(context.Background(), sessions, e.ring, id); err != nil {
		e.t.Fatalf("remember listening of user %d: %v", id, err)
	}
}

// BenchmarkSurgeListening is BenchmarkSurge with every reporter listening
// and the first two questions recorded in each language: 120 reporters do
// /start, a button and a text at once, hearing "what did you see" and
// "is a child in danger now" as voice messages, with Telegram's limits on;
// an urgent report is sent mid-surge. A recorded question is one
// sendVoice instead of one sendMessage, so the figures should be those of
// BenchmarkSurge.
func BenchmarkSurgeListening(b *testing.B) {
	for b.Loop() {
		e := &onCallEnv{testEnv: limitedEnv(b), clock: testclock.New(time.Now())}
		seedRecordings(b, e.testEnv, "q_what", "q_danger")
		e.withReviewers("Primary Pich")
		e.startOnCall()
		f := runSurge(b, e, true)
		if finished := 120 - f.dropped; f.heard != finished {
			b.Errorf("%d of %d reporters heard the danger question as a voice message", f.heard, finished)
		}
		e.assertValid()
		f.report(b)
	}
}
