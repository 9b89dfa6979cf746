package report

import (
	"bytes"
	"regexp"
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
		Cases: []tipline.ReportCase{{Kind: tipline.KindTip, Urgency: tipline.UrgencyNormal, Status: tipline.StatusAcknowledged,
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
	closed := func(partner string) tipline.ReportCase {
		return tipline.ReportCase{Kind: tipline.KindTip, Urgency: tipline.UrgencyNormal, Status: tipline.StatusClosed,
			Outcome: tipline.OutcomePartner, SubmittedAt: now.Add(-time.Hour), Partners: []string{partner}}
	}
	var out bytes.Buffer
	err := Render(&out, Input{Title: "Tipline", From: now.AddDate(0, 0, -7), To: now, Now: now,
		Cases: []tipline.ReportCase{closed("Pattaya shelter"), closed("Poipet police"), closed("Poipet police"), {Kind: tipline.KindTip, SubmittedAt: now.Add(-time.Hour)}}})
	if err != nil {
		t.Fatal(err)
	}
	s := out.String()
	i, j := strings.Index(s, "Poipet police"), strings.Index(s, "Pattaya shelter")
	if !strings.Contains(s, "Referrals by partner") || i < 0 || j < 0 || i > j {
		t.Errorf("no referrals by partner, the most referred first, in the report")
	}
}

// render is the report of cases in lang, as a string.
func render(t *testing.T, lang string, cases []tipline.ReportCase) string {
	t.Helper()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for i := range cases {
		if cases[i].SubmittedAt.IsZero() {
			cases[i].SubmittedAt = now.Add(-time.Hour)
		}
	}
	var out bytes.Buffer
	if err := Render(&out, Input{Title: "Tipline", Lang: lang, From: now.AddDate(0, 0, -7), To: now, Now: now, Cases: cases,
		Reviewers: map[int64]string{}}); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestBoardCounts: what a board asks for is counted: missing children
// found (safe, harmed, other), kinds of exploitation, the reporters'
// languages, a case referred to two partners counted for each, with
// correct plurals; reviewers are "Reviewer N" unless named.
func TestBoardCounts(t *testing.T) {
	missing := func(o tipline.Outcome) tipline.ReportCase {
		return tipline.ReportCase{Kind: tipline.KindMissing, Urgency: tipline.UrgencyUrgent, Status: tipline.StatusClosed, Outcome: o, Lang: "th"}
	}
	one := render(t, "en", []tipline.ReportCase{missing(tipline.OutcomeFoundSafe)})
	if !strings.Contains(one, "1 missing child<") || strings.Contains(one, "1 missing children") {
		t.Error(`one missing child is not "1 missing child"`)
	}
	s := render(t, "en", []tipline.ReportCase{
		missing(tipline.OutcomeFoundSafe), missing(tipline.OutcomeFoundHarmed), missing(tipline.OutcomeNoAction),
		{Kind: tipline.KindTip, Urgency: tipline.UrgencyNormal, Status: tipline.StatusClosed, Outcome: tipline.OutcomePartner,
			Exploitation: tipline.ExploitLabour, Lang: "km", Assignee: 7,
			Partners: []string{"Anti-Human Trafficking and Juvenile Protection Department, Banteay Meanchey", "APLE Cambodia"}},
	})
	for _, want := range []string{
		"3 missing children", "Missing children found", "of 3 missing children: 1 safe, 1 harmed, 0 other",
		"Child found safe, week of", "Forced labour, week of", "ភាសាខ្មែរ, week of", "ภาษาไทย, week of",
		"Referrals by partner", "APLE Cambodia: 1 cases", "Reviewer 1",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	// A long partner name wraps over lines instead of running off the chart.
	if !strings.Contains(s, `<tspan x="182" dy="14">`) {
		t.Error("a long partner name was not wrapped")
	}
}

// TestColoursKeepTheirMeaning: a category has one colour in every chart
// (a found child is green wherever it is counted), and no colour means
// two things in one chart.
func TestColoursKeepTheirMeaning(t *testing.T) {
	s := render(t, "en", []tipline.ReportCase{
		{Kind: tipline.KindMissing, Status: tipline.StatusClosed, Outcome: tipline.OutcomeFoundSafe, Lang: "km"},
		{Kind: tipline.KindTip, Status: tipline.StatusClosed, Outcome: tipline.OutcomeNoAction, Lang: "km"},
	})
	re := regexp.MustCompile(`fill="(#[0-9A-F]{6})"><title>([^,<]+), week of`)
	colourOf := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		if c, ok := colourOf[m[2]]; ok && c != m[1] {
			t.Errorf("%s is %s in one chart and %s in another", m[2], c, m[1])
		}
		colourOf[m[2]] = m[1]
	}
	if colourOf["Child found safe"] == "" || len(colourOf) < 5 {
		t.Fatalf("colours found: %v", colourOf)
	}
	for _, group := range [][]string{{"Child at risk", "Missing child"}, {"Child found safe", "No action needed"}} {
		if colourOf[group[0]] == colourOf[group[1]] {
			t.Errorf("%s and %s share a colour in one chart", group[0], group[1])
		}
	}
}

// TestReportInEveryLanguage: --lang km and th write the whole page in the
// catalogue's words: no English title, heading or chart title is left.
func TestReportInEveryLanguage(t *testing.T) {
	cases := []tipline.ReportCase{{Kind: tipline.KindMissing, Status: tipline.StatusClosed, Outcome: tipline.OutcomeFoundSafe, Lang: "km", Assignee: 1}}
	en := render(t, "en", cases)
	for _, lang := range []string{"km", "th"} {
		s := render(t, lang, cases)
		if !strings.Contains(s, `<html lang="`+lang+`">`) {
			t.Errorf("%s: the page does not say its language", lang)
		}
		for _, english := range []string{"figures for the board", "Cases per week", "Missing children found", "Referrals by partner", "week of", "Reviewer 1", "Still open"} {
			if strings.Contains(en, english) && strings.Contains(s, english) {
				t.Errorf("%s: English %q left in the report", lang, english)
			}
		}
	}
	if th := render(t, "th", cases); !strings.Contains(th, "2569") {
		t.Error("th: dates are not in the Buddhist era")
	}
}

// TestUnnamedReviewersKeepTheirNumber: without names, a reviewer is
// "Reviewer N" by the order they joined, the same in every report,
// whoever else worked that period.
func TestUnnamedReviewersKeepTheirNumber(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	var out bytes.Buffer
	err := Render(&out, Input{Title: "Tipline", From: now.AddDate(0, 0, -7), To: now, Now: now, Team: []int64{5, 7, 9},
		Cases: []tipline.ReportCase{{Kind: tipline.KindTip, Status: tipline.StatusAcknowledged, SubmittedAt: now.Add(-time.Hour), AcknowledgedAt: now.Add(-50 * time.Minute), Assignee: 7}}})
	if err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "Reviewer 2") || strings.Contains(s, "Reviewer 1<") {
		t.Errorf("the only reviewer who worked, the second to join, is not Reviewer 2")
	}
}
