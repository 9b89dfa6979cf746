package review

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/reply"
	"github.com/tipline/tipline/storage"
)

// press presses p for rv on the case as it is now, with state st.
func (f *fixture) press(t *testing.T, rv tipline.Reviewer, p Press, st *State) []Out {
	t.Helper()
	outs, err := f.desk.Press(context.Background(), rv, p, Version(f.caseNow(t)), st)
	if err != nil {
		t.Fatal(err)
	}
	return outs
}

func wantSaid(t *testing.T, outs []Out, want ...string) {
	t.Helper()
	if got := firstIDs(outs); !slices.Equal(got, want) {
		t.Errorf("said %v, want %v", got, want)
	}
}

// actions are every button's action in m's rows.
func actions(o Out) []string {
	var s []string
	for _, row := range o.Message.Buttons {
		for _, b := range row {
			s = append(s, b.Action)
		}
	}
	return s
}

// TestDeskBlockAsksWhyAndUnblocks: Block asks for a reason (Cancel shows
// the case), the reason blocks, Details then offers Unblock, and Unblock
// lifts the block; each is in the timeline.
func TestDeskBlockAsksWhyAndUnblocks(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.take(t, 1)
	dara := f.rvs[0]
	outs := f.press(t, dara, On(Block, f.ref), new(State))
	wantSaid(t, outs, "rv_block_why")
	want := []string{"blr:TL-7K3Q-9XDM:abuse", "blr:TL-7K3Q-9XDM:spam", "blr:TL-7K3Q-9XDM:threats", "blr:TL-7K3Q-9XDM:other", "det:TL-7K3Q-9XDM"}
	if got := actions(outs[0]); !slices.Equal(got, want) {
		t.Errorf("buttons %v, want %v", got, want)
	}
	if blocked, _ := f.store.IsBlocked(ctx, "pseudo"); blocked {
		t.Fatal("blocked by one tap")
	}
	outs = f.press(t, dara, Press{Action: BlockFor, Case: f.ref, Reason: tipline.BlockSpam}, new(State))
	wantSaid(t, outs, "rv_blocked_for")
	if blocked, _ := f.store.IsBlocked(ctx, "pseudo"); !blocked {
		t.Fatal("not blocked after a reason")
	}
	outs = f.press(t, dara, On(Details, f.ref), new(State))
	if got := actions(outs[0]); !slices.Contains(got, "unb:TL-7K3Q-9XDM") || slices.Contains(got, "blk:TL-7K3Q-9XDM") {
		t.Errorf("Details of a blocked reporter's case offer %v, want Unblock and not Block", got)
	}
	outs = f.press(t, dara, On(Unblock, f.ref), new(State))
	wantSaid(t, outs, "rv_unblocked")
	if blocked, _ := f.store.IsBlocked(ctx, "pseudo"); blocked {
		t.Error("still blocked after Unblock")
	}
	events, _ := f.store.Timeline(ctx, f.ref)
	var kinds []tipline.EventKind
	for _, e := range events {
		kinds = append(kinds, e.Kind)
	}
	if !slices.Contains(kinds, tipline.EventBlocked) || kinds[len(kinds)-1] != tipline.EventUnblocked {
		t.Errorf("timeline %v, want blocked then unblocked", kinds)
	}
}

// TestDeskClosedCaseInert: on a closed case, old outcome buttons, Reply,
// Note, Classify and Same as say "already closed: reopen first" with a
// Reopen button, and change nothing; a note typed after the case closed is
// not saved; Reopen makes the buttons work again.
func TestDeskClosedCaseInert(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.take(t, 1)
	dara := f.rvs[0]
	open := Version(f.caseNow(t))
	var typing State
	f.press(t, dara, On(Note, f.ref), &typing)
	f.press(t, dara, Press{Action: Outcome, Case: f.ref, Outcome: tipline.OutcomeNoAction, Confirmed: true}, new(State))
	for _, p := range []Press{
		{Action: Outcome, Case: f.ref, Outcome: tipline.OutcomePolice},
		{Action: Outcome, Case: f.ref, Outcome: tipline.OutcomeFalse, Confirmed: true},
		On(Reply, f.ref), On(Note, f.ref), On(Classify, f.ref), On(SameAs, f.ref), On(Close, f.ref), On(Send, f.ref),
		{Action: SetRisk, Case: f.ref, Exploitation: tipline.ExploitSale, Risk: tipline.RiskLow},
	} {
		for _, version := range []string{open, Version(f.caseNow(t))} { // an old button, and one made for the closed case
			var st State
			outs, err := f.desk.Press(ctx, dara, p, version, &st)
			if err != nil {
				t.Fatal(err)
			}
			wantSaid(t, outs, "rv_already_closed")
			if got := actions(outs[0]); !slices.Equal(got, []string{"reopen:TL-7K3Q-9XDM"}) {
				t.Errorf("%s: buttons %v, want Reopen", p, got)
			}
			if st != (State{}) {
				t.Errorf("%s: state %+v", p, st)
			}
		}
	}
	// A referral is allowed on a case closed as referred only (one more
	// partner); this one was closed otherwise.
	for _, p := range []Press{{Action: Refer, Case: f.ref}, {Action: Refer, Case: f.ref, Partner: 1}, {Action: Refer, Case: f.ref, Partner: 1, Confirmed: true}} {
		outs := f.press(t, dara, p, new(State))
		wantSaid(t, outs, "rv_already_closed")
	}
	c := f.caseNow(t)
	if c.Assignment.Outcome != tipline.OutcomeNoAction || c.Classification.Exploitation != "" {
		t.Errorf("the closed case changed: %+v, %+v", c.Assignment, c.Classification)
	}
	outs, err := f.desk.Text(ctx, dara, "too late", "u:1", &typing)
	if err != nil {
		t.Fatal(err)
	}
	wantSaid(t, outs, "rv_not_sent", "rv_already_closed")
	if notes, _ := f.store.Notes(ctx, f.ref); len(notes) != 0 {
		t.Errorf("a note saved on a closed case: %+v", notes)
	}
	f.press(t, dara, On(Reopen, f.ref), new(State))
	wantSaid(t, f.press(t, dara, On(Note, f.ref), new(State)), "rv_type_note")
}

// TestDeskAddedToClosed: what the reporter adds to a closed case reaches
// the reviewer who had it, with their words and a Reopen button.
func TestDeskAddedToClosed(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.take(t, 1)
	if err := f.store.CloseCase(ctx, f.ref, 1, tipline.OutcomePolice, t0); err != nil {
		t.Fatal(err)
	}
	outs, err := f.desk.Added(ctx, f.ref, tipline.Addition{Text: "he came back", Attachments: []tipline.Attachment{{Kind: "photo", FileID: "P"}}})
	if err != nil {
		t.Fatal(err)
	}
	wantSaid(t, outs, "rv_added_to_closed", "file")
	if outs[0].To.Reviewer != 1 || !slices.Equal(actions(outs[0]), []string{"reopen:TL-7K3Q-9XDM"}) {
		t.Errorf("told %+v with %v, want reviewer 1 with Reopen", outs[0].To, actions(outs[0]))
	}
}

// TestDeskDetailsTimeline: Details tells the case's story in order, with
// names, and the reporter's language.
func TestDeskDetailsTimeline(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	dara := f.rvs[0]
	f.clock.Advance(time.Minute)
	f.press(t, dara, On(Take, f.ref), new(State))
	f.clock.Advance(time.Minute)
	var st State
	f.press(t, dara, On(Note, f.ref), &st)
	if _, err := f.desk.Text(ctx, dara, "called the hotline", "u:1", &st); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	f.press(t, dara, Press{Action: SetRisk, Case: f.ref, Exploitation: tipline.ExploitBegging, Risk: tipline.RiskMedium}, new(State))
	f.clock.Advance(time.Minute)
	f.press(t, dara, Press{Action: Refer, Case: f.ref, Partner: 1, Confirmed: true}, new(State))
	outs := f.press(t, dara, On(Details, f.ref), new(State))
	var ids, story []string
	for _, l := range outs[0].Message.Lines {
		ids = append(ids, l.ID)
		if label, ok := l.Data["Label"].(reply.Text); ok {
			ids = append(ids, label.ID)
		}
		if l.ID != "rv_event" && l.ID != "rv_event_words" {
			continue
		}
		what := l.Data["What"].(reply.Text)
		if what.ID == "rv_event_with_files" || what.ID == "rv_event_with_file" {
			what = what.Data["What"].(reply.Text)
		}
		line := what.ID
		if who, ok := what.Data["Who"].(string); ok {
			line += " " + who
		}
		if p, ok := what.Data["Partner"].(string); ok {
			line += " " + p
		}
		story = append(story, line)
	}
	want := []string{"rv_event_reported", "rv_event_taken Dara", "rv_event_note Dara", "rv_event_classified Dara", "rv_event_referred Dara APLE Cambodia"}
	if !slices.Equal(story, want) {
		t.Errorf("timeline %v, want %v", story, want)
	}
	got := strings.Join(ids, " ")
	if strings.Count(got, "rv_label_happening") != 1 {
		t.Errorf("the reporter's 'What is happening?' shown %d times, want once beside the classification: %s", strings.Count(got, "rv_label_happening"), got)
	}
	for _, want := range []string{"rv_label_language", "rv_classification summary_line rv_label_happening", "rv_timeline_title"} {
		if !strings.Contains(got, want) {
			t.Errorf("Details lack %s: %s", want, got)
		}
	}
}

// TestDeskReferToNamedPartner: "referred" lists the active partners
// (police units are partners) with Cancel, the chosen one asks once more,
// and only then closes the case as referred to it. An old "referred to
// police" button lists the partners too; with no partner listed nothing is
// closed.
func TestDeskReferToNamedPartner(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.take(t, 1)
	gone, err := f.store.AddPartner(ctx, "Old unit", tipline.PartnerPolice, "TH")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.DisablePartner(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	dara := f.rvs[0]
	for _, o := range []tipline.Outcome{tipline.OutcomePartner, tipline.OutcomePolice} {
		outs := f.press(t, dara, Press{Action: Outcome, Case: f.ref, Outcome: o}, new(State))
		wantSaid(t, outs, "rv_refer_which")
		if got := actions(outs[0]); !slices.Equal(got, []string{"ref:TL-7K3Q-9XDM:1", "det:TL-7K3Q-9XDM"}) {
			t.Errorf("%s: partners offered %v, want the active one only, then Cancel", o, got)
		}
	}
	outs := f.press(t, dara, Press{Action: Refer, Case: f.ref, Partner: 1}, new(State))
	wantSaid(t, outs, "rv_refer_confirm")
	if got := actions(outs[0]); !slices.Equal(got, []string{"ref:TL-7K3Q-9XDM:1:y", "det:TL-7K3Q-9XDM"}) {
		t.Errorf("confirmation buttons %v, want Yes and Cancel", got)
	}
	if f.caseNow(t).Status == tipline.StatusClosed {
		t.Fatal("closed before the referral was confirmed")
	}
	outs = f.press(t, dara, Press{Action: Refer, Case: f.ref, Partner: 1, Confirmed: true}, new(State))
	wantSaid(t, outs, "rv_referred")
	if name := outs[0].Message.Lines[0].Data["Name"]; name != "APLE Cambodia" {
		t.Errorf("referred to %v", name)
	}
	if c := f.caseNow(t); c.Status != tipline.StatusClosed || c.Assignment.PartnerID != 1 {
		t.Errorf("case %s, %+v; want closed, referred to partner 1", c.Status, c.Assignment)
	}
	// One more partner: a police unit as well as the NGO.
	unit, err := f.store.AddPartner(ctx, "Anti-trafficking police", tipline.PartnerPolice, "KH")
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(outs[0]); !slices.Contains(got, "ref:TL-7K3Q-9XDM") {
		t.Fatalf("referred: buttons %v, want Refer to one more partner", got)
	}
	outs = f.press(t, dara, On(Refer, f.ref), new(State))
	wantSaid(t, outs, "rv_refer_which")
	more := Press{Action: Refer, Case: f.ref, Partner: unit.ID}
	wantSaid(t, f.press(t, dara, more, new(State)), "rv_refer_confirm")
	more.Confirmed = true
	wantSaid(t, f.press(t, dara, more, new(State)), "rv_referred")
	for _, id := range []int64{1, unit.ID} {
		if refs, err := f.store.Referrals(ctx, id); err != nil || len(refs) != 1 || refs[0].Reference != f.ref {
			t.Errorf("Referrals(%d) = %+v, %v; want the case", id, refs, err)
		}
	}

	// No partner listed: the reviewer hears who adds them, and the case
	// stays open.
	g := newFixture(t)
	g.take(t, 1)
	if err := g.store.DisablePartner(ctx, 1); err != nil {
		t.Fatal(err)
	}
	wantSaid(t, g.press(t, g.rvs[0], Press{Action: Outcome, Case: g.ref, Outcome: tipline.OutcomePartner}, new(State)), "rv_no_partners")
	if g.caseNow(t).Status == tipline.StatusClosed {
		t.Error("closed as referred to nobody")
	}
}

// TestDeskConfirmBeforeClose: an outcome asks once more, with Cancel;
// Cancel shows the case and leaves it open; only the confirmed press
// closes it.
func TestDeskConfirmBeforeClose(t *testing.T) {
	f := newFixture(t)
	f.take(t, 1)
	dara := f.rvs[0]
	outs := f.press(t, dara, On(Close, f.ref), new(State))
	if got := actions(outs[0]); slices.Contains(got, "out:TL-7K3Q-9XDM:police") || got[len(got)-1] != "det:TL-7K3Q-9XDM" {
		t.Errorf("close offers %v: want no unnamed police, and Cancel last", got)
	}
	outs = f.press(t, dara, Press{Action: Outcome, Case: f.ref, Outcome: tipline.OutcomeFalse}, new(State))
	wantSaid(t, outs, "rv_close_confirm")
	if got := actions(outs[0]); !slices.Equal(got, []string{"out:TL-7K3Q-9XDM:false:y", "det:TL-7K3Q-9XDM"}) {
		t.Errorf("confirmation buttons %v, want Yes and Cancel", got)
	}
	if f.caseNow(t).Status == tipline.StatusClosed {
		t.Fatal("closed on the first tap")
	}
	wantSaid(t, f.press(t, dara, On(Details, f.ref), new(State)), "rv_details_title") // Cancel: the case again, its files only on request
	if f.caseNow(t).Status == tipline.StatusClosed {
		t.Fatal("closed by Cancel")
	}
	wantSaid(t, f.press(t, dara, Press{Action: Outcome, Case: f.ref, Outcome: tipline.OutcomeFalse, Confirmed: true}, new(State)), "rv_closed")
	if c := f.caseNow(t); c.Status != tipline.StatusClosed || c.Assignment.Outcome != tipline.OutcomeFalse {
		t.Errorf("case %s, %s; want closed as a false report", c.Status, c.Assignment.Outcome)
	}
}

// TestDeskNoWriteWhenDeclined: a reporter who declined contact is never
// offered "Write to reporter"; one who allows it is.
func TestDeskNoWriteWhenDeclined(t *testing.T) {
	f := newFixture(t)
	f.take(t, 1)
	c := f.caseNow(t)
	if got := actions(Out{Message: Reopened(c)}); !slices.Contains(got, "rep:TL-7K3Q-9XDM") {
		t.Errorf("contact allowed: buttons %v, want Write to reporter", got)
	}
	c.ContactAllowed = false
	if got := actions(Out{Message: Reopened(c)}); slices.Contains(got, "rep:TL-7K3Q-9XDM") {
		t.Errorf("contact declined: buttons %v offer Write to reporter", got)
	}
}

// TestDeskInDangerNowMakesUrgent: a risk of "in danger now" makes a normal
// case urgent, and Details tells who did.
func TestDeskInDangerNowMakesUrgent(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	// The fixture's case is urgent already; file a normal one.
	if _, _, err := f.store.SubmitCase(ctx, tipline.NewCase{
		DraftID: "d2", Reference: "TL-7K3Q-9XDN", Kind: tipline.KindTip, Urgency: tipline.UrgencyNormal, Lang: "en",
		Reporter: "pseudo2", Answers: tipline.Answers{"what": "a boy selling flowers at night"}, SubmittedAt: t0,
	}); err != nil {
		t.Fatal(err)
	}
	f.ref = "TL-7K3Q-9XDN"
	f.take(t, 1)
	dara := f.rvs[0]
	f.press(t, dara, Press{Action: SetRisk, Case: f.ref, Exploitation: tipline.ExploitBegging, Risk: tipline.RiskImmediate}, new(State))
	if got := f.caseNow(t).Urgency; got != tipline.UrgencyUrgent {
		t.Fatalf("urgency %s, want urgent", got)
	}
	outs := f.press(t, dara, On(Details, f.ref), new(State))
	if got := outs[0].Message.Lines[0].Data["Urgency"].(reply.Text).ID; got != "rv_urgency_urgent" {
		t.Errorf("Details title urgency %s", got)
	}
	found := false
	for _, l := range outs[0].Message.Lines {
		if what, ok := l.Data["What"].(reply.Text); ok && what.ID == "rv_event_made_urgent" && what.Data["Who"] == "Dara" {
			found = true
		}
	}
	if !found {
		t.Error("Details do not say Dara made the case urgent")
	}
}

// TestDeskSameAs: "Same as…" takes a typed reference; a mistyped or
// unknown one is answered kindly and the reviewer may type again; the
// right one closes this case as a duplicate of the older.
func TestDeskSameAs(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	older := tipline.Reference("TL-4ACF-9XDM")
	if _, _, err := f.store.SubmitCase(ctx, tipline.NewCase{DraftID: "d0", Reference: older, Kind: tipline.KindTip, Urgency: tipline.UrgencyNormal,
		Lang: "km", Reporter: "other", Answers: tipline.Answers{"what": "x"}, SubmittedAt: t0}); err != nil {
		t.Fatal(err)
	}
	f.take(t, 1)
	dara := f.rvs[0]
	var st State
	wantSaid(t, f.press(t, dara, On(SameAs, f.ref), &st), "rv_type_same_as")
	for _, tc := range []struct{ text, want string }{
		{"the one from yesterday", "rv_same_as_not_reference"},
		{"TL-4ACF-9XDP", "rv_same_as_unknown"},
		{string(f.ref), "rv_same_as_invalid"},
	} {
		outs, err := f.desk.Text(ctx, dara, tc.text, "u", &st)
		if err != nil {
			t.Fatal(err)
		}
		wantSaid(t, outs, tc.want)
		if st.Mode != ModeSame {
			t.Errorf("%q: state %+v, want to type again", tc.text, st)
		}
	}
	outs, err := f.desk.Text(ctx, dara, " tl-4acf-9xdm ", "u", &st)
	if err != nil {
		t.Fatal(err)
	}
	wantSaid(t, outs, "rv_duplicate_linked")
	c := f.caseNow(t)
	if c.Status != tipline.StatusClosed || c.Assignment.Outcome != tipline.OutcomeDuplicate || c.Assignment.DuplicateOf != older {
		t.Errorf("case %s %+v, want a duplicate of %s", c.Status, c.Assignment, older)
	}
	if st != (State{}) {
		t.Errorf("state %+v after linking", st)
	}
}

// TestDeskFind: /find by reference, by place words, near a location; at
// most ten, with Details buttons that only read.
func TestDeskFind(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.desk.Finder = f.store
	for i := range 12 {
		ref := tipline.Reference("TL-4ACF-" + string(rune('A'+i)) + "XDM")
		if _, _, err := f.store.SubmitCase(ctx, tipline.NewCase{DraftID: "p" + string(ref), Reference: ref, Kind: tipline.KindTip, Urgency: tipline.UrgencyNormal,
			Lang: "km", Reporter: "r", Answers: tipline.Answers{"what": "x", "where": "Psar Thmei market"},
			Location: &tipline.Location{Latitude: 11.57, Longitude: 104.92}, SubmittedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	dara := f.rvs[0]
	outs, err := f.desk.Find(ctx, dara, strings.ToLower(string(f.ref)))
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(outs[0]); !slices.Equal(got, []string{"det:TL-7K3Q-9XDM"}) || outs[0].Message.Buttons[0][0].Version != AnyVersion {
		t.Errorf("by reference: %v", got)
	}
	outs, err = f.desk.Find(ctx, dara, "psar thmei")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(outs[0].Message.Buttons); n != MaxFindLines {
		t.Errorf("by place: %d cases, want %d", n, MaxFindLines)
	}
	outs, err = f.desk.FindNear(ctx, dara, tipline.Location{Latitude: 11.58, Longitude: 104.92})
	if err != nil {
		t.Fatal(err)
	}
	if l := outs[0].Message.Lines[1]; l.ID != "rv_find_line_near" || l.Data["Distance"] == nil {
		t.Errorf("near: %+v", l)
	}
	for _, arg := range []string{"", "nowhere"} {
		outs, err = f.desk.Find(ctx, dara, arg)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"": "rv_find_help", "nowhere": "rv_find_none_open"}[arg]
		wantSaid(t, outs, want)
	}
}

// TestDeskEscalateAlone: the only active reviewer is told nobody else can
// be notified; nothing is escalated.
func TestDeskEscalateAlone(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for _, id := range []int64{2, 3} {
		if err := f.store.DisableReviewer(ctx, id, t0); err != nil {
			t.Fatal(err)
		}
	}
	wantSaid(t, f.press(t, f.rvs[0], On(Escalate, f.ref), new(State)), "rv_escalate_alone")
	if f.woken != 0 {
		t.Error("the router was woken")
	}
	audit, _ := f.store.Audit(ctx, f.ref)
	for _, a := range audit {
		if a.Action == storage.ActionEscalated {
			t.Errorf("escalated: %+v", a)
		}
	}
}

// TestDeskClassifyEditsNotifications: once classified, every copy of the
// case's notification shows it (with its urgency and area).
func TestDeskClassifyEditsNotifications(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for _, rv := range f.rvs[:2] {
		if err := f.store.AddNotification(ctx, f.ref, tipline.Notification{ReviewerID: rv.ID, ChatID: rv.TelegramID, OutboxKey: "n" + rv.Name}); err != nil {
			t.Fatal(err)
		}
	}
	f.take(t, 1)
	outs := f.press(t, f.rvs[0], Press{Action: SetRisk, Case: f.ref, Exploitation: tipline.ExploitOnline, Risk: tipline.RiskImmediate}, new(State))
	wantSaid(t, outs, "rv_classified", "rv_taken_by", "rv_taken_by")
	for _, o := range outs[1:] {
		var ids []string
		for _, l := range o.Message.Lines {
			ids = append(ids, l.ID)
		}
		if o.Edit == nil || !slices.Equal(ids, []string{"rv_taken_by", "rv_taken_summary", "rv_classification"}) {
			t.Errorf("copy for %d: edit %v, lines %v", o.To.Reviewer, o.Edit, ids)
		}
	}
}
