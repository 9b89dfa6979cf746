package flows

import (
	"strings"
	"testing"

	"github.com/tipline/tipline"
)

// TestListenToggle: the menu offers "🔊 Listen to the questions"; pressing
// it keeps the choice in the session, says so, and shows the menu again
// with "🔇" to turn it off; a question asked then still carries its own
// buttons (the bot sends it as a voice message with them).
func TestListenToggle(t *testing.T) {
	c := newConversation(t, "km")
	c.cmd("start")
	c.wantState(StateMenu)
	if got := c.label(actListenOn); !strings.Contains(got, "🔊") {
		t.Fatalf("menu's listen button %q, want 🔊", got)
	}
	c.press(actListenOn)
	if !c.s.Listen {
		t.Fatalf("listening off after pressing 🔊")
	}
	c.wantState(StateMenu)
	if got := c.last.Replies[0].Lines[0].ID; got != "listen_on" {
		t.Errorf("first line %s, want listen_on", got)
	}
	if got := c.label(actListenOff); !strings.Contains(got, "🔇") {
		t.Fatalf("menu's button while listening %q, want 🔇", got)
	}
	c.press(prefixMenu + menuTip)
	if !c.s.Listen || len(c.last.Replies[len(c.last.Replies)-1].Buttons) == 0 {
		t.Fatalf("listening %v, question buttons %v", c.s.Listen, c.last.Replies)
	}
	// Pressed under an older message, mid-report: off, and the question again.
	c.last = c.e.Step(c.s, Input{Kind: InputButton, Text: actListenOff, Reporter: "pseudo", Now: t0})
	c.s = c.last.Session
	if c.s.Listen {
		t.Fatalf("listening on after pressing 🔇")
	}
	c.wantState(StateTipWhat)
}

// TestListenOnThePicker: the first screen, before any language is chosen,
// offers the speaker alone; pressing it keeps listening on through the
// choice of a language.
func TestListenOnThePicker(t *testing.T) {
	c := &conversation{t: t, e: testEngine(), cat: newConversation(t, "km").cat, lang: "en"}
	c.cmd("start")
	c.wantState(StateLanguage)
	if got := c.label(actListenOn); got != "🔊" {
		t.Fatalf("picker's listen button %q, want the speaker alone", got)
	}
	c.press(actListenOn)
	c.wantState(StateLanguage)
	n := 0
	for _, l := range c.last.Replies[0].Lines {
		if l.ID == "listen_on" && l.Lang != "" {
			n++
		}
	}
	if n != len(Languages) {
		t.Errorf("listen_on in %d languages, want each of ours", n)
	}
	c.press(prefixLang + tipline.LangKhmer)
	if !c.s.Listen || c.s.Lang != tipline.LangKhmer {
		t.Fatalf("listen %v, language %q after choosing Khmer", c.s.Listen, c.s.Lang)
	}
}

// TestListenAfterExpiry: a 🔊 or 🔇 pressed under an old message, the
// session gone, still acts (the bot keeps the choice beyond the session)
// and shows the menu, without "your conversation was lost".
func TestListenAfterExpiry(t *testing.T) {
	e := testEngine()
	res := e.Step(Session{Lang: tipline.LangKhmer}, Input{Kind: InputButton, Text: actListenOn, SessionLost: true, Now: t0})
	if !res.Session.Listen || res.Session.State != StateMenu {
		t.Fatalf("listen %v, state %s; want on, at the menu", res.Session.Listen, res.Session.State)
	}
	for _, r := range res.Replies {
		for _, l := range r.Lines {
			if l.ID == "error_session_lost" {
				t.Errorf("said the session was lost for a button that needs none")
			}
		}
	}
}

// TestForgetTurnsListeningOff: /forget leaves nothing of the reporter's
// choices in the session.
func TestForgetTurnsListeningOff(t *testing.T) {
	c := newConversation(t, "km")
	c.cmd("start")
	c.press(actListenOn)
	c.cmd("forget")
	c.press(actForgetYes)
	if c.s.Listen {
		t.Fatalf("listening kept after /forget")
	}
}
