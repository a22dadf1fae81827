package chart

import (
	"html/template"
	"math"
	"strings"
)

// Quadrant draws the points as a scatter split by a vertical line at xMid
// and a horizontal one at yMid into four quadrants named by
// Options.Quadrants (top-left, top-right, bottom-left, bottom-right), with
// Options.XLabel and YLabel naming the axes. A point on a mid line counts
// to the right of, or above, it; each point's class says its quadrant
// (q-tl, q-tr, q-bl, q-br). Each point's label goes beside it where it
// overlaps no other label, or is left out (the point's tooltip names it).
// A point with a NaN or ±Inf coordinate is
// skipped; a NaN or ±Inf mid is taken as the middle of the points' range.
// Used for importance–performance analysis: importance across, performance
// up.
func Quadrant(title string, points []XY, xMid, yMid float64, o Options) template.HTML {
	var pts []XY
	for _, pt := range points {
		if finite(pt.X) && finite(pt.Y) {
			pts = append(pts, XY{Label: pt.Label, X: clamp(pt.X), Y: clamp(pt.Y)})
		}
	}
	if len(pts) == 0 {
		return empty("quadrant", title, o)
	}
	xlo, xhi, ylo, yhi := pts[0].X, pts[0].X, pts[0].Y, pts[0].Y
	for _, pt := range pts {
		xlo, xhi = math.Min(xlo, pt.X), math.Max(xhi, pt.X)
		ylo, yhi = math.Min(ylo, pt.Y), math.Max(yhi, pt.Y)
	}
	if !finite(xMid) {
		xMid = xlo/2 + xhi/2
	}
	if !finite(yMid) {
		yMid = ylo/2 + yhi/2
	}
	xMid, yMid = clamp(xMid), clamp(yMid)
	xa := niceAxis(padded(math.Min(xlo, xMid), math.Max(xhi, xMid)))
	ya := niceAxis(padded(math.Min(ylo, yMid), math.Max(yhi, yMid)))

	w, h := size(o)
	desc := make([]string, len(pts))
	for i, pt := range pts {
		desc[i] = pt.Label + " (" + formatNumber(pt.X, 2) + ", " + formatNumber(pt.Y, 2) + ")"
	}
	var s svg
	s.open("quadrant", title, w, h, strings.Join(desc, "; "))
	p := frameFor(w, h, 0, leftMargin(ya, Options{}, w), 16, o)
	x := linear{xa.min, xa.max, p.left, p.right}
	y := linear{ya.min, ya.max, p.bottom, p.top}
	s.yAxis(p, ya, y, Options{}, false, o.YLabel)
	for _, t := range xa.ticks {
		px := x.at(t)
		s.raw(`<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#e3e3e3"/>`, num(px), num(p.top), num(px), num(p.bottom))
		s.text(px, p.bottom+14, "middle", "tick", xa.tickLabel(t, Options{}), "")
	}
	mx, my := x.at(xMid), y.at(yMid)
	s.raw(`<line class="mid" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#777" stroke-dasharray="4 3"/>`, num(mx), num(p.top), num(mx), num(p.bottom))
	s.raw(`<line class="mid" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#777" stroke-dasharray="4 3"/>`, num(p.left), num(my), num(p.right), num(my))
	corner := []struct {
		x, y   float64
		anchor string
		width  float64
	}{
		{p.left + 6, p.top + 14, "start", mx - p.left},
		{p.right - 6, p.top + 14, "end", p.right - mx},
		{p.left + 6, p.bottom - 6, "start", mx - p.left},
		{p.right - 6, p.bottom - 6, "end", p.right - mx},
	}
	for i, name := range o.Quadrants {
		if name != "" {
			s.text(corner[i].x, corner[i].y, corner[i].anchor, "quadrant-name", fitPx(name, math.Max(corner[i].width-12, 40)), name)
		}
	}
	s.raw(`<g class="series c-series-0">`)
	var placed []box
	for _, pt := range pts {
		q := quadrantOf(pt, xMid, yMid)
		px, py := x.at(pt.X), y.at(pt.Y)
		s.raw(`<circle class="mark point %s c-series-0" cx="%s" cy="%s" r="5" fill="%s"><title>%s</title></circle>`,
			q, num(px), num(py), seriesColour(0), esc(pt.Label+" ("+formatNumber(pt.X, 2)+", "+formatNumber(pt.Y, 2)+")"))
		label := truncate(pt.Label, 12)
		if at, ok := placeLabel(px, py, float64(columns(label))*columnPx, p, placed); ok {
			placed = append(placed, at.box)
			s.text(at.x, at.y, at.anchor, "point-label", label, pt.Label)
		}
	}
	s.raw(`</g>`)
	s.xTitle(p, h, o.XLabel)
	return s.close()
}

// quadrantOf names pt's quadrant as its class: q-tl, q-tr, q-bl or q-br.
func quadrantOf(pt XY, xMid, yMid float64) string {
	v, hz := "b", "l"
	if pt.Y >= yMid {
		v = "t"
	}
	if pt.X >= xMid {
		hz = "r"
	}
	return "q-" + v + hz
}

// padded widens lo..hi by 5 % each side, so that a point at the edge of the
// data is not drawn on the plot's border, and asks for 5 ticks.
func padded(lo, hi float64) (float64, float64, int) {
	pad := (hi/2 - lo/2) * 0.1
	return lo - pad, hi + pad, 5
}

// box is the rectangle a label takes.
type box struct{ x0, y0, x1, y1 float64 }

func (a box) overlaps(b box) bool {
	return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1
}

// labelAt is where a point's label goes: its text position and anchor and
// the box it covers.
type labelAt struct {
	x, y   float64
	anchor string
	box    box
}

// placeLabel finds a place for a label w wide next to the point at px, py:
// right of it, left, above or below, the first inside the plot that
// overlaps no label placed before. With none free the label is left out;
// the point's tooltip still names it.
func placeLabel(px, py, w float64, p plot, placed []box) (labelAt, bool) {
	const h = fontSize
	candidates := []labelAt{
		{px + 7, py + 4, "start", box{px + 7, py - h + 4, px + 7 + w, py + 4}},
		{px - 7, py + 4, "end", box{px - 7 - w, py - h + 4, px - 7, py + 4}},
		{px, py - 8, "middle", box{px - w/2, py - 8 - h, px + w/2, py - 8}},
		{px, py + 8 + h, "middle", box{px - w/2, py + 8, px + w/2, py + 8 + h}},
	}
next:
	for _, c := range candidates {
		if c.box.x0 < p.left || c.box.x1 > p.right+12 {
			continue
		}
		for _, b := range placed {
			if c.box.overlaps(b) {
				continue next
			}
		}
		return c, true
	}
	return labelAt{}, false
}
