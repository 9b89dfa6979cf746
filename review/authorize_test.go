package review

import (
	"fmt"
	"testing"
	"time"

	"github.com/tipline/tipline"
)

// The reviewers of the table: 1 has the case, 2 is another reviewer, 3 an
// admin, 4 a disabled reviewer (who once had it: disabling must still stop
// them).
var (
	taker    = Actor{ID: 1, Active: true}
	other    = Actor{ID: 2, Active: true}
	admin    = Actor{ID: 3, Admin: true, Active: true}
	disabled = Actor{ID: 1, Active: false}
)

// authorizeRow is what each role gets: the taker, another reviewer, an
// admin, a disabled reviewer.
type authorizeRow struct{ taker, other, admin, disabled Decision }

// authorizeTable is every action on a case in one state.
type authorizeTable struct {
	name string
	c    Case
	want map[Action]authorizeRow
}

// authorizeTables are the rules, as a table: every action × every role, on
// a case someone has, on one nobody has yet, and on a closed one. The Desk
// test runs the same table through the store.
func authorizeTables() []authorizeTable {
	const (
		A  = Allow
		T  = OfferTake
		TO = OfferTakeOver
		R  = Refuse
		C  = ReopenFirst
	)
	taken := Case{Status: tipline.StatusAcknowledged, Taker: 1, Version: "aaaa"}
	open := Case{Status: tipline.StatusReceived, Version: "bbbb"}
	closed := Case{Status: tipline.StatusClosed, Taker: 1, Version: "cccc"}
	return []authorizeTable{
		{"taken by reviewer 1", taken, map[Action]authorizeRow{
			Take:     {A, TO, TO, R},
			Details:  {A, TO, A, R},
			Read:     {A, TO, A, R},
			Files:    {A, TO, A, R},
			Escalate: {A, TO, A, R},
			Reply:    {A, TO, A, R},
			Note:     {A, TO, A, R},
			Close:    {A, TO, A, R},
			Outcome:  {A, TO, A, R},
			Block:    {A, TO, A, R},
			Reopen:   {R, R, R, R},
			TakeOver: {A, A, A, R},
			BlockFor: {A, TO, A, R},
			Unblock:  {A, TO, A, R},
			Classify: {A, TO, A, R},
			SetRisk:  {A, TO, A, R},
			Refer:    {A, TO, A, R},
			SameAs:   {A, TO, A, R},
			Send:     {A, TO, A, R},
			Discard:  {A, A, A, R},
		}},
		{"nobody has it yet", open, map[Action]authorizeRow{
			Take:     {A, A, A, R},
			Details:  {A, A, A, R},
			Read:     {A, A, A, R},
			Files:    {A, A, A, R},
			Escalate: {A, A, A, R},
			Reply:    {T, T, A, R},
			Note:     {T, T, A, R},
			Close:    {T, T, A, R},
			Outcome:  {T, T, A, R},
			Block:    {T, T, A, R},
			Reopen:   {R, R, R, R},
			TakeOver: {A, A, A, R},
			BlockFor: {T, T, A, R},
			Unblock:  {T, T, A, R},
			Classify: {T, T, A, R},
			SetRisk:  {T, T, A, R},
			Refer:    {T, T, A, R},
			SameAs:   {T, T, A, R},
			Send:     {T, T, A, R},
			Discard:  {A, A, A, R},
		}},
		{"closed by reviewer 1", closed, map[Action]authorizeRow{
			// A closed case is inert until reopened: what would change
			// its work says "already closed: reopen first".
			Take:     {R, R, R, R},
			Details:  {A, R, A, R},
			Read:     {A, R, A, R},
			Files:    {A, R, A, R},
			Escalate: {C, R, C, R},
			Reply:    {C, R, C, R},
			Note:     {C, R, C, R},
			Close:    {C, R, C, R},
			Outcome:  {C, R, C, R},
			Block:    {A, R, A, R},
			Reopen:   {A, R, A, R},
			TakeOver: {R, R, R, R},
			BlockFor: {A, R, A, R},
			Unblock:  {A, R, A, R},
			Classify: {C, R, C, R},
			SetRisk:  {C, R, C, R},
			Refer:    {A, R, A, R},
			SameAs:   {C, R, C, R},
			Send:     {C, R, C, R},
			Discard:  {A, A, A, R},
		}},
	}
}

// TestAuthorizeEveryAction is the table: every action × {taker, other
// reviewer, admin, disabled}, on a case someone has, on one nobody has
// yet, and on a closed one.
func TestAuthorizeEveryAction(t *testing.T) {
	tables := authorizeTables()
	for _, tb := range tables {
		if len(tb.want) != len(Actions) {
			t.Fatalf("%s: the table has %d actions, want every one of %d", tb.name, len(tb.want), len(Actions))
		}
		for _, act := range Actions {
			w := tb.want[act]
			for _, who := range []struct {
				name  string
				actor Actor
				want  Decision
			}{{"taker", taker, w.taker}, {"other reviewer", other, w.other}, {"admin", admin, w.admin}, {"disabled", disabled, w.disabled}} {
				t.Run(fmt.Sprintf("%s/%s/%s", tb.name, act, who.name), func(t *testing.T) {
					if got := Authorize(who.actor, tb.c, act, tb.c.Version); got != who.want {
						t.Fatalf("got %s, want %s", got, who.want)
					}
				})
			}
		}
	}
}

// TestAuthorizeOldButtons: a button made for an earlier state of the case
// does not act; a read-only button (the queue's) only reads. Cancel of a
// message typed for the reporter (Discard) always works: it changes
// nothing on the case.
func TestAuthorizeOldButtons(t *testing.T) {
	c := Case{Status: tipline.StatusAcknowledged, Taker: 1, Version: "aaaa"}
	for _, act := range Actions {
		if act == Discard {
			if got := Authorize(taker, c, act, "0000"); got != Allow {
				t.Errorf("%s with an old version: got %s, want %s", act, got, Allow)
			}
			continue
		}
		if got := Authorize(taker, c, act, "0000"); got != Stale {
			t.Errorf("%s with an old version: got %s, want %s", act, got, Stale)
		}
		want := Stale
		if act == Details {
			want = Allow
		}
		if got := Authorize(taker, c, act, AnyVersion); got != want {
			t.Errorf("%s with a read-only button: got %s, want %s", act, got, want)
		}
	}
	if got := Authorize(disabled, c, Details, "0000"); got != Refuse {
		t.Errorf("a disabled reviewer with an old button: got %s, want %s", got, Refuse)
	}
	if got := Authorize(taker, c, Action("drop"), c.Version); got != Refuse {
		t.Errorf("an unknown action: got %s, want %s", got, Refuse)
	}
}

// TestVersionMovesWithTheCase: the version changes when the case changes
// hands or state, not when the reporter adds to it.
func TestVersionMovesWithTheCase(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	base := tipline.Case{Status: tipline.StatusReceived}
	taken := base
	taken.Status, taken.Assignment = tipline.StatusAcknowledged, tipline.Assignment{ReviewerID: 1, AcknowledgedAt: t0}
	over := taken
	over.Assignment = tipline.Assignment{ReviewerID: 2, AcknowledgedAt: t0.Add(time.Minute)}
	closed := taken
	closed.Status, closed.Assignment.Outcome, closed.Assignment.ClosedAt = tipline.StatusClosed, tipline.OutcomePolice, t0.Add(time.Hour)
	reopened := taken
	reopened.Assignment.AcknowledgedAt = t0.Add(2 * time.Hour)
	seen := map[string]string{}
	for name, c := range map[string]tipline.Case{"received": base, "taken": taken, "taken over": over, "closed": closed, "reopened by the same reviewer": reopened} {
		v := Version(c)
		if prev, ok := seen[v]; ok {
			t.Errorf("%s and %s have the same version %s", name, prev, v)
		}
		seen[v] = name
	}
	added := taken
	added.Additions = []tipline.Addition{{Text: "more", At: t0.Add(3 * time.Hour)}}
	added.UpdatedAt = t0.Add(3 * time.Hour)
	if Version(added) != Version(taken) {
		t.Errorf("an addition changed the version")
	}
}
