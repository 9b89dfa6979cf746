package storage

import (
	"time"

	"github.com/tipline/tipline"
)

// CaseFilter chooses cases for an export; a zero field does not filter.
type CaseFilter struct {
	Kind   tipline.Kind
	Status tipline.Status
	// Since keeps cases submitted at or after it.
	Since time.Time
}

// Referral is a case referred to a partner, for an export to it:
// ExportedAt is when the case last went to the partner (zero: never), so
// what was added since is known.
type Referral struct {
	Reference  tipline.Reference
	ReferredAt time.Time
	ExportedAt time.Time
}

// Stats is the state of the tip line at one instant, in counts and ages
// only: what the metrics, `tipline doctor` and health checks read. Ages use
// the database clock.
type Stats struct {
	InboxPending int
	InboxOldest  time.Duration
	// OpenCases counts cases not closed by status, then urgency.
	OpenCases map[tipline.Status]map[tipline.Urgency]int
	// OldestUnacknowledged is the age of the oldest received case nobody
	// has taken, per urgency; absent when there is none.
	OldestUnacknowledged map[tipline.Urgency]time.Duration
	// RoutingJobs counts pending routing jobs by level.
	RoutingJobs map[int]int
}
