package oncall

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// mustRota builds a rota from specs, as `tipline oncall set` would.
func mustRota(tb testing.TB, zone, primary, secondary string) Rota {
	tb.Helper()
	r := Rota{TimeZone: zone}
	loc, err := r.Location()
	if err != nil {
		tb.Fatal(err)
	}
	if r.Primary, err = ParseShifts(primary, loc); err != nil {
		tb.Fatalf("primary: %v", err)
	}
	if r.Secondary, err = ParseShifts(secondary, loc); err != nil {
		tb.Fatalf("secondary: %v", err)
	}
	if err := r.Validate(); err != nil {
		tb.Fatal(err)
	}
	return r
}

// ict returns a wall-clock time in Cambodia (UTC+7). 2026-11-23 is a Monday.
func ict(day, hour, min int) time.Time {
	return time.Date(2026, 11, day, hour, min, 0, 0, time.FixedZone("ICT", 7*3600))
}

func TestOnShift(t *testing.T) {
	utc := func(day, hour, min int) time.Time { return time.Date(2026, 11, day, hour, min, 0, 0, time.UTC) }
	tests := []struct {
		name  string
		rota  Rota
		level Level
		at    time.Time
		want  []int64
	}{
		{name: "empty rota", rota: Rota{}, level: Primary, at: ict(23, 9, 0), want: nil},
		{name: "empty rota, everyone", rota: Rota{}, level: Everyone, at: ict(23, 9, 0), want: nil},

		{name: "day shift at start", rota: mustRota(t, "", "1:mon-fri@08:00-20:00", ""), at: ict(23, 8, 0), want: []int64{1}},
		{name: "day shift before start", rota: mustRota(t, "", "1:mon-fri@08:00-20:00", ""), at: ict(23, 7, 59), want: nil},
		{name: "day shift at end", rota: mustRota(t, "", "1:mon-fri@08:00-20:00", ""), at: ict(23, 20, 0), want: nil},
		{name: "day range excludes the weekend", rota: mustRota(t, "", "1:mon-fri@08:00-20:00", ""), at: ict(28, 9, 0), want: nil},
		{name: "day range includes friday", rota: mustRota(t, "", "1:mon-fri@08:00-20:00", ""), at: ict(27, 19, 59), want: []int64{1}},
		{name: "weekend days joined", rota: mustRota(t, "", "2:sat+sun@08:00-20:00", ""), at: ict(29, 12, 0), want: []int64{2}},
		{name: "daily", rota: mustRota(t, "", "3:daily@06:00-18:00", ""), at: ict(25, 6, 0), want: []int64{3}},

		{name: "night shift before midnight", rota: mustRota(t, "", "4:fri@22:00-06:00", ""), at: ict(27, 23, 0), want: []int64{4}},
		{name: "night shift after midnight, on the next day", rota: mustRota(t, "", "4:fri@22:00-06:00", ""), at: ict(28, 5, 59), want: []int64{4}},
		{name: "night shift ended", rota: mustRota(t, "", "4:fri@22:00-06:00", ""), at: ict(28, 6, 0), want: nil},
		{name: "night shift does not start saturday", rota: mustRota(t, "", "4:fri@22:00-06:00", ""), at: ict(28, 23, 0), want: nil},
		{name: "night shift thursday morning belongs to wednesday", rota: mustRota(t, "", "4:wed@22:00-06:00", ""), at: ict(26, 3, 0), want: []int64{4}},

		{name: "24:00 includes the last minute", rota: mustRota(t, "", "5:sat@20:00-24:00", ""), at: ict(28, 23, 59), want: []int64{5}},
		{name: "24:00 ends at midnight", rota: mustRota(t, "", "5:sat@20:00-24:00", ""), at: ict(29, 0, 0), want: nil},
		{name: "whole day", rota: mustRota(t, "", "5:sun@00:00-24:00", ""), at: ict(29, 0, 0), want: []int64{5}},

		{name: "Phnom Penh by default: 01:30 UTC is 08:30 there", rota: mustRota(t, "", "6:mon@08:00-17:00", ""), at: utc(23, 1, 30), want: []int64{6}},
		{name: "same rota in UTC: 01:30 UTC is off", rota: mustRota(t, "UTC", "6:mon@08:00-17:00", ""), at: utc(23, 1, 30), want: nil},
		{name: "UTC rota on at 08:30 UTC", rota: mustRota(t, "UTC", "6:mon@08:00-17:00", ""), at: utc(23, 8, 30), want: []int64{6}},
		{name: "Phnom Penh off at 10:00 UTC (17:00 there)", rota: mustRota(t, "Asia/Phnom_Penh", "6:mon@08:00-17:00", ""), at: utc(23, 10, 0), want: nil},
		{name: "Phnom Penh monday starts sunday 17:00 UTC", rota: mustRota(t, "Asia/Phnom_Penh", "6:mon@00:00-01:00", ""), at: utc(22, 17, 30), want: []int64{6}},

		{name: "explicit span", rota: mustRota(t, "", "7:2026-11-22T08:00/2026-11-22T20:00", ""), at: ict(22, 8, 0), want: []int64{7}},
		{name: "explicit span end excluded", rota: mustRota(t, "", "7:2026-11-22T08:00/2026-11-22T20:00", ""), at: ict(22, 20, 0), want: nil},
		{name: "explicit span over days", rota: mustRota(t, "", "7:2026-11-22T08:00/2026-11-25T08:00", ""), at: ict(24, 3, 0), want: []int64{7}},

		{name: "overlap gives both, sorted", rota: mustRota(t, "", "9:daily@08:00-20:00,2:mon@12:00-14:00", ""), at: ict(23, 13, 0), want: []int64{2, 9}},
		{name: "overlap of one reviewer counts once", rota: mustRota(t, "", "9:daily@08:00-20:00,9:2026-11-23T10:00/2026-11-23T22:00", ""), at: ict(23, 13, 0), want: []int64{9}},
		{name: "swap: explicit span beside the pattern", rota: mustRota(t, "", "9:daily@08:00-20:00,9:2026-11-23T10:00/2026-11-23T22:00", ""), at: ict(23, 21, 0), want: []int64{9}},

		{name: "secondary level", rota: mustRota(t, "", "1:daily@08:00-20:00", "2:daily@08:00-20:00"), level: Secondary, at: ict(23, 9, 0), want: []int64{2}},
		{name: "everyone level is both rotas", rota: mustRota(t, "", "3:daily@08:00-20:00", "2:daily@08:00-20:00,3:daily@08:00-20:00"), level: Everyone, at: ict(23, 9, 0), want: []int64{2, 3}},
		{name: "negative level", rota: mustRota(t, "", "1:daily@00:00-24:00", ""), level: -1, at: ict(23, 9, 0), want: nil},

		{name: "unknown zone: weekly shifts ignored", rota: Rota{TimeZone: "Mars/Olympus", Primary: []Shift{{ReviewerID: 1, Days: Weekdays{time.Monday}, Start: "00:00", End: "24:00"}}}, at: ict(23, 9, 0), want: nil},
		{name: "unknown zone: spans still count", rota: Rota{TimeZone: "Mars/Olympus", Primary: []Shift{{ReviewerID: 1, From: ict(23, 0, 0), Until: ict(24, 0, 0)}}}, at: ict(23, 9, 0), want: []int64{1}},
		{name: "invalid shift matches nothing", rota: Rota{Primary: []Shift{{ReviewerID: 1, Days: Weekdays{time.Monday}, Start: "09:00", End: "09:00"}}}, at: ict(23, 9, 0), want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.rota.OnShift(tt.level, tt.at)
			if !slices.Equal(got, tt.want) {
				t.Errorf("OnShift(%v, %v) = %v, want %v", tt.level, tt.at, got, tt.want)
			}
		})
	}
}

func TestOnShiftDaylightSaving(t *testing.T) {
	// A zone with daylight saving: a night shift over the spring-forward
	// night is still on after the clocks jump.
	r := mustRota(t, "Europe/Berlin", "1:sat@22:00-06:00", "")
	berlin := mustLoad(t, "Europe/Berlin")
	for _, at := range []time.Time{
		time.Date(2026, 3, 28, 22, 0, 0, 0, berlin),
		time.Date(2026, 3, 29, 3, 30, 0, 0, berlin), // 02:00-03:00 does not exist that night
		time.Date(2026, 3, 29, 5, 59, 0, 0, berlin),
	} {
		if got := r.OnShift(Primary, at); !slices.Equal(got, []int64{1}) {
			t.Errorf("OnShift at %v = %v, want [1]", at, got)
		}
	}
	if got := r.OnShift(Primary, time.Date(2026, 3, 29, 6, 0, 0, 0, berlin)); got != nil {
		t.Errorf("OnShift at 06:00 = %v, want nobody", got)
	}
}

func TestRotaJSONRoundTrip(t *testing.T) {
	r := mustRota(t, "Asia/Bangkok",
		"1:mon-fri@08:00-20:00,2:sat+sun@20:00-24:00",
		"3:daily@20:00-08:00,4:2026-11-22T08:00/2026-11-22T20:00")
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	// The stored form: tags and day names are part of it.
	want := `{"time_zone":"Asia/Bangkok",` +
		`"primary":[{"reviewer_id":1,"days":["mon","tue","wed","thu","fri"],"start":"08:00","end":"20:00"},` +
		`{"reviewer_id":2,"days":["sat","sun"],"start":"20:00","end":"24:00"}],` +
		`"secondary":[{"reviewer_id":3,"days":["mon","tue","wed","thu","fri","sat","sun"],"start":"20:00","end":"08:00"},` +
		`{"reviewer_id":4,"from":"2026-11-22T08:00:00+07:00","until":"2026-11-22T20:00:00+07:00"}]}`
	if string(b) != want {
		t.Errorf("got JSON\n%s\nwant\n%s", b, want)
	}

	var back Rota
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	again, err := json.Marshal(back)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(b) {
		t.Errorf("round trip changed the JSON:\n%s\n%s", b, again)
	}
	loc, _ := r.Location()
	for _, lv := range []Level{Primary, Secondary} {
		if g, w := FormatShifts(back.shifts(lv), loc), FormatShifts(r.shifts(lv), loc); g != w {
			t.Errorf("%s: got %s, want %s", lv, g, w)
		}
	}
	for h := range 24 * 8 {
		at := ict(22, 0, 0).Add(time.Duration(h) * time.Hour)
		for _, lv := range []Level{Primary, Secondary} {
			if g, w := back.OnShift(lv, at), r.OnShift(lv, at); !slices.Equal(g, w) {
				t.Errorf("%s at %v: got %v after the round trip, want %v", lv, at, g, w)
			}
		}
	}
}

func TestRotaJSONErrors(t *testing.T) {
	tests := []struct {
		name string
		json string
		want string
	}{
		{"bad day name", `{"primary":[{"reviewer_id":1,"days":["mon","fry"],"start":"08:00","end":"20:00"}]}`, `"fry" is not a day`},
		{"days not a list", `{"primary":[{"reviewer_id":1,"days":"mon","start":"08:00","end":"20:00"}]}`, "days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Rota
			err := json.Unmarshal([]byte(tt.json), &r)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

func TestRotaValidate(t *testing.T) {
	tests := []struct {
		name string
		rota Rota
		want []string // "" items not allowed; nil means valid
	}{
		{"empty", Rota{}, nil},
		{"good", mustRota(t, "Asia/Bangkok", "1:daily@08:00-20:00", "2:daily@20:00-08:00"), nil},
		{"unknown zone", Rota{TimeZone: "Asia/Phnom Penh"}, []string{`time zone "Asia/Phnom Penh" is not known`}},
		{"bad shifts", Rota{
			Primary:   []Shift{{ReviewerID: 1, Days: Weekdays{time.Monday}, Start: "08:00", End: "20:00"}, {ReviewerID: 2}},
			Secondary: []Shift{{ReviewerID: 3, Days: Weekdays{time.Monday}, Start: "8am", End: "20:00"}},
		}, []string{"primary entry 2: the shift has no days", `secondary entry 1: "8am" is not a time`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rota.Validate()
			if tt.want == nil {
				if err != nil {
					t.Errorf("got %v, want no error", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("got no error, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestReviewerIDs(t *testing.T) {
	r := mustRota(t, "", "3:daily@08:00-20:00,1:mon@08:00-09:00", "3:daily@20:00-08:00,2:sun@08:00-09:00")
	if got, want := r.ReviewerIDs(), []int64{1, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestLevelString(t *testing.T) {
	tests := []struct {
		level Level
		want  string
	}{{Primary, "primary"}, {Secondary, "secondary"}, {Everyone, "everyone"}, {5, "everyone"}, {-1, "level(-1)"}}
	for _, tt := range tests {
		if got := tt.level.String(); got != tt.want {
			t.Errorf("Level(%d).String() = %q, want %q", int(tt.level), got, tt.want)
		}
	}
}

func TestRotaEncodeDecode(t *testing.T) {
	r := mustRota(t, "Asia/Bangkok", "1:mon-fri@08:00-18:00", "2:daily@18:00-08:00")
	doc, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeRota(doc)
	if err != nil {
		t.Fatal(err)
	}
	again, err := got.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(doc) {
		t.Errorf("decoded rota encodes as %s, want %s", again, doc)
	}
	if _, err := DecodeRota([]byte(`{"primary":`)); err == nil {
		t.Error("DecodeRota accepted a cut document")
	}
}
