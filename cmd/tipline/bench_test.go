package main

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline/internal/testclock"
	"github.com/tipline/tipline/telegramemu"
)

// BenchmarkTipJourney: one whole tip (13 reporter actions: /start, text,
// location, photo and 9 buttons) through the real program, the emulator,
// PostgreSQL and Redis, until the reporter holds the reference.
func BenchmarkTipJourney(b *testing.B) {
	e := newTestEnv(b)
	e.start()
	a := canaryAnswers("bench")
	b.ResetTimer()
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		r := e.reporter(int64(8_000_000_000+i), "km")
		r.fileTip(a)
	}
	b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N)/13, "ms/action")
}

// BenchmarkRoundTrip: one reporter action and the bot's answer (/start →
// the menu), through the whole pipeline: inbox, claim, session, flow,
// replies.
func BenchmarkRoundTrip(b *testing.B) {
	e := newTestEnv(b)
	e.start()
	r := e.reporter(8_100_000_001, "en")
	menu := regexp.MustCompile(`What do you want to do`)
	for b.Loop() {
		r.MarkSeen()
		e.emu.SendText(r.User, "/start")
		r.waitText(menu)
	}
}

// BenchmarkEchoBaseline: the same emulator with a bare go-telegram/bot echo
// bot (its own polling, no storage): the floor our round trip is measured
// against.
func BenchmarkEchoBaseline(b *testing.B) {
	emu := telegramemu.NewServer()
	defer emu.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	echo, err := tgbot.New(emu.Token(), tgbot.WithServerURL(emu.URL()), tgbot.WithSkipGetMe(),
		tgbot.WithDefaultHandler(func(ctx context.Context, api *tgbot.Bot, u *models.Update) {
			if u.Message == nil {
				return
			}
			// The last answer may still be on its way back when the
			// benchmark ends and cancels ctx: not a failure.
			if _, err := api.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: u.Message.Chat.ID, Text: u.Message.Text}); err != nil && ctx.Err() == nil {
				b.Error(err)
			}
		}))
	if err := err; err != nil {
		b.Fatal(err)
	}
	go echo.Start(ctx)
	u := telegramemu.User{ID: 8_200_000_001, FirstName: "E", LanguageCode: "en"}
	emu.AddUser(u)
	for i := 0; b.Loop(); i++ {
		n := len(emu.BotMessages(u.ID))
		emu.SendText(u, fmt.Sprintf("echo %d", i))
		wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
		if _, err := emu.WaitBotMessages(wctx, u.ID, n+1); err != nil {
			b.Fatal(err)
		}
		wcancel()
	}
}

// BenchmarkUrgentToReviewer: from the reporter's Send on an urgent tip to
// the notification on the on-call reviewer's phone (our side: inbox,
// transaction with the routing job, router, Telegram call). The promise is
// under 2 seconds.
func BenchmarkUrgentToReviewer(b *testing.B) {
	e := &onCallEnv{testEnv: newTestEnv(b), clock: testclock.New(time.Now())}
	e.env["TIPLINE_ROUTE_TICK"] = "1s" // the default: the router is woken by the new case, not by its tick
	e.withReviewers("Primary Pich")
	e.startOnCall()
	rv := e.reviewers[0]
	var worst time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		r := e.reporter(int64(8_300_000_000+i), "km")
		r.startTip("Urgent: a girl is being taken tonight")
		r.pressAll("a:yes", "skip", "skip", "a:today", "a:1", "a:12_17", "skip", "skip")
		before := len(e.emu.BotMessages(rv.User.ID))
		m, data := r.waitButton("send:anon")
		r.Seen = m.ID
		b.StartTimer()
		start := time.Now()
		if _, err := e.emu.PressButton(r.User, m.ID, data); err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if _, err := e.emu.WaitBotMessages(ctx, rv.User.ID, before+1); err != nil {
			b.Fatalf("no notification: %v", err)
		}
		cancel()
		worst = max(worst, time.Since(start))
	}
	b.ReportMetric(float64(worst.Milliseconds()), "worst-ms")
}
