package postgres_test

import (
	"context"
	"slices"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/demo"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCallListMatchesRepositories: the call list read through the
// Store's CallFacts (one query per table) is the one read through the
// crm repositories record by record, page by page, on the demo data.
func TestCallListMatchesRepositories(t *testing.T) {
	ctx := context.Background()
	store := pgtest.NewStore(t)
	data := demo.Generate(demo.Options{Seed: 5, Customers: 150})
	svc := crm.NewService(store)
	require.NoError(t, demo.Seed(ctx, svc, data))
	d := data.Dealers[0].Dealer.ID
	bulk, err := lifecycle.NewService(svc, store.LifecycleTasks())
	require.NoError(t, err)
	paged, err := lifecycle.NewService(crm.NewService(reposOnly{store}), store.LifecycleTasks())
	require.NoError(t, err)
	_, err = bulk.Run(ctx, d, data.Options.Today)
	require.NoError(t, err)

	f := lifecycle.TaskFilter{PageRequest: crm.PageRequest{Limit: 5}}
	rows, plates, stages, visits := 0, 0, 0, 0
	for {
		want, err := paged.CallList(ctx, d, data.Options.Today, f)
		require.NoError(t, err)
		got, err := bulk.CallList(ctx, d, data.Options.Today, f)
		require.NoError(t, err)
		require.Equal(t, want, got, "page after %q", f.After)
		for _, it := range got.Items {
			rows++
			if it.Plate != "" {
				plates++
			}
			if it.Stage != "" {
				stages++
			}
			if !it.LastVisit.IsZero() {
				visits++
			}
			if it.CustomerID != "" {
				assert.NotEmpty(t, it.CustomerName, "task %s names its customer", it.ID)
			}
		}
		if got.Next == "" {
			break
		}
		f.After = got.Next
	}
	require.Greater(t, rows, 10, "several pages of the demo's call list")
	assert.Positive(t, plates, "plates")
	assert.Positive(t, stages, "stages")
	assert.Positive(t, visits, "last visits")
	t.Logf("%d rows: %d with a plate, %d with a stage, %d with a last visit", rows, plates, stages, visits)
}

// statesOnly hides the GradingStore's grading.GradeReader.
type statesOnly struct{ grading.Store }

// TestGradesOfMatchesStates: the grades the call list reads with one
// two-column query are those of the stored states.
func TestGradesOfMatchesStates(t *testing.T) {
	ctx := context.Background()
	store := pgtest.NewStore(t)
	data := demo.Generate(demo.Options{Seed: 5, Customers: 150})
	require.NoError(t, demo.Seed(ctx, crm.NewService(store), data))
	d := data.Dealers[0].Dealer.ID
	lean, err := grading.NewService(store, store.Grading())
	require.NoError(t, err)
	full, err := grading.NewService(store, statesOnly{store.Grading()})
	require.NoError(t, err)
	_, err = lean.Run(ctx, grading.RunRequest{DealerID: d, AsOf: data.Options.Today})
	require.NoError(t, err)
	cs, err := store.Customers().List(ctx, d, crm.CustomerFilter{PageRequest: crm.PageRequest{Limit: 40}})
	require.NoError(t, err)
	ids := []crm.CustomerID{"nobody"}
	for _, c := range cs.Items {
		ids = append(ids, c.ID)
	}
	want, err := full.GradesOf(ctx, d, ids)
	require.NoError(t, err)
	got, err := lean.GradesOf(ctx, d, ids)
	require.NoError(t, err)
	assert.Len(t, want, 40, "the 40 customers are graded, nobody is not")
	assert.Equal(t, want, got)
}

// TestCallFactsOneSideOnly: CallFacts with only customers, only vehicles
// or neither answers what the same call with both answers of each side
// (its one statement is built from the sides asked).
func TestCallFactsOneSideOnly(t *testing.T) {
	ctx := context.Background()
	store := pgtest.NewStore(t)
	data := demo.Generate(demo.Options{Seed: 5, Customers: 20})
	require.NoError(t, demo.Seed(ctx, crm.NewService(store), data))
	d := data.Dealers[0].Dealer.ID
	var cs []crm.CustomerID
	var vs []crm.VehicleID
	page, err := store.Vehicles().List(ctx, d, crm.VehicleFilter{PageRequest: crm.PageRequest{Limit: crm.MaxLimit}})
	require.NoError(t, err)
	require.NotEmpty(t, page.Items)
	for _, v := range page.Items {
		vs = append(vs, v.ID)
		if v.OwnerID != "" && !slices.Contains(cs, v.OwnerID) {
			cs = append(cs, v.OwnerID)
		}
	}
	cs, vs = append(cs, "c-unknown"), append(vs, "v-unknown")
	both, err := store.CallFacts(ctx, d, cs, vs)
	require.NoError(t, err)
	require.Len(t, both.Customers, len(cs)-1, "the unknown customer is left out")
	require.Len(t, both.Vehicles, len(vs)-1, "the unknown vehicle is left out")
	require.NotEmpty(t, both.Orders)
	stored := map[crm.VehicleID]crm.Vehicle{}
	for _, v := range page.Items {
		stored[v.ID] = v
	}
	readings := 0
	for _, v := range both.Vehicles {
		w := stored[v.ID]
		assert.Equal(t, []any{w.VIN, w.Plate, w.Brand, w.Model, w.OwnerID, w.DeliveryDate, w.RegistrationDate, w.Odometer},
			[]any{v.VIN, v.Plate, v.Brand, v.Model, v.OwnerID, v.DeliveryDate, v.RegistrationDate, v.Odometer}, "vehicle %s as stored", v.ID)
		readings += len(v.Odometer)
	}
	require.Positive(t, readings, "the demo's vehicles have odometer readings")
	people, err := store.CallFacts(ctx, d, cs, nil)
	require.NoError(t, err)
	assert.Equal(t, lifecycle.Facts{Customers: both.Customers, Repurchase: both.Repurchase}, people)
	cars, err := store.CallFacts(ctx, d, nil, vs)
	require.NoError(t, err)
	assert.Equal(t, lifecycle.Facts{Vehicles: both.Vehicles, Orders: both.Orders}, cars)
	none, err := store.CallFacts(ctx, d, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, lifecycle.Facts{}, none)
}
