// Package report renders the board report: one self-contained HTML page
// (no script, no font, image or style from elsewhere) with charts drawn as
// inline SVG. It shows counts and times only: no report content, no
// reporter, no case reference. It is pure: data in, HTML out.
package report

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tipline/tipline"
)

// Case is one case as the report counts it.
type Case struct {
	Kind           tipline.Kind
	Urgency        tipline.Urgency
	Status         tipline.Status
	Outcome        tipline.Outcome
	SubmittedAt    time.Time
	AcknowledgedAt time.Time // zero when nobody took it
	Assignee       int64     // 0 when nobody took it
	Escalations    int       // "Escalate" presses by reviewers
	// Partner is the name of the partner the case was referred to, "" for
	// none: the report counts referrals by partner.
	Partner string
}

// Input is everything the report shows.
type Input struct {
	// Title names the organisation or the tip line, e.g. "Tipline".
	Title string
	// From and To bound the period: cases submitted in [From, To).
	From, To time.Time
	// Location is the team's time zone: weeks start on Monday there.
	Location *time.Location
	Cases    []Case
	// Reviewers names reviewers by id, for the load chart.
	Reviewers map[int64]string
	// Deadlines are the acknowledgement deadlines by urgency: a case not
	// taken within its deadline went on to the next level.
	Deadlines map[tipline.Urgency]time.Duration
	// Now is when the report is made: open cases are aged to it.
	Now     time.Time
	Version string
}

// palette is readable by people with the common colour blindnesses
// (Okabe and Ito).
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999", "#F0E442"}

type tile struct{ Label, Value, Note string }

type page struct {
	Title, Period, Generated, Version string
	Tiles                             []tile
	Charts                            []chart
}

type chart struct {
	Title, Caption string
	SVG            template.HTML
}

// Render writes the report.
func Render(w io.Writer, in Input) error {
	loc := in.Location
	if loc == nil {
		loc = time.UTC
	}
	weeks := weekStarts(in.From, in.To, loc)
	labels := make([]string, len(weeks))
	for i, wk := range weeks {
		labels[i] = wk.Format("2 Jan")
	}
	weekOf := func(t time.Time) int {
		i := sort.Search(len(weeks), func(i int) bool { return weeks[i].After(t.In(loc)) }) - 1
		return max(i, 0)
	}
	count := func(key func(Case) string, keys []string) []series {
		out := make([]series, len(keys))
		for i, k := range keys {
			out[i] = series{Name: k, Color: palette[i%len(palette)], Values: make([]float64, len(weeks))}
		}
		for _, c := range in.Cases {
			if i := slices.Index(keys, key(c)); i >= 0 {
				out[i].Values[weekOf(c.SubmittedAt)]++
			}
		}
		return out
	}

	byKind := count(func(c Case) string { return kindName[c.Kind] }, []string{"Tip", "Missing child"})
	byUrgency := count(func(c Case) string { return urgencyName[c.Urgency] }, []string{"Urgent", "Normal"})
	outcomeKeys := []string{"Referred to police", "Referred to a partner", "No action needed", "Duplicate", "False report", "Still open"}
	byOutcome := count(func(c Case) string {
		if c.Status != tipline.StatusClosed {
			return "Still open"
		}
		return outcomeName[c.Outcome]
	}, outcomeKeys)

	// Time to acknowledge, per week and overall.
	ackWeek := make([][]float64, len(weeks))
	var ackAll []float64
	late := make([]float64, len(weeks))
	manual := make([]float64, len(weeks))
	taken, open, urgent, missing, lateAll := 0, 0, 0, 0, 0
	load := map[int64]float64{}
	for _, c := range in.Cases {
		i := weekOf(c.SubmittedAt)
		if c.Urgency == tipline.UrgencyUrgent {
			urgent++
		}
		if c.Kind == tipline.KindMissing {
			missing++
		}
		if c.Status != tipline.StatusClosed {
			open++
		}
		waited := in.Now.Sub(c.SubmittedAt)
		if !c.AcknowledgedAt.IsZero() {
			taken++
			waited = c.AcknowledgedAt.Sub(c.SubmittedAt)
			minutes := waited.Minutes()
			ackWeek[i] = append(ackWeek[i], minutes)
			ackAll = append(ackAll, minutes)
		}
		if c.Assignee != 0 {
			load[c.Assignee]++
		}
		if d, ok := in.Deadlines[c.Urgency]; ok && d > 0 && waited > d {
			late[i]++
			lateAll++
		}
		manual[i] += float64(c.Escalations)
	}
	p50 := make([]float64, len(weeks))
	p90 := make([]float64, len(weeks))
	for i, v := range ackWeek {
		p50[i], p90[i] = percentile(v, 50), percentile(v, 90)
	}

	var names []string
	var values []float64
	ids := make([]int64, 0, len(load))
	for id := range load {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b int64) int {
		if load[a] != load[b] {
			return int(load[b] - load[a])
		}
		return int(a - b)
	})
	for _, id := range ids {
		name := in.Reviewers[id]
		if name == "" {
			name = fmt.Sprintf("Reviewer %d", id)
		}
		names = append(names, name)
		values = append(values, load[id])
	}

	referrals := map[string]int{}
	for _, c := range in.Cases {
		if c.Partner != "" {
			referrals[c.Partner]++
		}
	}
	partners := make([]string, 0, len(referrals))
	for name := range referrals {
		partners = append(partners, name)
	}
	slices.SortFunc(partners, func(a, b string) int {
		if referrals[a] != referrals[b] {
			return referrals[b] - referrals[a]
		}
		return strings.Compare(a, b)
	})
	partnerCounts := make([]float64, len(partners))
	for i, name := range partners {
		partnerCounts[i] = float64(referrals[name])
	}

	total := len(in.Cases)
	p := page{
		Title:     in.Title,
		Period:    in.From.In(loc).Format("2 January 2006") + " to " + in.To.Add(-time.Nanosecond).In(loc).Format("2 January 2006"),
		Generated: in.Now.In(loc).Format("2 January 2006 15:04 MST"),
		Version:   in.Version,
		Tiles: []tile{
			{"Cases", fmt.Sprint(total), fmt.Sprintf("%d urgent, %d missing children", urgent, missing)},
			{"Taken by a reviewer", fmt.Sprint(taken), percent(taken, total)},
			{"Time to take, median", minutesText(percentile(ackAll, 50)), "from the report to \"I take it\""},
			{"Time to take, 90th percentile", minutesText(percentile(ackAll, 90)), "9 in 10 cases were taken faster"},
			{"Not taken within the deadline", fmt.Sprint(lateAll), "went on to the next reviewers"},
			{"Still open", fmt.Sprint(open), "at " + in.Now.In(loc).Format("2 Jan 15:04")},
		},
		Charts: []chart{
			{"Cases per week, by kind", "Reports received each week (weeks start on Monday).", bars(labels, byKind, true, "cases")},
			{"Cases per week, by urgency", "Urgent: a child in danger now, or missing.", bars(labels, byUrgency, true, "cases")},
			{"Cases per week, by outcome", "How the cases received that week were closed so far.", bars(labels, byOutcome, true, "cases")},
			{"Time to acknowledge", "Minutes from the report to a reviewer pressing \"I take it\", for cases received that week.",
				bars(labels, []series{{"Median (p50)", palette[0], p50}, {"90th percentile (p90)", palette[1], p90}}, false, "minutes")},
			{"Escalations", "Cases not taken within their deadline (so sent on to the secondary reviewers, then everyone), and cases a reviewer escalated by hand.",
				bars(labels, []series{{"Not taken within the deadline", palette[5], late}, {"Escalated by a reviewer", palette[3], manual}}, true, "cases")},
			{"Load on each reviewer", "Cases each reviewer took in the period.", hbars(names, values, palette[2], "cases taken by each reviewer", "No case was taken in this period.")},
			{"Referrals by partner", "Cases closed as referred, by the partner they were referred to.", hbars(partners, partnerCounts, palette[0], "cases referred to each partner", "No case was referred to a partner in this period.")},
		},
	}
	return pageTemplate.Execute(w, p)
}

var (
	kindName    = map[tipline.Kind]string{tipline.KindTip: "Tip", tipline.KindMissing: "Missing child"}
	urgencyName = map[tipline.Urgency]string{tipline.UrgencyUrgent: "Urgent", tipline.UrgencyNormal: "Normal"}
	outcomeName = map[tipline.Outcome]string{
		tipline.OutcomePolice: "Referred to police", tipline.OutcomePartner: "Referred to a partner",
		tipline.OutcomeNoAction: "No action needed", tipline.OutcomeDuplicate: "Duplicate", tipline.OutcomeFalse: "False report",
	}
)

// weekStarts returns the Monday (00:00 in loc) of every week that
// overlaps [from, to).
func weekStarts(from, to time.Time, loc *time.Location) []time.Time {
	f := from.In(loc)
	start := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, loc)
	for start.Weekday() != time.Monday {
		start = start.AddDate(0, 0, -1)
	}
	var out []time.Time
	for wk := start; wk.Before(to); wk = wk.AddDate(0, 0, 7) {
		out = append(out, wk)
	}
	if len(out) == 0 {
		out = append(out, start)
	}
	return out
}

// percentile is the nearest-rank percentile of values; 0 for none.
func percentile(values []float64, p float64) float64 {
	if len(values) == 0 {
		return 0
	}
	s := slices.Clone(values)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1]
}

func minutesText(m float64) string {
	switch {
	case m == 0:
		return "–"
	case m < 1:
		return fmt.Sprintf("%.0f s", m*60)
	case m < 120:
		return fmt.Sprintf("%.0f min", m)
	}
	return fmt.Sprintf("%.1f h", m/60)
}

func percent(n, of int) string {
	if of == 0 {
		return "no cases"
	}
	return fmt.Sprintf("%.0f%% of the cases", 100*float64(n)/float64(of))
}

var pageTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{{.Title}}: report for {{.Period}}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", sans-serif; margin: 0; color: #1b1f23; background: #f6f7f9; }
main { max-width: 860px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.6rem; margin: 0 0 4px; }
.period { color: #57606a; margin: 0 0 20px; }
.tiles { display: grid; grid-template-columns: repeat(3, 1fr); gap: 12px; margin-bottom: 24px; }
.tile { background: #fff; border-radius: 8px; padding: 12px 14px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
.tile .v { font-size: 1.6rem; font-weight: 600; }
.tile .l { font-size: .85rem; color: #57606a; }
.tile .n { font-size: .75rem; color: #8c959f; }
section { background: #fff; border-radius: 8px; padding: 14px 16px 8px; margin-bottom: 18px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
h2 { font-size: 1.05rem; margin: 0 0 2px; }
.caption { font-size: .85rem; color: #57606a; margin: 0 0 8px; }
svg { display: block; width: 100%; height: auto; }
svg text { font-family: inherit; fill: #424a53; }
footer { color: #8c959f; font-size: .75rem; text-align: center; padding: 8px 0 24px; }
@media print { body { background: #fff; } section, .tile { box-shadow: none; border: 1px solid #d0d7de; } section { break-inside: avoid; } }
</style>
</head>
<body>
<main>
<h1>{{.Title}}: report to the board</h1>
<p class="period">Cases received from {{.Period}}. Counts and times only: no report content, no reporter, no case reference.</p>
<div class="tiles">
{{range .Tiles}}<div class="tile"><div class="l">{{.Label}}</div><div class="v">{{.Value}}</div><div class="n">{{.Note}}</div></div>
{{end}}</div>
{{range .Charts}}<section>
<h2>{{.Title}}</h2>
<p class="caption">{{.Caption}}</p>
{{.SVG}}
</section>
{{end}}<footer>Made by tipline report {{.Version}} on {{.Generated}}. Closed cases past the retention period are deleted and no longer counted.</footer>
</main>
</body>
</html>
`))
