package storagetest

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// testUnreachable: a reviewer Telegram refuses to reach is marked once;
// the received cases sent to them have their next level brought forward
// and audited, the admins' notices are queued with the first mark only,
// and writing again clears the mark (G17).
func testUnreachable(t *testing.T, s Store) {
	ctx := t.Context()
	a := mustReviewer(t, s, 5550001, "Sokha")
	b := mustReviewer(t, s, 5550002, "Dara")
	waiting := receivedAt("draft-1", "TL-AAAA-CCCC", t0)
	other := receivedAt("draft-2", "TL-AAAA-DDDD", t0)
	taken := receivedAt("draft-3", "TL-AAAA-EEEE", t0)
	for _, c := range []tipline.NewCase{waiting, other, taken} {
		mustSubmit(t, s, c)
		if err := s.ScheduleJob(ctx, tipline.Job{Reference: c.Reference, Level: 1, RunAt: t0.Add(5 * time.Minute)}); err != nil {
			t.Fatalf("ScheduleJob: %v", err)
		}
	}
	notify := func(ref tipline.Reference, rv tipline.Reviewer) {
		t.Helper()
		n := tipline.Notification{ReviewerID: rv.ID, ChatID: rv.TelegramID, OutboxKey: fmt.Sprint("n:", ref, rv.ID)}
		if err := s.AddNotification(ctx, ref, n); err != nil {
			t.Fatalf("AddNotification: %v", err)
		}
	}
	notify(waiting.Reference, a)
	notify(other.Reference, b)
	notify(taken.Reference, a)
	if _, _, err := s.Acknowledge(ctx, taken.Reference, b.ID, t0); err != nil {
		t.Fatalf("Acknowledge: %v", err)
	}

	at := t0.Add(time.Minute)
	marked, moved, err := s.MarkUnreachable(ctx, a.ID, at, []storage.OutboxEntry{entry("told-1", "admin", tipline.LaneUrgent)})
	if err != nil || !marked || !reflect.DeepEqual(moved, []tipline.Reference{waiting.Reference}) {
		t.Fatalf("MarkUnreachable = %v, %v, %v; want marked, %s moved on", marked, moved, err, waiting.Reference)
	}
	if got := levels(mustPendingJobs(t, s, waiting.Reference)); !reflect.DeepEqual(got, []string{"0@0s", "1@1m0s"}) {
		t.Fatalf("jobs of the case sent to the unreachable reviewer = %v, want level 1 brought to now", got)
	}
	if got := levels(mustPendingJobs(t, s, other.Reference)); !reflect.DeepEqual(got, []string{"0@0s", "1@5m0s"}) {
		t.Fatalf("jobs of a case sent to someone else = %v, want them unchanged", got)
	}
	events := actions(mustAudit(t, s, waiting.Reference))
	if want := fmt.Sprintf("system %s%d", storage.ActionMovedOnPrefix, a.ID); events[len(events)-1] != want {
		t.Fatalf("audit %q, want %q last", events, want)
	}
	rv, err := s.Reviewer(ctx, a.ID)
	if err != nil || rv.Reachable() || !rv.Unreachable.Equal(at) {
		t.Fatalf("reviewer after the mark: unreachable %v, %v; want since %v", rv.Unreachable, err, at)
	}
	if all, _ := s.Reviewers(ctx); len(all) != 2 || all[0].Reachable() || !all[1].Reachable() {
		t.Fatalf("Reviewers after the mark = %+v, want only the first unreachable", all)
	}

	// The same refusal seen again (another process, another case): no
	// second word to the admins, the first time kept.
	marked, moved, err = s.MarkUnreachable(ctx, a.ID, at.Add(time.Minute), []storage.OutboxEntry{entry("told-2", "admin", tipline.LaneUrgent)})
	if err != nil || marked || len(moved) != 0 {
		t.Fatalf("MarkUnreachable again = %v, %v, %v; want not marked, nothing moved", marked, moved, err)
	}
	if pending, err := s.OutboxPending(ctx); err != nil || pending[tipline.LaneUrgent] != 1 {
		t.Fatalf("OutboxPending = %v, %v; want the admins' notice once", pending, err)
	}
	if rv, _ := s.Reviewer(ctx, a.ID); !rv.Unreachable.Equal(at) {
		t.Fatalf("unreachable since %v after a second mark, want the first %v", rv.Unreachable, at)
	}

	if was, err := s.MarkReachable(ctx, a.ID); err != nil || !was {
		t.Fatalf("MarkReachable = %v, %v; want it cleared a mark", was, err)
	}
	if was, err := s.MarkReachable(ctx, a.ID); err != nil || was {
		t.Fatalf("MarkReachable again = %v, %v; want nothing to clear", was, err)
	}
	if rv, _ := s.Reviewer(ctx, a.ID); !rv.Reachable() {
		t.Fatalf("reviewer still unreachable since %v after MarkReachable", rv.Unreachable)
	}
	if _, _, err := s.MarkUnreachable(ctx, b.ID+100, at, nil); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("MarkUnreachable of an unknown reviewer: %v, want ErrNotFound", err)
	}
	if _, err := s.MarkReachable(ctx, b.ID+100); !errors.Is(err, tipline.ErrNotFound) {
		t.Fatalf("MarkReachable of an unknown reviewer: %v, want ErrNotFound", err)
	}
}
