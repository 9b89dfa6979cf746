package storage

import (
	"errors"
	"time"

	"github.com/tipline/tipline"
)

// ErrNotHolder means a claim is no longer the caller's: the work was taken
// over by another process (this one was silent too long) or finished.
var ErrNotHolder = errors.New("claim is no longer held")

// DefaultTakeover is how long a process may be silent before the work it
// holds is taken over by the others.
const DefaultTakeover = 10 * time.Second

// OutboxEntry is one Bot API call the bot means to make.
type OutboxEntry struct {
	ID int64
	// Key makes adding the same entry twice add it once.
	Key string
	// ChatKey orders entries: those of one chat go out one at a time, in
	// ID order. A callback answer has a chat key of its own.
	ChatKey string
	// ChatID is where the entry goes; sealed at rest.
	ChatID int64
	Lane   tipline.Lane
	// Method and Payload are for the sender: storage neither reads nor
	// checks them. The payload is sealed at rest and dropped once sent.
	Method  string
	Payload []byte
	// RetryUnknown says the entry is sent again when a try's outcome is
	// unknown (the request went out, no answer came back): a double is
	// better than nothing. Otherwise such an entry is not sent again.
	RetryUnknown bool
	// EditOf is the key of an earlier entry whose message this one edits;
	// EditOfMessageID is that message's id, filled in by OutboxClaimLanes (0
	// while it is not sent, or when it never was).
	EditOf          string
	EditOfMessageID int
	// Attempts counts the tries that failed (Telegram answered 5xx) or
	// whose outcome was unknown; the bot gives up after a bounded number.
	Attempts  int
	CreatedAt time.Time
}

// Sent is one entry that went out, for OutboxSentMany: its id and the id
// of the message it made (0 for calls that make none).
type Sent struct {
	ID        int64
	MessageID int
}

// Completion is one update to mark done with the entries its processing
// queued, for InboxCompleteMany.
type Completion struct {
	UpdateID int64
	Entries  []OutboxEntry
	// Fresh, when set, says the update is not in the inbox: it was
	// processed as it came in (InboxReady said it could be), and the
	// completion stores it done, in its chat, with its entries, all in
	// one commit. It fails (ErrNotHolder) when the inbox holds the update
	// already or an update of its chat waits unprocessed.
	Fresh *FreshUpdate
}

// FreshUpdate is what the inbox keeps of an update stored done: its chat
// and when it came. Its payload is never stored.
type FreshUpdate struct {
	ChatKey    string
	ReceivedAt time.Time
}

// Completed is what InboxCompleteHand did with a group of completions.
type Completed struct {
	// Errs says, for each completion in order, why it was not completed
	// (ErrNotHolder, a bad entry); nil where it was.
	Errs []error
	// Handed are the entries it queued and claimed for the caller.
	Handed []OutboxEntry
	// Behind: the chat of a completed update has a later update not yet
	// processed, which a claim may give now. Without it, nothing the
	// completions made ready waits for a claim.
	Behind bool
}

// DeadUpdate is an update set aside after failing again and again.
type DeadUpdate struct {
	UpdateID   int64
	Attempts   int
	Reason     string
	ReceivedAt time.Time
	DeadAt     time.Time
}

// Sender is who sent an update, as the store looks them up before the
// update is processed: their Telegram id and their reporter pseudonyms
// (one per key of the ring).
type Sender struct {
	TelegramID int64
	Pseudonyms []string
}

// Screening is what the store knows of a sender before their update is
// processed: whether they are a reviewer (active or not) and whether
// they are blocked as a reporter.
type Screening struct {
	Reviewer bool
	Blocked  bool
}
