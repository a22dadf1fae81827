package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/internal/testclock"
	"github.com/dealercrm/dealercrm/jobs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dealers is a jobs.Dealers over a fixed list.
type dealers []crm.Dealer

func (ds dealers) Get(_ context.Context, id crm.DealerID) (crm.Dealer, error) {
	for _, d := range ds {
		if d.ID == id {
			return d, nil
		}
	}
	return crm.Dealer{}, dealercrm.Errorf(dealercrm.NotFound, "dealer %s not found", id)
}

func (ds dealers) List(_ context.Context, f crm.DealerFilter) (crm.Page[crm.Dealer], error) {
	after, err := f.AfterID()
	if err != nil {
		return crm.Page[crm.Dealer]{}, err
	}
	var out []crm.Dealer
	for _, d := range ds {
		if string(d.ID) > after {
			out = append(out, d)
		}
	}
	return crm.NewPage(out[:min(len(out), f.Size()+1)], f.Size(), func(d crm.Dealer) string { return string(d.ID) }), nil
}

// recorder is a job that records its calls and fails as told.
type recorder struct {
	mu    sync.Mutex
	calls []string // "dealer day"
	// fail says whether the call of a dealer-day fails, given the earlier
	// calls of it.
	fail func(dealer crm.DealerID, day dealercrm.Date, calls int) error
}

func (r *recorder) job(kind jobs.Kind) jobs.Job {
	return jobs.Job{Kind: kind, Run: func(_ context.Context, dealer crm.DealerID, day dealercrm.Date) (jobs.Counts, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		key := fmt.Sprintf("%s %s", dealer, day)
		n := 0
		for _, c := range r.calls {
			if c == key {
				n++
			}
		}
		r.calls = append(r.calls, key)
		if r.fail != nil {
			if err := r.fail(dealer, day, n); err != nil {
				return nil, err
			}
		}
		return jobs.Counts{"day_number": int64(day.DayNumber())}, nil
	}}
}

func (r *recorder) Calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

var (
	day     = dealercrm.NewDate(2026, 3, 10)
	shop    = crm.Dealer{ID: "d-shanghai", TimeZone: "Asia/Shanghai"}
	urumqi  = crm.Dealer{ID: "d-urumqi", TimeZone: "Asia/Urumqi"}
	errBoom = errors.New("boom")
)

// only returns the calls of dealer.
func only(calls []string, dealer crm.DealerID) []string {
	var out []string
	for _, c := range calls {
		if strings.HasPrefix(c, string(dealer)+" ") {
			out = append(out, c)
		}
	}
	return out
}

// days returns "dealer day" for the days from..to.
func days(dealer crm.DealerID, from, to dealercrm.Date) []string {
	var out []string
	for d := from; !d.After(to); d = d.AddDays(1) {
		out = append(out, fmt.Sprintf("%s %s", dealer, d))
	}
	return out
}

func TestRunDay(t *testing.T) {
	ctx := context.Background()
	t.Run("FirstRunStartsAtTheDay", func(t *testing.T) {
		rec, runs := &recorder{}, memory.NewRunStore()
		done, err := jobs.RunDay(ctx, runs, rec.job(jobs.Lifecycle), shop, day, 0)
		require.NoError(t, err)
		assert.Equal(t, days(shop.ID, day, day), rec.Calls(), "no run before: only the day itself")
		require.Len(t, done, 1)
		assert.Equal(t, jobs.Done, done[0].Status)
		assert.Equal(t, jobs.Counts{"day_number": int64(day.DayNumber())}, done[0].Counts, "the counts are recorded")

		_, err = jobs.RunDay(ctx, runs, rec.job(jobs.Lifecycle), shop, day, 0)
		require.NoError(t, err)
		assert.Len(t, rec.Calls(), 1, "a done day is not run again")
	})
	t.Run("CatchUpInOrder", func(t *testing.T) {
		rec, runs := &recorder{}, memory.NewRunStore()
		_, err := jobs.RunDay(ctx, runs, rec.job(jobs.Lifecycle), shop, day.AddDays(-5), 0)
		require.NoError(t, err)
		done, err := jobs.RunDay(ctx, runs, rec.job(jobs.Lifecycle), shop, day, 0)
		require.NoError(t, err)
		assert.Equal(t, days(shop.ID, day.AddDays(-5), day), rec.Calls(), "the missed days run in order, each as of itself")
		assert.Len(t, done, 5)
	})
	t.Run("Window", func(t *testing.T) {
		rec, runs := &recorder{}, memory.NewRunStore()
		_, err := jobs.RunDay(ctx, runs, rec.job(jobs.Lifecycle), shop, day.AddDays(-40), 3)
		require.NoError(t, err)
		_, err = jobs.RunDay(ctx, runs, rec.job(jobs.Lifecycle), shop, day, 3)
		require.NoError(t, err)
		assert.Equal(t, append(days(shop.ID, day.AddDays(-40), day.AddDays(-40)), days(shop.ID, day.AddDays(-2), day)...), rec.Calls(),
			"a window of 3 days goes back to day-2")
	})
	t.Run("StopsAtFailureAndResumes", func(t *testing.T) {
		rec := &recorder{fail: func(_ crm.DealerID, d dealercrm.Date, n int) error {
			if d == day.AddDays(-2) && n == 0 {
				return errBoom
			}
			return nil
		}}
		runs := memory.NewRunStore()
		_, err := jobs.RunDay(ctx, runs, rec.job(jobs.Lifecycle), shop, day.AddDays(-4), 0)
		require.NoError(t, err)
		done, err := jobs.RunDay(ctx, runs, rec.job(jobs.Lifecycle), shop, day, 0)
		require.ErrorIs(t, err, errBoom, "the failure is returned")
		assert.Equal(t, days(shop.ID, day.AddDays(-4), day.AddDays(-2)), rec.Calls(), "no day after the failed one runs")
		require.Len(t, done, 2)
		assert.Equal(t, jobs.Failed, done[1].Status)
		assert.Equal(t, "boom", done[1].Error, "the error is recorded")

		_, err = jobs.RunDay(ctx, runs, rec.job(jobs.Lifecycle), shop, day, 0)
		require.NoError(t, err)
		assert.Equal(t, days(shop.ID, day.AddDays(-2), day), rec.Calls()[3:], "the retry resumes at the failed day")
		r, err := runs.Get(ctx, shop.ID, jobs.Lifecycle, day.AddDays(-2))
		require.NoError(t, err)
		assert.Equal(t, jobs.Done, r.Status)
		assert.Equal(t, 2, r.Attempt, "the retry is attempt 2")
		assert.Empty(t, r.Error, "a done run has no error")
	})
	t.Run("Panic", func(t *testing.T) {
		runs := memory.NewRunStore()
		job := jobs.Job{Kind: jobs.Grading, Run: func(context.Context, crm.DealerID, dealercrm.Date) (jobs.Counts, error) { panic("oops") }}
		_, err := jobs.RunDay(ctx, runs, job, shop, day, 0)
		require.Error(t, err)
		r, err := runs.Get(ctx, shop.ID, jobs.Grading, day)
		require.NoError(t, err)
		assert.Equal(t, jobs.Failed, r.Status, "a panic fails the run")
		assert.Equal(t, "panic: oops", r.Error)
	})
	t.Run("Due", func(t *testing.T) {
		rec, runs := &recorder{}, memory.NewRunStore()
		job := rec.job(jobs.Grading)
		job.Due = func(_ crm.Dealer, d dealercrm.Date) bool { return d.Day == 1 }
		_, err := jobs.RunDay(ctx, runs, job, shop, dealercrm.NewDate(2026, 2, 1), 0)
		require.NoError(t, err)
		_, err = jobs.RunDay(ctx, runs, job, shop, dealercrm.NewDate(2026, 3, 4), 0)
		require.NoError(t, err)
		assert.Equal(t, []string{"d-shanghai 2026-02-01", "d-shanghai 2026-03-01"}, rec.Calls(), "a missed due day runs, the others pass without a run")
		p, err := runs.List(ctx, shop.ID, jobs.RunFilter{})
		require.NoError(t, err)
		assert.Len(t, p.Items, 2, "days that are not due leave no record")

		_, _, err = runs.Request(ctx, shop.ID, jobs.Grading, dealercrm.NewDate(2026, 3, 5))
		require.NoError(t, err)
		_, err = jobs.RunDay(ctx, runs, job, shop, dealercrm.NewDate(2026, 3, 5), 0)
		require.NoError(t, err)
		assert.Equal(t, "d-shanghai 2026-03-05", rec.Calls()[2], "a day asked for by hand runs though not due")
	})
	t.Run("Busy", func(t *testing.T) {
		rec, runs := &recorder{}, memory.NewRunStore()
		_, _, err := runs.Begin(ctx, shop.ID, jobs.Lifecycle, day)
		require.NoError(t, err)
		_, err = jobs.RunDay(ctx, runs, rec.job(jobs.Lifecycle), shop, day, 0)
		assert.ErrorIs(t, err, jobs.ErrBusy, "a day running elsewhere is busy")
		assert.Empty(t, rec.Calls())
	})
}

// newScheduler returns a scheduler of one recorder job over shop and
// urumqi at 2026-03-10 17:00 UTC: 03-11 in Shanghai (UTC+8), still 03-10
// in Urumqi (UTC+6).
func newScheduler(t *testing.T, rec *recorder, opts ...jobs.Option) (*jobs.Scheduler, *testclock.Clock, *memory.RunStore) {
	t.Helper()
	c := testclock.New(time.Date(2026, 3, 10, 17, 0, 0, 0, time.UTC))
	runs := memory.NewRunStore()
	s, err := jobs.NewScheduler([]jobs.Job{rec.job(jobs.Lifecycle)}, dealers{shop, urumqi}, runs,
		append([]jobs.Option{jobs.WithClock(c.Now), jobs.WithBackoff(time.Minute, 3*time.Minute)}, opts...)...)
	require.NoError(t, err)
	return s, c, runs
}

func TestSchedulerDays(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	s, c, _ := newScheduler(t, rec)
	require.NoError(t, s.Tick(ctx))
	c.Advance(time.Hour)
	require.NoError(t, s.Tick(ctx))
	c.Advance(23 * time.Hour)
	require.NoError(t, s.Tick(ctx))
	require.NoError(t, s.Tick(ctx))
	assert.ElementsMatch(t, []string{"d-shanghai 2026-03-11", "d-shanghai 2026-03-12", "d-urumqi 2026-03-10", "d-urumqi 2026-03-11"}, rec.Calls(),
		"each dealer-day ran once, on the dealer's local day")
	assert.Equal(t, days(shop.ID, dealercrm.NewDate(2026, 3, 11), dealercrm.NewDate(2026, 3, 12)), only(rec.Calls(), shop.ID), "in order")
}

func TestSchedulerCatchUp(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	s, c, runs := newScheduler(t, rec)
	require.NoError(t, s.Tick(ctx))
	c.Advance(5 * 24 * time.Hour)
	require.NoError(t, s.Tick(ctx))
	assert.Equal(t, days(shop.ID, dealercrm.NewDate(2026, 3, 11), dealercrm.NewDate(2026, 3, 16)), only(rec.Calls(), shop.ID),
		"after five days down the missed days run in order, each as of itself")
	p, err := s.Runs(ctx, shop.ID, jobs.RunFilter{Status: jobs.Done})
	require.NoError(t, err)
	assert.Len(t, p.Items, 6, "each day is recorded done")
	last, err := runs.Last(ctx, urumqi.ID, jobs.Lifecycle)
	require.NoError(t, err)
	assert.Equal(t, dealercrm.NewDate(2026, 3, 15), last, "Urumqi is done through its own today")
}

func TestSchedulerRetry(t *testing.T) {
	ctx := context.Background()
	failures := 1
	rec := &recorder{fail: func(dealer crm.DealerID, _ dealercrm.Date, n int) error {
		if dealer == shop.ID && n < failures {
			return errBoom
		}
		return nil
	}}
	s, c, runs := newScheduler(t, rec)
	today := dealercrm.NewDate(2026, 3, 11)
	assert.ErrorIs(t, s.Tick(ctx), errBoom, "Tick returns the failure")
	r, err := runs.Get(ctx, shop.ID, jobs.Lifecycle, today)
	require.NoError(t, err)
	assert.Equal(t, jobs.Failed, r.Status)
	assert.Equal(t, 1, r.Attempt)

	c.Advance(59 * time.Second)
	require.NoError(t, s.Tick(ctx))
	assert.Len(t, rec.Calls(), 2, "no retry before the backoff (one Shanghai, one Urumqi call)")
	c.Advance(time.Second)
	require.NoError(t, s.Tick(ctx))
	r, err = runs.Get(ctx, shop.ID, jobs.Lifecycle, today)
	require.NoError(t, err)
	assert.Equal(t, jobs.Done, r.Status, "the retry after the backoff finishes")
	assert.Equal(t, 2, r.Attempt, "attempt 2 is recorded")
	assert.Empty(t, r.Error)

	t.Run("Capped", func(t *testing.T) {
		failures = 100
		rec.mu.Lock()
		rec.calls = nil
		rec.mu.Unlock()
		c.Advance(24 * time.Hour) // 03-12: fails at once
		attempts := func() int {
			r, err := runs.Get(ctx, shop.ID, jobs.Lifecycle, today.AddDays(1))
			require.NoError(t, err)
			return r.Attempt
		}
		_ = s.Tick(ctx)
		require.Equal(t, 1, attempts())
		// Delays 1m, 2m, then 3m (capped from 4m) and 3m again.
		for i, wait := range []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute, 3 * time.Minute} {
			c.Advance(wait - time.Second)
			_ = s.Tick(ctx)
			assert.Equal(t, i+1, attempts(), "no attempt a second before the delay %s", wait)
			c.Advance(time.Second)
			_ = s.Tick(ctx)
			assert.Equal(t, i+2, attempts(), "attempt %d after %s", i+2, wait)
		}
	})
}

func TestSchedulerTrigger(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	s, _, _ := newScheduler(t, rec)
	today := dealercrm.NewDate(2026, 3, 11)
	first, created, err := s.Trigger(ctx, shop.ID, jobs.Lifecycle, dealercrm.Date{})
	require.NoError(t, err)
	assert.True(t, created, "the first Trigger creates the run")
	assert.Equal(t, today, first.Day, "the zero day is the dealer's today")
	assert.True(t, first.Manual)
	second, created, err := s.Trigger(ctx, shop.ID, jobs.Lifecycle, today)
	require.NoError(t, err)
	assert.False(t, created, "the second finds it")
	assert.Equal(t, first.Key(), second.Key(), "a second Trigger returns the same run")
	assert.True(t, second.Manual, "the run of the first Trigger")
	require.NoError(t, s.Stop(ctx), "Stop waits for the triggered run")
	assert.Equal(t, []string{"d-shanghai 2026-03-11"}, rec.Calls(), "the job ran once")
	p, err := s.Runs(ctx, shop.ID, jobs.RunFilter{})
	require.NoError(t, err)
	require.Len(t, p.Items, 1)
	assert.Equal(t, jobs.Done, p.Items[0].Status)
	assert.True(t, p.Items[0].Manual)

	var ve *crm.ValidationError
	_, _, err = s.Trigger(ctx, shop.ID, jobs.Grading, today)
	assert.True(t, errors.As(err, &ve), "a kind without a job is invalid")
	_, _, err = s.Trigger(ctx, shop.ID, jobs.Lifecycle, today.AddDays(1))
	assert.True(t, errors.As(err, &ve), "a day after the dealer's today is invalid")
	_, _, err = s.Trigger(ctx, "nobody", jobs.Lifecycle, today)
	assert.ErrorIs(t, err, dealercrm.ErrNotFound)
	_, _, err = s.Trigger(ctx, urumqi.ID, jobs.Lifecycle, dealercrm.NewDate(2026, 3, 10))
	assert.ErrorIs(t, err, dealercrm.ErrUnavailable, "a stopped scheduler triggers nothing")
}

func TestSchedulerTriggerCatchesUp(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	s, c, _ := newScheduler(t, rec)
	require.NoError(t, s.Tick(ctx)) // Shanghai done through 03-11
	c.Advance(3 * 24 * time.Hour)   // down until 03-14
	_, created, err := s.Trigger(ctx, shop.ID, jobs.Lifecycle, dealercrm.NewDate(2026, 3, 13))
	require.NoError(t, err)
	require.True(t, created)
	require.NoError(t, s.Stop(ctx))
	assert.Equal(t, days(shop.ID, dealercrm.NewDate(2026, 3, 11), dealercrm.NewDate(2026, 3, 13)), only(rec.Calls(), shop.ID),
		"a triggered day runs after the missing days before it, in order")
	require.NoError(t, s.Tick(ctx))
	assert.Equal(t, days(shop.ID, dealercrm.NewDate(2026, 3, 11), dealercrm.NewDate(2026, 3, 14)), only(rec.Calls(), shop.ID),
		"the next round runs today")
}

func TestSchedulerStartStop(t *testing.T) {
	rec := &recorder{}
	s, _, _ := newScheduler(t, rec, jobs.WithInterval(time.Millisecond))
	require.NoError(t, s.Start(context.Background()))
	assert.Error(t, s.Start(context.Background()), "a scheduler starts once")
	require.Eventually(t, func() bool { return len(rec.Calls()) == 2 }, time.Second, time.Millisecond, "the loop ticks at once")
	require.NoError(t, s.Stop(context.Background()))
	n := len(rec.Calls())
	time.Sleep(3 * time.Millisecond)
	assert.Len(t, rec.Calls(), n, "no tick after Stop")
}

func TestSchedulerStopHonoursContext(t *testing.T) {
	started := make(chan struct{})
	runs := memory.NewRunStore()
	job := jobs.Job{Kind: jobs.Lifecycle, Run: func(ctx context.Context, _ crm.DealerID, _ dealercrm.Date) (jobs.Counts, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	c := testclock.New(time.Date(2026, 3, 10, 17, 0, 0, 0, time.UTC))
	s, err := jobs.NewScheduler([]jobs.Job{job}, dealers{shop}, runs, jobs.WithClock(c.Now))
	require.NoError(t, err)
	_, _, err = s.Trigger(context.Background(), shop.ID, jobs.Lifecycle, dealercrm.Date{})
	require.NoError(t, err)
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, s.Stop(ctx), context.DeadlineExceeded, "Stop returns when its context ends")
	require.Eventually(t, func() bool {
		r, err := runs.Get(context.Background(), shop.ID, jobs.Lifecycle, dealercrm.NewDate(2026, 3, 11))
		return err == nil && r.Status == jobs.Failed
	}, time.Second, time.Millisecond, "the job's context is cancelled and its run recorded failed")
}

func TestNewSchedulerInvalid(t *testing.T) {
	rec := &recorder{}
	runs := memory.NewRunStore()
	var ve *crm.ValidationError
	_, err := jobs.NewScheduler([]jobs.Job{rec.job(jobs.Lifecycle), rec.job(jobs.Lifecycle)}, dealers{}, runs)
	assert.True(t, errors.As(err, &ve), "a kind twice is invalid")
	_, err = jobs.NewScheduler([]jobs.Job{{Kind: "nightly", Run: rec.job(jobs.Lifecycle).Run}}, dealers{}, runs)
	assert.True(t, errors.As(err, &ve), "an unknown kind is invalid")
	_, err = jobs.NewScheduler([]jobs.Job{{Kind: jobs.Lifecycle}}, dealers{}, runs)
	assert.True(t, errors.As(err, &ve), "a job without Run is invalid")
	_, err = jobs.NewScheduler(nil, dealers{}, runs, jobs.WithBackoff(time.Hour, time.Minute))
	assert.True(t, errors.As(err, &ve), "a maximum delay below the base is invalid")
	_, err = jobs.NewScheduler(nil, nil, runs)
	assert.ErrorIs(t, err, dealercrm.ErrInvalid)
}

func TestParse(t *testing.T) {
	for _, k := range jobs.Kinds() {
		got, err := jobs.ParseKind(string(k))
		require.NoError(t, err)
		assert.Equal(t, k, got)
	}
	for _, s := range jobs.Statuses() {
		got, err := jobs.ParseStatus(string(s))
		require.NoError(t, err)
		assert.Equal(t, s, got)
	}
	var ve *crm.ValidationError
	_, err := jobs.ParseKind("nightly")
	require.True(t, errors.As(err, &ve), "an unknown kind is a validation error")
	assert.Equal(t, "kind", ve.Fields[0].Field)
	_, err = jobs.ParseStatus("lost")
	assert.True(t, errors.As(err, &ve), "an unknown status is a validation error")

	r := jobs.Run{Day: day, Kind: jobs.PointsExpiry}
	f := jobs.RunFilter{PageRequest: crm.PageRequest{After: crm.NewPage([]jobs.Run{r, r}, 1, jobs.Run.Key).Next}}
	d, k, err := f.Cursor()
	require.NoError(t, err)
	assert.Equal(t, day, d, "the cursor holds the day")
	assert.Equal(t, jobs.PointsExpiry, k, "and the kind")
}
