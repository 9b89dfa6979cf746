package review

// Per-case authorisation every reviewer action passes through: who may act
// on a case, and what anyone else is offered instead.

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/tipline/tipline"
)

// Actor is the reviewer who pressed.
type Actor struct {
	ID     int64
	Admin  bool
	Active bool
}

// Case is what authorisation needs to know of a case.
type Case struct {
	Status tipline.Status
	// Taker is the reviewer who has the case (took it, took it over, or
	// closed it); 0 when nobody has.
	Taker int64
	// Version changes whenever the case changes hands or state (Version).
	Version string
}

// CaseOf is the authorisation view of a stored case.
func CaseOf(c tipline.Case) Case {
	return Case{Status: c.Status, Taker: c.Assignment.ReviewerID, Version: Version(c)}
}

// Version is a short digest of who has a case and in which state: status,
// taker, and when it was taken and closed. Buttons carry the version they
// were made for; once the case has moved on (taken, taken over, closed,
// reopened, sent back to routing) an old button no longer acts. What a
// reporter adds does not change it.
func Version(c tipline.Case) string {
	h := fnv.New32a()
	var buf [8]byte
	write := func(n int64) {
		binary.BigEndian.PutUint64(buf[:], uint64(n))
		h.Write(buf[:])
	}
	h.Write([]byte(c.Status))
	write(c.Assignment.ReviewerID)
	write(unixMicro(c.Assignment.AcknowledgedAt))
	write(unixMicro(c.Assignment.ClosedAt))
	return fmt.Sprintf("%04x", h.Sum32()&0xffff)
}

func unixMicro(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// Decision is what happens to a reviewer's action.
type Decision string

// Decisions of Authorize.
const (
	// Allow: the action is carried out.
	Allow Decision = "allow"
	// OfferTake: nobody has the case yet; the reviewer must take it first.
	OfferTake Decision = "offer_take"
	// OfferTakeOver: another reviewer has the case; the reviewer is offered
	// "Take over from NAME" instead.
	OfferTakeOver Decision = "offer_take_over"
	// Stale: the button was made for an earlier state of the case; the
	// reviewer is shown the case as it is now.
	Stale Decision = "stale"
	// ReopenFirst: the case is closed, and the reviewer who has it (or an
	// admin) is told so, with a Reopen button, instead of changing it;
	// old buttons too.
	ReopenFirst Decision = "reopen_first"
	// Refuse: not for this reviewer, or not for a case in this state.
	Refuse Decision = "refuse"
)

// changesClosed tells whether act would change a closed case's work: such
// an action waits until the case is reopened.
func changesClosed(act Action) bool {
	switch act {
	case Escalate, Reply, Note, Close, Outcome, Classify, SetRisk, SameAs, Send:
		return true
	}
	return false
}

// AnyVersion is the version of a button that only shows a case (the queue's
// buttons): such a button is never stale, and allows only Details.
const AnyVersion = ""

// Authorize decides a reviewer's action on a case. Only the reviewer who
// has the case, or an admin, may act on it; a case nobody has may be read,
// taken and escalated by any reviewer on duty; anyone else is offered to
// take it over (audited, and the previous holder is told). A disabled
// reviewer may do nothing. buttonVersion is the case version the button
// was made for (AnyVersion for a read-only button).
func Authorize(a Actor, c Case, act Action, buttonVersion string) Decision {
	if !a.Active || !Known(act) {
		return Refuse
	}
	if act == Discard {
		return Allow // dropping one's own unsent words changes nothing on the case
	}
	mine := c.Taker != 0 && c.Taker == a.ID
	if c.Status == tipline.StatusClosed && changesClosed(act) {
		// Whatever version the button was made for: a closed case is inert
		// until someone presses Reopen.
		if mine || a.Admin {
			return ReopenFirst
		}
		return Refuse
	}
	if buttonVersion == AnyVersion {
		if act != Details {
			return Stale
		}
	} else if buttonVersion != c.Version {
		return Stale
	}
	if c.Status == tipline.StatusClosed {
		switch act {
		case Details, Read, Files, Reopen, Block, BlockFor, Unblock, Refer:
			// Refer: a case closed as referred may go to one more partner
			// (the store refuses any other closed case).
			if mine || a.Admin {
				return Allow
			}
		}
		return Refuse // a closed case is not taken, escalated, answered or closed again
	}
	if act == Reopen {
		return Refuse // not closed
	}
	switch {
	case c.Taker == 0: // nobody has it yet
		switch act {
		case Take, Details, Read, Files, Escalate, TakeOver:
			return Allow
		}
		if a.Admin {
			return Allow
		}
		return OfferTake
	case mine:
		return Allow
	default: // someone else has it
		switch act {
		case TakeOver:
			return Allow
		case Take:
			return OfferTakeOver
		}
		if a.Admin {
			return Allow
		}
		return OfferTakeOver
	}
}
