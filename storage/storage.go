// Package storage keeps Tipline's state: the inbox of Telegram updates,
// cases with their attachments, additions and audit trail, and the
// reviewers' side — invites, reviewers, the on-call rota, routing jobs,
// notification copies and notes (PostgreSQL); and conversation sessions,
// session markers and the rate limiter shared by all bot processes
// (Redis). An in-memory implementation of the same methods serves the
// sandbox and is held to the same contract tests (package storagetest).
//
// Everything a reporter says, their chat id and Telegram's file ids are
// sealed with the key ring before they reach the database, as are
// reviewers' Telegram ids and names, notes and the rota, each with
// additional data naming its row and column, so a ciphertext copied to
// another row does not open. Follow-up codes never reach it: only the hash
// the bot makes of them. A reporter who asks to be forgotten is unlinked
// from their cases (Forget), leaving nothing that names them. Error
// messages carry references and pseudonyms, never content or Telegram ids.
//
// Nothing is kept longer than needed: closed cases are deleted with
// everything attached to them once their retention period has passed
// (DeleteClosedCases), processed inbox rows and old audit events are purged
// (PurgeInbox, PurgeAudit). A reporter who abuses the tip line can be
// blocked by their pseudonym (BlockReporter). When the root key rotates,
// Rekey re-seals every sealed value under the new key and recomputes the
// keyed lookups that can be recomputed (see Rekey for what cannot).
//
// Reviewers' case work beyond taking and closing lives beside it: a
// classification (Classify), referral to a named partner (Refer, partners
// kept with AddPartner), duplicates (LinkDuplicate: what is added to the
// newer case goes to the older, AddToCaseTracked), look-ups for /find
// (FindCases) and the story of a case in time order (Timeline). A closed
// case is inert: closing it again, noting on it or writing to its reporter
// gives tipline.ErrClosed, while what its reporter adds is still kept and
// flagged.
//
// Comments cite the guarantees in docs/guarantees.md as G1–G13; that page
// names the tests that hold each one.
package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/redis/go-redis/v9"

	"github.com/tipline/tipline"
)

// ErrUnavailable means the database or Redis could not be reached. Errors
// from a store whose server is down satisfy errors.Is(err, ErrUnavailable),
// so callers can retry later instead of treating the input as bad.
var ErrUnavailable = errors.New("storage unavailable")

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

// ErrInvalid means a call was given a value the store cannot accept, such
// as a case without a draft id.
// It is the domain's error, so packages above storage can tell it.
var ErrInvalid = tipline.ErrInvalid

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
	// included (set by InboxClaim), so the caller can give up on an update
	// that keeps failing.
	Attempts int
	// Sealed says the payload could not be opened (its key was retired):
	// the update can only be set aside.
	Sealed bool
	// Answer, when set, is queued in the outbox with the update (a button
	// press's answer, so its spinner stops before the update is processed).
	Answer *OutboxEntry
}

// RetentionWarning is a closed case whose retention period ends soon (the
// domain's type, so review can use it).
type RetentionWarning = tipline.RetentionWarning

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

// Actors and actions the store writes to the audit trail. A reporter
// appears as "reporter:" followed by their pseudonym, someone who used a
// follow-up code as "followup:" followed by theirs. A status change is
// recorded as ActionStatusPrefix followed by the new status
// ("status_acknowledged").
const (
	ActorSystem             = "system"
	ActionSubmitted         = "submitted"
	ActionAttachmentStored  = "attachment_stored"
	ActionInformationAdded  = "information_added"
	ActionReporterForgotten = "reporter_forgotten"
	ActionStatusPrefix      = "status_"
)

// Actions of reviewers working a case, recorded with the reviewer as actor
// ("reviewer:" followed by their id). Closing is recorded as
// ActionClosedPrefix followed by the outcome ("closed_police").
const (
	ActionAcknowledged = "acknowledged"
	ActionEscalated    = "escalated"
	ActionNoteAdded    = "note_added"
	ActionClosedPrefix = "closed_"
	ActionReopened     = "reopened"
	// ActionReporterBlocked and ActionReporterUnblocked record a reviewer
	// blocking or unblocking the reporter of a case.
	ActionReporterBlocked   = "reporter_blocked"
	ActionReporterUnblocked = "reporter_unblocked"
)

// Kinds of tipline.Note (the domain's names, kept for storage's callers).
const (
	NoteKindNote         = tipline.NoteInternal
	NoteKindToReporter   = tipline.NoteToReporter
	NoteKindFromReporter = tipline.NoteFromReporter
)

// ForgottenPseudonym replaces a forgotten reporter's pseudonym in the
// actors of audit events and additions ("reporter:forgotten").
const ForgottenPseudonym = "forgotten"

// QuestionAddition is the Question of an attachment given with an addition.
const QuestionAddition = "addition"

const (
	// schemaVersionTable records which migrations have run.
	schemaVersionTable = "tipline_schema_version"
	// defaultConnectTimeout applies when the database URL sets none.
	defaultConnectTimeout = 10 * time.Second
)

// reviewerActor is how a reviewer appears in the audit trail.
func reviewerActor(id int64) string {
	return "reviewer:" + strconv.FormatInt(id, 10)
}

// reporterActor is how a reporter appears in the audit trail.
func reporterActor(pseudonym string) string {
	return "reporter:" + pseudonym
}

// followUpActor is how someone who opened a case with its follow-up code
// appears in the audit trail.
func followUpActor(pseudonym string) string {
	return "followup:" + pseudonym
}

// The additional data of each sealed value names its table, row and column.

func inboxPayloadAAD(updateID int64) string {
	return "inbox/" + strconv.FormatInt(updateID, 10) + "/payload"
}

func caseAAD(draftID, column string) string {
	return "cases/" + draftID + "/" + column
}

func attachmentAAD(draftID string, position int, column string) string {
	return "attachments/" + draftID + "/" + strconv.Itoa(position) + "/" + column
}

// additionKey is how an addition's idempotency key is stored: hashed, so
// that a key of any length and any bytes fits.
func additionKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// additionAAD names an addition by its case's draft and its stored
// idempotency key, which are unique together.
func additionAAD(draftID string, storedKey []byte, column string) string {
	return "additions/" + draftID + "/" + hex.EncodeToString(storedKey) + "/" + column
}

// inviteAAD names an invite by its code hash, its primary key.
func inviteAAD(codeHash []byte, column string) string {
	return "invites/" + hex.EncodeToString(codeHash) + "/" + column
}

func reviewerAAD(id int64, column string) string {
	return "reviewers/" + strconv.FormatInt(id, 10) + "/" + column
}

func notificationAAD(id int64, column string) string {
	return "notifications/" + strconv.FormatInt(id, 10) + "/" + column
}

func noteAAD(id int64, column string) string {
	return "notes/" + strconv.FormatInt(id, 10) + "/" + column
}

// rotaAAD names the one row of the rota table.
const rotaAAD = "rota/doc"

// unavailableError marks an error caused by a server that cannot be reached.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string        { return "storage unavailable: " + e.err.Error() }
func (e *unavailableError) Unwrap() error        { return e.err }
func (e *unavailableError) Is(target error) bool { return target == ErrUnavailable }

// dbErr marks err as ErrUnavailable when it comes from a PostgreSQL server
// that is down, unreachable or refusing connections.
func dbErr(err error) error {
	if err == nil || !pgUnavailable(err) {
		return err
	}
	return &unavailableError{err: err}
}

func pgUnavailable(err error) bool {
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) || netUnavailable(err) || errors.Is(err, pgconn.ErrConnClosed) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case len(pgErr.Code) == 5 && pgErr.Code[:2] == "08": // connection exception
			return true
		case pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03": // shutdown, crash, starting up
			return true
		case pgErr.Code == "53300": // too many connections
			return true
		}
	}
	return false
}

// redisErr marks err as ErrUnavailable when it comes from a Redis server
// that is down, unreachable or not ready.
func redisErr(err error) error {
	if err == nil {
		return nil
	}
	if netUnavailable(err) || errors.Is(err, redis.ErrClosed) || errors.Is(err, redis.ErrPoolTimeout) ||
		redis.IsLoadingError(err) || redis.IsMasterDownError(err) || redis.IsMaxClientsError(err) ||
		redis.IsTryAgainError(err) || redis.IsClusterDownError(err) {
		return &unavailableError{err: err}
	}
	return err
}

func netUnavailable(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// truncateTime gives a time the precision PostgreSQL keeps (microseconds)
// and drops the monotonic reading, so both stores return the same times.
func truncateTime(t time.Time) time.Time {
	return t.Round(0).Truncate(time.Microsecond)
}
