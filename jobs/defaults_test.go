package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/internal/testclock"
	"github.com/dealercrm/dealercrm/jobs"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/dealercrm/dealercrm/messages"
	"github.com/dealercrm/dealercrm/messages/messagestest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	_ jobs.LifecycleRunner   = (*lifecycle.Service)(nil)
	_ jobs.Expirer           = (*loyalty.Service)(nil)
	_ jobs.Grader            = (*grading.Service)(nil)
	_ jobs.CampaignCompleter = (*campaign.Service)(nil)
	_ jobs.MessageRunner     = (*messages.Service)(nil)
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
	return loyalty.PointsExpiryRun{AsOf: d, Accounts: 2, Points: 3400, Notices: 6}, f.err
}

func (f *fakes) ProcessExpiries(_ context.Context, _ crm.DealerID, d dealercrm.Date) (loyalty.ExpiryRun, error) {
	f.days = append(f.days, "membership "+d.String())
	return loyalty.ExpiryRun{AsOf: d, Downgraded: 1, Lapsed: 5, Notices: 4}, f.err
}

func (f *fakes) CompleteEnded(_ context.Context, _ crm.DealerID, d dealercrm.Date) (int, error) {
	f.days = append(f.days, "campaigns "+d.String())
	return 2, f.err
}

type fakeGrader struct{ *fakes }

func (g fakeGrader) Run(_ context.Context, req grading.RunRequest) (grading.Run, error) {
	g.days = append(g.days, "grading "+string(req.DealerID)+" "+req.AsOf.String())
	return grading.Run{AsOf: req.AsOf, Customers: 10, Changed: 2, Written: 3}, g.err
}

func TestDefaults(t *testing.T) {
	ctx := context.Background()
	f := &fakes{}
	defs := jobs.Defaults(jobs.Services{Lifecycle: f, Loyalty: f, Grading: fakeGrader{f}, Campaigns: f})
	var kinds []jobs.Kind
	want := map[jobs.Kind]jobs.Counts{
		jobs.Lifecycle:    {"subjects": 9, "tasks_created": 4, "tasks_rescheduled": 3, "tasks_cancelled": 2, "tasks_overdue": 1},
		jobs.PointsExpiry: {"accounts": 2, "points_expired": 3400, "notices": 6},
		jobs.Membership:   {"downgraded": 1, "lapsed": 5, "notices": 4},
		jobs.CampaignEnd:  {"campaigns_completed": 2},
		jobs.Grading:      {"customers": 10, "changed": 2, "written": 3},
	}
	for _, j := range defs {
		kinds = append(kinds, j.Kind)
		c, err := j.Run(ctx, "d1", day)
		require.NoError(t, err)
		assert.Equal(t, want[j.Kind], c, "the counts of %s", j.Kind)
	}
	assert.Equal(t, []jobs.Kind{jobs.Lifecycle, jobs.PointsExpiry, jobs.Membership, jobs.CampaignEnd, jobs.Grading}, kinds)
	assert.Equal(t, []string{"lifecycle 2026-03-10", "points 2026-03-10", "membership 2026-03-10", "campaigns 2026-03-10", "grading d1 2026-03-10"}, f.days,
		"each job calls its method as of the day")

	g := defs[4]
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
// memory backend for two days: each runs as of its day, grading only on
// the first of the month, and a campaign ending on the first completes on
// the second.
func TestDefaultsOnMemory(t *testing.T) {
	ctx := context.Background()
	c := testclock.New(time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC))
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
	cp, err := campaign.NewService(stores.CRM, stores.Campaigns, campaign.WithClock(c.Now))
	require.NoError(t, err)
	// A care campaign running 02-20 to 03-01: completed by the run of
	// 03-02, the day after its end.
	camp, err := cp.Create(ctx, "d1", campaign.Campaign{Name: "春季保养关怀", Kind: campaign.Care,
		Start: dealercrm.NewDate(2026, 2, 20), End: dealercrm.NewDate(2026, 3, 1)})
	require.NoError(t, err)
	for _, to := range []campaign.Status{campaign.Approved, campaign.Running} {
		_, err = cp.Transition(ctx, "d1", camp.ID, to)
		require.NoError(t, err)
	}
	status := func() campaign.Status {
		got, err := cp.Get(ctx, "d1", camp.ID)
		require.NoError(t, err)
		return got.Status
	}
	runs := memory.NewRunStore()
	s, err := jobs.NewScheduler(jobs.Defaults(jobs.Services{Lifecycle: lc, Loyalty: ly, Grading: gr, Campaigns: cp}), stores.CRM.Dealers(), runs, jobs.WithClock(c.Now))
	require.NoError(t, err)
	require.NoError(t, s.Tick(ctx))
	assert.Equal(t, campaign.Running, status(), "on its end date the campaign still runs")
	c.Advance(24 * time.Hour)
	require.NoError(t, s.Tick(ctx))
	assert.Equal(t, campaign.Completed, status(), "the day after its end date the campaign is completed")

	p, err := s.Runs(ctx, "d1", jobs.RunFilter{})
	require.NoError(t, err)
	var got []string
	for _, r := range p.Items {
		assert.Equal(t, jobs.Done, r.Status, "%s ran without error", r.Key())
		got = append(got, r.Key())
	}
	assert.Equal(t, []string{
		"2026-03-02/campaign_end", "2026-03-02/lifecycle", "2026-03-02/membership", "2026-03-02/points_expiry",
		"2026-03-01/campaign_end", "2026-03-01/grading", "2026-03-01/lifecycle", "2026-03-01/membership", "2026-03-01/points_expiry",
	}, got, "every job each day, grading on the first only")
	ended, err := runs.Get(ctx, "d1", jobs.CampaignEnd, dealercrm.NewDate(2026, 3, 2))
	require.NoError(t, err)
	assert.Equal(t, jobs.Counts{"campaigns_completed": 1}, ended.Counts, "the run of 03-02 counts the campaign it completed")
	gradingRun, err := stores.Grading.GetRunAsOf(ctx, "d1", dealercrm.NewDate(2026, 3, 1))
	require.NoError(t, err, "the grading run is recorded as of its day")
	assert.Equal(t, crm.DealerID("d1"), gradingRun.DealerID)
}

// TestAuditRetention: the AuditRetention job removes the dealer's audit
// records older than the retention before its day (UTC): three years by
// default — 1,095 days before 2026-03-10 is 2023-03-11 — or the days
// configured.
func TestAuditRetention(t *testing.T) {
	ctx := context.Background()
	p := &fakePurger{n: 7}
	defs := jobs.Defaults(jobs.Services{Audit: p})
	require.Len(t, defs, 1)
	assert.Equal(t, jobs.AuditRetention, defs[0].Kind)
	c, err := defs[0].Run(ctx, "d1", day)
	require.NoError(t, err)
	assert.Equal(t, jobs.Counts{"audit_records_removed": 7}, c)
	assert.Equal(t, []string{"d1 2023-03-11T00:00:00Z"}, p.calls)

	p.calls = nil
	defs = jobs.Defaults(jobs.Services{Audit: p, AuditRetentionDays: 180})
	_, err = defs[0].Run(ctx, "d1", day)
	require.NoError(t, err)
	assert.Equal(t, []string{"d1 2025-09-11T00:00:00Z"}, p.calls, "180 days before 2026-03-10")
}

// TestEventRetention: the EventRetention job removes the dealer's events
// older than 30 days before its day by default (2026-02-08 for
// 2026-03-10), or the days configured.
func TestEventRetention(t *testing.T) {
	ctx := context.Background()
	p := &fakePurger{n: 12}
	defs := jobs.Defaults(jobs.Services{Events: p})
	require.Len(t, defs, 1)
	assert.Equal(t, jobs.EventRetention, defs[0].Kind)
	c, err := defs[0].Run(ctx, "d1", day)
	require.NoError(t, err)
	assert.Equal(t, jobs.Counts{"events_removed": 12}, c)
	assert.Equal(t, []string{"d1 2026-02-08T00:00:00Z"}, p.calls)

	p.calls = nil
	defs = jobs.Defaults(jobs.Services{Events: p, EventRetentionDays: 7})
	_, err = defs[0].Run(ctx, "d1", day)
	require.NoError(t, err)
	assert.Equal(t, []string{"d1 2026-03-03T00:00:00Z"}, p.calls, "7 days before 2026-03-10")
}

type fakePurger struct {
	n     int
	calls []string
}

func (p *fakePurger) Purge(_ context.Context, dealer crm.DealerID, before time.Time) (int, error) {
	p.calls = append(p.calls, string(dealer)+" "+before.Format(time.RFC3339))
	return p.n, nil
}

// TestMessagesJob: the Messages job plans the day's automatic reminders
// and sends what is due (messagestest's dealer: one SMS maintenance task
// due on 2026-05-04, the job run at 10:00 Shanghai time); run again, it
// plans and sends nothing more.
func TestMessagesJob(t *testing.T) {
	e := messagestest.NewEnv(t, memory.NewStores())
	e.Task(lifecycle.KindMaintenance, e.Wang, messagestest.Day.AddDays(7), 1, messagestest.Day)
	e.Clock.Set(time.Date(2026, 5, 4, 10, 0, 0, 0, messagestest.Shanghai))
	defs := jobs.Defaults(jobs.Services{Messages: e.Svc})
	require.Len(t, defs, 1)
	assert.Equal(t, jobs.Messages, defs[0].Kind)
	c, err := defs[0].Run(e.Ctx, e.Dealer, messagestest.Day)
	require.NoError(t, err)
	assert.Equal(t, jobs.Counts{"planned_reminders": 1, "planned_campaign": 0, "holdout": 0, "sent": 1, "held": 0, "refused": 0, "failed": 0}, c)
	c, err = defs[0].Run(e.Ctx, e.Dealer, messagestest.Day)
	require.NoError(t, err)
	assert.Equal(t, jobs.Counts{"planned_reminders": 0, "planned_campaign": 0, "holdout": 0, "sent": 0, "held": 0, "refused": 0, "failed": 0}, c, "safe to run twice")
	assert.Len(t, e.Sender.Sent(), 1)
}
