package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/jobs"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	_ jobs.LifecycleRunner = (*lifecycle.Service)(nil)
	_ jobs.Expirer         = (*loyalty.Service)(nil)
	_ jobs.Grader          = (*grading.Service)(nil)
)

// fakes answers for every service, recording the days asked.
type fakes struct {
	days []string
	err  error
}

func (f *fakes) Run(_ context.Context, _ crm.DealerID, d dealercrm.Date) (lifecycle.RunResult, error) {
	f.days = append(f.days, "lifecycle "+d.String())
	return lifecycle.RunResult{Date: d, Subjects: 9, Created: 4, Rescheduled: 3, Cancelled: 2, Overdue: 1}, f.err
}

func (f *fakes) ExpirePoints(_ context.Context, _ crm.DealerID, d dealercrm.Date) (loyalty.PointsExpiryRun, error) {
	f.days = append(f.days, "points "+d.String())
	return loyalty.PointsExpiryRun{AsOf: d, Accounts: 2, Points: 3400}, f.err
}

func (f *fakes) ProcessExpiries(_ context.Context, _ crm.DealerID, d dealercrm.Date) (loyalty.ExpiryRun, error) {
	f.days = append(f.days, "membership "+d.String())
	return loyalty.ExpiryRun{AsOf: d, Downgraded: 1, Lapsed: 5}, f.err
}

type fakeGrader struct{ *fakes }

func (g fakeGrader) Run(_ context.Context, req grading.RunRequest) (grading.Run, error) {
	g.days = append(g.days, "grading "+string(req.DealerID)+" "+req.AsOf.String())
	return grading.Run{AsOf: req.AsOf, Customers: 10, Changed: 2, Written: 3}, g.err
}

func TestDefaults(t *testing.T) {
	ctx := context.Background()
	f := &fakes{}
	defs := jobs.Defaults(jobs.Services{Lifecycle: f, Loyalty: f, Grading: fakeGrader{f}})
	var kinds []jobs.Kind
	want := map[jobs.Kind]jobs.Counts{
		jobs.Lifecycle:    {"subjects": 9, "tasks_created": 4, "tasks_rescheduled": 3, "tasks_cancelled": 2, "tasks_overdue": 1},
		jobs.PointsExpiry: {"accounts": 2, "points_expired": 3400},
		jobs.Membership:   {"downgraded": 1, "lapsed": 5},
		jobs.Grading:      {"customers": 10, "changed": 2, "written": 3},
	}
	for _, j := range defs {
		kinds = append(kinds, j.Kind)
		c, err := j.Run(ctx, "d1", day)
		require.NoError(t, err)
		assert.Equal(t, want[j.Kind], c, "the counts of %s", j.Kind)
	}
	assert.Equal(t, []jobs.Kind{jobs.Lifecycle, jobs.PointsExpiry, jobs.Membership, jobs.Grading}, kinds)
	assert.Equal(t, []string{"lifecycle 2026-03-10", "points 2026-03-10", "membership 2026-03-10", "grading d1 2026-03-10"}, f.days,
		"each job calls its method as of the day")

	g := defs[3]
	assert.True(t, g.Due(shop, dealercrm.NewDate(2026, 4, 1)), "grading is due on the first of the month")
	assert.False(t, g.Due(shop, dealercrm.NewDate(2026, 4, 2)), "and not on other days")
	weekly := jobs.Defaults(jobs.Services{Grading: fakeGrader{f}, GradingDue: func(_ crm.Dealer, d dealercrm.Date) bool { return d.Day%7 == 0 }})
	require.Len(t, weekly, 1, "only the services given have jobs")
	assert.True(t, weekly[0].Due(shop, dealercrm.NewDate(2026, 4, 7)), "GradingDue replaces the default")

	f.err = errBoom
	c, err := defs[0].Run(ctx, "d1", day)
	assert.ErrorIs(t, err, errBoom, "the service's error fails the job")
	assert.Nil(t, c, "a failed call has no counts")
	assert.Empty(t, jobs.Defaults(jobs.Services{}), "no services, no jobs")
}

// TestDefaultsOnMemory runs the default jobs of the real services over the
// memory backend for two days: each runs as of its day, and grading only
// on the first of the month.
func TestDefaultsOnMemory(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)}
	stores := memory.NewStores()
	cs := crm.NewService(stores.CRM, crm.WithClock(c.Now))
	_, err := cs.CreateDealer(ctx, crm.Dealer{ID: "d1", Name: "Shanghai 4S"})
	require.NoError(t, err)
	lc, err := lifecycle.NewService(cs, stores.Tasks, lifecycle.WithClock(c.Now))
	require.NoError(t, err)
	ly, err := loyalty.NewService(stores.CRM, stores.Loyalty, loyalty.WithClock(c.Now))
	require.NoError(t, err)
	gr, err := grading.NewService(stores.CRM, stores.Grading, grading.WithClock(c.Now))
	require.NoError(t, err)
	runs := memory.NewRunStore()
	s, err := jobs.NewScheduler(jobs.Defaults(jobs.Services{Lifecycle: lc, Loyalty: ly, Grading: gr}), stores.CRM.Dealers(), runs, jobs.WithClock(c.Now))
	require.NoError(t, err)
	require.NoError(t, s.Tick(ctx))
	c.Advance(24 * time.Hour)
	require.NoError(t, s.Tick(ctx))

	p, err := s.Runs(ctx, "d1", jobs.RunFilter{})
	require.NoError(t, err)
	var got []string
	for _, r := range p.Items {
		assert.Equal(t, jobs.Done, r.Status, "%s ran without error", r.Key())
		got = append(got, r.Key())
	}
	assert.Equal(t, []string{
		"2026-03-02/lifecycle", "2026-03-02/membership", "2026-03-02/points_expiry",
		"2026-03-01/grading", "2026-03-01/lifecycle", "2026-03-01/membership", "2026-03-01/points_expiry",
	}, got, "every job each day, grading on the first only")
	gradingRun, err := stores.Grading.GetRunAsOf(ctx, "d1", dealercrm.NewDate(2026, 3, 1))
	require.NoError(t, err, "the grading run is recorded as of its day")
	assert.Equal(t, crm.DealerID("d1"), gradingRun.DealerID)
}
