package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/demo"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/lifecycle/lifecycletest"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLifecycleTaskStore(t *testing.T) {
	lifecycletest.RunStoreTests(t, func(t *testing.T) lifecycle.TaskStore { return pgtest.NewStore(t).LifecycleTasks() })
}

func TestLifecycleRuns(t *testing.T) {
	lifecycletest.RunServiceTests(t, func(t *testing.T) (crm.Store, lifecycle.TaskStore) {
		s := pgtest.NewStore(t)
		return s, s.LifecycleTasks()
	})
}

func TestLifecycleEvents(t *testing.T) {
	lifecycletest.RunEventTests(t, func(t *testing.T) (crm.Store, lifecycle.TaskStore, crm.EventStore) {
		s := pgtest.NewStore(t)
		return s, s.LifecycleTasks(), s.EventStore()
	})
}

// reposOnly hides the Store's lifecycle.FactSource: a lifecycle.Service
// over it pages through the crm repositories.
type reposOnly struct{ crm.Store }

// TestLifecycleFactsMatchRepositories seeds demo data plus edge cases and
// checks that the bulk loader gives the same subjects as paging through
// the repositories, and the same daily run.
func TestLifecycleFactsMatchRepositories(t *testing.T) {
	ctx := context.Background()
	store := pgtest.NewStore(t)
	data := demo.Generate(demo.Options{Seed: 5, Customers: 150})
	svc := crm.NewService(store)
	require.NoError(t, demo.Seed(ctx, svc, data))
	d := data.Dealers[0].Dealer.ID
	// Edge cases: a vehicle without an owner, a complaint without a
	// vehicle, an order without a vehicle, an open replacement lead.
	cs, err := store.Customers().List(ctx, d, crm.CustomerFilter{PageRequest: crm.PageRequest{Limit: 1}})
	require.NoError(t, err)
	owner := cs.Items[0].ID
	_, err = svc.CreateVehicle(ctx, d, crm.Vehicle{ID: "v-orphan", Record: crm.Record{DealerID: d}, VIN: "LSVAM4187C2184847", Model: "Lavida",
		DeliveryDate: data.Options.Today.AddDays(-40), Price: decimal.NewFromInt(99000),
		Odometer: []crm.OdometerReading{{Date: data.Options.Today.AddDays(-5), KM: 2100}}})
	require.NoError(t, err)
	_, err = svc.CreateComplaint(ctx, d, crm.Complaint{ID: "k-edge", Record: crm.Record{DealerID: d}, CustomerID: owner, Category: "price",
		Severity: crm.SeverityLow, Status: crm.ComplaintResolved, Opened: data.Options.Today.AddDays(-20), Resolved: data.Options.Today.AddDays(-3)})
	require.NoError(t, err)
	// Text the bulk loader (COPY's text format) must unescape: tabs,
	// newlines, backslashes, "\N", quotes in a consent's source.
	_, err = svc.CreateCustomer(ctx, d, crm.Customer{ID: "c-escapes", Record: crm.Record{DealerID: d}, Kind: crm.Individual, Name: "tab\there, back\\slash\nnew line \\N",
		Mobile: "13800138001", Birthday: data.Options.Today.AddDays(-9000), ConsultantID: "S\\01",
		Consents: []crm.Consent{{Purpose: crm.Purposes()[0], Channel: crm.Channels()[0], Granted: true, At: time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC), Source: `app "签约" \ \N`}}})
	require.NoError(t, err)
	_, err = svc.CreateVehicle(ctx, d, crm.Vehicle{ID: "v-escapes", Record: crm.Record{DealerID: d}, VIN: "LFV3A23C8P3000017", Model: "Lavida\tPlus\\",
		OwnerID: "c-escapes", DeliveryDate: data.Options.Today.AddDays(-400)})
	require.NoError(t, err)
	_, err = svc.CreateLead(ctx, d, crm.Lead{ID: "l-edge", Record: crm.Record{DealerID: d}, Name: "x", Mobile: "13800138000", Level: crm.LevelH,
		Status: crm.LeadOpen, Purchase: crm.ReplacementPurchase, CustomerID: owner, Source: crm.SourceWalkIn})
	require.NoError(t, err)

	bulk, err := lifecycle.NewService(svc, store.LifecycleTasks())
	require.NoError(t, err)
	paged, err := lifecycle.NewService(crm.NewService(reposOnly{store}), store.LifecycleTasks())
	require.NoError(t, err)
	for _, dd := range data.Dealers {
		got, err := bulk.Load(ctx, dd.Dealer.ID)
		require.NoError(t, err)
		want, err := paged.Load(ctx, dd.Dealer.ID)
		require.NoError(t, err)
		require.Len(t, got, len(want))
		repurchase := 0
		for i := range want {
			w, g := want[i], got[i]
			if w.OpenRepurchaseLead {
				repurchase++
			}
			require.Equal(t, w.Owner == nil, g.Owner == nil, "owner of %s", w.VehicleID)
			if w.Owner != nil {
				// The bulk owner holds the fields the plan reads.
				o := *w.Owner
				assert.Equal(t, crm.Customer{ID: o.ID, Record: crm.Record{DealerID: o.DealerID}, Name: o.Name, Birthday: o.Birthday,
					Consents: o.Consents, ConsultantID: o.ConsultantID, AdvisorID: o.AdvisorID}, *g.Owner, "owner of %s", w.VehicleID)
			}
			w.Owner, g.Owner = nil, nil
			for j := range w.Visits {
				require.True(t, w.Visits[j].Amount.Equal(g.Visits[j].Amount), "amount of %s", w.Visits[j].OrderID)
				w.Visits[j].Amount, g.Visits[j].Amount = decimal.Zero, decimal.Zero
			}
			assert.Equal(t, w, g, "subject %s", w.VehicleID)
		}
		if dd.Dealer.ID == d {
			assert.Positive(t, repurchase, "the open replacement lead")
		}
	}
	rb, err := bulk.Run(ctx, d, data.Options.Today)
	require.NoError(t, err)
	assert.Positive(t, rb.Created)
	rp, err := paged.Run(ctx, d, data.Options.Today)
	require.NoError(t, err)
	assert.Equal(t, lifecycle.RunResult{Date: data.Options.Today, Subjects: rb.Subjects}, rp, "the paged run finds nothing to change")
}

// TestLifecycleFactsInTx: a Store bound to a transaction loads the facts
// inside it (COPY on the transaction's connection): it sees the
// transaction's own uncommitted vehicle, which the pool does not.
func TestLifecycleFactsInTx(t *testing.T) {
	ctx := context.Background()
	store := pgtest.NewStore(t)
	data := demo.Generate(demo.Options{Seed: 7, Customers: 20})
	require.NoError(t, demo.Seed(ctx, crm.NewService(store), data))
	d := data.Dealers[0].Dealer.ID
	before, err := store.LifecycleFacts(ctx, d)
	require.NoError(t, err)
	err = store.InTx(ctx, func(ctx context.Context, tx crm.Store) error {
		if _, err := crm.NewService(tx).CreateVehicle(ctx, d, crm.Vehicle{ID: "v-in-tx", Record: crm.Record{DealerID: d}, VIN: "LFV3A23C8P3000017", Model: "Lavida"}); err != nil {
			return err
		}
		in, err := tx.(lifecycle.FactSource).LifecycleFacts(ctx, d)
		if err != nil {
			return err
		}
		assert.Len(t, in.Vehicles, len(before.Vehicles)+1, "the transaction's own vehicle")
		outside, err := store.LifecycleFacts(ctx, d)
		if err != nil {
			return err
		}
		assert.Len(t, outside.Vehicles, len(before.Vehicles), "not committed yet")
		return errors.New("roll back")
	})
	require.EqualError(t, err, "roll back")
}
