package oncall

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the machine's zone files
)

// mustLoad loads a time zone or fails the test.
func mustLoad(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatalf("load %s: %v", name, err)
	}
	return loc
}

func TestParseShifts(t *testing.T) {
	pp := mustLoad(t, "Asia/Phnom_Penh")
	weekdays := Weekdays{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	all := Weekdays{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}
	tests := []struct {
		name string
		spec string
		want []Shift
	}{
		{"empty", "", nil},
		{"none", " None ", nil},
		{"day range", "3:mon-fri@08:00-20:00",
			[]Shift{{ReviewerID: 3, Days: weekdays, Start: "08:00", End: "20:00"}}},
		{"days joined with plus", "4:sat+sun@8:00-20:00",
			[]Shift{{ReviewerID: 4, Days: Weekdays{time.Saturday, time.Sunday}, Start: "08:00", End: "20:00"}}},
		{"daily", "5:daily@00:00-24:00",
			[]Shift{{ReviewerID: 5, Days: all, Start: "00:00", End: "24:00"}}},
		{"range over the weekend", "6:fri-mon@20:00-08:00",
			[]Shift{{ReviewerID: 6, Days: Weekdays{time.Monday, time.Friday, time.Saturday, time.Sunday}, Start: "20:00", End: "08:00"}}},
		{"range and single day, full names, any case", "7:Monday-wednesday+FRI@09:00-17:30",
			[]Shift{{ReviewerID: 7, Days: Weekdays{time.Monday, time.Tuesday, time.Wednesday, time.Friday}, Start: "09:00", End: "17:30"}}},
		{"explicit span in the rota's zone", "8:2026-11-22T08:00/2026-11-22T20:00",
			[]Shift{{ReviewerID: 8,
				From:  time.Date(2026, 11, 22, 8, 0, 0, 0, pp),
				Until: time.Date(2026, 11, 22, 20, 0, 0, 0, pp)}}},
		{"several entries with spaces", " 1:mon-fri@08:00-20:00 , 2:mon-fri@20:00-08:00 ",
			[]Shift{
				{ReviewerID: 1, Days: weekdays, Start: "08:00", End: "20:00"},
				{ReviewerID: 2, Days: weekdays, Start: "20:00", End: "08:00"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseShifts(tt.spec, pp)
			if err != nil {
				t.Fatalf("ParseShifts(%q): %v", tt.spec, err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d shifts %+v, want %d", len(got), got, len(tt.want))
			}
			for i := range got {
				g, w := got[i], tt.want[i]
				if g.ReviewerID != w.ReviewerID || !reflect.DeepEqual(g.Days, w.Days) ||
					g.Start != w.Start || g.End != w.End || !g.From.Equal(w.From) || !g.Until.Equal(w.Until) {
					t.Errorf("shift %d: got %+v, want %+v", i+1, g, w)
				}
				if err := g.Validate(); err != nil {
					t.Errorf("shift %d does not validate: %v", i+1, err)
				}
			}
		})
	}
}

func TestParseShiftsOffsets(t *testing.T) {
	got, err := ParseShifts("9:2026-11-22T01:00Z/2026-11-22T10:00+07:00", mustLoad(t, "Asia/Phnom_Penh"))
	if err != nil {
		t.Fatal(err)
	}
	from, until := time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC), time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	if !got[0].From.Equal(from) || !got[0].Until.Equal(until) {
		t.Errorf("got %v/%v, want %v/%v", got[0].From, got[0].Until, from, until)
	}
}

func TestParseShiftsErrors(t *testing.T) {
	tests := []struct {
		name string
		spec string
		want []string // all must appear in the error
	}{
		{"bad day", "1:mon-fri@08:00-20:00,2:mon-fry@08:00-20:00",
			[]string{`entry 2 "2:mon-fry@08:00-20:00"`, `"fry" is not a day`}},
		{"bad time", "1:mon@25:00-26:00",
			[]string{"entry 1", `"25:00" is not a time`, "HH:MM"}},
		{"bad minutes", "1:mon@08:60-09:00",
			[]string{"entry 1", `"08:60" is not a time`}},
		{"start at 24:00", "1:mon@24:00-08:00",
			[]string{"entry 1", "cannot start at 24:00"}},
		{"reviewer id not a number", "1:daily@08:00-20:00,dara:daily@20:00-08:00",
			[]string{"entry 2", `reviewer id "dara" is not a number`, "tipline reviewers list"}},
		{"reviewer id not positive", "-3:daily@08:00-20:00",
			[]string{"entry 1", `reviewer id "-3" is not a number`}},
		{"end equals start", "1:mon@08:00-08:00",
			[]string{"entry 1", "starts and ends at 08:00", "00:00-24:00"}},
		{"comma between days", "1:sat,sun@08:00-20:00",
			[]string{`entry 1 "1:sat"`, "hours are missing", "sat+sun",
				`entry 2 "sun@08:00-20:00"`, "no reviewer id", "join them with +"}},
		{"no times", "1:mon-fri",
			[]string{"entry 1", "@HH:MM-HH:MM"}},
		{"no dash between times", "1:mon@08:00",
			[]string{"entry 1", "two times with a dash"}},
		{"no days", "1:@08:00-20:00",
			[]string{"entry 1", "days are missing"}},
		{"empty entry", "1:daily@08:00-20:00,,2:daily@20:00-08:00",
			[]string{"entry 2", "empty"}},
		{"no reviewer id", "mon-fri 08:00-20:00",
			[]string{"entry 1", "no reviewer id"}},
		{"bad span date", "1:2026-13-01T08:00/2026-13-01T20:00",
			[]string{"entry 1", `"2026-13-01T08:00" is not a date and time`, "YYYY-MM-DDTHH:MM"}},
		{"span ends before it starts", "1:2026-11-22T20:00/2026-11-22T08:00",
			[]string{"entry 1", "must end after it starts"}},
		{"span of no time", "9:2026-11-22T01:00Z/2026-11-22T08:00+07:00",
			[]string{"entry 1", "must end after it starts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseShifts(tt.spec, time.UTC)
			if err == nil {
				t.Fatalf("ParseShifts(%q) = %+v, want an error", tt.spec, got)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			var se *SpecError
			if !errors.As(err, &se) || se.Entry < 1 {
				t.Errorf("error %v is not a *SpecError with an entry number", err)
			}
		})
	}
}

func TestFormatShiftsRoundTrip(t *testing.T) {
	pp := mustLoad(t, "Asia/Phnom_Penh")
	tests := []struct {
		spec string
		want string
	}{
		{"", "none"},
		{"3:mon-fri@08:00-20:00", "3:mon-fri@08:00-20:00"},
		{"3:fri+mon+wed@8:00-20:00", "3:mon+wed+fri@08:00-20:00"},
		{"3:sat+sun@20:00-08:00", "3:sat+sun@20:00-08:00"},
		{"3:sun-tue@20:00-24:00", "3:mon+tue+sun@20:00-24:00"},
		{"3:fri-sun+tue@20:00-24:00", "3:tue+fri-sun@20:00-24:00"},
		{"3:mon+tue+wed+thu+fri+sat+sun@00:00-24:00", "3:daily@00:00-24:00"},
		{"4:2026-11-22T08:00/2026-11-22T20:00,5:daily@08:00-20:00", "4:2026-11-22T08:00/2026-11-22T20:00,5:daily@08:00-20:00"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			shifts, err := ParseShifts(tt.spec, pp)
			if err != nil {
				t.Fatal(err)
			}
			got := FormatShifts(shifts, pp)
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			again, err := ParseShifts(got, pp)
			if err != nil {
				t.Fatalf("formatted spec %q does not parse: %v", got, err)
			}
			if FormatShifts(again, pp) != got {
				t.Errorf("round trip changed %q to %q", got, FormatShifts(again, pp))
			}
		})
	}
}

func TestShiftValidate(t *testing.T) {
	from := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		shift Shift
		want  string // "" when valid
	}{
		{"weekly", Shift{ReviewerID: 1, Days: Weekdays{time.Monday}, Start: "08:00", End: "20:00"}, ""},
		{"span", Shift{ReviewerID: 1, From: from, Until: from.Add(time.Hour)}, ""},
		{"no reviewer", Shift{Days: Weekdays{time.Monday}, Start: "08:00", End: "20:00"}, "reviewer id 0"},
		{"no days", Shift{ReviewerID: 1, Start: "08:00", End: "20:00"}, "no days"},
		{"bad day", Shift{ReviewerID: 1, Days: Weekdays{9}, Start: "08:00", End: "20:00"}, "day number 9"},
		{"no start", Shift{ReviewerID: 1, Days: Weekdays{time.Monday}, End: "20:00"}, "time is missing"},
		{"both kinds", Shift{ReviewerID: 1, Days: Weekdays{time.Monday}, From: from, Until: from.Add(time.Hour)}, "not both"},
		{"span without end", Shift{ReviewerID: 1, From: from}, "needs both"},
		{"span backwards", Shift{ReviewerID: 1, From: from, Until: from.Add(-time.Hour)}, "ends"},
		{"start equals end", Shift{ReviewerID: 1, Days: Weekdays{time.Monday}, Start: "00:00", End: "00:00"}, "starts and ends"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.shift.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got %v, want no error", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want an error saying %q", err, tt.want)
			}
		})
	}
}
