package chart

import (
	"html/template"
	"math"
	"strings"
)

// Line draws one line per series over the labels the series share, in the
// order they first appear, with a y axis of nice ticks from zero (or below,
// for negative values) and a legend when there is more than one series. A
// label a series lacks, or whose value is NaN or ±Inf, breaks its line.
func Line(title string, series []Series, o Options) template.HTML {
	var labels []string
	at := map[string]int{}
	values := make([]map[int]float64, len(series))
	lo, hi := 0.0, 0.0
	found := false
	for si, sr := range series {
		values[si] = map[int]float64{}
		for _, p := range sr.Points {
			i, ok := at[p.Label]
			if !ok {
				i = len(labels)
				at[p.Label] = i
				labels = append(labels, p.Label)
			}
			if !finite(p.Value) {
				delete(values[si], i)
				continue
			}
			v := clamp(p.Value)
			values[si][i] = v
			lo, hi, found = math.Min(lo, v), math.Max(hi, v), true
		}
	}
	if !found {
		return empty("line", title, o)
	}
	w, h := size(o)
	var desc []string
	names := make([]string, len(series))
	for si, sr := range series {
		names[si] = sr.Name
		var parts []string
		for i, l := range labels {
			if v, ok := values[si][i]; ok {
				parts = append(parts, l+" "+formatValue(v, o))
			}
		}
		desc = append(desc, strings.TrimSpace(sr.Name+": "+strings.Join(parts, ", ")))
	}
	var s svg
	s.open("line", title, w, h, strings.Join(desc, "; "))
	legendH := s.legend(names, w)
	a := niceAxis(lo, hi, 5)
	p := frameFor(w, h, legendH, leftMargin(a, o, w), 16, o)
	y := linear{a.min, a.max, p.bottom, p.top}
	s.yAxis(p, a, y, o, false, o.YLabel)
	s.raw(`<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#999"/>`, num(p.left), num(y.at(0)), num(p.right), num(y.at(0)))
	slot := p.width() / float64(len(labels))
	centre := func(i int) float64 { return p.left + slot*(float64(i)+0.5) }
	for si, sr := range series {
		var d strings.Builder
		pen := false
		for i := range labels {
			v, ok := values[si][i]
			if !ok {
				pen = false
				continue
			}
			cmd := "L"
			if !pen {
				cmd = "M"
			}
			d.WriteString(cmd + num(centre(i)) + " " + num(y.at(v)) + " ")
			pen = true
		}
		if d.Len() == 0 {
			continue
		}
		s.raw(`<g class="series %s">`, seriesClass(si))
		s.raw(`<path class="mark line %s" d="%s" fill="none" stroke="%s" stroke-width="2"/>`, seriesClass(si), strings.TrimSpace(d.String()), seriesColour(si))
		for i, l := range labels {
			v, ok := values[si][i]
			if !ok {
				continue
			}
			s.raw(`<circle class="mark point %s" cx="%s" cy="%s" r="3" fill="%s"><title>%s</title></circle>`,
				seriesClass(si), num(centre(i)), num(y.at(v)), seriesColour(si), esc(strings.TrimSpace(sr.Name+" "+l)+": "+formatValue(v, o)))
		}
		s.raw(`</g>`)
	}
	s.categoryLabels(p, labels, centre, slot)
	s.xTitle(p, h, o.XLabel)
	return s.close()
}
