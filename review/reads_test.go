package review

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage"
)

// reads are the reads audited on the fixture's case, as "actor action".
func (f *fixture) reads(t *testing.T) []string {
	t.Helper()
	events, err := f.store.Audit(context.Background(), f.ref)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		if strings.HasPrefix(e.Action, storage.ActionViewedPrefix) {
			out = append(out, e.Actor+" "+e.Action)
		}
	}
	return out
}

// TestReadsAudited is the security review's M3: Details, a page of
// files, a part of the words and a /find result each leave an audit
// event of who read which case, an admin's too; /find reaches only a
// reviewer's own cases and those nobody has; one letter finds nothing.
func TestReadsAudited(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.desk.Finder = f.store
	dara, sophea, admin := f.rvs[0], f.rvs[1], f.rvs[2]
	v := Version(f.caseNow(t))
	for _, p := range []Press{On(Details, f.ref), {Action: Files, Case: f.ref}, {Action: Read, Case: f.ref}} {
		if _, err := f.desk.Press(ctx, sophea, p, v, new(State)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.desk.Find(ctx, sophea, string(f.ref)); err != nil {
		t.Fatal(err)
	}
	want := []string{"reviewer:2 viewed:details", "reviewer:2 viewed:files", "reviewer:2 viewed:words", "reviewer:2 viewed:found"}
	if got := f.reads(t); !slices.Equal(got, want) {
		t.Fatalf("reads %v, want %v", got, want)
	}

	// Dara takes it: Sophea's /find no longer reaches it; an admin's does,
	// and is audited like anyone's.
	f.take(t, dara.ID)
	outs, err := f.desk.Find(ctx, sophea, string(f.ref))
	if err != nil {
		t.Fatal(err)
	}
	if ids := firstIDs(outs); !slices.Equal(ids, []string{"rv_find_none"}) {
		t.Errorf("another reviewer's /find of a taken case said %v, want rv_find_none", ids)
	}
	outs, err = f.desk.Find(ctx, admin, string(f.ref))
	if err != nil {
		t.Fatal(err)
	}
	if ids := firstIDs(outs); !slices.Equal(ids, []string{"rv_find_title"}) {
		t.Errorf("an admin's /find said %v, want the case", ids)
	}
	if got := f.reads(t); len(got) != len(want)+1 || got[len(got)-1] != "reviewer:3 viewed:found" {
		t.Errorf("reads %v, want the admin's /find audited last", got)
	}
	outs, err = f.desk.Find(ctx, admin, "a")
	if err != nil {
		t.Fatal(err)
	}
	if ids := firstIDs(outs); !slices.Equal(ids, []string{"rv_find_help"}) {
		t.Errorf("/find a said %v, want rv_find_help", ids)
	}
}

// TestNoEditsToADisabledReviewer is the security review's L4: once a
// reviewer is disabled, their copy of a notification is no longer edited
// (the edit would tell whoever holds their phone who took the case, and
// its classification); the others' copies are.
func TestNoEditsToADisabledReviewer(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for i, rv := range f.rvs[:2] {
		n := tipline.Notification{ReviewerID: rv.ID, ChatID: rv.TelegramID, OutboxKey: fmt.Sprint("n", i)}
		if err := f.store.AddNotification(ctx, f.ref, n); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.store.DisableReviewer(ctx, f.rvs[1].ID, t0); err != nil {
		t.Fatal(err)
	}
	outs, err := f.desk.MarkTaken(ctx, f.caseNow(t), f.rvs[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 1 || outs[0].To.Reviewer != f.rvs[0].ID {
		t.Fatalf("edits to %+v, want only the active reviewer's copy", outs)
	}
}

// TestAdditionToADisabledReviewersClosedCase is the security review's L5:
// what is added to a closed case whose reviewer was disabled reaches
// every active admin, labelled when it came from someone with the secret
// code (M6).
func TestAdditionToADisabledReviewersClosedCase(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.take(t, f.rvs[0].ID)
	if err := f.store.CloseCase(ctx, f.ref, f.rvs[0].ID, tipline.Outcomes[0], t0); err != nil {
		t.Fatal(err)
	}
	if err := f.store.DisableReviewer(ctx, f.rvs[0].ID, t0); err != nil {
		t.Fatal(err)
	}
	outs, err := f.desk.Added(ctx, f.ref, tipline.Addition{Actor: "followup:someone", Text: "the child is being moved tonight"})
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 1 || outs[0].To.Reviewer != f.rvs[2].ID {
		t.Fatalf("told %+v, want the admin only", outs)
	}
	var ids []string
	for _, l := range outs[0].Message.Lines {
		ids = append(ids, l.ID)
	}
	if !slices.Contains(ids, "rv_added_to_closed") || !slices.Contains(ids, "rv_sent_by_code_holder") {
		t.Errorf("the admin reads %v, want the addition to a closed case, labelled as from the code holder", ids)
	}
}
