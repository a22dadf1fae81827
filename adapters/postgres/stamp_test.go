package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/demo"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/internal/app"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
)

// demoFixture is the demo group seeded into store with grades, the club
// and an erasure, wired as app.New wires it (WithSharedDatabase: runs
// skipped when their inputs did not change, a call list page in one
// statement).
type demoFixture struct {
	store  *postgres.Store
	app    *app.App
	dealer crm.DealerID
	day    dealercrm.Date
}

func newDemoFixture(t *testing.T, store *postgres.Store) demoFixture {
	t.Helper()
	ctx := context.Background()
	data := demo.Generate(demo.Options{Seed: 1})
	if err := demo.Seed(ctx, crm.NewService(store, crm.WithMaxImportRecords(math.MaxInt)), data); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(store.Stores(), app.Options{})
	require.NoError(t, err)
	d := data.Dealers[0].Dealer.ID
	_, err = a.Grading.Run(ctx, grading.RunRequest{DealerID: d, AsOf: data.Options.Today, Group: true, WriteGroup: true})
	require.NoError(t, err)
	require.NoError(t, demo.SeedLoyalty(ctx, a.CRM, a.Loyalty, data))
	// An erased customer, so that the erasures have a row of the dealer.
	cs, err := a.CRM.ListCustomers(ctx, d, crm.CustomerFilter{PageRequest: crm.PageRequest{Limit: 1}})
	require.NoError(t, err)
	require.NoError(t, a.Lifecycle.EraseCustomer(ctx, d, cs.Items[0].ID))
	return demoFixture{store: store, app: a, dealer: d, day: data.Options.Today}
}

func (f demoFixture) run(t *testing.T, day dealercrm.Date) lifecycle.RunResult {
	t.Helper()
	r, err := f.app.Lifecycle.Run(context.Background(), f.dealer, day)
	require.NoError(t, err)
	return r
}

// TestLifecycleRunSkipsUnchanged: a run of a day whose inputs did not
// change since the day's run is skipped with the result a full run gives;
// any write to an input — through the services, or to any row of any
// table of postgres.RunInputs — makes the next run a full one.
func TestLifecycleRunSkipsUnchanged(t *testing.T) {
	ctx := context.Background()
	f := newDemoFixture(t, pgtest.NewStore(t))
	first := f.run(t, f.day)
	require.False(t, first.Skipped)
	require.Positive(t, first.Created)
	again := f.run(t, f.day)
	assert.Equal(t, lifecycle.RunResult{Date: f.day, Subjects: first.Subjects, Skipped: true}, again)

	// A full re-run (a service that never skips) finds nothing to do: the
	// skipped run's result is the one it gives.
	full, err := lifecycle.NewService(f.app.CRM, f.store.LifecycleTasks(), lifecycle.WithGrades(f.app.Grading),
		lifecycle.WithCadences(f.app.Grading), lifecycle.WithMemberships(f.app.Loyalty))
	require.NoError(t, err)
	r, err := full.Run(ctx, f.dealer, f.day)
	require.NoError(t, err)
	assert.Equal(t, lifecycle.RunResult{Date: f.day, Subjects: first.Subjects}, r)
	// It stored the snapshot without a stamp: the next run is a full one.
	assert.False(t, f.run(t, f.day).Skipped)
	assert.True(t, f.run(t, f.day).Skipped)

	// Writes through the services.
	writes := []struct {
		name  string
		write func(t *testing.T)
	}{
		{"a customer's mobile changes", func(t *testing.T) {
			cs, err := f.app.CRM.ListCustomers(ctx, f.dealer, crm.CustomerFilter{PageRequest: crm.PageRequest{Limit: 2}})
			require.NoError(t, err)
			_, err = f.app.CRM.UpdateCustomer(ctx, f.dealer, cs.Items[1].ID, func(c *crm.Customer) error { c.Mobile = "13900000001"; return nil })
			require.NoError(t, err)
		}},
		{"a task's outcome is recorded", func(t *testing.T) {
			p, err := f.app.Lifecycle.CallList(ctx, f.dealer, f.day, lifecycle.TaskFilter{PageRequest: crm.PageRequest{Limit: 1}})
			require.NoError(t, err)
			require.NotEmpty(t, p.Items)
			_, _, err = f.app.Lifecycle.RecordOutcome(ctx, f.dealer, p.Items[0].ID, lifecycle.Outcome{Outcome: crm.OutcomeNoAnswer})
			require.NoError(t, err)
		}},
		{"a customer is erased", func(t *testing.T) {
			cs, err := f.app.CRM.ListCustomers(ctx, f.dealer, crm.CustomerFilter{PageRequest: crm.PageRequest{Limit: 3}})
			require.NoError(t, err)
			require.NoError(t, f.app.Lifecycle.EraseCustomer(ctx, f.dealer, cs.Items[2].ID))
		}},
	}
	for _, w := range writes {
		w.write(t)
		assert.False(t, f.run(t, f.day).Skipped, "after %s", w.name)
		assert.True(t, f.run(t, f.day).Skipped, "after %s, run again", w.name)
	}
	// The next day is a run of its own.
	assert.False(t, f.run(t, f.day.AddDays(1)).Skipped)
	assert.True(t, f.run(t, f.day.AddDays(1)).Skipped)

	// The grades' contact cadences change with a redeploy (the grading
	// service's strategies, a lifecycle.ConfigStamper): the run of the
	// new configuration is a full one.
	strategies := grading.DefaultStrategies()
	strategies[0].ContactMonths = 2
	regraded, err := grading.NewService(f.store, f.store.Grading(), grading.WithStrategies(strategies))
	require.NoError(t, err)
	redeployed, err := lifecycle.NewService(f.app.CRM, f.store.LifecycleTasks(), lifecycle.WithSharedDatabase(), lifecycle.WithGrades(regraded),
		lifecycle.WithCadences(regraded), lifecycle.WithMemberships(f.app.Loyalty))
	require.NoError(t, err)
	for want, skipped := range []bool{false, true} {
		r, err := redeployed.Run(ctx, f.dealer, f.day.AddDays(1))
		require.NoError(t, err)
		assert.Equal(t, skipped, r.Skipped, "run %d after the strategies changed", want+1)
	}

	// A write to any row of any input table, even one that changes no
	// value: generated from postgres.RunInputs, so every input is covered.
	db := pgtest.DB(t)
	for _, tb := range postgres.RunInputs {
		name := f.store.TableName(tb)
		res, err := db.ExecContext(ctx, "UPDATE ? SET dealer_id = dealer_id WHERE ctid = (SELECT ctid FROM ? WHERE dealer_id = ? LIMIT 1)",
			bun.Safe(name), bun.Safe(name), string(f.dealer))
		require.NoError(t, err)
		n, _ := res.RowsAffected()
		require.EqualValues(t, 1, n, "the fixture has a row of %s", tb)
		assert.False(t, f.run(t, f.day.AddDays(1)).Skipped, "after a write to %s", tb)
		assert.True(t, f.run(t, f.day.AddDays(1)).Skipped, "after a write to %s, run again", tb)
	}
	// Deleting a row is a change too.
	_, err = db.ExecContext(ctx, "DELETE FROM ? WHERE dealer_id = ? AND id = (SELECT min(id) FROM ? WHERE dealer_id = ?)",
		bun.Safe(f.store.TableName(postgres.TableComplaints)), string(f.dealer), bun.Safe(f.store.TableName(postgres.TableComplaints)), string(f.dealer))
	require.NoError(t, err)
	assert.False(t, f.run(t, f.day.AddDays(1)).Skipped, "after a deletion")
}

// foreignWriter is the Postgres task store with a staff member recording
// an outcome while the run writes: after the run's Apply, before the run
// stamps the tasks.
type foreignWriter struct {
	lifecycle.TaskStore
	lifecycle.ReportStore
	lifecycle.InputStamper
	write func()
}

func (w *foreignWriter) Apply(ctx context.Context, dealer crm.DealerID, create, replace []lifecycle.Task) ([]lifecycle.Task, error) {
	lost, err := w.TaskStore.Apply(ctx, dealer, create, replace)
	if w.write != nil {
		w.write()
		w.write = nil
	}
	return lost, err
}

// TestLifecycleRunStampSeesForeignTaskWrite: a task written by someone
// else while the run ran was not planned with; the run stores no stamp,
// so the next run of the day is a full one.
func TestLifecycleRunStampSeesForeignTaskWrite(t *testing.T) {
	ctx := context.Background()
	f := newDemoFixture(t, pgtest.NewStore(t))
	ts := f.store.LifecycleTasks()
	w := &foreignWriter{TaskStore: ts, ReportStore: ts.(lifecycle.ReportStore), InputStamper: ts.(lifecycle.InputStamper)}
	lc, err := lifecycle.NewService(f.app.CRM, w, lifecycle.WithGrades(f.app.Grading), lifecycle.WithCadences(f.app.Grading),
		lifecycle.WithMemberships(f.app.Loyalty), lifecycle.WithSharedDatabase())
	require.NoError(t, err)
	_, err = lc.Run(ctx, f.dealer, f.day)
	require.NoError(t, err)
	r, err := lc.Run(ctx, f.dealer, f.day)
	require.NoError(t, err)
	require.True(t, r.Skipped, "the control: nothing written meanwhile")

	// The next day's run writes; a clerk records an outcome meanwhile.
	w.write = func() {
		p, err := f.app.Lifecycle.CallList(ctx, f.dealer, f.day, lifecycle.TaskFilter{PageRequest: crm.PageRequest{Limit: 1}})
		require.NoError(t, err)
		require.NotEmpty(t, p.Items)
		_, _, err = f.app.Lifecycle.RecordOutcome(ctx, f.dealer, p.Items[0].ID, lifecycle.Outcome{Outcome: crm.OutcomeNoAnswer})
		require.NoError(t, err)
	}
	next := f.day.AddDays(1)
	r, err = lc.Run(ctx, f.dealer, next)
	require.NoError(t, err)
	require.False(t, r.Skipped)
	require.Nil(t, w.write, "the clerk wrote during the run")
	r, err = lc.Run(ctx, f.dealer, next)
	require.NoError(t, err)
	assert.False(t, r.Skipped, "the run after a foreign write is a full one")
	r, err = lc.Run(ctx, f.dealer, next)
	require.NoError(t, err)
	assert.True(t, r.Skipped, "and the one after it is skipped")
}

// TestRunInputsAreStamped asks Postgres which tables the daily run read
// (the scans pg_stat_user_tables counts for the test's schema) and fails
// on any that is neither in postgres.RunInputs nor written by the run —
// a table the run reads but the stamp does not cover would let a run be
// skipped over a change.
func TestRunInputsAreStamped(t *testing.T) {
	ctx := context.Background()
	_, schema := pgtest.Schema(t)
	const name = "dealercrm_stamp_guard"
	open := func() (*bun.DB, *postgres.Store) {
		db := app.OpenDB(pgtest.DSN(), app.DB{Name: name, MaxOpen: 4})
		store, err := postgres.New(db, postgres.WithSchema(schema))
		require.NoError(t, err)
		return db, store
	}
	db, store := open()
	require.NoError(t, store.Migrate(ctx))
	f := newDemoFixture(t, store)
	// Statistics reach pg_stat_user_tables when a backend ends: close the
	// pool and wait for its backends to go.
	closed := func(db *bun.DB) {
		require.NoError(t, db.Close())
		watch := pgtest.DB(t)
		require.Eventually(t, func() bool {
			var n int
			require.NoError(t, watch.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE application_name = ?", name).Scan(&n))
			return n == 0
		}, 10*time.Second, 20*time.Millisecond)
	}
	scans := func() map[string]int64 {
		watch := pgtest.DB(t)
		out := map[string]int64{}
		var rows *sql.Rows
		require.Eventually(t, func() bool {
			var err error
			// A fresh snapshot of the statistics each time.
			if _, err = watch.ExecContext(ctx, "SELECT pg_stat_clear_snapshot()"); err != nil {
				return false
			}
			rows, err = watch.QueryContext(ctx, "SELECT relname, coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE schemaname = ?", schema)
			return err == nil
		}, 5*time.Second, 50*time.Millisecond)
		defer rows.Close()
		for rows.Next() {
			var rel string
			var n int64
			require.NoError(t, rows.Scan(&rel, &n))
			out[rel] = n
		}
		require.NoError(t, rows.Err())
		return out
	}
	closed(db)
	before := scans()

	db, store = open()
	f.store = store
	f.app, _ = app.New(store.Stores(), app.Options{})
	r := f.run(t, f.day.AddDays(2))
	require.False(t, r.Skipped)
	require.Positive(t, r.Subjects)
	closed(db)
	var after map[string]int64
	// The ending backends' statistics may lag their exit a little.
	require.Eventually(t, func() bool {
		after = scans()
		return after["vehicles"] > before["vehicles"]
	}, 5*time.Second, 100*time.Millisecond, "the run's reads reach the statistics")

	allowed := map[string]bool{}
	for _, tb := range postgres.RunInputs {
		allowed[string(tb)] = true
	}
	// What the run writes: its tasks (read to reconcile, covered by the
	// task stamp), the snapshot with the stamp, and the events of the
	// tasks and of the day.
	for _, tb := range []postgres.Table{postgres.TableLifecycleTasks, postgres.TableLifecycleReports, postgres.TableEvents, postgres.TableEventSeqs} {
		allowed[string(tb)] = true
	}
	var read []string
	for rel, n := range after {
		if n > before[rel] {
			read = append(read, rel)
		}
	}
	slices.Sort(read)
	t.Logf("tables the run read: %v", read)
	require.Contains(t, read, "service_orders", "the statistics show the run's reads")
	for _, rel := range read {
		assert.True(t, allowed[rel], fmt.Sprintf("the daily run read %s, which postgres.RunInputs does not stamp", rel))
	}
}
