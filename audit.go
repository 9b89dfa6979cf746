package tipline

import (
	"strconv"
	"strings"
)

// Who did something, as the audit trail and additions record it. Each actor
// is a role, then a colon and who ("reviewer:7", "reporter:<pseudonym>"),
// or a bare role (ActorSystem, ActorOperator).
const (
	// ActorSystem is the program itself: routing, retention, the inbox.
	ActorSystem = "system"
	// ActorOperator is whoever ran a tipline command on the server.
	ActorOperator = "operator"
	// ForgottenPseudonym replaces a forgotten reporter's pseudonym in actors
	// ("reporter:forgotten").
	ForgottenPseudonym = "forgotten"
)

// The roles an actor names.
const (
	RoleReviewer = "reviewer"
	RoleReporter = "reporter"
	// RoleFollowUp is someone who opened a case with its follow-up code,
	// perhaps from another account than the reporter's.
	RoleFollowUp = "followup"
)

// ReviewerActor is how a reviewer appears in the audit trail.
func ReviewerActor(id int64) string {
	return RoleReviewer + ":" + strconv.FormatInt(id, 10)
}

// ReporterActor is how a reporter appears in the audit trail.
func ReporterActor(pseudonym string) string {
	return RoleReporter + ":" + pseudonym
}

// FollowUpActor is how someone who opened a case with its follow-up code
// appears in the audit trail.
func FollowUpActor(pseudonym string) string {
	return RoleFollowUp + ":" + pseudonym
}

// ParseActor splits an actor into its role and who: ("reviewer", "7") for
// "reviewer:7", ("system", "") for "system".
func ParseActor(actor string) (role, who string) {
	role, who, _ = strings.Cut(actor, ":")
	return role, who
}

// ReviewerOf is the id of the reviewer an actor names, false when it names
// no reviewer.
func ReviewerOf(actor string) (int64, bool) {
	role, who := ParseActor(actor)
	if role != RoleReviewer {
		return 0, false
	}
	id, err := strconv.ParseInt(who, 10, 64)
	return id, err == nil
}
