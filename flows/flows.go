// Package flows holds the reporter's conversation as a pure state machine:
// given the conversation so far (a Session) and one input (a text, a button,
// a location, a photo, a voice note, a command), Step returns the next
// session, what to say (message IDs with their data and buttons) and what to
// do (effects, such as submitting a case). It does no I/O and never reads the
// clock: the time and every random value come in through Input and Engine.
//
// Comments cite the guarantees in docs/guarantees.md as G1–G13; that page
// names the tests that hold each one.
package flows

import (
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/reply"
)

// State is where a conversation stands. States are stable strings because
// sessions are stored between updates.
type State string

// The conversation's states.
const (
	StateNew      State = ""
	StateLanguage State = "language"
	StateMenu     State = "menu"
	StateTyped    State = "menu.typed" // words typed before a report: "Do you want to report this?"
	StateResume   State = "resume"     // an unfinished report: continue or start over?
	StateCancel   State = "cancel"     // "stop this report?"

	StateTipWhat   State = "tip.what"
	StateTipDanger State = "tip.danger"
	// StateTipHappening asks, optionally and with one tap, what is
	// happening to the child, in the kinds reviewers classify cases by.
	StateTipHappening State = "tip.happening"
	StateTipWhere     State = "tip.where"
	StateTipWhen      State = "tip.when"
	StateTipChildren  State = "tip.children"
	StateTipAges      State = "tip.ages"
	StateTipAdults    State = "tip.adults"
	StateTipMedia     State = "tip.media"
	StateTipReview    State = "tip.review"
	StateTipEdit      State = "tip.edit" // which answer to change

	StateMine   State = "mine"        // "My reports": the list
	StateAdd    State = "add"         // adding information to a case
	StateCode   State = "status.code" // typing a follow-up code
	StateForget State = "forget"      // "forget me?"
	StateClear  State = "clear"       // "clear this chat?"
)

// Languages lists the supported languages in the order they are offered.
var Languages = tipline.Languages

// Session is one chat's conversation. It is stored (encrypted) between
// updates and expires after a while; nothing in it names the reporter.
type Session struct {
	Lang  string `json:"lang,omitempty"`
	State State  `json:"state,omitempty"`
	// Back is the stack of earlier states, for the Back button.
	Back []State `json:"back,omitempty"`
	// Return is the state to go back to once the current one is done: the
	// review after editing an answer, or the question a Cancel interrupted.
	Return State  `json:"return,omitempty"`
	Draft  *Draft `json:"draft,omitempty"`
	// Submitted lists the references of cases filed from this chat, newest last.
	Submitted []tipline.Reference `json:"submitted,omitempty"`
	// Receipt is the last report's reference and follow-up code, kept so
	// the reporter can see them again while the chat is open; clearing the
	// chat or /forget drops it.
	Receipt *Receipt `json:"receipt,omitempty"`
	// Allowed are the cases this chat may add to: its own (listed under My
	// reports) and those opened with a follow-up code.
	Allowed []tipline.Reference `json:"allowed,omitempty"`
	// AddingTo is the case information goes to in StateAdd.
	AddingTo tipline.Reference `json:"adding_to,omitempty"`
	// Typed are words the reporter typed before choosing a report (at the
	// menu, or as their very first message). They are kept until the
	// reporter chooses: they become the report's first answer.
	Typed string `json:"typed,omitempty"`
	// Listen says the reporter asked to hear the questions: each that the
	// team recorded in their language is sent as a voice message (the bot
	// keeps the choice beside the language, so it outlives the session).
	Listen bool `json:"listen,omitempty"`
}

// Receipt is what a reporter needs to come back to a case.
type Receipt struct {
	Reference tipline.Reference `json:"reference"`
	Code      string            `json:"code"`
}

// Draft is a report being written.
type Draft struct {
	ID          string               `json:"id"`
	Reference   tipline.Reference    `json:"reference"`
	Kind        tipline.Kind         `json:"kind"`
	Urgent      bool                 `json:"urgent,omitempty"`
	Answers     tipline.Answers      `json:"answers,omitempty"`
	Location    *tipline.Location    `json:"location,omitempty"`
	Attachments []tipline.Attachment `json:"attachments,omitempty"`
	StartedAt   time.Time            `json:"started_at"`
	// Edits are messages the reporter changed after sending: the first
	// version stays the answer, the change is kept beside it.
	Edits []string `json:"edits,omitempty"`
	// PhoneAsTyped is the phone number as the reporter typed it, shown
	// back to them; the answer holds it in E.164 for the team.
	PhoneAsTyped string `json:"phone_as_typed,omitempty"`
}

// InputKind tells what a reporter did.
type InputKind string

// Input kinds. Unsupported covers anything Telegram can carry that the bot
// does not take (contacts, polls, dice, games).
const (
	InputCommand     InputKind = "command"
	InputText        InputKind = "text"
	InputButton      InputKind = "button"
	InputLocation    InputKind = "location"
	InputPhoto       InputKind = "photo"
	InputVideo       InputKind = "video"
	InputVoice       InputKind = "voice"
	InputSticker     InputKind = "sticker"
	InputDocument    InputKind = "document"
	InputEdited      InputKind = "edited"
	InputUnsupported InputKind = "unsupported"
	// InputForgedButton is a button press whose signature did not check out
	// (forwarded from someone else, or made up).
	InputForgedButton InputKind = "forged_button"
	// InputCases carries the reporter's cases, after a LoadMyCases effect.
	InputCases InputKind = "cases"
	// InputCodeResult carries the outcome of an OpenByCode effect.
	InputCodeResult InputKind = "code_result"
)

// Outcomes of opening a case with a follow-up code.
const (
	CodeOpened  = "opened"
	CodeWrong   = "wrong"
	CodeLimited = "limited"
)

// Input is one thing the reporter did.
type Input struct {
	Kind InputKind
	// Text is the message text, the command name without its slash, or the
	// button's action.
	Text string
	// Arg is a command's argument (/start ARG).
	Arg string
	// LanguageCode is the Telegram client's language, a hint for a new chat.
	LanguageCode string
	Location     *tipline.Location
	Attachment   *tipline.Attachment
	// Reporter is the pseudonym of the Telegram user.
	Reporter string
	Now      time.Time
	// Cases are the reporter's cases (InputCases) or the case a code
	// opened (InputCodeResult with CodeOpened).
	Cases []tipline.CaseSummary
	// CodeResult is CodeOpened, CodeWrong or CodeLimited.
	CodeResult string
	// DraftExpired says the chat had an unfinished report that expired.
	DraftExpired bool
	// SessionLost says the chat had a conversation that is gone (Redis
	// lost it, or it expired): the reporter is told plainly.
	SessionLost bool
	// Awaiting are the reporter's cases whose team message awaits an
	// answer (the bot keeps them beside the sessions): words typed without
	// pressing "↩️ Answer" go to the one case, or the reporter is asked
	// which.
	Awaiting []tipline.Reference
}

// Effect is something the bot must do, durably, before it sends the
// replies of the same step.
type Effect interface{ isEffect() }

// SubmitCase files the draft as a case. FollowUpCode is shown to the
// reporter once; the bot stores only its slow hash.
type SubmitCase struct {
	Case         tipline.NewCase
	FollowUpCode string
}

func (SubmitCase) isEffect() {}

// LoadMyCases asks the bot for the reporter's cases; it answers with an
// InputCases input.
type LoadMyCases struct{ Reporter string }

// OpenByCode asks the bot to open a case with a follow-up code (a slow
// hash, with a limit on tries); it answers with an InputCodeResult input.
type OpenByCode struct {
	Code     string
	Reporter string
}

// AddToCase adds words or a file to a submitted case.
type AddToCase struct {
	Reference tipline.Reference
	Addition  tipline.Addition
}

// Forget unlinks the reporter from their cases (the cases stay).
type Forget struct{ Reporter string }

// WithdrawContact tells the bot the reporter no longer wants the team to
// write to them about a case of theirs: their chat id is deleted.
type WithdrawContact struct {
	Reference tipline.Reference
	Reporter  string
}

// ClearChat deletes the chat's messages that can still be deleted.
type ClearChat struct{}

func (LoadMyCases) isEffect() {}
func (OpenByCode) isEffect()  {}
func (AddToCase) isEffect()   {}
func (Forget) isEffect()      {}
func (ClearChat) isEffect()   {}

func (WithdrawContact) isEffect() {}

// Result is what one step produced.
type Result struct {
	Session Session
	Replies []reply.Message
	Effects []Effect
}

// Limits says what a reporter may type and send.
type Limits struct {
	// LongText is how long "what did you see" and "about the adults" may
	// be, in characters, before the reporter is told that all of a longer
	// text was kept. A reporter's words are never refused for length.
	LongText int
	// ShortText caps a typed place, name or phone number; a longer text is
	// kept for the team beside the answers, and the question asked again.
	ShortText int
	// Attachments caps photos, videos and voice notes on one report.
	Attachments int
	// Edits and EditBytes cap the changed messages a draft keeps (Draft.Edits),
	// in number and in bytes altogether: the newest are kept. The draft is
	// re-read and re-sealed on every update, so it must stay small whatever
	// a reporter (or a script) does. Zero means the default.
	Edits     int
	EditBytes int
	// WordsBytes caps, in bytes, the words kept that answer no question
	// (Session.Typed and the "written" answer): the newest are kept and
	// the reporter told. Without it a script typing at the menu grows the
	// session, and the case a reviewer reads, without end. Zero means the
	// default.
	WordsBytes int
}

// DefaultLimits are generous: a worried neighbour may have much to say.
var DefaultLimits = Limits{LongText: 3000, ShortText: 300, Attachments: 20, Edits: 20, EditBytes: 32 << 10, WordsBytes: 32 << 10}

// Engine runs conversations. Its fields are the program's only source of
// randomness inside flows, so tests can fix them.
type Engine struct {
	NewDraftID   func() string
	NewReference func() tipline.Reference
	// NewFollowUpCode returns 16 random digits.
	NewFollowUpCode func() string
	// Location is where dates typed by reporters are read (the NGO's time zone).
	Location *time.Location
	Limits   Limits
	// Emergency is the list of numbers shown on "a child is in danger now".
	Emergency []EmergencyNumber
	// Retention is how long a closed case is kept, which the privacy
	// message tells the reporter (TIPLINE_RETENTION_DAYS); zero means the
	// default, 90 days.
	Retention time.Duration
}

// retentionDays is how many days after closing a case is deleted.
func (e *Engine) retentionDays() int {
	if e.Retention <= 0 {
		return 90
	}
	return int((e.Retention + 24*time.Hour - 1) / (24 * time.Hour))
}

// location is where dates are read and shown: the NGO's time zone, or UTC.
func (e *Engine) location() *time.Location {
	if e.Location == nil {
		return time.UTC
	}
	return e.Location
}

// EmergencyNumber is one number to call, with the message ID that names the
// service in the reporter's language.
type EmergencyNumber struct {
	Country string // "KH", "TH", "intl"
	Number  string
	NameID  string
}

// DefaultEmergency lists the defaults for Cambodia and Thailand. The README
// names the source of each.
var DefaultEmergency = []EmergencyNumber{
	{Country: "KH", Number: "117", NameID: "emergency_kh_police"},
	{Country: "KH", Number: "1280", NameID: "emergency_kh_helpline"},
	{Country: "TH", Number: "191", NameID: "emergency_th_police"},
	{Country: "TH", Number: "1300", NameID: "emergency_th_hotline"},
	{Country: "intl", Number: "+66 99 130 1300", NameID: "emergency_th_abroad"},
}

// Commands are the commands offered in the reporter's command menu, in
// order; each is described by the message "command_" + its name.
var Commands = []string{"start", "mine", "status", "emergency", "language", "privacy", "cancel", "forget", "help"}

// CommandIcons are the pictures that open each command's line in the
// default "/" menu, so a reader who reads none of its words still finds
// the emergency numbers and the language.
var CommandIcons = map[string]string{
	"start": "🏠", "mine": "📂", "status": "🔑", "emergency": "☎️", "language": "🌐",
	"privacy": "🔒", "cancel": "✖️", "forget": "🗑️", "help": "❓",
}
