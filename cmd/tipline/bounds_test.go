package main

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/tipline/tipline/telegramemu"
)

// TestAdditionsPerCasePerDay: a reporter who keeps adding to a case gets a
// kind word once over the day's limit, and nothing more is stored; what
// came before is kept.
func TestAdditionsPerCasePerDay(t *testing.T) {
	e := newTestEnv(t)
	e.env["TIPLINE_LIMIT_ADDITIONS_PER_DAY"] = "2"
	e.start()
	r := e.reporter(7_300_300_001, "en")
	ref := r.fileTip(canaryAnswers("bounds"))
	e.emu.SendText(r.User, "/start")
	r.press("menu:mine")
	r.press("add:" + string(ref))
	r.MarkSeen()
	for i := range 3 {
		e.emu.SendText(r.User, fmt.Sprintf("news number %d", i))
		if i < 2 {
			r.waitText(regexp.MustCompile(`Thank you`))
			r.MarkSeen()
		}
	}
	r.waitText(regexp.MustCompile(`We have received a lot for this report today`))
	waitInboxDone(t, e)
	c, err := e.db.Case(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Additions) != 2 {
		t.Fatalf("the case has %d additions, want the 2 the day allows", len(c.Additions))
	}
}

// TestFailedDownloadsKeptInTheDatabase: a file Telegram will not serve is
// recorded as failed in the database, with its next try, so it survives a
// restart and does not hold up the files after it.
func TestFailedDownloadsKeptInTheDatabase(t *testing.T) {
	e := newTestEnv(t)
	e.emu.InjectFault("getFile", 1000, telegramemu.Fault{Code: 400}) // as for a file too big to serve
	e.start()
	r := e.reporter(7_300_300_101, "en")
	r.fileTip(canaryAnswers("fetch"))
	deadline := time.Now().Add(waitFor)
	for e.countWhere("attachments", "fetch_attempts > 0 and next_fetch_at > now()") == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no failed download recorded with a next try\nlogs:\n%s", e.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := e.countWhere("attachments", "fetched_at is not null"); n != 0 {
		t.Fatalf("%d attachments stored while Telegram refuses every file", n)
	}
}
