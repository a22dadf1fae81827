package grading_test

import (
	"context"
	"fmt"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
)

// ExampleBatch scores three customers with a two-metric model and grades
// them by the default thresholds (A ≥ 80, B ≥ 50).
func ExampleBatch() {
	m := grading.DefaultModel()
	m.Metrics = []grading.MetricSpec{
		{Metric: grading.AfterSalesRevenue, Weight: 0.6, Method: grading.MinMax},
		{Metric: grading.AfterSalesVisits, Weight: 0.4, Method: grading.Banded, Bands: []grading.Band{{From: 1, Points: 50}, {From: 4, Points: 100}}},
	}
	b, err := grading.NewBatch(m, 3)
	if err != nil {
		panic(err)
	}
	for _, c := range []struct {
		id             crm.CustomerID
		revenue, visit float64
	}{{"c1", 12000, 5}, {"c2", 6000, 2}, {"c3", 0, 0}} {
		var v grading.Values
		v.Set(grading.AfterSalesRevenue, c.revenue)
		v.Set(grading.AfterSalesVisits, c.visit)
		b.Add("SH01", c.id, &v)
	}
	s := b.Score()
	for i := range s.Len() {
		st, _ := s.Decide(i, nil, dealercrm.NewDate(2025, 6, 30))
		fmt.Println(st.CustomerID, st.Score, st.Grade)
	}
	// Output:
	// c1 100 A
	// c2 50 B
	// c3 0 C
}

// ExampleModel_Validate shows a model rejected with the problem named.
func ExampleModel_Validate() {
	m := grading.DefaultModel()
	m.Tiers[1].MinScore = 85
	fmt.Println(m.Validate())
	// Output:
	// crm: invalid grading model: tiers[1].min_score: threshold 85 of grade B overlaps threshold 80 of grade A: thresholds must strictly decrease
}

// ExampleService_Run grades a tiny dealership twice as of one date: the
// second run returns the first (one run per dealer and date takes effect). c1's score: new-car value ranks above c2's (percentile
// 1 × 20), potential 40 × 5% = 2, tenure 425 days = 1.16 of 5 years × 5% =
// 1.16; 23.16 in all.
func ExampleService_Run() {
	ctx := context.Background()
	store := memory.New()
	_ = store.Dealers().Create(ctx, &crm.Dealer{ID: "SH01", Name: "上海浦东 4S 店"})
	rec := crm.Record{DealerID: "SH01"}
	for _, c := range []crm.Customer{{ID: "c1", Record: rec, Name: "张伟"}, {ID: "c2", Record: rec, Name: "李娜"}} {
		_ = store.Customers().Create(ctx, &c)
	}
	_ = store.Sales().Create(ctx, &crm.Sale{ID: "s1", Record: rec, VehicleID: "v1", CustomerID: "c1",
		Date: dealercrm.NewDate(2024, 5, 1), GrossProfit: dec("8000")})
	svc, err := grading.NewService(store, memory.NewGradingStore())
	if err != nil {
		panic(err)
	}
	asOf := dealercrm.NewDate(2025, 6, 30)
	first, _ := svc.Run(ctx, grading.RunRequest{DealerID: "SH01", AsOf: asOf})
	again, _ := svc.Run(ctx, grading.RunRequest{DealerID: "SH01", AsOf: asOf})
	fmt.Println("first run:", first.Customers, "customers,", first.Changed, "changes")
	fmt.Println("same date again: the same run:", again.ID == first.ID)
	g, _ := svc.Customer(ctx, "SH01", "c1")
	fmt.Println("c1:", g.State.Score, g.State.Grade, "top:", g.State.Top[0].Metric, "contact every", g.Strategy.ContactMonths, "months")
	// Output:
	// first run: 2 customers, 2 changes
	// same date again: the same run: true
	// c1: 23.16 C top: new_car_value contact every 6 months
}

// ExampleComputePareto shows the 80/20 report on five customers.
func ExampleComputePareto() {
	var revs []grading.Revenue
	for i, x := range []string{"60000", "20000", "10000", "6000", "4000"} {
		revs = append(revs, grading.Revenue{CustomerID: crm.CustomerID(fmt.Sprint("c", i+1)), Amount: dec(x)})
	}
	rep := grading.ComputePareto(revs, 0.2, 0.8, 10)
	fmt.Printf("top %.0f%% bring %.0f%% of %s; %d customers make 80%%\n", 100*rep.TopShare, 100*rep.TopRevenueShare, rep.Total, rep.CoreCustomers)
	// Output:
	// top 20% bring 60% of 100000; 2 customers make 80%
}
