package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline/internal/chattest"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/storage"
	"github.com/tipline/tipline/storage/storagetest"
	"github.com/tipline/tipline/telegramemu"
)

// The message path under real conditions: Telegram's limits on, Telegram
// failing, processes killed, Redis restarted. Each test fails when what it
// guards breaks: nothing lost, nothing doubled, each chat's order kept,
// no retry_after ignored, no chat frozen for a whole lease. Timings are
// measured in bench_test.go, not asserted here.

// botTexts is what the bot said in a chat, in order.
func botTexts(e *testEnv, userID int64) []string {
	var out []string
	for _, m := range e.emu.BotMessages(userID) {
		out = append(out, m.Text)
	}
	return out
}

// limitedEnv is a test environment with Telegram's limits on and the bot
// pacing itself as it does in production.
func limitedEnv(t testing.TB) *testEnv {
	e := newTestEnv(t, telegramemu.WithLimits(telegramemu.TelegramLimits))
	e.env["TIPLINE_PACE_PER_CHAT"] = "1"
	e.env["TIPLINE_PACE_GLOBAL"] = "30"
	return e
}

// TestSurgeWithinTelegramLimits: 36 reporters start at once, with
// Telegram's limits on. Every chat hears the same things in the same
// order, each once; Telegram never had to repeat a retry_after (G11).
func TestSurgeWithinTelegramLimits(t *testing.T) {
	e := limitedEnv(t)
	e.start()
	langs := []string{"km", "th", "en"}
	var rs []*reporter
	for i := range 36 {
		rs = append(rs, e.reporter(7_800_000_000+int64(i), langs[i%3]))
	}
	for _, r := range rs {
		e.emu.SendText(r.User, "/start")
	}
	for _, r := range rs {
		r.press("menu:tip")
	}
	for _, r := range rs {
		r.expect("back")
		e.emu.SendText(r.User, "what I saw")
	}
	for _, r := range rs {
		r.waitButton("a:yes")
	}
	waitInboxDone(t, e)
	want := map[string][]string{}
	for _, r := range rs {
		got := botTexts(e, r.User.ID)
		w, ok := want[r.User.LanguageCode]
		if !ok {
			want[r.User.LanguageCode] = got
			continue
		}
		if !slices.Equal(got, w) {
			t.Errorf("user %d (%s) heard something else than the others:\n%s", r.User.ID, r.User.LanguageCode, r.Transcript())
		}
	}
	st := e.emu.LimitStats()
	if st.Ignored != 0 {
		t.Errorf("%d calls came while a retry_after still ran (stats %+v)", st.Ignored, st)
	}
	e.assertValid()
}

// TestTelegramOutagesLoseNothing: Telegram answers 502, resets
// connections, or takes messages and loses its answers, while reporters
// keep writing. Nothing is lost and nothing doubled; each chat's order
// holds; messages wait in the outbox and go out once Telegram is back.
func TestTelegramOutagesLoseNothing(t *testing.T) {
	for _, o := range []struct {
		name   string
		outage telegramemu.Outage
	}{
		{"502", telegramemu.Outage502},
		{"reset", telegramemu.OutageReset},
		{"lost answers", telegramemu.OutageLostAnswers},
	} {
		t.Run(o.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.start()
			r := e.reporter(7_800_100_001, "en")
			e.emu.SendText(r.User, "/start")
			r.press("menu:tip")
			r.expect("back")
			before := len(e.emu.BotMessages(r.User.ID))

			e.emu.SetSendOutage(o.outage)
			e.emu.SendText(r.User, "what I saw")
			e.emu.SendText(r.User, "/emergency")
			// Both are processed while Telegram fails; their answers wait.
			deadline := time.Now().Add(waitFor)
			for {
				n, err := inboxPending(e)
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("updates not processed during the outage:\n%s", e.logs)
				}
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(700 * time.Millisecond)
			e.emu.SetOutage(telegramemu.NoOutage)
			waitInboxDone(t, e)

			after := e.emu.BotMessages(r.User.ID)[before:]
			// A reporter's message whose answer was lost is sent once more
			// at most: lost answers may double it, nothing may lose it.
			most := 1
			if o.outage == telegramemu.OutageLostAnswers {
				most = 2
			}
			question, numbers := -1, -1
			var nq, nn int
			for i, m := range after {
				switch {
				case strings.Contains(m.Text, "117"):
					nn++
					if numbers < 0 {
						numbers = i
					}
				case len(m.Buttons) > 0:
					nq++
					if question < 0 {
						question = i
					}
				}
			}
			if nq < 1 || nq > most || nn < 1 || nn > most || len(after) != nq+nn {
				t.Fatalf("after the outage: %d questions, %d emergency messages, %d in all; want each 1..%d:\n%s", nq, nn, len(after), most, r.Transcript())
			}
			if question > numbers {
				t.Errorf("after the outage, out of order:\n%s", r.Transcript())
			}
		})
	}
}

// TestReviewerReplySurvivesFailedSend: a reviewer writes to the reporter
// while Telegram fails; the words are kept and reach the reporter once
// Telegram is back (they were lost when the send failed).
func TestReviewerReplySurvivesFailedSend(t *testing.T) {
	e := newOnCallEnv(t, "Primary Pich")
	e.startOnCall()
	rv := e.reviewers[0]
	r, ref := e.urgentTip(7_800_200_001)
	rv.take(ref)
	rv.press("rep:" + string(ref))
	waitInboxDone(t, e.testEnv)
	rv.MarkSeen()
	e.emu.SendText(rv.User, "Canaryreply where exactly is the house?")
	rv.waitButton("snd:" + string(ref))
	e.emu.SetSendOutage(telegramemu.Outage502)
	rv.press("snd:" + string(ref))
	time.Sleep(time.Second)
	e.emu.SetOutage(telegramemu.NoOutage)
	r.waitText(regexp.MustCompile(`Canaryreply where exactly`))
	waitInboxDone(t, e.testEnv)
	n := 0
	for _, m := range e.emu.BotMessages(r.User.ID) {
		if strings.Contains(m.Text, "Canaryreply") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the reviewer's words reached the reporter %d times, want once", n)
	}
}

// TestKilledProcessWorkTakenOver: a process is killed (SIGKILL) while it
// sends; another process takes its work over once it has been silent for
// the take-over time, long before the one-hour lease would free it.
func TestKilledProcessWorkTakenOver(t *testing.T) {
	e := newTestEnv(t)
	e.env["TIPLINE_INBOX_LEASE"] = "1h"
	p := e.spawn(t)
	r := e.reporter(7_800_300_001, "en")
	e.emu.SendText(r.User, "/start")
	r.press("menu:tip")
	r.expect("back")
	// The next message hangs at Telegram: the process dies while it sends.
	e.emu.InjectFault("sendMessage", 1, telegramemu.Fault{Delay: 20 * time.Second})
	e.emu.SendText(r.User, "what I saw")
	deadline := time.Now().Add(waitFor)
	for e.countWhere("outbox", "claimed_by is not null and sent_at is null") == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the reply was never claimed:\n%s", e.logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.kill()
	e.spawn(t)
	killed := time.Now()
	for len(e.emu.BotMessages(r.User.ID)) < 3 && time.Since(killed) < 40*time.Second {
		time.Sleep(10 * time.Millisecond)
	}
	// The claim must lapse with the silence (10 s), not with the
	// hour-long lease.
	if len(e.emu.BotMessages(r.User.ID)) < 3 {
		t.Fatalf("the killed process's work was not taken over within 40 s:\n%s", r.Transcript())
	}
	r.waitButton("a:yes")
	waitInboxDone(t, e)
	n := 0
	for _, m := range e.emu.BotMessages(r.User.ID) {
		for _, row := range m.Buttons {
			for _, b := range row {
				if chattest.IsButton(b.Data, "a:yes") {
					n++
				}
			}
		}
	}
	if n > 2 {
		t.Errorf("the question was sent %d times", n)
	}
}

// TestIntakeTakenOverByTheOtherProcess: two processes run; one polls, the
// other stands by. The poller is killed; the other takes updates in.
func TestIntakeTakenOverByTheOtherProcess(t *testing.T) {
	e := newTestEnv(t)
	a := e.spawn(t)
	waitLog(t, e, "this process takes updates in", 1)
	e.spawn(t)
	waitLog(t, e, "tipline is running", 2)
	waitLog(t, e, "another process takes updates in", 1)
	r := e.reporter(7_800_400_001, "en")
	e.emu.SendText(r.User, "/start")
	r.press("menu:tip")
	a.kill()
	r.expect("back")
	e.emu.SendText(r.User, "what I saw")
	r.waitButton("a:yes")
	if n := strings.Count(e.logs.String(), "this process takes updates in"); n != 2 {
		t.Errorf("intake taken %d times, want twice (the first process, then the other)", n)
	}
	if strings.Contains(e.logs.String(), "level=ERROR msg=\"getUpdates failed") {
		t.Errorf("two processes polled at once:\n%s", e.logs)
	}
}

func waitLog(t testing.TB, e *testEnv, s string, n int) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for strings.Count(e.logs.String(), s) < n {
		if time.Now().After(deadline) {
			t.Fatalf("log never said %q %d times:\n%s", s, n, e.logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRedisRestartKeepsDrafts: with Redis persisting (AOF), a Redis
// restart mid-journey loses no draft: the reporter goes on where they were.
func TestRedisRestartKeepsDrafts(t *testing.T) {
	storagetest.SkipShort(t, "redis-server and PostgreSQL")
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server is needed (scripts/test installs it): %v", err)
	}
	port := freePort(t)
	dir := t.TempDir()
	startRedis := func() *exec.Cmd {
		cmd := exec.Command("redis-server", "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "",
			"--appendonly", "yes", "--appendfsync", "always", "--dir", dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitPort(t, port)
		return cmd
	}
	r1 := startRedis()
	e := newTestEnv(t)
	e.env["REDIS_URL"] = fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	e.start()
	r := e.reporter(7_800_500_001, "en")
	e.emu.SendText(r.User, "/start")
	r.press("menu:tip")
	r.expect("back")
	e.emu.SendText(r.User, "Canarydraft what I saw")
	r.press("a:no")
	waitInboxDone(t, e)

	_ = r1.Process.Kill() // a crash, not a clean shutdown
	_ = r1.Wait()
	r2 := startRedis()
	t.Cleanup(func() { _ = r2.Process.Kill(); _ = r2.Wait() })

	r.press("skip") // what is happening
	r.press("skip")
	r.press("a:today")
	r.press("a:1")
	r.press("a:unknown")
	r.press("skip")
	r.press("skip")
	review := r.waitText(regexp.MustCompile(`Canarydraft what I saw`))
	for _, m := range e.emu.BotMessages(r.User.ID) {
		if strings.Contains(m.Text, "was lost") {
			t.Fatalf("the draft was lost in the restart:\n%s", r.Transcript())
		}
	}
	if len(review.Buttons) == 0 {
		t.Errorf("the review has no buttons: %q", review.Text)
	}
}

// TestPoisonUpdateSetAside: an update the program cannot read is set aside
// as a dead letter at once; its sender is told kindly, their chat moves on,
// and an operator can list it (no content shown) and put it back.
func TestPoisonUpdateSetAside(t *testing.T) {
	e := newTestEnv(t)
	e.start()
	r := e.reporter(7_800_600_001, "th")
	raw := fmt.Sprintf(`{"update_id":990001,"message":{"message_id":"not a number","date":1,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"language_code":"th"},"text":"Canarypoison"}}`, r.User.ID, r.User.ID)
	if _, err := e.db.InboxAdd(context.Background(), []storage.InboxItem{{UpdateID: 990001, ChatKey: e.ring.ChatKey(r.User.ID), Payload: []byte(raw)}}); err != nil {
		t.Fatal(err)
	}
	r.waitText(regexp.MustCompile(`กรุณาส่งอีกครั้ง`))
	e.emu.SendText(r.User, "/start")
	r.waitButton("menu:tip")
	out, err := e.runCLI(t, "inbox", "dead")
	if err != nil || !strings.Contains(out, "990001") || strings.Contains(out, "Canarypoison") {
		t.Fatalf("tipline inbox dead = %q, %v; want the update id and no content", out, err)
	}
	if out, err := e.runCLI(t, "inbox", "retry", "990001"); err != nil || !strings.Contains(out, "back in the inbox") {
		t.Fatalf("tipline inbox retry = %q, %v", out, err)
	}
	if _, err := e.runCLI(t, "inbox", "retry", "990001x"); err == nil {
		t.Error("tipline inbox retry of a malformed id: no error")
	}
}

// waitPort waits until something listens on the local port.
func waitPort(t *testing.T, port int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on port %d", port)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestImpatientUsers: people press faster than the bot answers, and press
// keyboards of earlier messages, several at once with Telegram's limits
// on. Every press is answered exactly once, and no chat is left frozen:
// afterwards each still answers /start with the menu.
func TestImpatientUsers(t *testing.T) {
	e := limitedEnv(t)
	e.start()
	var rs []*reporter
	for i := range 4 {
		r := e.reporter(7_800_700_001+int64(i), []string{"km", "th", "en", "en"}[i])
		rs = append(rs, r)
		e.emu.SendText(r.User, "/start")
	}
	for _, r := range rs {
		r.waitButton("menu:tip")
	}
	presses := 0
	for round := range 8 {
		for i, r := range rs {
			var keyboards []telegramemu.Message
			for _, m := range e.emu.BotMessages(r.User.ID) {
				if len(m.Buttons) > 0 {
					keyboards = append(keyboards, m)
				}
			}
			if len(keyboards) == 0 {
				continue
			}
			m := keyboards[len(keyboards)-1]
			if (round+i)%3 == 0 {
				m = keyboards[0] // an old keyboard
			}
			b := m.Buttons[0][0]
			if strings.HasPrefix(b.Data, "clear") || strings.HasPrefix(b.Data, "forget") {
				continue
			}
			if _, err := e.emu.PressButton(r.User, m.ID, b.Data); err != nil {
				t.Fatal(err)
			}
			presses++
		}
		time.Sleep(150 * time.Millisecond) // faster than the bot may answer a chat
	}
	waitInboxDone(t, e)
	if got := len(e.emu.CallbackAnswers()); got != presses {
		t.Errorf("%d presses, %d answers; want each press answered once", presses, got)
	}
	for _, r := range rs {
		r.MarkSeen()
		e.emu.SendText(r.User, "/start")
		// The menu, or "you have an unfinished report: go on?": a question
		// with buttons either way.
		m := r.waitText(regexp.MustCompile(`.`))
		if len(m.Buttons) == 0 {
			t.Errorf("user %d: /start was answered without buttons:\n%s", r.User.ID, r.Transcript())
		}
	}
	if st := e.emu.LimitStats(); st.Ignored != 0 {
		t.Errorf("%d calls came while a retry_after still ran", st.Ignored)
	}
	e.assertValid()
}

// TestDatabaseDownReporterTold: with PostgreSQL gone, a reporter's message
// cannot be stored; it waits at Telegram, the reporter is told once that
// we are slow, in the language they chose (their phone says English), and
// it is answered once the database is back.
func TestDatabaseDownReporterTold(t *testing.T) {
	e := newTestEnv(t)
	pg := newProxy(t, "127.0.0.1:5432")
	e.env["DATABASE_URL"] = strings.Replace(e.env["DATABASE_URL"], "127.0.0.1:5432", pg.addr(), 1)
	e.start()
	r := e.newReporter(7_800_800_001, "en")
	e.emu.SendText(r.User, "/start")
	r.press("lang:th")
	r.press("menu:tip")
	r.expect("back")
	pg.cut()
	e.emu.SendText(r.User, "what I saw")
	slow := regexp.MustCompile(regexp.QuoteMeta(locales.MustLoad().Text("th", "error_delayed", nil)))
	notice := r.waitText(slow)
	time.Sleep(2 * time.Second) // intake keeps trying; the reporter is not told again
	pg.restore()
	r.waitButton("a:yes")
	n := 0
	for _, m := range e.emu.BotMessages(r.User.ID) {
		if slow.MatchString(m.Text) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("told %d times that we are slow, want once", n)
	}
	// Sent outside the outbox, it is kept with the chat's messages, so
	// "Clear this chat" deletes it too.
	key := e.prefix + "session:" + e.ring.ChatKey(r.User.ID)
	raw, err := e.rc.Get(context.Background(), key).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	plain, err := e.ring.Open(raw, key)
	if err != nil {
		t.Fatal(err)
	}
	// The chat's messages: the first one's id and time, then each next
	// one's distance from the one before.
	var st struct {
		Messages []int64 `json:"msgs"`
	}
	if err := json.Unmarshal(plain, &st); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i, id := 0, int64(0); i+1 < len(st.Messages); i += 2 {
		id += st.Messages[i]
		ids = append(ids, id)
	}
	if !slices.Contains(ids, int64(notice.ID)) {
		t.Errorf("the notice %d is not among the chat's messages to clear: %v", notice.ID, ids)
	}
}
