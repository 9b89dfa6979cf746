package review

import (
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/reply"
)

// Views: what a reviewer (or, for the team's message, a reporter) reads,
// as pure functions from domain values to reply.Message. locales writes
// them in a language; bot signs their buttons. testdata/views.golden holds
// each in English, Khmer and Thai.

// Say is a message of one line and no buttons.
func Say(id string, data map[string]any) reply.Message {
	return reply.Message{Lines: []reply.Text{{ID: id, Data: data}}}
}

func refData(ref tipline.Reference) map[string]any { return map[string]any{"Reference": string(ref)} }

// Verbatim is words shown as they are: a reporter's text, a reference.
func Verbatim(s string) reply.Text {
	return reply.Text{ID: "rv_verbatim", Data: map[string]any{"Text": s}}
}

// button is a reviewer's button acting on c in its version now.
func button(label string, data map[string]any, p Press, version string) reply.Button {
	return reply.Button{Label: reply.Text{ID: label, Data: data}, Action: p.String(), Version: version}
}

// CaseButtons are the buttons to work a case, for the reviewer who has it
// (or anyone, while nobody has it), made for the case's version now.
func CaseButtons(c tipline.Case) [][]reply.Button {
	v := Version(c)
	b := func(id string, a Action) reply.Button { return button(id, nil, On(a, c.Reference), v) }
	if c.Status == tipline.StatusReceived {
		return [][]reply.Button{
			{b("rv_button_ack", Take)},
			{b("rv_button_details", Details), b("rv_button_escalate", Escalate)},
		}
	}
	return [][]reply.Button{
		{b("rv_button_details", Details), b("rv_button_reply", Reply)},
		{b("rv_button_note", Note), b("rv_button_close", Close)},
		{b("rv_button_block", Block)},
	}
}

// reopenButtons offer to reopen a closed case.
func reopenButtons(c tipline.Case) [][]reply.Button {
	return [][]reply.Button{{button("rv_button_reopen", nil, On(Reopen, c.Reference), Version(c))}}
}

// NewCase is the notification of a new case at a routing level (0 is the
// first; a later level says it is an escalation), with its buttons.
func NewCase(c tipline.Case, level int, now time.Time) reply.Message {
	t := reply.Text{ID: "rv_new_case", Data: map[string]any{
		"Reference": string(c.Reference),
		"Kind":      reply.Text{ID: "kind_" + string(c.Kind)},
		"Urgency":   reply.Text{ID: "rv_urgency_" + string(c.Urgency)},
		"Area":      area(c),
		"Age":       reply.Elapsed(now.Sub(c.CreatedAt)),
	}}
	var m reply.Message
	if level > 0 {
		m.Lines = append(m.Lines, reply.Text{ID: "rv_escalation", Data: map[string]any{"Level": level}})
		t.Item = true
	}
	m.Lines = append(m.Lines, t)
	m.Buttons = CaseButtons(c)
	return m
}

// area is where a case happened, as far as a short notification may say:
// the typed place, cut short, or a map link to the point shared.
func area(c tipline.Case) any {
	for _, k := range []string{flows.AnswerWhere, flows.AnswerSeenWhere} {
		if v := c.Answers[k]; v != "" {
			return flows.Quote(v, 40)
		}
	}
	if c.Location != nil {
		return reply.MapLink{Lat: c.Location.Latitude, Lon: c.Location.Longitude}
	}
	return reply.Text{ID: "summary_skipped"}
}

// TakenBy is a notification's copy once the case was taken by name: the
// taker's copy keeps the working buttons.
func TakenBy(c tipline.Case, name string, mine bool) reply.Message {
	m := Say("rv_taken_by", map[string]any{"Reference": string(c.Reference), "Name": name})
	if mine {
		m.Buttons = CaseButtons(c)
	}
	return m
}

// CaseDetails are every answer of a case, its additions and notes, for a
// reviewer, with the buttons to work it (or to reopen it, when closed).
// The files follow as Outs of their own.
func CaseDetails(c tipline.Case, notes []tipline.Note) reply.Message {
	item := func(id string, data map[string]any) reply.Text { return reply.Text{ID: id, Data: data, Item: true} }
	line := func(label reply.Text, value any) reply.Text {
		return item("summary_line", map[string]any{"Label": label, "Value": value})
	}
	m := reply.Message{Lines: []reply.Text{{ID: "rv_details_title", Data: map[string]any{
		"Reference": string(c.Reference),
		"Kind":      reply.Text{ID: "kind_" + string(c.Kind)},
		"Urgency":   reply.Text{ID: "rv_urgency_" + string(c.Urgency)},
		"Status":    reply.Text{ID: "status_" + string(c.Status)},
	}}}}
	// The answers as a reviewer reads them: labels of their own ("What the
	// reporter saw", not "What you saw"), the buttons' words, values the
	// catalogue writes, the reporter's words as they are, a map link.
	for _, k := range flows.Questionnaire(c.Kind) {
		if v, ok := c.Answers[k]; ok {
			m.Lines = append(m.Lines, line(reply.Text{ID: "rv_label_" + k}, flows.AnswerValue(k, v)))
		}
	}
	if w := c.Answers[flows.AnswerWritten]; w != "" {
		m.Lines = append(m.Lines, line(reply.Text{ID: "rv_label_written"}, w))
	}
	if e := c.Answers["edits"]; e != "" {
		m.Lines = append(m.Lines, line(reply.Text{ID: "rv_edits"}, e))
	}
	if l := c.Location; l != nil {
		m.Lines = append(m.Lines, item("format_map_link", map[string]any{"URL": reply.MapURL(l.Latitude, l.Longitude)}))
	}
	contact := "rv_contact_no"
	if c.ContactAllowed && c.ReporterChatID != 0 {
		contact = "rv_contact_yes"
	}
	m.Lines = append(m.Lines, item(contact, nil))
	for _, a := range c.Additions {
		if a.Text != "" {
			m.Lines = append(m.Lines, line(reply.Text{ID: "rv_addition"}, a.Text))
		}
	}
	for _, n := range notes {
		m.Lines = append(m.Lines, line(reply.Text{ID: "rv_note_" + n.Kind}, n.Text))
	}
	m.Buttons = CaseButtons(c)
	if c.Status == tipline.StatusClosed {
		m.Buttons = reopenButtons(c)
	}
	return m
}

// Queue lists open cases, each with a button that shows it (for any
// version: it only reads).
func Queue(list []tipline.CaseSummary, now time.Time) reply.Message {
	if len(list) == 0 {
		return Say("rv_queue_empty", nil)
	}
	m := reply.Message{Lines: []reply.Text{{ID: "rv_queue_title"}}}
	for _, c := range list {
		m.Lines = append(m.Lines, reply.Text{ID: "rv_queue_line", Item: true, Data: map[string]any{
			"Reference": string(c.Reference),
			"Kind":      reply.Text{ID: "kind_" + string(c.Kind)},
			"Urgency":   reply.Text{ID: "rv_urgency_" + string(c.Urgency)},
			"Status":    reply.Text{ID: "status_" + string(c.Status)},
			"Age":       reply.Elapsed(now.Sub(c.CreatedAt)),
		}})
		m.Buttons = append(m.Buttons, []reply.Button{{Label: Verbatim(string(c.Reference)), Action: On(Details, c.Reference).String(), Version: AnyVersion}})
	}
	return m
}

// CloseHow asks how a case ends, one button per outcome, made for the
// version the reviewer pressed Close on.
func CloseHow(ref tipline.Reference, version string) reply.Message {
	m := Say("rv_close_how", refData(ref))
	for _, o := range tipline.Outcomes {
		m.Buttons = append(m.Buttons, []reply.Button{button("outcome_"+string(o), nil, Press{Action: Outcome, Case: ref, Outcome: o}, version)})
	}
	return m
}

// Closed says a case is closed with an outcome, and offers to reopen it.
func Closed(c tipline.Case, o tipline.Outcome) reply.Message {
	m := Say("rv_closed", map[string]any{"Reference": string(c.Reference), "Outcome": reply.Text{ID: "outcome_" + string(o)}})
	m.Buttons = reopenButtons(c)
	return m
}

// Reopened says a case is open again, with its buttons.
func Reopened(c tipline.Case) reply.Message {
	m := Say("rv_reopened", refData(c.Reference))
	m.Buttons = CaseButtons(c)
	return m
}

// NoteSaved confirms an internal note, with the case's buttons.
func NoteSaved(c tipline.Case) reply.Message {
	m := Say("rv_note_saved", refData(c.Reference))
	m.Buttons = CaseButtons(c)
	return m
}

// ReplySent confirms a message to the reporter, with the case's buttons.
func ReplySent(c tipline.Case) reply.Message {
	m := Say("rv_reply_sent", refData(c.Reference))
	m.Buttons = CaseButtons(c)
	return m
}

// TeamMessage is a reviewer's words as the reporter reads them, signed
// only "the Tipline team", with a button to answer.
func TeamMessage(ref tipline.Reference, text string) reply.Message {
	return reply.Message{
		Lines:   []reply.Text{{ID: "team_message", Data: map[string]any{"Reference": string(ref), "Text": flows.Quote(text, 3500)}}},
		Buttons: [][]reply.Button{{{Label: reply.Text{ID: "button_answer_team"}, Action: flows.TeamReplyAction(ref)}}},
	}
}

// ReporterAdded tells the reviewer who has a case that the reporter added
// to it or answered, with their words.
func ReporterAdded(c tipline.Case, words string) reply.Message {
	m := Say("rv_reporter_added", refData(c.Reference))
	if words != "" {
		m.Lines = append(m.Lines, Verbatim(flows.Quote(words, 3000)))
	}
	m.Buttons = CaseButtons(c)
	return m
}

// TakeFirst asks a reviewer to take a case before acting on it.
func TakeFirst(c tipline.Case) reply.Message {
	m := Say("rv_take_first", refData(c.Reference))
	m.Buttons = [][]reply.Button{{button("rv_button_ack", nil, On(Take, c.Reference), Version(c))}}
	return m
}

// CaseIsWith tells a reviewer that name has the case, and offers to take
// it over.
func CaseIsWith(c tipline.Case, name string) reply.Message {
	m := Say("rv_case_is_with", map[string]any{"Reference": string(c.Reference), "Name": name})
	m.Buttons = [][]reply.Button{{button("rv_button_take_over", map[string]any{"Name": name}, On(TakeOver, c.Reference), Version(c))}}
	return m
}

// TakenOver tells a reviewer that name took their case over.
func TakenOver(ref tipline.Reference, name string) reply.Message {
	return Say("rv_taken_over", map[string]any{"Reference": string(ref), "Name": name})
}

// RetentionWarning tells a closed case's reviewer the day it is deleted.
func RetentionWarning(ref tipline.Reference, deleteOn time.Time) reply.Message {
	return Say("rv_retention_warning", map[string]any{"Reference": string(ref), "Date": reply.Day(deleteOn)})
}

// Welcome greets a reviewer who redeemed an invite.
func Welcome(name string) reply.Message { return Say("rv_welcome", map[string]any{"Name": name}) }
