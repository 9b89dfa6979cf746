package flows

import "github.com/tipline/tipline/reply"

// Listening: a reporter who reads little can ask to hear the questions.
// The flow only keeps the choice (Session.Listen) and offers the button
// on the language picker and the menu; which messages have a recording,
// and sending them as voice messages, is the bot's work.

// listenToggle is the button that turns listening on, or off when it is on.
// Before the reporter chose a language the label is the speaker alone,
// which every reader knows.
func (r *run) listenToggle() reply.Button {
	switch {
	case r.s.Listen:
		return btn("button_listen_off", actListenOff)
	case r.s.Lang == "":
		return btn("button_listen_any", actListenOn)
	}
	return btn("button_listen_on", actListenOn)
}

// listenButton turns listening on or off, from any message that offered
// it, says so, and asks the current question again (heard, now, when it
// has a recording); false when act is not a listening button.
func (r *run) listenButton(act string) bool {
	if act != actListenOn && act != actListenOff {
		return false
	}
	r.s.Listen = act == actListenOn
	id := "listen_off"
	if r.s.Listen {
		id = "listen_on"
	}
	r.sayEach(id)
	if r.s.State == StateNew {
		r.s.State = StateLanguage
	}
	r.ask()
	return true
}

// VoicePrompts are the catalogue messages the team can record, in the
// order /record lists them: the welcome, every question of both reports,
// the emergency numbers' first line and the receipt's "what happens next".
// A message that holds one of them can go out as a voice message.
func VoicePrompts() []string {
	out := []string{"welcome"}
	seen := map[string]bool{}
	for _, qs := range [][]question{tipQuestions, missingQuestions} {
		for _, q := range qs {
			if id := "q_" + q.answer; !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return append(out, "emergency_intro", "done_next")
}
