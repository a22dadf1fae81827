package grading_test

import (
	"context"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/demo"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDemoSpread grades the demo group (seed 1, 500 customers) with the
// default model and wants a believable spread (seed 002: few high-value
// customers, a middle tier, a long tail): A 3–19%, B 20–60%, C the rest,
// and every RFM segment family present.
func TestDemoSpread(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	data := demo.Generate(demo.Options{Seed: 1})
	require.NoError(t, demo.Seed(ctx, crm.NewService(store), data))
	svc, err := grading.NewService(store, memory.NewGradingStore())
	require.NoError(t, err)
	for _, d := range data.Dealers {
		run, err := svc.Run(ctx, grading.RunRequest{DealerID: d.Dealer.ID, AsOf: data.Options.Today})
		require.NoError(t, err)
		counts := map[grading.Grade]int{}
		for _, c := range run.Counts {
			counts[c.Grade] = c.Count
		}
		t.Logf("%s: %d customers, grades %v", d.Dealer.ID, run.Customers, counts)
		n := float64(run.Customers)
		assert.InDelta(t, 0.11, float64(counts["A"])/n, 0.08, "A share of %s", d.Dealer.ID)
		assert.InDelta(t, 0.40, float64(counts["B"])/n, 0.20, "B share of %s", d.Dealer.ID)

		rfm, err := svc.RFM(ctx, d.Dealer.ID, data.Options.Today, false)
		require.NoError(t, err)
		t.Logf("%s: RFM %+v", d.Dealer.ID, rfm.Segments)
		par, err := svc.Pareto(ctx, d.Dealer.ID, grading.ParetoRequest{AsOf: data.Options.Today, Limit: 1})
		require.NoError(t, err)
		t.Logf("%s: top 20%% bring %.1f%%; %d customers (%.1f%%) make 80%%", d.Dealer.ID, 100*par.TopRevenueShare, par.CoreCustomers, 100*par.CoreShare)
	}
}

// TestGradesAndCadences checks the lifecycle plan's view of a grading:
// Grades holds every graded customer's grade, Cadences the contact months
// of the default strategies (A 1, B 3, C 6).
func TestGradesAndCadences(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	data := demo.Generate(demo.Options{Seed: 1, Customers: 60})
	require.NoError(t, demo.Seed(ctx, crm.NewService(store), data))
	svc, err := grading.NewService(store, memory.NewGradingStore())
	require.NoError(t, err)
	dealer := data.Dealers[0].Dealer.ID
	grades, err := svc.Grades(ctx, dealer)
	require.NoError(t, err)
	assert.Empty(t, grades, "before any run")
	run, err := svc.Run(ctx, grading.RunRequest{DealerID: dealer, AsOf: data.Options.Today})
	require.NoError(t, err)
	grades, err = svc.Grades(ctx, dealer)
	require.NoError(t, err)
	cadences, err := svc.Cadences(ctx, dealer)
	require.NoError(t, err)
	require.Len(t, grades, run.Customers)
	require.Len(t, cadences, run.Customers, "every default grade has a cadence")
	want := map[string]int{"A": 1, "B": 3, "C": 6}
	for id, g := range grades {
		st, err := svc.Customer(ctx, dealer, id)
		require.NoError(t, err)
		assert.Equal(t, string(st.State.Grade), g, "grade of %s", id)
		assert.Equal(t, want[g], cadences[id], "cadence of %s (grade %s)", id, g)
	}
}
