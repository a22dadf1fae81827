// Package chart draws the console's charts as server-side SVG: data in,
// one <svg> element out, as html/template.HTML ready to put in a page.
//
// Five kinds cover the dashboard: [Line] (churn by month, one line per
// series), [Bar] (rates, counts), [Pareto] (bars sorted from the largest
// and the cumulative share up to 100 %: grade distribution), [Quadrant]
// (importance–performance analysis of CSI criteria) and [Targets] (a
// campaign funnel's stages against their targets, met or missed). [Options]
// sets the view box, the unit or percent format, axis titles, quadrant
// names and the text of a chart with no data.
//
// Every chart is:
//
//   - accessible: role="img", aria-label and a <title> holding the title,
//     a <desc> listing the data for a screen reader, and a <title> tooltip
//     on every mark and on every label that had to be shortened;
//   - scalable: a viewBox (640×280 by default) and width="100%", so one
//     chart fits a 1280-pixel laptop and a 390-pixel phone;
//   - safe: every caller string (title, labels, names, unit, axis titles)
//     is escaped, invalid UTF-8 and characters XML forbids are dropped, and
//     there is no script, event handler, inline style or external reference,
//     so the output passes a strict Content-Security-Policy and parses as
//     XML as well as HTML;
//   - robust: NaN and ±Inf values are skipped, values are bounded to
//     ±1e300, and no input panics or writes "NaN" (FuzzCharts checks);
//   - styleable: data marks carry class "mark" and their kind (bar, line,
//     point, cumulative, target), series carry c-series-0, c-series-1 …,
//     Targets rows carry met, missed or no-target, Quadrant points q-tl,
//     q-tr, q-bl or q-br, and a chart without data carries chart-empty; each
//     has a fill or stroke attribute as well, which a stylesheet's class
//     rules override, so a chart looks right with or without the console's
//     CSS.
//
// Value axes have nice ticks (steps of 1, 2 or 5 × 10ⁿ) and start at zero
// for bars and lines. Category labels are shortened by display width, a
// Chinese character counting as two Latin ones, and whole characters only;
// when there are too many to fit, every k-th is shown.
//
// The package is our own rather than a library: no well-kept pure-Go chart
// library writes accessible, CSP-safe SVG on the server. go-echarts renders
// in the browser with JavaScript; wcharczuk/go-chart draws PNG or SVG with
// its own font metrics and no accessible names; neither is in the project's
// module list. Five chart kinds in a few hundred lines are cheaper to own.
//
// A short example:
//
//	svg := chart.Line("流失率", []chart.Series{{Name: "2026", Points: []chart.Point{
//		{Label: "1月", Value: 0.12}, {Label: "2月", Value: 0.09},
//	}}}, chart.Options{Percent: true})
//	// {{.Churn}} in an html/template page writes it unescaped.
package chart
