package main

import (
	"context"
	"sync"
	"sync/atomic"
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
		rv := e.reviewers[0]
		ur := newUser(e.testEnv, 8_500_000_000, "km")
		e.rememberListening(ur.u.ID)
		e.emu.SendText(ur.u, "/start")
		ur.press("menu:tip", time.Minute)
		ur.waitButton("back", time.Minute)
		e.emu.SendText(ur.u, "a girl is taken tonight")
		ur.press("a:yes", time.Minute)
		for _, a := range []string{"skip", "skip", "a:today", "a:1", "a:12_17", "skip", "skip"} {
			ur.press(a, time.Minute)
		}
		sendMsg, sendData, _ := ur.waitButton("send:anon", time.Minute)
		waitInboxDone(b, e.testEnv)
		before := len(e.emu.BotMessages(rv.u.ID))
		base := e.emu.LimitStats()
		answersBefore := len(e.emu.CallbackAnswers())

		const n = 120
		var users []*user
		for i := range n {
			u := newUser(e.testEnv, 8_500_000_001+int64(i), []string{"km", "th", "en"}[i%3])
			e.rememberListening(u.u.ID)
			users = append(users, u)
		}
		sampler := sampleRate(e.emu)
		start := time.Now()
		var wg sync.WaitGroup
		var finished, heard atomic.Int32
		for _, u := range users {
			wg.Go(func() {
				e.emu.SendText(u.u, "/start")
				if !u.press("menu:tip", 2*time.Minute) {
					return
				}
				if _, _, ok := u.waitButton("back", 2*time.Minute); !ok {
					return
				}
				e.emu.SendText(u.u, "what I saw")
				if m, _, ok := u.waitButton("a:yes", 2*time.Minute); ok {
					finished.Add(1)
					if m.Voice {
						heard.Add(1)
					}
				}
			})
		}
		time.Sleep(1500 * time.Millisecond) // mid-surge
		pressed := time.Now()
		if _, err := e.emu.PressButton(ur.u, sendMsg.ID, sendData); err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		_, err := e.emu.WaitBotMessages(ctx, rv.u.ID, before+1)
		cancel()
		if err != nil {
			b.Fatalf("the urgent report never reached the reviewer: %v", err)
		}
		urgent := time.Since(pressed)
		wg.Wait()
		elapsed := time.Since(start)
		peak := sampler.peak(3 * time.Second)
		st := e.emu.LimitStats()
		var lat []time.Duration
		for _, a := range e.emu.CallbackAnswers()[answersBefore:] {
			lat = append(lat, a.Latency)
		}
		if heard.Load() != finished.Load() {
			b.Errorf("%d of %d reporters heard the danger question as a voice message", heard.Load(), finished.Load())
		}
		e.assertValid()
		b.ReportMetric(float64(st.Messages-base.Messages)/elapsed.Seconds(), "msg/s-mean")
		b.ReportMetric(peak, "msg/s-peak3s")
		b.ReportMetric(float64(n-int(finished.Load())), "dropped")
		b.ReportMetric(float64(st.Ignored-base.Ignored), "retry_after-ignored")
		b.ReportMetric(float64(st.TooMany-base.TooMany), "429s")
		b.ReportMetric(float64(urgent.Milliseconds()), "urgent-ms")
		b.ReportMetric(float64(percentile(lat, 0.99).Milliseconds()), "callback-p99-ms")
	}
}
