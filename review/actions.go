// Package review is the reviewer's side of a case: typed actions from
// signed buttons and commands (actions.go), carried out over small store
// interfaces it declares (handle.go), with per-case authorisation first
// (authorize.go), saying what to say as data (views.go). It never calls
// Telegram: bot decodes the update, renders the Outs into outbox entries
// and sends them.
package review

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/tipline/tipline"
)

// Action is what a reviewer's button (or the text that follows it) asks to
// do with a case. The values are the verbs of the signed button tokens.
type Action string

// Reviewer actions on a case.
const (
	Take     Action = "ack"    // "I take it"
	Details  Action = "det"    // read the case
	Escalate Action = "esc"    // send it to everyone now
	Reply    Action = "rep"    // write to the reporter
	Note     Action = "note"   // an internal note
	Close    Action = "close"  // ask how to close it
	Outcome  Action = "out"    // close it with an outcome
	Block    Action = "blk"    // block its reporter
	Reopen   Action = "reopen" // reopen a closed case
	TakeOver Action = "tko"    // take the case from the reviewer who has it
	BlockFor Action = "blr"    // block its reporter, for a reason (after Block asked)
	Unblock  Action = "unb"    // lift the block of its reporter
	Classify Action = "cls"    // choose the kind of exploitation (then the risk)
	SetRisk  Action = "rsk"    // classify it: the kind and the risk chosen
	Refer    Action = "ref"    // close it as referred to a named partner (no partner: ask which, to refer to one more)
	SameAs   Action = "dup"    // type the reference of the older case it repeats
	Read     Action = "red"    // read one part of the case's long words (Details cuts them)
	Files    Action = "fil"    // receive one page of the case's files
	Send     Action = "snd"    // send the message typed for the reporter (after reading it again)
	Discard  Action = "dsc"    // do not send the message typed for the reporter
)

// Actions lists every action, for tables and tests.
var Actions = []Action{Take, Details, Escalate, Reply, Note, Close, Outcome, Block, Reopen, TakeOver,
	BlockFor, Unblock, Classify, SetRisk, Refer, SameAs, Read, Files, Send, Discard}

// Known tells whether a is one of Actions.
func Known(a Action) bool {
	for _, x := range Actions {
		if x == a {
			return true
		}
	}
	return false
}

// Press is a reviewer's button: an action on a case, with what was chosen
// for it. Its string form is the button's action, "ack:TL-7K3Q-9XDM",
// "out:TL-7K3Q-9XDM:police", "rsk:TL-7K3Q-9XDM:sale:high", which bot signs
// with the case's version; it stays well under Telegram's 64 bytes. A
// close or a referral acts only when Confirmed ("out:TL-7K3Q-9XDM:no_action:y"):
// the first press asks again, with Cancel.
type Press struct {
	Action  Action
	Case    tipline.Reference
	Outcome tipline.Outcome // Outcome
	// Exploitation is the kind chosen (Classify, optional; SetRisk).
	Exploitation tipline.Exploitation
	Risk         tipline.Risk        // SetRisk
	Partner      int64               // Refer
	Reason       tipline.BlockReason // BlockFor
	Page         int                 // Read, Files: the part or page, from 0
	Why          TakeOverWhy         // TakeOver: why (none: ask first)
	// Confirmed is the second press of Outcome or Refer: do it.
	Confirmed bool
}

// confirmMark ends the action of a confirmed press.
const confirmMark = "y"

// TakeOverWhy is why a reviewer takes a case someone else has: the holder
// and every admin are told it at once.
type TakeOverWhy string

// Reasons to take a case over.
const (
	WhyUnreachable TakeOverWhy = "unreachable" // the holder does not answer
	WhyAsked       TakeOverWhy = "asked"       // the holder asked for it
	WhyUrgent      TakeOverWhy = "urgent"      // it cannot wait
	WhyOther       TakeOverWhy = "other"
)

// TakeOverReasons lists every reason, in the order they are offered.
var TakeOverReasons = []TakeOverWhy{WhyUnreachable, WhyAsked, WhyUrgent, WhyOther}

// ErrBadAction means a button's action is not one of ours.
var ErrBadAction = errors.New("review: not a reviewer action")

// ParseAction reads a button's action; it is the one place that does.
func ParseAction(s string) (Press, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 {
		return Press{}, ErrBadAction
	}
	ref, err := tipline.ParseReference(parts[1])
	if err != nil {
		return Press{}, ErrBadAction
	}
	p := Press{Action: Action(parts[0]), Case: ref}
	args := parts[2:]
	if (p.Action == Outcome || p.Action == Refer) && len(args) == 2 && args[1] == confirmMark {
		p.Confirmed, args = true, args[:1]
	}
	want := 0
	switch p.Action {
	case Outcome:
		want = 1
		if len(args) == 1 {
			p.Outcome = tipline.Outcome(args[0])
		}
	case Classify:
		if len(args) == 1 {
			want = 1
			p.Exploitation = tipline.Exploitation(args[0])
			if !p.Exploitation.Valid() {
				return Press{}, ErrBadAction
			}
		}
	case SetRisk:
		want = 2
		if len(args) == 2 {
			p.Exploitation, p.Risk = tipline.Exploitation(args[0]), tipline.Risk(args[1])
			if !p.Exploitation.Valid() || !p.Risk.Valid() {
				return Press{}, ErrBadAction
			}
		}
	case Refer:
		if len(args) == 1 {
			want = 1
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return Press{}, ErrBadAction
			}
			p.Partner = id
		}
	case BlockFor:
		want = 1
		if len(args) == 1 {
			p.Reason = tipline.BlockReason(args[0])
			if !p.Reason.Valid() {
				return Press{}, ErrBadAction
			}
		}
	case TakeOver:
		if len(args) == 1 {
			want = 1
			p.Why = TakeOverWhy(args[0])
			if !slices.Contains(TakeOverReasons, p.Why) {
				return Press{}, ErrBadAction
			}
		}
	case Read, Files:
		want = 1
		if len(args) == 1 {
			n, err := strconv.Atoi(args[0])
			if err != nil || n < 0 || n > maxPage {
				return Press{}, ErrBadAction
			}
			p.Page = n
		}
	}
	if len(args) != want {
		return Press{}, ErrBadAction
	}
	return p, nil
}

// String is the button's action for p.
func (p Press) String() string {
	s := string(p.Action) + ":" + string(p.Case)
	switch p.Action {
	case Outcome:
		s += ":" + string(p.Outcome)
	case Classify:
		if p.Exploitation != "" {
			s += ":" + string(p.Exploitation)
		}
	case SetRisk:
		s += ":" + string(p.Exploitation) + ":" + string(p.Risk)
	case Refer:
		if p.Partner != 0 {
			s += ":" + strconv.FormatInt(p.Partner, 10)
		}
	case BlockFor:
		s += ":" + string(p.Reason)
	case Read, Files:
		s += ":" + strconv.Itoa(p.Page)
	case TakeOver:
		if p.Why != "" {
			s += ":" + string(p.Why)
		}
	}
	if p.Confirmed && (p.Action == Outcome || p.Action == Refer) {
		s += ":" + confirmMark
	}
	return s
}

// maxPage bounds a page number in a button, keeping it short.
const maxPage = 99999

// On is the press of action a on the case ref.
func On(a Action, ref tipline.Reference) Press { return Press{Action: a, Case: ref} }

// Command is a reviewer's slash command.
type Command string

// Reviewer commands; any other is answered with help.
const (
	CmdQueue  Command = "queue"
	CmdOncall Command = "oncall"
	CmdCancel Command = "cancel"
	CmdHelp   Command = "help"
	// CmdFind looks cases up: /find TL-XXXX-XXXX, /find place words (and
	// a shared location does the same near it).
	CmdFind Command = "find"
)

// Mode is what a reviewer's next text is for.
type Mode string

// Modes of a reviewer's state.
const (
	ModeNone  Mode = ""
	ModeReply Mode = "reply" // words to the reporter
	ModeNote  Mode = "note"  // an internal note
	ModeSame  Mode = "same"  // the reference of the older case this one repeats
)

// State is what the reviewer's next text is for: a reply or a note on a
// case, in the version of the case when they pressed (if the case changes
// hands before they have typed, what they type is not used). bot keeps it
// between updates, encrypted.
type State struct {
	Mode    Mode              `json:"mode,omitempty"`
	Case    tipline.Reference `json:"case,omitempty"`
	Version string            `json:"version,omitempty"`
	// Draft is a message typed for the reporter, waiting for Send; DraftKey
	// is the update that typed it, so a Send repeated after a crash saves
	// and sends it once.
	Draft    string `json:"draft,omitempty"`
	DraftKey string `json:"draft_key,omitempty"`
}
