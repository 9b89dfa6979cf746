package flows

import (
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/reply"
)

// TestPromisesKept: what the bot says is what it does (the language
// review's U4, U5, U6 and O3).
func TestPromisesKept(t *testing.T) {
	// U6: "we will not write to you" after a phone number typed "for our
	// team to call" says the number may still be called.
	c := newConversation(t, "en")
	c.cmd("start")
	c.press("menu:missing")
	c.press(actSkip)                  // U5: the name can be skipped
	c.press(prefixAnswer + "unknown") // U5: so can the age
	for c.s.State != StateMissingPhone {
		q, _, _ := findQuestion(c.s.State)
		if len(q.options) > 0 {
			c.press(prefixAnswer + q.options[0])
		} else {
			c.press(actSkip)
		}
	}
	c.say("081 234 5678")
	c.press("a:no")
	c.press(actSendAnon)
	if !strings.Contains(c.log.String(), c.text(reply.Text{ID: "done_anonymous_phone"})) {
		t.Errorf("sent without contact but with a phone: the receipt does not say the number may be called")
	}
	if a := c.submitted().Answers; a[tipline.AnswerName] != "" || a[tipline.AnswerAge] != "unknown" {
		t.Errorf("answers %v, want no name and an unknown age", a)
	}

	// U5: "when" has "I don't know".
	c = newConversation(t, "en")
	c.cmd("start")
	c.press("menu:tip")
	c.say("words")
	for c.s.State != StateTipWhen {
		q, _, _ := findQuestion(c.s.State)
		if len(q.options) > 0 {
			c.press(prefixAnswer + q.options[0])
		} else {
			c.press(actSkip)
		}
	}
	c.label(prefixAnswer + "unknown")

	// U4: a photo is never answered "I will ask for it soon" when no
	// question ahead asks for one.
	photo := func(c *conversation) string {
		res := c.send(Input{Kind: InputPhoto, Attachment: nil})
		return res.Replies[0].Lines[0].ID
	}
	if got := photo(c); got != "error_media_not_now" {
		t.Errorf("a photo before the media question: %s", got)
	}
	c.answerRest()
	if got := photo(c); got != "error_media_at_review" {
		t.Errorf("a photo at the review: %s", got)
	}
	m := newConversation(t, "en")
	m.cmd("start")
	m.press("menu:missing")
	for m.s.State != StateMissingSeenWhen {
		q, _, _ := findQuestion(m.s.State)
		if len(q.options) > 0 {
			m.press(prefixAnswer + q.options[0])
		} else {
			m.press(actSkip)
		}
	}
	if got := photo(m); got != "error_media_no_place" {
		t.Errorf("a photo after the missing child's photo question: %s", got)
	}

	// O3: the privacy message says how long closed reports are kept, as
	// configured.
	p := newConversation(t, "en")
	p.e.Retention = 30 * 24 * time.Hour
	p.cmd("privacy")
	if !strings.Contains(p.log.String(), "30 days after our team closes it") {
		t.Errorf("privacy:\n%s", p.log.String())
	}
}
