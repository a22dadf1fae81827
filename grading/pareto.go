package grading

import (
	"math"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
)

// Revenue is one customer's revenue, the input of a Pareto report.
type Revenue struct {
	CustomerID crm.CustomerID
	Amount     decimal.Decimal
}

// ComputePareto builds the Pareto report of revenues (see ParetoReport):
// customers are ranked by revenue, largest first (ties by ID); the top
// ⌈topShare × N⌉ customers' share of the total is TopRevenueShare; the
// core is the shortest prefix whose revenue reaches target × total. At
// most limit core customers are listed. Shares are computed in decimal and
// rounded to 4 decimals. revenues is reordered.
func ComputePareto(revenues []Revenue, topShare, target float64, limit int) ParetoReport {
	sortByRevenue(revenues, func(a, b Revenue) int { return a.Amount.Cmp(b.Amount) }, func(r Revenue) crm.CustomerID { return r.CustomerID })
	n := len(revenues)
	var total decimal.Decimal
	for _, r := range revenues {
		total = total.Add(r.Amount)
	}
	rep := ParetoReport{Customers: n, Total: total.String(), TopShare: topShare, Target: target, Core: []ParetoEntry{}}
	if n == 0 {
		return rep
	}
	rep.TopCustomers = int(math.Ceil(topShare*float64(n) - 1e-9))
	share := func(part decimal.Decimal) float64 {
		if total.IsZero() {
			return 0
		}
		return part.DivRound(total, 8).Round(4).InexactFloat64()
	}
	goal := total.Mul(decimal.NewFromFloat(target))
	var cum, top decimal.Decimal
	for i, r := range revenues {
		cum = cum.Add(r.Amount)
		if i < rep.TopCustomers {
			top = cum
		}
		if rep.CoreCustomers == 0 && cum.Cmp(goal) >= 0 && total.IsPositive() {
			rep.CoreCustomers = i + 1
		}
	}
	rep.TopRevenueShare = share(top)
	rep.CoreShare = math.Round(float64(rep.CoreCustomers)/float64(n)*1e4) / 1e4
	for _, r := range revenues[:min(rep.CoreCustomers, max(limit, 0))] {
		rep.Core = append(rep.Core, ParetoEntry{CustomerID: r.CustomerID, Revenue: r.Amount.String()})
	}
	return rep
}
