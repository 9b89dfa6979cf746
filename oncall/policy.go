package oncall

import (
	"slices"
	"time"

	"github.com/tipline/tipline"
)

// Policy is how long each level has to acknowledge a case before the next
// one is notified, and how often everyone is reminded after that. After
// MaxRepeats reminders nothing more is scheduled: the periodic check of
// unacknowledged cases (guarantee G4) reports the case instead of the bot
// paging people all night.
type Policy struct {
	// Urgent and Normal are the deadlines of the primary and the secondary
	// level, by the case's urgency.
	Urgent time.Duration
	Normal time.Duration
	// Repeat is the time between notifications of everyone.
	Repeat time.Duration
	// MaxRepeats is how many times everyone is notified again after the
	// first time; 0 means once only.
	MaxRepeats int
}

// DefaultPolicy gives an urgent case 5 minutes per level and a normal one 30,
// then reminds everyone every 30 minutes, 12 times (six hours).
func DefaultPolicy() Policy {
	return Policy{
		Urgent:     5 * time.Minute,
		Normal:     30 * time.Minute,
		Repeat:     30 * time.Minute,
		MaxRepeats: 12,
	}
}

// deadline is how long the primary and secondary levels have. Any urgency
// other than normal counts as urgent, so an unknown value errs toward speed.
// A duration that is zero or negative takes its default.
func (p Policy) deadline(u tipline.Urgency) time.Duration {
	d := DefaultPolicy()
	if u == tipline.UrgencyNormal {
		if p.Normal > 0 {
			return p.Normal
		}
		return d.Normal
	}
	if p.Urgent > 0 {
		return p.Urgent
	}
	return d.Urgent
}

// Next says what follows a notification at level for a case of that
// urgency: the next level and how long after this one, or ok false when
// nothing more is scheduled. The chain is 0 primary → 1 secondary (after the
// urgency's deadline) → 2 everyone (after the deadline again) → 3, 4, ...
// everyone again, Repeat apart, up to level 2+MaxRepeats. A negative level
// is not a level and has no next. Durations that are zero or negative take
// their defaults, so a zero Policy behaves as DefaultPolicy's durations with
// no repeats.
func (p Policy) Next(level int, urgency tipline.Urgency) (next int, after time.Duration, ok bool) {
	switch {
	case level < 0:
		return 0, 0, false
	case level < int(Everyone):
		return level + 1, p.deadline(urgency), true
	case level-int(Everyone) >= max(p.MaxRepeats, 0):
		return 0, 0, false
	}
	repeat := p.Repeat
	if repeat <= 0 {
		repeat = DefaultPolicy().Repeat
	}
	return level + 1, repeat, true
}

// Reasons returned by Recipients, for logs.
const (
	ReasonPrimary     = "primary"
	ReasonSecondary   = "secondary"
	ReasonEveryone    = "everyone"
	ReasonNobody      = "nobody on shift: everyone"
	ReasonNoReviewers = "no active reviewers"
	// ReasonNoneReachable: Telegram refused every active reviewer lately;
	// all are tried all the same.
	ReasonNoneReachable = "nobody reachable: everyone"
)

// Recipients chooses who to notify at level: 0 the primary reviewers on
// shift at that instant, 1 the secondary, any other level every active
// reviewer. When nobody active is on shift at the chosen level, every active
// reviewer is notified, so a gap in the rota never leaves a case unseen.
// Disabled reviewers, and rota ids missing from reviewers, are never chosen;
// unreachable ones only when nobody active is reachable.
// The result is sorted by id, without repeats. The reason says which rule
// applied; ReasonNoReviewers (with no recipients) means there is nobody at
// all to tell, which the caller must treat as an alarm.
func Recipients(r Rota, level int, at time.Time, reviewers []tipline.Reviewer) ([]tipline.Reviewer, string) {
	active := make([]tipline.Reviewer, 0, len(reviewers))
	for _, rv := range reviewers {
		if rv.Active {
			active = append(active, rv)
		}
	}
	slices.SortStableFunc(active, func(a, b tipline.Reviewer) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	active = slices.CompactFunc(active, func(a, b tipline.Reviewer) bool { return a.ID == b.ID })
	if len(active) == 0 {
		return nil, ReasonNoReviewers
	}
	// A reviewer Telegram will not reach is passed over, so the case goes
	// to the next on the rota at once; with nobody reachable, everyone is
	// tried (one may have unblocked the bot without writing).
	reach := reachable(active)
	if len(reach) == 0 {
		return active, ReasonNoneReachable
	}
	active = reach

	var lv Level
	var reason string
	switch level {
	case int(Primary):
		lv, reason = Primary, ReasonPrimary
	case int(Secondary):
		lv, reason = Secondary, ReasonSecondary
	default:
		return active, ReasonEveryone
	}
	onShift := r.OnShift(lv, at)
	var chosen []tipline.Reviewer
	for _, rv := range active {
		if _, found := slices.BinarySearch(onShift, rv.ID); found {
			chosen = append(chosen, rv)
		}
	}
	if len(chosen) == 0 {
		return active, ReasonNobody
	}
	return chosen, reason
}

// reachable keeps the reviewers Telegram is believed to reach.
func reachable(reviewers []tipline.Reviewer) []tipline.Reviewer {
	var out []tipline.Reviewer
	for _, rv := range reviewers {
		if rv.Reachable() {
			out = append(out, rv)
		}
	}
	return out
}
