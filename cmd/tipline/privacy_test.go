package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/internal/testclock"
	"github.com/tipline/tipline/keys"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/storage/postgres"
	"github.com/tipline/tipline/storage/storagetest"
	"github.com/tipline/tipline/telegramemu"
)

// TestCanaries runs every journey with unique canary values: tip text, a
// child's name, a phone number, Telegram ids, usernames, first names and
// the bot token. None of them may appear in the logs, in a pg_dump, or in
// any Redis key or value.
func TestCanaries(t *testing.T) {
	token := "777001:CanaryBotTokenQ9x8Y7w6V5u4T3s2R1"
	e := &onCallEnv{testEnv: newTestEnv(t, telegramemu.WithToken(token)), clock: testclock.New(time.Now())}
	e.env["TIPLINE_ROUTE_TICK"] = "20ms"
	e.withReviewers("Canaryreviewername")
	e.startOnCall()
	rv := e.reviewers[0]

	// A tip, answered by the reviewer, and the reporter's answer.
	tipper := e.reporter(7_300_100_001, "km")
	ref := tipper.fileTip(canaryAnswers("privacy"))
	rv.take(ref)
	rv.reply(ref, "Canaryreviewerquestion where exactly?")
	tipper.waitText(regexp.MustCompile(`Canaryreviewerquestion`))
	tipper.Seen = 0
	tipper.press("ans:" + string(ref))
	tipper.MarkSeen()
	e.emu.SendText(tipper.User, "Canaryreporteranswer behind the market")
	rv.waitText(regexp.MustCompile(`Canaryreporteranswer`))

	// A missing child with a name and a phone number.
	family := e.reporter(7_300_100_002, "th")
	e.emu.SendText(family.User, "/start")
	family.press("menu:missing")
	family.expect("back")
	e.emu.SendText(family.User, "Canarychildname Srey")
	family.expect("a:under_6")
	e.emu.SendText(family.User, "๘")
	family.press("a:girl")
	family.press("skip")
	family.press("a:today")
	family.press("skip")
	family.press("skip")
	family.press("a:parent")
	family.press("a:no")
	family.expect("skip")
	e.emu.SendText(family.User, "๐๘๑-๙๗๖-๕๔๓๒")
	family.press("a:no")
	family.press("send:contact")
	family.waitText(referenceRE)

	// Follow-up with the code from another account, then /forget.
	tipper.Seen = 0
	code := codeRE.FindString(tipper.waitText(codeRE).Text)
	other := e.reporter(7_300_100_003, "en")
	e.emu.SendText(other.User, "/status")
	other.expect("menu")
	other.MarkSeen()
	e.emu.SendText(other.User, code)
	other.press("add:" + string(ref))
	other.MarkSeen()
	e.emu.SendText(other.User, "Canaryaddition the car is white")
	other.press("done")
	e.emu.SendText(tipper.User, "/forget")
	tipper.Seen = 0
	tipper.press("forget:yes")
	waitInboxDone(t, e.testEnv)

	canaries := []string{
		"Canarywhat", "Canaryadults", "Canarycaption", "Canarychildname", "Canaryaddition", "Canaryreviewerquestion", "Canaryreporteranswer",
		"Canaryreviewername", "66819765432", "819765432", "081-976", "๐๘๑", strings.ReplaceAll(code, " ", ""), code,
		token, "CanaryBotToken",
	}
	for _, u := range []telegramemu.User{tipper.User, family.User, other.User, rv.User} {
		canaries = append(canaries, strconv.FormatInt(u.ID, 10), u.Username, u.FirstName)
	}
	dump := storagetest.DumpSchema(t, e.schema)
	redisAll := e.redisEverything()
	logs := e.logs.String()
	for _, c := range canaries {
		if c == "" {
			continue
		}
		if strings.Contains(dump, c) {
			t.Errorf("pg_dump contains %q", c)
		}
		if strings.Contains(redisAll, c) {
			t.Errorf("Redis contains %q", c)
		}
		if strings.Contains(logs, c) {
			t.Errorf("the logs contain %q", c)
		}
	}
	e.assertValid()
}

// redisEverything returns every key and value under the test's prefix,
// whatever their type.
func (e *testEnv) redisEverything() string {
	e.t.Helper()
	ctx := context.Background()
	var b strings.Builder
	iter := e.rc.Scan(ctx, 0, e.prefix+"*", 100).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		b.WriteString(k + "=")
		switch e.rc.Type(ctx, k).Val() {
		case "string":
			b.WriteString(e.rc.Get(ctx, k).Val())
		case "zset":
			b.WriteString(strings.Join(e.rc.ZRange(ctx, k, 0, -1).Val(), ","))
		case "hash":
			for f, v := range e.rc.HGetAll(ctx, k).Val() {
				b.WriteString(f + ":" + v + ",")
			}
		case "list":
			b.WriteString(strings.Join(e.rc.LRange(ctx, k, 0, -1).Val(), ","))
		case "set":
			b.WriteString(strings.Join(e.rc.SMembers(ctx, k).Val(), ","))
		}
		b.WriteString("\n")
	}
	if err := iter.Err(); err != nil {
		e.t.Fatal(err)
	}
	return b.String()
}

// TestReportLimitAcrossProcesses: with two bot processes, the report over
// the hourly limit is refused kindly and its draft kept.
func TestReportLimitAcrossProcesses(t *testing.T) {
	e := newTestEnv(t)
	e.env["TIPLINE_LIMIT_REPORTS_PER_HOUR"] = "2"
	e.start()
	e.startMain(&Main{Getenv: func(k string) string {
		if k == "TIPLINE_INTAKE" {
			return "off"
		}
		return e.env[k]
	}})
	r := e.reporter(7_300_200_001, "en")
	for i := range 2 {
		r.fileTip(canaryAnswers("limit" + strconv.Itoa(i)))
	}
	r.tipToReview("a third report")
	r.press("send:anon")
	r.waitText(regexp.MustCompile(`many reports in a short time`))
	r.expect("send:anon") // the review again: nothing lost
	if n := e.countRows("cases"); n != 2 {
		t.Errorf("cases = %d, want 2", n)
	}
	e.assertValid()
}

// TestBlockedReporter: a reviewer blocks a case's reporter; the reporter's
// later messages create nothing and reveal nothing.
func TestBlockedReporter(t *testing.T) {
	e := newOnCallEnv(t, "Primary Pich")
	e.startOnCall()
	rv := e.reviewers[0]
	r, ref := e.urgentTip(7_300_300_001)
	rv.take(ref)
	// Block is never one tap: it asks why, and Cancel blocks nobody.
	rv.press("blk:" + string(ref))
	rv.waitText(regexp.MustCompile(`Choose why`))
	stored, err := e.db.Case(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if blocked, err := e.db.IsBlocked(context.Background(), stored.Reporter); err != nil || blocked {
		t.Fatalf("blocked after one tap: %v, %v", blocked, err)
	}
	rv.press("blr:" + string(ref) + ":threats")
	rv.waitText(regexp.MustCompile(`is blocked \(Threats\)`))

	before := len(e.emu.BotMessages(r.User.ID))
	e.emu.SendText(r.User, "/start")
	e.emu.SendText(r.User, "another report")
	e.emu.SendText(r.User, "/emergency")
	waitInboxDone(t, e.testEnv)
	after := e.emu.BotMessages(r.User.ID)[before:]
	if len(after) != 3 {
		t.Fatalf("%d answers to 3 messages, want 3", len(after))
	}
	cat := locales.MustLoad()
	for i, m := range after {
		// Nothing is kept, so nothing is said to be received; the
		// emergency numbers are always there.
		intro := "blocked_neutral"
		if i == 2 {
			intro = "emergency_intro" // /emergency: always the numbers
		}
		if !strings.HasPrefix(m.Text, cat.Text("km", intro, nil)) || !strings.Contains(m.Text, "117") || !strings.Contains(m.Text, "1280") || len(m.Buttons) > 0 {
			t.Errorf("answer %d to a blocked reporter: %q (buttons %v), want %s and the emergency numbers", i, m.Text, m.Buttons, intro)
		}
		if strings.Contains(m.Text, "បានទទួលសារ") { // "received your message"
			t.Errorf("a blocked reporter was told something was received: %q", m.Text)
		}
	}
	if n := e.countRows("cases"); n != 1 {
		t.Errorf("cases = %d, want 1", n)
	}
	// Unblock, from the button on the case: audited, and the reporter may
	// write again.
	rv.press("unb:" + string(ref))
	rv.waitText(regexp.MustCompile(`no longer blocked`))
	if blocked, err := e.db.IsBlocked(context.Background(), stored.Reporter); err != nil || blocked {
		t.Errorf("blocked after Unblock: %v, %v", blocked, err)
	}
	events, err := e.db.Timeline(context.Background(), ref)
	if err != nil || events[len(events)-1].Kind != tipline.EventUnblocked || events[len(events)-2].Detail != "threats" {
		t.Errorf("timeline %+v, %v; want blocked for threats, then unblocked", events, err)
	}
	e.assertValid()
}

// TestRetention: a closed case past the period is gone from every table
// with its attachments and jobs; one closed a day later survives; an open
// case of any age survives; the reviewer is warned 72 hours before.
func TestRetention(t *testing.T) {
	e := newOnCallEnv(t, "Primary Pich")
	e.env["TIPLINE_RETENTION_DAYS"] = "90"
	e.startOnCall()
	rv := e.reviewers[0]
	_, old := e.urgentTip(7_300_400_001)
	_, younger := e.urgentTip(7_300_400_002)
	_, open := e.urgentTip(7_300_400_003)
	for _, ref := range []tipline.Reference{old, younger, open} {
		rv.waitNotifications(ref, 1)
		waitAttachment(t, e.testEnv, ref, mustCase(t, e.testEnv, ref).Attachments[0].FileUniqueID)
	}
	closeCase := func(ref tipline.Reference) {
		rv.Seen = 0
		rv.press("ack:" + string(ref))
		rv.Seen = 0
		rv.closeAs(ref, tipline.OutcomeNoAction)
		rv.waitText(regexp.MustCompile(string(ref) + ` closed`))
	}
	closeCase(old)
	e.clock.Advance(24 * time.Hour)
	closeCase(younger)
	rv.Seen = 0
	rv.press("ack:" + string(open))

	e.clock.Advance(90*24*time.Hour - 24*time.Hour - 72*time.Hour + time.Hour) // old: 71 h before deletion
	rv.waitText(regexp.MustCompile(string(old) + ` was closed and will be deleted`))
	e.clock.Advance(72 * time.Hour) // old: past the period; younger: 23 h to go
	deadline := time.Now().Add(waitFor)
	for e.countWhere("cases", "reference = '"+string(old)+"'") != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the old closed case was not deleted\nlogs:\n%s", e.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, table := range []string{"attachments", "jobs", "notifications", "notes", "audit_events", "additions"} {
		if n := e.countWhere(table, "case_id not in (select id from "+e.schema+".cases)"); n != 0 {
			t.Errorf("%d rows of %s outlive their case", n, table)
		}
	}
	for _, ref := range []tipline.Reference{younger, open} {
		if _, err := e.db.Case(context.Background(), ref); err != nil {
			t.Errorf("%s was deleted: %v", ref, err)
		}
	}
	if _, err := e.db.Case(context.Background(), old); err == nil {
		t.Error("the old case still reads")
	}
	e.clock.Advance(10 * 365 * 24 * time.Hour)
	e.settle()
	if _, err := e.db.Case(context.Background(), open); err != nil {
		t.Errorf("an open case was deleted: %v", err)
	}
}

func mustCase(t *testing.T, e *testEnv, ref tipline.Reference) tipline.Case {
	t.Helper()
	c, err := e.db.Case(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRekey: data stored under an old key reads after rotation; `tipline
// rekey` leaves no ciphertext under the old key; with the old key removed
// nothing is lost.
func TestRekey(t *testing.T) {
	e := newTestEnv(t)
	_, stop := e.start()
	r := e.reporter(7_300_500_001, "en")
	ref := r.fileTip(canaryAnswers("rekey"))
	waitAttachment(t, e, ref, mustCase(t, e, ref).Attachments[0].FileUniqueID)
	stop()

	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	oldKey := e.env["TIPLINE_SECRET_KEY"]
	e.env["TIPLINE_SECRET_KEY"] = base64.StdEncoding.EncodeToString(raw)
	e.env["TIPLINE_PREVIOUS_SECRET_KEYS"] = oldKey
	out, err := e.runCLI(t, "rekey", "-batch", "2")
	if err != nil || !strings.Contains(out, "0 left under old keys") {
		t.Fatalf("rekey: %v\n%s", err, out)
	}
	delete(e.env, "TIPLINE_PREVIOUS_SECRET_KEYS")
	newRing, err := keys.NewRing(raw)
	if err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(context.Background(), storagetest.SchemaURL(e.schema), newRing)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.Case(context.Background(), ref)
	if err != nil {
		t.Fatalf("after rekey and removing the old key: %v", err)
	}
	if !strings.Contains(c.Answers["what"], "Canarywhatrekey") {
		t.Errorf("answers = %v", c.Answers)
	}
	if _, err := db.AttachmentContent(context.Background(), ref, c.Attachments[0].FileUniqueID); err != nil {
		t.Errorf("attachment after rekey: %v", err)
	}
	left, err := db.OldKeyValues(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for table, n := range left {
		if n != 0 {
			t.Errorf("%s: %d values under an old key", table, n)
		}
	}
}

// TestMessageFlood: past the per-minute limit, messages are dropped with
// one kind word, not one per message.
func TestMessageFlood(t *testing.T) {
	e := newTestEnv(t)
	e.env["TIPLINE_LIMIT_MESSAGES_PER_MINUTE"] = "5"
	e.start()
	r := e.reporter(7_300_600_001, "en")
	for i := range 12 {
		e.emu.SendText(r.User, "flood "+strconv.Itoa(i))
	}
	waitInboxDone(t, e)
	told := 0
	for _, m := range e.emu.BotMessages(r.User.ID) {
		if strings.Contains(m.Text, "sending many messages") {
			told++
		}
	}
	if told != 1 {
		t.Errorf("told to slow down %d times, want once", told)
	}
	e.assertValid()
}
