package oncall

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tipline/tipline"
)

// describeDays is how far ahead Describe looks for shift changes.
const describeDays = 7

// maxChanges caps the list of upcoming changes so the text fits one
// Telegram message whatever the rota.
const maxChanges = 40

// Describe says in plain English who is on call at that instant, primary
// and secondary, and every change of either in the following 7 days, with
// times in the rota's zone. It is the text of `tipline oncall show` and of
// the reviewers' /oncall command. Shifts are named after reviewers; an id
// not among them is shown as "reviewer #ID".
func (r Rota) Describe(at time.Time, reviewers []tipline.Reviewer) string {
	names := make(map[int64]string, len(reviewers))
	var unreachable []tipline.Reviewer
	for _, rv := range reviewers {
		names[rv.ID] = rv.Name
		if rv.Active && !rv.Reachable() {
			names[rv.ID] = rv.Name + " (UNREACHABLE)"
			unreachable = append(unreachable, rv)
		}
	}
	var b strings.Builder
	loc, err := r.Location()
	if err != nil {
		loc = time.UTC
		fmt.Fprintf(&b, "Warning: %v. Weekly shifts are ignored until it is fixed, so every active reviewer is notified.\n", err)
	}
	short := func(ids []int64) string {
		if len(ids) == 0 {
			return "nobody"
		}
		out := make([]string, 0, len(ids))
		for _, id := range ids {
			if n := strings.TrimSpace(names[id]); n != "" {
				out = append(out, n)
			} else {
				out = append(out, fmt.Sprintf("reviewer #%d", id))
			}
		}
		return joinAnd(out)
	}
	who := func(ids []int64) string {
		if len(ids) == 0 {
			return "nobody (every active reviewer is notified instead)"
		}
		return short(ids)
	}

	at = at.In(loc)
	fmt.Fprintf(&b, "On call now (%s, %s):\n", at.Format("Mon 2 Jan 2006 15:04"), loc)
	fmt.Fprintf(&b, "  Primary: %s\n", who(r.OnShift(Primary, at)))
	fmt.Fprintf(&b, "  Secondary: %s\n", who(r.OnShift(Secondary, at)))
	describeUnreachable(&b, unreachable, loc)

	changes := r.changes(at, at.AddDate(0, 0, describeDays), loc)
	if len(changes) == 0 {
		fmt.Fprintf(&b, "No changes in the next %d days.\n", describeDays)
		return b.String()
	}
	fmt.Fprintf(&b, "Changes in the next %d days:\n", describeDays)
	for i, c := range changes {
		if i == maxChanges {
			fmt.Fprintf(&b, "  … and %d more\n", len(changes)-maxChanges)
			break
		}
		note := ""
		if len(c.now) == 0 {
			note = "; every active reviewer is notified instead"
		}
		fmt.Fprintf(&b, "  %s  %s becomes %s (was %s)%s\n",
			c.at.In(loc).Format("Mon 2 Jan 15:04"), c.level, short(c.now), short(c.was), note)
	}
	return b.String()
}

// describeUnreachable names the reviewers Telegram will not reach, whom
// routing passes over, so whoever reads the rota knows who is missing.
func describeUnreachable(b *strings.Builder, unreachable []tipline.Reviewer, loc *time.Location) {
	for _, rv := range unreachable {
		fmt.Fprintf(b, "  UNREACHABLE: %s (Telegram refuses to reach them since %s: they blocked the bot or lost the account); new cases pass them by until they write to the bot.\n",
			strings.TrimSpace(rv.Name), rv.Unreachable.In(loc).Format("Mon 2 Jan 15:04"))
	}
}

// Change is a moment when the reviewers on shift at a level change: who
// was on shift before it, and who is after.
type Change struct {
	At       time.Time
	Level    Level
	Was, Now []int64
}

// Changes lists, in time order, the moments in the days after at when who
// is on shift at the primary or secondary level changes (at most max).
func (r Rota) Changes(at time.Time, days, max int) []Change {
	loc, err := r.Location()
	if err != nil {
		loc = time.UTC
	}
	var out []Change
	for _, c := range r.changes(at, at.AddDate(0, 0, days), loc) {
		if len(out) == max {
			break
		}
		out = append(out, Change{At: c.at, Level: c.level, Was: c.was, Now: c.now})
	}
	return out
}

// change is a moment when the reviewers on shift at a level change.
type change struct {
	at       time.Time
	level    Level
	was, now []int64
}

// changes lists the moments in (from, to] when who is on shift at the
// primary or the secondary level changes, in time order, primary first.
func (r Rota) changes(from, to time.Time, loc *time.Location) []change {
	var out []change
	for _, lv := range []Level{Primary, Secondary} {
		var instants []time.Time
		for _, s := range r.shifts(lv) {
			instants = append(instants, s.boundaries(from, to, loc)...)
		}
		slices.SortFunc(instants, func(a, b time.Time) int { return a.Compare(b) })
		instants = slices.CompactFunc(instants, time.Time.Equal)
		was := r.OnShift(lv, from)
		for _, t := range instants {
			now := r.OnShift(lv, t)
			if !slices.Equal(was, now) {
				out = append(out, change{at: t, level: lv, was: was, now: now})
			}
			was = now
		}
	}
	slices.SortStableFunc(out, func(a, b change) int { return a.at.Compare(b.at) })
	return out
}

// joinAnd writes "A", "A and B", "A, B and C".
func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
