package lifecycle

import (
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
	// Retention is the return rate 回厂率.
	Retention Rate `json:"retention"`
	// FirstMaintenance is the first-maintenance return rate 首保回厂率.
	FirstMaintenance Rate `json:"first_maintenance"`
	// Renewal is the insurance renewal rate 续保率.
	Renewal Rate `json:"renewal"`
	// Capture is the own-store capture rate 自店客户掌握率.
	Capture Rate `json:"capture"`
}

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
	var churnBase, churned, retBase, returned, fmDue, fmDone, due, renewed, sold, captured int
	for i := range subs {
		s := &subs[i]
		var inChurnBase, back, inRetBase, inPeriod, recent, firstDone bool
		closes := dealercrm.Date{}
		if !s.Delivery.IsZero() {
			closes = s.Delivery.AddMonths(pl.policy.Maintenance.FirstLostMonths)
		}
		if !s.Delivery.IsZero() && !s.Delivery.Before(prevFrom) && s.Delivery.Before(from) {
			inRetBase = true
		}
		for _, v := range s.Visits {
			if (v.DealerID != "" && s.DealerID != "" && v.DealerID != s.DealerID) || v.Date.After(to) {
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
		}
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
	return out
}

// visitedBefore reports an own-store visit in the months before end.
func visitedBefore(s *Subject, end dealercrm.Date, months int) bool {
	for _, v := range s.Visits {
		if (v.DealerID == "" || s.DealerID == "" || v.DealerID == s.DealerID) && within(v.Date, end, months) {
			return true
		}
	}
	return false
}
