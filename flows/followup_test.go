package flows

import (
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline"
)

// TestMissingChildJourney reports a missing child in each language, with a
// typed age and date in local digits, photos and a phone number, and keeps
// the conversation as a golden transcript.
func TestMissingChildJourney(t *testing.T) {
	digits := map[string]struct{ age, date, phone, want string }{
		"km": {"៩ ឆ្នាំ", "២០/១១", "០១២ ៣៤៥ ៦៧៨", "+85512345678"},
		"th": {"๙ ปี", "๒๐/๑๑", "๐๘๑-๒๓๔-๕๖๗๘", "+66812345678"},
		"en": {"9", "20/11", "012 345 678", "+85512345678"},
	}
	for _, lang := range Languages {
		t.Run(lang, func(t *testing.T) {
			d := digits[lang]
			c := newConversation(t, lang)
			c.cmd("start")
			c.press("menu:missing")
			c.wantState(StateMissingName)
			if !c.s.Draft.Urgent {
				t.Error("a missing child is not urgent by default")
			}
			c.say("Sokha")
			c.say("twenty") // not an age: asked again
			c.wantState(StateMissingAge)
			c.say(d.age)
			c.press("a:girl")
			c.send(Input{Kind: InputPhoto, Attachment: photo})
			c.send(Input{Kind: InputPhoto, Attachment: &tipline.Attachment{Kind: tipline.AttachPhoto, FileID: "photo-2", FileUniqueID: "u-photo-2"}})
			c.press("done")
			c.say("31/02") // no such day
			c.wantState(StateMissingSeenWhen)
			c.say(d.date)
			c.say("Poipet market, near the bus station")
			c.press("skip")
			c.press("a:parent")
			c.press("a:no")
			c.say("12345") // not a phone number
			c.wantState(StateMissingPhone)
			c.say(d.phone)
			c.press("a:unsure")
			c.wantState(StateTipReview)
			c.press("send:contact")
			c.golden("missing_" + lang)

			got := c.submitted()
			if got.Kind != tipline.KindMissing || got.Urgency != tipline.UrgencyUrgent {
				t.Errorf("kind %s urgency %s", got.Kind, got.Urgency)
			}
			a := got.Answers
			if a[tipline.AnswerAge] != "9" || a[tipline.AnswerSeenWhen] != "2026-11-20" || a[tipline.AnswerPhone] != d.want || a[tipline.AnswerName] != "Sokha" || a[tipline.AnswerSex] != "girl" {
				t.Errorf("answers = %v", a)
			}
			if len(got.Attachments) != 2 {
				t.Errorf("attachments = %d, want 2", len(got.Attachments))
			}
		})
	}
}

// TestReceiptAndFollowUpCode: after sending, the reporter gets a follow-up
// code once, can see reference and code again with one button, and the
// submit effect carries the code for the bot to hash.
func TestReceiptAndFollowUpCode(t *testing.T) {
	for _, lang := range Languages {
		t.Run(lang, func(t *testing.T) { receiptJourney(t, lang) })
	}
}

func receiptJourney(t *testing.T, lang string) {
	c := newConversation(t, lang)
	fileQuickTip(c)
	var sub SubmitCase
	for _, e := range c.effects {
		if s, ok := e.(SubmitCase); ok {
			sub = s
		}
	}
	if sub.FollowUpCode != "1234567890123456" {
		t.Fatalf("follow-up code %q", sub.FollowUpCode)
	}
	log := c.log.String()
	if !strings.Contains(log, "1234 5678 9012 3456") {
		t.Error("the code is not shown in groups of four")
	}
	c.press(actReceipt)
	if !strings.Contains(c.render(c.last.Replies[0]), "TL-7K3Q-9XDM") {
		t.Error("the receipt does not show the reference again")
	}
	c.golden("receipt_" + lang)
}

func fileQuickTip(c *conversation) {
	c.cmd("start")
	c.press("menu:tip")
	c.say("x")
	c.answerRest()
	c.press(actSendAnon)
}

// TestMyReportsAndAdding lists the reporter's cases (given back by the bot
// after the LoadMyCases effect) and adds words and a photo to an open one.
func TestMyReportsAndAdding(t *testing.T) {
	for _, lang := range Languages {
		t.Run(lang, func(t *testing.T) {
			c := newConversation(t, lang)
			c.cmd("start")
			c.press("menu:mine")
			if len(c.last.Effects) != 1 {
				t.Fatalf("effects = %v, want LoadMyCases", c.last.Effects)
			}
			if _, ok := c.last.Effects[0].(LoadMyCases); !ok {
				t.Fatalf("effect %T", c.last.Effects[0])
			}
			c.send(Input{Kind: InputCases, Cases: []tipline.CaseSummary{
				{Reference: "TL-AAAA-CCCC", Kind: tipline.KindTip, Status: tipline.StatusAcknowledged, CreatedAt: t0},
				{Reference: "TL-DDDD-EEEE", Kind: tipline.KindMissing, Status: tipline.StatusClosed, CreatedAt: t0},
			}})
			c.press("add:TL-AAAA-CCCC")
			c.wantState(StateAdd)
			c.say("He came back last night.")
			c.send(Input{Kind: InputPhoto, Attachment: photo})
			c.press("done")
			c.wantState(StateMenu)
			c.golden("mine_" + lang)
			var adds []AddToCase
			for _, e := range c.effects {
				if a, ok := e.(AddToCase); ok {
					adds = append(adds, a)
				}
			}
			if len(adds) != 2 || adds[0].Reference != "TL-AAAA-CCCC" || adds[0].Addition.Text != "He came back last night." || len(adds[1].Addition.Attachments) != 1 {
				t.Errorf("additions = %+v", adds)
			}
		})
	}
}

// TestAddOnlyToOwnOrOpenedCases: a signed button for a case the chat never
// listed or opened (replayed from another chat's session) adds nothing.
func TestAddOnlyToOwnOrOpenedCases(t *testing.T) {
	e := testEngine()
	s := Session{Lang: "en", State: StateMine, Allowed: []tipline.Reference{"TL-AAAA-CCCC"}}
	res := e.Step(s, Input{Kind: InputButton, Text: "add:TL-XXXX-YYYY", Now: t0})
	if res.Session.State == StateAdd || res.Session.AddingTo != "" {
		t.Error("could add to a case this chat may not touch")
	}
	if res.Replies[0].Lines[0].ID != "error_old_button" {
		t.Errorf("reply %s", res.Replies[0].Lines[0].ID)
	}
}

// TestStatusWithCode: /status takes a code in any digits; wrong and
// limited codes are answered plainly.
func TestStatusWithCode(t *testing.T) {
	for _, lang := range Languages {
		t.Run(lang, func(t *testing.T) { statusJourney(t, lang) })
	}
}

func statusJourney(t *testing.T, lang string) {
	c := newConversation(t, lang)
	c.cmd("status")
	c.wantState(StateCode)
	c.say("១២៣៤")
	if len(c.last.Effects) != 0 {
		t.Error("a short code was looked up")
	}
	c.say("១២៣៤ ៥៦៧៨ ៩០១២ ៣៤៥៦")
	open, ok := c.last.Effects[0].(OpenByCode)
	if !ok || open.Code != "1234567890123456" {
		t.Fatalf("effects %v", c.last.Effects)
	}
	c.send(Input{Kind: InputCodeResult, CodeResult: CodeWrong})
	c.wantState(StateCode)
	c.say("1234 5678 9012 3457")
	c.send(Input{Kind: InputCodeResult, CodeResult: CodeLimited})
	c.wantState(StateMenu)
	c.cmd("status")
	c.say("1234567890123456")
	c.send(Input{Kind: InputCodeResult, CodeResult: CodeOpened, Cases: []tipline.CaseSummary{{Reference: "TL-AAAA-CCCC", Kind: tipline.KindTip, Status: tipline.StatusReceived, CreatedAt: t0}}})
	c.press("add:TL-AAAA-CCCC")
	c.wantState(StateAdd)
	c.golden("status_" + lang)
}

func TestClearChatAndForget(t *testing.T) {
	for _, lang := range Languages {
		t.Run(lang, func(t *testing.T) { clearAndForgetJourney(t, lang) })
	}
}

func clearAndForgetJourney(t *testing.T, lang string) {
	c := newConversation(t, lang)
	fileQuickTip(c)
	c.press(actClear)
	c.wantState(StateClear)
	c.press(actClearYes)
	// One message stays: how to delete the chat itself, which the bot
	// cannot. It names no child, no report and no code.
	if len(c.last.Replies) != 1 || c.last.Replies[0].Lines[0].ID != "clear_done" {
		t.Fatalf("after clearing: %+v, want only clear_done", c.last.Replies)
	}
	if left := c.render(c.last.Replies[0]); strings.Contains(left, "TL-") || strings.Contains(left, "1234") {
		t.Errorf("the message left after clearing names the report: %q", left)
	}
	if _, ok := c.last.Effects[0].(ClearChat); !ok {
		t.Fatalf("effects %v", c.last.Effects)
	}
	if c.s.Receipt != nil {
		t.Error("the follow-up code stays in the session after clearing")
	}

	c.cmd("start")
	c.press("menu:tip")
	c.say("unfinished")
	c.cmd("forget")
	c.wantState(StateForget)
	c.press(actForgetYes)
	if _, ok := c.last.Effects[0].(Forget); !ok {
		t.Fatalf("effects %v", c.last.Effects)
	}
	if c.s.Draft != nil || len(c.s.Submitted) != 0 || len(c.s.Allowed) != 0 {
		t.Errorf("session after forget = %+v", c.s)
	}
	c.golden("forget_" + lang)
}

func TestExpiredDraftExplained(t *testing.T) {
	e := testEngine()
	res := e.Step(Session{}, Input{Kind: InputText, Text: "hello", LanguageCode: "en", DraftExpired: true, Now: t0})
	if res.Replies[0].Lines[0].ID != "draft_expired" {
		t.Errorf("first reply %s, want draft_expired", res.Replies[0].Lines[0].ID)
	}
}

func TestEditedMessageKeptBeside(t *testing.T) {
	c := newConversation(t, "en")
	c.cmd("start")
	c.press("menu:tip")
	c.say("first words")
	c.send(Input{Kind: InputEdited, Text: "changed words"})
	c.answerRest()
	c.press(actSendAnon)
	a := c.submitted().Answers
	if a[tipline.AnswerWhat] != "first words" || a["edits"] != "changed words" {
		t.Errorf("answers = %v", a)
	}
}

var _ = time.Now

// TestContactQuestionTellsTheTruth: the question before Send says what our
// team will see (the phone number a family typed, never a name), warns of
// a watched phone, and after "Not sure, ask me first" offers only the Send
// that lets us ask.
func TestContactQuestionTellsTheTruth(t *testing.T) {
	for _, lang := range Languages {
		t.Run(lang, func(t *testing.T) {
			c := newConversation(t, lang)
			c.cmd("start")
			c.press("menu:missing")
			c.say("Dara")
			c.say("7")
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
			c.wantState(StateTipReview)
			if got := c.last.Replies[0].Lines; got[len(got)-1].ID != "review_contact_question_phone" {
				t.Errorf("with a phone number: %s, want review_contact_question_phone", got[len(got)-1].ID)
			}
			c.label(actSendAnon)
			c.press(actEdit)
			c.press(prefixEditOne + string(StateMissingAppeal))
			c.press("a:unsure")
			c.wantState(StateTipReview)
			rep := c.last.Replies[0]
			if got := rep.Lines[len(rep.Lines)-2].ID; got != "review_contact_needed" {
				t.Errorf("after 'ask me first': %s, want review_contact_needed", got)
			}
			if got := rep.Lines[len(rep.Lines)-1].ID; got != "review_phone_seen" {
				t.Errorf("after 'ask me first' with a phone number: %s, want review_phone_seen", got)
			}
			for _, row := range rep.Buttons {
				for _, b := range row {
					if b.Action == actSendAnon {
						t.Error("'Do not write to me' offered after 'ask me first'")
					}
				}
			}
			c.golden("contact_" + lang)
		})
	}
}

// TestFileTooLarge: a video over the Bot API's download limit is kept on
// the report (the team sees it was sent) and the reporter is told kindly
// to send a shorter one or say in words what it shows, in a draft and in
// an addition; a file within the limit is not remarked on.
func TestFileTooLarge(t *testing.T) {
	big := &tipline.Attachment{Kind: tipline.AttachVideo, FileID: "big", FileUniqueID: "u-big", Size: tipline.MaxDownload + 1}
	small := &tipline.Attachment{Kind: tipline.AttachVideo, FileID: "small", FileUniqueID: "u-small", Size: tipline.MaxDownload}
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
	c := newConversation(t, "km")
	c.cmd("start")
	c.press("menu:missing")
	c.say("Sokha")
	c.say("7")
	c.press("a:girl")
	if res := c.send(Input{Kind: InputVideo, Attachment: small}); said(res, "file_too_large") {
		t.Error("a video within the limit was called too large")
	}
	if res := c.send(Input{Kind: InputVideo, Attachment: big}); !said(res, "file_too_large") || !said(res, "tip_media_received") {
		t.Errorf("a video over the limit: replies %+v, want file_too_large and the count", res.Replies)
	}
	if n := len(c.s.Draft.Attachments); n != 2 {
		t.Errorf("the draft keeps %d videos, want both (the big one noted as sent)", n)
	}

	c.s.State, c.s.AddingTo = StateAdd, "TL-ABCD-EFGH"
	res := c.send(Input{Kind: InputVideo, Attachment: big})
	if !said(res, "file_too_large") || !said(res, "add_received") {
		t.Errorf("a big video added to a report: replies %+v, want file_too_large and add_received", res.Replies)
	}
}
