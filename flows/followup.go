package flows

import (
	"slices"
	"strings"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/locales/script"
	"github.com/tipline/tipline/reply"
)

// Actions of the follow-up screens.
const (
	actReceipt      = "receipt"
	actClear        = "clear"
	actClearYes     = "clear:yes"
	actClearNo      = "clear:no"
	actForgetYes    = "forget:yes"
	actForgetNo     = "forget:no"
	actMenu         = "menu"
	prefixAdd       = "add:"
	prefixAnswer2   = "ans:" // answering the team's message
	prefixNoContact = "nocontact:"
	menuMine        = "mine"
)

// followUpCodeDigits is the length of a follow-up code.
const followUpCodeDigits = tipline.FollowUpCodeDigits

// followUpButton handles the buttons of My reports, adding information,
// the receipt, clearing the chat and forgetting; false when act is none.
func (r *run) followUpButton(act string) bool {
	st := r.s.State
	switch {
	case act == actReceipt && r.s.Receipt != nil:
		rep := r.receipt(false)
		if st == StateMenu {
			rep.Buttons = append(rep.Buttons, []reply.Button{btn("button_menu", actMenu)})
		}
		r.sayReply(rep)
		return true
	case act == actReceipt:
		// The code is shown from the session only: after it expired, was
		// cleared or replaced, we cannot show it (we keep only its hash).
		r.say("receipt_gone")
		r.ask()
		return true
	case act == actClear:
		r.pushAndGo(StateClear)
		return true
	case st == StateClear && act == actClearYes:
		r.effects = append(r.effects, ClearChat{})
		r.s.Receipt = nil
		r.s.Back = nil
		r.s.State = StateMenu
		// The bot can delete only what is under 48 hours old, and the chat
		// stays in the list: say how to delete it. The one message left
		// names no child and no report.
		r.sayReply(reply.Message{Lines: []reply.Text{{ID: "clear_done"}}, Buttons: [][]reply.Button{{btn("button_menu", actMenu)}}})
		return true
	case st == StateClear && act == actClearNo:
		r.back()
		return true
	case st == StateForget && act == actForgetYes:
		r.effects = append(r.effects, Forget{Reporter: r.in.Reporter})
		lang := r.s.Lang
		r.s = Session{Lang: lang, State: StateMenu}
		r.say("forget_done")
		r.ask()
		return true
	case st == StateForget && act == actForgetNo:
		r.back()
		return true
	case strings.HasPrefix(act, prefixAdd) && (st == StateMine || st == StateMenu):
		ref := tipline.Reference(strings.TrimPrefix(act, prefixAdd))
		if !slices.Contains(r.s.Allowed, ref) {
			return false
		}
		r.s.AddingTo = ref
		r.pushAndGo(StateAdd)
		return true
	case strings.HasPrefix(act, prefixAnswer2):
		// The team's message came with this button, signed for this user.
		ref := tipline.Reference(strings.TrimPrefix(act, prefixAnswer2))
		if !slices.Contains(r.s.Allowed, ref) {
			r.s.Allowed = append(r.s.Allowed, ref)
		}
		r.s.AddingTo = ref
		r.s.Back = nil
		if words := r.s.Typed; words != "" && r.s.Draft == nil {
			// The words typed before choosing which case they answer.
			r.s.Typed = ""
			r.s.State = StateAdd
			r.addText(words)
			return true
		}
		r.goTo(StateAdd)
		return true
	case strings.HasPrefix(act, prefixNoContact) && st == StateMine:
		ref := tipline.Reference(strings.TrimPrefix(act, prefixNoContact))
		if !slices.Contains(r.s.Allowed, ref) {
			return false
		}
		// The store checks the case is the reporter's own.
		r.effects = append(r.effects, WithdrawContact{Reference: ref, Reporter: r.in.Reporter})
		r.s.Back = nil
		r.sayReply(reply.Message{Lines: []reply.Text{{ID: "contact_withdrawn", Data: map[string]any{"Reference": string(ref)}}}})
		r.goTo(StateMenu)
		return true
	case st == StateAdd && act == actDone:
		r.s.AddingTo = ""
		r.s.Back = nil
		r.say("add_finished")
		r.goTo(StateMenu)
		return true
	case act == actMenu && (st == StateMine || st == StateCode || st == StateMenu):
		r.s.Back = nil
		r.goTo(StateMenu)
		return true
	}
	return false
}

// myReports asks the bot for the reporter's cases.
func (r *run) myReports() {
	r.effects = append(r.effects, LoadMyCases{Reporter: r.in.Reporter})
	r.s.State = StateMine
}

// cases shows the reporter's cases (or the one a code opened), with a
// button to add to each open one.
func (r *run) cases(list []tipline.CaseSummary, intro string) {
	if len(list) == 0 {
		r.say("mine_none")
		r.s.State = StateMenu
		r.ask()
		return
	}
	rep := reply.Message{Lines: []reply.Text{{ID: intro}}}
	for _, c := range list {
		rep.Lines = append(rep.Lines, reply.Text{ID: "mine_line", Item: true, Data: map[string]any{
			"Reference": string(c.Reference),
			"Kind":      reply.Text{ID: "kind_" + string(c.Kind)},
			"Status":    reply.Text{ID: "status_" + string(c.Status)},
			"Date":      reply.Day(c.CreatedAt.In(r.e.location())),
		}})
		if c.Status != tipline.StatusClosed {
			if !slices.Contains(r.s.Allowed, c.Reference) {
				r.s.Allowed = append(r.s.Allowed, c.Reference)
			}
			rep.Buttons = append(rep.Buttons, []reply.Button{{
				Label:  reply.Text{ID: "button_add_to", Data: map[string]any{"Reference": string(c.Reference)}},
				Action: prefixAdd + string(c.Reference),
			}})
			if c.ContactAllowed {
				rep.Buttons = append(rep.Buttons, []reply.Button{{
					Label:  reply.Text{ID: "button_stop_contact", Data: map[string]any{"Reference": string(c.Reference)}},
					Action: prefixNoContact + string(c.Reference),
				}})
			}
		}
	}
	rep.Buttons = append(rep.Buttons, []reply.Button{btn("button_menu", actMenu)})
	r.s.State = StateMine
	r.sayReply(rep)
}

// codeResult answers the outcome of a follow-up code.
func (r *run) codeResult(in Input) {
	switch in.CodeResult {
	case CodeOpened:
		r.cases(in.Cases, "code_opened")
	case CodeLimited:
		r.say("code_limited")
		r.s.State = StateMenu
		r.ask()
	default:
		r.say("code_wrong")
		r.s.State = StateCode
		r.ask()
	}
}

// typedCode reads a follow-up code, in any digits, spaces allowed.
func (r *run) typedCode(text string) {
	var b strings.Builder
	for _, c := range script.Digits(script.Clean(text)) {
		switch {
		case c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == ' ' || c == '-':
		default:
			b.Reset()
			b.WriteString("x")
		}
	}
	code := b.String()
	if len(code) != followUpCodeDigits || strings.Contains(code, "x") {
		r.say("code_not_a_code")
		r.ask()
		return
	}
	r.effects = append(r.effects, OpenByCode{Code: code, Reporter: r.in.Reporter})
}

// answersTheTeam takes words typed, without pressing "↩️ Answer", while
// the team waits for an answer: they go to the one case that awaits one,
// or, when several do, the reporter is asked which (the words wait). False
// when no case awaits an answer or a report is being written: the words
// are then a new report's, as always.
func (r *run) answersTheTeam() bool {
	st := r.s.State
	if len(r.in.Awaiting) == 0 || r.s.Draft != nil || r.s.Lang == "" || strings.TrimSpace(r.in.Text) == "" ||
		(st != StateNew && st != StateMenu && st != StateTyped) {
		return false
	}
	if len(r.in.Awaiting) == 1 {
		ref := r.in.Awaiting[0]
		if !slices.Contains(r.s.Allowed, ref) {
			r.s.Allowed = append(r.s.Allowed, ref)
		}
		r.s.AddingTo, r.s.Back, r.s.State = ref, nil, StateAdd
		r.addText(strings.TrimSpace(r.in.Text))
		return true
	}
	r.keepWords(r.in.Text)
	rep := reply.Message{Lines: []reply.Text{{ID: "team_answer_which"}}}
	for _, ref := range r.in.Awaiting {
		rep.Buttons = append(rep.Buttons, []reply.Button{{
			Label:  reply.Text{ID: "button_answer_about", Data: map[string]any{"Reference": string(ref)}},
			Action: TeamReplyAction(ref),
		}})
	}
	rep.Buttons = append(rep.Buttons, []reply.Button{btn("button_menu", actMenu)})
	r.s.Back, r.s.State = nil, StateMenu
	r.sayReply(rep)
	return true
}

// addText sends words to the case in StateAdd.
func (r *run) addText(text string) {
	if script.Length(text) > r.e.Limits.LongText {
		r.say("long_text_kept") // kept whole, never refused
	}
	a := tipline.Addition{Actor: tipline.ReporterActor(r.in.Reporter), At: r.in.Now, Text: text}
	r.effects = append(r.effects, AddToCase{Reference: r.s.AddingTo, Addition: a})
	r.sayReply(reply.Message{
		Lines:   []reply.Text{{ID: "add_received", Data: map[string]any{"Reference": string(r.s.AddingTo)}}},
		Buttons: [][]reply.Button{{btn("button_done", actDone)}},
	})
}

// addition sends what the reporter gives in StateAdd to the case.
func (r *run) addition() {
	in := r.in
	a := tipline.Addition{Actor: tipline.ReporterActor(in.Reporter), At: in.Now}
	switch {
	case in.Kind == InputText && strings.TrimSpace(in.Text) != "":
		if script.Length(in.Text) > r.e.Limits.LongText {
			r.say("long_text_kept") // kept whole, never refused
		}
		a.Text = strings.TrimSpace(in.Text)
	case (in.Kind == InputPhoto || in.Kind == InputVideo || in.Kind == InputVoice) && in.Attachment != nil:
		att := *in.Attachment
		att.Question = "addition"
		a.Attachments = []tipline.Attachment{att}
		r.tooLarge(att)
	case in.Kind == InputLocation && in.Location != nil:
		a.Text = locationText(*in.Location)
	default:
		r.unexpected(question{})
		return
	}
	r.effects = append(r.effects, AddToCase{Reference: r.s.AddingTo, Addition: a})
	r.sayReply(reply.Message{
		Lines:   []reply.Text{{ID: "add_received", Data: map[string]any{"Reference": string(r.s.AddingTo)}}},
		Buttons: [][]reply.Button{{btn("button_done", actDone)}},
	})
}

// receipt shows a report's reference and follow-up code, with the buttons
// to see them again and to clear the chat.
func (r *run) receipt(first bool) reply.Message {
	rc := r.s.Receipt
	id := "receipt_again"
	if first {
		id = "done_code"
	}
	return reply.Message{
		Lines: []reply.Text{{ID: id, Data: map[string]any{"Reference": string(rc.Reference), "Code": groupDigits(rc.Code)}}},
		Buttons: [][]reply.Button{
			{btn("button_receipt", actReceipt)},
			{btn("button_clear", actClear)},
		},
	}
}

// groupDigits writes a code in groups of four, easier to copy by hand.
func groupDigits(code string) string {
	var parts []string
	for i := 0; i < len(code); i += 4 {
		parts = append(parts, code[i:min(i+4, len(code))])
	}
	return strings.Join(parts, " ")
}

// TeamReplyAction is the action of the reporter's "Answer the team" button
// under a message from the team about ref.
func TeamReplyAction(ref tipline.Reference) string { return prefixAnswer2 + string(ref) }

// TeamReplyCase is the case an "Answer the team" action names.
func TeamReplyCase(act string) (tipline.Reference, bool) {
	ref, ok := strings.CutPrefix(act, prefixAnswer2)
	if !ok {
		return "", false
	}
	r, err := tipline.ParseReference(ref)
	return r, err == nil
}
