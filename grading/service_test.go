package grading_test

import (
	"context"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	asOf    = dealercrm.NewDate(2025, 6, 30)
	created = time.Date(2021, 1, 5, 2, 0, 0, 0, time.UTC)
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func rec(d crm.DealerID) crm.Record {
	return crm.Record{DealerID: d, CreatedAt: created, UpdatedAt: created}
}

// seedWorked writes the worked dataset of TestScanFactsWorked into store
// for dealer d (SPEC §3 value components of seed 000):
//
//	c1 buys s1 on 2022-03-01 (gross profit 5000, accessory profit 2000,
//	   insurance profit 1000: new-car value 8000) and s2 on 2024-05-01
//	   (gross profit 3000: one add purchase worth 3000); service in the
//	   24-month window 2023-06-30..2025-06-29: 1200 paid by the customer,
//	   3000 by the insurer, 2000 of warranty by the manufacturer (weight
//	   0.5), so revenue 1200 + 3000 + 1000 = 5200 over 3 visits; an 800
//	   order of 2022-12-01 is outside the window but still a visit for recency.
//	c2 introduced a lead that became c3's sale s3 (gross profit 4000, finance
//	   profit 500: referral value 4500), renewed 2 policies and attended one
//	   event; c1 was invited to it but did not come.
func seedWorked(t *testing.T, store crm.Store, d crm.DealerID) {
	ctx := context.Background()
	must := func(err error) { require.NoError(t, err) }
	for _, c := range []crm.Customer{
		{ID: "c1", Record: rec(d), Name: "张伟", Kind: crm.Individual, Region: crm.Region{Province: "上海市", City: "上海市"}, Occupation: "企业主", Industry: "金融"},
		{ID: "c2", Record: rec(d), Name: "李娜", Kind: crm.Individual, Region: crm.Region{Province: "江苏省", City: "苏州市"}},
		{ID: "c3", Record: rec(d), Name: "王强", Kind: crm.Individual},
	} {
		must(store.Customers().Create(ctx, &c))
	}
	for _, v := range []crm.Vehicle{
		{ID: "v1", Record: rec(d), VIN: "LSVAA4182E2100001", Model: "凯美瑞", OwnerID: "c1"},
		{ID: "v2", Record: rec(d), VIN: "LSVAA4182E2100002", Model: "RAV4", OwnerID: "c1"},
		{ID: "v3", Record: rec(d), VIN: "LSVAA4182E2100003", Model: "卡罗拉", OwnerID: "c3"},
		{ID: "v4", Record: rec(d), VIN: "LSVAA4182E2100004", Model: "卡罗拉", OwnerID: "c2"},
	} {
		must(store.Vehicles().Create(ctx, &v))
	}
	for _, s := range []crm.Sale{
		{ID: "s1", Record: rec(d), VehicleID: "v1", CustomerID: "c1", Date: dealercrm.NewDate(2022, 3, 1), Price: dec("200000"), GrossProfit: dec("5000"),
			Items: []crm.ValueChainItem{{Kind: crm.ItemAccessory, Amount: dec("6000"), Profit: dec("2000")}, {Kind: crm.ItemInsurance, Amount: dec("5000"), Profit: dec("1000")}}},
		{ID: "s2", Record: rec(d), VehicleID: "v2", CustomerID: "c1", Date: dealercrm.NewDate(2024, 5, 1), Price: dec("250000"), GrossProfit: dec("3000")},
		{ID: "s3", Record: rec(d), VehicleID: "v3", CustomerID: "c3", Date: dealercrm.NewDate(2025, 1, 15), Price: dec("120000"), GrossProfit: dec("4000"),
			Items: []crm.ValueChainItem{{Kind: crm.ItemFinance, Amount: dec("0"), Profit: dec("500")}}},
		{ID: "s9", Record: rec(d), VehicleID: "v3", CustomerID: "c3", Date: asOf, Price: dec("99999"), GrossProfit: dec("99999")}, // on asOf: ignored
	} {
		must(store.Sales().Create(ctx, &s))
	}
	for _, o := range []crm.ServiceOrder{
		{ID: "o1", Record: rec(d), VehicleID: "v1", CustomerID: "c1", Date: dealercrm.NewDate(2024, 1, 10), Kind: crm.ServiceMaintenance, Labour: dec("500"), Parts: dec("700"), Payer: crm.PayerCustomer},
		{ID: "o2", Record: rec(d), VehicleID: "v1", Date: dealercrm.NewDate(2025, 3, 1), Kind: crm.ServiceAccident, Labour: dec("1000"), Parts: dec("2000"), Payer: crm.PayerInsurer},
		{ID: "o3", Record: rec(d), VehicleID: "v2", CustomerID: "c1", Date: dealercrm.NewDate(2024, 11, 2), Kind: crm.ServiceWarranty, Labour: dec("800"), Parts: dec("1200"), Payer: crm.PayerManufacturer},
		{ID: "o4", Record: rec(d), VehicleID: "v1", CustomerID: "c1", Date: dealercrm.NewDate(2022, 12, 1), Kind: crm.ServiceFirstMaintenance, Labour: dec("800"), Payer: crm.PayerCustomer},
	} {
		must(store.ServiceOrders().Create(ctx, &o))
	}
	for _, p := range []crm.InsurancePolicy{
		{ID: "p1", Record: rec(d), VehicleID: "v4", Kind: crm.Commercial, Insurer: "平安", Start: dealercrm.NewDate(2023, 3, 1), End: dealercrm.NewDate(2024, 2, 28), Renewal: true},
		{ID: "p2", Record: rec(d), VehicleID: "v4", CustomerID: "c2", Kind: crm.Commercial, Insurer: "平安", Start: dealercrm.NewDate(2024, 3, 1), End: dealercrm.NewDate(2025, 2, 28), Renewal: true},
		{ID: "p3", Record: rec(d), VehicleID: "v1", CustomerID: "c1", Kind: crm.Compulsory, Insurer: "人保", Start: dealercrm.NewDate(2024, 3, 1), End: dealercrm.NewDate(2025, 2, 28)},
	} {
		must(store.Policies().Create(ctx, &p))
	}
	lead := crm.Lead{ID: "l1", Record: rec(d), Name: "王强", Level: crm.LevelD, Status: crm.LeadConverted, Source: crm.SourceReferral,
		ReferrerID: "c2", CustomerID: "c3", SaleID: "s3"}
	must(store.Leads().Create(ctx, &lead))
	for _, e := range []crm.EventParticipation{
		{ID: "e1", Record: rec(d), CustomerID: "c2", EventID: "ev1", Date: dealercrm.NewDate(2025, 5, 1), Attended: true},
		{ID: "e2", Record: rec(d), CustomerID: "c1", EventID: "ev1", Date: dealercrm.NewDate(2025, 5, 1)},
	} {
		must(store.Participations().Create(ctx, &e))
	}
}

func newWorld(t *testing.T) (*memory.Store, crm.DealerID) {
	store := memory.New()
	d := crm.DealerID("SH01")
	require.NoError(t, store.Dealers().Create(context.Background(), &crm.Dealer{ID: d, Name: "上海浦东 4S 店", GroupID: "g1", CreatedAt: created, UpdatedAt: created}))
	seedWorked(t, store, d)
	return store, d
}

// TestScanFactsWorked checks the facts and metric values of the worked
// dataset (see seedWorked) against hand-computed numbers.
func TestScanFactsWorked(t *testing.T) {
	store, d := newWorld(t)
	p := grading.DefaultParams()
	facts := map[crm.CustomerID]grading.Facts{}
	require.NoError(t, grading.ScanFacts(context.Background(), store, d, asOf, p.Window(asOf), func(f *grading.Facts) error {
		facts[f.CustomerID] = *f
		return nil
	}))
	require.Len(t, facts, 3)
	c1 := facts["c1"]
	assert.Equal(t, "8000", c1.NewCarValue.String(), "5000 + 2000 + 1000")
	assert.Equal(t, 1, c1.AddPurchases)
	assert.Equal(t, "3000", c1.AddPurchaseValue.String())
	assert.Equal(t, "461000", c1.SalesRevenue.String(), "200000 + 6000 + 5000 + 250000")
	assert.Equal(t, 3, c1.Visits, "o4 is outside the window")
	assert.Equal(t, dealercrm.NewDate(2025, 3, 1), c1.LastVisit, "o2 has no customer and counts for v1's owner")
	assert.Equal(t, "6200", c1.ServiceRevenue().String(), "1200 + 3000 + 2000 unweighted")
	assert.Equal(t, dealercrm.NewDate(2022, 3, 1), c1.Since)

	v := p.Compute(&c1, asOf)
	assert.Equal(t, 8000.0, v.Get(grading.NewCarValue))
	assert.Equal(t, 5200.0, v.Get(grading.AfterSalesRevenue), "1200 + 3000 + 0.5 × 2000")
	assert.InDelta(t, float64(asOf.DaysSince(dealercrm.NewDate(2022, 3, 1)))/365.25, v.Get(grading.Tenure), 1e-12)
	assert.InDelta(t, (90+90+95)/3.0, v.Get(grading.Potential), 1e-12, "上海市 90, 金融 90, 企业主 95")
	assert.Equal(t, 80.0, v.Get(grading.Survey), "no survey: the default")

	c2 := facts["c2"]
	assert.Equal(t, 1, c2.Referrals)
	assert.Equal(t, 1, c2.ReferralsConverted)
	assert.Equal(t, "4500", c2.ReferralValue.String())
	assert.Equal(t, 2, c2.Renewals, "p1 has no customer and counts for v4's owner")
	assert.Equal(t, 1, c2.Events)
	v2 := p.Compute(&c2, asOf)
	assert.InDelta(t, (80+40+40)/3.0, v2.Get(grading.Potential), 1e-12, "苏州市 80, defaults 40")

	c3 := facts["c3"]
	assert.Equal(t, "4500", c3.NewCarValue.String(), "s9 on the as-of date is ignored")
	assert.Equal(t, 0, c3.AddPurchases)
	assert.Equal(t, 0, facts["c1"].Events, "invited, not attended")
}

type surveys map[crm.CustomerID]float64

func (s surveys) SurveyScores(context.Context, crm.DealerID) (map[crm.CustomerID]float64, error) {
	return s, nil
}

// TestServiceRunIdempotent runs the default model twice as of one date:
// the second run returns the first and adds no history (SPEC §0: one run
// per dealer and date takes effect).
func TestServiceRunIdempotent(t *testing.T) {
	ctx := context.Background()
	store, d := newWorld(t)
	gs := memory.NewGradingStore()
	clock := time.Date(2025, 6, 30, 1, 0, 0, 0, time.UTC)
	svc, err := grading.NewService(store, gs, grading.WithClock(func() time.Time { return clock }), grading.WithSurveys(surveys{"c1": 95}))
	require.NoError(t, err)

	r1, err := svc.Run(ctx, grading.RunRequest{DealerID: d, AsOf: asOf})
	require.NoError(t, err)
	assert.Equal(t, 3, r1.Customers)
	assert.Equal(t, 3, r1.Changed, "every customer's first grade is a change")
	assert.Equal(t, "scan", r1.Aggregation)

	r2, err := svc.Run(ctx, grading.RunRequest{DealerID: d, AsOf: asOf})
	require.NoError(t, err)
	assert.Equal(t, r1, r2, "the same date answers the run that took effect")
	r3, err := svc.Run(ctx, grading.RunRequest{DealerID: d, AsOf: asOf, RunID: "other-key"})
	require.NoError(t, err)
	assert.Equal(t, r1, r3, "also under another run ID")
	_, err = svc.GetRun(ctx, d, "other-key")
	assert.ErrorIs(t, err, dealercrm.ErrNotFound, "which records nothing")

	cg, err := svc.Customer(ctx, d, "c1")
	require.NoError(t, err)
	assert.Len(t, cg.History, 1, "one history row after two identical runs")
	assert.Equal(t, r1.ID, cg.State.RunID, "the state was last changed by the first run")
	assert.NotEmpty(t, cg.State.Top, "the grade is explained")
	require.NotNil(t, cg.Strategy)
	assert.Equal(t, cg.State.Grade, cg.Strategy.Grade)

	st, err := svc.StrategyFor(ctx, d, "c1")
	require.NoError(t, err)
	assert.Contains(t, []int{1, 3, 6}, st.ContactMonths)
	_, err = svc.StrategyFor(ctx, d, "nobody")
	assert.ErrorIs(t, err, dealercrm.ErrNotFound)

	// The run ID is an idempotency key; with another date it is a conflict.
	again, err := svc.Run(ctx, grading.RunRequest{DealerID: d, AsOf: asOf, RunID: r1.ID})
	require.NoError(t, err)
	assert.Equal(t, r1, again)
	again, err = svc.Run(ctx, grading.RunRequest{DealerID: d, RunID: r1.ID})
	require.NoError(t, err)
	assert.Equal(t, r1, again, "a retry without a date replays")
	_, err = svc.Run(ctx, grading.RunRequest{DealerID: d, AsOf: asOf.AddDays(-1), RunID: r1.ID})
	assert.ErrorIs(t, err, dealercrm.ErrConflict, "the key of a run as of another date")

	page, err := svc.ListStates(ctx, d, grading.StateFilter{})
	require.NoError(t, err)
	assert.Len(t, page.Items, 3)

	rfm, err := svc.RFM(ctx, d, asOf, true)
	require.NoError(t, err)
	assert.Equal(t, 1, rfm.Customers, "only c1 has service history")
	assert.Equal(t, 2, rfm.NoHistory)

	par, err := svc.Pareto(ctx, d, grading.ParetoRequest{AsOf: asOf})
	require.NoError(t, err)
	assert.Equal(t, "587200", par.Total, "461000 + 6200 + 120000 + 0")
	assert.Equal(t, 1, par.TopCustomers, "⌈0.2 × 3⌉")
	_, err = svc.Pareto(ctx, d, grading.ParetoRequest{Basis: "profit"})
	assert.ErrorIs(t, err, dealercrm.ErrInvalid)
}

// TestServiceGroupRun grades a dealer against its group as one
// population: the run writes the asking dealer's records only, unless the
// host sets WriteGroup (issue 12: a group run wrote a sister store's grades).
func TestServiceGroupRun(t *testing.T) {
	ctx := context.Background()
	store, d := newWorld(t)
	d2 := crm.DealerID("SZ01")
	require.NoError(t, store.Dealers().Create(ctx, &crm.Dealer{ID: d2, Name: "苏州 4S 店", GroupID: "g1", CreatedAt: created, UpdatedAt: created}))
	seedWorked(t, store, d2)
	svc, err := grading.NewService(store, memory.NewGradingStore())
	require.NoError(t, err)
	r, err := svc.Run(ctx, grading.RunRequest{DealerID: d, AsOf: asOf, Group: true})
	require.NoError(t, err)
	assert.Equal(t, []crm.DealerID{d, d2}, r.Dealers)
	assert.Equal(t, 3, r.Customers, "the record counts the asking dealer's customers")
	a, err := svc.Customer(ctx, d, "c1")
	require.NoError(t, err)
	_, err = svc.Customer(ctx, d2, "c1")
	assert.ErrorIs(t, err, dealercrm.ErrNotFound, "the sister store is read, not written")
	_, err = svc.GetRun(ctx, d2, r.ID)
	assert.ErrorIs(t, err, dealercrm.ErrNotFound, "nor given a run record")

	// A host with a group permission writes the group: the sister store
	// gets its run of the date; the asking dealer keeps the one it has.
	w, err := svc.Run(ctx, grading.RunRequest{DealerID: d, AsOf: asOf, Group: true, WriteGroup: true})
	require.NoError(t, err)
	assert.Equal(t, r, w, "the asking dealer's run of the date")
	b, err := svc.Customer(ctx, d2, "c1")
	require.NoError(t, err)
	assert.Equal(t, a.State.Score, b.State.Score, "the same facts score the same in one population")
	rb, err := svc.GetRun(ctx, d2, b.State.RunID)
	require.NoError(t, err)
	assert.Equal(t, d2, rb.DealerID)
	assert.Equal(t, asOf, rb.AsOf)
}

// TestNewServiceRejectsInvalidModel: an invalid model never runs.
func TestNewServiceRejectsInvalidModel(t *testing.T) {
	m := grading.DefaultModel()
	m.Metrics[0].Weight = 0.5
	_, err := grading.NewService(memory.New(), memory.NewGradingStore(), grading.WithModel(m))
	assert.ErrorIs(t, err, dealercrm.ErrInvalid)
	assert.Contains(t, err.Error(), "weights sum to 1.3")
}
