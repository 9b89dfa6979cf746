package report

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/places"
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
		"Referrals by partner", "APLE Cambodia: 1 case", "Reviewer 1",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if strings.Contains(s, " 1 cases") {
		t.Error(`a count of one reads "1 cases"`)
	}
	// A long partner name wraps over lines instead of running off the chart.
	if !strings.Contains(s, `<tspan x="182" dy="14">`) {
		t.Error("a long partner name was not wrapped")
	}
}

// everything is a period with a case in every category the report
// draws, so every chart has bars and every legend its entries.
func everything() []tipline.ReportCase {
	var cases []tipline.ReportCase
	for i, o := range []tipline.Outcome{tipline.OutcomePartner, tipline.OutcomePolice, tipline.OutcomeNoAction, tipline.OutcomeDuplicate,
		tipline.OutcomeFalse, tipline.OutcomeFoundSafe, tipline.OutcomeFoundHarmed, tipline.OutcomeFoundOther, ""} {
		kind, status := tipline.KindTip, tipline.StatusClosed
		if o.Found() {
			kind = tipline.KindMissing
		}
		if o == "" {
			status = tipline.StatusReceived
		}
		cases = append(cases, tipline.ReportCase{Kind: kind, Urgency: tipline.UrgencyNormal, Status: status, Outcome: o, Lang: []string{"km", "th", "en"}[i%3],
			Assignee: 1, Partners: []string{"APLE Cambodia"}, Escalations: 1,
			Province: []string{"KH/Siem Reap", "TH/Bangkok", ""}[i%3]})
	}
	for _, e := range append(slices.Clone(tipline.Exploitations), "") {
		cases = append(cases, tipline.ReportCase{Kind: tipline.KindTip, Urgency: tipline.UrgencyUrgent, Status: tipline.StatusReceived, Exploitation: e, Lang: "km"})
	}
	return cases
}

// TestEverySwatchMeansOneThing: across the whole report, two different
// categories never share a swatch (colour and pattern), and a category
// has the same swatch wherever it is drawn, its bars as its legend; every
// pattern a fill names is drawn.
func TestEverySwatchMeansOneThing(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	cases := everything()
	for i := range cases {
		cases[i].SubmittedAt = now.Add(-time.Hour)
		cases[i].AcknowledgedAt = now.Add(-50 * time.Minute)
	}
	var out bytes.Buffer
	if err := Render(&out, Input{Title: "Tipline", From: now.AddDate(0, 0, -7), To: now, Now: now, Cases: cases,
		Deadlines: map[tipline.Urgency]time.Duration{tipline.UrgencyNormal: time.Minute}}); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	labelOf, fillOf := map[string]string{}, map[string]string{}
	see := func(fill, label string) {
		if l, ok := labelOf[fill]; ok && l != label {
			t.Errorf("%q and %q share the swatch %s", l, label, fill)
		}
		if f, ok := fillOf[label]; ok && f != fill {
			t.Errorf("%q is drawn %s in one place and %s in another", label, f, fill)
		}
		labelOf[fill], fillOf[label] = label, fill
	}
	for _, m := range regexp.MustCompile(`fill="([^"]+)" stroke="[^"]+"/><text [^>]*>([^<]+)</text>`).FindAllStringSubmatch(s, -1) {
		see(m[1], m[2])
	}
	legends := len(labelOf)
	for _, m := range regexp.MustCompile(`fill="([^"]+)"><title>([^,<]+), week of`).FindAllStringSubmatch(s, -1) {
		see(m[1], m[2])
	}
	// 2 kinds, 7 exploitations, 3 found, 3 languages, 3 countries, 2
	// urgencies, 9 outcomes (3 of them found again), 2 times, 2
	// escalations, load, referrals.
	if legends != 32 || len(labelOf) != legends {
		t.Errorf("got %d legend swatches (%d with the bars), want 32 and no bar without its legend: %v", legends, len(labelOf), fillOf)
	}
	for fill := range labelOf {
		if id, ok := strings.CutPrefix(fill, "url(#"); ok && !strings.Contains(s, `<pattern id="`+strings.TrimSuffix(id, ")")+`"`) {
			t.Errorf("%s is not drawn", fill)
		}
	}
	// The provinces are drawn in their country's swatch.
	if !strings.Contains(s, `fill="`+swatches["country:KH"].fill()+`"><title>Siem Reap: 3 cases`) {
		t.Error("Siem Reap is not a bar of 3 cases in Cambodia's swatch")
	}
}

// TestSwatchesAreDistinct: the table itself gives no two categories one
// swatch, and takes its colours from the colour-blind-safe palette.
func TestSwatchesAreDistinct(t *testing.T) {
	owner := map[swatch]string{}
	for k, s := range swatches {
		if o, ok := owner[s]; ok {
			t.Errorf("%s and %s share %v", o, k, s)
		}
		owner[s] = k
		if !slices.Contains(palette, s.Colour) {
			t.Errorf("%s: %s is not in the palette", k, s.Colour)
		}
	}
}

// TestCountsByCountryAndProvince: cases count by country per week and
// by province, the most first, named in the board's language; a case
// whose place is not known is counted as such, never given a province.
func TestCountsByCountryAndProvince(t *testing.T) {
	cases := []tipline.ReportCase{
		{Kind: tipline.KindTip, Province: "KH/Siem Reap"}, {Kind: tipline.KindTip, Province: "KH/Siem Reap"},
		{Kind: tipline.KindTip, Province: "TH/Bangkok"}, {Kind: tipline.KindMissing}, {Kind: tipline.KindMissing},
	}
	en := render(t, "en", cases)
	for _, want := range []string{
		"Cases per week, by country", "Cambodia, week of", "Thailand, week of", "Place not known, week of",
		"Siem Reap: 2 cases", "Bangkok: 1 case", "place not known: 2.",
	} {
		if !strings.Contains(en, want) {
			t.Errorf("en: the report lacks %q", want)
		}
	}
	if i, j := strings.Index(en, "Siem Reap: 2"), strings.Index(en, "Bangkok: 1"); i > j {
		t.Error("the province with most cases is not first")
	}
	km := render(t, "km", cases)
	th := render(t, "th", cases)
	for _, c := range []struct{ lang, page, want string }{
		{"km", km, "សៀមរាប:"}, {"km", km, "បាងកក:"}, {"km", km, "កម្ពុជា"},
		{"th", th, "เสียมราฐ:"}, {"th", th, "กรุงเทพมหานคร:"}, {"th", th, "ไม่ทราบสถานที่"},
	} {
		if !strings.Contains(c.page, c.want) {
			t.Errorf("%s: the report lacks %q", c.lang, c.want)
		}
	}
	// Only the ten provinces with most cases are drawn.
	var many []tipline.ReportCase
	for i, p := range places.All()[:12] {
		for range 12 - i {
			many = append(many, tipline.ReportCase{Kind: tipline.KindTip, Province: p.Key()})
		}
	}
	top := render(t, "en", many)
	if !strings.Contains(top, "Banteay Meanchey: 12 cases") || !strings.Contains(top, "Kratie: 3 cases") || strings.Contains(top, "Mondulkiri:") || strings.Contains(top, "Phnom Penh:") {
		t.Error("the province chart does not hold exactly the ten provinces with most cases")
	}
	if none := render(t, "en", []tipline.ReportCase{{Kind: tipline.KindTip}}); !strings.Contains(none, "No case named a province in this period.") {
		t.Error("a period with no province known does not say so")
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
