package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/postgres"
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

func TestGradingServiceConformance(t *testing.T) {
	gradingtest.RunServiceTests(t, func(t *testing.T) (crm.Store, grading.Store) {
		s := pgtest.NewStore(t)
		return s, s.Grading()
	})
}

// TestGradingPushdownMatchesScan seeds demo data and checks that the SQL
// aggregation gives every customer the same facts as the plain scan over
// the crm stores, then runs a grading twice on Postgres: the second run of
// the date returns the first.
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
	assert.Equal(t, r1, r2, "the same date answers the run that took effect")
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

// TestGradingConcurrentRunsRaiseNoSQLError runs eight gradings of one
// dealer and date at once, with one run ID and with others, through a
// handle that records failed statements: the conflicts are settled by
// insert-or-detect, so Postgres answers no statement with an error (issue
// 12: a reused run ID answered 409 naming a constraint).
func TestGradingConcurrentRunsRaiseNoSQLError(t *testing.T) {
	ctx := context.Background()
	store, hook := pgtest.NewWatchedStore(t)
	gradingtest.SeedGroup(t, store)

	svc, err := grading.NewService(store, store.Grading(), grading.WithModel(gradingtest.ShareModel()),
		grading.WithClock(func() time.Time { return gradingtest.Now }))
	require.NoError(t, err)
	for _, req := range []grading.RunRequest{
		{DealerID: gradingtest.DealerA, AsOf: gradingtest.AsOf, RunID: "nightly"},
		{DealerID: gradingtest.DealerB, AsOf: gradingtest.AsOf},
	} {
		var wg sync.WaitGroup
		runs := make([]grading.Run, 8)
		errs := make([]error, 8)
		for i := range runs {
			wg.Go(func() { runs[i], errs[i] = svc.Run(ctx, req) })
		}
		wg.Wait()
		for i := range runs {
			require.NoError(t, errs[i])
			assert.Equal(t, runs[0], runs[i], "every call answers the run that took effect")
		}
	}
	_, err = svc.Run(ctx, grading.RunRequest{DealerID: gradingtest.DealerA, AsOf: gradingtest.AsOf, RunID: "other"})
	require.NoError(t, err)
	_, err = store.Grading().SaveRun(ctx, gradingtest.RunAsOf(gradingtest.DealerA, "nightly", gradingtest.Today), nil, nil)
	require.NoError(t, err, "a taken ID answers the stored run")
	assert.Empty(t, hook.Errors(), "no statement failed")
}

// TestGradingMigrationKeepsEarliestRunOfADate runs migration 0008 over
// runs recorded before it, which could repeat a date: the earliest run of
// each dealer and date takes effect, the later ones stay as records.
func TestGradingMigrationKeepsEarliestRunOfADate(t *testing.T) {
	ctx := context.Background()
	db, schema := pgtest.Schema(t)
	files, err := postgres.RenderMigrations(postgres.WithSchema(schema))
	require.NoError(t, err)
	var ups []postgres.MigrationFile
	var ours, down postgres.MigrationFile
	for _, f := range files {
		switch {
		case f.Name == "0008_grading_run_per_date.tx.up.sql":
			ours = f
		case f.Name == "0008_grading_run_per_date.tx.down.sql":
			down = f
		case strings.HasSuffix(f.Name, ".up.sql") && f.Name < "0008":
			ups = append(ups, f)
		}
	}
	require.NotEmpty(t, ours.SQL)
	for _, f := range ups {
		_, err := db.ExecContext(ctx, f.SQL)
		require.NoError(t, err, f.Name)
	}
	store, err := postgres.New(db, postgres.WithSchema(schema))
	require.NoError(t, err)
	at := time.Date(2025, 6, 30, 2, 0, 0, 0, time.UTC)
	for i, r := range []struct {
		dealer crm.DealerID
		id     string
		asOf   string
		at     time.Time
	}{
		{"SH01", "late", "2025-06-30", at.Add(time.Hour)},
		{"SH01", "early", "2025-06-30", at},
		{"SH01", "other-day", "2025-06-29", at},
		{"BJ02", "late", "2025-06-30", at.Add(time.Hour)},
	} {
		_, err := db.ExecContext(ctx, "INSERT INTO "+store.TableName(postgres.TableGradingRuns)+
			` (dealer_id, id, as_of, model, model_version, customers, changed, written, started_at) VALUES (?, ?, ?, 'default', 1, ?, 0, 0, ?)`,
			string(r.dealer), r.id, r.asOf, i, r.at)
		require.NoError(t, err)
	}
	_, err = db.ExecContext(ctx, ours.SQL)
	require.NoError(t, err, "the migration runs over repeated dates")

	g := store.Grading()
	for _, c := range []struct {
		dealer crm.DealerID
		asOf   dealercrm.Date
		want   grading.RunID
	}{
		{"SH01", dealercrm.NewDate(2025, 6, 30), "early"},
		{"SH01", dealercrm.NewDate(2025, 6, 29), "other-day"},
		{"BJ02", dealercrm.NewDate(2025, 6, 30), "late"},
	} {
		r, err := g.GetRunAsOf(ctx, c.dealer, c.asOf)
		require.NoError(t, err)
		assert.Equal(t, c.want, r.ID, "the run of %s as of %s", c.dealer, c.asOf)
	}
	late, err := g.GetRun(ctx, "SH01", "late")
	require.NoError(t, err, "a later run of a date stays as a record")
	got, err := g.SaveRun(ctx, gradingtest.RunAsOf("SH01", "new", dealercrm.NewDate(2025, 6, 30)), nil, nil)
	require.NoError(t, err)
	assert.Equal(t, grading.RunID("early"), got.ID, "a new run of the date answers the one that took effect")
	assert.NotEqual(t, late.ID, got.ID)

	_, err = db.ExecContext(ctx, down.SQL)
	require.NoError(t, err, "the down migration runs")
	_, err = db.ExecContext(ctx, "INSERT INTO "+store.TableName(postgres.TableGradingRuns)+
		` (dealer_id, id, as_of, model, model_version, customers, changed, written, started_at) VALUES ('SH01', 'again', '2025-06-30', 'default', 1, 0, 0, 0, ?)`, at)
	assert.NoError(t, err, "after it a date may repeat, as before 0008")
}
