package flows

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/locales"
)

// summaryValueMax caps how much of a typed answer the review repeats, so the
// summary stays one readable message.
const summaryValueMax = 300

func btn(id, action string) Button { return Button{Label: Text{ID: id}, Action: action} }

func (r *run) navRow() []Button {
	return []Button{btn("button_back", actBack), btn("button_cancel", actCancel)}
}

// ask says the current state's question, with its buttons.
func (r *run) ask() {
	r.sayReply(r.prompt())
}

func (r *run) prompt() Reply {
	s := r.s
	switch s.State {
	case StateLanguage, StateNew:
		rows := [][]Button{{
			btn("language_name_km", prefixLang+LangKhmer),
			btn("language_name_th", prefixLang+LangThai),
			btn("language_name_en", prefixLang+LangEnglish),
		}}
		if len(s.Back) > 0 {
			rows = append(rows, []Button{btn("button_back", actBack)})
		}
		return Reply{Lines: []Text{{ID: "choose_language"}}, Buttons: rows}
	case StateMenu:
		return Reply{Lines: []Text{{ID: "menu"}}, Buttons: [][]Button{
			{btn("menu_tip", prefixMenu+menuTip)},
			{btn("menu_missing", prefixMenu+menuMissing)},
			{btn("menu_mine", prefixMenu+menuMine)},
			{btn("menu_emergency", prefixMenu+menuEmergency), btn("menu_privacy", prefixMenu+menuPrivacy)},
			{btn("menu_language", prefixMenu+menuLanguage)},
		}}
	case StateResume:
		return Reply{Lines: []Text{{ID: "resume_question"}}, Buttons: [][]Button{
			{btn("button_continue", actResume)},
			{btn("button_start_over", actRestart)},
		}}
	case StateCancel:
		return Reply{Lines: []Text{{ID: "cancel_question"}}, Buttons: [][]Button{
			{btn("button_cancel_yes", actCancelYes), btn("button_cancel_no", actCancelNo)},
		}}
	case StateTipReview:
		return r.review()
	case StateMine:
		r.s.State = StateMenu
		return r.prompt()
	case StateAdd:
		return Reply{
			Lines:   []Text{{ID: "add_prompt", Data: map[string]any{"Reference": string(s.AddingTo)}}},
			Buttons: [][]Button{{btn("button_done", actDone)}},
		}
	case StateCode:
		return Reply{Lines: []Text{{ID: "code_prompt"}}, Buttons: [][]Button{{btn("button_menu", actMenu)}}}
	case StateForget:
		return Reply{Lines: []Text{{ID: "forget_question"}}, Buttons: [][]Button{
			{btn("button_forget_yes", actForgetYes)}, {btn("button_forget_no", actForgetNo)},
		}}
	case StateClear:
		return Reply{Lines: []Text{{ID: "clear_question"}}, Buttons: [][]Button{
			{btn("button_clear_yes", actClearYes)}, {btn("button_clear_no", actClearNo)},
		}}
	case StateTipEdit:
		if s.Draft == nil {
			r.s.State = StateMenu
			return r.prompt()
		}
		var rows [][]Button
		for _, q := range questionsFor(s.Draft.Kind) {
			rows = append(rows, []Button{btn("edit_"+q.answer, prefixEditOne+string(q.state))})
		}
		rows = append(rows, []Button{btn("button_back", actBack)})
		return Reply{Lines: []Text{{ID: "edit_which"}}, Buttons: rows}
	}
	if q, _, ok := findQuestion(s.State); ok && s.Draft != nil {
		return r.question(q)
	}
	// A state we no longer know (an old session): start from the menu.
	r.s.State = StateMenu
	return r.prompt()
}

func (r *run) question(q question) Reply {
	rep := Reply{Lines: []Text{{ID: "q_" + q.answer}}}
	var row []Button
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
		rep.Buttons = append(rep.Buttons, []Button{btn("button_done", actDone)})
	case q.optional:
		rep.Buttons = append(rep.Buttons, []Button{btn("button_skip", actSkip)})
	}
	rep.Buttons = append(rep.Buttons, r.navRow())
	return rep
}

// review is the summary of the draft with the send buttons.
func (r *run) review() Reply {
	d := r.s.Draft
	title := "review_title"
	if d.Kind == tipline.KindMissing {
		title = "review_title_missing"
	}
	lines := []Text{{ID: title}}
	for _, q := range questionsFor(d.Kind) {
		lines = append(lines, Text{ID: "summary_line", Item: true, Data: map[string]any{
			"Label": Text{ID: "summary_" + q.answer},
			"Value": r.summaryValue(q),
		}})
	}
	if d.Urgent {
		lines = append(lines, Text{ID: "review_urgent"})
	}
	lines = append(lines, Text{ID: "review_contact_question"})
	return Reply{Lines: lines, Buttons: [][]Button{
		{btn("button_send_contact", actSendOpen)},
		{btn("button_send_anonymous", actSendAnon)},
		{btn("button_change", actEdit), btn("button_cancel", actCancel)},
	}}
}

// summaryValue is what the review shows for one answer: a localized button
// label, the reporter's own words, or a count.
func (r *run) summaryValue(q question) any {
	d := r.s.Draft
	switch {
	case q.media && r.countAttachments(q.answer) > 0:
		return Text{ID: "summary_count", Data: map[string]any{"Count": r.countAttachments(q.answer)}}
	case q.location && d.Location != nil:
		return Text{ID: "summary_location", Data: map[string]any{
			"Lat": fmt.Sprintf("%.5f", d.Location.Latitude),
			"Lon": fmt.Sprintf("%.5f", d.Location.Longitude),
		}}
	case q.media && r.countAttachments(q.answer) == 0:
		return Text{ID: "summary_skipped"}
	}
	v, ok := d.Answers[q.answer]
	if ok && slices.Contains(q.options, v) {
		return Text{ID: "answer_" + q.answer + "_" + v}
	}
	if ok && v != "" {
		return Quote(v, summaryValueMax)
	}
	if q.voice && r.countAttachments(q.answer) > 0 {
		return Text{ID: "summary_voice"}
	}
	return Text{ID: "summary_skipped"}
}

// Quote shortens a reporter's text for repeating it back, never cutting
// through a Khmer or Thai character.
func Quote(s string, max int) string {
	return locales.Truncate(strings.TrimSpace(s), max)
}

func formatLocation(l tipline.Location) string {
	return fmt.Sprintf("%.5f, %.5f", l.Latitude, l.Longitude)
}

// AnswerOrder lists a kind's answer keys in the order they are asked, for
// showing a case to a reviewer.
func AnswerOrder(k tipline.Kind) []string {
	var out []string
	for _, q := range questionsFor(k) {
		out = append(out, q.answer)
	}
	return out
}
