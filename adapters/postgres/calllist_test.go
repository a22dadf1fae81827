package postgres_test

import (
	"context"
	"slices"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/demo"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/lifecycle/lifecycletest"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
)

// TestCallListMatchesRepositories: the call list read through the task
// store's CallPage (one statement a page) is the one read through the crm
// repositories record by record, page by page, on the demo data.
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

// TestCallPageJoinsItsOwnStore: the one-statement page joins a task with
// its own dealer's customer and vehicle only (a task naming another
// dealer's records, or unknown ones, shows no name, mobile, plate or
// model), and only the crm tables of its own Store: asked with another
// store's, it reports false so that the service reads through that one.
func TestCallPageJoinsItsOwnStore(t *testing.T) {
	ctx := context.Background()
	store := pgtest.NewStore(t)
	data := demo.Generate(demo.Options{Seed: 5, Customers: 20})
	require.NoError(t, demo.Seed(ctx, crm.NewService(store), data))
	d, other := data.Dealers[0].Dealer.ID, data.Dealers[1].Dealer.ID
	first := func(dealer crm.DealerID) crm.Vehicle {
		p, err := store.Vehicles().List(ctx, dealer, crm.VehicleFilter{PageRequest: crm.PageRequest{Limit: 100}})
		require.NoError(t, err)
		i := slices.IndexFunc(p.Items, func(v crm.Vehicle) bool { return v.OwnerID != "" && v.Plate != "" })
		require.GreaterOrEqual(t, i, 0, "a vehicle with an owner and a plate")
		return p.Items[i]
	}
	mine, theirs := first(d), first(other)
	owner, err := store.Customers().Get(ctx, d, mine.OwnerID)
	require.NoError(t, err)
	task := func(id string, c crm.CustomerID, v crm.VehicleID) lifecycle.Task {
		x := lifecycletest.NewTask(d, id, "k-"+id)
		x.CustomerID, x.VehicleID = c, v
		return x
	}
	tasks := store.LifecycleTasks()
	lost, err := tasks.Apply(ctx, d, []lifecycle.Task{task("t1", mine.OwnerID, mine.ID), task("t2", theirs.OwnerID, theirs.ID), task("t3", "c404", "v404")}, nil)
	require.NoError(t, err)
	require.Empty(t, lost)

	src := tasks.(lifecycle.CallPageSource)
	p, ok, err := src.CallPage(ctx, store, d, lifecycle.TaskFilter{})
	require.NoError(t, err)
	require.True(t, ok)
	require.Len(t, p.Items, 3)
	assert.Equal(t, []string{owner.Name, owner.Mobile, mine.Plate, mine.Model},
		[]string{p.Items[0].CustomerName, p.Items[0].Mobile, p.Items[0].Plate, p.Items[0].Model}, "its own dealer's records")
	for _, it := range p.Items[1:] {
		assert.Equal(t, lifecycle.CallItem{Task: it.Task}, it, "%s: another dealer's records, or none, show nothing", it.ID)
	}
	want, err := tasks.List(ctx, d, lifecycle.TaskFilter{})
	require.NoError(t, err)
	for i := range want.Items {
		assert.Equal(t, want.Items[i], p.Items[i].Task, "the task as List reads it")
	}

	_, ok, err = src.CallPage(ctx, pgtest.NewStore(t), d, lifecycle.TaskFilter{})
	require.NoError(t, err)
	assert.False(t, ok, "another Store's crm tables are not joined")
	_, ok, err = src.CallPage(ctx, reposOnly{store}, d, lifecycle.TaskFilter{})
	require.NoError(t, err)
	assert.False(t, ok, "nor a wrapped store")
}

// TestCallPageLookupsAnswerAsTheSources: the call list of a Service told
// that its sources share the task store's database (one statement a
// page, grades and tiers joined) is, page by page and grouped by
// customer, the one of a Service that asks the grading and loyalty
// services; on the demo data with grades, the club and a month of runs,
// where some customers are graded and some members (some of them not
// active), and the shared page is one statement.
func TestCallPageLookupsAnswerAsTheSources(t *testing.T) {
	ctx := context.Background()
	store, watch := pgtest.NewWatchedStore(t)
	f := newDemoFixture(t, store)
	a, d, today := f.app, f.dealer, f.day
	for day := range 31 {
		f.run(t, today.AddDays(day))
	}
	// A lapsed member: the club shows no tier for them.
	ms, err := a.Loyalty.ListMemberships(ctx, d, loyalty.MembershipFilter{Status: loyalty.StatusActive, PageRequest: crm.PageRequest{Limit: 1}})
	require.NoError(t, err)
	require.NotEmpty(t, ms.Items)
	_, err = pgtest.DB(t).ExecContext(ctx, "UPDATE ? SET status = ? WHERE dealer_id = ? AND customer_id = ?",
		bun.Safe(store.TableName(postgres.TableLoyaltyMemberships)), string(loyalty.StatusLapsed), string(d), string(ms.Items[0].CustomerID))
	require.NoError(t, err)

	sources, err := lifecycle.NewService(a.CRM, store.LifecycleTasks(), lifecycle.WithGrades(a.Grading), lifecycle.WithMemberships(a.Loyalty))
	require.NoError(t, err)
	until := today.AddDays(30)
	tf := lifecycle.TaskFilter{PageRequest: crm.PageRequest{Limit: 50}}
	rows, graded, tiered := 0, 0, 0
	for {
		want, err := sources.CallList(ctx, d, until, tf)
		require.NoError(t, err)
		watch.Reset()
		got, err := a.Lifecycle.CallList(ctx, d, until, tf)
		require.NoError(t, err)
		leads := 0
		if slices.ContainsFunc(got.Items, func(it lifecycle.CallItem) bool { return it.LeadID != "" }) {
			leads++ // the leads of the lead tasks
		}
		assert.Len(t, watch.Statements(), 1+leads, "a page is one statement, and one for its leads")
		require.Equal(t, want, got, "page after %q", tf.After)
		for _, it := range got.Items {
			rows++
			if it.Grade != "" {
				graded++
			}
			if it.Tier != "" {
				tiered++
			}
		}
		if got.Next == "" {
			break
		}
		tf.After = got.Next
	}
	require.Greater(t, rows, 100)
	assert.Positive(t, graded, "graded customers")
	assert.Positive(t, tiered, "members")
	t.Logf("%d rows: %d graded, %d with a tier", rows, graded, tiered)

	want, err := sources.CallGroups(ctx, d, until, lifecycle.TaskFilter{PageRequest: crm.PageRequest{Limit: 30}})
	require.NoError(t, err)
	got, err := a.Lifecycle.CallGroups(ctx, d, until, lifecycle.TaskFilter{PageRequest: crm.PageRequest{Limit: 30}})
	require.NoError(t, err)
	assert.Equal(t, want, got, "the grouped view")
}
