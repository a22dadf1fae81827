package chart_test

import (
	"bytes"
	"encoding/xml"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/console/chart"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// node is one parsed element of a chart.
type node struct {
	name     string
	attr     map[string]string
	text     string // character data directly inside
	children []*node
}

// parse reads out as XML, strictly, and returns its root element; it fails
// the test if out is not one well-formed element.
func parse(t testing.TB, out template.HTML) *node {
	t.Helper()
	root, err := parseXML(string(out))
	require.NoError(t, err, "the chart is well-formed XML: %s", out)
	return root
}

func parseXML(s string) (*node, error) {
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = true
	var stack []*node
	var root *node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{name: tok.Name.Local, attr: map[string]string{}}
			for _, a := range tok.Attr {
				n.attr[a.Name.Local] = a.Value
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else if root != nil {
				return nil, io.ErrUnexpectedEOF // a second root
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tok)
			} else if strings.TrimSpace(string(tok)) != "" {
				return nil, io.ErrUnexpectedEOF
			}
		}
	}
	if root == nil {
		return nil, io.ErrUnexpectedEOF
	}
	return root, nil
}

// all returns the elements under n (n too) whose name is name ("*": any)
// and whose class holds every one of classes.
func (n *node) all(name string, classes ...string) []*node {
	var out []*node
	var walk func(*node)
	walk = func(m *node) {
		if (name == "*" || m.name == name) && hasClasses(m, classes) {
			out = append(out, m)
		}
		for _, c := range m.children {
			walk(c)
		}
	}
	walk(n)
	return out
}

func hasClasses(n *node, classes []string) bool {
	have := strings.Fields(n.attr["class"])
	for _, c := range classes {
		found := false
		for _, h := range have {
			found = found || h == c
		}
		if !found {
			return false
		}
	}
	return true
}

// texts returns the character data of every element under n.
func (n *node) texts() []string {
	var out []string
	var walk func(*node)
	walk = func(m *node) {
		if strings.TrimSpace(m.text) != "" {
			out = append(out, m.text)
		}
		for _, c := range m.children {
			walk(c)
		}
	}
	walk(n)
	return out
}

func (n *node) f(t testing.TB, attr string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(n.attr[attr], 64)
	require.NoError(t, err, "%s of <%s> is a number", attr, n.name)
	return v
}

// numericAttrs are the attributes that hold coordinates.
var numericAttrs = []string{"x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "width", "height", "d", "viewBox"}

// sane checks what every chart must be, whatever its input: one <svg>
// with role img, its title as accessible name and first child, scaling
// by viewBox, and no coordinate that is NaN or infinite.
func sane(t testing.TB, title string, out template.HTML) *node {
	t.Helper()
	root := parse(t, out)
	require.Equal(t, "svg", root.name, "the chart is one <svg>")
	assert.Equal(t, "img", root.attr["role"], "role")
	assert.Equal(t, "100%", root.attr["width"], "width scales with the container")
	assert.Regexp(t, `^0 0 \d+ \d+$`, root.attr["viewBox"], "viewBox")
	require.NotEmpty(t, root.children)
	assert.Equal(t, "title", root.children[0].name, "the first child is <title>")
	assert.Equal(t, root.attr["aria-label"], root.children[0].text, "aria-label and <title> agree")
	assert.Equal(t, cleanText(title), root.attr["aria-label"], "aria-label is the title")
	var walk func(*node)
	walk = func(n *node) {
		for _, a := range numericAttrs {
			v := strings.ToLower(n.attr[a])
			assert.NotContains(t, v, "nan", "%s of <%s>", a, n.name)
			assert.NotContains(t, v, "inf", "%s of <%s>", a, n.name)
		}
		for _, c := range n.children {
			walk(c)
		}
	}
	walk(root)
	assert.Empty(t, root.all("script"), "no script")
	for _, n := range root.all("*") {
		for a := range n.attr {
			assert.False(t, strings.HasPrefix(strings.ToLower(a), "on"), "no event handler attribute %s", a)
		}
	}
	return root
}

// cleanText is what a chart keeps of a caller's text: tabs and newlines as
// spaces, no control characters.
func cleanText(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		if r < 0x20 || r == 0x7F {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
}

// charts draws every kind of chart from the same title, label and values.
func charts(title, label string, values []float64, o chart.Options) map[string]template.HTML {
	var pts []chart.Point
	var xy []chart.XY
	var tg []chart.Target
	for i, v := range values {
		l := label + strconv.Itoa(i)
		pts = append(pts, chart.Point{Label: l, Value: v})
		xy = append(xy, chart.XY{Label: l, X: v, Y: values[(i+1)%len(values)]})
		tg = append(tg, chart.Target{Label: l, Actual: v, Target: values[(i+1)%len(values)]})
	}
	mid := math.NaN()
	if len(values) > 0 {
		mid = values[0]
	}
	return map[string]template.HTML{
		"line":     chart.Line(title, []chart.Series{{Name: label + "A", Points: pts}, {Name: label + "B", Points: pts[:len(pts)/2]}}, o),
		"bar":      chart.Bar(title, pts, o),
		"pareto":   chart.Pareto(title, pts, o),
		"quadrant": chart.Quadrant(title, xy, mid, mid, o),
		"targets":  chart.Targets(title, tg, o),
	}
}

func TestChartsAreAccessibleAndScale(t *testing.T) {
	for kind, out := range charts("首保回厂率", "三月", []float64{0.4, 0.55, 0.7}, chart.Options{Percent: true}) {
		t.Run(kind, func(t *testing.T) {
			root := sane(t, "首保回厂率", out)
			assert.Equal(t, "0 0 640 280", root.attr["viewBox"], "default view box")
			assert.NotEmpty(t, root.all("*", "mark"), "data marks drawn")
			assert.Empty(t, root.all("*", "chart-empty"))
			desc := root.all("desc")
			require.Len(t, desc, 1, "a <desc> lists the data for a screen reader")
			assert.Contains(t, desc[0].text, "三月0")
			assert.NotContains(t, string(out), "style=", "no inline style (CSP style-src)")
		})
	}
}

func TestEverythingIsEscaped(t *testing.T) {
	evil := `<script>alert("x")</script> 'q' & "dq"`
	o := chart.Options{Unit: evil, Empty: evil, XLabel: evil, YLabel: evil, Quadrants: [4]string{evil, evil, evil, evil}}
	for kind, out := range charts(evil, evil, []float64{3, 1, 2}, o) {
		t.Run(kind, func(t *testing.T) {
			assert.NotContains(t, string(out), "<script", "no raw tag")
			assert.NotContains(t, string(out), `"x"`, "no raw quote")
			root := sane(t, evil, out)
			found := false
			for _, s := range root.texts() {
				found = found || strings.Contains(s, evil)
			}
			assert.True(t, found, "the label reads back unchanged after unescaping")
		})
	}
	for kind, out := range charts(evil, evil, nil, o) {
		t.Run(kind+"/empty", func(t *testing.T) {
			assert.NotContains(t, string(out), "<script")
			root := sane(t, evil, out)
			require.Len(t, root.all("text", "empty"), 1)
			assert.Equal(t, evil, root.all("text", "empty")[0].text)
		})
	}
}

func TestBadValuesNeverPanicNorSayNaN(t *testing.T) {
	inf := math.Inf(1)
	cases := map[string][]float64{
		"nil":        nil,
		"NaN only":   {math.NaN(), math.NaN()},
		"Inf":        {inf, -inf, 1},
		"mixed":      {math.NaN(), 2, inf, -3, 0},
		"negative":   {-5, -1, -0.5},
		"huge":       {math.MaxFloat64, -math.MaxFloat64, 1},
		"tiny":       {5e-324, 0, -5e-324},
		"zeros":      {0, 0, 0},
		"one":        {42},
		"near equal": {1e20, 1e20 + 1e5},
	}
	for name, values := range cases {
		for _, o := range []chart.Options{{}, {Percent: true}, {Width: 1, Height: 1}, {Width: -5, Height: 100000}} {
			for kind, out := range charts("t", "l", values, o) {
				t.Run(name+"/"+kind, func(t *testing.T) {
					assert.NotContains(t, string(out), "NaN")
					assert.NotContains(t, string(out), "Inf")
					sane(t, "t", out)
				})
			}
		}
	}
}

func TestEmptyChartSaysSo(t *testing.T) {
	root := sane(t, "流失", chart.Bar("流失", nil, chart.Options{}))
	assert.True(t, hasClasses(root, []string{"chart-empty"}))
	assert.Equal(t, "无数据", root.all("text", "empty")[0].text, "default Empty")
	root = sane(t, "流失", chart.Line("流失", []chart.Series{{Name: "a"}}, chart.Options{Empty: "No data"}))
	assert.Equal(t, "No data", root.all("text", "empty")[0].text)
	assert.Empty(t, root.all("*", "mark"))
	// Pareto of nothing positive is empty too: there is no total to share.
	root = sane(t, "p", chart.Pareto("p", []chart.Point{{"a", -1}, {"b", 0}}, chart.Options{}))
	assert.True(t, hasClasses(root, []string{"chart-empty"}))
}

func TestBarHeightIsProportionalToValue(t *testing.T) {
	root := sane(t, "b", chart.Bar("b", []chart.Point{{"a", 10}, {"b", 20}, {"c", 40}, {"d", 0}}, chart.Options{}))
	bars := root.all("rect", "bar")
	require.Len(t, bars, 4)
	h := func(i int) float64 { return bars[i].f(t, "height") }
	require.Greater(t, h(0), 5.0)
	assert.InDelta(t, 2, h(1)/h(0), 0.02, "20 is twice 10")
	assert.InDelta(t, 4, h(2)/h(0), 0.02, "40 is four times 10")
	assert.Zero(t, h(3), "0 has no height")
	// All stand on the same baseline.
	for i := range 3 {
		assert.InDelta(t, bars[0].f(t, "y")+h(0), bars[i].f(t, "y")+h(i), 0.11, "bar %d ends on the baseline", i)
	}
	assert.Equal(t, []string{"10", "20", "40", "0"}, valueLabels(root), "value labels in order")
}

func TestBarNegativeHangsBelowZero(t *testing.T) {
	root := sane(t, "b", chart.Bar("b", []chart.Point{{"up", 10}, {"down", -10}}, chart.Options{}))
	bars := root.all("rect", "bar")
	require.Len(t, bars, 2)
	assert.InDelta(t, bars[0].f(t, "y")+bars[0].f(t, "height"), bars[1].f(t, "y"), 0.11, "the negative bar starts where the positive ends: at zero")
	assert.InDelta(t, bars[0].f(t, "height"), bars[1].f(t, "height"), 0.11, "same magnitude, same length")
}

func valueLabels(root *node) []string {
	var out []string
	for _, n := range root.all("text", "value") {
		out = append(out, n.text)
	}
	return out
}

func TestParetoSortsAndEndsAtHundredPercent(t *testing.T) {
	pts := []chart.Point{{"C", 10}, {"A", 50}, {"D", math.NaN()}, {"B", 40}, {"E", -3}}
	root := sane(t, "等级", chart.Pareto("等级", pts, chart.Options{}))
	bars := root.all("rect", "bar")
	require.Len(t, bars, 3, "NaN and negative skipped")
	var order []string
	for _, b := range bars {
		order = append(order, b.children[0].text)
	}
	assert.Equal(t, []string{"A: 50", "B: 40", "C: 10"}, order, "sorted descending")
	for i := 1; i < len(bars); i++ {
		assert.LessOrEqual(t, bars[i].f(t, "height"), bars[i-1].f(t, "height"), "bar %d no taller than the one before", i)
	}
	cum := root.all("circle", "cumulative-point")
	require.Len(t, cum, 3)
	assert.Equal(t, "A: 50%", cum[0].children[0].text)
	assert.Equal(t, "B: 90%", cum[1].children[0].text)
	assert.Equal(t, "C: 100%", cum[2].children[0].text, "the curve ends at 100 %")
	// 100 % is the top of the plot: the right axis's top tick.
	var top float64 = math.Inf(1)
	for _, tick := range root.all("text", "tick") {
		if tick.text == "100%" {
			top = tick.f(t, "y") - 4
		}
	}
	assert.InDelta(t, top, cum[2].f(t, "cy"), 0.11, "last cumulative point sits on the 100 % line")
	for i := 1; i < len(cum); i++ {
		assert.Less(t, cum[i].f(t, "cy"), cum[i-1].f(t, "cy"), "the curve rises")
		assert.InDelta(t, bars[i].f(t, "x")+bars[i].f(t, "width")/2, cum[i].f(t, "cx"), 0.11, "point %d over its bar", i)
	}
	// 90 % of the plot's height above the baseline for B.
	base := bars[0].f(t, "y") + bars[0].f(t, "height")
	assert.InDelta(t, 0.9, (base-cum[1].f(t, "cy"))/(base-top), 0.005)
	assert.Len(t, root.all("line", "ref-80"), 1, "80 % reference")
}

func TestQuadrantPutsPointsInTheirQuadrant(t *testing.T) {
	pts := []chart.XY{
		{"价格", 2, 9}, {"服务", 9, 9}, {"环境", 2, 2}, {"等待", 9, 2}, {"正中", 5, 5},
	}
	o := chart.Options{XLabel: "重要性", YLabel: "表现", Quadrants: [4]string{"过度", "保持", "次要", "优先改进"}}
	root := sane(t, "IPA", chart.Quadrant("IPA", pts, 5, 5, o))
	mids := root.all("line", "mid")
	require.Len(t, mids, 2)
	mx, my := mids[0].f(t, "x1"), mids[1].f(t, "y1")
	want := []string{"q-tl", "q-tr", "q-bl", "q-br", "q-tr"}
	circles := root.all("circle", "point")
	require.Len(t, circles, 5)
	for i, c := range circles {
		assert.True(t, hasClasses(c, []string{want[i]}), "%s is %s: %s", pts[i].Label, want[i], c.attr["class"])
		cx, cy := c.f(t, "cx"), c.f(t, "cy")
		right, top := cx >= mx, cy <= my // SVG y grows downwards
		assert.Equal(t, want[i][3] == 'r', right, "%s left/right of the mid line", pts[i].Label)
		assert.Equal(t, want[i][2] == 't', top, "%s above/below the mid line", pts[i].Label)
	}
	var names []string
	for _, n := range root.all("text", "quadrant-name") {
		names = append(names, n.text)
	}
	assert.Equal(t, []string{"过度", "保持", "次要", "优先改进"}, names)
	texts := strings.Join(root.texts(), "|")
	assert.Contains(t, texts, "重要性")
	assert.Contains(t, texts, "表现")
}

func TestTargetsMarksMetAndMissed(t *testing.T) {
	rows := []chart.Target{{"到店", 0.6, 0.5}, {"成交", 0.2, 0.3}, {"无目标", 0.1, math.NaN()}, {"跳过", math.NaN(), 1}}
	root := sane(t, "漏斗", chart.Targets("漏斗", rows, chart.Options{Percent: true}))
	bars := root.all("rect", "bar")
	require.Len(t, bars, 3, "the NaN actual is skipped")
	assert.True(t, hasClasses(bars[0], []string{"met"}), "60%% against 50%% is met")
	assert.True(t, hasClasses(bars[1], []string{"missed"}), "20%% against 30%% is missed")
	assert.True(t, hasClasses(bars[2], []string{"no-target"}))
	marks := root.all("line", "target")
	require.Len(t, marks, 2, "no marker without a target")
	end := func(b *node) float64 { return b.f(t, "x") + b.f(t, "width") }
	assert.Greater(t, end(bars[0]), marks[0].f(t, "x1"), "met: the bar passes the marker")
	assert.Less(t, end(bars[1]), marks[1].f(t, "x1"), "missed: the bar stops short of it")
	assert.InDelta(t, 3, bars[0].f(t, "width")/bars[1].f(t, "width"), 0.02, "lengths proportional")
	assert.Equal(t, []string{"60% / 50%", "20% / 30%", "10%"}, valueLabels(root))
}

func TestTargetsGrowsForManyRows(t *testing.T) {
	rows := make([]chart.Target, 20)
	for i := range rows {
		rows[i] = chart.Target{Label: strconv.Itoa(i), Actual: float64(i), Target: 10}
	}
	root := sane(t, "t", chart.Targets("t", rows, chart.Options{}))
	assert.Equal(t, "0 0 640 600", root.attr["viewBox"], "28 units a row")
}

func TestLineBreaksAtGapsAndHasLegend(t *testing.T) {
	a := chart.Series{Name: "流失率", Points: []chart.Point{{"1月", 0.1}, {"2月", math.NaN()}, {"3月", 0.3}, {"4月", 0.2}}}
	b := chart.Series{Name: "去年", Points: []chart.Point{{"2月", 0.2}, {"5月", 0.1}}}
	root := sane(t, "流失", chart.Line("流失", []chart.Series{a, b}, chart.Options{Percent: true}))
	paths := root.all("path", "line")
	require.Len(t, paths, 2)
	assert.Equal(t, 2, strings.Count(paths[0].attr["d"], "M"), "the NaN month breaks the line: %s", paths[0].attr["d"])
	assert.Len(t, root.all("circle", "point", "c-series-0"), 3)
	assert.Len(t, root.all("circle", "point", "c-series-1"), 2)
	var cats []string
	for _, n := range root.all("text", "category") {
		cats = append(cats, n.text)
	}
	assert.Equal(t, []string{"1月", "2月", "3月", "4月", "5月"}, cats, "labels in order of first appearance")
	legend := root.all("g", "legend")
	require.Len(t, legend, 1)
	assert.Equal(t, []string{"流失率", "去年"}, legend[0].texts())
	// The same label is the same x in both series.
	feb := root.all("circle", "c-series-1")[0]
	jan := root.all("circle", "c-series-0")[0]
	mar := root.all("circle", "c-series-0")[1]
	assert.InDelta(t, (jan.f(t, "cx")+mar.f(t, "cx"))/2, feb.f(t, "cx"), 0.11)
	// One series: no legend.
	root = sane(t, "流失", chart.Line("流失", []chart.Series{a}, chart.Options{}))
	assert.Empty(t, root.all("g", "legend"))
}

func TestYAxisTicksAreNice(t *testing.T) {
	for _, tc := range []struct {
		values []float64
		o      chart.Options
		want   []string
	}{
		{[]float64{97, 12}, chart.Options{}, []string{"0", "20", "40", "60", "80", "100"}},
		{[]float64{0.37}, chart.Options{Percent: true}, []string{"0%", "10%", "20%", "30%", "40%"}},
		{[]float64{-3, 7}, chart.Options{Unit: "分"}, []string{"-4分", "-2分", "0分", "2分", "4分", "6分", "8分"}},
		{[]float64{0.013}, chart.Options{}, []string{"0", "0.005", "0.01", "0.015"}},
		{[]float64{12_345_678}, chart.Options{Unit: "元"}, []string{"0元", "5000000元", "10000000元", "15000000元"}},
	} {
		pts := make([]chart.Point, len(tc.values))
		for i, v := range tc.values {
			pts[i] = chart.Point{Label: "x", Value: v}
		}
		root := sane(t, "b", chart.Bar("b", pts, tc.o))
		var got []string
		for _, n := range root.all("text", "tick") {
			got = append(got, n.text)
		}
		assert.Equal(t, tc.want, got, "ticks for %v", tc.values)
	}
}

func TestLongChineseLabelsAreShortened(t *testing.T) {
	long := "首次保养回厂率（按车型与销售顾问统计）"
	pts := make([]chart.Point, 12)
	for i := range pts {
		pts[i] = chart.Point{Label: long, Value: float64(i + 1)}
	}
	root := sane(t, "b", chart.Bar("b", pts, chart.Options{}))
	cats := root.all("text", "category")
	require.NotEmpty(t, cats)
	for _, c := range cats {
		shown := strings.TrimSpace(c.text)
		assert.True(t, strings.HasSuffix(shown, "…"), "shortened: %q", shown)
		assert.True(t, strings.HasPrefix(long, strings.TrimSuffix(shown, "…")), "a prefix of whole characters: %q", shown)
		require.Len(t, c.children, 1)
		assert.Equal(t, long, c.children[0].text, "the full label stays as a tooltip")
	}
}

func FuzzCharts(f *testing.F) {
	f.Add("标题", "标签", 1.0, 2.0, 3.0, 640, 280, false)
	f.Add(`<script>"'&`, "\x00\xff", math.NaN(), math.Inf(1), -1e308, 1, 1, true)
	f.Add("", "", 0.0, 0.0, 0.0, 0, 0, false)
	f.Add("t", "l", 5e-324, -5e-324, 1e300, 20000, -3, true)
	f.Fuzz(func(t *testing.T, title, label string, a, b, c float64, w, h int, percent bool) {
		o := chart.Options{Width: w, Height: h, Percent: percent, Unit: label, XLabel: label, YLabel: title, Empty: label, Quadrants: [4]string{label, title, label, title}}
		for _, values := range [][]float64{{a, b, c}, {a}, {a, b}, nil} {
			for kind, out := range charts(title, label, values, o) {
				root, err := parseXML(string(out))
				if err != nil {
					t.Fatalf("%s: not well-formed: %v\n%s", kind, err, out)
				}
				if root.name != "svg" || root.attr["role"] != "img" {
					t.Fatalf("%s: root is <%s role=%q>", kind, root.name, root.attr["role"])
				}
				var bad []string
				var walk func(*node)
				walk = func(n *node) {
					for _, at := range numericAttrs {
						v := strings.ToLower(n.attr[at])
						if strings.Contains(v, "nan") || strings.Contains(v, "inf") {
							bad = append(bad, n.name+"."+at+"="+v)
						}
					}
					for _, ch := range n.children {
						walk(ch)
					}
				}
				walk(root)
				if len(bad) > 0 {
					t.Fatalf("%s: non-finite coordinates %v", kind, bad)
				}
				if !bytes.Contains([]byte(out), []byte(`role="img"`)) {
					t.Fatalf("%s: no role", kind)
				}
			}
		}
	})
}

func TestNegativeBarLabelStaysAboveCategoryLabels(t *testing.T) {
	root := sane(t, "ROI", chart.Bar("ROI", []chart.Point{{"电话", 1.21}, {"短信", -1}}, chart.Options{Percent: true}))
	values := root.all("text", "value")
	require.Len(t, values, 2)
	cats := root.all("text", "category")
	require.Len(t, cats, 2)
	bars := root.all("rect", "bar")
	assert.Less(t, values[1].f(t, "y"), cats[1].f(t, "y")-11, "-100%% is not written over the category label")
	assert.Greater(t, values[1].f(t, "y"), bars[1].f(t, "y"), "it is inside its bar")
	assert.Equal(t, "-100%", values[1].text)
}

func TestQuadrantLabelsDoNotOverlap(t *testing.T) {
	pts := []chart.XY{{"交车满意度", 0.13, 75}, {"专属顾问", 0.135, 75}, {"价格透明", 0.132, 75.2}, {"环境", 0.9, 50}, {"等待", 0.131, 74.9}, {"第六项", 0.1305, 75.1}}
	root := sane(t, "IPA", chart.Quadrant("IPA", pts, 0.2, 65, chart.Options{}))
	labels := root.all("text", "point-label")
	require.GreaterOrEqual(t, len(labels), 4, "the crowded points get labels around them")
	assert.Len(t, root.all("circle", "point"), len(pts), "every point is drawn, labelled or not")
	type rect struct{ x0, y0, x1, y1 float64 }
	var boxes []rect
	for _, l := range labels {
		w := float64(len([]rune(l.text))) * 12.1 // all Chinese: two columns of 6.05 each
		x, y := l.f(t, "x"), l.f(t, "y")
		switch l.attr["text-anchor"] {
		case "end":
			x -= w
		case "middle":
			x -= w / 2
		}
		boxes = append(boxes, rect{x, y - 9, x + w, y})
	}
	for i := range boxes {
		for j := range i {
			a, b := boxes[i], boxes[j]
			overlap := a.x0 < b.x1-1 && b.x0 < a.x1-1 && a.y0 < b.y1-1 && b.y0 < a.y1-1
			assert.False(t, overlap, "labels %q and %q overlap", labels[i].text, labels[j].text)
		}
	}
}

// BenchmarkCharts draws one chart of each kind at the size of the demo
// dashboard's: 12 months, 10 Pareto bars, 6 quadrant points, 3 targets.
func BenchmarkCharts(b *testing.B) {
	var months, deciles []chart.Point
	for i := range 12 {
		months = append(months, chart.Point{Label: "2026-" + strconv.Itoa(i+1), Value: float64(i%5) / 10})
	}
	for i := range 10 {
		deciles = append(deciles, chart.Point{Label: strconv.Itoa(10*(i+1)) + "%", Value: float64(30 - 3*i)})
	}
	xy := []chart.XY{{"交车", 0.1, 70}, {"顾问", 0.2, 80}, {"价格", 0.15, 60}, {"环境", 0.3, 75}, {"等待", 0.12, 50}, {"说明", 0.25, 85}}
	tg := []chart.Target{{"邀约", 0.6, 0.5}, {"到店", 0.3, 0.4}, {"成交", 0.1, 0.12}}
	b.ReportAllocs()
	for b.Loop() {
		_ = chart.Line("流失率", []chart.Series{{Name: "2026", Points: months}}, chart.Options{Percent: true})
		_ = chart.Bar("回厂率", months[:3], chart.Options{Percent: true})
		_ = chart.Pareto("帕累托", deciles, chart.Options{})
		_ = chart.Quadrant("四象限", xy, 0.2, 70, chart.Options{Quadrants: [4]string{"a", "b", "c", "d"}})
		_ = chart.Targets("目标", tg, chart.Options{Percent: true})
	}
}
