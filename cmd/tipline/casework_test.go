package main

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline"
)

// TestReviewerCaseWork walks a case as a case manager works it, through
// the bot: classify (kind, then risk), read Details as one timeline, close
// as referred to a named partner; then the closed case is inert (an old
// outcome button says "already closed"). A second report is linked as
// the same as the first, after a mistyped reference; /find finds cases by
// reference, by place words and near a shared location.
func TestReviewerCaseWork(t *testing.T) {
	ctx := context.Background()
	e := newOnCallEnv(t, "Primary Pich", "Secondary Sokha")
	e.startOnCall()
	rv := e.reviewers[0]
	partner, err := e.db.AddPartner(ctx, "APLE Cambodia", tipline.PartnerNGO, "KH")
	if err != nil {
		t.Fatal(err)
	}
	_, ref := e.urgentTip(7_100_900_001)
	rv.take(ref)

	// Classify: kind, then risk; the reporter's own answer is shown beside it.
	rv.press("cls:" + string(ref))
	rv.waitText(regexp.MustCompile(`What the reporter says is happening: Sale of a child`))
	rv.press("cls:" + string(ref) + ":labour")
	rv.press("rsk:" + string(ref) + ":labour:high")
	rv.waitText(regexp.MustCompile(`is classified\.[\s\S]*Forced labour · High risk`))
	// The notification, once taken, keeps urgency and area and shows the
	// classification.
	seen := rv.Seen
	rv.Seen = 0
	rv.waitText(regexp.MustCompile(`taken by Primary Pich\.[\s\S]*URGENT · child at risk · 📍[\s\S]*Classified: Forced labour · High risk`))
	rv.Seen = seen

	// Details: one timeline, the reporter's language.
	rv.press("det:" + string(ref))
	det := rv.waitText(regexp.MustCompile(`What happened:`))
	for _, want := range []string{"Reporter's language: Khmer", "Written with a photo: Canarycaption7100900001 a picture from last month", "The reporter sent the report", "Taken by Primary Pich", "Classified by Primary Pich: Forced labour · High risk"} {
		if !strings.Contains(det.Text, want) {
			t.Errorf("Details lack %q:\n%s", want, det.Text)
		}
	}
	// The photo comes on request ("📎 Files 1-1 of 1"), with the words its
	// reporter wrote with it.
	rv.press("fil:" + string(ref) + ":0")
	photoWithWords := func() bool {
		for _, m := range e.emu.BotMessages(rv.User.ID) {
			if m.Photo && m.ID > det.ID && strings.Contains(m.Caption, "Canarycaption7100900001 a picture from last month") && m.ProtectContent {
				return true
			}
		}
		return false
	}
	for deadline := time.Now().Add(15 * time.Second); !photoWithWords(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the photo did not come with its caption:\n%s", rv.Transcript())
		}
	}
	if !(strings.Index(det.Text, "sent the report") < strings.Index(det.Text, "Taken by") && strings.Index(det.Text, "Taken by") < strings.Index(det.Text, "Classified by")) {
		t.Errorf("the timeline is out of order:\n%s", det.Text)
	}
	// The read left a trace: in the case's audit, and in the list of what
	// this reviewer opened (for the day their phone is lost).
	if out, err := e.runCLI(t, "audit", "--reviewer", "1", "--since", "1d"); err != nil || !regexp.MustCompile(string(ref)+`\s+reviewer:1\s+viewed:details`).MatchString(out) {
		t.Errorf("audit --reviewer 1: %v\n%s", err, out)
	}
	if out, err := e.runCLI(t, "audit", string(ref)); err != nil || !strings.Contains(out, "viewed:details") {
		t.Errorf("audit %s shows no read: %v\n%s", ref, err, out)
	}

	// Close as referred to a named partner (from Details' buttons).
	rv.Seen = det.ID - 1
	rv.press("close:" + string(ref))
	rv.press("out:" + string(ref) + ":partner")
	rv.press("ref:" + string(ref) + ":" + strconv.FormatInt(partner.ID, 10))
	rv.waitText(regexp.MustCompile(`Refer ` + string(ref) + ` to APLE Cambodia and close it\?`))
	if c := mustCase(t, e.testEnv, ref); c.Status == tipline.StatusClosed {
		t.Fatal("closed before the referral was confirmed")
	}
	rv.press("ref:" + string(ref) + ":" + strconv.FormatInt(partner.ID, 10) + ":y")
	rv.waitText(regexp.MustCompile(`closed: referred to APLE Cambodia`))
	c := mustCase(t, e.testEnv, ref)
	if c.Status != tipline.StatusClosed || c.Assignment.PartnerID != partner.ID {
		t.Fatalf("case %s, %+v; want closed, referred to %d", c.Status, c.Assignment, partner.ID)
	}

	// An old outcome button on the closed case does nothing but say so.
	rv.Seen = 0
	rv.press("out:" + string(ref) + ":no_action")
	rv.waitText(regexp.MustCompile(`already closed \(Referred to a partner\)\. Reopen it first`))
	if c := mustCase(t, e.testEnv, ref); c.Assignment.Outcome != tipline.OutcomePartner {
		t.Errorf("outcome %s after an old button, want partner", c.Assignment.Outcome)
	}

	// A second report of the same: linked after a mistyped reference.
	_, newer := e.urgentTip(7_100_900_002)
	rv.Seen = 0
	rv.take(newer)
	rv.press("dup:" + string(newer))
	rv.MarkSeen()
	e.emu.SendText(rv.User, "the first one")
	rv.waitText(regexp.MustCompile(`does not look like a reference`))
	e.emu.SendText(rv.User, strings.ToLower(string(ref)))
	rv.waitText(regexp.MustCompile(string(newer) + ` is closed as the same as ` + string(ref)))
	if c := mustCase(t, e.testEnv, newer); c.Assignment.Outcome != tipline.OutcomeDuplicate || c.Assignment.DuplicateOf != ref {
		t.Errorf("newer case %+v, want a duplicate of %s", c.Assignment, ref)
	}

	// /find: by reference, by place words, near a location.
	_, open := e.urgentTip(7_100_900_003)
	rv.MarkSeen()
	e.emu.SendText(rv.User, "/find "+string(ref))
	// The case classified above shows its classification in the list.
	rv.waitText(regexp.MustCompile(`Cases found:\n` + string(ref) + ` · [^\n]*Forced labour \(High risk\)`))
	e.emu.SendText(rv.User, "/find nowhere at all")
	rv.waitText(regexp.MustCompile(`No open case found\. Place words and locations search open cases only`))
	e.emu.SendLocation(rv.User, 11.57, 104.92)
	m := rv.waitText(regexp.MustCompile(`Open cases found \(closed cases are not searched by place\):\n` + string(open) + ` · \d+\.\d km · `))
	if strings.Contains(m.Text, string(ref)) {
		t.Errorf("a closed case found near a location:\n%s", m.Text)
	}
	e.assertValid()
}

// TestEscalationAlone: the only active reviewer escalating is told that
// nobody else can be notified, and is not notified again as "round 2".
func TestEscalationAlone(t *testing.T) {
	e := newOnCallEnv(t, "Primary Pich")
	e.startOnCall()
	rv := e.reviewers[0]
	_, ref := e.urgentTip(7_100_900_101)
	rv.press("esc:" + string(ref))
	rv.waitText(regexp.MustCompile(`you are the only reviewer; nobody else can be notified`))
	e.settle()
	time.Sleep(200 * time.Millisecond)
	for _, m := range e.emu.BotMessages(rv.User.ID) {
		if strings.Contains(m.Text, "(round ") {
			t.Errorf("notified of their own escalation: %q", m.Text)
		}
	}
	audit, err := e.db.Audit(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range audit {
		if a.Action == "escalated" {
			t.Errorf("an escalation recorded with nobody to tell: %+v", a)
		}
	}
}

// TestAdditionToAClosedCase: the reporter answers the team after the case
// was closed; the answer is kept and reaches the reviewer who closed it,
// with a Reopen button, never dropped.
func TestAdditionToAClosedCase(t *testing.T) {
	e := newOnCallEnv(t, "Primary Pich")
	e.startOnCall()
	rv := e.reviewers[0]
	rep, ref := e.urgentTip(7_100_900_201)
	rv.take(ref)
	rv.reply(ref, "Is she still there?")
	rv.waitText(regexp.MustCompile(`Sent to the reporter`))
	rv.closeAs(ref, tipline.OutcomeNoAction)
	rv.waitText(regexp.MustCompile(`closed: No action needed`))

	m := rep.waitText(regexp.MustCompile(`Is she still there`))
	rep.Seen = m.ID - 1
	rep.press("ans:" + string(ref))
	rep.MarkSeen()
	e.emu.SendText(rep.User, "Canarylate she left this morning")
	rv.waitText(regexp.MustCompile(`which is closed[\s\S]*Canarylate`))
	rv.waitButton("reopen:" + string(ref))
	if c := mustCase(t, e.testEnv, ref); c.Status != tipline.StatusClosed || len(c.Additions) != 1 {
		t.Errorf("case %s with %d additions, want closed with the answer kept", c.Status, len(c.Additions))
	}
}
