package flows

import (
	"slices"
	"strings"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/locales/script"
	"github.com/tipline/tipline/reply"
)

// Button actions. They travel in callback_data (signed by the bot), so they
// stay short.
const (
	actBack       = "back"
	actCancel     = "cancel"
	actSkip       = "skip"
	actDone       = "done"
	actCancelYes  = "cancel:yes"
	actCancelNo   = "cancel:no"
	actSendOpen   = "send:contact"
	actSendAnon   = "send:anon"
	actEdit       = "edit"
	actResume     = "resume:go"
	actRestart    = "resume:new"
	prefixLang    = "lang:"
	prefixMenu    = "menu:"
	prefixAnswer  = "a:"
	prefixEditOne = "edit:"
	actListenOn   = "listen:on"
	actListenOff  = "listen:off"
)

// Menu entries.
const (
	menuTip       = "tip"
	menuMissing   = "missing"
	menuEmergency = "emergency"
	menuPrivacy   = "privacy"
	menuLanguage  = "language"
)

// question is one step of a report: what to ask and what it accepts.
type question struct {
	state  State
	answer string
	// options are the codes of the answer buttons; none means the answer
	// is typed, spoken or sent.
	options []string
	perRow  int
	// maxText is the longest typed answer accepted; 0 means typing is not an answer.
	maxText  func(Limits) int
	voice    bool
	location bool
	media    bool
	optional bool
	// parse checks and normalises a typed answer; ok=false says invalid
	// (its message), and the question is asked again.
	parse   func(r *run, text string) (string, bool)
	invalid string
}

func longText(l Limits) int  { return l.LongText }
func shortText(l Limits) int { return l.ShortText }

// tipQuestions are a neighbour's report, in the order they are asked.
var tipQuestions = []question{
	{state: StateTipWhat, answer: tipline.AnswerWhat, maxText: longText, voice: true},
	{state: StateTipDanger, answer: tipline.AnswerDanger, options: []string{"yes", "no", "unsure"}, perRow: 3},
	// After the danger question, so that a child in danger now brings the
	// emergency numbers without one more tap.
	{state: StateTipHappening, answer: tipline.AnswerHappening, options: exploitationCodes(), perRow: 1, optional: true},
	{state: StateTipWhere, answer: tipline.AnswerWhere, maxText: shortText, location: true, optional: true},
	{state: StateTipWhen, answer: tipline.AnswerWhen, options: []string{"today", "yesterday", "earlier", "ongoing", "unknown"}, perRow: 2},
	{state: StateTipChildren, answer: tipline.AnswerChildren, options: []string{"1", "2_3", "4_plus", "unknown"}, perRow: 2},
	{state: StateTipAges, answer: tipline.AnswerAges, options: []string{"under_6", "6_11", "12_17", "unknown"}, perRow: 2},
	{state: StateTipAdults, answer: tipline.AnswerAdults, maxText: longText, voice: true, optional: true},
	{state: StateTipMedia, answer: tipline.AnswerMedia, media: true, optional: true},
}

// exploitationCodes are the answers to "What is happening?": the kinds of
// exploitation reviewers classify cases by.
func exploitationCodes() []string {
	out := make([]string, 0, len(tipline.Exploitations))
	for _, e := range tipline.Exploitations {
		out = append(out, string(e))
	}
	return out
}

// questionsFor returns the questions of a kind of report.
func questionsFor(k tipline.Kind) []question {
	if k == tipline.KindMissing {
		return missingQuestions
	}
	return tipQuestions
}

func findQuestion(s State) (question, int, bool) {
	for _, qs := range [][]question{tipQuestions, missingQuestions} {
		for i, q := range qs {
			if q.state == s {
				return q, i, true
			}
		}
	}
	return question{}, -1, false
}

// Step applies one input to a session.
func (e *Engine) Step(s Session, in Input) Result {
	s = s.clone()
	r := &run{e: e, s: s, in: in}
	r.step()
	return Result{Session: r.s, Replies: Join(r.replies), Effects: r.effects}
}

// Prompt returns the message that asks the session's current question
// again, for example after the bot could not save a step.
func (e *Engine) Prompt(s Session) reply.Message {
	r := &run{e: e, s: s.clone()}
	r.ask()
	return r.replies[len(r.replies)-1]
}

type run struct {
	e       *Engine
	s       Session
	in      Input
	replies []reply.Message
	effects []Effect
	// announced says a lost or expired conversation was already explained.
	announced bool
}

func (r *run) say(ids ...string) {
	rep := reply.Message{}
	for _, id := range ids {
		rep.Lines = append(rep.Lines, reply.Text{ID: id})
	}
	r.replies = append(r.replies, rep)
}

func (r *run) sayReply(rep reply.Message) { r.replies = append(r.replies, rep) }

// sayPrivacy says what we keep, with how long closed reports are kept as
// configured.
func (r *run) sayPrivacy() {
	r.sayReply(reply.Message{Lines: []reply.Text{{ID: "privacy", Data: map[string]any{"Days": r.e.retentionDays()}}}})
}

func (r *run) step() {
	in := r.in
	if r.s.Lang == "" {
		r.s.Lang = PhoneLanguage(in.LanguageCode)
	}
	if r.s.State == StateNew {
		switch {
		case in.DraftExpired:
			r.sayEach("draft_expired")
			r.announced = true
		case in.SessionLost && in.Kind != InputCommand && !(in.Kind == InputButton && worksWithoutSession(in.Text)):
			r.sayEach("error_session_lost")
			r.announced = true
		}
	}
	switch in.Kind {
	case InputCommand:
		r.command(in.Text)
		return
	case InputForgedButton:
		r.say("error_button_not_yours")
		r.ask()
		return
	case InputEdited:
		if r.s.Draft != nil && strings.TrimSpace(in.Text) != "" {
			r.s.Draft.Edits = keepEdits(append(r.s.Draft.Edits, strings.TrimSpace(in.Text)), r.e.Limits)
		}
		r.say("error_edited")
		r.ask()
		return
	case InputCases:
		r.cases(in.Cases, "mine_intro")
		return
	case InputCodeResult:
		r.codeResult(in)
		return
	case InputText:
		if r.answersTheTeam() {
			return
		}
	}
	if r.s.State == StateNew {
		if in.Kind == InputButton {
			r.lostSession(in.Text)
			return
		}
		// A first message that is not /start: greet as /start would,
		// keeping any words typed (G: a reporter's words are never lost).
		if in.Kind == InputText {
			r.keepWords(in.Text) // the reporter is told when it cut
		}
		r.command("start")
		return
	}
	if in.Kind == InputButton {
		r.button(in.Text)
		return
	}
	switch r.s.State {
	case StateAdd:
		r.addition()
		return
	case StateCode:
		if in.Kind == InputText {
			r.typedCode(in.Text)
			return
		}
	case StateMenu, StateTyped, StateLanguage:
		if in.Kind == InputText && strings.TrimSpace(in.Text) != "" {
			r.typedAtMenu()
			return
		}
	}
	r.message()
}

// lostSession handles a button pressed in a chat we have no session for:
// the session expired or was lost (G5). Every button is signed for this
// user, and those of a finished report name what they act on, so they
// keep working: the language and menu buttons, "↩️ Answer" under a team
// message (which names its case), the receipt and "Clear this chat"; a
// case's buttons from My reports show the list again, read afresh from
// the store. A draft's buttons are explained plainly.
func (r *run) lostSession(act string) {
	switch {
	case strings.HasPrefix(act, prefixLang):
		r.s.State = StateLanguage
	case act == actListenOn || act == actListenOff:
		// Listening is the reporter's, kept beyond the session.
		r.s.State = StateMenu
		if r.s.Lang == "" {
			r.s.State = StateLanguage
		}
	case strings.HasPrefix(act, prefixAnswer2) && r.s.Lang == "":
		// We do not know their language yet: ask it, then for the answer.
		ref := tipline.Reference(strings.TrimPrefix(act, prefixAnswer2))
		if !slices.Contains(r.s.Allowed, ref) {
			r.s.Allowed = append(r.s.Allowed, ref)
		}
		r.s.AddingTo = ref
		r.s.Back = []State{StateAdd}
		r.goTo(StateLanguage)
		return
	case strings.HasPrefix(act, prefixAnswer2):
	case (act == actReceipt || act == actClear) && r.s.Lang != "":
	case act == actClearYes && r.s.Lang != "":
		r.s.State = StateClear
	case (strings.HasPrefix(act, prefixAdd) || strings.HasPrefix(act, prefixNoContact)) && r.s.Lang != "":
		r.myReports()
		return
	case (strings.HasPrefix(act, prefixMenu) || act == actMenu) && r.s.Lang != "":
		r.s.State = StateMenu
	default:
		if !r.announced {
			r.sayEach("error_session_lost")
		}
		if r.s.Lang == "" {
			r.goTo(StateLanguage)
			return
		}
		r.goTo(StateMenu)
		return
	}
	r.button(act)
}

// worksWithoutSession says a button acts the same with or without the
// chat's session: it names what it acts on, or needs nothing of a draft.
func worksWithoutSession(act string) bool {
	switch {
	case strings.HasPrefix(act, prefixLang), strings.HasPrefix(act, prefixMenu), strings.HasPrefix(act, prefixAnswer2),
		strings.HasPrefix(act, prefixAdd), strings.HasPrefix(act, prefixNoContact):
		return true
	}
	return act == actReceipt || act == actClear || act == actClearYes || act == actMenu ||
		act == actListenOn || act == actListenOff
}

// PhoneLanguage is the language a new chat starts in from the phone's
// Telegram language: Khmer or Thai when the phone says so, else none, and
// the reporter chooses. Telegram has no Khmer interface and most Thai
// phones run it in English, so "en" says nothing about what a reporter
// reads.
func PhoneLanguage(code string) string {
	switch l := tipline.MatchLanguage(code); l {
	case tipline.LangKhmer, tipline.LangThai:
		return l
	}
	return ""
}

// sayEach says a message in the reporter's language, or, before we know
// it, in each of ours.
func (r *run) sayEach(id string) {
	if r.s.Lang != "" {
		r.say(id)
		return
	}
	r.sayReply(reply.Message{Lines: InEachLanguage(id)})
}

// InEachLanguage is a message written once in each language, Khmer first,
// for a reader whose language we do not know yet.
func InEachLanguage(id string) []reply.Text {
	out := make([]reply.Text, 0, len(Languages))
	for i, l := range Languages {
		out = append(out, reply.Text{ID: id, Lang: l, Item: i > 0})
	}
	return out
}

// command handles /start, /language, /cancel, /help, /privacy and /emergency.
func (r *run) command(name string) {
	switch name {
	case "start":
		if r.s.Draft != nil && r.s.State != StateResume {
			r.goTo(StateResume)
			return
		}
		if r.s.Lang == "" {
			r.goTo(StateLanguage)
			return
		}
		r.s.Back = nil
		r.say("welcome")
		r.goTo(StateMenu)
	case "language":
		r.pushAndGo(StateLanguage)
	case "cancel":
		if r.s.Draft == nil {
			r.s.Typed = ""
			r.say("cancel_nothing")
			r.goTo(StateMenu)
			return
		}
		r.startCancel()
	case "help":
		r.say("help")
		r.ask()
	case "privacy":
		r.sayPrivacy()
		r.ask()
	case "emergency":
		r.sayReply(r.emergency("emergency_intro"))
		r.ask()
	case "status":
		r.s.Back = nil
		r.goTo(StateCode)
	case "mine":
		r.myReports()
	case "forget":
		r.pushAndGo(StateForget)
	default:
		r.say("error_unknown_command")
		r.ask()
	}
}

// button handles a button press for the current state; a button from an
// earlier message is explained and the current question asked again.
func (r *run) button(act string) {
	st := r.s.State
	if r.followUpButton(act) {
		return
	}
	if r.listenButton(act) {
		return
	}
	switch {
	case strings.HasPrefix(act, prefixLang) && st == StateLanguage:
		lang := strings.TrimPrefix(act, prefixLang)
		if !slices.Contains(Languages, lang) {
			break
		}
		r.s.Lang = lang
		if r.s.Return != "" || len(r.s.Back) > 0 {
			r.say("language_changed")
			r.back()
			return
		}
		r.say("welcome")
		r.goTo(StateMenu)
		return
	case strings.HasPrefix(act, prefixMenu) && (st == StateMenu || st == StateTyped):
		r.menu(strings.TrimPrefix(act, prefixMenu))
		return
	case strings.HasPrefix(act, prefixTyped) && st == StateTyped && r.typedButton(act):
		return
	case st == StateResume && act == actResume:
		r.s.State = r.s.Return
		r.s.Return = ""
		if r.s.State == "" || r.s.State == StateResume {
			r.s.State = questionsFor(r.s.Draft.Kind)[0].state
		}
		r.ask()
		return
	case st == StateResume && act == actRestart:
		r.discardDraft()
		r.say("draft_discarded")
		r.goTo(StateMenu)
		return
	case st == StateCancel && act == actCancelYes:
		r.discardDraft()
		r.say("cancelled")
		r.goTo(StateMenu)
		return
	case st == StateCancel && act == actCancelNo:
		r.s.State, r.s.Return = r.s.Return, ""
		r.ask()
		return
	case st == StateTipReview && (act == actSendOpen || act == actSendAnon):
		r.submit(act == actSendOpen)
		return
	case st == StateTipReview && act == actEdit:
		r.pushAndGo(StateTipEdit)
		return
	case st == StateTipEdit && strings.HasPrefix(act, prefixEditOne) && r.s.Draft != nil:
		if q, _, ok := findQuestion(State(strings.TrimPrefix(act, prefixEditOne))); ok && slices.ContainsFunc(questionsFor(r.s.Draft.Kind), func(x question) bool { return x.state == q.state }) {
			r.s.Return = StateTipReview
			r.goTo(State(strings.TrimPrefix(act, prefixEditOne)))
			return
		}
	case act == actBack && st != StateMenu && st != StateNew:
		r.back()
		return
	case act == actCancel && r.s.Draft != nil && st != StateCancel:
		r.startCancel()
		return
	}
	if q, _, ok := findQuestion(st); ok && r.s.Draft != nil {
		if r.answerButton(q, act) {
			return
		}
	}
	r.say("error_old_button")
	r.ask()
}

func (r *run) menu(item string) {
	switch item {
	case menuTip:
		r.s.Draft = &Draft{
			ID:        r.e.NewDraftID(),
			Reference: r.e.NewReference(),
			Kind:      tipline.KindTip,
			Answers:   tipline.Answers{},
			StartedAt: r.in.Now,
		}
		r.s.Back = []State{StateMenu}
		r.say("tip_intro")
		r.s.State = StateTipWhat
		if r.useTyped() {
			r.next(tipQuestions[0])
			return
		}
		r.ask()
	case menuMissing:
		r.s.Draft = &Draft{
			ID:        r.e.NewDraftID(),
			Reference: r.e.NewReference(),
			Kind:      tipline.KindMissing,
			Urgent:    true, // a missing child is urgent until a reviewer says otherwise
			Answers:   tipline.Answers{},
			StartedAt: r.in.Now,
		}
		r.s.Back = []State{StateMenu}
		r.sayReply(r.emergency("missing_intro"))
		r.useTyped()
		r.goTo(StateMissingName)
	case menuMine:
		r.myReports()
	case menuEmergency:
		r.sayReply(r.emergency("emergency_intro"))
		r.ask()
	case menuPrivacy:
		r.sayPrivacy()
		r.ask()
	case menuLanguage:
		r.pushAndGo(StateLanguage)
	default:
		r.say("error_old_button")
		r.ask()
	}
}

// answerButton applies an answer, Skip or Done button to a question.
func (r *run) answerButton(q question, act string) bool {
	d := r.s.Draft
	switch {
	case act == actSkip && q.optional:
		delete(d.Answers, q.answer)
		if q.media {
			d.Attachments = slices.DeleteFunc(d.Attachments, func(a tipline.Attachment) bool { return a.Question == q.answer })
		}
		if q.location {
			d.Location = nil
		}
		r.next(q)
		return true
	case act == actDone && q.media && r.countAttachments(q.answer) > 0:
		r.next(q)
		return true
	case strings.HasPrefix(act, prefixAnswer):
		code := strings.TrimPrefix(act, prefixAnswer)
		if !slices.Contains(q.options, code) {
			return false
		}
		d.Answers[q.answer] = r.storedAnswer(q, code)
		if q.answer == tipline.AnswerDanger {
			d.Urgent = code == "yes"
			if d.Urgent {
				r.sayReply(r.emergency("danger_call_now"))
			}
		}
		r.next(q)
		return true
	}
	return false
}

// storedAnswer is what an answer button stores: its code, except "today"
// and "yesterday", which are stored as the day they meant (in the team's
// time zone), since a reviewer reads the case days later.
func (r *run) storedAnswer(q question, code string) string {
	if q.answer != tipline.AnswerWhen && q.answer != tipline.AnswerSeenWhen {
		return code
	}
	day := r.in.Now.In(r.e.location())
	switch code {
	case "today":
	case "yesterday":
		day = day.AddDate(0, 0, -1)
	default:
		return code
	}
	return day.Format(dateLayout)
}

// message handles anything but a button or a command: the answer to a
// typed, spoken or sent question, or an explanation and the question again.
func (r *run) message() {
	in := r.in
	q, _, isQuestion := findQuestion(r.s.State)
	if !isQuestion || r.s.Draft == nil {
		r.unexpected(question{})
		return
	}
	d := r.s.Draft
	switch {
	case in.Kind == InputText && q.maxText != nil:
		text := strings.TrimSpace(in.Text)
		if text == "" {
			r.unexpected(q)
			return
		}
		if max := q.maxText(r.e.Limits); script.Length(text) > max {
			if max < r.e.Limits.LongText {
				// Too long for a short answer (a place, a name): kept for
				// the team beside the answers; the question is asked again.
				if !r.keepWords(text) {
					r.say("short_text_kept")
				}
				r.ask()
				return
			}
			// A long story is kept whole, and the reporter told so.
			r.say("long_text_kept")
		}
		if q.parse != nil {
			v, ok := q.parse(r, text)
			if !ok {
				r.say(q.invalid)
				r.ask()
				return
			}
			text = v
		}
		d.Answers[q.answer] = text
		r.next(q)
	case in.Kind == InputVoice && q.voice && in.Attachment != nil:
		if !r.attach(q, *in.Attachment) {
			return
		}
		r.next(q)
	case in.Kind == InputLocation && q.location && in.Location != nil:
		loc := *in.Location
		d.Location = &loc
		r.next(q)
	case (in.Kind == InputPhoto || in.Kind == InputVideo) && q.media && in.Attachment != nil:
		if !r.attach(q, *in.Attachment) {
			return
		}
		r.sayReply(reply.Message{
			Lines:   []reply.Text{{ID: "tip_media_received", Data: map[string]any{"Count": r.countAttachments(q.answer)}}},
			Buttons: [][]reply.Button{{{Label: reply.Text{ID: "button_done"}, Action: actDone}}, r.navRow()},
		})
	default:
		r.unexpected(q)
	}
}

// attach adds a file to the draft, within the limit; false when refused.
func (r *run) attach(q question, a tipline.Attachment) bool {
	d := r.s.Draft
	if len(d.Attachments) >= r.e.Limits.Attachments {
		r.sayReply(reply.Message{Lines: []reply.Text{{ID: "error_too_many_files", Data: map[string]any{"Max": r.e.Limits.Attachments}}}})
		r.ask()
		return false
	}
	a.Question = q.answer
	d.Attachments = append(d.Attachments, a)
	r.tooLarge(a)
	return true
}

// tooLarge kindly tells a reporter that a file is too big for us to
// receive: it is kept on the report (the team sees it was sent), but its
// contents never reach us, so a shorter video or words help.
func (r *run) tooLarge(a tipline.Attachment) {
	if a.TooLarge() {
		r.say("file_too_large")
	}
}

func (r *run) countAttachments(answer string) int {
	n := 0
	for _, a := range r.s.Draft.Attachments {
		if a.Question == answer {
			n++
		}
	}
	return n
}

// unexpected explains kindly why an input was not taken, then asks again.
func (r *run) unexpected(q question) {
	id := "error_use_buttons"
	switch r.in.Kind {
	case InputSticker:
		id = "error_sticker"
	case InputDocument:
		id = "error_file"
	case InputPhoto, InputVideo:
		id = r.mediaNotNow()
	case InputVoice:
		id = "error_voice_not_now"
		if q.maxText != nil {
			id = "error_voice_type" // a typed question has no buttons to use
		}
	case InputLocation:
		id = "error_location_not_now"
	case InputUnsupported:
		id = "error_unsupported"
	}
	if q.media && r.in.Kind == InputText {
		id = "error_media_expected"
	}
	r.say(id)
	r.ask()
}

// mediaNotNow says why a photo or video is not taken now, truthfully:
// "I will ask for it soon" only when a question ahead asks for one; at
// the review, how to add it; otherwise that this step cannot take it.
func (r *run) mediaNotNow() string {
	d := r.s.Draft
	if d == nil {
		return "error_media_not_now" // every report asks for photos
	}
	if r.s.State == StateTipReview || r.s.State == StateTipEdit {
		return "error_media_at_review"
	}
	_, i, ok := findQuestion(r.s.State)
	for _, q := range questionsFor(d.Kind)[i+1:] {
		if ok && q.media && r.s.Return != StateTipReview {
			return "error_media_not_now"
		}
	}
	if r.s.Return == StateTipReview {
		return "error_media_at_review"
	}
	return "error_media_no_place"
}

// next moves past an answered question: to the review when editing, else
// to the following question.
func (r *run) next(q question) {
	if r.s.Return == StateTipReview {
		r.s.Return = ""
		r.s.Back = popTo(r.s.Back, StateTipReview)
		r.s.State = StateTipReview
		r.ask()
		return
	}
	_, i, _ := findQuestion(q.state)
	qs := questionsFor(r.s.Draft.Kind)
	nextState := StateTipReview
	if i+1 < len(qs) {
		nextState = qs[i+1].state
	}
	r.pushAndGo(nextState)
}

// popTo drops states from the back stack down to (not including) s.
func popTo(back []State, s State) []State {
	if i := slices.Index(back, s); i >= 0 {
		return back[:i]
	}
	return back
}

func (r *run) pushAndGo(s State) {
	if r.s.State != "" && r.s.State != s {
		r.s.Back = append(r.s.Back, r.s.State)
	}
	r.goTo(s)
}

func (r *run) goTo(s State) {
	if s == StateResume || s == StateCancel {
		r.s.Return = r.s.State
		if s == StateResume && r.s.State == StateResume && r.s.Draft != nil {
			r.s.Return = questionsFor(r.s.Draft.Kind)[0].state
		}
	}
	r.s.State = s
	r.ask()
}

// back returns to the previous state, or to the menu.
func (r *run) back() {
	if r.s.Return == StateTipReview && r.s.State != StateTipReview {
		r.s.Return = ""
		r.s.Back = popTo(r.s.Back, StateTipReview)
		r.s.State = StateTipReview
		r.ask()
		return
	}
	if n := len(r.s.Back); n > 0 {
		prev := r.s.Back[n-1]
		r.s.Back = r.s.Back[:n-1]
		if prev == StateMenu && r.s.Draft != nil {
			// Going back out of a report means leaving it: ask first.
			r.s.Back = append(r.s.Back, prev)
			r.startCancel()
			return
		}
		r.s.State = prev
		r.ask()
		return
	}
	r.s.State = StateMenu
	r.ask()
}

func (r *run) startCancel() {
	r.s.Return = r.s.State
	r.s.State = StateCancel
	r.ask()
}

func (r *run) discardDraft() {
	r.s.Draft = nil
	r.s.Back = nil
	r.s.Return = ""
}

// submit files the draft. The reply with the reference goes out only after
// the bot has stored the case (the effect), never before.
func (r *run) submit(contact bool) {
	d := r.s.Draft
	urgency := tipline.UrgencyNormal
	if d.Urgent {
		urgency = tipline.UrgencyUrgent
	}
	c := tipline.NewCase{
		DraftID:        d.ID,
		Reference:      d.Reference,
		Kind:           d.Kind,
		Urgency:        urgency,
		Lang:           r.s.Lang,
		Reporter:       r.in.Reporter,
		ContactAllowed: contact,
		Answers:        answersWithEdits(d),
		Location:       d.Location,
		Attachments:    slices.Clone(d.Attachments),
		SubmittedAt:    r.in.Now,
	}
	code := r.e.NewFollowUpCode()
	r.effects = append(r.effects, SubmitCase{Case: c, FollowUpCode: code})
	r.s.Submitted = append(r.s.Submitted, d.Reference)
	r.s.Receipt = &Receipt{Reference: d.Reference, Code: code}
	if !slices.Contains(r.s.Allowed, d.Reference) {
		r.s.Allowed = append(r.s.Allowed, d.Reference)
	}
	// One message: Telegram sends a chat one message a second, and a
	// frightened reporter should not wait for four. The secret code comes
	// last, set apart, just above its buttons.
	next := "done_anonymous"
	switch {
	case contact:
		next = "done_contact"
	case d.Answers[tipline.AnswerPhone] != "":
		// A number typed "for our team to call" may still be called.
		next = "done_anonymous_phone"
	}
	lines := []reply.Text{
		{ID: "done_received", Data: map[string]any{"Reference": string(d.Reference)}},
		{ID: "done_next"},
		{ID: next},
	}
	if d.Urgent {
		lines = append(lines, r.emergency("done_urgent").Lines...)
	}
	receipt := r.receipt(true)
	receipt.Lines = append(lines, receipt.Lines...)
	receipt.Buttons = append(receipt.Buttons, []reply.Button{btn("button_menu", actMenu)})
	r.sayReply(receipt)
	r.discardDraft()
	r.s.State = StateMenu
}

// answersWithEdits are the draft's answers, with any changed messages kept
// beside them for the reviewer.
func answersWithEdits(d *Draft) tipline.Answers {
	a := maps(d.Answers)
	if len(d.Edits) > 0 {
		a["edits"] = strings.Join(d.Edits, "\n---\n")
	}
	return a
}

func maps(a tipline.Answers) tipline.Answers {
	out := make(tipline.Answers, len(a))
	for k, v := range a {
		out[k] = v
	}
	return out
}

// emergency is a reply with an intro line and the emergency numbers, the
// reporter's own country's first.
func (r *run) emergency(intro string) reply.Message {
	return emergencyReply(r.e.Emergency, intro, r.s.Lang)
}

// homeCountry is the country whose numbers a reader of a language most
// likely needs first. Only the order follows the language: every number is
// shown, since a Khmer speaker may well be in Thailand.
var homeCountry = map[string]string{tipline.LangKhmer: "KH", tipline.LangThai: "TH"}

func emergencyReply(numbers []EmergencyNumber, intro, lang string) reply.Message {
	numbers = slices.Clone(numbers)
	if home := homeCountry[lang]; home != "" {
		slices.SortStableFunc(numbers, func(a, b EmergencyNumber) int {
			return boolRank(a.Country != home) - boolRank(b.Country != home)
		})
	}
	rep := reply.Message{Lines: []reply.Text{{ID: intro}}}
	if lang == "" {
		rep.Lines = InEachLanguage(intro) // the numbers follow in English
	}
	for _, n := range numbers {
		rep.Lines = append(rep.Lines, reply.Text{ID: "emergency_line", Item: true, Data: map[string]any{
			"Country": reply.Text{ID: "country_" + strings.ToLower(n.Country)},
			"Number":  n.Number,
			"Name":    reply.Text{ID: n.NameID},
		}})
	}
	return rep
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Join puts each reply without buttons together with the reply after it,
// so that an explanation and the question that follows, or a receipt's
// parts, arrive as one message: Telegram lets a bot send a chat about one
// message a second, and each message is one more buzz on a phone that
// someone may be watching. A reply with buttons ends a message.
func Join(replies []reply.Message) []reply.Message {
	var out []reply.Message
	var pending []reply.Text
	for _, rep := range replies {
		if len(rep.Buttons) == 0 {
			pending = append(pending, rep.Lines...)
			continue
		}
		if len(pending) > 0 {
			rep.Lines = append(slices.Clone(pending), rep.Lines...)
			pending = nil
		}
		out = append(out, rep)
	}
	if len(pending) > 0 {
		out = append(out, reply.Message{Lines: pending})
	}
	return out
}

func (s Session) clone() Session {
	s.Back = slices.Clone(s.Back)
	s.Submitted = slices.Clone(s.Submitted)
	s.Allowed = slices.Clone(s.Allowed)
	if s.Receipt != nil {
		rc := *s.Receipt
		s.Receipt = &rc
	}
	if s.Draft != nil {
		d := *s.Draft
		d.Answers = maps(d.Answers)
		d.Attachments = slices.Clone(d.Attachments)
		d.Edits = slices.Clone(d.Edits)
		if d.Location != nil {
			l := *d.Location
			d.Location = &l
		}
		s.Draft = &d
	}
	return s
}

// keepEdits drops the oldest edits until the draft keeps at most
// l.Edits of them and l.EditBytes bytes altogether.
func keepEdits(edits []string, l Limits) []string {
	maxN, maxBytes := l.Edits, l.EditBytes
	if maxN <= 0 {
		maxN = DefaultLimits.Edits
	}
	if maxBytes <= 0 {
		maxBytes = DefaultLimits.EditBytes
	}
	total := 0
	for _, e := range edits {
		total += len(e)
	}
	for len(edits) > 0 && (len(edits) > maxN || total > maxBytes) {
		total -= len(edits[0])
		edits = edits[1:]
	}
	return slices.Clone(edits)
}
