package review

import (
	"strconv"
	"strings"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/flows"
	"github.com/tipline/tipline/oncall"
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
func CaseButtons(c tipline.Case) [][]reply.Button { return caseButtons(c, false) }

// caseButtons are CaseButtons, with Unblock instead of Block when the
// case's reporter is blocked (blocked).
func caseButtons(c tipline.Case, blocked bool) [][]reply.Button {
	v := Version(c)
	b := func(id string, a Action) reply.Button { return button(id, nil, On(a, c.Reference), v) }
	if c.Status == tipline.StatusReceived {
		return [][]reply.Button{
			{b("rv_button_ack", Take)},
			{b("rv_button_details", Details), b("rv_button_escalate", Escalate)},
		}
	}
	block := b("rv_button_block", Block)
	if blocked {
		block = b("rv_button_unblock", Unblock)
	}
	first := []reply.Button{b("rv_button_details", Details)}
	if c.ContactAllowed && c.ReporterChatID != 0 {
		// Never offered to write to a reporter who declined contact.
		first = append(first, b("rv_button_reply", Reply))
	}
	return [][]reply.Button{
		first,
		{b("rv_button_note", Note), b("rv_button_classify", Classify)},
		{b("rv_button_same_as", SameAs), b("rv_button_close", Close)},
		{block},
	}
}

// cancel is the Cancel of a question about a case: it changes nothing and
// shows the case again.
func cancel(ref tipline.Reference, version string) []reply.Button {
	return []reply.Button{button("rv_button_cancel", nil, On(Details, ref), version)}
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
	for _, k := range []string{tipline.AnswerWhere, tipline.AnswerSeenWhere} {
		if v := c.Answers[k]; v != "" {
			return flows.Quote(v, 40)
		}
	}
	if c.Location != nil {
		return reply.MapLink{Lat: c.Location.Latitude, Lon: c.Location.Longitude}
	}
	return reply.Text{ID: "summary_skipped"}
}

// TakenBy is a notification's copy once the case was taken by name: it
// keeps the case's urgency, area and classification, and the taker's copy
// keeps the working buttons.
func TakenBy(c tipline.Case, name string, mine bool) reply.Message {
	m := Say("rv_taken_by", map[string]any{"Reference": string(c.Reference), "Name": name})
	m.Lines = append(m.Lines, reply.Text{ID: "rv_taken_summary", Item: true, Data: map[string]any{
		"Kind":    reply.Text{ID: "kind_" + string(c.Kind)},
		"Urgency": reply.Text{ID: "rv_urgency_" + string(c.Urgency)},
		"Area":    area(c),
	}})
	if cl, ok := classification(c); ok {
		cl.Item = true
		m.Lines = append(m.Lines, cl)
	}
	if mine {
		m.Buttons = CaseButtons(c)
	}
	return m
}

// Timeline is a case's story as Details tells it: the events from
// storage, the names of the reviewers and partners they name, and the
// team's time zone (UTC when nil).
type Timeline struct {
	Events   []tipline.Event
	Names    map[int64]string
	Partners map[int64]string
	Location *time.Location
}

// Blocked tells whether the timeline ends with the reporter blocked.
func (tl Timeline) Blocked() bool {
	blocked := false
	for _, e := range tl.Events {
		switch e.Kind {
		case tipline.EventBlocked:
			blocked = true
		case tipline.EventUnblocked:
			blocked = false
		}
	}
	return blocked
}

// classification is the line of a case's classification; ok=false when
// none is set.
func classification(c tipline.Case) (reply.Text, bool) {
	cl := c.Classification
	if cl.Exploitation == "" {
		return reply.Text{}, false
	}
	return reply.Text{ID: "rv_classification", Data: map[string]any{
		"Exploitation": reply.Text{ID: "exploitation_" + string(cl.Exploitation)},
		"Risk":         reply.Text{ID: "risk_" + string(cl.Risk)},
	}}, true
}

// listedKind is what a case is, in a reviewer's list (/queue, /find): the
// kind of report, and the classification once a reviewer has set it.
func listedKind(c tipline.CaseSummary) reply.Text {
	kind := reply.Text{ID: "kind_" + string(c.Kind)}
	if c.Exploitation == "" || c.Risk == "" {
		return kind
	}
	return reply.Text{ID: "rv_listed_classified", Data: map[string]any{
		"Kind":         kind,
		"Exploitation": reply.Text{ID: "exploitation_" + string(c.Exploitation)},
		"Risk":         reply.Text{ID: "risk_" + string(c.Risk)},
	}}
}

// CaseDetails are every answer of a case and its timeline, for a
// reviewer, with the buttons to work it (or to reopen it, when closed).
// The files follow as Outs of their own.
func CaseDetails(c tipline.Case, tl Timeline) reply.Message {
	item := func(id string, data map[string]any) reply.Text { return reply.Text{ID: id, Data: data, Item: true} }
	line := func(label reply.Text, value any) reply.Text {
		return item("summary_line", map[string]any{"Label": label, "Value": value})
	}
	m := reply.Message{Lines: []reply.Text{{ID: "rv_details_title", Data: map[string]any{
		"Reference": string(c.Reference),
		"Kind":      reply.Text{ID: "kind_" + string(c.Kind)},
		"Urgency":   reply.Text{ID: "rv_urgency_" + string(c.Urgency)},
		"Status":    reply.Text{ID: "rv_status_" + string(c.Status)}, // the team's word, not the reporter's "a person is looking at it"
	}}}}
	if c.Lang != "" {
		m.Lines = append(m.Lines, line(reply.Text{ID: "rv_label_language"}, reply.Text{ID: "rv_language_" + c.Lang})) // in the reader's script, not the endonym
	}
	// The reviewer's classification, and beside it the reporter's own
	// answer to "What is happening?".
	if cl, ok := classification(c); ok {
		cl.Item = true
		m.Lines = append(m.Lines, cl)
	}
	if h := c.Answers[tipline.AnswerHappening]; h != "" {
		m.Lines = append(m.Lines, line(reply.Text{ID: "rv_label_happening"}, reply.Text{ID: "exploitation_" + h}))
	}
	// The answers as a reviewer reads them: labels of their own ("What the
	// reporter saw", not "What you saw"), the buttons' words, values the
	// catalogue writes, the reporter's words as they are, a map link.
	// The reporter's own words are cut (paging.go): "Read all" sends the rest.
	for _, k := range flows.Questionnaire(c.Kind) {
		if v, ok := c.Answers[k]; ok && k != tipline.AnswerHappening {
			val := flows.AnswerValue(k, v)
			if words, ok := val.(string); ok {
				val, _ = cut(words)
			}
			m.Lines = append(m.Lines, line(reply.Text{ID: "rv_label_" + k}, val))
		}
	}
	if w := c.Answers[tipline.AnswerWritten]; w != "" {
		w, _ = cut(w)
		m.Lines = append(m.Lines, line(reply.Text{ID: "rv_label_written"}, w))
	}
	if e := c.Answers["edits"]; e != "" {
		e, _ = cut(e)
		m.Lines = append(m.Lines, line(reply.Text{ID: "rv_edits"}, e))
	}
	if l := c.Location; l != nil {
		m.Lines = append(m.Lines, item("format_map_link", map[string]any{"URL": reply.MapURL(l.Latitude, l.Longitude)}))
	}
	// What the reporter wrote with their files is their words too; each
	// file follows with its own words again.
	tooLarge := 0
	for _, a := range caseFiles(c) {
		if a.Caption != "" {
			m.Lines = append(m.Lines, item("rv_file_caption_"+a.Kind, map[string]any{"Text": flows.Quote(a.Caption, tipline.MaxCaption)}))
		}
		if a.TooLarge() {
			tooLarge++
		}
	}
	if tooLarge > 0 {
		// Telegram will not hand these over: the reviewer must know they
		// exist only on Telegram, and not in an export or a backup.
		m.Lines = append(m.Lines, item("rv_files_too_large", map[string]any{"Count": tooLarge}))
	}
	contact := "rv_contact_no"
	if c.ContactAllowed && c.ReporterChatID != 0 {
		contact = "rv_contact_yes"
	}
	m.Lines = append(m.Lines, item(contact, nil))
	if len(tl.Events) > 0 {
		m.Lines = append(m.Lines, reply.Text{ID: "rv_timeline_title"})
	}
	shown, earlier := tl.shownEvents()
	if earlier > 0 {
		m.Lines = append(m.Lines, item("rv_timeline_earlier", map[string]any{"Count": earlier}))
	}
	for _, e := range shown {
		m.Lines = append(m.Lines, tl.event(e))
	}
	m.Buttons = append(pagingButtons(c, tl), caseButtons(c, tl.Blocked())...)
	if c.Status == tipline.StatusClosed {
		m.Buttons = append(pagingButtons(c, tl), reopenButtons(c)...)
		if tl.Blocked() {
			m.Buttons = append(m.Buttons, []reply.Button{button("rv_button_unblock", nil, On(Unblock, c.Reference), Version(c))})
		}
	}
	return m
}

// event is one line of a timeline: when (in the team's time zone), what
// happened and who did it, and the words, if any.
func (tl Timeline) event(e tipline.Event) reply.Text {
	words, _ := cut(e.Text)
	return tl.eventWith(e, words)
}

// eventWith is the line of event e showing words in place of its text (a
// part of it, when it is long).
func (tl Timeline) eventWith(e tipline.Event, words string) reply.Text {
	loc := tl.Location
	if loc == nil {
		loc = time.UTC
	}
	who := tl.actor(e.Actor)
	data := map[string]any{"Who": who}
	id := "rv_event_" + string(e.Kind)
	switch e.Kind {
	case tipline.EventClassified:
		kind, risk, _ := strings.Cut(e.Detail, ":")
		data["Exploitation"] = reply.Text{ID: "exploitation_" + kind}
		data["Risk"] = reply.Text{ID: "risk_" + risk}
	case tipline.EventClosed:
		data["Outcome"] = reply.Text{ID: "outcome_" + e.Detail}
		switch {
		case e.PartnerID != 0:
			id = "rv_event_referred"
			data["Partner"] = tl.partner(e.PartnerID)
		case e.Duplicate != "":
			id = "rv_event_closed_duplicate"
			data["Other"] = string(e.Duplicate)
		}
	case tipline.EventReferred:
		id = "rv_event_referred_more"
		data["Partner"] = tl.partner(e.PartnerID)
	case tipline.EventDuplicate:
		data["Other"] = string(e.Duplicate)
	case tipline.EventBlocked:
		data["Reason"] = reply.Text{ID: "block_reason_" + e.Detail}
	}
	what := reply.Text{ID: id, Data: data}
	switch {
	case e.Attachments == 1:
		what = reply.Text{ID: "rv_event_with_file", Data: map[string]any{"What": what}}
	case e.Attachments > 1:
		what = reply.Text{ID: "rv_event_with_files", Data: map[string]any{"What": what, "Count": e.Attachments}}
	}
	if words != "" {
		return reply.Text{ID: "rv_event_words", Item: true, Data: map[string]any{
			"Time": reply.Moment(e.At.In(loc)), "What": what, "Text": words}}
	}
	return reply.Text{ID: "rv_event", Item: true, Data: map[string]any{"Time": reply.Moment(e.At.In(loc)), "What": what}}
}

// partner is a partner's name, "?" when unknown.
func (tl Timeline) partner(id int64) string {
	if n := tl.Partners[id]; n != "" {
		return n
	}
	return "?"
}

// actor is who did something, as a reviewer reads it: a reviewer's name,
// the reporter, or Tipline itself.
func (tl Timeline) actor(a string) any {
	if id, ok := tipline.ReviewerOf(a); ok {
		if n := tl.Names[id]; n != "" {
			return n
		}
		return "?"
	}
	switch a {
	case tipline.RoleReporter:
		return reply.Text{ID: "rv_actor_reporter"}
	case tipline.RoleFollowUp:
		// Someone who opened the case with its secret code, from another
		// account: perhaps not the reporter (M6).
		return reply.Text{ID: "rv_actor_code_holder"}
	}
	return reply.Text{ID: "rv_actor_system"}
}

// Queue lists open cases, each with a button that shows it (for any
// version: it only reads).
func Queue(list []tipline.CaseSummary, now time.Time) reply.Message { return QueuePage(list, now, 1) }

// QueuePerPage is how many cases one /queue message lists: each has a
// button, and Telegram refuses a message with too many.
const QueuePerPage = 10

// QueuePage is page (from 1) of the open cases, QueuePerPage of them,
// saying which part of how many it shows and how to see the next
// ("/queue 3"). A page past the end shows the last one.
func QueuePage(list []tipline.CaseSummary, now time.Time, page int) reply.Message {
	if len(list) == 0 {
		return Say("rv_queue_empty", nil)
	}
	pages := (len(list) + QueuePerPage - 1) / QueuePerPage
	page = min(max(page, 1), pages)
	from, to := (page-1)*QueuePerPage, min(page*QueuePerPage, len(list))
	m := reply.Message{Lines: []reply.Text{{ID: "rv_queue_title"}}}
	if pages > 1 {
		m.Lines[0] = reply.Text{ID: "rv_queue_page_title", Data: map[string]any{"From": from + 1, "To": to, "Total": len(list)}}
	}
	for _, c := range list[from:to] {
		m.Lines = append(m.Lines, reply.Text{ID: "rv_queue_line", Item: true, Data: map[string]any{
			"Reference": string(c.Reference),
			"Kind":      listedKind(c),
			"Urgency":   reply.Text{ID: "rv_urgency_" + string(c.Urgency)},
			"Status":    reply.Text{ID: "rv_status_" + string(c.Status)}, // the team's word, not the reporter's "a person is looking at it"
			"Age":       reply.Elapsed(now.Sub(c.CreatedAt)),
		}})
		m.Buttons = append(m.Buttons, []reply.Button{{Label: Verbatim(string(c.Reference)), Action: On(Details, c.Reference).String(), Version: AnyVersion}})
	}
	if page < pages {
		m.Lines = append(m.Lines, reply.Text{ID: "rv_queue_more", Data: map[string]any{"N": page + 1}})
	}
	return m
}

// CloseHow asks how a case of kind ends, one button per outcome offered (a
// missing child may be found; a referral names its partner next), and Cancel, made for the version the
// reviewer pressed Close on. Nothing is closed until confirmed.
func CloseHow(ref tipline.Reference, kind tipline.Kind, version string) reply.Message {
	m := Say("rv_close_how", refData(ref))
	for _, o := range tipline.CloseChoices(kind) {
		m.Buttons = append(m.Buttons, []reply.Button{button("outcome_"+string(o), nil, Press{Action: Outcome, Case: ref, Outcome: o}, version)})
	}
	m.Buttons = append(m.Buttons, cancel(ref, version))
	return m
}

// CloseConfirm asks once more before a case is closed with an outcome:
// "Yes, close it" or Cancel.
func CloseConfirm(ref tipline.Reference, o tipline.Outcome, version string) reply.Message {
	m := Say("rv_close_confirm", map[string]any{"Reference": string(ref), "Outcome": reply.Text{ID: "outcome_" + string(o)}})
	m.Buttons = [][]reply.Button{
		{button("rv_button_close_yes", nil, Press{Action: Outcome, Case: ref, Outcome: o, Confirmed: true}, version)},
		cancel(ref, version),
	}
	return m
}

// ReferConfirm asks once more before a case is closed as referred to the
// partner pt: "Yes, refer and close" or Cancel.
func ReferConfirm(ref tipline.Reference, pt tipline.Partner, version string) reply.Message {
	m := Say("rv_refer_confirm", map[string]any{"Reference": string(ref), "Name": pt.Name})
	m.Buttons = [][]reply.Button{
		{button("rv_button_refer_yes", nil, Press{Action: Refer, Case: ref, Partner: pt.ID, Confirmed: true}, version)},
		cancel(ref, version),
	}
	return m
}

// ReplyConfirm shows a reviewer the words they typed for the reporter,
// as the reporter will read them, with Send and Cancel: nothing is sent
// before Send.
func ReplyConfirm(ref tipline.Reference, text, version string) reply.Message {
	m := Say("rv_reply_confirm", refData(ref))
	m.Lines = append(m.Lines, Verbatim(flows.Quote(text, 3500)))
	m.Buttons = [][]reply.Button{
		{button("rv_button_send", nil, On(Send, ref), version)},
		{button("rv_button_cancel", nil, On(Discard, ref), version)},
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
func ReporterAdded(c tipline.Case, words string, byCode bool) reply.Message {
	m := Say("rv_reporter_added", refData(c.Reference))
	if byCode {
		m = Say("rv_code_holder_added", refData(c.Reference))
	}
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

// TakeOverAsk asks why a reviewer takes a case from name, one button per reason,
// made for the version they pressed on: nothing changes hands until a
// reason is chosen, and the holder and every admin hear it.
func TakeOverAsk(c tipline.Case, name, version string) reply.Message {
	m := Say("rv_take_over_why", map[string]any{"Reference": string(c.Reference), "Name": name})
	for _, why := range TakeOverReasons {
		m.Buttons = append(m.Buttons, []reply.Button{button("rv_take_over_reason_"+string(why), nil, Press{Action: TakeOver, Case: c.Reference, Why: why}, version)})
	}
	return m
}

// TakenOver tells a reviewer that name took their case over, and why.
func TakenOver(ref tipline.Reference, name string, why TakeOverWhy) reply.Message {
	return Say("rv_taken_over", map[string]any{"Reference": string(ref), "Name": name, "Why": reply.Text{ID: "rv_take_over_reason_" + string(why)}})
}

// TakenOverAdmin tells an admin that name took a case over from another
// reviewer, and why.
func TakenOverAdmin(ref tipline.Reference, name, from string, why TakeOverWhy) reply.Message {
	return Say("rv_taken_over_admin", map[string]any{"Reference": string(ref), "Name": name, "From": from, "Why": reply.Text{ID: "rv_take_over_reason_" + string(why)}})
}

// RetentionWarning tells a closed case's reviewer the day it is deleted.
func RetentionWarning(ref tipline.Reference, deleteOn time.Time) reply.Message {
	return Say("rv_retention_warning", map[string]any{"Reference": string(ref), "Date": reply.Day(deleteOn)})
}

// Welcome greets a reviewer who redeemed an invite.
func Welcome(name string) reply.Message { return Say("rv_welcome", map[string]any{"Name": name}) }

// ReviewerUnreachable tells an admin that Telegram refused to reach a
// reviewer for good, so cases pass them by until they write again (G17).
func ReviewerUnreachable(rv tipline.Reviewer) reply.Message {
	return Say("rv_reviewer_unreachable", map[string]any{"Name": rv.Name})
}

// ReviewerReachable tells an admin that a reviewer marked unreachable
// wrote to the bot again.
func ReviewerReachable(rv tipline.Reviewer) reply.Message {
	return Say("rv_reviewer_reachable", map[string]any{"Name": rv.Name})
}

// AlreadyClosed tells the reviewer who has a closed case that it stays as
// it is until reopened, with a Reopen button.
func AlreadyClosed(c tipline.Case) reply.Message {
	m := Say("rv_already_closed", map[string]any{"Reference": string(c.Reference), "Outcome": reply.Text{ID: "outcome_" + string(c.Assignment.Outcome)}})
	m.Buttons = reopenButtons(c)
	return m
}

// AddedToClosed tells the reviewer who had a closed case that its reporter
// added to it (kept, never dropped), with their words and a Reopen button.
func AddedToClosed(c tipline.Case, words string, byCode bool) reply.Message {
	m := Say("rv_added_to_closed", refData(c.Reference))
	if byCode {
		m.Lines = append(m.Lines, reply.Text{ID: "rv_sent_by_code_holder"})
	}
	if words != "" {
		m.Lines = append(m.Lines, Verbatim(flows.Quote(words, 3000)))
	}
	m.Buttons = reopenButtons(c)
	return m
}

// BlockWhy asks why the reporter of a case is to be blocked: one button
// per reason, and Cancel (which shows the case again). Nothing is blocked
// until a reason is pressed.
func BlockWhy(ref tipline.Reference, version string) reply.Message {
	m := Say("rv_block_why", refData(ref))
	for _, r := range tipline.BlockReasons {
		m.Buttons = append(m.Buttons, []reply.Button{button("block_reason_"+string(r), nil, Press{Action: BlockFor, Case: ref, Reason: r}, version)})
	}
	m.Buttons = append(m.Buttons, []reply.Button{button("rv_button_cancel", nil, On(Details, ref), version)})
	return m
}

// Blocked says the reporter of c is blocked, and why, with Unblock.
func Blocked(c tipline.Case, r tipline.BlockReason) reply.Message {
	m := Say("rv_blocked_for", map[string]any{"Reference": string(c.Reference), "Reason": reply.Text{ID: "block_reason_" + string(r)}})
	m.Buttons = [][]reply.Button{{button("rv_button_unblock", nil, On(Unblock, c.Reference), Version(c))}}
	return m
}

// Unblocked says the reporter of c may write again, with the case's buttons.
func Unblocked(c tipline.Case) reply.Message {
	m := Say("rv_unblocked", refData(c.Reference))
	m.Buttons = CaseButtons(c)
	if c.Status == tipline.StatusClosed {
		m.Buttons = reopenButtons(c)
	}
	return m
}

// ClassifyKind asks the kind of exploitation of a case, one button per
// kind, showing the reporter's own answer to "What is happening?".
func ClassifyKind(c tipline.Case, version string) reply.Message {
	m := Say("rv_classify_kind", refData(c.Reference))
	if h := c.Answers[tipline.AnswerHappening]; h != "" {
		m.Lines = append(m.Lines, reply.Text{ID: "summary_line", Item: true, Data: map[string]any{
			"Label": reply.Text{ID: "rv_label_happening"}, "Value": reply.Text{ID: "exploitation_" + h}}})
	}
	var row []reply.Button
	for _, e := range tipline.Exploitations {
		row = append(row, button("exploitation_"+string(e), nil, Press{Action: Classify, Case: c.Reference, Exploitation: e}, version))
		if len(row) == 2 {
			m.Buttons = append(m.Buttons, row)
			row = nil
		}
	}
	if row != nil {
		m.Buttons = append(m.Buttons, row)
	}
	return m
}

// ClassifyRisk asks the risk, the kind being chosen.
func ClassifyRisk(ref tipline.Reference, e tipline.Exploitation, version string) reply.Message {
	m := Say("rv_classify_risk", map[string]any{"Reference": string(ref), "Exploitation": reply.Text{ID: "exploitation_" + string(e)}})
	for _, r := range tipline.Risks {
		m.Buttons = append(m.Buttons, []reply.Button{button("risk_"+string(r), nil, Press{Action: SetRisk, Case: ref, Exploitation: e, Risk: r}, version)})
	}
	return m
}

// Classified confirms a classification, with the case's buttons.
func Classified(c tipline.Case) reply.Message {
	m := Say("rv_classified", refData(c.Reference))
	if cl, ok := classification(c); ok {
		m.Lines = append(m.Lines, cl)
	}
	m.Buttons = CaseButtons(c)
	return m
}

// ReferWhich asks which partner a case is referred to: the active ones
// (police units among them), by name, kind and country, then Cancel.
func ReferWhich(ref tipline.Reference, version string, partners []tipline.Partner) reply.Message {
	m := Say("rv_refer_which", refData(ref))
	for _, p := range partners {
		if !p.Active {
			continue
		}
		label := reply.Text{ID: "rv_partner_button", Data: map[string]any{
			"Name": p.Name, "Kind": reply.Text{ID: "partner_kind_" + string(p.Kind)},
			"Country": reply.Text{ID: "country_" + strings.ToLower(p.Country)},
		}}
		m.Buttons = append(m.Buttons, []reply.Button{{Label: label, Action: Press{Action: Refer, Case: ref, Partner: p.ID}.String(), Version: version}})
	}
	m.Buttons = append(m.Buttons, cancel(ref, version))
	return m
}

// Referred says a case is closed as referred to the partner name, and
// offers to refer it to one more partner (a police unit and an NGO, say)
// or to reopen it.
func Referred(c tipline.Case, name string) reply.Message {
	m := Say("rv_referred", map[string]any{"Reference": string(c.Reference), "Name": name})
	m.Buttons = append([][]reply.Button{{button("rv_button_refer_more", nil, On(Refer, c.Reference), Version(c))}}, reopenButtons(c)...)
	return m
}

// OnCall is who is on call at at, primary and secondary, and the changes
// of the next 7 days (at most 8), in the rota's time zone.
func OnCall(rota oncall.Rota, at time.Time, loc *time.Location, reviewers []tipline.Reviewer) reply.Message {
	names := map[int64]string{}
	for _, rv := range reviewers {
		names[rv.ID] = rv.Name
	}
	who := func(ids []int64) any {
		if len(ids) == 0 {
			return Say("rv_oncall_nobody", nil).Lines[0]
		}
		var out []string
		for _, id := range ids {
			n := strings.TrimSpace(names[id])
			if n == "" {
				n = "#" + strconv.FormatInt(id, 10)
			}
			out = append(out, n)
		}
		return strings.Join(out, ", ")
	}
	level := func(l oncall.Level) reply.Text {
		if l == oncall.Secondary {
			return reply.Text{ID: "rv_oncall_secondary_name"}
		}
		return reply.Text{ID: "rv_oncall_primary_name"}
	}
	lines := []reply.Text{
		{ID: "rv_oncall_title", Data: map[string]any{"When": reply.Moment(at.In(loc))}},
		{ID: "rv_oncall_level", Data: map[string]any{"Level": level(oncall.Primary), "Names": who(rota.OnShift(oncall.Primary, at))}, Item: true},
		{ID: "rv_oncall_level", Data: map[string]any{"Level": level(oncall.Secondary), "Names": who(rota.OnShift(oncall.Secondary, at))}, Item: true},
	}
	for _, rv := range reviewers {
		if rv.Active && !rv.Reachable() {
			// Routing passes them over (G17): whoever looks should know.
			lines = append(lines, reply.Text{ID: "rv_oncall_unreachable", Item: true, Data: map[string]any{"Name": rv.Name}})
		}
	}
	changes := rota.Changes(at, 7, 8)
	if len(changes) == 0 {
		lines = append(lines, reply.Text{ID: "rv_oncall_no_changes"})
	} else {
		lines = append(lines, reply.Text{ID: "rv_oncall_changes"})
		for _, c := range changes {
			lines = append(lines, reply.Text{ID: "rv_oncall_change", Item: true, Data: map[string]any{
				"When": reply.Moment(c.At.In(loc)), "Level": level(c.Level), "Names": who(c.Now),
			}})
		}
	}
	return reply.Message{Lines: lines}
}
