package flows

// Listening: a reporter who reads little can ask to hear the questions.
// The flow only keeps the choice (Session.Listen) and offers the button
// on the language picker and the menu; which messages have a recording,
// and sending them as voice messages, is the bot's work.

// listenToggle is the button that turns listening on, or off when it is on.
// Before the reporter chose a language the label is the speaker alone,
// which every reader knows.
func (r *run) listenToggle() Button {
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
