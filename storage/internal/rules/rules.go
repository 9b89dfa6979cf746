package rules

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// Forgetting a reporter unlinks them from the cases without losing a case:
// what they reported stays for the team, but nothing in the database
// names them or lets the team write to them any more.

// Reviewers join with a one-time invite. Their Telegram id and name are
// sealed; the store finds a reviewer by the keyed pseudonym of the Telegram
// id (keys.Ring.Pseudonym), made with the ring's current key, or with a
// previous key until Rekey recomputes it.

// Routing jobs make sure every submitted case reaches a reviewer on shift.
// Each job is a row: "notify the reviewers of Level at RunAt". SubmitCase
// stores a case's first job (level 0, at SubmittedAt) with the case; the
// worker that runs a job completes it with the next step, until someone
// acknowledges the case. Jobs are rows, so they survive restarts.
//
// Every time — when a job is due and how long a claim lasts — is reckoned
// from the now the caller passes, never from the database clock, so a test
// clock or several processes' clocks govern due-ness and leases alike.

// additionSize is what an addition counts against AdditionLimits.BytesPerDay.
func AdditionSize(a tipline.Addition) int64 {
	n := int64(len(a.Text))
	for _, att := range a.Attachments {
		n += max(att.Size, 0)
	}
	return n
}

// randomAdditionKey is the idempotency key of an addition given without one.
func RandomAdditionKey() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("storage: crypto/rand failed: " + err.Error())
	}
	return "random:" + hex.EncodeToString(b)
}

// maxDuplicateHops bounds how many duplicate links an addition follows.
const MaxDuplicateHops = 8

// ownedBy tells whether a case's reporter is one of pseudonyms; a forgotten
// reporter ("") is nobody's.
func OwnedBy(reporter string, pseudonyms []string) bool {
	if reporter == "" {
		return false
	}
	for _, p := range pseudonyms {
		if p == reporter {
			return true
		}
	}
	return false
}

// forgottenActors maps each actor that names pseudonym to the actor that
// replaces it once the reporter is forgotten: "reporter:<pseudonym>" to
// "reporter:forgotten", "followup:<pseudonym>" to "followup:forgotten".
func ForgottenActors(pseudonyms ...string) map[string]string {
	out := map[string]string{}
	for _, p := range pseudonyms {
		if p == "" {
			continue
		}
		out[ReporterActor(p)] = ReporterActor(storage.ForgottenPseudonym)
		out[FollowUpActor(p)] = FollowUpActor(storage.ForgottenPseudonym)
	}
	return out
}

// nonEmpty returns the pseudonyms that are not empty, so that an empty one
// never matches a forgotten reporter's case.
func NonEmpty(pseudonyms []string) []string {
	out := make([]string, 0, len(pseudonyms))
	for _, p := range pseudonyms {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// errInviteNotFound is the one answer for an invite that is unknown, used
// or expired, so a caller cannot tell them apart.
func ErrInviteNotFound() error {
	return fmt.Errorf("redeem invite: %w", tipline.ErrNotFound)
}

// sortJobs orders jobs oldest first: by RunAt, then by id.
func SortJobs(jobs []tipline.Job) {
	slices.SortFunc(jobs, func(a, b tipline.Job) int {
		if c := a.RunAt.Compare(b.RunAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// reviewerActor is how a reviewer appears in the audit trail.
func ReviewerActor(id int64) string {
	return "reviewer:" + strconv.FormatInt(id, 10)
}

// reporterActor is how a reporter appears in the audit trail.
func ReporterActor(pseudonym string) string {
	return "reporter:" + pseudonym
}

// followUpActor is how someone who opened a case with its follow-up code
// appears in the audit trail.
func FollowUpActor(pseudonym string) string {
	return "followup:" + pseudonym
}

// truncateTime gives a time the precision PostgreSQL keeps (microseconds)
// and drops the monotonic reading, so both stores return the same times.
func TruncateTime(t time.Time) time.Time {
	return t.Round(0).Truncate(time.Microsecond)
}

func Interval(rate float64) int64 { return int64(float64(time.Second/time.Microsecond) / rate) }
