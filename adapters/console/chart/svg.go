package chart

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// Options are the settings every chart takes. The zero value is usable: a
// 640×280 view box, plain numbers, "无数据" when there is nothing to draw.
type Options struct {
	// Width and Height are the size of the SVG view box in user units; the
	// element itself is width="100%" and scales to its container. 0 → 640
	// and 280 (Targets grows taller when its rows need it).
	Width, Height int
	// Unit is appended to value labels: "%", "分", "元".
	Unit string
	// Percent says the values are fractions 0..1 shown as percentages;
	// Unit is then ignored.
	Percent bool
	// Empty is the text drawn when there is no data; "" → "无数据".
	Empty string
	// XLabel and YLabel are the axis titles, optional. Quadrant also uses
	// them to name its axes.
	XLabel, YLabel string
	// Quadrants names Quadrant's four quadrants: top-left, top-right,
	// bottom-left, bottom-right. An empty name draws none.
	Quadrants [4]string
}

// Point is one labelled value: a month's churn rate, a grade's count.
type Point struct {
	Label string
	Value float64
}

// Series is a named run of points. Series drawn together share their
// labels: the same Label is the same place on the x axis.
type Series struct {
	Name   string
	Points []Point
}

// XY is one labelled point of a Quadrant chart.
type XY struct {
	Label string
	X, Y  float64
}

// Target is one row of a Targets chart: what was reached against what was
// aimed at.
type Target struct {
	Label          string
	Actual, Target float64
}

// Defaults of Options.
const (
	defaultWidth  = 640
	defaultHeight = 280
	defaultEmpty  = "无数据"
	// maxMagnitude bounds every value: beyond it the arithmetic of scales
	// could overflow to Inf, and no figure of a dealership comes near it.
	maxMagnitude = 1e300
	fontSize     = 11.0
)

// palette is the fallback colour of each series class c-series-N, for a page
// without the stylesheet; a stylesheet's class rule overrides it.
var palette = []string{"#2f6fb0", "#e07b39", "#3a9e5f", "#c44e52", "#8172b2", "#937860", "#da8bc3", "#8c8c8c"}

func seriesClass(i int) string  { return "c-series-" + strconv.Itoa(i%len(palette)) }
func seriesColour(i int) string { return palette[i%len(palette)] }

// finite says whether v can be drawn.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// clamp bounds a finite value to ±maxMagnitude.
func clamp(v float64) float64 { return math.Max(-maxMagnitude, math.Min(maxMagnitude, v)) }

// size returns the view box of o.
func size(o Options) (w, h float64) {
	w, h = defaultWidth, defaultHeight
	if o.Width > 0 {
		w = float64(min(o.Width, 10000))
	}
	if o.Height > 0 {
		h = float64(min(o.Height, 10000))
	}
	return w, h
}

// svg builds one chart's markup. Every string that reaches it from a caller
// goes through text or attr, which escape it.
type svg struct {
	b strings.Builder
}

// open writes the <svg> element with its accessible name and <title>.
func (s *svg) open(kind, title string, w, h float64, desc string) {
	fmt.Fprintf(&s.b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-%s" role="img" aria-label="%s" viewBox="0 0 %s %s" width="100%%" preserveAspectRatio="xMidYMid meet" font-family="sans-serif" font-size="%s">`,
		kind, esc(title), num(w), num(h), num(fontSize))
	fmt.Fprintf(&s.b, `<title>%s</title>`, esc(title))
	if desc != "" {
		fmt.Fprintf(&s.b, `<desc>%s</desc>`, esc(desc))
	}
}

func (s *svg) close() template.HTML {
	s.b.WriteString(`</svg>`)
	// Every caller string was escaped on its way in (esc), and the rest is
	// this package's own markup.
	return template.HTML(s.b.String())
}

// raw writes markup of this package's own.
func (s *svg) raw(format string, args ...any) { fmt.Fprintf(&s.b, format, args...) }

// text writes a <text> element holding str, escaped, with an optional
// tooltip holding full when the shown text was shortened.
func (s *svg) text(x, y float64, anchor, class, str, full string) {
	fmt.Fprintf(&s.b, `<text x="%s" y="%s" text-anchor="%s" class="%s" fill="#333">`, num(x), num(y), anchor, class)
	if full != "" && full != str {
		fmt.Fprintf(&s.b, `<title>%s</title>`, esc(full))
	}
	fmt.Fprintf(&s.b, `%s</text>`, esc(str))
}

// empty draws the chart with nothing but the centred Empty text.
func empty(kind, title string, o Options) template.HTML {
	w, h := size(o)
	msg := o.Empty
	if msg == "" {
		msg = defaultEmpty
	}
	var s svg
	s.open(kind+" chart-empty", title, w, h, msg)
	s.text(w/2, h/2, "middle", "empty", msg, "")
	return s.close()
}

// num formats a coordinate; a non-finite one, which the layout never makes
// on purpose, becomes 0 so the output never says NaN.
func num(v float64) string {
	if !finite(v) {
		return "0"
	}
	str := strconv.FormatFloat(v, 'f', 1, 64)
	str = strings.TrimSuffix(str, ".0")
	if str == "-0" {
		str = "0"
	}
	return str
}

// esc makes s safe as SVG text or a quoted attribute value in HTML and in
// XML: invalid UTF-8 and the characters XML forbids are dropped, then the
// markup characters are escaped.
func esc(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case r < 0x20, r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF, r == 0x7F:
			return -1
		}
		return r
	}, s)
	return html.EscapeString(s)
}

// wide says whether r takes two columns: Han, kana, Hangul, full-width forms
// and CJK punctuation.
func wide(r rune) bool {
	switch {
	case unicode.Is(unicode.Han, r), unicode.Is(unicode.Hiragana, r), unicode.Is(unicode.Katakana, r), unicode.Is(unicode.Hangul, r):
		return true
	case r >= 0x3000 && r <= 0x303F, r >= 0xFF00 && r <= 0xFF60, r >= 0xFFE0 && r <= 0xFFE6:
		return true
	}
	return false
}

// columns is the display width of s: a Chinese character counts two, a
// Latin letter or digit one.
func columns(s string) int {
	n := 0
	for _, r := range s {
		if wide(r) {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// columnPx is the width in user units of one column at fontSize: about
// half an em, so a Chinese character is about one em.
const columnPx = fontSize * 0.55

// truncate shortens s to at most max columns, ending it with "…" when it
// cut; it never splits a character, so Chinese labels lose whole
// characters, and it keeps at least the first one.
func truncate(s string, max int) string {
	s = strings.TrimSpace(s)
	if columns(s) <= max {
		return s
	}
	if max < 2 {
		max = 2
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		c := 1
		if wide(r) {
			c = 2
		}
		if n+c+1 > max && n > 0 {
			break
		}
		b.WriteRune(r)
		n += c
	}
	return strings.TrimSpace(b.String()) + "…"
}

// fitPx truncates s to fit px user units.
func fitPx(s string, px float64) string {
	return truncate(s, int(px/columnPx))
}

// formatValue writes a value as its label shows it, with o's unit.
func formatValue(v float64, o Options) string {
	if o.Percent {
		return formatNumber(v*100, 1) + "%"
	}
	return formatNumber(v, 2) + o.Unit
}

// formatNumber writes v with at most dec decimals, trailing zeros dropped;
// magnitudes from 10¹² up in short scientific form.
func formatNumber(v float64, dec int) string {
	if !finite(v) {
		return ""
	}
	if math.Abs(v) >= 1e12 {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	str := strconv.FormatFloat(v, 'f', dec, 64)
	if strings.Contains(str, ".") {
		str = strings.TrimRight(strings.TrimRight(str, "0"), ".")
	}
	if str == "-0" {
		str = "0"
	}
	return str
}

// axis is a value axis with nice ticks: steps of 1, 2 or 5 × 10ⁿ.
type axis struct {
	min, max float64
	step     float64
	ticks    []float64
}

// niceAxis returns an axis covering lo..hi with about want ticks.
func niceAxis(lo, hi float64, want int) axis {
	lo, hi = clamp(lo), clamp(hi)
	if lo > hi {
		lo, hi = hi, lo
	}
	if lo == hi {
		pad := math.Abs(lo) * 0.1
		if pad == 0 {
			pad = 1
		}
		lo, hi = lo-pad, hi+pad
	}
	fallback := axis{min: lo, max: hi, step: hi - lo, ticks: []float64{lo, hi}}
	if want < 2 {
		want = 2
	}
	step := niceStep((hi - lo) / float64(want-1))
	if !(step > 0) || !finite(step) {
		return fallback
	}
	a := axis{min: math.Floor(lo/step) * step, max: math.Ceil(hi/step) * step, step: step}
	n := math.Round((a.max - a.min) / step)
	if !finite(a.min) || !finite(a.max) || n < 1 || n > 50 || a.min+step == a.min {
		return fallback
	}
	for i := 0; i <= int(n); i++ {
		t := a.min + float64(i)*step
		if math.Abs(t) < step*1e-9 {
			t = 0 // not 5.551115123125783e-17
		}
		a.ticks = append(a.ticks, t)
	}
	return a
}

// niceStep rounds x to the nearest of 1, 2, 5 or 10 × 10ⁿ (Heckbert's
// "nice numbers").
func niceStep(x float64) float64 {
	if !(x > 0) || !finite(x) {
		return 0
	}
	exp := math.Floor(math.Log10(x))
	p := math.Pow(10, exp)
	f := x / p
	switch {
	case f < 1.5:
		f = 1
	case f < 3:
		f = 2
	case f < 7:
		f = 5
	default:
		f = 10
	}
	return f * p
}

// tickLabel writes a tick value with as many decimals as the step needs.
func (a axis) tickLabel(v float64, o Options) string {
	step := a.step
	if o.Percent {
		v, step = v*100, step*100
	}
	dec := 0
	if step > 0 && finite(step) {
		dec = int(math.Max(0, math.Ceil(-math.Log10(step)-1e-9)))
	}
	dec = min(dec, 10)
	if o.Percent {
		return formatNumber(v, dec) + "%"
	}
	return formatNumber(v, dec) + o.Unit
}

// linear maps a domain d0..d1 onto the range r0..r1.
type linear struct{ d0, d1, r0, r1 float64 }

func (l linear) at(v float64) float64 {
	if l.d1 == l.d0 {
		return l.r0
	}
	return l.r0 + (clamp(v)-l.d0)/(l.d1-l.d0)*(l.r1-l.r0)
}

// plot is the area inside the margins where data is drawn.
type plot struct {
	left, top, right, bottom float64
}

func (p plot) width() float64  { return p.right - p.left }
func (p plot) height() float64 { return p.bottom - p.top }

// yAxis draws the horizontal grid lines and tick labels of a on the left
// (or right) edge of p, and the axis title.
func (s *svg) yAxis(p plot, a axis, y linear, o Options, right bool, title string) {
	for _, t := range a.ticks {
		py := y.at(t)
		if !right {
			s.raw(`<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#e3e3e3"/>`, num(p.left), num(py), num(p.right), num(py))
			s.text(p.left-4, py+4, "end", "tick", a.tickLabel(t, o), "")
		} else {
			s.text(p.right+4, py+4, "start", "tick", a.tickLabel(t, o), "")
		}
	}
	if title != "" {
		x := p.left - 4
		anchor := "start"
		if right {
			x, anchor = p.right+4, "end"
		}
		x = math.Max(x, 2)
		s.text(x, p.top-6, anchor, "axis-title", fitPx(title, p.width()/2), title)
	}
}

// legend draws one swatch and name per series in rows across the top and
// returns the height it took.
func (s *svg) legend(names []string, w float64) float64 {
	if len(names) < 2 {
		return 0
	}
	const rowH = 16.0
	x, y := 8.0, 14.0
	s.raw(`<g class="legend">`)
	for i, name := range names {
		label := fitPx(name, w/2-24)
		itemW := 14 + float64(columns(label))*columnPx + 14
		if x > 8 && x+itemW > w-8 {
			x, y = 8, y+rowH
		}
		s.raw(`<rect class="swatch %s" x="%s" y="%s" width="10" height="10" fill="%s"/>`, seriesClass(i), num(x), num(y-9), seriesColour(i))
		s.text(x+14, y, "start", "legend-label", label, name)
		x += itemW
	}
	s.raw(`</g>`)
	return y + 6
}

// categoryLabels draws the labels of n slots of width slot under the plot,
// every k-th when they would not fit side by side.
func (s *svg) categoryLabels(p plot, labels []string, centre func(int) float64, slot float64) {
	if len(labels) == 0 {
		return
	}
	const minPx = 36.0
	k := 1
	if slot < minPx {
		k = int(math.Ceil(minPx / math.Max(slot, 1e-3)))
	}
	for i, l := range labels {
		if i%k != 0 {
			continue
		}
		s.text(centre(i), p.bottom+14, "middle", "category", fitPx(l, slot*float64(k)-4), l)
	}
}

// xTitle draws the x axis title under the category labels.
func (s *svg) xTitle(p plot, h float64, title string) {
	if title != "" {
		s.text(p.left+p.width()/2, h-4, "middle", "axis-title", fitPx(title, p.width()), title)
	}
}

// describe is the <desc> of a chart of points: each label with its value,
// for a screen reader that does not walk the marks.
func describe(points []Point, o Options) string {
	parts := make([]string, 0, len(points))
	for _, p := range points {
		parts = append(parts, p.Label+": "+formatValue(p.Value, o))
	}
	return strings.Join(parts, "; ")
}

// drawable returns the points with finite values, clamped.
func drawable(points []Point) []Point {
	out := make([]Point, 0, len(points))
	for _, p := range points {
		if finite(p.Value) {
			out = append(out, Point{Label: p.Label, Value: clamp(p.Value)})
		}
	}
	return out
}

// sortDesc sorts points by value, largest first, keeping the given order
// between equal values.
func sortDesc(points []Point) {
	sort.SliceStable(points, func(i, j int) bool { return points[i].Value > points[j].Value })
}

// leftMargin is the room the tick labels of a need on the left.
func leftMargin(a axis, o Options, w float64) float64 {
	cols := 1
	for _, t := range a.ticks {
		cols = max(cols, columns(a.tickLabel(t, o)))
	}
	return math.Min(math.Max(float64(cols)*columnPx+10, 28), w/3)
}

// frameFor lays out the plot area of a chart of view box w×h whose top
// already holds a legend of legendH.
func frameFor(w, h, legendH, left, right float64, o Options) plot {
	p := plot{left: left, top: 14 + legendH, right: w - right, bottom: h - 22}
	if o.YLabel != "" {
		p.top += 12
	}
	if o.XLabel != "" {
		p.bottom -= 14
	}
	if p.bottom-p.top < 20 {
		p.bottom = p.top + 20 // a tiny view box still draws, squeezed
	}
	if p.right-p.left < 20 {
		p.right = p.left + 20
	}
	return p
}
