package main

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/storage/storagetest"
)

// TestBadInputAnswered: stickers, files, forged buttons, odd Unicode, a
// long text: each gets a short answer in the reporter's language and the
// question again; nothing crashes and nothing is stored wrongly.
func TestBadInputAnswered(t *testing.T) {
	e := newTestEnv(t)
	e.start()
	r := e.reporter(7_600_000_001, "th")
	e.emu.SendText(r.User, "/start")
	r.press("menu:tip")
	r.expect("back")

	thai := regexp.MustCompile(`[\x{0E00}-\x{0E7F}]`)
	waitAfter := func(what string, send func()) {
		t.Helper()
		before := len(e.emu.BotMessages(r.User.ID))
		send()
		deadline := time.Now().Add(waitFor)
		// One message: the answer, then the question again with its buttons.
		for len(e.emu.BotMessages(r.User.ID)) < before+1 {
			if time.Now().After(deadline) {
				t.Fatalf("%s: no answer and question again:\n%s", what, r.Transcript())
			}
			time.Sleep(5 * time.Millisecond)
		}
		msgs := e.emu.BotMessages(r.User.ID)
		if !thai.MatchString(msgs[before].Text) {
			t.Errorf("%s: answer not in Thai: %q", what, msgs[before].Text)
		}
		if len(msgs[before].Buttons) == 0 {
			t.Errorf("%s: the answer does not ask the question again: %q", what, msgs[before].Text)
		}
	}
	waitAfter("sticker", func() { e.emu.SendSticker(r.User) })
	waitAfter("file", func() { e.emu.SendDocument(r.User, "list.pdf", []byte("%PDF-1.4")) })
	waitAfter("unknown command", func() { e.emu.SendText(r.User, "/frobnicate") })
	m, _ := r.waitButton("back")
	waitAfter("forged button", func() { e.emu.PressRaw(r.User, m.ID, "a:yes~AAAAAAAAAAAA") })
	waitAfter("made-up data", func() { e.emu.PressRaw(r.User, m.ID, "\x00\xff💥") })
	waitAfter("edited message", func() { e.emu.EditText(r.User, 1, "changed") })

	// Odd Unicode is an answer like any other and is kept as given.
	odd := "\u200bเด็ก\u200f 👧🏽 ﷽ \U0001F9D1\u200D\U0001F9D2 \u202e"
	e.emu.SendText(r.User, odd)
	r.press("a:no")
	r.press("skip") // what is happening
	r.press("skip")
	r.press("a:today")
	r.press("a:1")
	r.press("a:unknown")
	// A story over 3,000 letters is an answer too, kept whole, and the
	// reporter is told so.
	long := strings.Repeat("เขามาตอนกลางคืนทุกวัน ", 180) // 3,240 letters, 3,960 UTF-16 units (Telegram allows 4,096)
	e.emu.SendText(r.User, long)
	r.waitText(regexp.MustCompile(regexp.QuoteMeta(locales.MustLoad().Text("th", "long_text_kept", nil))))
	r.press("skip")
	r.press("send:anon")
	msg := r.waitText(referenceRE)
	c, err := e.db.Case(context.Background(), tipline.Reference(referenceRE.FindString(msg.Text)))
	if err != nil {
		t.Fatal(err)
	}
	if c.Answers[tipline.AnswerWhat] == "" || !strings.Contains(c.Answers[tipline.AnswerWhat], "เด็ก") {
		t.Errorf("what = %q", c.Answers[tipline.AnswerWhat])
	}
	if got := c.Answers[tipline.AnswerAdults]; got != strings.TrimSpace(long) {
		t.Errorf("a long story kept %d of its %d bytes", len(got), len(strings.TrimSpace(long)))
	}
	if n := e.countRows("cases"); n != 1 {
		t.Errorf("cases = %d, want 1", n)
	}
	if strings.Contains(e.logs.String(), "panic") {
		t.Errorf("a panic was logged:\n%s", e.logs)
	}
	e.assertValid()
}

// TestGroupChatsIgnored: the bot serves private chats only; it never
// answers in a group, where others would read.
func TestGroupChatsIgnored(t *testing.T) {
	e := newTestEnv(t)
	e.start()
	id := e.emu.Deliver(models.Update{Message: &models.Message{
		ID: 1, Date: int(time.Now().Unix()),
		Chat: models.Chat{ID: -100123, Type: models.ChatTypeGroup},
		From: &models.User{ID: 7_700_000_001, FirstName: "G"},
		Text: "/start",
	}})
	if id == 0 {
		t.Fatal("not delivered")
	}
	waitInboxDone(t, e)
	if n := len(e.emu.BotMessages(-100123)); n != 0 {
		t.Errorf("bot sent %d messages to a group", n)
	}
}

// TestDatabaseFailureAtSend: when the case cannot be stored, the reporter
// is told plainly that nothing is lost and to press Send again; the draft
// stays, and the next Send stores the case (G1: no reference before commit).
func TestDatabaseFailureAtSend(t *testing.T) {
	e := newTestEnv(t)
	e.start()
	r := e.reporter(7_800_000_001, "en")
	r.tipToReview("what I saw")

	conn := mustExec(t, e, `ALTER TABLE `+e.schema+`.cases RENAME TO cases_away`)
	r.press("send:anon")
	r.waitText(regexp.MustCompile(`could not save your report`))
	for _, m := range e.emu.BotMessages(r.User.ID) {
		if referenceRE.MatchString(m.Text) {
			t.Fatalf("reference sent although nothing was stored: %q", m.Text)
		}
	}
	if _, err := conn.Exec(context.Background(), `ALTER TABLE `+e.schema+`.cases_away RENAME TO cases`); err != nil {
		t.Fatal(err)
	}
	r.press("send:anon") // the review is shown again with its buttons
	r.waitText(referenceRE)
	if n := e.countRows("cases"); n != 1 {
		t.Errorf("cases = %d, want 1", n)
	}
	e.assertValid()
}

// TestRedisDown: with Redis gone the reporter is told once that we have a
// problem and their message is kept; when Redis is back (empty: G5) the
// kept message is handled, and a lost draft is explained plainly.
func TestRedisDown(t *testing.T) {
	storagetest.SkipShort(t, "redis-server and PostgreSQL")
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("redis-server not installed: run ./scripts/test, which installs it")
	}
	port := freePort(t)
	startRedis := func() *exec.Cmd {
		cmd := exec.Command("redis-server", "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("redis-server did not start")
			}
			time.Sleep(20 * time.Millisecond)
		}
		return cmd
	}
	redis1 := startRedis()
	t.Cleanup(func() { _ = redis1.Process.Kill(); _ = redis1.Wait() })

	e := newTestEnv(t)
	e.env["REDIS_URL"] = fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	e.start()
	r := e.reporter(7_900_000_001, "en")
	r.startTip("what I saw")
	m, data := r.waitButton("a:yes")

	_ = redis1.Process.Kill()
	_ = redis1.Wait()
	r.Seen = m.ID
	if _, err := e.emu.PressButton(r.User, m.ID, data); err != nil {
		t.Fatal(err)
	}
	r.waitText(regexp.MustCompile(`slow right now`))
	time.Sleep(1500 * time.Millisecond) // retries go on; the reporter is not told again
	told := 0
	for _, bm := range e.emu.BotMessages(r.User.ID) {
		if strings.Contains(bm.Text, "slow right now") {
			told++
		}
	}
	if told != 1 {
		t.Errorf("told of the problem %d times, want once", told)
	}

	redis2 := startRedis() // back, and empty: the draft is gone
	t.Cleanup(func() { _ = redis2.Process.Kill(); _ = redis2.Wait() })
	r.waitText(regexp.MustCompile(`unfinished report was lost`))
	waitInboxDone(t, e)
	e.assertValid()
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
