package tipline

import "testing"

// TestActors: each actor reads back as the role and who it was made from,
// and only a reviewer's gives a reviewer id.
func TestActors(t *testing.T) {
	for _, tc := range []struct {
		actor, role, who string
		reviewer         int64
		isReviewer       bool
	}{
		{ReviewerActor(7), RoleReviewer, "7", 7, true},
		{ReporterActor("p1"), RoleReporter, "p1", 0, false},
		{FollowUpActor("p1"), RoleFollowUp, "p1", 0, false},
		{ActorSystem, "system", "", 0, false},
		{ActorOperator, "operator", "", 0, false},
		{"reviewer:x", RoleReviewer, "x", 0, false},
	} {
		role, who := ParseActor(tc.actor)
		if role != tc.role || who != tc.who {
			t.Errorf("ParseActor(%q) = %q, %q; want %q, %q", tc.actor, role, who, tc.role, tc.who)
		}
		if id, ok := ReviewerOf(tc.actor); id != tc.reviewer || ok != tc.isReviewer {
			t.Errorf("ReviewerOf(%q) = %d, %v; want %d, %v", tc.actor, id, ok, tc.reviewer, tc.isReviewer)
		}
	}
	if got := ReviewerActor(12); got != "reviewer:12" {
		t.Errorf("ReviewerActor(12) = %q: the stored audit trail spells it reviewer:12", got)
	}
}
