package main

import (
	"context"
	"encoding/base64"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/review"
)

// reviewerToken signs, with the test's key, a reviewer button for user on
// the case version given: what a reviewer would hold if a button for the
// case had ever reached them.
func (e *testEnv) reviewerToken(user int64, action, version string) string {
	exp := strconv.FormatInt(time.Now().Add(time.Hour).Unix()/60, 36)
	payload := action + "!" + version + "!" + exp
	mac := e.ring.SignButton("reviewer:"+strconv.FormatInt(user, 10)+":"+payload, 9)
	return payload + "~" + base64.RawURLEncoding.EncodeToString(mac)
}

// TestOnlyTheTakerActs: the secondary holds valid, current buttons for a
// case the primary took. Replying to the reporter, closing, blocking,
// noting and escalating do nothing; they are offered "Take over from
// Primary Pich" instead. Taking over is audited and the primary is told;
// the primary's own old buttons then act no more.
func TestOnlyTheTakerActs(t *testing.T) {
	e := newOnCallEnv(t, "Primary Pich", "Secondary Sokha")
	e.startOnCall()
	p, s := e.reviewers[0], e.reviewers[1]
	rep, ref := e.urgentTip(7_100_600_001)
	p.take(ref)
	p.waitText(regexp.MustCompile(regexp.QuoteMeta(string(ref)) + `: taken by Primary Pich`))

	c := mustCase(t, e.testEnv, ref)
	version := review.Version(c)
	repSeen := len(e.emu.BotMessages(rep.User.ID))
	sMsgs := e.emu.BotMessages(s.User.ID)
	last := sMsgs[len(sMsgs)-1].ID
	for _, action := range []string{"rep:", "note:", "close:", "blk:", "esc:", "det:", "ack:"} {
		e.emu.PressRaw(s.User, last, e.reviewerToken(s.User.ID, action+string(ref), version))
	}
	e.emu.PressRaw(s.User, last, e.reviewerToken(s.User.ID, "out:"+string(ref)+":false", version))
	e.emu.PressRaw(s.User, last, e.reviewerToken(s.User.ID, "out:"+string(ref)+":false:y", version))
	e.settle()

	c = mustCase(t, e.testEnv, ref)
	if c.Status != tipline.StatusAcknowledged || c.Assignment.ReviewerID != p.rv.ID {
		t.Fatalf("after the secondary's presses: %s, with %d; want acknowledged, with the primary %d", c.Status, c.Assignment.ReviewerID, p.rv.ID)
	}
	for _, ev := range mustAudit(t, e, ref) {
		if ev.Actor == "reviewer:"+strconv.FormatInt(s.rv.ID, 10) {
			t.Errorf("the secondary's press was carried out: %s", ev.Action)
		}
	}
	if blocked, _ := e.db.IsBlocked(context.Background(), e.ring.Pseudonyms(rep.User.ID)...); blocked {
		t.Errorf("the secondary blocked the primary's reporter")
	}
	if n := len(e.emu.BotMessages(rep.User.ID)); n != repSeen {
		t.Errorf("the reporter got %d messages from the secondary's presses", n-repSeen)
	}
	offers := 0
	for _, m := range e.emu.BotMessages(s.User.ID) {
		if strings.Contains(m.Text, string(ref)+" is with Primary Pich") {
			offers++
		}
		if strings.Contains(m.Text, "Type your message to the reporter") || strings.Contains(m.Text, "How was") {
			t.Errorf("the secondary was let in: %q", m.Text)
		}
	}
	if offers != 9 {
		t.Errorf("the secondary was offered to take over %d times, want 9 (one per press)\n%s", offers, s.Transcript())
	}

	// The primary's reply button, kept (a message keeps its buttons until
	// edited; a forwarded or copied one keeps them for ever).
	p.Seen = 0
	_, oldReply := p.waitButton("rep:" + string(ref))

	// The secondary takes over: audited, and the primary is told.
	s.Seen = 0
	s.press("tko:" + string(ref))
	s.waitText(regexp.MustCompile(`Why do you take ` + regexp.QuoteMeta(string(ref)) + ` over from Primary Pich\?`))
	s.press("tko:" + string(ref) + ":unreachable")
	p.waitText(regexp.MustCompile(`Secondary Sokha took over ` + regexp.QuoteMeta(string(ref))))
	e.settle()
	c = mustCase(t, e.testEnv, ref)
	if c.Assignment.ReviewerID != s.rv.ID {
		t.Fatalf("after the take-over the case is with %d, want the secondary %d", c.Assignment.ReviewerID, s.rv.ID)
	}
	events := mustAudit(t, e, ref)
	// The take-over, its reason, then the read of the case it shows.
	who := "reviewer:" + strconv.FormatInt(s.rv.ID, 10)
	var last3 []string
	for _, e := range events[len(events)-3:] {
		last3 = append(last3, e.Actor+" "+e.Action)
	}
	if want := []string{who + " reassigned_to_" + strconv.FormatInt(s.rv.ID, 10), who + " take_over_why:unreachable", who + " viewed:details"}; !slices.Equal(last3, want) {
		t.Fatalf("last audit events %v, want %v", last3, want)
	}

	// The primary's old "reply" button no longer acts.
	e.emu.PressRaw(p.User, 1, oldReply)
	p.waitText(regexp.MustCompile(regexp.QuoteMeta(string(ref)) + ` has changed since this button was made`))
	p.waitText(regexp.MustCompile(regexp.QuoteMeta(string(ref)) + ` is with Secondary Sokha`))
	e.settle()
	for _, m := range e.emu.BotMessages(p.User.ID) {
		if strings.Contains(m.Text, "Type your message to the reporter") {
			t.Errorf("the primary's old button still acts: %q", m.Text)
		}
	}
}

func mustAudit(t *testing.T, e *onCallEnv, ref tipline.Reference) []tipline.AuditEvent {
	t.Helper()
	events, err := e.db.Audit(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// TestCasesReassign: the operator gives a case to another reviewer from the
// command line; it is audited as the operator's; a closed case, an
// unknown reviewer or a bad reference are refused with a message that
// says what to fix.
func TestCasesReassign(t *testing.T) {
	e := newOnCallEnv(t, "Primary Pich", "Secondary Sokha")
	e.startOnCall()
	p, s := e.reviewers[0], e.reviewers[1]
	_, ref := e.urgentTip(7_100_600_101)
	p.take(ref)

	out, err := e.runCLI(t, "cases", "reassign", string(ref), "--to", strconv.FormatInt(s.rv.ID, 10))
	if err != nil || !strings.Contains(out, "now with reviewer "+strconv.FormatInt(s.rv.ID, 10)) {
		t.Fatalf("cases reassign: %v\n%s", err, out)
	}
	if c := mustCase(t, e.testEnv, ref); c.Assignment.ReviewerID != s.rv.ID {
		t.Fatalf("the case is with %d, want %d", c.Assignment.ReviewerID, s.rv.ID)
	}
	events := mustAudit(t, e, ref)
	if got := events[len(events)-1]; got.Actor != "operator" || got.Action != "reassigned_to_"+strconv.FormatInt(s.rv.ID, 10) {
		t.Fatalf("last audit event %s %s, want operator reassigned_to_%d", got.Actor, got.Action, s.rv.ID)
	}
	for _, args := range [][]string{
		{"cases", "reassign", string(ref), "--to", "999"},
		{"cases", "reassign", "nonsense", "--to", "1"},
		{"cases", "reassign", string(ref)},
		{"cases"},
	} {
		if out, err := e.runCLI(t, args...); err == nil {
			t.Errorf("%q was accepted: %s", args, out)
		}
	}
}

// TestDisablingSendsCasesBackToRouting: the primary has a case and is
// disabled; the case goes back to routing and reaches the secondary, who
// can take it.
func TestDisablingSendsCasesBackToRouting(t *testing.T) {
	e := newOnCallEnv(t, "Primary Pich", "Secondary Sokha")
	e.startOnCall()
	p, s := e.reviewers[0], e.reviewers[1]
	_, ref := e.urgentTip(7_100_600_201)
	p.take(ref)
	e.settle()
	if out, err := e.runCLI(t, "reviewers", "disable", strconv.FormatInt(p.rv.ID, 10)); err != nil {
		t.Fatalf("reviewers disable: %v\n%s", err, out)
	}
	if c := mustCase(t, e.testEnv, ref); c.Status != tipline.StatusReceived || c.Assignment.ReviewerID != 0 {
		t.Fatalf("the disabled reviewer's case: %s, with %d; want received, nobody's", c.Status, c.Assignment.ReviewerID)
	}
	for i := 0; i < 3 && s.notifications(ref) == 0; i++ {
		e.settle()
		e.clock.Advance(5*time.Minute + time.Second)
	}
	s.take(ref)
	s.waitText(regexp.MustCompile(regexp.QuoteMeta(string(ref)) + `: taken by Secondary Sokha`))
	if c := mustCase(t, e.testEnv, ref); c.Assignment.ReviewerID != s.rv.ID {
		t.Fatalf("the case is with %d, want the secondary %d", c.Assignment.ReviewerID, s.rv.ID)
	}
}

// TestAdditionToADisabledReviewersCase: a reporter adds to a case that was
// closed by a reviewer since disabled; the addition is stored and the
// operator is told loudly, never silently dropped.
func TestAdditionToADisabledReviewersCase(t *testing.T) {
	e := newOnCallEnv(t, "Primary Pich")
	e.startOnCall()
	p := e.reviewers[0]
	rep, ref := e.urgentTip(7_100_600_301)
	p.take(ref)
	e.emu.SendText(rep.User, "/start")
	rep.press("menu:mine")
	rep.press("add:" + string(ref))
	rep.MarkSeen()
	p.closeAs(ref, tipline.OutcomeNoAction)
	p.waitText(regexp.MustCompile(`closed: No action needed`))
	if out, err := e.runCLI(t, "reviewers", "disable", strconv.FormatInt(p.rv.ID, 10)); err != nil {
		t.Fatalf("reviewers disable: %v\n%s", err, out)
	}
	e.emu.SendText(rep.User, "one more thing: the car is white")
	waitInboxDone(t, e.testEnv)
	if c := mustCase(t, e.testEnv, ref); len(c.Additions) != 1 {
		t.Fatalf("the case has %d additions, want 1", len(c.Additions))
	}
	deadline := time.Now().Add(waitFor)
	for !strings.Contains(e.logs.String(), "information was added to a case whose reviewer is disabled") {
		if time.Now().After(deadline) {
			t.Fatalf("no loud log line for an addition nobody will hear of\n%s", e.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
