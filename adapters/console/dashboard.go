package console

import (
	"context"
	"errors"
	"html/template"
	"strconv"
	"sync"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/console/chart"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/satisfaction"
)

// The dashboard's bounds: the reports of the last dashMonths months, the
// newest dashCampaigns campaigns, the first dashQuestionnaires
// questionnaires.
const (
	dashMonths         = 12
	dashCampaigns      = 6
	dashQuestionnaires = 2
	// wideWidth and wideHeight are the view box of a chart across the
	// page, so that its text keeps the size of the others'.
	wideWidth, wideHeight = 1200, 320
)

// figures are a dealer's dashboard numbers, in no language: the cache
// keeps them, each request draws them in its own.
type figures struct {
	from, to dealercrm.Date
	kpis     lifecycle.KPIs
	grades   map[grading.Grade]int
	pareto   grading.ParetoReport
	deciles  []float64 // revenue share of each tenth of the customers, largest first
	surveys  []surveyFigures
	funnels  []funnelFigures
	channels campaign.ChannelReport
	// has says which sections the services gave (a nil service: none).
	hasGrades, hasSurveys, hasCampaigns bool
}

type surveyFigures struct {
	name       string
	report     satisfaction.Report
	priorities []satisfaction.Priority
}

type funnelFigures struct {
	name string
	rows []campaign.FunnelRow
}

// dashEntry is a dealer's figures and when they were computed.
type dashEntry struct {
	at  time.Time
	fig *figures
}

// dashboardFigures returns the dealer's figures, computed at most once per
// DashboardTTL: one request at a time computes them, the others wait for
// its result, so that a room of people opening the dashboard costs one
// computation.
func (h *handler) dashboardFigures(ctx context.Context, dealer crm.DealerID) (*figures, error) {
	select {
	case h.dashTurn <- struct{}{}:
		defer func() { <-h.dashTurn }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	now := h.cfg.now()
	if e, ok := h.dash[dealer]; ok && now.Sub(e.at) < h.cfg.cacheTTL && !now.Before(e.at) {
		return e.fig, nil
	}
	fig, err := h.computeFigures(ctx, dealer)
	if err != nil {
		return nil, err
	}
	h.dash[dealer] = dashEntry{at: now, fig: fig}
	return fig, nil
}

// computeFigures calls the report services the HTTP API serves at
// /v1/reports/kpis, /v1/grading/pareto, /v1/reports/csi and
// /v1/reports/satisfaction-priorities, /v1/campaigns/{id}/funnel and
// /v1/reports/channels: the four sections at once, each on its own
// connection, since each mostly waits for its store.
func (h *handler) computeFigures(ctx context.Context, dealer crm.DealerID) (*figures, error) {
	today, err := h.svc.Lifecycle.Today(ctx, dealer)
	if err != nil {
		return nil, err
	}
	from := dealercrm.NewDate(today.Year, today.Month, 1).AddMonths(-(dashMonths - 1))
	f := &figures{from: from, to: today}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	wg.Go(func() {
		f.kpis, errs[0] = h.svc.Lifecycle.KPIs(ctx, dealer, lifecycle.PeriodQuery{From: from, To: today})
	})
	if h.svc.Grading != nil {
		f.hasGrades = true
		wg.Go(func() { errs[1] = h.gradeFigures(ctx, dealer, today, f) })
	}
	if h.svc.Satisfaction != nil {
		f.hasSurveys = true
		wg.Go(func() { errs[2] = h.surveyFigures(ctx, dealer, from, today, f) })
	}
	if h.svc.Campaigns != nil {
		f.hasCampaigns = true
		wg.Go(func() { errs[3] = h.campaignFigures(ctx, dealer, from, today, f) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return f, nil
}

// gradeFigures reads the grade distribution and every customer's revenue,
// to draw the Pareto curve by tenths.
func (h *handler) gradeFigures(ctx context.Context, dealer crm.DealerID, today dealercrm.Date, f *figures) error {
	g := h.svc.Grading
	grades, err := g.Grades(ctx, dealer)
	if err != nil {
		return err
	}
	f.grades = map[grading.Grade]int{}
	for _, gr := range grades {
		f.grades[grading.Grade(gr)]++
	}
	if f.pareto, err = g.Pareto(ctx, dealer, grading.ParetoRequest{AsOf: today, Limit: 1 << 20}); err != nil {
		return err
	}
	f.deciles = deciles(f.pareto)
	return nil
}

// surveyFigures reads the CSI report and priorities of the first
// questionnaires.
func (h *handler) surveyFigures(ctx context.Context, dealer crm.DealerID, from, today dealercrm.Date, f *figures) error {
	s := h.svc.Satisfaction
	qs, err := s.ListQuestionnaires(ctx, dealer, crm.PageRequest{Limit: dashQuestionnaires})
	if err != nil {
		return err
	}
	for _, q := range qs.Items {
		rep, err := s.Report(ctx, dealer, q.ID, satisfaction.ReportRequest{From: from, To: today})
		if err != nil {
			return err
		}
		f.surveys = append(f.surveys, surveyFigures{name: q.Name, report: rep, priorities: rep.Priorities(satisfaction.DefaultTarget)})
	}
	return nil
}

// campaignFigures reads the funnels of the newest campaigns with an
// audience and the channel report.
func (h *handler) campaignFigures(ctx context.Context, dealer crm.DealerID, from, today dealercrm.Date, f *figures) error {
	c := h.svc.Campaigns
	all, err := crm.All(ctx, func(after string) (crm.Page[campaign.Campaign], error) {
		return c.List(ctx, dealer, campaign.Filter{PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	})
	if err != nil {
		return err
	}
	for i := len(all) - 1; i >= 0 && len(f.funnels) < dashCampaigns; i-- {
		if all[i].FrozenAt.IsZero() || len(all[i].Targets) == 0 {
			continue
		}
		fr, err := c.Funnel(ctx, dealer, all[i].ID)
		if err != nil {
			return err
		}
		f.funnels = append(f.funnels, funnelFigures{name: all[i].Name, rows: fr.Rows})
	}
	f.channels, err = c.Channels(ctx, dealer, crm.DateRange{From: from, To: today})
	return err
}

// deciles returns the revenue share of each tenth of the customers of a
// Pareto report, the largest tenth first.
func deciles(r grading.ParetoReport) []float64 {
	total, _ := strconv.ParseFloat(r.Total, 64)
	n := r.Customers
	if n == 0 || total <= 0 {
		return nil
	}
	out := make([]float64, 10)
	for i, e := range r.Core {
		v, _ := strconv.ParseFloat(e.Revenue, 64)
		out[min(i*10/n, 9)] += v / total
	}
	return out
}

type dashboardData struct {
	Period string
	Charts []dashChart
}

type dashChart struct {
	ID, Title string
	Note      string
	SVG       template.HTML
	Wide      bool
}

// dashboardPage is 仪表盘: the figures of the last months drawn as charts
// (package chart), each section shown when the principal's roles allow
// reading it.
func (h *handler) dashboardPage(q *req) error {
	fig, err := h.dashboardFigures(q.r.Context(), q.p.Dealer)
	if err != nil {
		return err
	}
	empty := q.T("console.dashboard.no_data")
	d := dashboardData{Period: q.T("console.dashboard.period", "from", fig.from.String(), "to", fig.to.String())}
	add := func(id, title, note string, svg template.HTML, wide bool) {
		d.Charts = append(d.Charts, dashChart{ID: id, Title: title, Note: note, SVG: svg, Wide: wide})
	}
	// Churn by month and the rates.
	var churn []chart.Point
	for _, m := range fig.kpis.ChurnByMonth {
		churn = append(churn, chart.Point{Label: m.Month, Value: m.Rate.Rate})
	}
	title := q.T("console.dashboard.churn")
	add("churn", title, "", chart.Line(title, []chart.Series{{Name: q.T("console.dashboard.churn_series"), Points: churn}},
		chart.Options{Percent: true, Empty: empty, Width: wideWidth, Height: wideHeight}), true)
	title = q.T("console.dashboard.rates")
	add("rates", title, "", chart.Bar(title, []chart.Point{
		{Label: q.T("console.dashboard.retention"), Value: fig.kpis.Retention.Rate},
		{Label: q.T("console.dashboard.first_maintenance"), Value: fig.kpis.FirstMaintenance.Rate},
		{Label: q.T("console.dashboard.renewal"), Value: fig.kpis.Renewal.Rate},
	}, chart.Options{Percent: true, Empty: empty}), false)
	if fig.hasGrades && q.p.Can(crm.PermGradingRead) {
		var pts []chart.Point
		for _, g := range []grading.Grade{grading.GradeA, grading.GradeB, grading.GradeC} {
			pts = append(pts, chart.Point{Label: string(g), Value: float64(fig.grades[g])})
		}
		title = q.T("console.dashboard.grades")
		add("grades", title, "", chart.Bar(title, pts, chart.Options{Empty: empty}), false)
		pts = nil
		for i, v := range fig.deciles {
			pts = append(pts, chart.Point{Label: strconv.Itoa((i+1)*10) + "%", Value: v})
		}
		title = q.T("console.dashboard.pareto")
		note := ""
		if fig.pareto.Customers > 0 {
			note = q.T("console.dashboard.pareto_note", "share", strconv.FormatFloat(fig.pareto.TopShare*100, 'f', 0, 64),
				"revenue", strconv.FormatFloat(fig.pareto.TopRevenueShare*100, 'f', 1, 64))
		}
		add("pareto", title, note, chart.Pareto(title, pts, chart.Options{Percent: true, Empty: empty}), false)
	}
	if fig.hasSurveys && q.p.Can(crm.PermSurveysRead) {
		for i, s := range fig.surveys {
			var pts []chart.Point
			for _, c := range s.report.Criteria {
				label := c.Name
				if label == "" {
					label = c.Key
				}
				pts = append(pts, chart.Point{Label: label, Value: c.CSI})
			}
			title = q.T("console.dashboard.csi")
			note := q.T("console.dashboard.questionnaire", "name", s.name)
			add("csi-"+strconv.Itoa(i), title, note, chart.Bar(title, pts, chart.Options{Unit: "分", Empty: empty}), false)
			var xy []chart.XY
			var mx, my float64
			for _, p := range s.priorities {
				label := p.Name
				if label == "" {
					label = p.IndicatorID
				}
				xy = append(xy, chart.XY{Label: label, X: p.Importance, Y: p.Performance})
				mx += p.Importance
				my += p.Performance
			}
			if n := float64(len(xy)); n > 0 {
				mx, my = mx/n, my/n
			}
			title = q.T("console.dashboard.quadrant")
			add("quadrant-"+strconv.Itoa(i), title, note, chart.Quadrant(title, xy, mx, my, chart.Options{Empty: empty,
				XLabel: q.T("console.dashboard.importance"), YLabel: q.T("console.dashboard.performance"),
				Quadrants: [4]string{q.T("console.dashboard.q_over"), q.T("console.dashboard.q_keep"),
					q.T("console.dashboard.q_low"), q.T("console.dashboard.q_improve")}}), false)
		}
	}
	if fig.hasCampaigns && q.p.Can(crm.PermCampaignsRead) {
		for i, fu := range fig.funnels {
			var rows []chart.Target
			for _, r := range fu.rows {
				rate, _ := r.Rate.Float64()
				target, _ := r.Target.Float64()
				rows = append(rows, chart.Target{Label: r.Segment, Actual: rate, Target: target})
			}
			title = q.T("console.dashboard.funnels") + " · " + fu.name
			add("funnel-"+strconv.Itoa(i), title, "", chart.Targets(title, rows, chart.Options{Percent: true, Empty: empty}), false)
		}
		var pts []chart.Point
		for _, r := range fig.channels.Rows {
			if r.ROI == nil {
				continue
			}
			roi, _ := r.ROI.Float64()
			pts = append(pts, chart.Point{Label: q.word(string(r.Dimension), r.Key), Value: roi})
		}
		title = q.T("console.dashboard.channels")
		add("channels", title, "", chart.Bar(title, pts, chart.Options{Percent: true, Empty: empty, Width: wideWidth, Height: wideHeight}), true)
	}
	return q.show("dashboard", q.view("console.dashboard.title", "dashboard"), d)
}
