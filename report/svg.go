package report

import (
	"fmt"
	"html"
	"html/template"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/tipline/tipline/locales/script"
)

// chartWords are the words the charts write, in the report's language.
type chartWords struct {
	weekOf  string
	bar     func(series, week, n, unit string) string
	perWeek func(what, unit string) string
	// unit is a unit's word for a count of v: "1 case", "2 cases". id is
	// the catalogue key without its _one/_other ending.
	unit func(id string, v float64) string
}

// series is one set of bars in one swatch.
type series struct {
	Name   string
	Swatch swatch
	Values []float64
}

// pattern is what fills a swatch besides its colour.
type pattern string

const (
	solid   pattern = ""
	hatched pattern = "hatched"
	dotted  pattern = "dotted"
	crossed pattern = "crossed"
	striped pattern = "striped"
)

// swatch is how a category is drawn: a colour and a pattern. A bar and
// its legend entry are drawn with the same swatch.
type swatch struct {
	Colour  string
	Pattern pattern
}

// fill is the SVG fill that draws the swatch.
func (s swatch) fill() string {
	if s.Pattern == solid {
		return s.Colour
	}
	return "url(#" + s.id() + ")"
}

func (s swatch) id() string {
	return "sw-" + string(s.Pattern) + "-" + strings.TrimPrefix(s.Colour, "#")
}

// patternDefs draws the pattern of every patterned swatch once, in an SVG
// of no size at the top of the page, for every chart to fill with: a
// light wash of the colour under marks of the full colour, so a bar
// reads as its colour from afar and as its pattern close up.
func patternDefs() template.HTML {
	var b strings.Builder
	b.WriteString(`<svg width="0" height="0" style="position:absolute" aria-hidden="true" focusable="false"><defs>`)
	done := map[string]bool{}
	for _, k := range slices.Sorted(maps.Keys(swatches)) {
		s := swatches[k]
		if s.Pattern == solid || done[s.id()] {
			continue
		}
		done[s.id()] = true
		c := s.Colour
		switch s.Pattern {
		case hatched:
			fmt.Fprintf(&b, `<pattern id="%s" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)"><rect width="6" height="6" fill="%s" fill-opacity="0.3"/><rect width="3" height="6" fill="%s"/></pattern>`, s.id(), c, c)
		case dotted:
			fmt.Fprintf(&b, `<pattern id="%s" patternUnits="userSpaceOnUse" width="6" height="6"><rect width="6" height="6" fill="%s" fill-opacity="0.3"/><circle cx="3" cy="3" r="2" fill="%s"/></pattern>`, s.id(), c, c)
		case crossed:
			fmt.Fprintf(&b, `<pattern id="%s" patternUnits="userSpaceOnUse" width="7" height="7" patternTransform="rotate(45)"><rect width="7" height="7" fill="%s" fill-opacity="0.3"/><rect width="7" height="2" fill="%s"/><rect width="2" height="7" fill="%s"/></pattern>`, s.id(), c, c, c)
		case striped:
			fmt.Fprintf(&b, `<pattern id="%s" patternUnits="userSpaceOnUse" width="6" height="6"><rect width="6" height="6" fill="%s" fill-opacity="0.3"/><rect width="6" height="3" fill="%s"/></pattern>`, s.id(), c, c)
		}
	}
	b.WriteString(`</defs></svg>`)
	return template.HTML(b.String()) //nolint:gosec // colours and ids from our own table
}

const (
	chartW = 800
	left   = 48
	right  = 12
	top    = 12
)

// niceMax rounds the largest value up to a scale with round ticks and
// returns the scale's top and its step.
func niceMax(v float64) (top, step float64) {
	if v <= 0 {
		return 4, 1
	}
	raw := v / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} { // counts: whole-number ticks
		if step = m * mag; step >= raw {
			break
		}
	}
	if step < 1 {
		step = 1
	}
	return step * math.Ceil(v/step), step
}

func num(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

// bars draws a vertical bar chart over the labels: stacked, or side by
// side when stacked is false, with a legend and a title for each bar that
// a screen reader (or a mouse) finds.
func (cw chartWords) bars(labels []string, ss []series, stacked bool, unit string) template.HTML {
	const plotH = 200
	n := len(labels)
	maxV := 0.0
	for i := 0; i < n; i++ {
		sum := 0.0
		for _, s := range ss {
			if stacked {
				sum += s.Values[i]
			} else {
				sum = math.Max(sum, s.Values[i])
			}
		}
		maxV = math.Max(maxV, sum)
	}
	scaleTop, step := niceMax(maxV)
	plotW := float64(chartW - left - right)
	slot := plotW / float64(max(n, 1))
	barW := slot * 0.7
	rows := legendRows(ss)
	h := top + plotH + 36 + legendH*len(rows)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" role="img" aria-label="%s">`, chartW, h, html.EscapeString(cw.perWeek(legendText(ss), cw.unit(unit, 2))))
	y := func(v float64) float64 { return top + plotH - v/scaleTop*plotH }
	for t := 0.0; t <= scaleTop+1e-9; t += step {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#d0d7de" stroke-width="1"/>`, left, chartW-right, y(t), y(t))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="11" text-anchor="end">%s</text>`, left-6, y(t)+4, num(t))
	}
	every := max(1, int(math.Ceil(float64(n)/16)))
	for i, label := range labels {
		x0 := float64(left) + slot*float64(i) + (slot-barW)/2
		base := 0.0
		for k, s := range ss {
			v := s.Values[i]
			x, w := x0, barW
			if !stacked {
				w = barW / float64(len(ss))
				x = x0 + w*float64(k)
				base = 0
			}
			if v > 0 {
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`,
					x, y(base+v), w, y(base)-y(base+v), s.Swatch.fill(), html.EscapeString(cw.bar(s.Name, label, num(v), cw.unit(unit, v))))
			}
			if stacked {
				base += v
			}
		}
		if i%every == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle">%s</text>`, x0+barW/2, top+plotH+16, html.EscapeString(label))
		}
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11">%s</text>`, left-44, top+plotH+16, html.EscapeString(cw.weekOf))
	for r, row := range rows {
		legend(&b, row, top+plotH+36+legendH*r)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every text in it is escaped above
}

func legendText(ss []series) string {
	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

// legendH is the height of one row of the legend.
const legendH = 22

// legendWidth estimates the width of one legend entry at 12px.
func legendWidth(s series) int { return 16 + 7*len([]rune(s.Name)) + 24 }

// legendRows splits the legend into rows that fit the chart's width.
func legendRows(ss []series) [][]series {
	var rows [][]series
	var row []series
	x := left
	for _, s := range ss {
		if len(row) > 0 && x+legendWidth(s) > chartW-right {
			rows, row, x = append(rows, row), nil, left
		}
		row = append(row, s)
		x += legendWidth(s)
	}
	return append(rows, row)
}

func legend(b *strings.Builder, ss []series, y int) {
	x := left
	for _, s := range ss {
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="12" height="12" rx="2" fill="%s" stroke="%s"/>`, x, y, s.Swatch.fill(), s.Swatch.Colour)
		fmt.Fprintf(b, `<text x="%d" y="%d" font-size="12">%s</text>`, x+16, y+10, html.EscapeString(s.Name))
		x += legendWidth(s)
	}
}

// labelLines splits a label into lines of at most max characters, at
// spaces when it has them (Khmer and Thai write none between words: they
// are cut by characters, never inside a cluster of marks), at most three
// lines, the last cut short with an ellipsis.
func labelLines(label string, max int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(label) {
		for len([]rune(word)) > max {
			cut := script.Truncate(word, max)
			if cut == "" || cut == word {
				break
			}
			if line != "" {
				lines, line = append(lines, line), ""
			}
			lines = append(lines, cut)
			word = strings.TrimPrefix(word, cut)
		}
		switch {
		case line == "":
			line = word
		case len([]rune(line))+1+len([]rune(word)) <= max:
			line += " " + word
		default:
			lines, line = append(lines, line), word
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	if len(lines) > 3 {
		lines = append(lines[:2], script.Truncate(lines[2], max-1)+"…")
	}
	return lines
}

// hbars draws one horizontal bar per label (the reviewers' load, the
// referrals by partner, the provinces), each in its swatch, a long label
// wrapped over up to three lines, with a legend of the swatches used.
func (cw chartWords) hbars(labels []string, values []float64, fills []swatch, key []series, aria, empty string) template.HTML {
	const lineH, labelW, maxChars = 14, 190, 26
	if len(labels) == 0 {
		return template.HTML(`<p class="caption">` + html.EscapeString(empty) + `</p>`)
	}
	maxV := 0.0
	for _, v := range values {
		maxV = math.Max(maxV, v)
	}
	scaleTop, _ := niceMax(maxV)
	plotW := float64(chartW - labelW - right - 40)
	wrapped := make([][]string, len(labels))
	h := top + 8
	for i, label := range labels {
		wrapped[i] = labelLines(label, maxChars)
		h += max(26, lineH*len(wrapped[i])+8)
	}
	rows := legendRows(key)
	h += legendH * len(rows)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" role="img" aria-label="%s">`, chartW, h, html.EscapeString(aria))
	y := top
	for i, label := range labels {
		rowH := max(26, lineH*len(wrapped[i])+8)
		mid := y + rowH/2
		w := values[i] / scaleTop * plotW
		first := mid + 4 - lineH*(len(wrapped[i])-1)/2
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" text-anchor="end">`, labelW-8, first)
		for k, line := range wrapped[i] {
			dy := 0
			if k > 0 {
				dy = lineH
			}
			fmt.Fprintf(&b, `<tspan x="%d" dy="%d">%s</tspan>`, labelW-8, dy, html.EscapeString(line))
		}
		b.WriteString(`</text>`)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="18" rx="2" fill="%s"><title>%s: %s %s</title></rect>`,
			labelW, mid-9, w, fills[i].fill(), html.EscapeString(label), num(values[i]), html.EscapeString(cw.unit("board_unit_cases", values[i])))
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="12">%s</text>`, float64(labelW)+w+6, mid+4, num(values[i]))
		y += rowH
	}
	for r, row := range rows {
		legend(&b, row, y+8+legendH*r)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every text in it is escaped above
}
