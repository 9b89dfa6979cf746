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

// ReportCase is what the board report knows of one case: counts and
// times, never content.
type ReportCase struct {
	Kind        tipline.Kind
	Urgency     tipline.Urgency
	Status      tipline.Status
	Outcome     tipline.Outcome
	SubmittedAt time.Time
	// AcknowledgedAt is zero until someone took the case; Assignee is the
	// reviewer who took it (0 for none).
	AcknowledgedAt time.Time
	Assignee       int64
	// Escalations counts the reviewers' "Escalate" presses on the case.
	Escalations int
	// Partner is the partner a referred case went to (PartnerID 0 and
	// PartnerName "" for none): the report counts referrals by partner.
	PartnerID   int64
	PartnerName string
	// Exploitation and Risk are the reviewer's classification, "" unset.
	Exploitation tipline.Exploitation
	Risk         tipline.Risk
	// Lang is the reporter's language.
	Lang string
	// Partners names every partner the case was referred to (police units
	// included), earliest first; none when it was not.
	Partners []string
	// Place is the reporter's answer to where it happened: the first
	// given of the answers ReportCases was asked for ("" for none), opened
	// from the sealed answers; Location is the point they shared (nil for
	// none). They are read only to name the province the report counts,
	// and go no further.
	Place    string
	Location *tipline.Location
}

// ReferralsByPartner counts the referred cases of a report by partner
// name, for the report's table of referrals.
func ReferralsByPartner(cases []ReportCase) map[string]int {
	out := map[string]int{}
	for _, c := range cases {
		if c.PartnerID != 0 {
			out[c.PartnerName]++
		}
	}
	return out
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
