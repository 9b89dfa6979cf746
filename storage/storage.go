// Package storage is the vocabulary Tipline's stores share with the
// packages that use them: the inbox's and outbox's items, the errors a
// caller can tell apart (ErrUnavailable, ErrNotHolder, ...), the actors and
// actions of the audit trail, and the queries, limits and results the bot,
// review and cmd pass to a store.
//
// Each technology has its own package beneath: postgres, the durable store
// (inbox, cases, attachments, audit trail, reviewers, routing, outbox);
// redis, the conversation sessions, markers, rate limiter and throttle
// shared by all bot processes; and memory, an in-memory twin of both that
// serves the sandbox and tests. The twins hold the same methods in files
// of the same names, and the contract suites in storagetest hold all of
// them to one standard.
//
// Comments cite the guarantees in docs/guarantees.md as G1–G13; that page
// names the tests that hold each one.
package storage

import (
	"errors"
	"time"

	"github.com/tipline/tipline"
)

// ErrUnavailable means the database or Redis could not be reached. Errors
// from a store whose server is down satisfy errors.Is(err, ErrUnavailable),
// so callers can retry later instead of treating the input as bad.
var ErrUnavailable = errors.New("storage unavailable")

// ErrUnreadable means a stored value is there but cannot be read: it was
// overwritten by something else (a Redis key of another type) or sealed
// under a key we no longer have. The caller treats it as lost.
var ErrUnreadable = errors.New("stored value unreadable")

// ErrReferenceTaken means a case with the same reference but another draft
// already exists; the caller should draw a new reference and submit again.
var ErrReferenceTaken = errors.New("case reference already taken")

// ErrFollowUpTaken means another case already has the same follow-up
// hash; the caller should draw a new follow-up code and submit again.
var ErrFollowUpTaken = errors.New("follow-up code already taken")

// ErrAdditionLimit means a case has had as many additions, or as many
// bytes of them, as it may have in a day: the reporter is told kindly to
// come back later, and nothing is stored.
var ErrAdditionLimit = errors.New("over the day's limit of additions to the case")

// MaxSessionBytes bounds one chat's session. The flows keep what a
// reporter types within a few tens of KiB (flows.Limits); a session larger
// than this is a bug or an attack, and is never written: a session is read,
// opened and sealed again on every message, and lives for days in Redis.
const MaxSessionBytes = 256 << 10

// ErrSessionTooLarge means a session over MaxSessionBytes was not saved;
// the one saved before stays.
var ErrSessionTooLarge = errors.New("session over the size limit")

// Mark is a marker written with a session (Sessions.SaveMarked): Name
// set to Value ("1" when empty) for TTL, or removed when TTL is 0.
type Mark struct {
	Name  string
	Value string
	TTL   time.Duration
}

// SessionSave is one chat's session with its markers, as SaveMarked
// takes them: what a step writes.
type SessionSave struct {
	ChatKey string
	Data    []byte
	Marks   []Mark
}

// InboxItem is one Telegram update waiting in the inbox.
type InboxItem struct {
	UpdateID int64
	// ChatKey is the keyed hash of the chat (keys.Ring.ChatKey); updates with
	// the same ChatKey are processed one at a time, in UpdateID order.
	ChatKey string
	// Payload is the raw update JSON; it is sealed at rest.
	Payload    []byte
	ReceivedAt time.Time
	// Attempts is how many times the update has been claimed, this claim
	// included (set by InboxClaimBatch), so the caller can give up on an update
	// that keeps failing.
	Attempts int
	// ChatSeen, set by the claims, says an earlier update of its chat was
	// still in the inbox (processed updates are kept a while): with no
	// session, the chat's conversation was lost rather than never begun.
	ChatSeen bool
	// Sealed says the payload could not be opened (its key was retired):
	// the update can only be set aside.
	Sealed bool
	// Answer, when set, is queued in the outbox with the update (a button
	// press's answer, so its spinner stops before the update is processed).
	Answer *OutboxEntry
	// Group names the album the update is a part of (keys.Ring.GroupKey of
	// its media_group_id); empty when it is none. Hold is how long after
	// it is stored the update waits before it may be claimed: an album's
	// part waits for the rest, by the database clock, so the wait holds
	// across processes and a crash.
	Group string
	Hold  time.Duration
	// Sender, given to InboxAddClaim, is who sent the update (in a private
	// chat): an update it claims is screened in the same statement, with
	// Screened set as ScreenSenders would give it, so processing needs no
	// read of its own to tell a reviewer or a blocked reporter. Neither is
	// stored.
	Sender   *Sender
	Screened *Screening
	// Fresh, set by the bot, says the update is processed before it is
	// stored (InboxReady said it could be): its completion stores it done
	// (Completion.Fresh). The store never sets it.
	Fresh bool
}

// PendingAttachment is an attachment whose bytes have not been fetched from
// Telegram yet.
type PendingAttachment struct {
	Reference    tipline.Reference
	FileID       string
	FileUniqueID string
	Kind         string
	// Attempts is how many downloads of it failed before
	// (AttachmentFetchFailed).
	Attempts int
}

// Actions the store writes to the audit trail (the actors are tipline's:
// tipline.ReporterActor, tipline.ActorSystem). Trails written by earlier
// versions may also hold "status_<status>", which nothing reads.
const (
	ActionSubmitted         = "submitted"
	ActionAttachmentStored  = "attachment_stored"
	ActionInformationAdded  = "information_added"
	ActionReporterForgotten = "reporter_forgotten"
)

// Actions of reviewers working a case, recorded with the reviewer as actor
// (tipline.ReviewerActor). Closing is recorded as
// ActionClosedPrefix followed by the outcome ("closed_police").
const (
	ActionAcknowledged = "acknowledged"
	ActionEscalated    = "escalated"
	ActionNoteAdded    = "note_added"
	ActionClosedPrefix = "closed_"
	ActionReopened     = "reopened"
	// ActionReporterBlocked and ActionReporterUnblocked record a reviewer
	// blocking or unblocking the reporter of a case. A block is now always
	// recorded with its reason (ActionReporterBlockedPrefix); the bare
	// action stays readable in trails written before reasons were kept.
	ActionReporterBlocked   = "reporter_blocked"
	ActionReporterUnblocked = "reporter_unblocked"
)

// QuestionAddition is the Question of an attachment given with an addition.
const QuestionAddition = "addition"

// AloneInChat tells, for each of items, whether it is the only one of its
// chat among them (InboxReady's rule).
func AloneInChat(items []InboxItem) []bool {
	n := make(map[string]int, len(items))
	for _, it := range items {
		n[it.ChatKey]++
	}
	out := make([]bool, len(items))
	for i, it := range items {
		out[i] = n[it.ChatKey] == 1
	}
	return out
}
