package main

import (
	"context"
	"fmt"
	"regexp"
	"testing"
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
	e.emu.SendText(r.u, "/start")
	r.press("menu:mine")
	r.press("add:" + string(ref))
	r.markSeen()
	for i := range 3 {
		e.emu.SendText(r.u, fmt.Sprintf("news number %d", i))
		if i < 2 {
			r.waitText(regexp.MustCompile(`Thank you`))
			r.markSeen()
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
