package flows

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/tipline/tipline"
)

// submitted returns the case the conversation submitted.
func submitted(t *testing.T, c *conversation) tipline.NewCase {
	t.Helper()
	for _, e := range c.effects {
		if s, ok := e.(SubmitCase); ok {
			return s.Case
		}
	}
	t.Fatalf("no case submitted; effects %v", c.effects)
	return tipline.NewCase{}
}

// TestChatIDOnlyWithContact: the case says whether the reporter allows
// contact; the chat id itself never passes through flows (bot fills it in,
// only when contact is allowed: bot's TestCaseChatOnlyWithContact).
func TestChatIDOnlyWithContact(t *testing.T) {
	anon := newConversation(t, tipline.LangEnglish)
	fileQuickTip(anon)
	if got := submitted(t, anon); got.ContactAllowed || got.ReporterChatID != 0 {
		t.Fatalf("anonymous case: contact %v, chat %d; want false, 0", got.ContactAllowed, got.ReporterChatID)
	}

	contact := newConversation(t, tipline.LangEnglish)
	contact.cmd("start")
	contact.press("menu:tip")
	contact.say("x")
	contact.answerRest()
	contact.press(actSendOpen)
	if got := submitted(t, contact); !got.ContactAllowed || got.ReporterChatID != 0 {
		t.Fatalf("case with contact: contact %v, chat %d; want true, 0", got.ContactAllowed, got.ReporterChatID)
	}
}

// TestWithdrawContactFromMyReports: My reports offers "stop messages" on an
// open case the team may still write about, and pressing it asks the bot
// to delete the chat id.
func TestWithdrawContactFromMyReports(t *testing.T) {
	for _, lang := range Languages {
		t.Run(lang, func(t *testing.T) {
			c := newConversation(t, lang)
			c.cmd("start")
			c.press("menu:mine")
			c.send(Input{Kind: InputCases, Cases: []tipline.CaseSummary{
				{Reference: "TL-AAAA-CCCC", Kind: tipline.KindTip, Status: tipline.StatusReceived, CreatedAt: t0, ContactAllowed: true},
				{Reference: "TL-DDDD-EEEE", Kind: tipline.KindTip, Status: tipline.StatusReceived, CreatedAt: t0},
			}})
			if c.offered("nocontact:TL-DDDD-EEEE") {
				t.Fatalf("stop messages offered on a case without contact")
			}
			c.press("nocontact:TL-AAAA-CCCC")
			c.wantState(StateMenu)
			want := WithdrawContact{Reference: "TL-AAAA-CCCC", Reporter: "pseudo"}
			if len(c.last.Effects) != 1 || c.last.Effects[0] != want {
				t.Fatalf("effects %v, want %v", c.last.Effects, want)
			}
		})
	}
	// A forged action for a case not shown to this chat does nothing.
	c := newConversation(t, tipline.LangEnglish)
	c.cmd("start")
	c.press("menu:mine")
	c.send(Input{Kind: InputCases, Cases: []tipline.CaseSummary{}})
	forged := c.e.Step(c.s, Input{Kind: InputButton, Text: "nocontact:TL-AAAA-CCCC", Reporter: "pseudo", Now: t0})
	for _, e := range forged.Effects {
		if _, ok := e.(WithdrawContact); ok {
			t.Fatalf("withdrew contact on a case not shown: %v", forged.Effects)
		}
	}
}

// offered tells whether the last replies offer a button with action.
func (c *conversation) offered(action string) bool {
	for _, r := range c.last.Replies {
		for _, row := range r.Buttons {
			for _, b := range row {
				if b.Action == action {
					return true
				}
			}
		}
	}
	return false
}

// TestEditsKeptPerDraft: a reporter (or a script) who edits a message
// hundreds of times leaves a draft of bounded size: the newest edits, at
// most Limits.Edits of them and Limits.EditBytes bytes.
func TestEditsKeptPerDraft(t *testing.T) {
	c := newConversation(t, tipline.LangEnglish)
	c.cmd("start")
	c.press("menu:tip")
	c.say("x")
	long := strings.Repeat("ក", 2900) // Khmer: 3 bytes a character
	for i := 0; i < 600; i++ {
		res := c.e.Step(c.s, Input{Kind: InputEdited, Text: fmt.Sprintf("edit %d %s", i, long), Now: t0})
		c.s = res.Session
	}
	d := c.s.Draft
	if d == nil {
		t.Fatal("the draft is gone")
	}
	total := 0
	for _, e := range d.Edits {
		total += len(e)
	}
	if len(d.Edits) > DefaultLimits.Edits || total > DefaultLimits.EditBytes {
		t.Fatalf("draft keeps %d edits, %d bytes; want at most %d and %d", len(d.Edits), total, DefaultLimits.Edits, DefaultLimits.EditBytes)
	}
	if len(d.Edits) == 0 || !strings.HasPrefix(d.Edits[len(d.Edits)-1], "edit 599 ") {
		t.Fatalf("the newest edit is not kept")
	}
	raw, err := json.Marshal(c.s)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) > 64<<10 {
		t.Fatalf("the session is %d bytes after 600 edits, want under 64 KiB", len(raw))
	}
}
