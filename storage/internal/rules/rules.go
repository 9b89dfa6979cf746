// Package rules holds what the twins of package storage both follow: the
// checks that refuse a value before it is stored, the actors that replace a
// forgotten reporter's, how a look-up matches and orders cases, how a
// timeline is told, and the marking of errors from a server that cannot be
// reached.
// It touches no database, so postgres, redis and memory cannot disagree on
// them.
package rules

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/tipline/tipline"
)

// AdditionSize is what an addition counts against AdditionLimits.BytesPerDay.
func AdditionSize(a tipline.Addition) int64 {
	n := int64(len(a.Text))
	for _, att := range a.Attachments {
		n += max(att.Size, 0) + int64(len(att.Caption))
	}
	return n
}

// RandomAdditionKey is the idempotency key of an addition given without one.
func RandomAdditionKey() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("storage: crypto/rand failed: " + err.Error())
	}
	return "random:" + hex.EncodeToString(b)
}

// MaxDuplicateHops bounds how many duplicate links an addition follows.
const MaxDuplicateHops = 8

// OwnedBy tells whether a case's reporter is one of pseudonyms; a forgotten
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

// ForgottenActors maps each actor that names pseudonym to the actor that
// replaces it once the reporter is forgotten: "reporter:<pseudonym>" to
// "reporter:forgotten", "followup:<pseudonym>" to "followup:forgotten".
func ForgottenActors(pseudonyms ...string) map[string]string {
	out := map[string]string{}
	for _, p := range pseudonyms {
		if p == "" {
			continue
		}
		out[tipline.ReporterActor(p)] = tipline.ReporterActor(tipline.ForgottenPseudonym)
		out[tipline.FollowUpActor(p)] = tipline.FollowUpActor(tipline.ForgottenPseudonym)
	}
	return out
}

// NonEmpty returns the pseudonyms that are not empty, so that an empty one
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

// ErrInviteNotFound is the one answer for an invite that is unknown, used
// or expired, so a caller cannot tell them apart.
func ErrInviteNotFound() error {
	return fmt.Errorf("redeem invite: %w", tipline.ErrNotFound)
}

// SortJobs orders jobs oldest first: by RunAt, then by id.
func SortJobs(jobs []tipline.Job) {
	slices.SortFunc(jobs, func(a, b tipline.Job) int {
		if c := a.RunAt.Compare(b.RunAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// TruncateTime gives a time the precision PostgreSQL keeps (microseconds)
// and drops the monotonic reading, so both stores return the same times.
func TruncateTime(t time.Time) time.Time {
	return t.Round(0).Truncate(time.Microsecond)
}

// Interval is the time between two tokens of a bucket that gives rate
// tokens a second, in microseconds.
func Interval(rate float64) int64 { return int64(float64(time.Second/time.Microsecond) / rate) }
