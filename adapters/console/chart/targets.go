package chart

import (
	"html/template"
	"math"
	"strings"
)

// Targets draws one row per target: a horizontal bar of the actual value,
// a marker at the target and the two values written after them. A row
// whose actual is at least its target has class met (green), one below it
// missed (red). A row whose actual is NaN or ±Inf is skipped; one whose
// target is has no marker and class no-target. When Options.Height is 0
// the chart grows past 280 to give each row 28 units.
func Targets(title string, rows []Target, o Options) template.HTML {
	var rs []Target
	lo, hi := 0.0, 0.0
	for _, r := range rows {
		if !finite(r.Actual) {
			continue
		}
		r.Actual = clamp(r.Actual)
		lo, hi = math.Min(lo, r.Actual), math.Max(hi, r.Actual)
		if finite(r.Target) {
			r.Target = clamp(r.Target)
			lo, hi = math.Min(lo, r.Target), math.Max(hi, r.Target)
		}
		rs = append(rs, r)
	}
	if len(rs) == 0 {
		return empty("targets", title, o)
	}
	w, h := size(o)
	if o.Height == 0 {
		h = math.Max(h, 40+28*float64(len(rs)))
	}
	desc := make([]string, len(rs))
	for i, r := range rs {
		desc[i] = r.Label + ": " + status(r, o)
	}
	var s svg
	s.open("targets", title, w, h, strings.Join(desc, "; "))
	labelCols := 4
	for _, r := range rs {
		labelCols = max(labelCols, columns(r.Label))
	}
	left := math.Min(float64(labelCols)*columnPx+10, w*0.3)
	a := niceAxis(lo, hi, 5)
	p := frameFor(w, h, 0, left, math.Min(110, w*0.25), o)
	x := linear{a.min, a.max, p.left, p.right}
	for _, t := range a.ticks {
		px := x.at(t)
		s.raw(`<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#e3e3e3"/>`, num(px), num(p.top), num(px), num(p.bottom))
		s.text(px, p.bottom+14, "middle", "tick", a.tickLabel(t, o), "")
	}
	if o.YLabel != "" {
		s.text(2, p.top-6, "start", "axis-title", fitPx(o.YLabel, p.width()/2), o.YLabel)
	}
	rowH := p.height() / float64(len(rs))
	bh := math.Min(rowH*0.6, 20)
	zero := x.at(0)
	for i, r := range rs {
		cy := p.top + rowH*(float64(i)+0.5)
		class, colour := "met", "#3a9e5f"
		hasTarget := finite(r.Target)
		switch {
		case !hasTarget:
			class, colour = "no-target", seriesColour(0)
		case r.Actual < r.Target:
			class, colour = "missed", "#c44e52"
		}
		s.raw(`<g class="row %s">`, class)
		s.text(p.left-6, cy+4, "end", "category", fitPx(r.Label, p.left-8), r.Label)
		ax := x.at(r.Actual)
		x0, x1 := math.Min(ax, zero), math.Max(ax, zero)
		s.raw(`<rect class="mark bar %s" x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s</title></rect>`,
			class, num(x0), num(cy-bh/2), num(x1-x0), num(bh), colour, esc(r.Label+": "+status(r, o)))
		end := x1
		if hasTarget {
			tx := x.at(r.Target)
			s.raw(`<line class="mark target" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333" stroke-width="2"><title>%s</title></line>`,
				num(tx), num(cy-rowH*0.4), num(tx), num(cy+rowH*0.4), esc(r.Label+": "+formatValue(r.Target, o)))
			end = math.Max(end, tx)
		}
		s.text(end+5, cy+4, "start", "value", fitPx(status(r, o), w-end-8), "")
		s.raw(`</g>`)
	}
	s.raw(`<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#999"/>`, num(zero), num(p.top), num(zero), num(p.bottom))
	s.xTitle(p, h, o.XLabel)
	return s.close()
}

// status writes a row's values: "42% / 50%", or the actual alone.
func status(r Target, o Options) string {
	if !finite(r.Target) {
		return formatValue(r.Actual, o)
	}
	return formatValue(r.Actual, o) + " / " + formatValue(r.Target, o)
}
