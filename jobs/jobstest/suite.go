// Package jobstest is the conformance suite of jobs.RunStore: every
// backend (adapters/memory, adapters/postgres) runs RunStoreTests. Import
// it from tests only.
package jobstest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/jobs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The dealers of the suite.
const (
	DealerA crm.DealerID = "jobs-a"
	DealerB crm.DealerID = "jobs-b"
)

// Day is the suite's first day.
var Day = dealercrm.NewDate(2026, 3, 1)

// finish begins (dealer, kind, day) and finishes it with status, counts
// and error text.
func finish(t *testing.T, s jobs.RunStore, dealer crm.DealerID, kind jobs.Kind, day dealercrm.Date, status jobs.Status, counts jobs.Counts, msg string) jobs.Run {
	t.Helper()
	ctx := context.Background()
	r, ok, err := s.Begin(ctx, dealer, kind, day)
	require.NoError(t, err)
	require.True(t, ok, "Begin of %s %s %s proceeds", dealer, kind, day)
	r.Status, r.Counts, r.Error = status, counts, msg
	got, err := s.Finish(ctx, r)
	require.NoError(t, err)
	return got
}

// Lease is the short lease of the Takeover case.
const Lease = 300 * time.Millisecond

// RunStoreTests runs the conformance suite against stores made by
// newStore, each fresh and empty, with the given lease (0: the store's
// default, jobs.DefaultLease).
func RunStoreTests(t *testing.T, newStore func(t *testing.T, lease time.Duration) jobs.RunStore) {
	ctx := context.Background()
	t.Run("Takeover", func(t *testing.T) {
		s := newStore(t, Lease)
		first, ok, err := s.Begin(ctx, DealerA, jobs.Lifecycle, Day)
		require.NoError(t, err)
		require.True(t, ok)
		_, ok, err = s.Begin(ctx, DealerA, jobs.Lifecycle, Day)
		require.NoError(t, err)
		assert.False(t, ok, "a run running for less than the lease is not claimed")
		done := finish(t, s, DealerA, jobs.Lifecycle, Day.AddDays(1), jobs.Done, nil, "")

		time.Sleep(Lease + 100*time.Millisecond)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var won []jobs.Run
		for range 8 {
			wg.Go(func() {
				r, ok, err := s.Begin(ctx, DealerA, jobs.Lifecycle, Day)
				assert.NoError(t, err)
				if ok {
					mu.Lock()
					won = append(won, r)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		require.Len(t, won, 1, "of 8 concurrent Begins of a run left running for the lease exactly one claims it")
		second := won[0]
		assert.Equal(t, jobs.Running, second.Status)
		assert.Equal(t, 2, second.Attempt, "the takeover is attempt 2")
		assert.True(t, second.StartedAt.After(first.StartedAt), "StartedAt is the takeover's")

		dead := first
		dead.Status = jobs.Done
		_, err = s.Finish(ctx, dead)
		assert.ErrorIs(t, err, dealercrm.ErrFailedPrecondition, "the worker that lost the run cannot finish it")
		second.Status = jobs.Done
		got, err := s.Finish(ctx, second)
		require.NoError(t, err)
		assert.Equal(t, 2, got.Attempt)

		again, ok, err := s.Begin(ctx, DealerA, jobs.Lifecycle, Day.AddDays(1))
		require.NoError(t, err)
		assert.False(t, ok, "a done run is not claimed, however old")
		assert.Equal(t, done, again)
	})
	t.Run("BeginTwice", func(t *testing.T) {
		s := newStore(t, 0)
		r, ok, err := s.Begin(ctx, DealerA, jobs.Lifecycle, Day)
		require.NoError(t, err)
		require.True(t, ok, "the first Begin proceeds")
		assert.Equal(t, jobs.Running, r.Status)
		assert.Equal(t, 1, r.Attempt, "the first attempt is 1")
		assert.False(t, r.StartedAt.IsZero(), "StartedAt is set")
		assert.True(t, r.FinishedAt.IsZero(), "FinishedAt is zero while running")
		assert.False(t, r.Manual)

		again, ok, err := s.Begin(ctx, DealerA, jobs.Lifecycle, Day)
		require.NoError(t, err)
		assert.False(t, ok, "a running run is not begun twice")
		assert.Equal(t, r, again, "the second Begin returns the running run")

		r.Status, r.Counts = jobs.Done, jobs.Counts{"tasks_created": 12}
		done, err := s.Finish(ctx, r)
		require.NoError(t, err)
		again, ok, err = s.Begin(ctx, DealerA, jobs.Lifecycle, Day)
		require.NoError(t, err)
		assert.False(t, ok, "a done run is not begun again")
		assert.Equal(t, done, again, "Begin returns the done run")

		_, err = s.Finish(ctx, r)
		assert.ErrorIs(t, err, dealercrm.ErrFailedPrecondition, "a done run cannot be finished again")
		other := r
		other.Day = Day.AddDays(1)
		_, err = s.Finish(ctx, other)
		assert.ErrorIs(t, err, dealercrm.ErrNotFound, "a run never begun cannot be finished")
	})
	t.Run("ConcurrentBegin", func(t *testing.T) {
		s := newStore(t, 0)
		var wg sync.WaitGroup
		var mu sync.Mutex
		proceeded := 0
		for range 8 {
			wg.Go(func() {
				_, ok, err := s.Begin(ctx, DealerA, jobs.Grading, Day)
				assert.NoError(t, err)
				if ok {
					mu.Lock()
					proceeded++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		assert.Equal(t, 1, proceeded, "of 8 concurrent Begins of one dealer-day exactly one proceeds")
		r, err := s.Get(ctx, DealerA, jobs.Grading, Day)
		require.NoError(t, err)
		assert.Equal(t, 1, r.Attempt, "one attempt was recorded")
	})
	t.Run("FinishAndRetry", func(t *testing.T) {
		s := newStore(t, 0)
		failed := finish(t, s, DealerA, jobs.PointsExpiry, Day, jobs.Failed, jobs.Counts{"points_expired": 5}, "boom")
		assert.Equal(t, jobs.Failed, failed.Status)
		assert.Equal(t, "boom", failed.Error, "Finish records the error")
		assert.Equal(t, jobs.Counts{"points_expired": 5}, failed.Counts, "Finish records the counts")
		assert.False(t, failed.FinishedAt.Before(failed.StartedAt), "FinishedAt is not before StartedAt")
		got, err := s.Get(ctx, DealerA, jobs.PointsExpiry, Day)
		require.NoError(t, err)
		assert.Equal(t, failed, got, "Get reads the run back as finished")

		r, ok, err := s.Begin(ctx, DealerA, jobs.PointsExpiry, Day)
		require.NoError(t, err)
		require.True(t, ok, "a failed run is begun again")
		assert.Equal(t, 2, r.Attempt, "the retry is attempt 2")
		assert.True(t, r.FinishedAt.IsZero(), "the retry is running")

		stale := failed
		stale.Status = jobs.Done
		_, err = s.Finish(ctx, stale)
		assert.ErrorIs(t, err, dealercrm.ErrFailedPrecondition, "attempt 1 cannot finish attempt 2")
		r.Status = jobs.Running
		_, err = s.Finish(ctx, r)
		assert.ErrorIs(t, err, dealercrm.ErrFailedPrecondition, "a run finishes done or failed")

		r.Status, r.Counts, r.Error = jobs.Done, nil, ""
		done, err := s.Finish(ctx, r)
		require.NoError(t, err)
		assert.Equal(t, jobs.Done, done.Status)
		assert.Equal(t, 2, done.Attempt)
		assert.Empty(t, done.Error, "a done run has no error")
		assert.Equal(t, jobs.Counts{}, done.Counts, "nil counts read back empty")

		done.Counts["x"] = 1
		got, err = s.Get(ctx, DealerA, jobs.PointsExpiry, Day)
		require.NoError(t, err)
		assert.Equal(t, jobs.Counts{}, got.Counts, "a returned run shares no memory with the store")
	})
	t.Run("Request", func(t *testing.T) {
		s := newStore(t, 0)
		r, created, err := s.Request(ctx, DealerA, jobs.Membership, Day)
		require.NoError(t, err)
		assert.True(t, created, "the first Request creates the run")
		assert.Equal(t, jobs.Run{Dealer: DealerA, Kind: jobs.Membership, Day: Day, Status: jobs.Pending, Manual: true, Counts: jobs.Counts{}}, r)
		again, created, err := s.Request(ctx, DealerA, jobs.Membership, Day)
		require.NoError(t, err)
		assert.False(t, created, "a second Request finds the run")
		assert.Equal(t, r, again, "and returns it")

		b, ok, err := s.Begin(ctx, DealerA, jobs.Membership, Day)
		require.NoError(t, err)
		require.True(t, ok, "a pending run is begun")
		assert.Equal(t, 1, b.Attempt)
		assert.True(t, b.Manual, "Begin keeps the manual flag")
		b.Status = jobs.Done
		done, err := s.Finish(ctx, b)
		require.NoError(t, err)
		again, created, err = s.Request(ctx, DealerA, jobs.Membership, Day)
		require.NoError(t, err)
		assert.False(t, created)
		assert.Equal(t, done, again, "Request of a done day returns the done run")

		auto := finish(t, s, DealerA, jobs.Membership, Day.AddDays(1), jobs.Done, nil, "")
		again, created, err = s.Request(ctx, DealerA, jobs.Membership, Day.AddDays(1))
		require.NoError(t, err)
		assert.False(t, created)
		assert.Equal(t, auto, again, "Request of a scheduled run returns it, not manual")
	})
	t.Run("Last", func(t *testing.T) {
		s := newStore(t, 0)
		last, err := s.Last(ctx, DealerA, jobs.Lifecycle)
		require.NoError(t, err)
		assert.True(t, last.IsZero(), "no run: the zero date")
		finish(t, s, DealerA, jobs.Lifecycle, Day, jobs.Done, nil, "")
		finish(t, s, DealerA, jobs.Lifecycle, Day.AddDays(2), jobs.Done, nil, "")
		finish(t, s, DealerA, jobs.Lifecycle, Day.AddDays(3), jobs.Failed, nil, "boom")
		_, _, err = s.Begin(ctx, DealerA, jobs.Lifecycle, Day.AddDays(4))
		require.NoError(t, err)
		_, _, err = s.Request(ctx, DealerA, jobs.Lifecycle, Day.AddDays(5))
		require.NoError(t, err)
		finish(t, s, DealerA, jobs.Grading, Day.AddDays(9), jobs.Done, nil, "")
		last, err = s.Last(ctx, DealerA, jobs.Lifecycle)
		require.NoError(t, err)
		assert.Equal(t, Day.AddDays(2), last, "the latest done day of the kind; failed, running and pending do not count")
		last, err = s.Last(ctx, DealerB, jobs.Lifecycle)
		require.NoError(t, err)
		assert.True(t, last.IsZero(), "dealer B has no done day of A's")
	})
	t.Run("List", func(t *testing.T) {
		s := newStore(t, 0)
		for i := range 5 {
			d := Day.AddDays(i)
			finish(t, s, DealerA, jobs.Lifecycle, d, jobs.Done, jobs.Counts{"day": int64(i)}, "")
			status, msg := jobs.Done, ""
			if i == 3 {
				status, msg = jobs.Failed, "boom"
			}
			finish(t, s, DealerA, jobs.PointsExpiry, d, status, nil, msg)
		}
		finish(t, s, DealerB, jobs.Lifecycle, Day, jobs.Done, nil, "")

		keys := func(p crm.Page[jobs.Run]) []string {
			out := []string{}
			for _, r := range p.Items {
				out = append(out, r.Key())
			}
			return out
		}
		p, err := s.List(ctx, DealerA, jobs.RunFilter{From: Day.AddDays(2), To: Day.AddDays(3)})
		require.NoError(t, err)
		assert.Equal(t, []string{"2026-03-04/lifecycle", "2026-03-04/points_expiry", "2026-03-03/lifecycle", "2026-03-03/points_expiry"}, keys(p),
			"the day range, both ends included, newest day first then kind")
		assert.Empty(t, p.Next)

		p, err = s.List(ctx, DealerA, jobs.RunFilter{Kind: jobs.PointsExpiry, Status: jobs.Failed})
		require.NoError(t, err)
		require.Len(t, p.Items, 1, "kind and status filter")
		assert.Equal(t, "boom", p.Items[0].Error)
		assert.Equal(t, Day.AddDays(3), p.Items[0].Day)

		var all []string
		f := jobs.RunFilter{Kind: jobs.Lifecycle, PageRequest: crm.PageRequest{Limit: 2}}
		for pages := 0; ; pages++ {
			require.Less(t, pages, 5, "paging ends")
			p, err := s.List(ctx, DealerA, f)
			require.NoError(t, err)
			assert.LessOrEqual(t, len(p.Items), 2, "a page holds at most Limit runs")
			all = append(all, keys(p)...)
			if p.Next == "" {
				break
			}
			f.After = p.Next
		}
		assert.Equal(t, []string{"2026-03-05/lifecycle", "2026-03-04/lifecycle", "2026-03-03/lifecycle", "2026-03-02/lifecycle", "2026-03-01/lifecycle"}, all,
			"the cursor walks every run once, newest first")

		p, err = s.List(ctx, DealerB, jobs.RunFilter{})
		require.NoError(t, err)
		assert.Equal(t, []string{"2026-03-01/lifecycle"}, keys(p), "dealer B sees its own run only")
		p, err = s.List(ctx, "jobs-nobody", jobs.RunFilter{})
		require.NoError(t, err)
		assert.Equal(t, []jobs.Run{}, p.Items, "a dealer without runs lists none")

		for _, bad := range []jobs.RunFilter{
			{Kind: "nightly"}, {Status: "lost"}, {From: Day.AddDays(1), To: Day},
			{PageRequest: crm.PageRequest{After: "%%%"}}, {PageRequest: crm.PageRequest{After: "bm90LWEta2V5"}},
		} {
			_, err := s.List(ctx, DealerA, bad)
			var ve *crm.ValidationError
			assert.True(t, errors.As(err, &ve), "%+v is a validation error, got %v", bad, err)
		}
	})
	t.Run("Isolation", func(t *testing.T) {
		s := newStore(t, 0)
		finish(t, s, DealerA, jobs.CampaignEnd, Day, jobs.Done, nil, "")
		_, err := s.Get(ctx, DealerB, jobs.CampaignEnd, Day)
		assert.ErrorIs(t, err, dealercrm.ErrNotFound, "dealer B does not see dealer A's run")
		r, ok, err := s.Begin(ctx, DealerB, jobs.CampaignEnd, Day)
		require.NoError(t, err)
		assert.True(t, ok, "dealer B's run of the same kind and day is its own")
		assert.Equal(t, DealerB, r.Dealer)
		assert.Equal(t, 1, r.Attempt)
		r.Status = jobs.Failed
		_, err = s.Finish(ctx, r)
		require.NoError(t, err)
		a, err := s.Get(ctx, DealerA, jobs.CampaignEnd, Day)
		require.NoError(t, err)
		assert.Equal(t, jobs.Done, a.Status, "B's failure leaves A's run done")
	})
	t.Run("Invalid", func(t *testing.T) {
		s := newStore(t, 0)
		var ve *crm.ValidationError
		_, _, err := s.Begin(ctx, "", jobs.Lifecycle, Day)
		assert.True(t, errors.As(err, &ve), "an empty dealer is invalid")
		_, _, err = s.Begin(ctx, DealerA, "nightly", Day)
		assert.True(t, errors.As(err, &ve), "an unknown kind is invalid")
		_, _, err = s.Request(ctx, DealerA, jobs.Lifecycle, dealercrm.Date{})
		assert.True(t, errors.As(err, &ve), "the zero day is invalid")
		_, err = s.Last(ctx, DealerA, "nightly")
		assert.True(t, errors.As(err, &ve), "Last of an unknown kind is invalid")
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		_, _, err = s.Begin(cancelled, DealerA, jobs.Lifecycle, Day)
		assert.Equal(t, dealercrm.Unavailable, dealercrm.ErrorCode(err), "a cancelled context is unavailable")
	})
}
