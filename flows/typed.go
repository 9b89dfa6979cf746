package flows

import (
	"strings"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/locales/script"
	"github.com/tipline/tipline/reply"
)

// Many people type their story before they read a menu. Those words are
// never thrown away: they are kept in the session, the reporter is asked
// "Do you want to report this?", and the words become the first answer of
// the report they choose.

// Actions of the "Do you want to report this?" question.
const (
	prefixTyped = "typed:"
	actTypedNo  = "typed:no"
)

// wordsSeparator sits between two texts kept under one answer.
const wordsSeparator = "\n---\n"

// keepWords keeps a text that answers no question: with the draft when a
// report is being written, else in the session until a report is chosen.
// Within Limits.WordsBytes: when the oldest words had to go, the reporter
// is told (words_cut) and keepWords reports true.
func (r *run) keepWords(text string) bool {
	text = strings.TrimSpace(text)
	if text == "" {
		return false
	}
	max := r.e.Limits.WordsBytes
	if max <= 0 {
		max = DefaultLimits.WordsBytes
	}
	var cut bool
	if d := r.s.Draft; d != nil {
		d.Answers[tipline.AnswerWritten], cut = joinWords(d.Answers[tipline.AnswerWritten], text, max)
	} else {
		r.s.Typed, cut = joinWords(r.s.Typed, text, max)
	}
	if cut {
		r.say("words_cut")
	}
	return cut
}

// joinWords adds text after the words kept, keeping at most max bytes:
// the oldest words go first, since a reporter's last message usually says
// what matters now. It reports whether anything was dropped.
func joinWords(kept, text string, max int) (string, bool) {
	all := text
	if kept != "" {
		all = kept + wordsSeparator + text
	}
	if len(all) <= max {
		return all, false
	}
	return script.KeepEnd(all, max), true
}

// typedAtMenu keeps words typed where no question was asked (the menu, the
// language choice) and asks what to do with them.
func (r *run) typedAtMenu() {
	r.keepWords(r.in.Text) // the reporter is told when it cut
	if r.s.State == StateLanguage {
		// The language comes first; the words wait.
		r.say("typed_kept")
		r.ask()
		return
	}
	r.s.Back = nil
	r.goTo(StateTyped)
}

// typedButton answers "Do you want to report this?".
func (r *run) typedButton(act string) bool {
	switch act {
	case prefixTyped + menuTip:
		r.menu(menuTip)
	case prefixTyped + menuMissing:
		r.menu(menuMissing)
	case actTypedNo:
		// The reporter chose not to report these words.
		r.s.Typed = ""
		r.s.Back = nil
		r.goTo(StateMenu)
	default:
		return false
	}
	return true
}

// useTyped puts the words typed before the report into the new draft: the
// answer to "what did you see" in a tip, the family's own words beside a
// missing-child report's answers. It says so, and reports whether there
// were any.
func (r *run) useTyped() bool {
	words := r.s.Typed
	if words == "" || r.s.Draft == nil {
		return false
	}
	r.s.Typed = ""
	if r.s.Draft.Kind == tipline.KindTip {
		r.s.Draft.Answers[tipline.AnswerWhat] = words
		r.say("typed_used_tip")
		return true
	}
	r.s.Draft.Answers[tipline.AnswerWritten] = words
	r.say("typed_used_missing")
	return true
}

func (r *run) typedPrompt() reply.Message {
	return reply.Message{Lines: []reply.Text{{ID: "typed_question"}}, Buttons: [][]reply.Button{
		{btn("menu_tip", prefixTyped+menuTip)},
		{btn("menu_missing", prefixTyped+menuMissing)},
		{btn("button_typed_no", actTypedNo)},
	}}
}

// EmergencyReply is a message with an intro line and the emergency numbers,
// the reporter's own country's first; the bot sends it where no
// conversation runs (a blocked account).
func (e *Engine) EmergencyReply(intro, lang string) reply.Message {
	return emergencyReply(e.Emergency, intro, lang)
}

// AsksForEmergency says an input asks for the emergency numbers: the
// /emergency command or the menu's button. It is always answered, even
// for an account that may no longer report.
func AsksForEmergency(in Input) bool {
	return (in.Kind == InputCommand && in.Text == "emergency") ||
		(in.Kind == InputButton && in.Text == prefixMenu+menuEmergency)
}
