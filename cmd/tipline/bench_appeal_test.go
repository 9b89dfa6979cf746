package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tipline/tipline/oncall"
	"github.com/tipline/tipline/telegramemu"
)

// spawnOnCall runs the program as a process of its own (so that its CPU
// and memory can be measured, and it can be pinned to a CPU by prefix,
// e.g. taskset), registers the reviewers by their invite codes and puts
// the first on call all day. The rota is by the real clock.
func (e *onCallEnv) spawnOnCall(b *testing.B, prefix ...string) *process {
	b.Helper()
	args := append(append([]string{}, prefix...), binary(b), "serve")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = os.Environ()
	for k, v := range e.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &process{cmd: cmd, logs: e.logs}
	cmd.Stderr, cmd.Stdout = e.logs, e.logs
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.kill)
	waitLog(b, e.testEnv, "tipline is running", 1)
	for _, r := range e.reviewers {
		e.emu.SendText(r.User, "/start "+r.code)
		r.press("rvlang:en") // the picker comes first, in each language
		r.waitText(regexp.MustCompile(`You are now a Tipline reviewer`))
		r.MarkSeen()
		rv, err := e.db.ReviewerByTelegram(context.Background(), r.User.ID)
		if err != nil {
			b.Fatal(err)
		}
		r.rv = rv
	}
	var rota oncall.Rota
	rota.TimeZone = "Asia/Phnom_Penh"
	rota.Primary = mustShifts(b, fmt.Sprintf("%d:daily@00:00-24:00", e.reviewers[0].rv.ID))
	doc, err := rota.Encode()
	if err != nil {
		b.Fatal(err)
	}
	if err := e.db.SaveRota(context.Background(), doc); err != nil {
		b.Fatal(err)
	}
	return p
}

// readyUrgent brings a reporter to the last step of an urgent tip (a girl
// taken tonight), so that one press of the button it returns files it.
func readyUrgent(b *testing.B, e *testEnv, id int64) (*user, telegramemu.Message, string) {
	ur := newUser(e, id, "km")
	e.emu.SendText(ur.User, "/start")
	ur.press("menu:tip", time.Minute)
	ur.WaitButton("back", time.Minute)
	e.emu.SendText(ur.User, "a girl is taken tonight")
	ur.press("a:yes", time.Minute)
	for _, a := range []string{"skip", "skip", "a:today", "a:1", "a:12_17", "skip", "skip"} {
		ur.press(a, time.Minute)
	}
	m, data, ok := ur.WaitButton("send:anon", time.Minute)
	if !ok {
		b.Fatal("the urgent reporter never reached Send")
	}
	return ur, m, data
}

// fcfsLateness is how much later than a perfect first-come-first-served
// queue, sending one answer every interval, each arrival was answered
// (arrivals in order; answered[i] zero for none).
func fcfsLateness(arrived, answered []time.Time, interval time.Duration) []time.Duration {
	var late []time.Duration
	var slot time.Time
	for i, a := range arrived {
		if i == 0 || a.After(slot.Add(interval)) {
			slot = a
		} else {
			slot = slot.Add(interval)
		}
		if !answered[i].IsZero() {
			late = append(late, max(0, answered[i].Sub(slot)))
		}
	}
	return late
}

// BenchmarkAppeal: an appeal on the radio; 1,500 new reporters send /start
// within 20 s with Telegram's limits on, and an urgent case is filed
// mid-appeal. Reported: how much later than a perfect first-come-first-
// served queue at 30 answers a second each was answered (p99), the urgent
// case's time to the reviewer's phone, the bot's peak memory, and the
// reporters never answered (must be 0); and where the order was lost
// (fcfsOrder): in processing and queueing, or in sending.
func BenchmarkAppeal(b *testing.B) {
	for b.Loop() {
		e := &onCallEnv{testEnv: limitedEnv(b)}
		e.withReviewers("Primary Pich")
		p := e.spawnOnCall(b)
		figures := runAppeal(b, e)
		figures.order = appealOrder(b, e.testEnv)
		figures.peakMB = peakResidentMB(p.cmd.Process.Pid)
		figures.report(b)
	}
}

// appealFigures are what an appeal run measured.
type appealFigures struct {
	n, unanswered int
	lateP50       time.Duration
	lateP99       time.Duration
	urgent        time.Duration
	peakMB        float64
	order         fcfsOrder
}

func (f appealFigures) report(b *testing.B) {
	b.ReportMetric(float64(f.lateP50.Milliseconds()), "fcfs-late-p50-ms")
	b.ReportMetric(float64(f.lateP99.Milliseconds()), "fcfs-late-p99-ms")
	b.ReportMetric(float64(f.urgent.Milliseconds()), "urgent-ms")
	b.ReportMetric(float64(f.unanswered), "unanswered")
	b.ReportMetric(f.peakMB, "bot-peak-MB")
	b.ReportMetric(float64(f.order.queuedBehind), "queued-behind-later")
	b.ReportMetric(float64(f.order.overtakenMax), "overtaken-max")
	b.ReportMetric(float64(f.order.processedP99.Milliseconds()), "processed-p99-ms")
	if f.unanswered > 0 {
		b.Errorf("%d of %d reporters never answered", f.unanswered, f.n)
	}
}

// runAppeal runs the appeal against a started on-call bot.
func runAppeal(b *testing.B, e *onCallEnv) appealFigures {
	const n = 1500
	const spread = 20 * time.Second
	rv := e.reviewers[0]
	ur, sendMsg, sendData := readyUrgent(b, e.testEnv, 8_400_000_000)
	waitInboxDone(b, e.testEnv)
	before := len(e.emu.BotMessages(rv.User.ID))

	users := make([]telegramemu.User, n)
	for i := range users {
		users[i] = telegramemu.User{ID: 9_100_000_000 + int64(i), FirstName: fmt.Sprintf("Appealfirst%d", i),
			LanguageCode: []string{"km", "th", "en"}[i%3]}
		e.emu.AddUser(users[i])
	}
	arrived := make([]time.Time, n)
	answered := make([]time.Time, n)
	var mu sync.Mutex
	// One watcher notes when each reporter first hears from the bot.
	watchDone := make(chan struct{})
	stopWatch := make(chan struct{})
	go func() {
		defer close(watchDone)
		waiting := map[int]bool{}
		next := 0
		for {
			mu.Lock()
			for ; next < n && !arrived[next].IsZero(); next++ {
				waiting[next] = true
			}
			mu.Unlock()
			now := time.Now()
			for i := range waiting {
				if len(e.emu.BotMessages(users[i].ID)) > 0 {
					answered[i] = now
					delete(waiting, i)
				}
			}
			if next == n && len(waiting) == 0 {
				return
			}
			select {
			case <-stopWatch:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()

	var urgent time.Duration
	var urgentErr error
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		if i == n/2 { // mid-appeal
			wg.Go(func() {
				pressed := time.Now()
				if _, err := e.emu.PressButton(ur.User, sendMsg.ID, sendData); err != nil {
					urgentErr = err
					return
				}
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				if _, err := e.emu.WaitBotMessages(ctx, rv.User.ID, before+1); err != nil {
					urgentErr = err
					return
				}
				urgent = time.Since(pressed)
			})
		}
		time.Sleep(time.Until(start.Add(spread * time.Duration(i) / n)))
		mu.Lock()
		arrived[i] = time.Now()
		mu.Unlock()
		e.emu.SendText(users[i], "/start")
	}
	wg.Wait()
	if urgentErr != nil {
		b.Fatalf("the urgent report never reached the reviewer: %v", urgentErr)
	}
	select {
	case <-watchDone:
	case <-time.After(5 * time.Minute):
		close(stopWatch)
		<-watchDone
	}
	f := appealFigures{n: n, urgent: urgent}
	for _, a := range answered {
		if a.IsZero() {
			f.unanswered++
		}
	}
	// A perfect queue at Telegram's 30 messages a second, one answer each.
	late := fcfsLateness(arrived, answered, time.Second/30)
	f.lateP50, f.lateP99 = percentile(late, 0.5), percentile(late, 0.99)
	if msgs := e.emu.BotMessages(users[0].ID); len(msgs) != 1 {
		b.Logf("a reporter's /start was answered with %d messages; the perfect queue counts one", len(msgs))
	}
	return f
}

// fcfsOrder is where first come, first served was lost, read from the
// bot's own tables after an appeal: reporters whose first answer was
// queued behind that of a reporter who came later (processing and
// completion), the most later comers answered before one reporter (the
// sending), and how long the updates took from arrival to processed
// (p99).
type fcfsOrder struct {
	queuedBehind, overtakenMax int
	processedP99               time.Duration
}

// appealOrder reads fcfsOrder for every chat's first update and first
// reply (lane 3) in the test's schema.
func appealOrder(b *testing.B, e *testEnv) fcfsOrder {
	b.Helper()
	schema := pgx.Identifier{e.schema}.Sanitize()
	rows, err := e.sql().Query(context.Background(), `
		with firsts as (select chat_key, min(update_id) as update_id from `+schema+`.inbox group by chat_key),
		     replies as (select distinct on (chat_key) chat_key, id, sent_at from `+schema+`.outbox
		                 where lane = 3 and sent_at is not null order by chat_key, id)
		select extract(epoch from i.processed_at - i.received_at)::float8, r.id, r.sent_at
		from firsts f join `+schema+`.inbox i using (update_id) join replies r on r.chat_key = f.chat_key
		order by i.update_id`)
	if err != nil {
		b.Fatalf("read the order of answers: %v", err)
	}
	type answer struct {
		queued int64
		sent   time.Time
	}
	var (
		answers   []answer
		processed []time.Duration
	)
	for rows.Next() {
		var a answer
		var took float64
		if err := rows.Scan(&took, &a.queued, &a.sent); err != nil {
			b.Fatalf("read the order of answers: %v", err)
		}
		answers, processed = append(answers, a), append(processed, time.Duration(took*float64(time.Second)))
	}
	if err := rows.Err(); err != nil {
		b.Fatalf("read the order of answers: %v", err)
	}
	var o fcfsOrder
	for i, a := range answers {
		behind, overtaken := false, 0
		for _, later := range answers[i+1:] {
			behind = behind || later.queued < a.queued
			if later.sent.Before(a.sent) {
				overtaken++
			}
		}
		if behind {
			o.queuedBehind++
		}
		o.overtakenMax = max(o.overtakenMax, overtaken)
	}
	o.processedP99 = percentile(processed, 0.99)
	return o
}
