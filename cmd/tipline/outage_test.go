package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline/locales"
)

// TestDatabaseOutageTellsEveryWaitingChat: during a PostgreSQL outage 30
// reporters write, some before and most after intake first failed to store
// a batch. Intake keeps reading what waits at Telegram without confirming
// it, so each of them is told once, in their language, that the message
// is safe; once the database is back each is answered.
func TestDatabaseOutageTellsEveryWaitingChat(t *testing.T) {
	e := newTestEnv(t)
	pg := newProxy(t, "127.0.0.1:5432")
	e.env["DATABASE_URL"] = strings.Replace(e.env["DATABASE_URL"], "127.0.0.1:5432", pg.addr(), 1)
	e.start()
	langs := []string{"km", "th", "en"}
	var rs []*reporter
	for i := range 30 {
		rs = append(rs, e.reporter(int64(7_810_000_001+i), langs[i%3]))
	}
	slow := map[string]*regexp.Regexp{}
	for _, l := range langs {
		slow[l] = regexp.MustCompile(regexp.QuoteMeta(locales.MustLoad().Text(l, "error_delayed", nil)))
	}
	pg.cut()
	for i, r := range rs {
		e.emu.SendText(r.u, fmt.Sprintf("/start %d", i))
		if i == 4 {
			rs[0].waitText(slow[rs[0].u.LanguageCode]) // intake is failing now
		}
	}
	for _, r := range rs {
		r.waitText(slow[r.u.LanguageCode])
	}
	e.emu.SendText(rs[1].u, "again") // a second message is not a second notice
	time.Sleep(3 * time.Second)
	pg.restore()
	for _, r := range rs {
		r.expect("menu:tip")
	}
	for _, r := range rs {
		n := 0
		for _, m := range e.emu.BotMessages(r.u.ID) {
			if slow[r.u.LanguageCode].MatchString(m.Text) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("reporter %d (%s) was told %d times that we are slow, want once", r.u.ID, r.u.LanguageCode, n)
		}
	}
}
