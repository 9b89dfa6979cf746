package flows

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/internal/golden"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/reply"
)

var t0 = time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)

func testEngine() *Engine {
	n := 0
	return &Engine{
		NewDraftID: func() string { n++; return fmt.Sprintf("draft-%d", n) },
		NewReference: func() tipline.Reference {
			return "TL-7K3Q-9XDM"
		},
		NewFollowUpCode: func() string { return "1234567890123456" },
		Location:        time.UTC,
		Limits:          DefaultLimits,
		Emergency:       DefaultEmergency,
	}
}

// conversation drives an engine and keeps a transcript.
type conversation struct {
	t       *testing.T
	e       *Engine
	s       Session
	cat     *locales.Catalog
	lang    string
	last    Result
	effects []Effect
	log     strings.Builder
	taps    int
	// typed is everything the reporter typed: their own words may be shown
	// back as they are.
	typed []string
}

// newConversation starts a chat from a phone whose Telegram language is
// langCode. A Khmer or Thai phone starts in its language; a reporter on
// an English phone is taken to have chosen English before (the bot
// remembers a reporter's choice and gives it to flows in the session):
// TestLanguagePicker holds the first screen of a chat whose language is
// not known.
func newConversation(t *testing.T, langCode string) *conversation {
	c := &conversation{t: t, e: testEngine(), cat: locales.MustLoad(), lang: langCode}
	if PhoneLanguage(langCode) == "" {
		c.s.Lang = tipline.MatchLanguage(langCode)
	}
	return c
}

func (c *conversation) send(in Input) Result {
	c.t.Helper()
	in.Now = t0
	in.LanguageCode = c.lang
	in.Reporter = "pseudo"
	switch in.Kind {
	case InputButton:
		c.taps++
		label := c.label(in.Text)
		fmt.Fprintf(&c.log, "> [%s]\n", label)
	case InputCommand:
		fmt.Fprintf(&c.log, "> /%s\n", in.Text)
	case InputText:
		fmt.Fprintf(&c.log, "> %s\n", in.Text)
		c.typed = append(c.typed, in.Text)
	default:
		fmt.Fprintf(&c.log, "> (%s)\n", in.Kind)
	}
	c.last = c.e.Step(c.s, in)
	c.s = c.last.Session
	c.effects = append(c.effects, c.last.Effects...)
	for _, r := range c.last.Replies {
		c.checkWords(r)
		c.log.WriteString(c.render(r))
	}
	c.log.WriteString("\n")
	return c.last
}

// label finds the button with an action in the last replies, failing the
// test when no such button was offered: a reporter can only press what
// they see.
func (c *conversation) label(action string) string {
	c.t.Helper()
	for _, r := range c.last.Replies {
		for _, row := range r.Buttons {
			for _, b := range row {
				if b.Action == action {
					return c.text(b.Label)
				}
			}
		}
	}
	c.t.Fatalf("no button %q offered in state %s", action, c.s.State)
	return ""
}

func (c *conversation) press(action string) Result {
	return c.send(Input{Kind: InputButton, Text: action})
}
func (c *conversation) say(text string) Result { return c.send(Input{Kind: InputText, Text: text}) }
func (c *conversation) cmd(name string) Result { return c.send(Input{Kind: InputCommand, Text: name}) }

func (c *conversation) text(t reply.Text) string {
	data := map[string]any{}
	for k, v := range t.Data {
		if n, ok := v.(reply.Text); ok {
			v = c.text(n)
		}
		data[k] = v
	}
	lang := c.s.Lang
	if t.Lang != "" {
		lang = t.Lang
	}
	if lang == "" {
		lang = "en"
	}
	return c.cat.Text(lang, t.ID, data)
}

func (c *conversation) render(r reply.Message) string {
	var b strings.Builder
	for i, l := range r.Lines {
		if i > 0 && !l.Item {
			b.WriteString("<\n")
		}
		for _, line := range strings.Split(c.text(l), "\n") {
			b.WriteString("< " + line + "\n")
		}
	}
	for _, row := range r.Buttons {
		var labels []string
		for _, btn := range row {
			labels = append(labels, "["+c.text(btn.Label)+"]")
		}
		b.WriteString("  " + strings.Join(labels, " ") + "\n")
	}
	return b.String()
}

// answerRest answers every remaining question with its first button, or
// skips it, up to the review.
func (c *conversation) answerRest() {
	c.t.Helper()
	for c.s.State != StateTipReview {
		q, _, ok := findQuestion(c.s.State)
		if !ok {
			c.t.Fatalf("state %s is not a question", c.s.State)
		}
		if len(q.options) > 0 {
			c.press(prefixAnswer + q.options[0])
		} else {
			c.press(actSkip)
		}
	}
}

func (c *conversation) golden(name string) {
	c.t.Helper()
	golden.Check(c.t, name, c.log.String())
}

func (c *conversation) wantState(s State) {
	c.t.Helper()
	if c.s.State != s {
		c.t.Fatalf("state = %q, want %q", c.s.State, s)
	}
}

func (c *conversation) submitted() tipline.NewCase {
	c.t.Helper()
	for _, e := range c.effects {
		if s, ok := e.(SubmitCase); ok {
			return s.Case
		}
	}
	c.t.Fatal("no case submitted")
	return tipline.NewCase{}
}

var voice = &tipline.Attachment{Kind: tipline.AttachVoice, FileID: "voice-1", FileUniqueID: "u-voice-1"}
var photo = &tipline.Attachment{Kind: tipline.AttachPhoto, FileID: "photo-1", FileUniqueID: "u-photo-1"}

// TestTipJourney files a whole tip in each language and keeps the
// conversation as a golden transcript.
func TestTipJourney(t *testing.T) {
	for _, lang := range Languages {
		t.Run(lang, func(t *testing.T) {
			c := newConversation(t, lang)
			c.cmd("start")
			c.wantState(StateMenu)
			c.press("menu:tip")
			c.wantState(StateTipWhat)
			c.say("A family next door talks about selling their daughter to a man from the city.")
			c.press("a:yes")
			c.wantState(StateTipHappening)
			c.press("a:sale")
			c.send(Input{Kind: InputLocation, Location: &tipline.Location{Latitude: 11.5696, Longitude: 104.921}})
			c.press("a:ongoing")
			c.press("a:1")
			c.press("a:12_17")
			c.say("A man with a black car comes at night.")
			c.send(Input{Kind: InputPhoto, Attachment: photo})
			c.press("done")
			c.wantState(StateTipReview)
			c.press("send:contact")
			c.wantState(StateMenu)
			c.golden("tip_" + lang)

			got := c.submitted()
			want := tipline.Answers{
				tipline.AnswerWhat:      "A family next door talks about selling their daughter to a man from the city.",
				tipline.AnswerDanger:    "yes",
				tipline.AnswerHappening: "sale",
				tipline.AnswerWhen:      "ongoing",
				tipline.AnswerChildren:  "1",
				tipline.AnswerAges:      "12_17",
				tipline.AnswerAdults:    "A man with a black car comes at night.",
			}
			if fmt.Sprint(got.Answers) != fmt.Sprint(want) {
				t.Errorf("answers = %v, want %v", got.Answers, want)
			}
			if got.Urgency != tipline.UrgencyUrgent || !got.ContactAllowed || got.Lang != lang || got.Kind != tipline.KindTip {
				t.Errorf("case = %+v", got)
			}
			if got.Location == nil || got.Location.Latitude != 11.5696 {
				t.Errorf("location = %v", got.Location)
			}
			if len(got.Attachments) != 1 || got.Attachments[0].Question != tipline.AnswerMedia {
				t.Errorf("attachments = %+v", got.Attachments)
			}
			if c.s.Draft != nil {
				t.Error("draft kept after submitting")
			}
		})
	}
}

// TestFewTaps: a neighbour files a whole tip with buttons and one voice
// note in eleven taps or fewer, counting the Start button (ten before the
// optional "What is happening?" question, one tap to answer or skip).
func TestFewTaps(t *testing.T) {
	c := newConversation(t, "km")
	c.taps++ // Telegram's Start button sends /start
	c.cmd("start")
	c.press("menu:tip")
	c.send(Input{Kind: InputVoice, Attachment: voice})
	c.press("a:unsure")
	c.press("skip") // what is happening
	c.press("skip") // where
	c.press("a:today")
	c.press("a:2_3")
	c.press("a:6_11")
	c.press("skip")
	c.press("skip")
	c.press("send:anon")
	got := c.submitted()
	if c.taps > 11 {
		t.Errorf("a whole tip took %d taps, want 11 or fewer", c.taps)
	}
	if got.ContactAllowed || got.Urgency != tipline.UrgencyNormal || len(got.Attachments) != 1 || got.Attachments[0].Kind != tipline.AttachVoice {
		t.Errorf("case = %+v", got)
	}
}

// TestOptionalQuestionsHaveSkip: every optional question offers a one-tap skip.
func TestOptionalQuestionsHaveSkip(t *testing.T) {
	for _, q := range tipQuestions {
		if !q.optional {
			continue
		}
		e := testEngine()
		s := Session{Lang: "en", State: q.state, Draft: &Draft{ID: "d", Answers: tipline.Answers{}}}
		rep := e.Prompt(s)
		found := false
		for _, row := range rep.Buttons {
			for _, b := range row {
				found = found || b.Action == actSkip
			}
		}
		if !found {
			t.Errorf("%s: no Skip button", q.state)
		}
	}
}

// TestBackAndCancelEverywhere: every question has Back and Cancel, Back
// goes to the previous question, and Cancel asks before deleting.
func TestBackAndCancelEverywhere(t *testing.T) {
	c := newConversation(t, "en")
	c.cmd("start")
	c.press("menu:tip")
	c.say("something")
	for _, q := range tipQuestions[1:] {
		if c.s.State != q.state {
			t.Fatalf("state %s, want %s", c.s.State, q.state)
		}
		c.label(actBack)
		c.label(actCancel)
		switch {
		case len(q.options) > 0:
			c.press(prefixAnswer + q.options[0])
		default:
			c.press(actSkip)
		}
	}
	c.wantState(StateTipReview)
	c.press(actCancel)
	c.wantState(StateCancel)
	c.press(actCancelNo)
	c.wantState(StateTipReview)
	if c.s.Draft == nil {
		t.Fatal("draft lost after 'No, go on'")
	}
	// Back from the review returns to the last question.
	c.press(actEdit)
	c.press(actBack)
	c.wantState(StateTipReview)
	c.press(actCancel)
	c.press(actCancelYes)
	c.wantState(StateMenu)
	if c.s.Draft != nil {
		t.Error("draft kept after cancelling")
	}
}

func TestBackReturnsToPreviousQuestion(t *testing.T) {
	c := newConversation(t, "en")
	c.cmd("start")
	c.press("menu:tip")
	c.say("something")
	c.press("a:no")
	c.wantState(StateTipHappening)
	c.press(actSkip)
	c.wantState(StateTipWhere)
	c.press(actBack)
	c.wantState(StateTipHappening)
	c.press(actBack)
	c.wantState(StateTipDanger)
	c.press(actBack)
	c.wantState(StateTipWhat)
	c.press(actBack) // out of the report: asks first
	c.wantState(StateCancel)
	c.press(actCancelNo)
	c.wantState(StateTipWhat)
}

func TestEditAnswerFromReview(t *testing.T) {
	c := newConversation(t, "th")
	c.cmd("start")
	c.press("menu:tip")
	c.say("first")
	c.answerRest()
	c.wantState(StateTipReview)
	c.press(actEdit)
	c.press(prefixEditOne + string(StateTipWhen))
	c.wantState(StateTipWhen)
	c.press("a:yesterday")
	c.wantState(StateTipReview)
	c.press(actSendAnon)
	// Stored as the day it meant: a reviewer reads the case days later.
	if got := c.submitted().Answers[tipline.AnswerWhen]; got != t0.AddDate(0, 0, -1).Format(dateLayout) {
		t.Errorf("when = %q, want yesterday's date", got)
	}
}

// TestUnexpectedInput: each kind of unexpected input gets a kind message
// and the same question again, and changes nothing.
func TestUnexpectedInput(t *testing.T) {
	cases := []struct {
		name  string
		state State
		in    Input
		want  string
	}{
		{"sticker", StateTipDanger, Input{Kind: InputSticker}, "error_sticker"},
		{"file", StateTipWhat, Input{Kind: InputDocument}, "error_file"},
		{"typing where a button is expected", StateTipWhen, Input{Kind: InputText, Text: "yesterday I think"}, "error_use_buttons"},
		{"unknown command", StateTipAges, Input{Kind: InputCommand, Text: "foo"}, "error_unknown_command"},
		{"photo too early", StateTipDanger, Input{Kind: InputPhoto, Attachment: photo}, "error_media_not_now"},
		{"voice where buttons", StateTipChildren, Input{Kind: InputVoice, Attachment: voice}, "error_voice_not_now"},
		{"location too early", StateTipWhat, Input{Kind: InputLocation, Location: &tipline.Location{}}, "error_location_not_now"},
		{"unsupported", StateTipWhat, Input{Kind: InputUnsupported}, "error_unsupported"},
		{"text at the photos", StateTipMedia, Input{Kind: InputText, Text: "hi"}, "error_media_expected"},
		{"only spaces", StateTipWhat, Input{Kind: InputText, Text: "   "}, "error_use_buttons"},
		{"forged button", StateTipWhen, Input{Kind: InputForgedButton}, "error_button_not_yours"},
		{"old button", StateTipWhen, Input{Kind: InputButton, Text: "a:yes"}, "error_old_button"},
		{"made-up action", StateTipWhen, Input{Kind: InputButton, Text: "a:../../etc"}, "error_old_button"},
		{"edited message", StateTipWhen, Input{Kind: InputEdited}, "error_edited"},
		{"menu button mid-report", StateTipWhen, Input{Kind: InputButton, Text: "menu:tip"}, "error_old_button"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := testEngine()
			s := Session{Lang: "km", State: tc.state, Draft: &Draft{ID: "d", Answers: tipline.Answers{"what": "x"}}}
			tc.in.Now = t0
			res := e.Step(s, tc.in)
			// One message: the explanation, then the question with its buttons.
			if len(res.Replies) != 1 || len(res.Replies[0].Lines) < 2 {
				t.Fatalf("replies = %+v, want one message: an explanation and the question", res.Replies)
			}
			if got := res.Replies[0].Lines[0].ID; got != tc.want {
				t.Errorf("explanation = %s, want %s", got, tc.want)
			}
			if res.Session.State != tc.state {
				t.Errorf("state = %s, want %s (unchanged)", res.Session.State, tc.state)
			}
			if fmt.Sprint(res.Session.Draft.Answers) != fmt.Sprint(s.Draft.Answers) {
				t.Errorf("answers changed: %v", res.Session.Draft.Answers)
			}
			again := res.Replies[0].Lines[1]
			if again.ID != e.Prompt(s).Lines[0].ID {
				t.Errorf("after the explanation %s, want the question again", again.ID)
			}
			if len(res.Effects) > 0 {
				t.Error("an unexpected input had an effect")
			}
		})
	}
}

func TestLanguagePreselectedAndChangeable(t *testing.T) {
	c := newConversation(t, "th-TH")
	c.cmd("start")
	if c.s.Lang != "th" {
		t.Fatalf("lang = %q, want th from the language code", c.s.Lang)
	}
	c.wantState(StateMenu)
	c.press("menu:tip")
	c.say("something")
	c.cmd("language")
	c.wantState(StateLanguage)
	c.press("lang:km")
	if c.s.Lang != "km" {
		t.Errorf("lang = %q", c.s.Lang)
	}
	c.wantState(StateTipDanger) // back where they were, answers kept
	if c.s.Draft.Answers[tipline.AnswerWhat] != "something" {
		t.Error("answer lost after changing language")
	}

	unknown := newConversation(t, "ru")
	unknown.cmd("start")
	unknown.wantState(StateLanguage)
	unknown.press("lang:en")
	unknown.wantState(StateMenu)
}

func TestUrgentShowsEmergencyNumbers(t *testing.T) {
	c := newConversation(t, "en")
	c.cmd("start")
	c.press("menu:tip")
	c.say("x")
	res := c.press("a:yes")
	var numbers []string
	for _, r := range res.Replies {
		for _, l := range r.Lines {
			if l.ID == "emergency_line" {
				numbers = append(numbers, l.Data["Number"].(string))
			}
		}
	}
	for _, want := range []string{"117", "1280", "191", "1300"} {
		if !slices.Contains(numbers, want) {
			t.Errorf("emergency numbers %v lack %s", numbers, want)
		}
	}
	if !c.s.Draft.Urgent {
		t.Error("not marked urgent")
	}
}

func TestResumeUnfinishedDraft(t *testing.T) {
	c := newConversation(t, "en")
	c.cmd("start")
	c.press("menu:tip")
	c.say("x")
	c.cmd("start")
	c.wantState(StateResume)
	c.press(actResume)
	c.wantState(StateTipDanger)
	c.cmd("start")
	c.press(actRestart)
	c.wantState(StateMenu)
	if c.s.Draft != nil {
		t.Error("draft kept after starting over")
	}
}

func TestLostSessionIsExplained(t *testing.T) {
	e := testEngine()
	res := e.Step(Session{}, Input{Kind: InputButton, Text: "a:yes", LanguageCode: "km", Now: t0})
	if res.Replies[0].Lines[0].ID != "error_session_lost" {
		t.Errorf("first reply %s, want error_session_lost", res.Replies[0].Lines[0].ID)
	}
	if res.Session.State != StateMenu || res.Session.Lang != "km" {
		t.Errorf("session = %+v", res.Session)
	}
}

func TestSubmitIsTheOnlyEffectAndKeyedByDraft(t *testing.T) {
	c := newConversation(t, "en")
	c.cmd("start")
	c.press("menu:tip")
	id := c.s.Draft.ID
	c.say("x")
	c.answerRest()
	if len(c.effects) != 0 {
		t.Fatalf("effects before Send: %v", c.effects)
	}
	// The same Send applied twice to the same session (a redelivered update)
	// submits the same draft id: storage makes it one case.
	before := c.s
	r1 := c.e.Step(before, Input{Kind: InputButton, Text: actSendAnon, Now: t0})
	r2 := c.e.Step(before, Input{Kind: InputButton, Text: actSendAnon, Now: t0})
	if r1.Effects[0].(SubmitCase).Case.DraftID != id || r2.Effects[0].(SubmitCase).Case.DraftID != id {
		t.Error("submit not keyed by the draft id")
	}
}
