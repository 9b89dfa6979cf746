package storagetest

import (
	"errors"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// Contract tests of who has a case: taking over, reassigning, and a
// disabled reviewer's open cases going back to routing.

func testReassign(t *testing.T, s Store) {
	ctx := t.Context()
	a := mustReviewer(t, s, 5550001, "Sokha")
	b := mustReviewer(t, s, 5550002, "Dara")
	c := sampleCase("draft-1", "TL-AAAA-CCCC")
	mustSubmit(t, s, c)
	actorA, actorB := "reviewer:"+strconv.FormatInt(a.ID, 10), "reviewer:"+strconv.FormatInt(b.ID, 10)

	// Nobody has it: reassigning takes it, and its routing stops.
	prev, err := s.Reassign(ctx, c.Reference, b.ID, tipline.ActorOperator, t0)
	if err != nil || prev != 0 {
		t.Fatalf("Reassign of a new case = %d, %v; want 0, nil", prev, err)
	}
	got := mustCase(t, s, c.Reference)
	if got.Status != tipline.StatusAcknowledged || got.Assignment.ReviewerID != b.ID || !got.Assignment.AcknowledgedAt.Equal(t0) {
		t.Fatalf("after Reassign: %s, %+v; want acknowledged by %d at t0", got.Status, got.Assignment, b.ID)
	}
	if jobs := mustPendingJobs(t, s, c.Reference); len(jobs) != 0 {
		t.Fatalf("jobs after Reassign %+v, want none", jobs)
	}

	// A takes it over from B.
	prev, err = s.Reassign(ctx, c.Reference, a.ID, actorA, t0.Add(time.Minute))
	if err != nil || prev != b.ID {
		t.Fatalf("take-over = %d, %v; want %d, nil", prev, err, b.ID)
	}
	if got := mustCase(t, s, c.Reference); got.Assignment.ReviewerID != a.ID {
		t.Fatalf("after take-over the case is %d's, want %d's", got.Assignment.ReviewerID, a.ID)
	}
	// Again: nothing changes.
	if prev, err := s.Reassign(ctx, c.Reference, a.ID, actorA, t0.Add(2*time.Minute)); err != nil || prev != a.ID {
		t.Fatalf("Reassign to the holder = %d, %v; want %d, nil", prev, err, a.ID)
	}
	var custody []string
	for _, e := range mustAudit(t, s, c.Reference) {
		custody = append(custody, e.Actor+" "+e.Action)
	}
	want := []string{
		"reporter:" + c.Reporter + " " + storage.ActionSubmitted,
		tipline.ActorOperator + " " + storage.ActionReassignedPrefix + strconv.FormatInt(b.ID, 10),
		actorA + " " + storage.ActionReassignedPrefix + strconv.FormatInt(a.ID, 10),
	}
	if !reflect.DeepEqual(custody, want) {
		t.Fatalf("audit %q, want %q", custody, want)
	}

	if err := s.DisableReviewer(ctx, b.ID, t0); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"to a disabled reviewer": second(s.Reassign(ctx, c.Reference, b.ID, actorB, t0)),
		"without an actor":       second(s.Reassign(ctx, c.Reference, a.ID, "", t0)),
	} {
		if !errors.Is(err, tipline.ErrInvalid) {
			t.Errorf("Reassign %s: %v, want ErrInvalid", name, err)
		}
	}
	for name, err := range map[string]error{
		"of an unknown case":     second(s.Reassign(ctx, "TL-XXXX-XXXX", a.ID, actorA, t0)),
		"to an unknown reviewer": second(s.Reassign(ctx, c.Reference, b.ID+100, actorA, t0)),
	} {
		if !errors.Is(err, tipline.ErrNotFound) {
			t.Errorf("Reassign %s: %v, want ErrNotFound", name, err)
		}
	}
	mustClose(t, s, c.Reference, a.ID, t0.Add(time.Hour))
	if _, err := s.Reassign(ctx, c.Reference, a.ID, actorA, t0.Add(2*time.Hour)); !errors.Is(err, tipline.ErrInvalid) {
		t.Errorf("Reassign of a closed case: %v, want ErrInvalid", err)
	}
}

func second[T any](_ T, err error) error { return err }

func testDisableReturnsCases(t *testing.T, s Store) {
	ctx := t.Context()
	a := mustReviewer(t, s, 5550001, "Sokha")
	b := mustReviewer(t, s, 5550002, "Dara")
	open := sampleCase("draft-1", "TL-AAAA-CCCC")
	closed := sampleCase("draft-2", "TL-AAAA-DDDD")
	theirs := sampleCase("draft-3", "TL-AAAA-EEEE")
	for _, c := range []tipline.NewCase{open, closed, theirs} {
		mustSubmit(t, s, c)
	}
	for _, x := range []struct {
		ref tipline.Reference
		id  int64
	}{{open.Reference, a.ID}, {closed.Reference, a.ID}, {theirs.Reference, b.ID}} {
		if _, _, err := s.Acknowledge(ctx, x.ref, x.id, t0); err != nil {
			t.Fatal(err)
		}
	}
	mustClose(t, s, closed.Reference, a.ID, t0.Add(time.Minute))

	off := t0.Add(time.Hour)
	if err := s.DisableReviewer(ctx, a.ID, off); err != nil {
		t.Fatalf("DisableReviewer: %v", err)
	}
	got := mustCase(t, s, open.Reference)
	if got.Status != tipline.StatusReceived || got.Assignment.ReviewerID != 0 {
		t.Fatalf("a disabled reviewer's open case: %s, %+v; want received, nobody's", got.Status, got.Assignment)
	}
	if jobs := mustPendingJobs(t, s, open.Reference); len(jobs) != 1 || jobs[0].Level != 0 || !jobs[0].RunAt.Equal(off) {
		t.Fatalf("jobs of the returned case %+v, want one of level 0 due when the reviewer was disabled", jobs)
	}
	events := mustAudit(t, s, open.Reference)
	if last := events[len(events)-1]; last.Actor != tipline.ActorSystem || last.Action != storage.ActionReturnedToRouting {
		t.Fatalf("last audit event %+v, want %s %s", last, tipline.ActorSystem, storage.ActionReturnedToRouting)
	}
	if got := mustCase(t, s, closed.Reference); got.Status != tipline.StatusClosed || got.Assignment.ReviewerID != a.ID {
		t.Fatalf("a disabled reviewer's closed case changed: %s, %+v", got.Status, got.Assignment)
	}
	if got := mustCase(t, s, theirs.Reference); got.Status != tipline.StatusAcknowledged || got.Assignment.ReviewerID != b.ID {
		t.Fatalf("another reviewer's case changed: %s, %+v", got.Status, got.Assignment)
	}
	// Disabling again sends nothing more back.
	if err := s.DisableReviewer(ctx, a.ID, off.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if jobs := mustPendingJobs(t, s, open.Reference); len(jobs) != 1 {
		t.Fatalf("jobs after disabling twice %+v, want one", jobs)
	}
}
