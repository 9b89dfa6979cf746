// Package report renders the board report: one self-contained HTML page
// (no script, no font, image or style from elsewhere) with charts drawn as
// inline SVG, in the board's language (the catalogue's words). It shows
// counts and times only: no report content, no reporter, no case
// reference. It is pure: data in, HTML out.
package report

import (
	"fmt"
	"html/template"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/locales"
	"github.com/tipline/tipline/places"
	"github.com/tipline/tipline/reply"
)

// Input is everything the report shows.
type Input struct {
	// Title names the organisation or the tip line, e.g. "Tipline".
	Title string
	// Lang is the language the report is written in (en, km, th), with
	// the catalogue's words; English when empty.
	Lang string
	// From and To bound the period: cases submitted in [From, To).
	From, To time.Time
	// Location is the team's time zone: weeks start on Monday there.
	Location *time.Location
	Cases    []tipline.ReportCase
	// Reviewers names reviewers by id, for the load chart; a reviewer not
	// named is shown as "Reviewer N", N their place in Team.
	Reviewers map[int64]string
	// Team is every reviewer's id, in the order they joined.
	Team []int64
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

// swatches give each category one swatch, a colour and a pattern, in the
// whole report: the same category looks the same in every chart (a child
// found safe is solid green wherever it is counted) and no two categories
// look alike anywhere, though eight colours serve every category. The
// kinds, found children and the reporters' languages are solid; urgency
// and outcomes hatched; kinds of exploitation dotted; time, escalations,
// load and referrals cross-hatched; countries striped.
var swatches = map[string]swatch{
	"kind:tip": {"#0072B2", solid}, "kind:missing": {"#E69F00", solid},
	"outcome:found_safe": {"#009E73", solid}, "outcome:found_harmed": {"#D55E00", solid}, "outcome:open": {"#999999", solid},
	"lang:km": {"#56B4E9", solid}, "lang:th": {"#CC79A7", solid}, "lang:en": {"#F0E442", solid},

	"urgency:urgent": {"#D55E00", hatched}, "urgency:normal": {"#56B4E9", hatched},
	"outcome:partner": {"#009E73", hatched}, "outcome:police": {"#0072B2", hatched}, "outcome:no_action": {"#999999", hatched},
	"outcome:duplicate": {"#CC79A7", hatched}, "outcome:false": {"#F0E442", hatched}, "outcome:found_other": {"#E69F00", hatched},

	"exploitation:sale": {"#D55E00", dotted}, "exploitation:sexual": {"#CC79A7", dotted}, "exploitation:labour": {"#E69F00", dotted},
	"exploitation:begging": {"#F0E442", dotted}, "exploitation:online": {"#56B4E9", dotted}, "exploitation:other": {"#0072B2", dotted},
	"exploitation:": {"#999999", dotted},

	"ack:p50": {"#0072B2", crossed}, "ack:p90": {"#E69F00", crossed},
	"escalation:late": {"#D55E00", crossed}, "escalation:manual": {"#CC79A7", crossed},
	"load": {"#009E73", crossed}, "referrals": {"#56B4E9", crossed},

	"country:KH": {"#0072B2", striped}, "country:TH": {"#D55E00", striped}, "country:": {"#999999", striped},
}

// topProvinces is how many provinces the province chart shows.
const topProvinces = 10

type tile struct{ Label, Value, Note string }

type page struct {
	Lang, HTMLTitle, Heading, Intro, Footer string
	// Defs are the patterns of the hatched, dotted, crossed and striped
	// swatches, drawn once for every chart.
	Defs   template.HTML
	Tiles  []tile
	Charts []chart
}

type chart struct {
	Title, Caption string
	SVG            template.HTML
}

// catalog holds the words of the report in every language.
var catalog = locales.MustLoad()

// words writes the report's messages in one language.
type words struct{ lang string }

func (w words) t(id string, data map[string]any) string { return catalog.Text(w.lang, id, data) }

// n is a count with its noun: "1 missing child", "3 missing children"
// (the catalogue's _one form for 1, its _other form otherwise).
func (w words) n(id string, n int) string {
	if n == 1 {
		return w.t(id+"_one", map[string]any{"N": n})
	}
	return w.t(id+"_other", map[string]any{"N": n})
}

// day is a date as the reader writes it (Buddhist era in Thai).
func (w words) day(t time.Time) string {
	s, _ := catalog.Value(w.lang, reply.Day(t))
	return s
}

// Render writes the report.
func Render(w io.Writer, in Input) error {
	loc := in.Location
	if loc == nil {
		loc = time.UTC
	}
	lang := in.Lang
	if lang == "" {
		lang = tipline.LangEnglish
	}
	say := words{lang}
	weeks := weekStarts(in.From, in.To, loc)
	labels := make([]string, len(weeks))
	for i, wk := range weeks {
		labels[i] = fmt.Sprintf("%02d/%02d", wk.Day(), int(wk.Month()))
	}
	weekOf := func(t time.Time) int {
		i := sort.Search(len(weeks), func(i int) bool { return weeks[i].After(t.In(loc)) }) - 1
		return max(i, 0)
	}
	// count makes one series per category key, named by the catalogue and
	// coloured by the category, counting the cases key gives that key.
	count := func(group string, key func(tipline.ReportCase) string, keys []string, name func(string) string) []series {
		out := make([]series, len(keys))
		for i, k := range keys {
			out[i] = series{Name: name(k), Swatch: swatches[group+":"+k], Values: make([]float64, len(weeks))}
		}
		for _, c := range in.Cases {
			if i := slices.Index(keys, key(c)); i >= 0 {
				out[i].Values[weekOf(c.SubmittedAt)]++
			}
		}
		return out
	}
	msg := func(prefix string) func(string) string {
		return func(k string) string { return say.t(prefix+k, nil) }
	}

	byKind := count("kind", func(c tipline.ReportCase) string { return string(c.Kind) }, []string{"tip", "missing"}, msg("board_kind_"))
	byUrgency := count("urgency", func(c tipline.ReportCase) string { return string(c.Urgency) }, []string{"urgent", "normal"}, msg("board_urgency_"))
	outcomeKeys := []string{"partner", "police", "no_action", "duplicate", "false", "found_safe", "found_harmed", "found_other", "open"}
	outcomeName := func(k string) string {
		if k == "open" {
			return say.t("board_still_open", nil)
		}
		return say.t("outcome_"+k, nil)
	}
	byOutcome := count("outcome", func(c tipline.ReportCase) string {
		if c.Status != tipline.StatusClosed {
			return "open"
		}
		return string(c.Outcome)
	}, outcomeKeys, outcomeName)
	exploitKeys := []string{}
	for _, e := range tipline.Exploitations {
		exploitKeys = append(exploitKeys, string(e))
	}
	exploitKeys = append(exploitKeys, "")
	byExploitation := count("exploitation", func(c tipline.ReportCase) string {
		if c.Kind != tipline.KindTip {
			return "-"
		}
		return string(c.Exploitation)
	}, exploitKeys, func(k string) string {
		if k == "" {
			return say.t("board_unclassified", nil)
		}
		return say.t("exploitation_"+k, nil)
	})
	byLanguage := count("lang", func(c tipline.ReportCase) string { return c.Lang }, []string{"km", "th", "en"}, msg("language_name_"))
	countryOf := func(c tipline.ReportCase) string {
		if p, ok := places.ByKey(c.Province); ok {
			return p.Country
		}
		return ""
	}
	byCountry := count("country", countryOf, []string{places.Cambodia, places.Thailand, ""}, func(k string) string {
		if k == "" {
			return say.t("board_place_unknown", nil)
		}
		return say.t("country_"+strings.ToLower(k), nil)
	})
	provinceNames, provinceCounts, provinceSwatches, placeUnknown := byProvince(in.Cases, lang)
	foundKeys := []string{"found_safe", "found_harmed", "found_other"}
	found := count("outcome", func(c tipline.ReportCase) string {
		if c.Kind != tipline.KindMissing || c.Status != tipline.StatusClosed {
			return ""
		}
		return string(c.Outcome)
	}, foundKeys, outcomeName)

	// Time to acknowledge, per week and overall.
	ackWeek := make([][]float64, len(weeks))
	var ackAll []float64
	late := make([]float64, len(weeks))
	manual := make([]float64, len(weeks))
	taken, open, urgent, missing, lateAll := 0, 0, 0, 0, 0
	foundBy := map[tipline.Outcome]int{}
	load := map[int64]float64{}
	for _, c := range in.Cases {
		i := weekOf(c.SubmittedAt)
		if c.Urgency == tipline.UrgencyUrgent {
			urgent++
		}
		if c.Kind == tipline.KindMissing {
			missing++
			if c.Status == tipline.StatusClosed && c.Outcome.Found() {
				foundBy[c.Outcome]++
			}
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
	// Unnamed reviewers are numbered in the order they joined (Team, or
	// their ids), so "Reviewer 2" is the same person from one report to
	// the next.
	byID := in.Team
	if len(byID) == 0 {
		byID = slices.Sorted(maps.Keys(load))
	}
	for _, id := range ids {
		name := in.Reviewers[id]
		if name == "" {
			name = say.t("board_reviewer_n", map[string]any{"N": slices.Index(byID, id) + 1})
		}
		names = append(names, name)
		values = append(values, load[id])
	}

	referrals := map[string]int{}
	for _, c := range in.Cases {
		for _, p := range c.Partners {
			referrals[p]++
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
	period := say.t("board_period_range", map[string]any{"From": say.day(in.From.In(loc)), "To": say.day(in.To.Add(-time.Nanosecond).In(loc))})
	generated := say.day(in.Now.In(loc)) + " " + in.Now.In(loc).Format("15:04 MST")
	const cases, minutes = "board_unit_cases", "board_unit_minutes"
	ch := chartWords{weekOf: say.t("board_week_of", nil), bar: func(series, week, n, unit string) string {
		return say.t("board_bar", map[string]any{"Series": series, "Week": week, "N": n, "Unit": unit})
	}, perWeek: func(what, unit string) string {
		return say.t("board_chart_aria", map[string]any{"What": what, "Unit": unit})
	}, unit: func(id string, v float64) string {
		if v == 1 {
			return say.t(id+"_one", nil)
		}
		return say.t(id+"_other", nil)
	}}
	countryLegend := slices.Clone(byCountry[:2])
	provinceCaption := say.t("board_chart_province_caption", map[string]any{"N": topProvinces, "Unknown": placeUnknown})
	p := page{
		Lang:      lang,
		Defs:      patternDefs(),
		HTMLTitle: say.t("board_html_title", map[string]any{"Title": in.Title, "Period": period}),
		Heading:   say.t("board_heading", map[string]any{"Title": in.Title}),
		Intro:     say.t("board_intro", map[string]any{"Period": period}),
		Footer:    say.t("board_footer", map[string]any{"Version": in.Version, "Generated": generated}),
		Tiles: []tile{
			{say.t("board_tile_cases", nil), fmt.Sprint(total), say.t("board_tile_cases_note", map[string]any{"Urgent": urgent, "Missing": say.n("board_missing", missing)})},
			{say.t("board_tile_taken", nil), fmt.Sprint(taken), percent(say, taken, total)},
			{say.t("board_tile_p50", nil), minutesText(say, percentile(ackAll, 50)), say.t("board_tile_p50_note", nil)},
			{say.t("board_tile_p90", nil), minutesText(say, percentile(ackAll, 90)), say.t("board_tile_p90_note", nil)},
			{say.t("board_tile_late", nil), fmt.Sprint(lateAll), say.t("board_tile_late_note", nil)},
			{say.t("board_tile_open", nil), fmt.Sprint(open), say.t("board_tile_open_note", map[string]any{"When": generated})},
			{say.t("board_tile_found", nil), fmt.Sprint(foundBy[tipline.OutcomeFoundSafe] + foundBy[tipline.OutcomeFoundHarmed] + foundBy[tipline.OutcomeFoundOther]),
				say.t("board_tile_found_note", map[string]any{"Safe": foundBy[tipline.OutcomeFoundSafe], "Harmed": foundBy[tipline.OutcomeFoundHarmed],
					"Other": foundBy[tipline.OutcomeFoundOther], "Missing": say.n("board_missing", missing)})},
		},
		Charts: []chart{
			{say.t("board_chart_kind", nil), say.t("board_chart_kind_caption", nil), ch.bars(labels, byKind, true, cases)},
			{say.t("board_chart_exploitation", nil), say.t("board_chart_exploitation_caption", nil), ch.bars(labels, byExploitation, true, cases)},
			{say.t("board_chart_found", nil), say.t("board_chart_found_caption", nil), ch.bars(labels, found, true, cases)},
			{say.t("board_chart_language", nil), say.t("board_chart_language_caption", nil), ch.bars(labels, byLanguage, true, cases)},
			{say.t("board_chart_country", nil), say.t("board_chart_country_caption", nil), ch.bars(labels, byCountry, true, cases)},
			{say.t("board_chart_province", nil), provinceCaption,
				ch.hbars(provinceNames, provinceCounts, provinceSwatches, countryLegend, say.t("board_chart_province", nil), say.t("board_chart_province_empty", nil))},
			{say.t("board_chart_urgency", nil), say.t("board_chart_urgency_caption", nil), ch.bars(labels, byUrgency, true, cases)},
			{say.t("board_chart_outcome", nil), say.t("board_chart_outcome_caption", nil), ch.bars(labels, byOutcome, true, cases)},
			{say.t("board_chart_ack", nil), say.t("board_chart_ack_caption", nil),
				ch.bars(labels, []series{{say.t("board_p50", nil), swatches["ack:p50"], p50}, {say.t("board_p90", nil), swatches["ack:p90"], p90}}, false, minutes)},
			{say.t("board_chart_escalations", nil), say.t("board_chart_escalations_caption", nil),
				ch.bars(labels, []series{{say.t("board_tile_late", nil), swatches["escalation:late"], late}, {say.t("board_manual", nil), swatches["escalation:manual"], manual}}, true, cases)},
			{say.t("board_chart_load", nil), say.t("board_chart_load_caption", nil),
				ch.hbars(names, values, same(swatches["load"], len(names)), []series{{Name: say.t("board_chart_load", nil), Swatch: swatches["load"]}},
					say.t("board_chart_load", nil), say.t("board_chart_load_empty", nil))},
			{say.t("board_chart_referrals", nil), say.t("board_chart_referrals_caption", nil),
				ch.hbars(partners, partnerCounts, same(swatches["referrals"], len(partners)), []series{{Name: say.t("board_chart_referrals", nil), Swatch: swatches["referrals"]}},
					say.t("board_chart_referrals", nil), say.t("board_chart_referrals_empty", nil))},
		},
	}
	return pageTemplate.Execute(w, p)
}

// byProvince counts the cases by province, the most first (then by
// name), at most topProvinces, named in lang, each bar in its country's
// swatch; unknown counts the cases whose place is not known.
func byProvince(cases []tipline.ReportCase, lang string) (names []string, counts []float64, fills []swatch, unknown int) {
	n := map[string]int{}
	for _, c := range cases {
		if _, ok := places.ByKey(c.Province); ok {
			n[c.Province]++
		} else {
			unknown++
		}
	}
	keys := slices.Collect(maps.Keys(n))
	slices.SortFunc(keys, func(a, b string) int {
		if n[a] != n[b] {
			return n[b] - n[a]
		}
		return strings.Compare(a, b)
	})
	for _, k := range keys[:min(len(keys), topProvinces)] {
		p, _ := places.ByKey(k)
		names = append(names, p.Name(lang))
		counts = append(counts, float64(n[k]))
		fills = append(fills, swatches["country:"+p.Country])
	}
	return names, counts, fills, unknown
}

// same is n times the one swatch, for a chart of one category.
func same(s swatch, n int) []swatch {
	out := make([]swatch, n)
	for i := range out {
		out[i] = s
	}
	return out
}

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

// minutesText is a duration in minutes as the reader writes it.
func minutesText(say words, m float64) string {
	switch {
	case m == 0:
		return "–"
	case m < 1:
		return say.t("board_seconds", map[string]any{"N": fmt.Sprintf("%.0f", m*60)})
	case m < 120:
		return say.t("unit_minutes", map[string]any{"N": fmt.Sprintf("%.0f", m)})
	}
	return say.t("board_hours", map[string]any{"N": fmt.Sprintf("%.1f", m/60)})
}

func percent(say words, n, of int) string {
	if of == 0 {
		return say.t("board_no_cases", nil)
	}
	return say.t("board_percent", map[string]any{"P": fmt.Sprintf("%.0f", 100*float64(n)/float64(of))})
}

var pageTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{{.HTMLTitle}}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", sans-serif; margin: 0; color: #1b1f23; background: #f6f7f9; }
main { max-width: 860px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.6rem; margin: 0 0 4px; }
.period { color: #57606a; margin: 0 0 20px; }
.tiles { display: grid; grid-template-columns: repeat(3, 1fr); gap: 12px; margin-bottom: 24px; }
.tile { background: #fff; border-radius: 8px; padding: 12px 14px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
.tile .v { font-size: 1.6rem; font-weight: 600; }
.tile .l { font-size: .85rem; color: #57606a; overflow-wrap: anywhere; }
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
{{.Defs}}
<h1>{{.Heading}}</h1>
<p class="period">{{.Intro}}</p>
<div class="tiles">
{{range .Tiles}}<div class="tile"><div class="l">{{.Label}}</div><div class="v">{{.Value}}</div><div class="n">{{.Note}}</div></div>
{{end}}</div>
{{range .Charts}}<section>
<h2>{{.Title}}</h2>
<p class="caption">{{.Caption}}</p>
{{.SVG}}
</section>
{{end}}<footer>{{.Footer}}</footer>
</main>
</body>
</html>
`))
