// Package review is the reviewer's side of a case: typed actions from
// signed buttons and commands (actions.go), carried out over small store
// interfaces it declares (handle.go), with per-case authorisation first
// (authorize.go), saying what to say as data (views.go). It never calls
// Telegram: bot decodes the update, renders the Outs into outbox entries
// and sends them.
package review

import (
	"errors"
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
)

// Actions lists every action, for tables and tests.
var Actions = []Action{Take, Details, Escalate, Reply, Note, Close, Outcome, Block, Reopen, TakeOver}

// Known tells whether a is one of Actions.
func Known(a Action) bool {
	for _, x := range Actions {
		if x == a {
			return true
		}
	}
	return false
}

// Press is a reviewer's button: an action on a case, with the outcome
// when the action is Outcome. Its string form is the button's action,
// "ack:TL-7K3Q-9XDM" or "out:TL-7K3Q-9XDM:police", which bot signs with
// the case's version.
type Press struct {
	Action  Action
	Case    tipline.Reference
	Outcome tipline.Outcome
}

// ErrBadAction means a button's action is not one of ours.
var ErrBadAction = errors.New("review: not a reviewer action")

// ParseAction reads a button's action; it is the one place that does.
func ParseAction(s string) (Press, error) {
	verb, rest, _ := strings.Cut(s, ":")
	refStr, arg, _ := strings.Cut(rest, ":")
	ref, err := tipline.ParseReference(refStr)
	if err != nil {
		return Press{}, ErrBadAction
	}
	p := Press{Action: Action(verb), Case: ref}
	if p.Action == Outcome {
		p.Outcome = tipline.Outcome(arg)
	}
	return p, nil
}

// String is the button's action for p.
func (p Press) String() string {
	s := string(p.Action) + ":" + string(p.Case)
	if p.Action == Outcome {
		s += ":" + string(p.Outcome)
	}
	return s
}

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
)

// Mode is what a reviewer's next text is for.
type Mode string

// Modes of a reviewer's state.
const (
	ModeNone  Mode = ""
	ModeReply Mode = "reply" // words to the reporter
	ModeNote  Mode = "note"  // an internal note
)

// State is what the reviewer's next text is for: a reply or a note on a
// case, in the version of the case when they pressed (if the case changes
// hands before they have typed, what they type is not used). bot keeps it
// between updates.
type State struct {
	Mode    Mode              `json:"mode,omitempty"`
	Case    tipline.Reference `json:"case,omitempty"`
	Version string            `json:"version,omitempty"`
}

// Note kinds and the actor written by reviewers.
const (
	NoteInternal   = tipline.NoteInternal
	NoteToReporter = tipline.NoteToReporter
)
