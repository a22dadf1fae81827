package chart_test

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/dealercrm/dealercrm/adapters/console/chart"
)

// marks counts the data marks of a chart by their classes.
func marks(svg string, class string) int {
	return len(regexp.MustCompile(`class="mark `+class+`[ "]`).FindAllString(svg, -1))
}

func ExampleLine() {
	svg := chart.Line("流失率", []chart.Series{
		{Name: "2026", Points: []chart.Point{{Label: "1月", Value: 0.12}, {Label: "2月", Value: 0.09}, {Label: "3月", Value: 0.1}}},
		{Name: "2025", Points: []chart.Point{{Label: "1月", Value: 0.15}, {Label: "2月", Value: 0.14}}},
	}, chart.Options{Percent: true})
	s := string(svg)
	fmt.Println(s[strings.Index(s, "role="):strings.Index(s, " preserveAspectRatio")])
	fmt.Println("lines:", marks(s, "line"), "points:", marks(s, "point"))
	// Output:
	// role="img" aria-label="流失率" viewBox="0 0 640 280" width="100%"
	// lines: 2 points: 5
}

func ExampleBar() {
	svg := string(chart.Bar("首保回厂率", []chart.Point{
		{Label: "A4L", Value: 0.82}, {Label: "Q5L", Value: 0.74},
	}, chart.Options{Percent: true}))
	fmt.Println("bars:", marks(svg, "bar"))
	fmt.Println(regexp.MustCompile(`<title>[^<]*</title></rect>`).FindAllString(svg, -1))
	// Output:
	// bars: 2
	// [<title>A4L: 82%</title></rect> <title>Q5L: 74%</title></rect>]
}

func ExamplePareto() {
	svg := string(chart.Pareto("客户等级", []chart.Point{
		{Label: "C", Value: 20}, {Label: "A", Value: 50}, {Label: "B", Value: 30},
	}, chart.Options{Unit: "人"}))
	// The bars come largest first; the cumulative line ends at 100 %.
	fmt.Println(regexp.MustCompile(`<circle class="mark cumulative-point[^>]*><title>([^<]*)</title>`).ReplaceAllString(
		strings.Join(regexp.MustCompile(`<circle class="mark cumulative-point[^>]*><title>[^<]*</title>`).FindAllString(svg, -1), " "), "$1"))
	// Output:
	// A: 50% B: 80% C: 100%
}

func ExampleQuadrant() {
	svg := string(chart.Quadrant("满意度 重要性–表现", []chart.XY{
		{Label: "维修质量", X: 0.9, Y: 92}, {Label: "等待时间", X: 0.8, Y: 71}, {Label: "休息区", X: 0.2, Y: 88},
	}, 0.5, 80, chart.Options{
		XLabel: "重要性", YLabel: "表现",
		Quadrants: [4]string{"过度投入", "继续保持", "次要", "优先改进"},
	}))
	for _, q := range []string{"q-tl", "q-tr", "q-bl", "q-br"} {
		fmt.Println(q, strings.Count(svg, "mark point "+q))
	}
	// Output:
	// q-tl 1
	// q-tr 1
	// q-bl 0
	// q-br 1
}

func ExampleTargets() {
	svg := string(chart.Targets("活动漏斗", []chart.Target{
		{Label: "邀约", Actual: 0.62, Target: 0.5},
		{Label: "到店", Actual: 0.31, Target: 0.4},
	}, chart.Options{Percent: true}))
	fmt.Println("met:", strings.Count(svg, `class="row met"`), "missed:", strings.Count(svg, `class="row missed"`))
	// Output:
	// met: 1 missed: 1
}

func ExampleOptions_empty() {
	svg := string(chart.Bar("Renewals", nil, chart.Options{Empty: "No data yet"}))
	fmt.Println(strings.Contains(svg, "chart-empty"), strings.Contains(svg, ">No data yet</text>"))
	// Output:
	// true true
}
