package chart

import (
	"html/template"
	"math"
)

// Bar draws one vertical bar per point, in the given order, from a zero
// baseline (bars of negative values hang below it), with the value above
// each bar where it fits. Points whose value is NaN or ±Inf are skipped.
func Bar(title string, points []Point, o Options) template.HTML {
	pts := drawable(points)
	if len(pts) == 0 {
		return empty("bar", title, o)
	}
	w, h := size(o)
	lo, hi := 0.0, 0.0
	for _, pt := range pts {
		lo, hi = math.Min(lo, pt.Value), math.Max(hi, pt.Value)
	}
	var s svg
	s.open("bar", title, w, h, describe(pts, o))
	a := niceAxis(lo, hi, 5)
	p := frameFor(w, h, 0, leftMargin(a, o, w), 16, o)
	y := linear{a.min, a.max, p.bottom, p.top}
	s.yAxis(p, a, y, o, false, o.YLabel)
	slot := p.width() / float64(len(pts))
	centre := func(i int) float64 { return p.left + slot*(float64(i)+0.5) }
	s.bars(pts, y, centre, slot, o)
	s.raw(`<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#999"/>`, num(p.left), num(y.at(0)), num(p.right), num(y.at(0)))
	labels := make([]string, len(pts))
	for i, pt := range pts {
		labels[i] = pt.Label
	}
	s.categoryLabels(p, labels, centre, slot)
	s.xTitle(p, h, o.XLabel)
	return s.close()
}

// bars draws the bars of pts and their value labels.
func (s *svg) bars(pts []Point, y linear, centre func(int) float64, slot float64, o Options) {
	bw := math.Min(slot*0.7, 56)
	zero := y.at(0)
	s.raw(`<g class="series c-series-0">`)
	for i, pt := range pts {
		top := y.at(pt.Value)
		y0, y1 := math.Min(top, zero), math.Max(top, zero)
		value := formatValue(pt.Value, o)
		s.raw(`<rect class="mark bar c-series-0" x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s</title></rect>`,
			num(centre(i)-bw/2), num(y0), num(bw), num(y1-y0), seriesColour(0), esc(pt.Label+": "+value))
		if float64(columns(value))*columnPx <= slot+4 {
			// Outside the bar's end; a bar that reaches the plot's edge
			// gets its label inside, in white, so that it does not run into
			// the category labels below or the legend above.
			ly, class, fill := y0-3, "value", "#333"
			if pt.Value < 0 {
				ly = y1 + 11
			}
			if pt.Value < 0 && ly > y.r0-1 {
				ly, class, fill = y1-3, "value inside", "#fff"
			}
			s.raw(`<text x="%s" y="%s" text-anchor="middle" class="%s" fill="%s">%s</text>`, num(centre(i)), num(ly), class, fill, esc(value))
		}
	}
	s.raw(`</g>`)
}

// Pareto draws the points as bars sorted from the largest value down, and
// over them the cumulative share of the total as a line read on a right
// axis of 0–100 %, which therefore ends at 100 % on the last bar; a dashed
// line marks 80 %. Points whose value is negative, NaN or ±Inf are
// skipped; when nothing positive is left the chart says Options.Empty.
func Pareto(title string, points []Point, o Options) template.HTML {
	var pts []Point
	total := 0.0
	for _, pt := range drawable(points) {
		if pt.Value >= 0 {
			pts = append(pts, pt)
			total += pt.Value
		}
	}
	if !(total > 0) || !finite(total) {
		return empty("pareto", title, o)
	}
	sortDesc(pts)
	w, h := size(o)
	var s svg
	s.open("pareto", title, w, h, describe(pts, o))
	a := niceAxis(0, pts[0].Value, 5)
	p := frameFor(w, h, 0, leftMargin(a, o, w), 40, o)
	y := linear{a.min, a.max, p.bottom, p.top}
	s.yAxis(p, a, y, o, false, o.YLabel)
	share := axis{min: 0, max: 1, step: 0.2, ticks: []float64{0, 0.2, 0.4, 0.6, 0.8, 1}}
	yp := linear{0, 1, p.bottom, p.top}
	s.yAxis(p, share, yp, Options{Percent: true}, true, "")
	slot := p.width() / float64(len(pts))
	centre := func(i int) float64 { return p.left + slot*(float64(i)+0.5) }
	s.bars(pts, y, centre, slot, o)
	s.raw(`<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#999"/>`, num(p.left), num(p.bottom), num(p.right), num(p.bottom))
	s.raw(`<line class="ref-80" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#999" stroke-dasharray="4 3"/>`, num(p.left), num(yp.at(0.8)), num(p.right), num(yp.at(0.8)))
	// The running sum divided by the total, with the last share set to 1
	// exactly: rounding must not leave the curve a hair short of 100 %.
	shares := make([]float64, len(pts))
	run := 0.0
	for i, pt := range pts {
		run += pt.Value
		shares[i] = run / total
	}
	shares[len(shares)-1] = 1
	d := ""
	for i, sh := range shares {
		cmd := "L"
		if i == 0 {
			cmd = "M"
		}
		d += cmd + num(centre(i)) + " " + num(yp.at(sh)) + " "
	}
	s.raw(`<g class="series cumulative c-series-1">`)
	s.raw(`<path class="mark cumulative c-series-1" d="%s" fill="none" stroke="%s" stroke-width="2"/>`, d[:len(d)-1], seriesColour(1))
	for i, sh := range shares {
		s.raw(`<circle class="mark cumulative-point c-series-1" cx="%s" cy="%s" r="3" fill="%s"><title>%s</title></circle>`,
			num(centre(i)), num(yp.at(sh)), seriesColour(1), esc(pts[i].Label+": "+formatValue(sh, Options{Percent: true})))
	}
	s.raw(`</g>`)
	labels := make([]string, len(pts))
	for i, pt := range pts {
		labels[i] = pt.Label
	}
	s.categoryLabels(p, labels, centre, slot)
	s.xTitle(p, h, o.XLabel)
	return s.close()
}
