// Package tipline holds the domain of the tip line: cases, their kinds,
// urgency and status, references, answer keys, audit actors, lanes, find
// queries and the errors the rest of the program shares. It imports
// nothing of ours.
//
// # Code glossary
//
// One word for each thing in code, logs and metrics, as locales/GLOSSARY.md
// fixes the words users read:
//
//   - take: a reviewer takes a case ("I take it"; review.Take, TakeOver,
//     EventTaken). Names that were stored or exported before this word was
//     chosen say acknowledge (StatusAcknowledged, the audit action
//     "acknowledged", Store.Acknowledge, the TIPLINE_ACK_* deadlines, the
//     oldest-unacknowledged gauges) and mean the same; new code says take.
//   - report and case: the reporter files a report; our team works a case.
//     They are one Case. The board's report (package report, tipline report)
//     is a third thing, always called the board report.
//   - tip: a report of a child at risk (KindTip), beside KindMissing; the
//     product is the tip line.
//   - reporter, reviewer, admin, operator: the person who reports (known only
//     by a pseudonym); a member of the team working cases in Telegram; a
//     reviewer with Admin set, who may act on any case; whoever runs the
//     tipline commands on the server (audited as "operator").
//   - addition: what a reporter adds to a case already sent (Addition,
//     EventAdded).
//   - note: a reviewer's words kept on a case; its Kind says whether only
//     the team reads it or it went to or came from the reporter.
//   - lane: the priority of an outgoing message in the outbox (1 answers to
//     button presses first, 4 bulk last).
//   - actor: who did something, as the audit trail and additions record it
//     ("reviewer:7", "reporter:<pseudonym>", "followup:<pseudonym>",
//     "system", "operator"): ReviewerActor, ReporterActor, FollowUpActor,
//     ParseActor.
//   - answer: what a reporter answered one question, under its key
//     (AnswerWhat, AnswerSeenWhere; PlaceAnswers are those naming a place).
//   - find: a reviewer's look-up of cases (FindQuery, Found, FindKm).
package tipline

import (
	"crypto/rand"
	"errors"
	"strings"
	"time"
)

// Kind is what a case is about.
type Kind string

// The kinds of case a reporter can file.
const (
	KindTip     Kind = "tip"     // a child at risk of sale or exploitation
	KindMissing Kind = "missing" // a missing child, reported by a family
)

// Urgency tells how fast a reviewer must look at a case.
type Urgency string

// Urgency levels. A case is urgent when a child is in danger right now or is missing.
const (
	UrgencyNormal Urgency = "normal"
	UrgencyUrgent Urgency = "urgent"
)

// Status is where a case stands in the review.
type Status string

// Case statuses as the reporter sees them.
const (
	StatusReceived     Status = "received"
	StatusAcknowledged Status = "acknowledged"
	StatusClosed       Status = "closed"
)

// Attachment kinds.
const (
	AttachPhoto = "photo"
	AttachVideo = "video"
	AttachVoice = "voice"
)

// Location is a point a reporter shared.
type Location struct {
	Latitude  float64 `json:"lat"`
	Longitude float64 `json:"lon"`
}

// Attachment is a photo, video or voice note given with a case. Telegram
// keeps the file; FileID lets the bot fetch it again and the bytes are
// stored, encrypted, once fetched.
type Attachment struct {
	Kind         string `json:"kind"`
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	// Question is the flow step the attachment answered ("what", "photos").
	Question string `json:"question,omitempty"`
	// Caption is the reporter's words sent with the file, kept like their
	// other words (sealed at rest); "" when it came alone. At most
	// MaxCaption characters, as Telegram allows.
	Caption string `json:"caption,omitempty"`
	// Size is the file's size as Telegram announced it, 0 when unknown;
	// it counts against the limit of what may be added to a case in a day.
	// The store does not keep it (the size of the stored file is kept once
	// fetched).
	Size int64 `json:"size,omitempty"`
}

// MaxCaption is the longest caption kept, in characters: Telegram's own
// limit for a file's caption.
const MaxCaption = 1024

// MaxDownload is the Bot API's limit on a file a bot may download (20 MB).
// A larger file is kept on its case as sent but never fetched: Telegram
// will not hand it over.
const MaxDownload = 20 << 20

// TooLarge tells whether Telegram announced the file over MaxDownload.
func (a Attachment) TooLarge() bool { return a.Size > MaxDownload }

// Answers are everything a reporter told us about a case, keyed by
// question. Values are the stable codes of buttons ("yes", "today") or the
// reporter's own words; they are encrypted as a whole at rest.
type Answers map[string]string

// NewCase is a case as a reporter submits it.
type NewCase struct {
	// DraftID identifies the draft the case came from; submitting the same
	// draft twice gives one case.
	DraftID   string
	Reference Reference
	Kind      Kind
	Urgency   Urgency
	Lang      string
	// Reporter is the keyed pseudonym of the reporter's Telegram user.
	Reporter string
	// ReporterChatID is kept only so the team can answer; it is stored encrypted.
	ReporterChatID int64
	ContactAllowed bool
	Answers        Answers
	Location       *Location
	Attachments    []Attachment
	SubmittedAt    time.Time
	// FollowUpHash is the slow hash of the case's follow-up code (the code
	// itself is never stored); nil when the case has none.
	FollowUpHash []byte
}

// Case is a stored case.
type Case struct {
	NewCase
	// Additions are what the reporter added after submitting, oldest first.
	Additions []Addition
	// Assignment is who took the case; zero until acknowledged.
	Assignment Assignment
	// Classification is the reviewer's reading of the case; zero until set.
	Classification Classification
	Status         Status
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Addition is information a reporter added to a case after submitting it:
// words, photos or voice notes, from "My reports" or a follow-up code.
type Addition struct {
	// Actor is who added it: "reporter:<pseudonym>" or "followup:<pseudonym>".
	Actor       string
	Text        string
	Attachments []Attachment
	At          time.Time
}

// CaseSummary is what a reporter sees of one of their cases.
type CaseSummary struct {
	Reference Reference
	Kind      Kind
	Urgency   Urgency
	Status    Status
	CreatedAt time.Time
	// Exploitation and Risk are the reviewer's classification (empty until
	// classified), for the reviewer's lists; never shown to a reporter.
	Exploitation Exploitation
	Risk         Risk
	// ContactAllowed says the team may still write to the reporter about
	// the case; the reporter can withdraw it from My reports.
	ContactAllowed bool
}

// AuditEvent records one change to a case: who (a role and pseudonym,
// never a name), what and when.
type AuditEvent struct {
	Reference Reference
	Actor     string
	Action    string
	At        time.Time
}

// Reference is the code a reporter is given for their case, such as
// TL-7K3Q-9XDM. Its alphabet has no look-alike characters (no 0/O, 1/I/L,
// 5/S, 8/B, 2/Z, U/V).
type Reference string

// referenceAlphabet leaves out characters that are easy to confuse when read
// aloud or from a small screen.
const referenceAlphabet = "34679ACDEFGHJKMNPQRTWXY"

// NewReference returns a random reference.
func NewReference() Reference {
	out := make([]byte, 0, 12)
	out = append(out, "TL-"...)
	var b [1]byte
	limit := 256 - 256%len(referenceAlphabet) // no modulo bias
	for n := 0; n < 8; {
		if _, err := rand.Read(b[:]); err != nil {
			panic("tipline: crypto/rand failed: " + err.Error())
		}
		if int(b[0]) >= limit {
			continue
		}
		if n == 4 {
			out = append(out, '-')
		}
		out = append(out, referenceAlphabet[int(b[0])%len(referenceAlphabet)])
		n++
	}
	return Reference(out)
}

// ParseReference accepts a reference as a person may type it (lower case,
// spaces, missing dashes) and returns it in canonical form.
func ParseReference(s string) (Reference, error) {
	var chars []byte
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == ' ' || r == '-' || r == '_':
			continue
		case r < 128 && strings.IndexByte(referenceAlphabet, byte(r)) >= 0:
			chars = append(chars, byte(r))
		case r == 'L' || r == 'T':
			chars = append(chars, byte(r))
		default:
			return "", ErrBadReference
		}
	}
	if len(chars) == 10 && string(chars[:2]) == "TL" {
		chars = chars[2:]
	}
	if len(chars) != 8 {
		return "", ErrBadReference
	}
	for _, c := range chars {
		if strings.IndexByte(referenceAlphabet, c) < 0 {
			return "", ErrBadReference
		}
	}
	return Reference("TL-" + string(chars[:4]) + "-" + string(chars[4:])), nil
}

// Domain errors shared by storage and the bot.
var (
	ErrNotFound     = errors.New("not found")
	ErrBadReference = errors.New("not a case reference")
	// ErrInvalid means a value or a change the store cannot accept: a case
	// without a draft id, a take-over of a closed case.
	ErrInvalid = errors.New("invalid value")
)

// Reviewer is a trained person of the NGO who works cases from Telegram.
type Reviewer struct {
	ID   int64
	Name string
	// TelegramID is the reviewer's Telegram user id (also their private
	// chat id); stored encrypted, looked up by its keyed hash.
	TelegramID int64
	Lang       string
	Admin      bool
	Active     bool
	CreatedAt  time.Time
	// Unreachable is when Telegram first refused to reach them for good
	// (they blocked the bot, their account is gone); zero while they are
	// reachable. Routing passes them over until they write to the bot.
	Unreachable time.Time
}

// Reachable tells whether Telegram is believed to reach the reviewer.
func (r Reviewer) Reachable() bool { return r.Unreachable.IsZero() }

// Outcome is how a reviewer closed a case.
type Outcome string

// Outcomes of a closed case.
const (
	OutcomePolice    Outcome = "police"    // referred to police, no unit named (old cases only)
	OutcomePartner   Outcome = "partner"   // referred to a named partner (a police unit, an NGO, a hotline)
	OutcomeNoAction  Outcome = "no_action" // no action needed
	OutcomeDuplicate Outcome = "duplicate"
	OutcomeFalse     Outcome = "false" // a false report
	// A missing child found: safe, harmed, or otherwise (found dead, say,
	// or in custody); what a board most asks about missing children.
	OutcomeFoundSafe   Outcome = "found_safe"
	OutcomeFoundHarmed Outcome = "found_harmed"
	OutcomeFoundOther  Outcome = "found_other"
)

// Outcomes lists every outcome a stored case may have. OutcomePolice is
// only for cases closed before referrals named a partner (police units are
// partners now): it is no longer offered.
var Outcomes = []Outcome{OutcomePolice, OutcomePartner, OutcomeNoAction, OutcomeDuplicate, OutcomeFalse,
	OutcomeFoundSafe, OutcomeFoundHarmed, OutcomeFoundOther}

// CloseChoices are the outcomes a reviewer is offered to close a case of
// kind k, in order: a missing child may be found; "referred" then asks
// which partner.
func CloseChoices(k Kind) []Outcome {
	if k == KindMissing {
		return []Outcome{OutcomeFoundSafe, OutcomeFoundHarmed, OutcomeFoundOther, OutcomePartner, OutcomeNoAction, OutcomeDuplicate, OutcomeFalse}
	}
	return []Outcome{OutcomePartner, OutcomeNoAction, OutcomeDuplicate, OutcomeFalse}
}

// Found tells whether o says a missing child was found.
func (o Outcome) Found() bool {
	return o == OutcomeFoundSafe || o == OutcomeFoundHarmed || o == OutcomeFoundOther
}

// Job is a scheduled routing step of a case: notify the reviewers of a
// level (0 the primary on call, 1 the secondary, 2 and more everyone) at RunAt.
type Job struct {
	ID        int64
	Reference Reference
	Level     int
	RunAt     time.Time
	Attempts  int
}

// RetentionWarning is a closed case whose retention period ends soon, for
// the reviewer who had it to be told.
type RetentionWarning struct {
	Reference Reference
	// ReviewerID is the case's assignee; 0 when none was recorded.
	ReviewerID int64
	// ClosedAt is when the case was closed; its retention period runs from it.
	ClosedAt time.Time
}

// Notification is one reviewer's copy of a case notification, kept so an
// acknowledgement can edit every copy to "taken by".
type Notification struct {
	ReviewerID int64
	ChatID     int64
	// MessageID is the message's id when it was recorded after sending;
	// OutboxKey names the outbox entry that sends it when it was recorded
	// before (the entry knows the message id once sent). A notification
	// with an OutboxKey is recorded once, however often it is added.
	MessageID int
	OutboxKey string
}

// The kinds of Note.
const (
	NoteInternal     = "note"          // internal, between reviewers
	NoteToReporter   = "to_reporter"   // a reviewer's message to the reporter
	NoteFromReporter = "from_reporter" // the reporter's answer
)

// Note is an internal note or a message exchanged on a case.
type Note struct {
	// Author is "reviewer:<id>" or "reporter".
	Author string
	// Kind is NoteInternal, NoteToReporter or NoteFromReporter.
	Kind string
	Text string
	At   time.Time
	// Key, when set, makes the note written once however often it is added
	// (the update that wrote it, say).
	Key string
}

// Assignment says who acknowledged a case and how it ended.
type Assignment struct {
	ReviewerID     int64
	AcknowledgedAt time.Time
	Outcome        Outcome
	ClosedAt       time.Time
	// PartnerID is the partner the case was referred to (Outcome partner), 0 otherwise.
	PartnerID int64
	// DuplicateOf is the older case this one repeats (Outcome duplicate).
	DuplicateOf Reference
}

// ReportCase is what the board report knows of one case: counts and
// times, never content.
type ReportCase struct {
	Kind        Kind
	Urgency     Urgency
	Status      Status
	Outcome     Outcome
	SubmittedAt time.Time
	// AcknowledgedAt is zero until someone took the case; Assignee is the
	// reviewer who took it (0 for none).
	AcknowledgedAt time.Time
	Assignee       int64
	// Escalations counts the reviewers' "Escalate" presses on the case.
	Escalations int
	// Partners names every partner the case was referred to (police units
	// included), earliest first; none when it was not. The report counts
	// referrals by partner.
	Partners []string
	// Exploitation and Risk are the reviewer's classification, "" unset.
	Exploitation Exploitation
	Risk         Risk
	// Lang is the reporter's language (en, km, th).
	Lang string
	// Place is the reporter's answer to where it happened: the first
	// given of the answers ReportCases was asked for ("" for none), opened
	// from the sealed answers; Location is the point they shared (nil for
	// none). They are read only to name the province the report counts,
	// and go no further.
	Place    string
	Location *Location
	// Province is the places key of the province the case happened in
	// ("KH/Siem Reap"), "" when not known: the board report counts by it.
	// The report command names it from Place and Location, then clears
	// those, so no place text reaches the report.
	Province string
}
