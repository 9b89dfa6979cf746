package locales

import (
	"testing"
	"time"

	"github.com/tipline/tipline/locales/script"
	"github.com/tipline/tipline/reply"
)

func TestFormatPhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+85512345678", "+855 12 345 678"},
		{"+855971234567", "+855 97 123 4567"},
		{"+66812345678", "+66 81 234 5678"},
		{"+6621234567", "+66 2 123 4567"},
		{"+4420712345", "+4420712345"}, // not ours: unchanged
		{"+855123", "+855123"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := FormatPhone(tt.in); got != tt.want {
			t.Errorf("FormatPhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Every number Phone accepts comes out grouped.
	for _, in := range []string{"012 345 678", "097 123 4567", "081 234 5678", "02 123 4567"} {
		for _, country := range []string{"KH", "TH"} {
			e, ok := script.Phone(in, country)
			if !ok {
				t.Fatalf("Phone(%q) refused", in)
			}
			if got := FormatPhone(e); got == e {
				t.Errorf("FormatPhone(%q) left it ungrouped", e)
			}
		}
	}
}

// TestValuesInEachLanguage: values written by code read in the reader's
// language, with the units and the era of the catalogue.
func TestValuesInEachLanguage(t *testing.T) {
	c := MustLoad()
	day := reply.Day(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC))
	tests := []struct {
		lang string
		v    any
		want string
	}{
		{"en", reply.Elapsed(12 * time.Minute), "12 min"},
		{"km", reply.Elapsed(12 * time.Minute), "12 នាទី"},
		{"th", reply.Elapsed(12 * time.Minute), "12 นาที"},
		{"en", reply.Elapsed(3*time.Hour + 5*time.Minute), "3 h"},
		{"th", reply.Elapsed(47 * time.Hour), "47 ชม."},
		{"km", reply.Elapsed(50 * time.Hour), "2 ថ្ងៃ"},
		{"en", reply.Elapsed(-time.Minute), "0 min"}, // clocks a little apart
		{"en", reply.Years(9), "9 years"},
		{"en", reply.Years(1), "1 year"},
		{"km", reply.Years(9), "9 ឆ្នាំ"},
		{"th", reply.Years(9), "9 ปี"},
		{"en", day, "20/11/2026"},
		{"km", day, "20/11/2026"},
		{"th", day, "20/11/2569"},
		// One form everywhere: day and month in two digits.
		{"en", reply.Day(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)), "07/12/2026"},
		{"th", reply.Moment(time.Date(2026, 12, 7, 8, 5, 0, 0, time.UTC)), "07/12/2569 08:05"},
		{"en", reply.PhoneNumber("+85512345678"), "+855 12 345 678"},
		{"en", reply.MapLink{Lat: 13.65869, Lon: 102.5637}, "📍 on the map: https://maps.google.com/?q=13.65869,102.56370"},
	}
	for _, tt := range tests {
		if got, ok := c.Value(tt.lang, tt.v); !ok || got != tt.want {
			t.Errorf("%s %T %v = %q, want %q", tt.lang, tt.v, tt.v, got, tt.want)
		}
		// The same, as message data.
		got := c.Text(tt.lang, "summary_count", map[string]any{"Count": tt.v})
		if got != tt.want {
			t.Errorf("%s: a Value in data rendered %q, want %q", tt.lang, got, tt.want)
		}
	}
}

// TestPluralForms: English counts read "1 file", "2 files"; the count picks
// the form (the review's "(1 files)").
func TestPluralForms(t *testing.T) {
	c := MustLoad()
	for n, want := range map[int]string{1: "Sent (1 file)", 2: "Sent (2 files)"} {
		if got := c.Text("en", "rv_event_with_files", map[string]any{"What": "Sent", "Count": n}); got != want {
			t.Errorf("%d: %q, want %q", n, got, want)
		}
	}
	if got := c.Text("en", "tip_media_received", map[string]any{"Count": 1}); got != "We got 1 photo or video. Send more, or press Done." {
		t.Errorf("1 photo: %q", got)
	}
}
