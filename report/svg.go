package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// series is one coloured set of bars.
type series struct {
	Name   string
	Color  string
	Values []float64
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
func bars(labels []string, ss []series, stacked bool, unit string) template.HTML {
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
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" role="img" aria-label="%s">`, chartW, h, html.EscapeString(legendText(ss)+" per week, in "+unit))
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
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s, week of %s: %s %s</title></rect>`,
					x, y(base+v), w, y(base)-y(base+v), s.Color, html.EscapeString(s.Name), html.EscapeString(label), num(v), unit)
			}
			if stacked {
				base += v
			}
		}
		if i%every == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle">%s</text>`, x0+barW/2, top+plotH+16, html.EscapeString(label))
		}
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11">week of</text>`, left-44, top+plotH+16)
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
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="12" height="12" rx="2" fill="%s"/>`, x, y, s.Color)
		fmt.Fprintf(b, `<text x="%d" y="%d" font-size="12">%s</text>`, x+16, y+10, html.EscapeString(s.Name))
		x += legendWidth(s)
	}
}

// hbars draws one horizontal bar per label (the reviewers' load).
func hbars(labels []string, values []float64, color, aria, empty string) template.HTML {
	const rowH, labelW = 26, 170
	if len(labels) == 0 {
		return template.HTML(`<p class="caption">` + html.EscapeString(empty) + `</p>`)
	}
	maxV := 0.0
	for _, v := range values {
		maxV = math.Max(maxV, v)
	}
	scaleTop, _ := niceMax(maxV)
	plotW := float64(chartW - labelW - right - 40)
	h := top + rowH*len(labels) + 8
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" role="img" aria-label="%s">`, chartW, h, html.EscapeString(aria))
	for i, label := range labels {
		y := top + rowH*i
		w := values[i] / scaleTop * plotW
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" text-anchor="end">%s</text>`, labelW-8, y+15, html.EscapeString(label))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="18" rx="2" fill="%s"><title>%s: %s cases</title></rect>`,
			labelW, y+2, w, color, html.EscapeString(label), num(values[i]))
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="12">%s</text>`, float64(labelW)+w+6, y+15, num(values[i]))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every text in it is escaped above
}
