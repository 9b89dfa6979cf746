package oncall

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Shift is one reviewer's time on call. It is either a weekly pattern (Days
// with Start and End as "HH:MM" in the rota's zone, End may be "24:00"; a
// shift whose End is before its Start runs past midnight into the next day)
// or an explicit span (From, Until), for a holiday or a swap.
type Shift struct {
	ReviewerID int64 `json:"reviewer_id"`
	// Days are the days a weekly shift starts on.
	Days  Weekdays `json:"days,omitempty"`
	Start string   `json:"start,omitempty"`
	End   string   `json:"end,omitempty"`
	// From and Until bound an explicit span: From included, Until not.
	From  time.Time `json:"from,omitzero"`
	Until time.Time `json:"until,omitzero"`
}

// Explicit reports whether the shift is a span rather than a weekly pattern.
func (s Shift) Explicit() bool { return !s.From.IsZero() || !s.Until.IsZero() }

// Validate says what, if anything, stops the shift from ever matching.
func (s Shift) Validate() error {
	if s.ReviewerID <= 0 {
		return fmt.Errorf("reviewer id %d is not valid; it must be a positive number", s.ReviewerID)
	}
	if s.Explicit() {
		if len(s.Days) > 0 || s.Start != "" || s.End != "" {
			return errors.New("a shift is either weekly (days, start, end) or a span (from, until), not both")
		}
		if s.From.IsZero() || s.Until.IsZero() {
			return errors.New("a span needs both a start (from) and an end (until)")
		}
		if !s.Until.After(s.From) {
			return fmt.Errorf("the span ends (%s) before it starts (%s)", s.Until.Format(time.RFC3339), s.From.Format(time.RFC3339))
		}
		return nil
	}
	if len(s.Days) == 0 {
		return errors.New("the shift has no days")
	}
	for _, d := range s.Days {
		if d < time.Sunday || d > time.Saturday {
			return fmt.Errorf("day number %d is not a day of the week", int(d))
		}
	}
	_, _, err := s.minutes()
	return err
}

// minutes returns a weekly shift's start and end as minutes after midnight.
func (s Shift) minutes() (start, end int, err error) {
	start, err = parseClock(s.Start, false)
	if err != nil {
		return 0, 0, err
	}
	end, err = parseClock(s.End, true)
	if err != nil {
		return 0, 0, err
	}
	if start == end {
		return 0, 0, fmt.Errorf("the shift starts and ends at %s; for a whole day write 00:00-24:00", s.Start)
	}
	return start, end, nil
}

// span returns the instants a weekly shift starting on the given local date
// begins and ends.
func span(y int, m time.Month, d, start, end int, loc *time.Location) (from, until time.Time) {
	from = time.Date(y, m, d, start/60, start%60, 0, 0, loc)
	endDay := d
	if end <= start {
		endDay++ // past midnight
	}
	// time.Date turns 24:00 into 00:00 of the next day.
	until = time.Date(y, m, endDay, end/60, end%60, 0, 0, loc)
	return from, until
}

// covers reports whether the shift includes the instant at. Weekly shifts
// need loc; with a nil loc they match nothing.
func (s Shift) covers(at time.Time, loc *time.Location) bool {
	if s.Validate() != nil {
		return false
	}
	if s.Explicit() {
		return !at.Before(s.From) && at.Before(s.Until)
	}
	if loc == nil {
		return false
	}
	start, end, _ := s.minutes() // checked by Validate
	y, m, d := at.In(loc).Date()
	// A shift that started yesterday may still be running.
	for back := 0; back <= 1; back++ {
		if !s.Days.Has(time.Date(y, m, d-back, 12, 0, 0, 0, loc).Weekday()) {
			continue
		}
		from, until := span(y, m, d-back, start, end, loc)
		if !at.Before(from) && at.Before(until) {
			return true
		}
	}
	return false
}

// boundaries returns the instants the shift starts or ends within the local
// dates of (after, before], unsorted.
func (s Shift) boundaries(after, before time.Time, loc *time.Location) []time.Time {
	if s.Validate() != nil {
		return nil
	}
	var out []time.Time
	keep := func(t time.Time) {
		if t.After(after) && !t.After(before) {
			out = append(out, t)
		}
	}
	if s.Explicit() {
		keep(s.From)
		keep(s.Until)
		return out
	}
	if loc == nil {
		return nil
	}
	start, end, _ := s.minutes()
	y, m, d := after.In(loc).Date()
	days := int(before.Sub(after).Hours()/24) + 2
	for i := -1; i <= days; i++ {
		if !s.Days.Has(time.Date(y, m, d+i, 12, 0, 0, 0, loc).Weekday()) {
			continue
		}
		from, until := span(y, m, d+i, start, end, loc)
		keep(from)
		keep(until)
	}
	return out
}

// Weekdays is a set of days of the week. It is stored in JSON as short
// English names (["mon","tue"]) so a stored rota reads plainly.
type Weekdays []time.Weekday

// dayNames are the stored and typed names, Sunday first as in package time.
var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// Has reports whether d is one of the days.
func (w Weekdays) Has(d time.Weekday) bool { return slices.Contains(w, d) }

// MarshalJSON writes the days as short names.
func (w Weekdays) MarshalJSON() ([]byte, error) {
	names := make([]string, 0, len(w))
	for _, d := range w {
		if d < time.Sunday || d > time.Saturday {
			return nil, fmt.Errorf("day number %d is not a day of the week", int(d))
		}
		names = append(names, dayNames[d])
	}
	return json.Marshal(names)
}

// UnmarshalJSON reads days written by MarshalJSON.
func (w *Weekdays) UnmarshalJSON(b []byte) error {
	var names []string
	if err := json.Unmarshal(b, &names); err != nil {
		return fmt.Errorf("days: %w", err)
	}
	out := make(Weekdays, 0, len(names))
	for _, n := range names {
		d, ok := parseDay(n)
		if !ok {
			return fmt.Errorf("days: %q is not a day of the week", n)
		}
		out = append(out, d)
	}
	*w = out
	return nil
}

// parseDay reads a day name: three letters or in full, any case.
func parseDay(s string) (time.Weekday, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, n := range dayNames {
		full := strings.ToLower(time.Weekday(i).String())
		if s == n || s == full {
			return time.Weekday(i), true
		}
	}
	return 0, false
}

// parseClock reads "HH:MM" on the 24-hour clock as minutes after midnight;
// "24:00" only when allowEnd.
func parseClock(s string, allowEnd bool) (int, error) {
	bad := func() (int, error) {
		if s == "" {
			return 0, errors.New("a time is missing; write HH:MM on the 24-hour clock, such as 08:00 or 20:30")
		}
		return 0, fmt.Errorf("%q is not a time; write HH:MM on the 24-hour clock, such as 08:00 or 20:30", s)
	}
	hh, mm, ok := strings.Cut(s, ":")
	if !ok || len(hh) < 1 || len(hh) > 2 || len(mm) != 2 {
		return bad()
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || h < 0 || m < 0 || m > 59 || strings.ContainsAny(s, "+- ") {
		return bad()
	}
	if h == 24 && m == 0 {
		if allowEnd {
			return 24 * 60, nil
		}
		return 0, errors.New("a shift cannot start at 24:00; write 00:00")
	}
	if h > 23 {
		return bad()
	}
	return h*60 + m, nil
}

// SpecError is a mistake in one entry of a shift spec. Entry counts from 1.
type SpecError struct {
	Entry   int
	Text    string
	Problem string
}

func (e *SpecError) Error() string {
	return fmt.Sprintf("entry %d %q: %s", e.Entry, e.Text, e.Problem)
}

// ParseShifts reads the shifts of one level as given to
// `tipline oncall set --primary SPEC --secondary SPEC`. Entries are
// separated by ",", each one of
//
//	REVIEWER_ID:DAYS@HH:MM-HH:MM        weekly, e.g. 3:mon-fri@08:00-20:00
//	REVIEWER_ID:FROM/UNTIL              a span, e.g. 4:2026-11-22T08:00/2026-11-22T20:00
//
// DAYS is "daily", a day (mon), a range (mon-fri, fri-mon) or several of
// these joined by "+" (sat+sun, mon-wed+fri). An end before the start runs
// past midnight (22:00-06:00); "24:00" is the end of the day. Span times are
// read in loc (nil means UTC) unless they carry an offset (RFC 3339). An
// empty spec or "none" gives no shifts. The error lists every wrong entry by
// number, in words a volunteer can act on.
func ParseShifts(spec string, loc *time.Location) ([]Shift, error) {
	if loc == nil {
		loc = time.UTC
	}
	spec = strings.TrimSpace(spec)
	if spec == "" || strings.EqualFold(spec, "none") {
		return nil, nil
	}
	entries := strings.Split(spec, ",")
	var (
		shifts []Shift
		errs   []error
	)
	for i, text := range entries {
		text = strings.TrimSpace(text)
		s, problem := parseEntry(text, loc)
		if problem != "" {
			errs = append(errs, &SpecError{Entry: i + 1, Text: text, Problem: problem})
			continue
		}
		shifts = append(shifts, s)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return shifts, nil
}

// parseEntry reads one entry; problem is empty when it is good.
func parseEntry(text string, loc *time.Location) (s Shift, problem string) {
	const form = "write REVIEWER_ID:DAYS@HH:MM-HH:MM (such as 3:mon-fri@08:00-20:00) or REVIEWER_ID:FROM/UNTIL (such as 3:2026-11-22T08:00/2026-11-22T20:00)"
	if text == "" {
		return s, "the entry is empty (two commas in a row, or a comma at the end?)"
	}
	idText, rest, ok := strings.Cut(text, ":")
	if !ok || strings.Contains(idText, "@") {
		if looksLikeDays(text) {
			return s, "there is no reviewer id; to give one reviewer several days join them with + (sat+sun), because a comma starts a new entry"
		}
		return s, "there is no reviewer id before \":\"; " + form
	}
	idText = strings.TrimSpace(idText)
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil && looksLikeDays(idText) {
		return s, "there is no reviewer id at the start; " + form
	}
	if err != nil || id <= 0 {
		return s, fmt.Sprintf("reviewer id %q is not a number; use the number shown by `tipline reviewers list`", idText)
	}
	s.ReviewerID = id
	rest = strings.TrimSpace(rest)

	if fromText, untilText, ok := strings.Cut(rest, "/"); ok {
		from, p := parseInstant(strings.TrimSpace(fromText), loc)
		if p != "" {
			return s, p
		}
		until, p := parseInstant(strings.TrimSpace(untilText), loc)
		if p != "" {
			return s, p
		}
		if !until.After(from) {
			return s, fmt.Sprintf("the span must end after it starts, but %s is not after %s", untilText, fromText)
		}
		s.From, s.Until = from, until
		return s, ""
	}

	daysText, times, ok := strings.Cut(rest, "@")
	if !ok {
		if looksLikeDays(rest) {
			return s, "the hours are missing; add @HH:MM-HH:MM after the days (to give one reviewer several days join them with +, such as sat+sun, because a comma starts a new entry)"
		}
		return s, form
	}
	days, p := parseDays(daysText)
	if p != "" {
		return s, p
	}
	startText, endText, ok := strings.Cut(strings.TrimSpace(times), "-")
	if !ok {
		return s, fmt.Sprintf("%q should be two times with a dash between them, such as 08:00-20:00", times)
	}
	s.Days = days
	startText, endText = strings.TrimSpace(startText), strings.TrimSpace(endText)
	start, err := parseClock(startText, false)
	if err != nil {
		return s, err.Error()
	}
	end, err := parseClock(endText, true)
	if err != nil {
		return s, err.Error()
	}
	if start == end {
		return s, fmt.Sprintf("the shift starts and ends at %s; for a whole day write 00:00-24:00", startText)
	}
	s.Start, s.End = formatClock(start), formatClock(end)
	return s, ""
}

// looksLikeDays reports whether text begins with a day name, the mark of an
// entry cut in two by a comma typed between days.
func looksLikeDays(text string) bool {
	head, _, _ := strings.Cut(text, "@")
	head, _, _ = strings.Cut(head, "-")
	head, _, _ = strings.Cut(head, "+")
	_, ok := parseDay(head)
	return ok || strings.EqualFold(strings.TrimSpace(head), "daily")
}

// parseDays reads "daily", "mon", "mon-fri", "sat+sun", "mon-wed+fri".
// The days come back in week order, Monday first, without repeats.
func parseDays(text string) (Weekdays, string) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, "the days are missing before \"@\"; write daily, a day such as mon, a range such as mon-fri, or days joined with + such as sat+sun"
	}
	var set [7]bool
	for part := range strings.SplitSeq(text, "+") {
		part = strings.TrimSpace(part)
		if strings.EqualFold(part, "daily") {
			set = [7]bool{true, true, true, true, true, true, true}
			continue
		}
		firstText, lastText, isRange := strings.Cut(part, "-")
		first, ok := parseDay(firstText)
		if !ok {
			return nil, badDay(firstText)
		}
		last := first
		if isRange {
			if last, ok = parseDay(lastText); !ok {
				return nil, badDay(lastText)
			}
		}
		for d := first; ; d = (d + 1) % 7 { // fri-mon wraps over the weekend
			set[d] = true
			if d == last {
				break
			}
		}
	}
	var days Weekdays
	for i := 1; i <= 7; i++ {
		if d := time.Weekday(i % 7); set[d] {
			days = append(days, d)
		}
	}
	return days, ""
}

func badDay(s string) string {
	if strings.Contains(s, ",") {
		return "join days with + (sat+sun), because a comma starts a new entry"
	}
	return fmt.Sprintf("%q is not a day; use mon, tue, wed, thu, fri, sat, sun, a range such as mon-fri, days joined with + such as sat+sun, or daily", strings.TrimSpace(s))
}

// parseInstant reads a span end: "2026-11-22T08:00" in loc, or RFC 3339.
func parseInstant(s string, loc *time.Location) (time.Time, string) {
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, ""
		}
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, ""
		}
	}
	if s == "" {
		return time.Time{}, "a date and time is missing on one side of \"/\"; write YYYY-MM-DDTHH:MM, such as 2026-11-22T08:00"
	}
	return time.Time{}, fmt.Sprintf("%q is not a date and time; write YYYY-MM-DDTHH:MM, such as 2026-11-22T08:00", s)
}

func formatClock(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

// FormatShifts writes shifts back in the syntax ParseShifts reads, spans in
// loc (nil means UTC), so `tipline oncall show` can print a spec to edit.
func FormatShifts(shifts []Shift, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	if len(shifts) == 0 {
		return "none"
	}
	parts := make([]string, 0, len(shifts))
	for _, s := range shifts {
		parts = append(parts, s.format(loc))
	}
	return strings.Join(parts, ",")
}

func (s Shift) format(loc *time.Location) string {
	if s.Explicit() {
		layout := "2006-01-02T15:04"
		if s.From.Second() != 0 || s.Until.Second() != 0 {
			layout = "2006-01-02T15:04:05"
		}
		return fmt.Sprintf("%d:%s/%s", s.ReviewerID, s.From.In(loc).Format(layout), s.Until.In(loc).Format(layout))
	}
	return fmt.Sprintf("%d:%s@%s-%s", s.ReviewerID, formatDays(s.Days), s.Start, s.End)
}

// formatDays writes days in the shortest form parseDays reads: "daily",
// runs of three or more days as ranges (Monday first), others joined by "+".
func formatDays(w Weekdays) string {
	var set [7]bool
	for _, d := range w {
		if d >= time.Sunday && d <= time.Saturday {
			set[d] = true
		}
	}
	if set == [7]bool{true, true, true, true, true, true, true} {
		return "daily"
	}
	var parts []string
	for i := 0; i < 7; {
		d := (i + 1) % 7 // Monday first
		if !set[d] {
			i++
			continue
		}
		j := i
		for j+1 < 7 && set[(j+2)%7] {
			j++
		}
		switch last := (j + 1) % 7; {
		case j-i >= 2:
			parts = append(parts, dayNames[d]+"-"+dayNames[last])
		default:
			for k := i; k <= j; k++ {
				parts = append(parts, dayNames[(k+1)%7])
			}
		}
		i = j + 1
	}
	return strings.Join(parts, "+")
}
