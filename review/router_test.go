package review

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/oncall"
)

// fakeOutbox is one job's outbox: it keeps what the router queued.
type fakeOutbox struct {
	prefix    string
	outs      []Out
	completed bool
	next      *tipline.Job
	late      []Out
	// onComplete runs as the job completes (a reviewer taking the case
	// meanwhile).
	onComplete func()
}

func (o *fakeOutbox) Queue(outs []Out) []string {
	var keys []string
	for _, out := range outs {
		o.outs = append(o.outs, out)
		keys = append(keys, "job:"+o.prefix+":"+strconv.Itoa(len(o.outs)-1))
	}
	return keys
}

func (o *fakeOutbox) Complete(ctx context.Context, next *tipline.Job) error {
	o.completed, o.next = true, next
	if o.onComplete != nil {
		o.onComplete()
	}
	return nil
}

func (o *fakeOutbox) Late(ctx context.Context, outs []Out) error {
	o.late = append(o.late, outs...)
	return nil
}

func (f *fixture) router() *Router {
	return &Router{Store: f.store, Notifier: f, Policy: oncall.DefaultPolicy(), Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: f.clock.Now}
}

func recipients(outs []Out) []int64 {
	var ids []int64
	for _, o := range outs {
		ids = append(ids, o.To.Reviewer)
	}
	return ids
}

// TestRouterLevels: the primary on shift first, then the secondary after
// the urgent deadline, then everyone (the message says it is an
// escalation), then reminders; every copy is recorded for "taken by".
func TestRouterLevels(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	rota := oncall.Rota{TimeZone: "UTC",
		Primary:   []oncall.Shift{{ReviewerID: 1, From: t0.Add(-time.Hour), Until: t0.Add(24 * time.Hour)}},
		Secondary: []oncall.Shift{{ReviewerID: 2, From: t0.Add(-time.Hour), Until: t0.Add(24 * time.Hour)}},
	}
	doc, err := rota.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.SaveRota(ctx, doc); err != nil {
		t.Fatal(err)
	}
	r := f.router()
	job := tipline.Job{ID: 1, Reference: f.ref, Level: 0, RunAt: t0}
	for _, step := range []struct {
		to        []int64
		first     string
		nextLevel int
		after     time.Duration
	}{
		{[]int64{1}, "rv_new_case", 1, 5 * time.Minute},
		{[]int64{2}, "rv_escalation", 2, 5 * time.Minute},
		{[]int64{1, 2, 3}, "rv_escalation", 3, 30 * time.Minute},
	} {
		out := &fakeOutbox{prefix: strconv.Itoa(job.Level)}
		if err := r.RunJob(ctx, job, out); err != nil {
			t.Fatal(err)
		}
		if got := recipients(out.outs); !slices.Equal(got, step.to) {
			t.Errorf("level %d: notified %v, want %v", job.Level, got, step.to)
		}
		for _, o := range out.outs {
			if o.Lane != tipline.LaneUrgent || !o.Protect || o.Message.Lines[0].ID != step.first {
				t.Errorf("level %d: %+v", job.Level, o)
			}
		}
		if !out.completed || out.next == nil || out.next.Level != step.nextLevel || !out.next.RunAt.Equal(f.clock.Now().Add(step.after)) {
			t.Fatalf("level %d: next %+v, want level %d after %s", job.Level, out.next, step.nextLevel, step.after)
		}
		f.clock.Advance(step.after)
		job = *out.next
	}
	ns, err := f.store.Notifications(ctx, f.ref)
	if err != nil || len(ns) != 5 {
		t.Errorf("%d notifications recorded (%v), want 5", len(ns), err)
	}
}

// TestRouterNobodyOnCall: with no rota every active reviewer is told; with
// no reviewers at all nobody is, and the next level is still scheduled.
func TestRouterNobodyOnCall(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	out := &fakeOutbox{}
	if err := f.router().RunJob(ctx, tipline.Job{ID: 1, Reference: f.ref}, out); err != nil {
		t.Fatal(err)
	}
	if got := recipients(out.outs); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Errorf("no rota: notified %v, want everyone", got)
	}
	for _, rv := range f.rvs {
		if err := f.store.DisableReviewer(ctx, rv.ID, t0); err != nil {
			t.Fatal(err)
		}
	}
	out = &fakeOutbox{}
	if err := f.router().RunJob(ctx, tipline.Job{ID: 2, Reference: f.ref}, out); err != nil {
		t.Fatal(err)
	}
	if len(out.outs) != 0 || out.next == nil {
		t.Errorf("no reviewers: outs %v, next %+v; want none and a next level", out.outs, out.next)
	}
}

// TestRouterTakenCase: a job for a case someone has notifies nobody; a case
// taken while the job ran has its new copies edited to "taken by".
func TestRouterTakenCase(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	out := &fakeOutbox{onComplete: func() { f.take(t, 2) }}
	if err := f.router().RunJob(ctx, tipline.Job{ID: 1, Reference: f.ref}, out); err != nil {
		t.Fatal(err)
	}
	if len(out.late) != 3 {
		t.Fatalf("%d late edits, want one per copy", len(out.late))
	}
	for _, o := range out.late {
		if o.Edit == nil || o.Message.Lines[0].ID != "rv_taken_by" || (len(o.Message.Buttons) > 0) != (o.To.Reviewer == 2) {
			t.Errorf("late edit %+v", o)
		}
	}
	out = &fakeOutbox{}
	if err := f.router().RunJob(ctx, tipline.Job{ID: 2, Reference: f.ref, Level: 1}, out); err != nil {
		t.Fatal(err)
	}
	if len(out.outs) != 0 || !out.completed || out.next != nil {
		t.Errorf("taken case: outs %v, next %+v", out.outs, out.next)
	}
}

// TestCheckUnrouted: an open case with nothing scheduled gets a job for
// everyone, due now, and the router is woken.
func TestCheckUnrouted(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	jobs, err := f.store.ClaimDueJobs(ctx, "me", t0, time.Minute, 10)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("jobs %v, %v", jobs, err)
	}
	if err := f.store.CompleteJob(ctx, jobs[0].ID, "me", nil, nil); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour)
	f.router().CheckUnrouted(ctx)
	if f.woken != 1 {
		t.Errorf("woken %d times, want 1", f.woken)
	}
	pending, err := f.store.Peek().PendingJobs(ctx, f.ref)
	if err != nil || len(pending) != 1 || pending[0].Level != int(oncall.Everyone) || !pending[0].RunAt.Equal(f.clock.Now()) {
		t.Errorf("pending %+v (%v), want one for everyone, now", pending, err)
	}
}

// TestNotificationLanes: an urgent case is notified on the urgent lane, a
// normal one on the reply lane, so that a reviewer's chat sends the
// urgent one first however many normal ones wait (the outbox claims a
// chat's lower lane first).
func TestNotificationLanes(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	normal := tipline.Reference("TL-7K3Q-9XDN")
	if _, _, err := f.store.SubmitCase(ctx, tipline.NewCase{DraftID: "d2", Reference: normal, Kind: tipline.KindTip, Urgency: tipline.UrgencyNormal,
		Lang: "en", Reporter: "pseudo", Answers: tipline.Answers{"what": "a boy works at night"}, SubmittedAt: t0}); err != nil {
		t.Fatal(err)
	}
	for ref, want := range map[tipline.Reference]tipline.Lane{f.ref: tipline.LaneUrgent, normal: tipline.LaneReply} {
		out := &fakeOutbox{prefix: string(ref)}
		if err := f.router().RunJob(ctx, tipline.Job{ID: 1, Reference: ref, RunAt: t0}, out); err != nil {
			t.Fatal(err)
		}
		if len(out.outs) == 0 {
			t.Fatalf("%s: nobody notified", ref)
		}
		for _, o := range out.outs {
			if o.Lane != want {
				t.Errorf("%s notified on lane %d, want %d", ref, o.Lane, want)
			}
		}
	}
}
