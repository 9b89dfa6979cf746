package oncall

import (
	"slices"
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
// the primary shift. They start and end exactly where the rota's shifts
// do (08:00, not the first look after it), whatever minute from is.
func Gaps(r Rota, reviewers []tipline.Reviewer, from, to time.Time) []Gap {
	loc, err := r.Location()
	if err != nil {
		loc = time.UTC
	}
	instants := []time.Time{from}
	for _, s := range r.shifts(Primary) {
		for _, t := range s.boundaries(from, to, loc) {
			if t.After(from) && t.Before(to) {
				instants = append(instants, t)
			}
		}
	}
	slices.SortFunc(instants, func(a, b time.Time) int { return a.Compare(b) })
	instants = slices.CompactFunc(instants, time.Time.Equal)
	var gaps []Gap
	var open *Gap
	for _, t := range instants {
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
