package flows

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/locales/script"
	"github.com/tipline/tipline/reply"
)

// summaryValueMax caps how much of a typed answer the review repeats, so the
// summary stays one readable message.
const summaryValueMax = 300

func btn(id, action string) reply.Button {
	return reply.Button{Label: reply.Text{ID: id}, Action: action}
}

func (r *run) navRow() []reply.Button {
	return []reply.Button{btn("button_back", actBack), btn("button_cancel", actCancel)}
}

// ask says the current state's question, with its buttons.
func (r *run) ask() {
	r.sayReply(r.prompt())
}

func (r *run) prompt() reply.Message {
	s := r.s
	switch s.State {
	case StateLanguage, StateNew:
		rows := [][]reply.Button{{
			btn("language_name_km", prefixLang+tipline.LangKhmer),
			btn("language_name_th", prefixLang+tipline.LangThai),
			btn("language_name_en", prefixLang+tipline.LangEnglish),
		}}
		rows = append(rows, []reply.Button{r.listenToggle()})
		if len(s.Back) > 0 {
			rows = append(rows, []reply.Button{btn("button_back", actBack)})
		}
		if s.Lang == "" {
			// One short message a reader of any of our languages can read.
			return reply.Message{Lines: InEachLanguage("choose_language"), Buttons: rows}
		}
		return reply.Message{Lines: []reply.Text{{ID: "choose_language"}}, Buttons: rows}
	case StateMenu:
		if s.Typed != "" && s.Draft == nil {
			// Words typed first wait for an answer before the menu.
			r.s.State = StateTyped
			return r.typedPrompt()
		}
		rows := [][]reply.Button{
			{btn("menu_tip", prefixMenu+menuTip)},
			{btn("menu_missing", prefixMenu+menuMissing)},
			{btn("menu_mine", prefixMenu+menuMine)},
			{btn("menu_emergency", prefixMenu+menuEmergency), btn("menu_privacy", prefixMenu+menuPrivacy)},
			{btn("menu_language", prefixMenu+menuLanguage)},
			{r.listenToggle()},
		}
		if s.Lang == tipline.LangKhmer {
			// Two Khmer labels side by side are cut with "…" on a
			// 360-dp phone: one to a row.
			rows = slices.Concat(rows[:3], [][]reply.Button{rows[3][:1], rows[3][1:]}, rows[4:])
		}
		return reply.Message{Lines: []reply.Text{{ID: "menu"}}, Buttons: rows}
	case StateTyped:
		if s.Typed == "" || s.Draft != nil {
			r.s.State = StateMenu
			return r.prompt()
		}
		return r.typedPrompt()
	case StateResume:
		return reply.Message{Lines: []reply.Text{{ID: "resume_question"}}, Buttons: [][]reply.Button{
			{btn("button_continue", actResume)},
			{btn("button_start_over", actRestart)},
		}}
	case StateCancel:
		return reply.Message{Lines: []reply.Text{{ID: "cancel_question"}}, Buttons: [][]reply.Button{
			{btn("button_cancel_yes", actCancelYes), btn("button_cancel_no", actCancelNo)},
		}}
	case StateTipReview:
		return r.review()
	case StateMine:
		r.s.State = StateMenu
		return r.prompt()
	case StateAdd:
		return reply.Message{
			Lines:   []reply.Text{{ID: "add_prompt", Data: map[string]any{"Reference": string(s.AddingTo)}}},
			Buttons: [][]reply.Button{{btn("button_done", actDone)}},
		}
	case StateCode:
		return reply.Message{Lines: []reply.Text{{ID: "code_prompt"}}, Buttons: [][]reply.Button{{btn("button_menu", actMenu)}}}
	case StateForget:
		return reply.Message{Lines: []reply.Text{{ID: "forget_question"}}, Buttons: [][]reply.Button{
			{btn("button_forget_yes", actForgetYes)}, {btn("button_forget_no", actForgetNo)},
		}}
	case StateClear:
		return reply.Message{Lines: []reply.Text{{ID: "clear_question"}}, Buttons: [][]reply.Button{
			{btn("button_clear_yes", actClearYes)}, {btn("button_clear_no", actClearNo)},
		}}
	case StateTipEdit:
		if s.Draft == nil {
			r.s.State = StateMenu
			return r.prompt()
		}
		var rows [][]reply.Button
		for _, q := range questionsFor(s.Draft.Kind) {
			rows = append(rows, []reply.Button{btn("edit_"+q.answer, prefixEditOne+string(q.state))})
		}
		rows = append(rows, []reply.Button{btn("button_back", actBack)})
		return reply.Message{Lines: []reply.Text{{ID: "edit_which"}}, Buttons: rows}
	}
	if q, _, ok := findQuestion(s.State); ok && s.Draft != nil {
		return r.question(q)
	}
	// A state we no longer know (an old session): start from the menu.
	r.s.State = StateMenu
	return r.prompt()
}

func (r *run) question(q question) reply.Message {
	rep := reply.Message{Lines: []reply.Text{{ID: "q_" + q.answer}}}
	var row []reply.Button
	for _, code := range q.options {
		row = append(row, btn("answer_"+q.answer+"_"+code, prefixAnswer+code))
		if q.perRow > 0 && len(row) == q.perRow {
			rep.Buttons = append(rep.Buttons, row)
			row = nil
		}
	}
	if len(row) > 0 {
		rep.Buttons = append(rep.Buttons, row)
	}
	switch {
	case q.media && r.countAttachments(q.answer) > 0:
		rep.Buttons = append(rep.Buttons, []reply.Button{btn("button_done", actDone)})
	case q.optional:
		rep.Buttons = append(rep.Buttons, []reply.Button{btn("button_skip", actSkip)})
	}
	rep.Buttons = append(rep.Buttons, r.navRow())
	return rep
}

// review is the summary of the draft with the send buttons.
func (r *run) review() reply.Message {
	d := r.s.Draft
	title := "review_title"
	if d.Kind == tipline.KindMissing {
		title = "review_title_missing"
	}
	lines := []reply.Text{{ID: title}}
	for _, q := range questionsFor(d.Kind) {
		lines = append(lines, reply.Text{ID: "summary_line", Item: true, Data: map[string]any{
			"Label": reply.Text{ID: "summary_" + q.answer},
			"Value": r.summaryValue(q),
		}})
	}
	if w := d.Answers[tipline.AnswerWritten]; w != "" {
		lines = append(lines, reply.Text{ID: "summary_line", Item: true, Data: map[string]any{
			"Label": reply.Text{ID: "summary_written"},
			"Value": Quote(w, summaryValueMax),
		}})
	}
	if d.Urgent {
		lines = append(lines, reply.Text{ID: "review_urgent"})
	}
	// The contact question says exactly what our team will see: the phone
	// number typed for a missing child, if any, never a name.
	question := "review_contact_question"
	if d.Answers[tipline.AnswerPhone] != "" {
		question = "review_contact_question_phone"
	}
	lines = append(lines, reply.Text{ID: question})
	send := [][]reply.Button{
		{btn("button_send_contact", actSendOpen)},
		{btn("button_send_anonymous", actSendAnon)},
	}
	if d.Answers[tipline.AnswerAppeal] == "unsure" {
		// "Ask me first" needs a way to ask: no "Do not write to me".
		lines[len(lines)-1] = reply.Text{ID: "review_contact_needed"}
		if d.Answers[tipline.AnswerPhone] != "" {
			// Still said: they will see the number.
			lines = append(lines, reply.Text{ID: "review_phone_seen"})
		}
		send = send[:1]
	}
	return reply.Message{Lines: lines, Buttons: append(send,
		[]reply.Button{btn("button_change", actEdit), btn("button_cancel", actCancel)},
	)}
}

// summaryValue is what the review shows for one answer: a localized button
// label, the reporter's own words (shortened), a value the catalogue
// writes, or a count.
func (r *run) summaryValue(q question) any {
	d := r.s.Draft
	switch {
	case q.answer == tipline.AnswerPhone && d.PhoneAsTyped != "" && d.Answers[tipline.AnswerPhone] != "":
		// The number as the reporter typed it, which they recognise
		// (012 345 678); reviewers read it in full (+855 12 345 678).
		return Quote(d.PhoneAsTyped, summaryValueMax)
	case q.media && r.countAttachments(q.answer) > 0:
		return reply.Text{ID: "summary_count", Data: map[string]any{"Count": r.countAttachments(q.answer)}}
	case q.location && d.Location != nil:
		return reply.Text{ID: "summary_location"}
	case q.media && r.countAttachments(q.answer) == 0:
		return reply.Text{ID: "summary_skipped"}
	}
	v, ok := d.Answers[q.answer]
	if ok && v != "" {
		if s, typed := AnswerValue(q.answer, v).(string); typed {
			return Quote(s, summaryValueMax)
		}
		return AnswerValue(q.answer, v)
	}
	if q.voice && r.countAttachments(q.answer) > 0 {
		return reply.Text{ID: "summary_voice"}
	}
	return reply.Text{ID: "summary_skipped"}
}

// AnswerValue is how a stored answer reads to a person, in the reporter's
// review and in a reviewer's details: a button's label (a Text), a value
// the catalogue writes in the reader's language (an age in years, a day, a
// phone number in groups: a value of reply's), or else the reporter's own
// words, as a string.
func AnswerValue(key, v string) any {
	for _, qs := range [][]question{tipQuestions, missingQuestions} {
		for _, q := range qs {
			if q.answer == key && slices.Contains(q.options, v) {
				return reply.Text{ID: "answer_" + key + "_" + v}
			}
		}
	}
	switch key {
	case tipline.AnswerAge:
		if n, err := strconv.Atoi(v); err == nil {
			return reply.Years(n)
		}
	case tipline.AnswerSeenWhen, tipline.AnswerWhen:
		if t, err := time.Parse(dateLayout, v); err == nil {
			return reply.Day(t)
		}
	case tipline.AnswerPhone:
		return reply.PhoneNumber(v)
	}
	return v
}

// Quote shortens a reporter's text for repeating it back, never cutting
// through a Khmer or Thai character.
func Quote(s string, max int) string {
	return script.Truncate(strings.TrimSpace(s), max)
}

// locationText is a point a reporter added to a case, as the reviewer
// reads it: a map link, no words.
func locationText(l tipline.Location) string {
	return "📍 " + reply.MapURL(l.Latitude, l.Longitude)
}

// Questionnaire lists a kind's answer keys in the order they are asked,
// for showing a case to a reviewer.
func Questionnaire(k tipline.Kind) []string {
	var out []string
	for _, q := range questionsFor(k) {
		out = append(out, q.answer)
	}
	return out
}
