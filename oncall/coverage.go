package oncall

import (
	"time"

	"github.com/tipline/tipline"
)

// Gap is a span of time in which no active reviewer is on the primary
// shift, so a new case goes straight to everyone (or, with no reviewers,
// to nobody).
type Gap struct {
	From, Until time.Time
}

// Gaps returns the spans between from and to in which nobody active is on
// the primary shift, looked at every step (shift boundaries are minutes, so
// a step of a few minutes finds every gap of that length or more).
func Gaps(r Rota, reviewers []tipline.Reviewer, from, to time.Time, step time.Duration) []Gap {
	var gaps []Gap
	var open *Gap
	for t := from; t.Before(to); t = t.Add(step) {
		_, reason := Recipients(r, int(Primary), t, reviewers)
		covered := reason == ReasonPrimary
		switch {
		case !covered && open == nil:
			open = &Gap{From: t}
		case covered && open != nil:
			open.Until = t
			gaps = append(gaps, *open)
			open = nil
		}
	}
	if open != nil {
		open.Until = to
		gaps = append(gaps, *open)
	}
	return gaps
}
