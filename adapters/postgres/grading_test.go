package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/demo"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/grading/gradingtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGradingStoreConformance(t *testing.T) {
	gradingtest.RunStoreTests(t, func(t *testing.T) grading.Store { return pgtest.NewStore(t).Grading() })
}

// TestGradingPushdownMatchesScan seeds demo data and checks that the SQL
// aggregation gives every customer the same facts as the plain scan over
// the crm stores, then runs a grading twice on Postgres: the second run
// changes nothing.
func TestGradingPushdownMatchesScan(t *testing.T) {
	ctx := context.Background()
	store := pgtest.NewStore(t)
	data := demo.Generate(demo.Options{Seed: 3, Customers: 120})
	require.NoError(t, demo.Seed(ctx, crm.NewService(store), data))
	asOf := data.Options.Today
	window := grading.DefaultParams().Window(asOf)
	for _, dd := range data.Dealers {
		d := dd.Dealer.ID
		scan := map[crm.CustomerID]grading.Facts{}
		require.NoError(t, grading.ScanFacts(ctx, store, d, asOf, window, func(f *grading.Facts) error { scan[f.CustomerID] = *f; return nil }))
		n := 0
		require.NoError(t, store.AggregateFacts(ctx, d, asOf, window, func(f *grading.Facts) error {
			n++
			want, ok := scan[f.CustomerID]
			require.True(t, ok, "customer %s is scanned too", f.CustomerID)
			assert.Equal(t, factsKey(&want), factsKey(f), "facts of %s", f.CustomerID)
			return nil
		}))
		assert.Equal(t, len(scan), n, "every customer of %s", d)
	}

	svc, err := grading.NewService(store, store.Grading())
	require.NoError(t, err)
	d := data.Dealers[0].Dealer.ID
	r1, err := svc.Run(ctx, grading.RunRequest{DealerID: d, AsOf: asOf})
	require.NoError(t, err)
	assert.Equal(t, "pushdown", r1.Aggregation)
	assert.Equal(t, r1.Customers, r1.Changed)
	r2, err := svc.Run(ctx, grading.RunRequest{DealerID: d, AsOf: asOf})
	require.NoError(t, err)
	assert.Zero(t, r2.Changed)
	assert.Zero(t, r2.Written)
	got, err := svc.GetRun(ctx, d, r1.ID)
	require.NoError(t, err)
	assert.Equal(t, r1, got, "the run reads back")
}

// factsKey renders facts with decimals normalised, for comparison.
func factsKey(f *grading.Facts) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %v %s %s since=%s ncv=%s add=%d/%s rev=%s visits=%d last=%s ref=%d/%d/%s ev=%d ren=%d",
		f.CustomerID, f.Region, f.Industry, f.Occupation, f.Since, f.NewCarValue.StringFixed(2), f.AddPurchases,
		f.AddPurchaseValue.StringFixed(2), f.SalesRevenue.StringFixed(2), f.Visits, f.LastVisit, f.Referrals,
		f.ReferralsConverted, f.ReferralValue.StringFixed(2), f.Events, f.Renewals)
	for _, x := range f.ServiceByPayer {
		b.WriteString(" p" + x.StringFixed(2))
	}
	for _, x := range f.ServiceByKind {
		b.WriteString(" k" + x.StringFixed(2))
	}
	return b.String()
}
