// Package oncall decides who is told about a case, and when: the on-call
// rota (primary and secondary shifts), the escalation policy (how long a
// level has to acknowledge before the next one is notified) and the choice
// of recipients for each level.
//
// It only decides. Scheduling the jobs and sending the Telegram messages is
// done by the caller. Nothing here reads the clock or does I/O beyond
// loading a time zone: every function is given the instant it reasons about.
//
// Comments cite the guarantees in docs/guarantees.md as G1–G13; that page
// names the tests that hold each one.
package oncall

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// DefaultTimeZone is the zone of a rota that names none. Cambodia and
// Thailand share its offset (UTC+7, no daylight saving).
const DefaultTimeZone = "Asia/Phnom_Penh"

// Level is a step of the escalation: who is notified.
type Level int

// The escalation levels. A routing job's level can be higher than Everyone:
// 3, 4, ... are repeated notifications of everyone (see Policy.Next).
const (
	Primary   Level = 0 // the primary reviewers on shift
	Secondary Level = 1 // the secondary reviewers on shift
	Everyone  Level = 2 // every active reviewer
)

// String names the level as logs and the rota description say it.
func (l Level) String() string {
	switch {
	case l == Primary:
		return "primary"
	case l == Secondary:
		return "secondary"
	case l >= Everyone:
		return "everyone"
	}
	return fmt.Sprintf("level(%d)", int(l))
}

// Rota is the primary and secondary on-call schedule. Weekly shifts are read
// in TimeZone (DefaultTimeZone when empty). It is stored as JSON, so its
// tags are part of the stored format and must not change.
type Rota struct {
	TimeZone  string  `json:"time_zone"`
	Primary   []Shift `json:"primary"`
	Secondary []Shift `json:"secondary"`
}

// Encode returns the rota as the JSON document that is stored for it.
func (r Rota) Encode() ([]byte, error) {
	doc, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode rota: %w", err)
	}
	return doc, nil
}

// DecodeRota reads a rota from its stored JSON document.
func DecodeRota(doc []byte) (Rota, error) {
	var r Rota
	if err := json.Unmarshal(doc, &r); err != nil {
		return Rota{}, fmt.Errorf("decode rota: %w", err)
	}
	return r, nil
}

// Location loads the rota's time zone, DefaultTimeZone when none is set.
func (r Rota) Location() (*time.Location, error) {
	name := r.TimeZone
	if name == "" {
		name = DefaultTimeZone
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time zone %q is not known (use a name such as Asia/Phnom_Penh or Asia/Bangkok): %w", name, err)
	}
	return loc, nil
}

// Validate reports everything wrong with a rota, such as one read back from
// storage or built by hand: an unknown time zone or a shift that can never
// match. Each problem names the level and the entry number.
func (r Rota) Validate() error {
	var errs []error
	if _, err := r.Location(); err != nil {
		errs = append(errs, err)
	}
	for _, lv := range []Level{Primary, Secondary} {
		for i, s := range r.shifts(lv) {
			if err := s.Validate(); err != nil {
				errs = append(errs, fmt.Errorf("%s entry %d: %w", lv, i+1, err))
			}
		}
	}
	return errors.Join(errs...)
}

// ReviewerIDs lists every reviewer named in the rota, sorted and without
// repeats, so the caller can check that each one exists and is active.
func (r Rota) ReviewerIDs() []int64 {
	var ids []int64
	for _, s := range r.Primary {
		ids = append(ids, s.ReviewerID)
	}
	for _, s := range r.Secondary {
		ids = append(ids, s.ReviewerID)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// shifts returns the shifts of one level; Everyone (and above) has both.
func (r Rota) shifts(level Level) []Shift {
	switch {
	case level == Primary:
		return r.Primary
	case level == Secondary:
		return r.Secondary
	case level >= Everyone:
		return append(slices.Clip(r.Primary), r.Secondary...)
	}
	return nil
}

// OnShift returns the ids of the reviewers on shift at level at that
// instant, sorted and without repeats; for Everyone, those on either the
// primary or the secondary rota. A shift covers its start and not its end.
// Shifts that are not valid match nothing; if the time zone cannot be
// loaded, weekly shifts match nothing (explicit spans are absolute and still
// do), so routing falls back to everyone rather than to a wrong person.
func (r Rota) OnShift(level Level, at time.Time) []int64 {
	loc, _ := r.Location() // nil: weekly shifts are skipped, as documented
	var ids []int64
	for _, s := range r.shifts(level) {
		if s.covers(at, loc) {
			ids = append(ids, s.ReviewerID)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}
