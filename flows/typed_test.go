package flows

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/locales/script"
)

// typedFirst is what a frightened neighbour types before reading any menu.
var typedFirst = map[string]string{
	"en": "hello, I need help. The family next door is selling their girl tomorrow.",
	"km": "សួស្ដី ខ្ញុំត្រូវការជំនួយ។ គ្រួសារខាងផ្ទះនឹងលក់កូនស្រីរបស់គេថ្ងៃស្អែក។",
	"th": "สวัสดี ต้องการความช่วยเหลือ บ้านข้าง ๆ จะขายลูกสาวพรุ่งนี้",
}

// TestTypedAtMenuBecomesTheTip: words typed at the menu are kept, the
// reporter is asked whether to report them, and they become the tip's
// first answer; the whole conversation is a golden transcript.
func TestTypedAtMenuBecomesTheTip(t *testing.T) {
	for _, lang := range Languages {
		t.Run(lang, func(t *testing.T) {
			c := newConversation(t, lang)
			c.cmd("start")
			c.wantState(StateMenu)
			c.say(typedFirst[lang])
			c.wantState(StateTyped)
			c.label(prefixTyped + menuMissing)
			c.label(actTypedNo)
			c.press(prefixTyped + menuTip)
			c.wantState(StateTipDanger) // the first question is answered
			if got := c.s.Draft.Answers[tipline.AnswerWhat]; got != typedFirst[lang] {
				t.Fatalf("what = %q, want the words typed at the menu", got)
			}
			c.press("a:no")
			c.answerRest()
			c.press(actSendAnon)
			c.golden("typed_tip_" + lang)
			if got := c.submitted().Answers[tipline.AnswerWhat]; got != typedFirst[lang] {
				t.Errorf("submitted what = %q, want %q", got, typedFirst[lang])
			}
			if c.s.Typed != "" {
				t.Error("the words stay in the session after the report")
			}
		})
	}
}

// TestTypedFirstMessageBecomesMissingReport: a family's very first message
// is their story; they choose a missing-child report and the words go with it.
func TestTypedFirstMessageBecomesMissingReport(t *testing.T) {
	for _, lang := range Languages {
		t.Run(lang, func(t *testing.T) {
			c := newConversation(t, lang)
			c.say(typedFirst[lang]) // no /start: the first message is the story
			c.wantState(StateTyped)
			c.press(prefixTyped + menuMissing)
			c.wantState(StateMissingName)
			c.say("Srey Pov")
			c.press("a:12_17")
			c.press("a:girl")
			c.answerRest()
			c.press(actSendAnon)
			c.golden("typed_missing_" + lang)
			got := c.submitted().Answers
			if got[tipline.AnswerWritten] != typedFirst[lang] || got[tipline.AnswerName] != "Srey Pov" {
				t.Errorf("answers = %v, want the first words kept beside the name", got)
			}
		})
	}
}

func TestTypedWordsWaitForLanguageAndCanBeDeclined(t *testing.T) {
	c := newConversation(t, "ru") // no language we speak: asked first
	c.say("help")
	c.wantState(StateLanguage)
	c.say("please")
	c.wantState(StateLanguage)
	c.press("lang:en")
	c.wantState(StateTyped)
	if c.s.Typed != "help"+wordsSeparator+"please" {
		t.Fatalf("typed = %q, want both messages in order", c.s.Typed)
	}
	c.press(actTypedNo)
	c.wantState(StateMenu)
	if c.s.Typed != "" {
		t.Error("words kept after the reporter said no")
	}
	// The menu's own buttons work at the question too, and use the words.
	c.say("a man takes children at night")
	c.s = c.e.Step(c.s, Input{Kind: InputButton, Text: "menu:tip", Now: t0}).Session // the menu shown earlier
	c.wantState(StateTipDanger)
	if c.s.Draft.Answers[tipline.AnswerWhat] != "a man takes children at night" {
		t.Errorf("what = %q", c.s.Draft.Answers[tipline.AnswerWhat])
	}
}

// TestLongTextKeptWhole: a story longer than the limit is kept whole, the
// reporter is told so kindly, and the report goes on; a long text where a
// short answer is asked is kept for the team, and the question asked again.
func TestLongTextKeptWhole(t *testing.T) {
	long := strings.Repeat("ក្មេងស្រី ", DefaultLimits.LongText/3) // Khmer clusters, well over the limit
	if script.Length(long) <= DefaultLimits.LongText {
		t.Fatalf("test text is %d characters, want over %d", script.Length(long), DefaultLimits.LongText)
	}
	c := newConversation(t, "km")
	c.cmd("start")
	c.press("menu:tip")
	res := c.say(long)
	c.wantState(StateTipDanger)
	if got := c.s.Draft.Answers[tipline.AnswerWhat]; got != strings.TrimSpace(long) {
		t.Fatalf("what kept %d of %d characters", script.Length(got), script.Length(long))
	}
	if id := res.Replies[0].Lines[0].ID; id != "long_text_kept" {
		t.Errorf("first line %s, want long_text_kept", id)
	}
	c.press("a:no")
	c.press(actSkip) // what is happening
	place := strings.Repeat("ផ្ទះ ", DefaultLimits.ShortText)
	res = c.say(place)
	c.wantState(StateTipWhere)
	if id := res.Replies[0].Lines[0].ID; id != "short_text_kept" {
		t.Errorf("first line %s, want short_text_kept", id)
	}
	c.press(actSkip)
	c.answerRest()
	c.press(actSendAnon)
	got := c.submitted().Answers
	if got[tipline.AnswerWhat] != strings.TrimSpace(long) || got[tipline.AnswerWritten] != strings.TrimSpace(place) {
		t.Errorf("submitted what=%d written=%d characters, want both whole", script.Length(got[tipline.AnswerWhat]), script.Length(got[tipline.AnswerWritten]))
	}
}

// TestLongAdditionKeptWhole: adding a long text to a case keeps all of it.
func TestLongAdditionKeptWhole(t *testing.T) {
	long := strings.Repeat("เด็ก ", DefaultLimits.LongText)
	e := testEngine()
	s := Session{Lang: "th", State: StateAdd, AddingTo: "TL-7K3Q-9XDM", Allowed: []tipline.Reference{"TL-7K3Q-9XDM"}}
	res := e.Step(s, Input{Kind: InputText, Text: long, Now: t0})
	if len(res.Effects) != 1 {
		t.Fatalf("effects = %v, want the addition", res.Effects)
	}
	if got := res.Effects[0].(AddToCase).Addition.Text; got != strings.TrimSpace(long) {
		t.Errorf("added %d characters, want all %d", script.Length(got), script.Length(long))
	}
	if id := res.Replies[0].Lines[0].ID; id != "long_text_kept" {
		t.Errorf("first line %s, want long_text_kept", id)
	}
}

func TestEmergencyAskedFor(t *testing.T) {
	for _, tc := range []struct {
		in   Input
		want bool
	}{
		{Input{Kind: InputCommand, Text: "emergency"}, true},
		{Input{Kind: InputButton, Text: "menu:emergency"}, true},
		{Input{Kind: InputText, Text: "emergency"}, false},
		{Input{Kind: InputCommand, Text: "start"}, false},
	} {
		if got := AsksForEmergency(tc.in); got != tc.want {
			t.Errorf("AsksForEmergency(%+v) = %v, want %v", tc.in, got, tc.want)
		}
	}
	rep := testEngine().EmergencyReply("blocked_neutral", "th")
	if rep.Lines[0].ID != "blocked_neutral" || len(rep.Lines) != 1+len(DefaultEmergency) {
		t.Errorf("reply = %+v, want the intro and every number", rep)
	}
}

// khmerMessage is one message of 4,096 Khmer letters, numbered so that the
// newest one kept can be told from the others.
func khmerMessage(n int) string {
	letters := []rune("កខគឃងចឆជឈញដឋឌឍណតថទធនបផពភមយរលវសហឡអ")
	rs := make([]rune, 0, 4096)
	for i := 0; len(rs) < 4096-8; i++ {
		rs = append(rs, letters[(i+n)%len(letters)])
	}
	return string(rs) + fmt.Sprintf(" #%05d", n)
}

// TestWordsBounded is the security review's H1: a script typing 600
// messages of 4,096 Khmer letters at the menu, then 600 more where a short
// answer is asked, keeps the session small. The newest words are kept,
// the reporter is told once the oldest go, and the report carries at most
// Limits.WordsBytes of them.
func TestWordsBounded(t *testing.T) {
	e := testEngine()
	s := Session{Lang: "km", State: StateMenu}
	step := func(in Input) Result {
		in.Now, in.Reporter = t0, "pseudo"
		res := e.Step(s, in)
		s = res.Session
		return res
	}
	said := func(res Result, id string) bool {
		for _, r := range res.Replies {
			for _, l := range r.Lines {
				if l.ID == id {
					return true
				}
			}
		}
		return false
	}
	var last Result
	for n := range 600 {
		last = step(Input{Kind: InputText, Text: khmerMessage(n)})
	}
	if len(s.Typed) > DefaultLimits.WordsBytes {
		t.Fatalf("the session keeps %d bytes typed at the menu, want at most %d", len(s.Typed), DefaultLimits.WordsBytes)
	}
	if !strings.HasSuffix(s.Typed, khmerMessage(599)) {
		t.Error("the newest message is not kept whole")
	}
	if !said(last, "words_cut") {
		t.Error("the reporter is not told that the oldest words were not kept")
	}
	step(Input{Kind: InputButton, Text: prefixTyped + menuTip})
	if got := len(s.Draft.Answers[tipline.AnswerWhat]); got == 0 || got > DefaultLimits.WordsBytes {
		t.Fatalf("what holds %d bytes, want the kept words, at most %d", got, DefaultLimits.WordsBytes)
	}
	step(Input{Kind: InputButton, Text: "a:no"})
	step(Input{Kind: InputButton, Text: actSkip}) // what is happening
	s.State = StateTipWhere                       // a short question: longer texts go to "written"
	for n := range 600 {
		last = step(Input{Kind: InputText, Text: khmerMessage(n)})
	}
	if got := len(s.Draft.Answers[tipline.AnswerWritten]); got > DefaultLimits.WordsBytes {
		t.Fatalf("written holds %d bytes, want at most %d", got, DefaultLimits.WordsBytes)
	}
	if !said(last, "words_cut") || said(last, "short_text_kept") {
		t.Error("a cut short answer must say words_cut, not that all was kept")
	}
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 4*DefaultLimits.WordsBytes {
		t.Errorf("the session is %d bytes after 1,200 long messages, want at most %d", len(data), 4*DefaultLimits.WordsBytes)
	}
}
