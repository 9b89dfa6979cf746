package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/internal/chattest"
	"github.com/tipline/tipline/internal/testclock"
	"github.com/tipline/tipline/storage/storagetest"
	"github.com/tipline/tipline/telegramemu"
)

// Benchmarks of the message path under real conditions (./scripts/bench
// runs them all; the README shows the figures). Each runs its scenario
// once per b.N (use -benchtime 1x) and reports what the issue asks for.
// The properties they measure (nothing lost, nothing doubled, order kept,
// no retry_after ignored) are asserted by the tests in messagepath_test.go.

// user is a simulated person driving a chat from a goroutine of their own:
// unlike reporter, it never stops the benchmark from another goroutine.
type user struct {
	*chattest.Chat
}

func newUser(e *testEnv, id int64, lang string) *user {
	u := telegramemu.User{ID: id, FirstName: fmt.Sprintf("Benchfirst%d", id), LanguageCode: lang}
	c := chattest.New(e.emu, u)
	c.Poll = 5 * time.Millisecond // thousands of users poll at once
	if l := tipline.MatchLanguage(lang); l != "" && flows.PhoneLanguage(lang) == "" {
		e.rememberLanguage(id, l) // chose it before, as testEnv.reporter
	}
	return &user{c}
}

// press waits for the button for action and presses it; false when it did
// not come within timeout or the press failed.
func (u *user) press(action string, timeout time.Duration) bool {
	_, err := u.Press(action, timeout)
	return err == nil
}

// waitText waits for a bot message newer than after holding s.
func (u *user) waitText(s string, after int, timeout time.Duration) bool {
	_, ok := u.WaitMessage(after, timeout, func(m telegramemu.Message) bool { return strings.Contains(m.Text, s) })
	return ok
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// rateSampler records the emulator's count of paced messages over time,
// for the busiest window's rate.
type rateSampler struct {
	stop    chan struct{}
	done    chan struct{}
	samples []struct {
		at time.Time
		n  int
	}
}

func sampleRate(emu *telegramemu.Server) *rateSampler {
	s := &rateSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			s.samples = append(s.samples, struct {
				at time.Time
				n  int
			}{time.Now(), emu.LimitStats().Messages})
			select {
			case <-s.stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return s
}

// peak stops the sampler and returns the highest rate over any window.
func (s *rateSampler) peak(window time.Duration) float64 {
	close(s.stop)
	<-s.done
	best := 0.0
	j := 0
	for i := range s.samples {
		for j < i && s.samples[i].at.Sub(s.samples[j].at) > window {
			j++
		}
		if d := s.samples[i].at.Sub(s.samples[j].at); d >= window/2 {
			best = max(best, float64(s.samples[i].n-s.samples[j].n)/d.Seconds())
		}
	}
	return best
}

// BenchmarkSurge: 120 reporters each do /start, a button and a text at
// once, with Telegram's limits on; an urgent report is sent mid-surge.
func BenchmarkSurge(b *testing.B) {
	for b.Loop() {
		e := &onCallEnv{testEnv: limitedEnv(b), clock: testclock.New(time.Now())}
		e.withReviewers("Primary Pich")
		e.startOnCall()
		runSurge(b, e, false).report(b)
	}
}

// surgeFigures are what a surge run measured.
type surgeFigures struct {
	msgMean, msgPeak3s        float64
	dropped, ignored, tooMany int
	urgent, callbackP99       time.Duration
	actions                   int // the reporters' actions answered, for the cost of each
	heard                     int // reporters who heard the danger question as a voice message
}

func (f surgeFigures) report(b *testing.B) {
	b.ReportMetric(f.msgMean, "msg/s-mean")
	b.ReportMetric(f.msgPeak3s, "msg/s-peak3s")
	b.ReportMetric(float64(f.dropped), "dropped")
	b.ReportMetric(float64(f.ignored), "retry_after-ignored")
	b.ReportMetric(float64(f.tooMany), "429s")
	b.ReportMetric(float64(f.urgent.Milliseconds()), "urgent-ms")
	b.ReportMetric(float64(f.callbackP99.Milliseconds()), "callback-p99-ms")
}

// runSurge runs the surge against a started on-call bot whose first
// reviewer is on call; with listen, every reporter has asked to hear the
// questions (BenchmarkSurgeListening).
func runSurge(b *testing.B, e *onCallEnv, listen bool) surgeFigures {
	rv := e.reviewers[0]
	// The urgent reporter is ready to press Send before the surge.
	ur, sendMsg, sendData := readyUrgent(b, e.testEnv, 8_400_000_000)
	waitInboxDone(b, e.testEnv)
	before := len(e.emu.BotMessages(rv.User.ID))
	base := e.emu.LimitStats()
	answersBefore := len(e.emu.CallbackAnswers())

	const n = 120
	users := make([]*user, n)
	for i := range users {
		users[i] = newUser(e.testEnv, 8_400_000_001+int64(i), []string{"km", "th", "en"}[i%3])
		if listen {
			e.rememberListening(users[i].User.ID)
		}
	}
	sampler := sampleRate(e.emu)
	start := time.Now()
	var wg sync.WaitGroup
	var finished, heard atomic.Int32
	for _, u := range users {
		wg.Go(func() {
			e.emu.SendText(u.User, "/start")
			if !u.press("menu:tip", 2*time.Minute) {
				return
			}
			if _, _, ok := u.WaitButton("back", 2*time.Minute); !ok {
				return
			}
			e.emu.SendText(u.User, "what I saw")
			if m, _, ok := u.WaitButton("a:yes", 2*time.Minute); ok {
				finished.Add(1)
				if m.Voice {
					heard.Add(1)
				}
			}
		})
	}
	time.Sleep(1500 * time.Millisecond) // mid-surge
	pressed := time.Now()
	if _, err := e.emu.PressButton(ur.User, sendMsg.ID, sendData); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	_, err := e.emu.WaitBotMessages(ctx, rv.User.ID, before+1)
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
	return surgeFigures{
		msgMean:     float64(st.Messages-base.Messages) / elapsed.Seconds(),
		msgPeak3s:   peak,
		dropped:     n - int(finished.Load()),
		ignored:     st.Ignored - base.Ignored,
		tooMany:     st.TooMany - base.TooMany,
		urgent:      urgent,
		callbackP99: percentile(lat, 0.99),
		actions:     3 * n,
		heard:       int(heard.Load()),
	}
}

// BenchmarkActiveUser: six people act about once a second (a button,
// sometimes on an older keyboard, or a few words) for TIPLINE_BENCH_ACTIVE
// (default 20s; the figure is 60s), Telegram's limits on.
func BenchmarkActiveUser(b *testing.B) {
	length := 20 * time.Second
	if d, err := time.ParseDuration(os.Getenv("TIPLINE_BENCH_ACTIVE")); err == nil {
		length = d
	}
	for b.Loop() {
		e := limitedEnv(b)
		e.start()
		var mu sync.Mutex
		var lat []time.Duration
		var unanswered atomic.Int32
		var wg sync.WaitGroup
		stopAt := time.Now().Add(length)
		for i := range 6 {
			u := newUser(e, 8_500_000_001+int64(i), []string{"km", "th", "en"}[i%3])
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(i), 7))
				e.emu.SendText(u.User, "/start")
				u.WaitNew(0, 10*time.Second)
				for time.Now().Before(stopAt) {
					time.Sleep(time.Duration(800+rng.IntN(400)) * time.Millisecond)
					msgs := e.emu.BotMessages(u.User.ID)
					var keyboards []telegramemu.Message
					for _, m := range msgs {
						if len(m.Buttons) > 0 {
							keyboards = append(keyboards, m)
						}
					}
					last := u.LastBotID()
					answersBefore := len(e.emu.CallbackAnswers())
					start := time.Now()
					if len(keyboards) == 0 || rng.IntN(5) == 0 {
						e.emu.SendText(u.User, "/start")
					} else {
						m := keyboards[len(keyboards)-1]
						if rng.IntN(4) == 0 {
							m = keyboards[rng.IntN(len(keyboards))] // an older keyboard
						}
						var choices []string
						for _, row := range m.Buttons {
							for _, btn := range row {
								if !strings.HasPrefix(btn.Data, "clear") && !strings.HasPrefix(btn.Data, "forget") {
									choices = append(choices, btn.Data)
								}
							}
						}
						if len(choices) == 0 {
							continue
						}
						if _, err := e.emu.PressButton(u.User, m.ID, choices[rng.IntN(len(choices))]); err != nil {
							continue
						}
					}
					// Answered: a new message, or at least the press answered.
					deadline := start.Add(10 * time.Second)
					for {
						if u.LastBotID() > last || len(e.emu.CallbackAnswers()) > answersBefore {
							mu.Lock()
							lat = append(lat, time.Since(start))
							mu.Unlock()
							break
						}
						if time.Now().After(deadline) {
							unanswered.Add(1)
							break
						}
						time.Sleep(5 * time.Millisecond)
					}
				}
			})
		}
		wg.Wait()
		stopped := time.Now()
		total := func() int {
			n := 0
			for i := range 6 {
				n += len(e.emu.BotMessages(8_500_000_001 + int64(i)))
			}
			return n
		}
		lastN, lastChange := total(), stopped
		for time.Since(lastChange) < 5*time.Second && time.Since(stopped) < time.Minute {
			time.Sleep(50 * time.Millisecond)
			if n := total(); n != lastN {
				lastN, lastChange = n, time.Now()
			}
		}
		b.ReportMetric(float64(len(lat)), "actions")
		b.ReportMetric(float64(percentile(lat, 0.99).Milliseconds()), "answer-p99-ms")
		b.ReportMetric(float64(unanswered.Load()), "unanswered")
		b.ReportMetric(lastChange.Sub(stopped).Seconds(), "s-after-stop")
	}
}

// journey is the whole tip a benchmark reporter files, as buttons and
// words; it returns false when the bot stopped answering.
func (u *user) journey(timeout time.Duration) bool {
	u.Emu.SendText(u.User, "/start")
	if !u.press("menu:tip", timeout) {
		return false
	}
	if _, _, ok := u.WaitButton("back", timeout); !ok {
		return false
	}
	u.Emu.SendText(u.User, fmt.Sprintf("Benchwhat %d", u.User.ID))
	for _, a := range []string{"a:no", "skip", "skip", "a:today", "a:1", "a:unknown", "skip", "skip", "send:anon"} {
		if !u.press(a, timeout) {
			return false
		}
	}
	_, ok := u.WaitMessage(0, timeout, func(m telegramemu.Message) bool { return referenceRE.MatchString(m.Text) })
	return ok
}

// references counts the distinct case references a chat was given.
func references(e *testEnv, id int64) int {
	seen := map[string]bool{}
	for _, m := range e.emu.BotMessages(id) {
		if r := referenceRE.FindString(m.Text); r != "" {
			seen[r] = true
		}
	}
	return len(seen)
}

// BenchmarkCrash: 20 journeys at once; the program is killed (SIGKILL) at
// a random moment and started again, 10 rounds.
func BenchmarkCrash(b *testing.B) {
	for b.Loop() {
		var lost, doubled int
		var recover, takeover []time.Duration
		for round := range 10 {
			e := newTestEnv(b)
			p := e.spawn(b)
			const n = 20
			var wg sync.WaitGroup
			var done atomic.Int32
			users := make([]*user, n)
			var finished [n]atomic.Bool
			for i := range n {
				users[i] = newUser(e, 8_600_000_000+int64(round*100+i), []string{"km", "th", "en"}[i%3])
				wg.Go(func() {
					if users[i].journey(time.Minute) {
						done.Add(1)
					}
					finished[i].Store(true)
				})
			}
			time.Sleep(time.Duration(200+rand.IntN(2500)) * time.Millisecond)
			p.kill()
			restarted := time.Now()
			p = e.spawn(b)
			// The first answer after the restart to any chat.
			counts := map[int64]int{}
			for _, u := range users {
				counts[u.User.ID] = len(e.emu.BotMessages(u.User.ID))
			}
			// And every chat still mid-journey, those the killed process
			// held included: its take-over.
			waiting := map[int64]bool{}
			for i, u := range users {
				if !finished[i].Load() {
					waiting[u.User.ID] = true
				}
			}
			first := false
			for time.Since(restarted) < time.Minute && (!first || len(waiting) > 0) {
				for _, u := range users {
					if len(e.emu.BotMessages(u.User.ID)) > counts[u.User.ID] {
						if !first {
							first = true
							recover = append(recover, time.Since(restarted))
						}
						delete(waiting, u.User.ID)
					}
				}
				time.Sleep(20 * time.Millisecond)
			}
			if first && len(waiting) == 0 {
				takeover = append(takeover, time.Since(restarted))
			}
			wg.Wait()
			lost += n - int(done.Load())
			if c := e.countRows("cases"); c != int(done.Load()) {
				doubled += max(0, c-int(done.Load()))
			}
			for _, u := range users {
				doubled += max(0, references(e, u.User.ID)-1)
			}
			p.kill()
		}
		b.ReportMetric(float64(lost), "lost")
		b.ReportMetric(float64(doubled), "doubled")
		b.ReportMetric(percentile(recover, 0.5).Seconds(), "s-first-answer-p50")
		b.ReportMetric(percentile(recover, 1).Seconds(), "s-first-answer-max")
		b.ReportMetric(percentile(takeover, 0.5).Seconds(), "s-every-chat-p50")
		b.ReportMetric(percentile(takeover, 1).Seconds(), "s-every-chat-max")
	}
}

// proxy is a TCP proxy a benchmark can cut, to take PostgreSQL or Redis
// away from the program without touching the real server.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

func newProxy(t testing.TB, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go p.serve()
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c], p.conns[s] = true, true
		p.mu.Unlock()
		go func() { _, _ = io.Copy(s, c); s.Close(); c.Close() }()
		go func() { _, _ = io.Copy(c, s); s.Close(); c.Close() }()
	}
}

// cut closes every connection and refuses new ones until restore.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *proxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

// BenchmarkOutages: 20 reporters mid-journey; Telegram fails (502,
// resets, lost answers), then PostgreSQL, then Redis goes away, each for
// TIPLINE_BENCH_OUTAGE (default 10s; the figures are 60s for
// Telegram, 20s for the others). Reported per outage: how long after the
// service returns every pending action is answered.
func BenchmarkOutages(b *testing.B) {
	length := 10 * time.Second
	if d, err := time.ParseDuration(os.Getenv("TIPLINE_BENCH_OUTAGE")); err == nil {
		length = d
	}
	for b.Loop() {
		e := newTestEnv(b)
		pg := newProxy(b, "127.0.0.1:5432")
		rd := newProxy(b, strings.TrimPrefix(strings.TrimSuffix(storagetest.RedisURL(), "/0"), "redis://"))
		e.env["DATABASE_URL"] = strings.Replace(e.env["DATABASE_URL"], "127.0.0.1:5432", pg.addr(), 1)
		e.env["REDIS_URL"] = "redis://" + rd.addr() + "/0"
		e.start()
		users := make([]*user, 20)
		for i := range users {
			users[i] = newUser(e, 8_700_000_001+int64(i), []string{"km", "th", "en"}[i%3])
			e.emu.SendText(users[i].User, "/start")
		}
		for _, u := range users {
			u.press("menu:tip", time.Minute)
		}
		outages := []struct {
			name       string
			start, end func()
		}{
			{"telegram-502", func() { e.emu.SetOutage(telegramemu.Outage502) }, func() { e.emu.SetOutage(telegramemu.NoOutage) }},
			{"telegram-reset", func() { e.emu.SetOutage(telegramemu.OutageReset) }, func() { e.emu.SetOutage(telegramemu.NoOutage) }},
			{"telegram-lost", func() { e.emu.SetOutage(telegramemu.OutageLostAnswers) }, func() { e.emu.SetOutage(telegramemu.NoOutage) }},
			{"postgres", pg.cut, pg.restore},
			{"redis", rd.cut, rd.restore},
		}
		for _, o := range outages {
			for _, u := range users {
				u.Seen = u.LastBotID()
			}
			o.start()
			// Everyone acts during the outage: a text, answered by a question.
			for _, u := range users {
				e.emu.SendText(u.User, "/emergency")
			}
			time.Sleep(length)
			o.end()
			back := time.Now()
			var worst time.Duration
			missing := 0
			for _, u := range users {
				// The answer itself (the numbers), not "we are slow".
				if u.waitText("117", u.Seen, 2*time.Minute) {
					worst = max(worst, time.Since(back))
				} else {
					missing++
				}
			}
			b.ReportMetric(worst.Seconds(), "s-answered-after-"+o.name)
			b.ReportMetric(float64(missing), "unanswered-"+o.name)
		}
	}
}

// BenchmarkTwoProcesses: two processes share the work with Telegram's
// limits on; the poller is killed, then the other: how long until the
// survivor takes updates in again.
func BenchmarkTwoProcesses(b *testing.B) {
	for b.Loop() {
		e := limitedEnv(b)
		a := e.spawn(b)
		waitLog(b, e, "this process takes updates in", 1)
		c := e.spawn(b)
		waitLog(b, e, "another process takes updates in", 1)
		var takeovers []time.Duration
		for round, victim := range []*process{a, c} {
			u := newUser(e, 8_800_000_001+int64(round), "en")
			victim.kill()
			killed := time.Now()
			e.emu.SendText(u.User, "/start")
			if _, ok := u.WaitNew(0, 2*time.Minute); !ok {
				b.Fatalf("no answer after the poller was killed:\n%s", e.logs)
			}
			takeovers = append(takeovers, time.Since(killed))
			if round == 0 {
				e.spawn(b) // a third process, so one survives the next kill
				waitLog(b, e, "tipline is running", 3)
			}
		}
		st := e.emu.LimitStats()
		b.ReportMetric(takeovers[0].Seconds(), "s-takeover-poller")
		b.ReportMetric(takeovers[1].Seconds(), "s-takeover-other")
		b.ReportMetric(float64(st.Ignored), "retry_after-ignored")
	}
}

// BenchmarkThroughput: pacing lifted, 40 users send /start 5 times each as
// fast as the answers come; our program and a bare go-telegram/bot echo
// bot, each on an emulator of its own, in the same run. One such drive
// takes the echo bot about a tenth of a second, so a pause of the machine
// moves one drive's rate by half: the run makes 11 pairs of drives, ours
// then theirs, each with 40 new users, and the ratio is the median of the
// pairs' (the first pair's, on a bot just started, is reported too). With
// 5 pairs, as before, one slow spell of a 2-core machine moved the median
// by a tenth either way between runs of the same code.
// Beside the rate, what each answer cost (medians of the pairs): CPU of
// the bot, of its PostgreSQL backends and of Redis (server-wide: other
// clients of a shared Redis count too), and the bot's peak resident
// memory. Then what an answer costs in counts, which a busy machine does
// not blur: PostgreSQL transactions and statements and Redis commands per
// answer on a reporter's first steps (countPath).
func BenchmarkThroughput(b *testing.B) {
	const users, rounds, pairs = 40, 5, 11
	drive := func(emu *telegramemu.Server, base int64) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		for i := range users {
			id := base + int64(i)
			emu.AddUser(telegramemu.User{ID: id, FirstName: "T", LanguageCode: "en"})
			wg.Go(func() {
				for r := range rounds {
					emu.SendText(telegramemu.User{ID: id, FirstName: "T", LanguageCode: "en"}, "/start")
					ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
					_, _ = emu.WaitBotMessages(ctx, id, r+1)
					cancel()
				}
			})
		}
		wg.Wait()
		return time.Since(start)
	}
	for b.Loop() {
		e := newTestEnv(b)
		// The bot runs as a process of its own, so that its CPU and memory
		// are its own, not the emulator's and the load's.
		name := "tipline-bench-" + e.prefix
		e.env["DATABASE_URL"] = tagDatabaseURL(b, e.env["DATABASE_URL"], name)
		p := e.spawn(b)
		meter := &costMeter{botPID: p.cmd.Process.Pid, pgPIDs: backendsOf(e.sql(), name), rc: e.rc}

		emu := telegramemu.NewServer()
		ctx, cancel := context.WithCancel(context.Background())
		echo, err := tgbot.New(emu.Token(), tgbot.WithServerURL(emu.URL()), tgbot.WithSkipGetMe(),
			tgbot.WithDefaultHandler(func(ctx context.Context, api *tgbot.Bot, u *models.Update) {
				if u.Message != nil {
					_, _ = api.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: u.Message.Chat.ID, Text: u.Message.Text})
				}
			}))
		if err != nil {
			b.Fatal(err)
		}
		go echo.Start(ctx)

		var (
			ours, theirs, ratios []float64 // answers/s, and theirs/ours, by pair
			spent                []cost
		)
		n := float64(users * rounds)
		for k := range pairs {
			meter.start(context.Background())
			o := drive(e.emu, 8_900_000_000+int64(k)*1000)
			spent = append(spent, meter.stop(context.Background(), users*rounds))
			t := drive(emu, 8_950_000_000+int64(k)*1000)
			ours, theirs = append(ours, n/o.Seconds()), append(theirs, n/t.Seconds())
			ratios = append(ratios, t.Seconds()/o.Seconds())
		}
		p.kill()
		cancel()
		emu.Close()
		b.ReportMetric(median(ours), "ours-answers/s")
		b.ReportMetric(median(theirs), "echo-answers/s")
		b.ReportMetric(median(ratios), "ratio")
		b.ReportMetric(ratios[0], "ratio-first")
		b.Logf("by pair: ours %.0f answers/s, echo %.0f, ratio %.3f", ours, theirs, ratios)
		medianCost(spent).report(b)
		countPath(b, users)
	}
}

// median is the middle value of xs (the mean of the two middle ones when
// they are even in number).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
