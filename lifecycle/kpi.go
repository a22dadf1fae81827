package lifecycle

import (
	"fmt"
	"time"

	"github.com/dealercrm/dealercrm"
)

// Rate is a KPI: Numerator / Denominator, with the ratio (0 when the
// denominator is 0) rounded to four decimals for display.
type Rate struct {
	Numerator   int     `json:"numerator"`
	Denominator int     `json:"denominator"`
	Rate        float64 `json:"rate"`
}

func rate(n, d int) Rate {
	r := Rate{Numerator: n, Denominator: d}
	if d > 0 {
		r.Rate = float64(int(float64(n)*10000/float64(d)+0.5)) / 10000
	}
	return r
}

// KPIs are the lifecycle KPIs of a dealer over a period [From, To]; the
// formulas are in the package docs (KPIs).
type KPIs struct {
	From dealercrm.Date `json:"from"`
	To   dealercrm.Date `json:"to"`
	// ChurnMonth is month N of the churn rate: the month of To.
	ChurnMonth string `json:"churn_month"`
	// Churn is the rolling churn rate (reference ≤ 20%).
	Churn Rate `json:"churn"`
	// ChurnByMonth is the rolling churn rate of each month N from the
	// month of From to the month of To (at most 120 months, the latest
	// kept); its last entry is Churn.
	ChurnByMonth []MonthRate `json:"churn_by_month"`
	// Retention is the return rate 回厂率.
	Retention Rate `json:"retention"`
	// FirstMaintenance is the first-maintenance return rate 首保回厂率.
	FirstMaintenance Rate `json:"first_maintenance"`
	// Renewal is the insurance renewal rate 续保率.
	Renewal Rate `json:"renewal"`
	// Capture is the own-store capture rate 自店客户掌握率.
	Capture Rate `json:"capture"`
	// Comebacks is the comeback rate 返修率: comebacks per workshop job.
	Comebacks Rate `json:"comebacks"`
	// ComputedAt is when the daily run computed the KPIs served from its
	// snapshot; absent when computed for the request.
	ComputedAt time.Time `json:"computed_at,omitzero"`
}

// MonthRate is a Rate of one month ("2026-06").
type MonthRate struct {
	Month string `json:"month"`
	Rate
}

// maxChurnMonths bounds KPIs.ChurnByMonth.
const maxChurnMonths = 120

func monthStart(d dealercrm.Date) dealercrm.Date { return dealercrm.NewDate(d.Year, d.Month, 1) }

// KPIs computes the KPIs of subjects over [from, to] with the planner's
// AbnormalPolicy (and Maintenance.FirstLostMonths, the close of the
// first-maintenance window). Only the subjects' own-store visits up to
// to count; with PaidOnly, only customer-paid ones.
func (pl *Planner) KPIs(subs []Subject, from, to dealercrm.Date) KPIs {
	a := pl.policy.Abnormal
	out := KPIs{From: from, To: to, ChurnMonth: to.String()[:7]}
	// Month N−ChurnMonths and months N−ChurnMonths+1 … N (up to to).
	n := monthStart(to)
	baseFrom := n.AddMonths(-a.ChurnMonths)
	baseTo := n.AddMonths(-a.ChurnMonths + 1).AddDays(-1)
	retFrom := n.AddMonths(-a.ChurnMonths + 1)
	prevFrom := from.AddMonths(-a.BaseMonths)
	capFrom := to.AddMonths(-a.BaseMonths)
	var churnBase, churned, retBase, returned, fmDue, fmDone, due, renewed, sold, captured, jobs, comebacks int
	// The months of the churn series, as indexes year×12 + month − 1.
	lastN := to.Year*12 + int(to.Month) - 1
	firstN := max(from.Year*12+int(from.Month)-1, lastN-maxChurnMonths+1)
	series := make([][2]int, max(lastN-firstN+1, 0)) // base, churned
	var months []int                                 // a subject's visit months, reused
	cb := pl.policy.Comebacks
	for i := range subs {
		s := &subs[i]
		months = months[:0]
		var inChurnBase, back, inRetBase, inPeriod, recent, firstDone bool
		closes := dealercrm.Date{}
		if !s.Delivery.IsZero() {
			closes = s.Delivery.AddMonths(pl.policy.Maintenance.FirstLostMonths)
		}
		if !s.Delivery.IsZero() && !s.Delivery.Before(prevFrom) && s.Delivery.Before(from) {
			inRetBase = true
		}
		for _, v := range s.Visits {
			if !ownVisit(s, &v) || v.Date.After(to) {
				continue
			}
			if v.maintenance() && !closes.IsZero() && !v.Date.After(closes) {
				firstDone = true
			}
			if a.PaidOnly && !v.Paid() {
				continue
			}
			d := v.Date
			inChurnBase = inChurnBase || (!d.Before(baseFrom) && !d.After(baseTo))
			back = back || !d.Before(retFrom)
			inRetBase = inRetBase || (!d.Before(prevFrom) && d.Before(from))
			inPeriod = inPeriod || !d.Before(from)
			recent = recent || d.After(capFrom)
			if m := d.Year*12 + int(d.Month) - 1; len(months) == 0 || months[len(months)-1] != m {
				months = append(months, m)
			}
		}
		churnSeries(series, firstN, a.ChurnMonths, months)
		jobs += cb.Jobs(s, from, to)
		comebacks += len(cb.Comebacks(s, from, to))
		if inChurnBase {
			churnBase++
			if !back {
				churned++
			}
		}
		if inRetBase {
			retBase++
			if inPeriod {
				returned++
			}
		}
		if !closes.IsZero() && !closes.Before(from) && !closes.After(to) {
			fmDue++
			if firstDone {
				fmDone++
			}
		}
		if s.SoldHere && !s.Delivery.IsZero() && !s.Delivery.After(to) {
			sold++
			if recent {
				captured++
			}
		}
		for _, t := range s.Policies {
			if t.End.Before(from) || t.End.After(to) {
				continue
			}
			if a.RenewalBase == RenewalActiveDue && !visitedBefore(s, t.End, a.BaseMonths) {
				continue
			}
			due++
			if renewedBy(s.Policies, t) != "" {
				renewed++
			}
		}
	}
	out.Churn = rate(churned, churnBase)
	out.Retention = rate(returned, retBase)
	out.FirstMaintenance = rate(fmDone, fmDue)
	out.Renewal = rate(renewed, due)
	out.Capture = rate(captured, sold)
	out.Comebacks = rate(comebacks, jobs)
	out.ChurnByMonth = make([]MonthRate, len(series))
	for k, c := range series {
		n := firstN + k
		out.ChurnByMonth[k] = MonthRate{Month: fmt.Sprintf("%04d-%02d", n/12, n%12+1), Rate: rate(c[1], c[0])}
	}
	return out
}

// churnSeries adds one vehicle to the churn series: for each month N
// (series[k] is month firstN + k), the vehicle is in the base when it
// visited in month N − window, and churned when it also did not visit in
// months N − window + 1 … N. months are the indexes (year×12 + month − 1)
// of the vehicle's visit months.
func churnSeries(series [][2]int, firstN, window int, months []int) {
	if len(months) == 0 {
		return
	}
	for k := range series {
		n := firstN + k
		base, back := false, false
		for _, m := range months {
			if m == n-window {
				base = true
			} else if m > n-window && m <= n {
				back = true
			}
		}
		if base {
			series[k][0]++
			if !back {
				series[k][1]++
			}
		}
	}
}

// visitedBefore reports an own-store visit in the months before end.
func visitedBefore(s *Subject, end dealercrm.Date, months int) bool {
	for _, v := range s.Visits {
		if ownVisit(s, &v) && within(v.Date, end, months) {
			return true
		}
	}
	return false
}
