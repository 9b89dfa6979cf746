package review

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/internal/testclock"
	"github.com/tipline/tipline/storage/memory"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// fixture is an in-memory store with three reviewers (1 will have the
// case, 2 is another reviewer, 3 an admin) and one case of a reporter who
// allows contact.
type fixture struct {
	store *memory.Store
	clock *testclock.Clock
	desk  *Desk
	rvs   []tipline.Reviewer
	ref   tipline.Reference
	woken int
}

func (f *fixture) RouteSoon() { f.woken++ }

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{clock: testclock.New(t0), ref: "TL-7K3Q-9XDM"}
	f.store = memory.New(f.clock.Now)
	for i, name := range []string{"Dara", "Sophea", "Admin"} {
		code := []byte(name)
		if err := f.store.CreateInvite(ctx, code, name, i == 2, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		rv, err := f.store.RedeemInvite(ctx, code, int64(7000+i), []string{"en", "km", "th"}[i], t0)
		if err != nil {
			t.Fatal(err)
		}
		f.rvs = append(f.rvs, rv)
	}
	if _, _, err := f.store.SubmitCase(ctx, tipline.NewCase{
		DraftID: "d1", Reference: f.ref, Kind: tipline.KindTip, Urgency: tipline.UrgencyUrgent, Lang: "km",
		Reporter: "pseudo", ReporterChatID: 4242, ContactAllowed: true,
		Answers:     tipline.Answers{"what": "a child at the market", tipline.AnswerHappening: "begging"},
		Attachments: []tipline.Attachment{{Kind: "photo", FileID: "F1", FileUniqueID: "U1"}},
		SubmittedAt: t0,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.AddPartner(ctx, "APLE Cambodia", tipline.PartnerNGO, "KH"); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	router := &Router{Store: f.store, Notifier: f, Log: log, Now: f.clock.Now}
	f.desk = &Desk{Store: f.store, Notifier: f, Log: log, Now: f.clock.Now, Router: router}
	return f
}

func (f *fixture) caseNow(t *testing.T) tipline.Case {
	t.Helper()
	c, err := f.store.Case(context.Background(), f.ref)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// firstIDs are the message IDs of the first line of each Out, files as
// "file".
func firstIDs(outs []Out) []string {
	var ids []string
	for _, o := range outs {
		switch {
		case o.File != nil:
			ids = append(ids, "file")
		case len(o.Message.Lines) > 0:
			ids = append(ids, o.Message.Lines[0].ID)
		}
	}
	return ids
}

// TestDeskEveryActionEveryRole runs the authorisation table through the
// Desk on the in-memory store: an allowed action has its effect on the
// store and says so; any other leaves the case as it was and answers with
// what the reviewer may do instead.
func TestDeskEveryActionEveryRole(t *testing.T) {
	ctx := context.Background()
	for _, tb := range authorizeTables() {
		for _, act := range Actions {
			w := tb.want[act]
			for i, who := range []struct {
				name string
				want Decision
			}{{"taker", w.taker}, {"other reviewer", w.other}, {"admin", w.admin}, {"disabled", w.disabled}} {
				t.Run(fmt.Sprintf("%s/%s/%s", tb.name, act, who.name), func(t *testing.T) {
					f := newFixture(t)
					switch tb.c.Status {
					case tipline.StatusAcknowledged:
						f.take(t, 1)
					case tipline.StatusClosed:
						f.take(t, 1)
						if err := f.store.CloseCase(ctx, f.ref, 1, tipline.Outcomes[0], t0); err != nil {
							t.Fatal(err)
						}
					}
					rv := f.rvs[min(i, 2)]
					if who.name == "disabled" {
						rv = f.rvs[0]
						rv.Active = false
					}
					f.clock.Advance(time.Minute)
					before := f.caseNow(t)
					p := samplePress(act, f.ref)
					var st State
					outs, err := f.desk.Press(ctx, rv, p, Version(before), &st)
					if err != nil {
						t.Fatal(err)
					}
					after := f.caseNow(t)
					ids := firstIDs(outs)
					if who.want != Allow {
						want := map[Decision]string{OfferTake: "rv_take_first", OfferTakeOver: "rv_case_is_with", Refuse: "rv_not_allowed", ReopenFirst: "rv_already_closed"}[who.want]
						if !slices.Equal(ids, []string{want}) {
							t.Errorf("got %v, want [%s]", ids, want)
						}
						if Version(after) != Version(before) || st != (State{}) {
							t.Errorf("the case or the state changed: %s → %s, %+v", Version(before), Version(after), st)
						}
						return
					}
					checkEffect(t, f, act, rv, before, after, st, ids)
				})
			}
		}
	}
}

// samplePress is a press of act on ref with its choices made: an outcome
// that closes at once, a reason, a kind and a risk, the fixture's partner.
func samplePress(act Action, ref tipline.Reference) Press {
	p := On(act, ref)
	switch act {
	case Outcome:
		p.Outcome, p.Confirmed = tipline.OutcomeNoAction, true
	case BlockFor:
		p.Reason = tipline.BlockThreats
	case Classify:
		p.Exploitation = tipline.ExploitSale
	case SetRisk:
		p.Exploitation, p.Risk = tipline.ExploitLabour, tipline.RiskHigh
	case Refer:
		p.Partner, p.Confirmed = 1, true
	case Files, Read:
		p.Page = 0
	case TakeOver:
		p.Why = WhyUnreachable
	}
	return p
}

// take has reviewer id take the case.
func (f *fixture) take(t *testing.T, id int64) {
	t.Helper()
	if _, _, err := f.store.Acknowledge(context.Background(), f.ref, id, t0); err != nil {
		t.Fatal(err)
	}
}

// checkEffect checks what an allowed action did to the store and said.
func checkEffect(t *testing.T, f *fixture, act Action, rv tipline.Reviewer, before, after tipline.Case, st State, ids []string) {
	t.Helper()
	ctx := context.Background()
	wantIDs := func(want ...string) {
		t.Helper()
		if !slices.Equal(ids, want) {
			t.Errorf("said %v, want %v", ids, want)
		}
	}
	switch act {
	case Take:
		if after.Assignment.ReviewerID != rv.ID || after.Status != tipline.StatusAcknowledged {
			t.Errorf("case with %d, %s; want taken by %d", after.Assignment.ReviewerID, after.Status, rv.ID)
		}
		// No notification was sent in this test, so there is no copy to edit.
		wantIDs()
	case Details:
		wantIDs("rv_details_title") // the files wait for their own button
	case Read:
		wantIDs("rv_read_none") // the fixture's words are short: nothing was cut
	case Files:
		wantIDs("file", "rv_files_sent")
	case Escalate:
		wantIDs("rv_escalated")
		if f.woken != 1 {
			t.Errorf("router woken %d times, want 1", f.woken)
		}
	case Reply:
		wantIDs("rv_type_reply")
		if st.Mode != ModeReply || st.Case != f.ref || st.Version != Version(before) {
			t.Errorf("state %+v, want a reply on %s", st, f.ref)
		}
	case Note:
		wantIDs("rv_type_note")
		if st.Mode != ModeNote || st.Case != f.ref {
			t.Errorf("state %+v, want a note on %s", st, f.ref)
		}
	case Close:
		wantIDs("rv_close_how")
		if after.Status == tipline.StatusClosed {
			t.Error("Close closed the case; it only asks how")
		}
	case Outcome:
		wantIDs("rv_closed")
		if after.Status != tipline.StatusClosed {
			t.Errorf("status %s, want closed", after.Status)
		}
	case Block:
		// Never one tap: it asks why, and blocks nobody yet.
		wantIDs("rv_block_why")
		if blocked, err := f.store.IsBlocked(ctx, "pseudo"); err != nil || blocked {
			t.Errorf("reporter blocked %v (%v), want not blocked yet", blocked, err)
		}
	case BlockFor:
		wantIDs("rv_blocked_for")
		if blocked, err := f.store.IsBlocked(ctx, "pseudo"); err != nil || !blocked {
			t.Errorf("reporter blocked %v (%v), want blocked", blocked, err)
		}
	case Unblock:
		wantIDs("rv_unblocked")
	case Classify:
		wantIDs("rv_classify_risk")
	case SetRisk:
		wantIDs("rv_classified")
		if cl := after.Classification; cl.Exploitation != tipline.ExploitLabour || cl.Risk != tipline.RiskHigh {
			t.Errorf("classification %+v, want labour, high", cl)
		}
	case Refer:
		if before.Status == tipline.StatusClosed {
			// Closed otherwise than as referred: no referral.
			wantIDs("rv_already_closed")
			if after.Assignment != before.Assignment {
				t.Errorf("the closed case changed: %+v", after.Assignment)
			}
			return
		}
		wantIDs("rv_referred")
		if after.Status != tipline.StatusClosed || after.Assignment.PartnerID != 1 || after.Assignment.Outcome != tipline.OutcomePartner {
			t.Errorf("case %s, %+v; want closed, referred to partner 1", after.Status, after.Assignment)
		}
	case Send:
		// Nothing was typed: nothing is sent.
		wantIDs("rv_nothing_to_send")
	case Discard:
		wantIDs("rv_reply_discarded")
	case SameAs:
		wantIDs("rv_type_same_as")
		if st.Mode != ModeSame || st.Case != f.ref {
			t.Errorf("state %+v, want same-as on %s", st, f.ref)
		}
	case Reopen:
		wantIDs("rv_reopened")
		if after.Status == tipline.StatusClosed {
			t.Error("still closed")
		}
	case TakeOver:
		if after.Assignment.ReviewerID != rv.ID {
			t.Errorf("case with %d, want %d", after.Assignment.ReviewerID, rv.ID)
		}
		if before.Assignment.ReviewerID != 0 && before.Assignment.ReviewerID != rv.ID {
			// The holder is told, and every admin but the taker.
			want := []string{"rv_taken_over", "rv_details_title"}
			if !rv.Admin {
				want = []string{"rv_taken_over", "rv_taken_over_admin", "rv_details_title"}
			}
			wantIDs(want...)
		} else if before.Assignment.ReviewerID == 0 {
			wantIDs("rv_details_title")
		}
	default:
		t.Fatalf("no check for %s", act)
	}
}

// TestDeskTypedText: a reply is shown back first with Send and Cancel, and
// reaches the reporter only on Send (in their language, with the "answer"
// button), saved once however often Send is repeated; Cancel sends
// nothing; a note is saved once; a text after the case changed hands is
// not used.
func TestDeskTypedText(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.take(t, 1)
	dara := f.rvs[0]
	var st State
	if _, err := f.desk.Press(ctx, dara, On(Reply, f.ref), Version(f.caseNow(t)), &st); err != nil {
		t.Fatal(err)
	}
	outs, err := f.desk.Text(ctx, dara, "Thank you", "u:7", &st)
	if err != nil {
		t.Fatal(err)
	}
	wantSaid(t, outs, "rv_reply_confirm")
	if got := actions(outs[0]); !slices.Equal(got, []string{"snd:" + string(f.ref), "dsc:" + string(f.ref)}) {
		t.Errorf("buttons %v, want Send and Cancel", got)
	}
	if notes, _ := f.store.Notes(ctx, f.ref); len(notes) != 0 {
		t.Fatalf("notes %+v before Send, want none", notes)
	}
	for range 2 { // the same Send again (a crash before the state was saved): one note
		again := st
		outs := f.press(t, dara, On(Send, f.ref), &again)
		if len(outs) != 2 || !outs[0].To.Reporter() || outs[0].To.ChatID != 4242 || outs[0].To.Lang != "km" || outs[0].Protect {
			t.Fatalf("outs %+v: want the reporter's message first, unprotected, in km", outs)
		}
		if got := outs[0].Message.Buttons[0][0].Action; got != "ans:"+string(f.ref) {
			t.Errorf("answer button %q", got)
		}
		if again != (State{}) {
			t.Errorf("state %+v after Send, want none", again)
		}
	}
	notes, _ := f.store.Notes(ctx, f.ref)
	if len(notes) != 1 || notes[0].Kind != tipline.NoteToReporter || notes[0].Text != "Thank you" {
		t.Fatalf("notes %+v, want one to_reporter", notes)
	}
	// A second message, cancelled: nothing goes, and Send after it has
	// nothing to send.
	f.press(t, dara, On(Reply, f.ref), &st)
	if _, err := f.desk.Text(ctx, dara, "Wrong chat, sorry", "u:9", &st); err != nil {
		t.Fatal(err)
	}
	wantSaid(t, f.press(t, dara, On(Discard, f.ref), &st), "rv_reply_discarded")
	wantSaid(t, f.press(t, dara, On(Send, f.ref), &st), "rv_nothing_to_send")
	if notes, _ := f.store.Notes(ctx, f.ref); len(notes) != 1 {
		t.Fatalf("notes %+v after Cancel, want still one", notes)
	}

	// Sophea takes the case over while Dara types a note: Dara's note is not used.
	if _, err := f.desk.Press(ctx, dara, On(Note, f.ref), Version(f.caseNow(t)), &st); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	if _, err := f.desk.Press(ctx, f.rvs[1], Press{Action: TakeOver, Case: f.ref, Why: WhyUnreachable}, Version(f.caseNow(t)), new(State)); err != nil {
		t.Fatal(err)
	}
	outs, err = f.desk.Text(ctx, dara, "private", "u:8", &st)
	if err != nil {
		t.Fatal(err)
	}
	if ids := firstIDs(outs); len(ids) == 0 || ids[0] != "rv_not_sent" {
		t.Errorf("said %v, want rv_not_sent first", ids)
	}
	if notes, _ := f.store.Notes(ctx, f.ref); len(notes) != 1 {
		t.Errorf("%d notes, want the note not saved", len(notes))
	}
}

// TestDeskOldButton: a button made for an earlier version shows the case
// as it is now instead of acting, without sending its files again (L2).
func TestDeskOldButton(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	old := Version(f.caseNow(t))
	f.take(t, 1)
	outs, err := f.desk.Press(ctx, f.rvs[0], On(Escalate, f.ref), old, new(State))
	if err != nil {
		t.Fatal(err)
	}
	if ids := firstIDs(outs); !slices.Equal(ids, []string{"rv_button_old", "rv_details_title"}) {
		t.Errorf("said %v", ids)
	}
}

// TestParseAction: every action reads back from its button's string.
func TestParseAction(t *testing.T) {
	for _, a := range Actions {
		p := samplePress(a, "TL-7K3Q-9XDM")
		got, err := ParseAction(p.String())
		if err != nil || got != p {
			t.Errorf("ParseAction(%q) = %+v, %v; want %+v", p.String(), got, err, p)
		}
	}
	if p := On(Classify, "TL-7K3Q-9XDM"); func() bool { got, err := ParseAction(p.String()); return err != nil || got != p }() {
		t.Error("Classify without a kind does not read back")
	}
	for _, bad := range []string{"ack:nonsense", "ack:TL-7K3Q-9XDM:x", "rsk:TL-7K3Q-9XDM:sale", "rsk:TL-7K3Q-9XDM:sale:extreme",
		"cls:TL-7K3Q-9XDM:bad", "ref:TL-7K3Q-9XDM:0", "ref:TL-7K3Q-9XDM:x", "blr:TL-7K3Q-9XDM:rude", "blr:TL-7K3Q-9XDM", "out:TL-7K3Q-9XDM"} {
		if _, err := ParseAction(bad); err == nil {
			t.Errorf("ParseAction(%q) parsed", bad)
		}
	}
	// The longest action fits Telegram's 64 bytes once signed (about 27
	// bytes of version, expiry and signature).
	long := Press{Action: SetRisk, Case: "TL-7K3Q-9XDM", Exploitation: tipline.ExploitBegging, Risk: tipline.RiskImmediate}.String()
	if len(long) > 64-27 {
		t.Errorf("%q is %d bytes, too long to sign", long, len(long))
	}
}

// TestDeskAdded: what a reporter adds reaches the reviewer who has the
// case, words then files; nobody hears of it on a case nobody has (the
// router's notifications show it).
func TestDeskAdded(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	add := tipline.Addition{Text: "more", Attachments: []tipline.Attachment{{Kind: "voice", FileID: "V1"}}}
	if outs, err := f.desk.Added(ctx, f.ref, add); err != nil || len(outs) != 0 {
		t.Fatalf("nobody has it: %v, %v", outs, err)
	}
	f.take(t, 2)
	outs, err := f.desk.Added(ctx, f.ref, add)
	if err != nil {
		t.Fatal(err)
	}
	if ids := firstIDs(outs); !slices.Equal(ids, []string{"rv_reporter_added", "file"}) || outs[0].To.Reviewer != 2 || outs[0].Lane != tipline.LaneUrgent {
		t.Errorf("said %v to %+v", ids, outs[0].To)
	}
}

// TestTakeOverNeedsAReason is the security review's M3: taking over a case
// another reviewer has asks why first and changes nothing; with a reason
// the case changes hands, the reason is audited, and the holder and every
// other admin are told at once.
func TestTakeOverNeedsAReason(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.take(t, 1)
	sophea := f.rvs[1]
	v := Version(f.caseNow(t))
	outs, err := f.desk.Press(ctx, sophea, On(TakeOver, f.ref), v, new(State))
	if err != nil {
		t.Fatal(err)
	}
	if ids := firstIDs(outs); !slices.Equal(ids, []string{"rv_take_over_why"}) || len(outs[0].Message.Buttons) != len(TakeOverReasons) {
		t.Fatalf("said %v, want the question why, one button per reason", ids)
	}
	if c := f.caseNow(t); c.Assignment.ReviewerID != 1 {
		t.Fatalf("the case moved to %d before a reason was given", c.Assignment.ReviewerID)
	}
	outs, err = f.desk.Press(ctx, sophea, Press{Action: TakeOver, Case: f.ref, Why: WhyUrgent}, v, new(State))
	if err != nil {
		t.Fatal(err)
	}
	told := map[int64]string{}
	for _, o := range outs {
		if o.Message.Lines != nil {
			told[o.To.Reviewer] = o.Message.Lines[0].ID
		}
	}
	if told[1] != "rv_taken_over" || told[3] != "rv_taken_over_admin" || told[2] != "rv_details_title" {
		t.Errorf("told %v, want the holder, the admin and the taker", told)
	}
	events, _ := f.store.Audit(ctx, f.ref)
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Actor+" "+e.Action)
	}
	if !slices.Contains(actions, "reviewer:2 take_over_why:urgent") {
		t.Errorf("audit %v lacks the reason", actions)
	}
}
