package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline"
)

func TestPercentile(t *testing.T) {
	cases := []struct {
		name   string
		values []float64
		p      float64
		want   float64
	}{
		{"none", nil, 50, 0},
		{"one", []float64{7}, 90, 7},
		{"median of four is the second", []float64{4, 1, 3, 2}, 50, 2},
		{"p90 of ten is the ninth", []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 90, 9},
	}
	for _, tc := range cases {
		if got := percentile(tc.values, tc.p); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestWeeksStartOnMondayInTheTeamsZone(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Bangkok")
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 12, 2, 0, 0, 0, 0, loc) // a Wednesday
	weeks := weekStarts(from, from.AddDate(0, 0, 14), loc)
	if len(weeks) != 3 || weeks[0].Weekday() != time.Monday || weeks[0].Day() != 30 {
		t.Errorf("got %v, want three weeks from Monday 30 November", weeks)
	}
}

// TestNamesAreEscaped: a reviewer's name is typed by an admin; it must
// never become markup in the report.
func TestNamesAreEscaped(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	var out bytes.Buffer
	err := Render(&out, Input{
		Title: `Tipline <b>`, From: now.AddDate(0, 0, -7), To: now, Now: now,
		Reviewers: map[int64]string{1: `<script>alert(1)</script>`},
		Cases: []Case{{Kind: tipline.KindTip, Urgency: tipline.UrgencyNormal, Status: tipline.StatusAcknowledged,
			SubmittedAt: now.Add(-time.Hour), AcknowledgedAt: now.Add(-50 * time.Minute), Assignee: 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := out.String(); strings.Contains(s, "<script>") || strings.Contains(s, "Tipline <b>") || !strings.Contains(s, "&lt;script&gt;") {
		t.Errorf("a name reached the page unescaped:\n%s", s)
	}
}

// TestReferralsByPartner: the report counts referrals by partner, the
// partner with most first.
func TestReferralsByPartner(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	closed := func(partner string) Case {
		return Case{Kind: tipline.KindTip, Urgency: tipline.UrgencyNormal, Status: tipline.StatusClosed,
			Outcome: tipline.OutcomePartner, SubmittedAt: now.Add(-time.Hour), Partner: partner}
	}
	var out bytes.Buffer
	err := Render(&out, Input{Title: "Tipline", From: now.AddDate(0, 0, -7), To: now, Now: now,
		Cases: []Case{closed("Pattaya shelter"), closed("Poipet police"), closed("Poipet police"), {Kind: tipline.KindTip, SubmittedAt: now.Add(-time.Hour)}}})
	if err != nil {
		t.Fatal(err)
	}
	s := out.String()
	i, j := strings.Index(s, "Poipet police"), strings.Index(s, "Pattaya shelter")
	if !strings.Contains(s, "Referrals by partner") || i < 0 || j < 0 || i > j {
		t.Errorf("no referrals by partner, the most referred first, in the report")
	}
}
