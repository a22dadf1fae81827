package grading

import (
	"cmp"
	"slices"

	"github.com/dealercrm/dealercrm/crm"
)

// Segment is a standard RFM segment name.
type Segment string

// The RFM segments, from the common R×F segment map of RFM analysis.
const (
	Champions          Segment = "champions"
	Loyal              Segment = "loyal"
	PotentialLoyalists Segment = "potential_loyalists"
	NewCustomers       Segment = "new_customers"
	Promising          Segment = "promising"
	NeedAttention      Segment = "need_attention"
	AboutToSleep       Segment = "about_to_sleep"
	AtRisk             Segment = "at_risk"
	CantLose           Segment = "cant_lose"
	Hibernating        Segment = "hibernating"
)

var allSegments = []Segment{Champions, Loyal, PotentialLoyalists, NewCustomers, Promising, NeedAttention, AboutToSleep, AtRisk, CantLose, Hibernating}

// Segments returns every Segment, best first.
func Segments() []Segment { return slices.Clone(allSegments) }

// Valid reports whether s is a known Segment.
func (s Segment) Valid() bool { return slices.Contains(allSegments, s) }

// SegmentOf returns the segment of recency score r and frequency score f
// (1–5 each) by the R×F map:
//
//	R 1–2: F 1–2 hibernating, F 3–4 at_risk, F 5 cant_lose
//	R 3:   F 1–2 about_to_sleep, F 3 need_attention, F 4–5 loyal
//	R 4:   F 1 promising, F 2–3 potential_loyalists, F 4–5 loyal
//	R 5:   F 1 new_customers, F 2–3 potential_loyalists, F 4–5 champions
func SegmentOf(r, f int) Segment {
	switch {
	case r <= 2:
		switch {
		case f <= 2:
			return Hibernating
		case f <= 4:
			return AtRisk
		}
		return CantLose
	case r == 3:
		switch {
		case f <= 2:
			return AboutToSleep
		case f == 3:
			return NeedAttention
		}
		return Loyal
	case r == 4:
		switch {
		case f == 1:
			return Promising
		case f <= 3:
			return PotentialLoyalists
		}
		return Loyal
	}
	switch {
	case f == 1:
		return NewCustomers
	case f <= 3:
		return PotentialLoyalists
	}
	return Champions
}

// RFMInput is one customer's service history for RFM: days since the last
// visit, visits and revenue in the window.
type RFMInput struct {
	CustomerID crm.CustomerID `json:"customer_id"`
	Recency    int            `json:"recency_days"`
	Frequency  int            `json:"frequency"`
	Monetary   float64        `json:"monetary"`
}

// RFMScore is one customer's RFM quintile scores (1–5, 5 best) and segment.
type RFMScore struct {
	RFMInput
	R       int     `json:"r"`
	F       int     `json:"f"`
	M       int     `json:"m"`
	Segment Segment `json:"segment"`
}

// SegmentCount is the number of customers in one segment.
type SegmentCount struct {
	Segment Segment `json:"segment"`
	Count   int     `json:"count"`
}

// RFMReport is the RFM analysis of a population.
type RFMReport struct {
	// Customers is the number of customers with service history scored;
	// NoHistory those without any service order, left out.
	Customers int `json:"customers"`
	NoHistory int `json:"no_history"`
	// Segments counts customers per segment, in the order of Segments().
	Segments []SegmentCount `json:"segments"`
	// Scores are the customers' scores in input order (nil when the
	// report was asked without them).
	Scores []RFMScore `json:"scores,omitempty"`
}

// ComputeRFM scores customers in quintiles: a customer's score on a
// dimension is 1 + ⌊5 × b / N⌋, where N is the number of customers and b
// the number whose value is worse (a longer recency, fewer visits, less
// revenue), so ties share a score. The segment follows SegmentOf.
func ComputeRFM(in []RFMInput) []RFMScore {
	n := len(in)
	rec, freq, mon := make([]float64, n), make([]float64, n), make([]float64, n)
	for i, x := range in {
		rec[i], freq[i], mon[i] = -float64(x.Recency), float64(x.Frequency), x.Monetary
	}
	q := func(col []float64) []int {
		sorted := slices.Clone(col)
		slices.Sort(sorted)
		out := make([]int, n)
		for i, x := range col {
			below, _ := slices.BinarySearch(sorted, x)
			out[i] = 1 + 5*below/n
		}
		return out
	}
	r, f, m := q(rec), q(freq), q(mon)
	out := make([]RFMScore, n)
	for i, x := range in {
		out[i] = RFMScore{RFMInput: x, R: r[i], F: f[i], M: m[i], Segment: SegmentOf(r[i], f[i])}
	}
	return out
}

// countSegments counts scores per segment, in the order of Segments().
func countSegments(scores []RFMScore) []SegmentCount {
	out := make([]SegmentCount, len(allSegments))
	for i, s := range allSegments {
		out[i].Segment = s
	}
	for _, s := range scores {
		out[slices.Index(allSegments, s.Segment)].Count++
	}
	return out
}

// ParetoReport is the concentration of revenue across customers (the 80/20
// rule): the share of revenue that comes from the top TopShare of
// customers, and how many customers make up Target of revenue.
type ParetoReport struct {
	Customers int    `json:"customers"`
	Total     string `json:"total"`
	// TopShare is the share of customers asked about (0.2 = top 20%),
	// TopCustomers how many that is, TopRevenueShare their share of revenue.
	TopShare        float64 `json:"top_share"`
	TopCustomers    int     `json:"top_customers"`
	TopRevenueShare float64 `json:"top_revenue_share"`
	// Target is the revenue share asked about (0.8); CoreCustomers is the
	// smallest number of customers, largest first, whose revenue reaches
	// it, CoreShare that number's share of customers.
	Target        float64 `json:"target"`
	CoreCustomers int     `json:"core_customers"`
	CoreShare     float64 `json:"core_share"`
	// Core lists the core customers, largest first, up to the limit asked.
	Core []ParetoEntry `json:"core"`
}

// ParetoEntry is one customer's revenue in a Pareto report.
type ParetoEntry struct {
	CustomerID crm.CustomerID `json:"customer_id"`
	Revenue    string         `json:"revenue"`
}

// sortByRevenue orders entries largest first, then by customer ID.
func sortByRevenue[T any](xs []T, less func(a, b T) int, id func(T) crm.CustomerID) {
	slices.SortFunc(xs, func(a, b T) int {
		if c := less(b, a); c != 0 {
			return c
		}
		return cmp.Compare(id(a), id(b))
	})
}
