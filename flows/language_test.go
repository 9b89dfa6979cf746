package flows

import (
	"slices"
	"strings"
	"testing"

	"github.com/tipline/tipline"
)

// TestLanguagePicker: a chat from a phone whose Telegram is not in Khmer or
// Thai starts with the language picker, written in each language (Telegram
// has no Khmer interface, so a Khmer reader's phone says "en"); a Khmer or
// Thai phone starts in its language, with 🌐 to change it.
func TestLanguagePicker(t *testing.T) {
	for _, code := range []string{"en", "", "ru", "en-GB"} {
		t.Run("code="+code, func(t *testing.T) {
			c := &conversation{t: t, e: testEngine(), cat: newConversation(t, "km").cat, lang: code}
			c.say("hello, a girl next door")
			c.wantState(StateLanguage)
			if len(c.last.Replies) != 1 {
				t.Fatalf("%d replies, want the picker alone", len(c.last.Replies))
			}
			pick := c.last.Replies[0]
			var langs []string
			for _, l := range pick.Lines {
				if l.ID != "choose_language" {
					t.Errorf("line %s in the picker", l.ID)
				}
				langs = append(langs, l.Lang)
			}
			if !slices.Equal(langs, Languages) {
				t.Errorf("picker written in %v, want each of %v", langs, Languages)
			}
			for _, want := range []string{"សូមជ្រើសរើសភាសា", "กรุณาเลือกภาษา", "Choose your language", "[ភាសាខ្មែរ] [ภาษาไทย] [English]"} {
				if !strings.Contains(c.log.String(), want) {
					t.Errorf("picker lacks %q:\n%s", want, c.log.String())
				}
			}
			c.press(prefixLang + tipline.LangKhmer)
			if c.s.Lang != tipline.LangKhmer {
				t.Fatalf("language %q after choosing Khmer", c.s.Lang)
			}
			// The words typed first wait for the reporter's choice, in Khmer.
			c.wantState(StateTyped)
			if !strings.Contains(c.log.String(), "ស") || c.s.Typed == "" {
				t.Errorf("after the choice:\n%s", c.log.String())
			}
		})
	}
	for _, code := range []string{"km", "th", "th-TH", "km-KH"} {
		t.Run("code="+code, func(t *testing.T) {
			c := &conversation{t: t, e: testEngine(), cat: newConversation(t, "km").cat, lang: code}
			c.cmd("start")
			c.wantState(StateMenu)
			if c.s.Lang != tipline.MatchLanguage(code) {
				t.Errorf("language %q, want %q", c.s.Lang, tipline.MatchLanguage(code))
			}
			c.label(prefixMenu + menuLanguage) // 🌐 to change it
			if !strings.Contains(c.label(prefixMenu+menuLanguage), "🌐") {
				t.Errorf("the language button has no 🌐")
			}
		})
	}
}

// TestRememberedLanguageSkipsThePicker: the bot gives flows the language a
// reporter chose before (in the session), and no picker is shown again.
func TestRememberedLanguageSkipsThePicker(t *testing.T) {
	e := testEngine()
	res := e.Step(Session{Lang: tipline.LangThai}, Input{Kind: InputCommand, Text: "start", LanguageCode: "en", Now: t0})
	if res.Session.State != StateMenu || res.Session.Lang != tipline.LangThai {
		t.Fatalf("state %s, language %s; want the Thai menu", res.Session.State, res.Session.Lang)
	}
}

// TestOldButtonsAfterExpiry: the buttons of a finished report keep working
// when the session is gone: "↩️ Answer" under a team message opens the
// answer for its case (no "your unfinished report was lost"), the receipt
// says plainly that the code cannot be shown again, "Clear this chat"
// asks to clear, and a case's button from My reports shows the list again
// from the store.
func TestOldButtonsAfterExpiry(t *testing.T) {
	const ref = tipline.Reference("TL-7K3Q-9XDM")
	e := testEngine()
	step := func(s Session, act string, lost bool) Result {
		return e.Step(s, Input{Kind: InputButton, Text: act, LanguageCode: "en", Reporter: "pseudo", SessionLost: lost, Now: t0})
	}
	ids := func(res Result) []string {
		var out []string
		for _, r := range res.Replies {
			for _, l := range r.Lines {
				out = append(out, l.ID)
			}
		}
		return out
	}
	for _, lost := range []bool{false, true} {
		res := step(Session{Lang: tipline.LangKhmer}, TeamReplyAction(ref), lost)
		if res.Session.State != StateAdd || res.Session.AddingTo != ref {
			t.Errorf("answer after expiry (lost=%v): state %s, adding to %q", lost, res.Session.State, res.Session.AddingTo)
		}
		if slices.Contains(ids(res), "error_session_lost") {
			t.Errorf("answer after expiry (lost=%v) says the report was lost: %v", lost, ids(res))
		}
		// What the reporter then types goes to the case.
		next := e.Step(res.Session, Input{Kind: InputText, Text: "he came back today", Reporter: "pseudo", Now: t0})
		if len(next.Effects) != 1 {
			t.Fatalf("effects %v", next.Effects)
		}
		if add, ok := next.Effects[0].(AddToCase); !ok || add.Reference != ref || add.Addition.Text != "he came back today" {
			t.Errorf("effect %+v", next.Effects[0])
		}
	}

	// Before we know the language: the picker first, then the answer.
	res := step(Session{}, TeamReplyAction(ref), false)
	if res.Session.State != StateLanguage {
		t.Fatalf("answer with no language: state %s, want the picker", res.Session.State)
	}
	res = e.Step(res.Session, Input{Kind: InputButton, Text: prefixLang + tipline.LangThai, Now: t0})
	if res.Session.State != StateAdd || res.Session.AddingTo != ref || res.Session.Lang != tipline.LangThai {
		t.Errorf("after choosing: state %s, adding to %q, language %s", res.Session.State, res.Session.AddingTo, res.Session.Lang)
	}

	res = step(Session{Lang: tipline.LangKhmer}, actReceipt, true)
	if got := ids(res); !slices.Contains(got, "receipt_gone") || slices.Contains(got, "error_session_lost") {
		t.Errorf("receipt after expiry: %v", got)
	}
	res = step(Session{Lang: tipline.LangKhmer}, actClear, true)
	if res.Session.State != StateClear {
		t.Errorf("clear after expiry: state %s", res.Session.State)
	}
	res = step(Session{Lang: tipline.LangKhmer}, prefixAdd+string(ref), true)
	if len(res.Effects) != 1 {
		t.Fatalf("add after expiry: effects %v", res.Effects)
	}
	if _, ok := res.Effects[0].(LoadMyCases); !ok {
		t.Errorf("add after expiry: effect %T, want My reports read again", res.Effects[0])
	}
	// A draft's button is explained, in the reporter's language.
	res = step(Session{Lang: tipline.LangKhmer}, "a:yes", true)
	if got := ids(res); !slices.Contains(got, "error_session_lost") || res.Session.State != StateMenu {
		t.Errorf("a draft's button after expiry: %v, state %s", got, res.Session.State)
	}
}

// TestTypedAnswerToTheTeam: words typed without pressing "↩️ Answer",
// while the team waits for an answer, go to that case when it is the only
// one; with two, the reporter is asked which, and the words wait; with
// none, or while a report is being written, they are a report's words.
func TestTypedAnswerToTheTeam(t *testing.T) {
	const one, two = tipline.Reference("TL-7K3Q-9XDM"), tipline.Reference("TL-7K3Q-9XDN")
	e := testEngine()
	typed := func(s Session, awaiting ...tipline.Reference) Result {
		return e.Step(s, Input{Kind: InputText, Text: "she left this morning", Reporter: "pseudo", Awaiting: awaiting, Now: t0})
	}
	added := func(res Result) (tipline.Reference, string) {
		t.Helper()
		for _, eff := range res.Effects {
			if a, ok := eff.(AddToCase); ok {
				return a.Reference, a.Addition.Text
			}
		}
		return "", ""
	}
	for _, s := range []Session{{Lang: tipline.LangKhmer}, {Lang: tipline.LangKhmer, State: StateMenu}} {
		res := typed(s, one)
		if ref, text := added(res); ref != one || text != "she left this morning" {
			t.Errorf("state %q, one case awaiting: added %q to %q", s.State, text, ref)
		}
	}

	res := typed(Session{Lang: tipline.LangThai, State: StateMenu}, one, two)
	if ref, _ := added(res); ref != "" {
		t.Fatalf("two cases awaiting: added to %s without asking", ref)
	}
	c := &conversation{t: t, e: e, cat: newConversation(t, "th").cat, s: res.Session, last: res}
	c.label(TeamReplyAction(one))
	c.label(TeamReplyAction(two))
	if res.Replies[0].Lines[0].ID != "team_answer_which" {
		t.Errorf("asked %v", res.Replies[0].Lines)
	}
	res = e.Step(res.Session, Input{Kind: InputButton, Text: TeamReplyAction(two), Reporter: "pseudo", Now: t0})
	if ref, text := added(res); ref != two || text != "she left this morning" {
		t.Errorf("after choosing: added %q to %q", text, ref)
	}
	if res.Session.Typed != "" {
		t.Errorf("the words are still kept as typed: %q", res.Session.Typed)
	}

	if res := typed(Session{Lang: tipline.LangKhmer, State: StateMenu}); res.Session.State != StateTyped {
		t.Errorf("nothing awaiting: state %s, want the typed question", res.Session.State)
	}
	draft := Session{Lang: tipline.LangKhmer, State: StateTipWhat, Draft: &Draft{ID: "d", Kind: tipline.KindTip, Answers: tipline.Answers{}}}
	if res := typed(draft, one); res.Session.Draft.Answers[tipline.AnswerWhat] != "she left this morning" {
		t.Errorf("a report being written lost its answer to an awaiting case: %+v", res.Session.Draft)
	}
}
