package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/sandbox"
)

// trailStore is what the sandbox page's checklist reads of a case.
type trailStore interface {
	Case(ctx context.Context, ref tipline.Reference) (tipline.Case, error)
	Notifications(ctx context.Context, ref tipline.Reference) ([]tipline.Notification, error)
	Notes(ctx context.Context, ref tipline.Reference) ([]tipline.Note, error)
	Reviewer(ctx context.Context, id int64) (tipline.Reviewer, error)
}

// caseTrail builds the sandbox page's checklist from what the store
// recorded of a case: stored, notified, taken, written to, closed.
func caseTrail(store trailStore, cat *locales.Catalog) sandbox.TrailFunc {
	return func(ctx context.Context, s string) (sandbox.Trail, bool, error) {
		ref, err := tipline.ParseReference(s)
		if err != nil {
			return sandbox.Trail{}, false, nil
		}
		c, err := store.Case(ctx, ref)
		if errors.Is(err, tipline.ErrNotFound) {
			return sandbox.Trail{}, false, nil
		}
		if err != nil {
			return sandbox.Trail{}, false, fmt.Errorf("case trail: %w", err)
		}
		t := sandbox.Trail{Reference: string(ref), Urgent: c.Urgency == tipline.UrgencyUrgent, Steps: map[string]sandbox.Step{
			sandbox.StepReported: {At: c.CreatedAt},
		}}
		notes, err := store.Notifications(ctx, ref)
		if err != nil {
			return t, false, fmt.Errorf("case trail: %w", err)
		}
		if len(notes) > 0 {
			t.Steps[sandbox.StepNotified] = sandbox.Step{}
		}
		if a := c.Assignment; a.ReviewerID != 0 {
			step := sandbox.Step{At: a.AcknowledgedAt}
			if rv, err := store.Reviewer(ctx, a.ReviewerID); err == nil {
				step.Detail = "by " + rv.Name
			}
			t.Steps[sandbox.StepTaken] = step
		}
		msgs, err := store.Notes(ctx, ref)
		if err != nil {
			return t, false, fmt.Errorf("case trail: %w", err)
		}
		var written []tipline.Note
		for _, n := range msgs {
			if n.Kind == tipline.NoteToReporter {
				written = append(written, n)
			}
		}
		if len(written) > 0 {
			step := sandbox.Step{At: written[0].At}
			if len(written) > 1 {
				step.Detail = fmt.Sprintf("%d messages", len(written))
			}
			t.Steps[sandbox.StepReplied] = step
		}
		if c.Status == tipline.StatusClosed {
			step := sandbox.Step{At: c.Assignment.ClosedAt}
			if o := c.Assignment.Outcome; o != "" {
				step.Detail = cat.Text(tipline.LangEnglish, "outcome_"+string(o), nil)
			}
			t.Steps[sandbox.StepClosed] = step
		}
		return t, true, nil
	}
}
