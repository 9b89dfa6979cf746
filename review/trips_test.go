package review

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage/memory"
)

// countingStore is the memory twin, counting the reads the desk makes of
// cases and reviewers: the back-and-forths the architecture review named.
type countingStore struct {
	*memory.Store
	cases, reviewer, reviewers, notifications int
}

func (s *countingStore) Case(ctx context.Context, ref tipline.Reference) (tipline.Case, error) {
	s.cases++
	return s.Store.Case(ctx, ref)
}

func (s *countingStore) Reviewer(ctx context.Context, id int64) (tipline.Reviewer, error) {
	s.reviewer++
	return s.Store.Reviewer(ctx, id)
}

func (s *countingStore) Reviewers(ctx context.Context) ([]tipline.Reviewer, error) {
	s.reviewers++
	return s.Store.Reviewers(ctx)
}

func (s *countingStore) Notifications(ctx context.Context, ref tipline.Reference) ([]tipline.Notification, error) {
	s.notifications++
	return s.Store.Notifications(ctx, ref)
}

// TestTakeReadsEachThingOnce presses "I take it" with a copy of the
// notification at every reviewer: the case is read once (not again after
// Acknowledge), the reviewers in one call (not one per copy), and the
// taker's buttons still carry the version the store has now.
func TestTakeReadsEachThingOnce(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.clock.Advance(1234567 * time.Nanosecond) // a clock finer than the store's
	for i, rv := range f.rvs {
		n := tipline.Notification{ReviewerID: rv.ID, ChatID: rv.TelegramID, OutboxKey: fmt.Sprint("n", i)}
		if err := f.store.AddNotification(ctx, f.ref, n); err != nil {
			t.Fatal(err)
		}
	}
	counted := &countingStore{Store: f.store}
	f.desk.Store = counted
	taker := f.rvs[0]
	var st State
	outs, err := f.desk.Press(ctx, taker, On(Take, f.ref), Version(f.caseNow(t)), &st)
	if err != nil {
		t.Fatal(err)
	}
	if counted.cases != 1 || counted.reviewer != 0 || counted.reviewers != 1 || counted.notifications != 1 {
		t.Errorf("read the case %d times, a reviewer %d, the reviewers %d, the notifications %d; want 1, 0, 1, 1",
			counted.cases, counted.reviewer, counted.reviewers, counted.notifications)
	}
	if len(outs) != len(f.rvs) {
		t.Fatalf("%d edits, want one per copy (%d)", len(outs), len(f.rvs))
	}
	want := Version(f.caseNow(t))
	for _, o := range outs {
		if o.Edit == nil {
			t.Fatalf("%+v is not an edit of a copy", o)
		}
		mine := o.To.Reviewer == taker.ID
		if mine != (len(o.Message.Buttons) > 0) {
			t.Errorf("the copy of reviewer %d has buttons %v", o.To.Reviewer, o.Message.Buttons)
		}
		for _, row := range o.Message.Buttons {
			for _, b := range row {
				if b.Version != want {
					t.Errorf("the taker's button %s carries version %q, the stored case has %q", b.Action, b.Version, want)
				}
			}
		}
	}
}
