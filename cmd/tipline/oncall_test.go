package main

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/internal/chattest"
	"github.com/tipline/tipline/internal/testclock"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/oncall"
	"github.com/tipline/tipline/telegramemu"
)

// reviewerUser is a reviewer's phone in a test.
type reviewerUser struct {
	*reporter
	rv tipline.Reviewer
}

// onCallEnv is a test world with reviewers registered through invite
// codes sent to the bot, and a rota: the first is primary, the second
// secondary, the others only in "everyone".
type onCallEnv struct {
	*testEnv
	clock     *testclock.Clock
	reviewers []*reviewerUser
}

func newOnCallEnv(t *testing.T, names ...string) *onCallEnv {
	t.Helper()
	e := &onCallEnv{testEnv: newTestEnv(t), clock: testclock.New(time.Now())}
	e.env["TIPLINE_ROUTE_TICK"] = "20ms"
	e.env["TIPLINE_UNROUTED_CHECK"] = "1m"
	return e.withReviewers(names...)
}

func (e *onCallEnv) withReviewers(names ...string) *onCallEnv {
	for _, name := range names {
		e.addReviewer(name, false)
	}
	return e
}

// withAdmin adds an admin reviewer after those added so far.
func (e *onCallEnv) withAdmin(name string) *onCallEnv {
	e.addReviewer(name, true)
	return e
}

func (e *onCallEnv) addReviewer(name string, admin bool) {
	i := len(e.reviewers)
	code := tipline.NewInviteCode()
	if err := e.db.CreateInvite(context.Background(), tipline.InviteHash(code), name, admin, time.Now().Add(time.Hour)); err != nil {
		e.t.Fatal(err)
	}
	u := telegramemu.User{ID: int64(6_000_000_001 + i), FirstName: "Canaryreviewerfirst" + strconv.Itoa(i), Username: "canaryreviewer" + strconv.Itoa(i), LanguageCode: "en"}
	e.reviewers = append(e.reviewers, &reviewerUser{reporter: &reporter{Chat: chattest.New(e.emu, u), e: e.testEnv}, rv: tipline.Reviewer{Name: name}})
	e.reviewers[i].code = code
}

// start runs the program with the test clock, registers the reviewers by
// sending their invite codes, and sets the rota.
func (e *onCallEnv) startOnCall() func() {
	e.t.Helper()
	_, stop := e.startWithClock()
	for i, r := range e.reviewers {
		if i%2 == 0 {
			e.emu.SendText(r.User, "/start "+r.code) // the link's way
		} else {
			e.emu.SendText(r.User, r.code) // the code alone
		}
		r.press("rvlang:en") // the picker comes first, in each language
		r.waitText(regexp.MustCompile(`You are now a Tipline reviewer`))
		r.MarkSeen()
		rv, err := e.db.ReviewerByTelegram(context.Background(), r.User.ID)
		if err != nil {
			e.t.Fatal(err)
		}
		r.rv = rv
	}
	var rota oncall.Rota
	rota.TimeZone = "Asia/Phnom_Penh"
	if len(e.reviewers) > 0 {
		rota.Primary = mustShifts(e.t, fmt.Sprintf("%d:daily@00:00-24:00", e.reviewers[0].rv.ID))
	}
	if len(e.reviewers) > 1 {
		rota.Secondary = mustShifts(e.t, fmt.Sprintf("%d:daily@00:00-24:00", e.reviewers[1].rv.ID))
	}
	doc, err := rota.Encode()
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.SaveRota(context.Background(), doc); err != nil {
		e.t.Fatal(err)
	}
	return stop
}

func (e *onCallEnv) startWithClock() (string, func()) {
	return e.startMain(&Main{Getenv: e.getenv, Now: e.clock.Now})
}

func mustShifts(t testing.TB, spec string) []oncall.Shift {
	t.Helper()
	s, err := oncall.ParseShifts(spec, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// notifications counts the case notifications a reviewer received for ref.
func (r *reviewerUser) notifications(ref tipline.Reference) int {
	n := 0
	for _, m := range r.e.emu.BotMessages(r.User.ID) {
		if strings.Contains(m.Text, "New case "+string(ref)) || strings.Contains(m.Text, string(ref)+": taken by") {
			n++
		}
	}
	return n
}

// waitNotifications waits until a reviewer has n notifications of ref.
func (r *reviewerUser) waitNotifications(ref tipline.Reference, n int) {
	r.e.t.Helper()
	deadline := time.Now().Add(waitFor)
	for r.notifications(ref) < n {
		if time.Now().After(deadline) {
			r.e.t.Fatalf("%s: %d notifications of %s, want %d:\n%s\nlogs:\n%s", r.rv.Name, r.notifications(ref), ref, n, r.Transcript(), r.e.logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// take waits for a case's notification and presses "I take it"; the
// notification then carries the working buttons, so later presses look at
// every message again.
func (r *reviewerUser) take(ref tipline.Reference) {
	r.e.t.Helper()
	r.waitNotifications(ref, 1)
	r.Seen = 0
	r.press("ack:" + string(ref))
	r.Seen = 0
}

// closeAs closes a case the reviewer has with an outcome, as a reviewer
// does: Close, the outcome, then "Yes, close it".
func (r *reviewerUser) closeAs(ref tipline.Reference, o tipline.Outcome) {
	r.e.t.Helper()
	r.press("close:" + string(ref))
	r.press("out:" + string(ref) + ":" + string(o))
	r.press("out:" + string(ref) + ":" + string(o) + ":y")
}

// reply writes text to the reporter of ref as a reviewer does: Write to
// reporter, the words, then Send once they are shown back.
func (r *reviewerUser) reply(ref tipline.Reference, text string) {
	r.e.t.Helper()
	r.press("rep:" + string(ref))
	r.MarkSeen()
	r.e.emu.SendText(r.User, text)
	r.press("snd:" + string(ref))
}

// settle lets the router run a few rounds, for "nothing more happens" checks.
func (e *onCallEnv) settle() {
	time.Sleep(300 * time.Millisecond)
	waitInboxDone(e.t.(*testing.T), e.testEnv)
}

func (e *onCallEnv) urgentTip(id int64) (*reporter, tipline.Reference) {
	r := e.reporter(id, "km")
	return r, r.fileTip(canaryAnswers(strconv.FormatInt(id, 10)))
}

// TestEscalation: an urgent tip goes to the primary; unanswered for 5
// minutes to the secondary; then to everyone. The secondary takes it:
// nothing more is sent, and every copy shows "taken by".
func TestEscalation(t *testing.T) {
	e := newOnCallEnv(t, "Primary Pich", "Secondary Sokha", "Third Thida")
	e.startOnCall()
	p, s, third := e.reviewers[0], e.reviewers[1], e.reviewers[2]
	_, ref := e.urgentTip(7_100_100_001)

	p.waitNotifications(ref, 1)
	e.settle()
	if s.notifications(ref) != 0 || third.notifications(ref) != 0 {
		t.Fatal("the secondary or others were notified before the deadline")
	}
	e.clock.Advance(5*time.Minute + time.Second)
	s.waitNotifications(ref, 1)
	e.settle()
	if third.notifications(ref) != 0 || p.notifications(ref) != 1 {
		t.Fatalf("after 5 min: primary %d, third %d", p.notifications(ref), third.notifications(ref))
	}
	e.clock.Advance(5*time.Minute + time.Second)
	third.waitNotifications(ref, 1)
	p.waitNotifications(ref, 2)
	s.waitNotifications(ref, 2)

	s.Seen = 0
	s.press("ack:" + string(ref))
	waitInboxDone(t, e.testEnv)
	deadline := time.Now().Add(waitFor)
	for {
		untaken := 0
		for _, r := range e.reviewers {
			for _, m := range e.emu.BotMessages(r.User.ID) {
				if strings.Contains(m.Text, "New case "+string(ref)) {
					untaken++
				}
			}
		}
		if untaken == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d copies not edited to \"taken by\"", untaken)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, r := range e.reviewers {
		for _, m := range e.emu.BotMessages(r.User.ID) {
			if strings.Contains(m.Text, string(ref)+": taken by") && !strings.Contains(m.Text, "Secondary Sokha") {
				t.Errorf("%s's copy: %q", r.rv.Name, m.Text)
			}
		}
	}
	before := map[int64]int{}
	for _, r := range e.reviewers {
		before[r.User.ID] = len(e.emu.BotMessages(r.User.ID))
	}
	e.clock.Advance(2 * time.Hour)
	e.settle()
	for _, r := range e.reviewers {
		if got := len(e.emu.BotMessages(r.User.ID)); got != before[r.User.ID] {
			t.Errorf("%s got %d more messages after the case was taken", r.rv.Name, got-before[r.User.ID])
		}
	}
	c, err := e.db.Case(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != tipline.StatusAcknowledged || c.Assignment.ReviewerID != s.rv.ID {
		t.Errorf("case status %s, assigned to %d", c.Status, c.Assignment.ReviewerID)
	}
	for _, m := range e.emu.Calls() {
		if m.Method == "sendMessage" && m.Params["chat_id"] == strconv.FormatInt(p.User.ID, 10) && m.Params["protect_content"] != "true" {
			t.Errorf("a notification was sent without protect_content")
		}
	}
	e.assertValid()
}

// TestTwoProcessesNotifyOnce: two bot processes work the same database; each
// notification and escalation goes out exactly once.
func TestTwoProcessesNotifyOnce(t *testing.T) {
	e := newOnCallEnv(t, "Primary Pich", "Secondary Sokha", "Third Thida")
	e.startOnCall()
	second := &Main{Getenv: func(k string) string {
		if k == "TIPLINE_INTAKE" {
			return "off"
		}
		return e.env[k]
	}, Now: e.clock.Now}
	e.startMain(second)
	var refs []tipline.Reference
	for i := range 3 {
		_, ref := e.urgentTip(int64(7_100_200_001 + i))
		refs = append(refs, ref)
	}
	for _, ref := range refs {
		e.reviewers[0].waitNotifications(ref, 1)
	}
	e.settle()
	e.clock.Advance(5*time.Minute + time.Second)
	for _, ref := range refs {
		e.reviewers[1].waitNotifications(ref, 1)
	}
	// Let the jobs in hand finish first: a claim's lease runs on the same
	// test clock, and jumping it would free a claim still being worked.
	e.settle()
	e.clock.Advance(5*time.Minute + time.Second)
	for _, ref := range refs {
		e.reviewers[2].waitNotifications(ref, 1)
	}
	e.settle()
	for _, ref := range refs {
		want := []int{2, 2, 1} // primary: level 0 and everyone; secondary: 1 and everyone; third: everyone
		for i, r := range e.reviewers {
			if got := r.notifications(ref); got != want[i] {
				t.Errorf("%s got %d notifications of %s, want %d", r.rv.Name, got, ref, want[i])
			}
		}
	}
	e.assertValid()
}

// TestEscalationSurvivesRestart: the program stops with an escalation
// pending; started again, the escalation still fires, once.
func TestEscalationSurvivesRestart(t *testing.T) {
	e := newOnCallEnv(t, "Primary Pich", "Secondary Sokha")
	stop := e.startOnCall()
	_, ref := e.urgentTip(7_100_300_001)
	e.reviewers[0].waitNotifications(ref, 1)
	stop()
	e.clock.Advance(5*time.Minute + time.Second)
	e.startWithClock()
	e.reviewers[1].waitNotifications(ref, 1)
	e.settle()
	if n := e.reviewers[1].notifications(ref); n != 1 {
		t.Errorf("secondary notified %d times, want once", n)
	}
	e.assertValid()
}

// TestReplyRoundTrip: the reviewer writes to the reporter through the bot
// and the answer comes back to the case; neither learns who the other is.
func TestReplyRoundTrip(t *testing.T) {
	e := newOnCallEnv(t, "Primary Pich")
	e.startOnCall()
	rv := e.reviewers[0]
	rep, ref := e.urgentTip(7_100_400_001)
	rv.take(ref)
	rv.reply(ref, "Canaryquestion: is the girl still in the house?")
	rv.waitText(regexp.MustCompile(`Sent to the reporter`))

	m := rep.waitText(regexp.MustCompile(`Canaryquestion`))
	// Signed only "our team", under a first line that says nothing (the
	// lock screen shows it).
	if first, _, _ := strings.Cut(m.Text, "\n"); first != "📩 សារថ្មី" || !strings.Contains(m.Text, "ពីក្រុមការងាររបស់យើង") {
		t.Errorf("the team's message is not signed by the team under a neutral first line: %q", m.Text)
	}
	rep.Seen = m.ID - 1
	rep.press("ans:" + string(ref))
	rep.MarkSeen()
	e.emu.SendText(rep.User, "Canaryanswer yes she is there tonight")
	got := rv.waitText(regexp.MustCompile(`Canaryanswer`))
	_ = got

	// Neither side sees the other's Telegram id, name or username.
	for _, msg := range e.emu.BotMessages(rep.User.ID) {
		for _, s := range []string{strconv.FormatInt(rv.User.ID, 10), rv.User.FirstName, rv.User.Username, "Primary Pich"} {
			if strings.Contains(msg.Text, s) {
				t.Errorf("the reporter was shown %q", s)
			}
		}
	}
	for _, msg := range e.emu.BotMessages(rv.User.ID) {
		for _, s := range []string{strconv.FormatInt(rep.User.ID, 10), rep.User.FirstName, rep.User.Username} {
			if strings.Contains(msg.Text, s) {
				t.Errorf("the reviewer was shown %q", s)
			}
		}
	}

	// Note and close, then the reporter sees the status under My reports.
	rv.Seen = 0
	rv.press("note:" + string(ref))
	rv.MarkSeen()
	e.emu.SendText(rv.User, "Canarynote called the partner NGO")
	rv.waitText(regexp.MustCompile(`Note saved`))
	rv.closeAs(ref, tipline.OutcomeNoAction)
	rv.waitText(regexp.MustCompile(`closed: No action needed`))
	rep.MarkSeen()
	e.emu.SendText(rep.User, "/mine")
	closed := locales.MustLoad().Text("km", "status_closed", nil)
	rep.waitText(regexp.MustCompile(string(ref) + ` · .* · ` + regexp.QuoteMeta(closed)))

	c, err := e.db.Case(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != tipline.StatusClosed || c.Assignment.Outcome != tipline.OutcomeNoAction || len(c.Additions) != 1 {
		t.Errorf("case = status %s, outcome %s, additions %d", c.Status, c.Assignment.Outcome, len(c.Additions))
	}
	events, err := e.db.Audit(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, ev := range events {
		actions = append(actions, ev.Action)
	}
	for _, want := range []string{"submitted", "acknowledged", "note_added", "information_added", "closed_no_action"} {
		if !strings.Contains(strings.Join(actions, " "), want) {
			t.Errorf("audit %v lacks %s", actions, want)
		}
	}
	e.assertValid()
}

// TestForgedReviewerButtons: forged, replayed and cross-case buttons, and
// reviewer commands from people who are not reviewers: nothing changes,
// nothing is revealed.
func TestForgedReviewerButtons(t *testing.T) {
	e := newOnCallEnv(t, "Primary Pich", "Secondary Sokha")
	e.startOnCall()
	p, s := e.reviewers[0], e.reviewers[1]
	rep, refA := e.urgentTip(7_100_500_001)
	_, refB := e.urgentTip(7_100_500_002)
	p.waitNotifications(refA, 1)
	p.waitNotifications(refB, 1)

	// The primary's real button data for case A.
	var dataA map[string]string = map[string]string{}
	var msgA int
	for _, m := range e.emu.BotMessages(p.User.ID) {
		if strings.Contains(m.Text, "New case "+string(refA)) {
			msgA = m.ID
			for _, row := range m.Buttons {
				for _, b := range row {
					verb, _, _ := strings.Cut(b.Data, ":")
					dataA[verb] = b.Data
				}
			}
		}
	}
	if dataA["ack"] == "" {
		t.Fatal("no acknowledge button")
	}
	cross := strings.Replace(dataA["ack"], string(refA), string(refB), 1)
	sig := dataA["ack"][strings.LastIndex(dataA["ack"], "~"):]
	repMsg := e.emu.BotMessages(rep.User.ID)
	repLast := repMsg[len(repMsg)-1].ID
	sMsgs := e.emu.BotMessages(s.User.ID)
	sLast := sMsgs[len(sMsgs)-1].ID

	attempts := []struct {
		name string
		user telegramemu.User
		msg  int
		data string
		text string
	}{
		{name: "reporter presses the primary's acknowledge", user: rep.User, msg: repLast, data: dataA["ack"]},
		{name: "reporter presses the primary's details", user: rep.User, msg: repLast, data: dataA["det"]},
		{name: "reporter presses the primary's escalate", user: rep.User, msg: repLast, data: dataA["esc"]},
		{name: "secondary replays the primary's acknowledge", user: s.User, msg: sLast, data: dataA["ack"]},
		{name: "secondary replays the primary's details", user: s.User, msg: sLast, data: dataA["det"]},
		{name: "primary's token moved to another case", user: p.User, msg: msgA, data: cross},
		{name: "reporter with the cross-case token", user: rep.User, msg: repLast, data: cross},
		{name: "made-up reviewer action", user: p.User, msg: msgA, data: "ack:" + string(refA) + "~AAAAAAAAAAAA"},
		{name: "close with a borrowed signature", user: p.User, msg: msgA, data: "out:" + string(refA) + ":false" + sig},
		{name: "no signature", user: p.User, msg: msgA, data: "ack:" + string(refA)},
		{name: "reporter-signed data on a reviewer", user: p.User, msg: msgA, data: "menu:tip~AAAAAAAAAAAA"},
		{name: "garbage", user: rep.User, msg: repLast, data: "\x00\x01\x02"},
		{name: "reference of a case that does not exist", user: p.User, msg: msgA, data: strings.Replace(dataA["ack"], string(refA), "TL-3333-3333", 1)},
		{name: "over-long data", user: rep.User, msg: repLast, data: strings.Repeat("a", 64)},
		{name: "reopen by the reporter", user: rep.User, msg: repLast, data: "reopen:" + string(refA) + sig},
		{name: "reporter types /queue", user: rep.User, text: "/queue"},
		{name: "reporter types /oncall", user: rep.User, text: "/oncall"},
		{name: "reporter types a made-up invite", user: rep.User, text: "TLR-AAAAAAAAAAAAAAAA"},
		{name: "reporter sends /start with a made-up invite", user: rep.User, text: "/start TLR-BBBBBBBBBBBBBBBB"},
		{name: "reporter reuses a spent invite", user: rep.User, text: p.code},
		{name: "stranger types /queue", user: telegramemu.User{ID: 7_100_500_099, FirstName: "S", LanguageCode: "th"}, text: "/queue"},
	}
	e.emu.AddUser(telegramemu.User{ID: 7_100_500_099, FirstName: "S", LanguageCode: "th"})
	for _, a := range attempts {
		if a.text != "" {
			e.emu.SendText(a.user, a.text)
		} else {
			e.emu.PressRaw(a.user, a.msg, a.data)
		}
	}
	e.settle()
	for _, ref := range []tipline.Reference{refA, refB} {
		c, err := e.db.Case(context.Background(), ref)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != tipline.StatusReceived || c.Assignment.ReviewerID != 0 {
			t.Errorf("%s changed: status %s, assigned %d", ref, c.Status, c.Assignment.ReviewerID)
		}
		events, _ := e.db.Audit(context.Background(), ref)
		for _, ev := range events {
			if ev.Action != "submitted" && ev.Action != "attachment_stored" {
				t.Errorf("%s: audit shows %s after forged attempts", ref, ev.Action)
			}
		}
	}
	// Nobody who is not a reviewer learned anything about a case.
	for _, u := range []int64{rep.User.ID, 7_100_500_099} {
		for _, m := range e.emu.BotMessages(u) {
			if strings.Contains(m.Text, "New case") || strings.Contains(m.Text, string(refB)) || strings.Contains(m.Text, "reviewer") {
				t.Errorf("a non-reviewer was shown %q", m.Text)
			}
		}
	}
	if len(attempts) < 20 {
		t.Fatalf("only %d attempts", len(attempts))
	}
	e.assertValid()
}

// TestDisabledReviewer: a disabled reviewer's buttons stop working at once.
func TestDisabledReviewer(t *testing.T) {
	e := newOnCallEnv(t, "Primary Pich")
	e.startOnCall()
	p := e.reviewers[0]
	_, ref := e.urgentTip(7_100_600_001)
	p.waitNotifications(ref, 1)
	if err := e.db.DisableReviewer(context.Background(), p.rv.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	p.Seen = 0
	p.press("ack:" + string(ref))
	p.waitText(regexp.MustCompile(`does not work`))
	waitInboxDone(t, e.testEnv)
	c, err := e.db.Case(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != tipline.StatusReceived {
		t.Errorf("a disabled reviewer acknowledged the case: %s", c.Status)
	}
	e.assertValid()
}

// TestForgottenCaseFound: a case whose routing job was deleted by hand is
// found by the periodic check, logged loudly, and everyone is notified (G4).
func TestForgottenCaseFound(t *testing.T) {
	e := newOnCallEnv(t, "Primary Pich", "Secondary Sokha", "Third Thida")
	e.startOnCall()
	_, ref := e.urgentTip(7_100_700_001)
	e.reviewers[0].waitNotifications(ref, 1)
	// Wait for the next level to be scheduled, then lose it.
	deadline := time.Now().Add(waitFor)
	for {
		// Straight from the database: production never lists a case's jobs.
		levels := e.countWhere("jobs", `level = 1 AND case_id = (SELECT id FROM `+e.schema+`.cases WHERE reference = '`+string(ref)+`')`)
		if all := e.countWhere("jobs", "true"); all == 1 && levels == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pending jobs: %d, want only level 1", e.countRows("jobs"))
		}
		time.Sleep(5 * time.Millisecond)
	}
	mustExec(t, e.testEnv, `DELETE FROM `+e.schema+`.jobs`)
	e.clock.Advance(2 * time.Minute)
	e.reviewers[2].waitNotifications(ref, 1)
	if !strings.Contains(e.logs.String(), "FORGOTTEN CASE") || !strings.Contains(e.logs.String(), string(ref)) {
		t.Error("the forgotten case was not logged loudly")
	}
	e.assertValid()
}
