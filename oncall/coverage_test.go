package oncall

import (
	"testing"
	"time"

	"github.com/tipline/tipline"
)

func TestGapsNameTheUncoveredSpans(t *testing.T) {
	loc := time.UTC
	shifts, err := ParseShifts("1:mon-fri@08:00-18:00", loc)
	if err != nil {
		t.Fatal(err)
	}
	r := Rota{TimeZone: "UTC", Primary: shifts}
	reviewers := []tipline.Reviewer{{ID: 1, Active: true}}
	from := time.Date(2026, 11, 30, 0, 0, 0, 0, loc) // a Monday
	gaps := Gaps(r, reviewers, from, from.Add(48*time.Hour))
	want := []Gap{
		{From: from, Until: from.Add(8 * time.Hour)},
		{From: from.Add(18 * time.Hour), Until: from.Add(32 * time.Hour)},
		{From: from.Add(42 * time.Hour), Until: from.Add(48 * time.Hour)},
	}
	if len(gaps) != len(want) {
		t.Fatalf("got %d gaps %v, want %v", len(gaps), gaps, want)
	}
	for i := range want {
		if !gaps[i].From.Equal(want[i].From) || !gaps[i].Until.Equal(want[i].Until) {
			t.Errorf("gap %d: got %v–%v, want %v–%v", i, gaps[i].From, gaps[i].Until, want[i].From, want[i].Until)
		}
	}
	// Looked at from an odd minute, the gaps still end and start where
	// the shifts do: 08:00, never 08:03.
	odd := from.Add(3*time.Minute + 17*time.Second)
	gaps = Gaps(r, reviewers, odd, odd.Add(24*time.Hour))
	if len(gaps) != 2 || !gaps[0].From.Equal(odd) || !gaps[0].Until.Equal(from.Add(8*time.Hour)) || !gaps[1].From.Equal(from.Add(18*time.Hour)) {
		t.Errorf("from %v: got %v, want gaps ending at 08:00 and starting at 18:00", odd, gaps)
	}
	reviewers[0].Active = false
	if gaps := Gaps(r, reviewers, from, from.Add(24*time.Hour)); len(gaps) != 1 {
		t.Errorf("with the only reviewer disabled the whole day is a gap, got %v", gaps)
	}
}
