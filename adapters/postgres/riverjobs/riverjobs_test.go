package riverjobs_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/adapters/postgres/riverjobs"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
	"github.com/dealercrm/dealercrm/jobs"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	poolOnce sync.Once
	pool     *sql.DB
	poolErr  error
)

// riverPool returns River's pool on the test server, opened with pgx once.
// pgtest.DB is asked first, so that a missing server skips the test (or
// fails it, with DEALERCRM_REQUIRE_POSTGRES=1) like every Postgres test.
func riverPool(t *testing.T) *sql.DB {
	t.Helper()
	pgtest.DB(t)
	poolOnce.Do(func() {
		pool, poolErr = sql.Open("pgx", pgtest.DSN())
		if poolErr == nil {
			pool.SetMaxOpenConns(8)
		}
	})
	require.NoError(t, poolErr)
	return pool
}

// setup returns a migrated store in its own schema with River's tables in
// it too, and River's pool.
func setup(t *testing.T, opts ...postgres.Option) (*postgres.Store, *sql.DB) {
	t.Helper()
	store := pgtest.NewStore(t, opts...)
	db := riverPool(t)
	require.NoError(t, riverjobs.Migrate(context.Background(), db, store.Schema()))
	return store, db
}

// quiet are the options of every test scheduler: fast polling and retries,
// no River log lines.
func quiet(now time.Time, more ...riverjobs.Option) []riverjobs.Option {
	return append([]riverjobs.Option{
		riverjobs.WithClock(func() time.Time { return now }),
		riverjobs.WithFetchPoll(20 * time.Millisecond),
		riverjobs.WithBusyDelay(20 * time.Millisecond),
		riverjobs.WithRetry(5, func(int) time.Duration { return 50 * time.Millisecond }),
		riverjobs.WithLogger(slog.New(slog.DiscardHandler)),
		riverjobs.WithTestOnly(),
	}, more...)
}

// now is 17:00 UTC: 01:00 on March 11 in Shanghai (UTC+8), 23:00 on March
// 10 in Urumqi (UTC+6).
var now = time.Date(2026, 3, 10, 17, 0, 0, 0, time.UTC)

// dealer creates a dealer in zone.
func dealer(t *testing.T, store *postgres.Store, id, zone string) crm.Dealer {
	t.Helper()
	d := crmtest.Dealer(crm.DealerID(id))
	d.ExternalID, d.TimeZone = "", zone
	require.NoError(t, store.Dealers().Create(context.Background(), &d))
	return d
}

// recorder counts the calls of its jobs per kind, dealer and day, and the
// order of the days per dealer and kind.
type recorder struct {
	mu    sync.Mutex
	calls map[string]int
	order map[string][]dealercrm.Date
}

func newRecorder() *recorder {
	return &recorder{calls: map[string]int{}, order: map[string][]dealercrm.Date{}}
}

func (r *recorder) job(kind jobs.Kind) jobs.Job {
	return jobs.Job{Kind: kind, Run: func(ctx context.Context, d crm.DealerID, day dealercrm.Date) (jobs.Counts, error) {
		time.Sleep(2 * time.Millisecond) // long enough for the replicas to contend
		r.mu.Lock()
		defer r.mu.Unlock()
		r.calls[fmt.Sprintf("%s/%s/%s", kind, d, day)]++
		r.order[fmt.Sprintf("%s/%s", kind, d)] = append(r.order[fmt.Sprintf("%s/%s", kind, d)], day)
		return jobs.Counts{"calls": 1}, nil
	}}
}

// waitDone waits until the schema's job_runs has n done rows.
func waitDone(t *testing.T, store *postgres.Store, n int) {
	t.Helper()
	db := pgtest.DB(t)
	var got int
	require.Eventually(t, func() bool {
		err := db.QueryRowContext(context.Background(), "SELECT count(*) FROM "+store.TableName(postgres.TableJobRuns)+" WHERE status = 'done'").Scan(&got)
		return err == nil && got >= n
	}, 10*time.Second, 20*time.Millisecond, "job_runs reaches %d done rows", n)
}

// TestTwoSchedulers is the test of docs/jobs.md: two replicas on one
// schema, 20 dealers in two time zones, half of them with their last done
// day five days back, and concurrent Triggers from both replicas.
func TestTwoSchedulers(t *testing.T) {
	ctx := context.Background()
	store, db := setup(t)
	rec := newRecorder()
	js := []jobs.Job{rec.job(jobs.Lifecycle), rec.job(jobs.PointsExpiry)}

	var dealers []crm.Dealer
	for i := range 20 {
		zone := "Asia/Shanghai"
		if i%2 == 1 {
			zone = "Asia/Urumqi"
		}
		dealers = append(dealers, dealer(t, store, fmt.Sprintf("two-%02d", i), zone))
	}
	// Dealers 0–9 (both zones) last did D−5; 10–19 never ran.
	runs := store.Runs()
	for _, d := range dealers[:10] {
		for _, j := range js {
			r, ok, err := runs.Begin(ctx, d.ID, j.Kind, d.Today(now).AddDays(-5))
			require.NoError(t, err)
			require.True(t, ok)
			r.Status = jobs.Done
			_, err = runs.Finish(ctx, r)
			require.NoError(t, err)
		}
	}

	var scheds []*riverjobs.Scheduler
	for i := range 2 {
		s, err := riverjobs.New(store, db, js, quiet(now, riverjobs.WithID(fmt.Sprintf("replica-%d", i+1)))...)
		require.NoError(t, err)
		scheds = append(scheds, s)
	}
	start := time.Now()
	for _, s := range scheds {
		require.NoError(t, s.Start(ctx))
	}
	// Both replicas trigger D−2 and D of every caught-up dealer at once.
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := map[string]int{}
	for _, s := range scheds {
		for _, d := range dealers[:10] {
			for _, back := range []int{2, 0} {
				wg.Go(func() {
					day := d.Today(now).AddDays(-back)
					r, isNew, err := s.Trigger(ctx, d.ID, jobs.Lifecycle, day)
					assert.NoError(t, err)
					assert.Equal(t, day, r.Day)
					if isNew {
						mu.Lock()
						created[fmt.Sprintf("%s/%s", d.ID, day)]++
						mu.Unlock()
					}
				})
			}
		}
	}
	wg.Wait()
	// 10 dealers × 2 kinds × D−4…D, and 10 dealers × 2 kinds × D.
	want := 10*2*5 + 10*2*1
	waitDone(t, store, want+20) // and the seeded D−5 rows
	t.Logf("%d dealer-days done %s after start", want, time.Since(start).Round(time.Millisecond))
	var leaders []string
	rows, err := pgtest.DB(t).QueryContext(ctx, `SELECT leader_id FROM "`+store.Schema()+`".river_leader`)
	require.NoError(t, err)
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		leaders = append(leaders, id)
	}
	require.NoError(t, rows.Err())
	require.Len(t, leaders, 1, "exactly one replica is leader")
	assert.Contains(t, []string{"replica-1", "replica-2"}, leaders[0])
	for _, s := range scheds {
		require.NoError(t, s.Stop(ctx))
	}

	// A triggered day is created by one Trigger, or by the plan's catch-up
	// that began it first: never twice.
	for key, n := range created {
		assert.Equal(t, 1, n, "of the two replicas' Triggers of %s one created the run", key)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	assert.Len(t, rec.calls, want, "every (kind, dealer, day) ran")
	for key, n := range rec.calls {
		assert.Equal(t, 1, n, "%s ran exactly once", key)
	}
	for i, d := range dealers {
		today := d.Today(now)
		for _, j := range js {
			days := rec.order[fmt.Sprintf("%s/%s", j.Kind, d.ID)]
			want := []dealercrm.Date{today}
			if i < 10 {
				want = []dealercrm.Date{today.AddDays(-4), today.AddDays(-3), today.AddDays(-2), today.AddDays(-1), today}
			}
			assert.Equal(t, want, days, "%s %s (%s) ran its days once each, in order", j.Kind, d.ID, d.TimeZone)
		}
	}
	// Shanghai's today is March 11, Urumqi's March 10.
	assert.Equal(t, dealercrm.NewDate(2026, 3, 11), dealers[0].Today(now))
	assert.Equal(t, dealercrm.NewDate(2026, 3, 10), dealers[1].Today(now))

	page, err := scheds[0].Runs(ctx, dealers[0].ID, jobs.RunFilter{Kind: jobs.Lifecycle})
	require.NoError(t, err)
	require.Len(t, page.Items, 6, "D−5 … D, one row each")
	for _, r := range page.Items {
		assert.Equal(t, jobs.Done, r.Status, "%s", r.Key())
		assert.Equal(t, 1, r.Attempt, "%s", r.Key())
	}
	for _, r := range page.Items {
		_, byHand := created[fmt.Sprintf("%s/%s", r.Dealer, r.Day)]
		assert.Equal(t, byHand, r.Manual, "%s is manual when a Trigger created it", r.Key())
	}
	var total int
	require.NoError(t, pgtest.DB(t).QueryRowContext(ctx, "SELECT count(*) FROM "+store.TableName(postgres.TableJobRuns)).Scan(&total))
	assert.Equal(t, want+20, total, "one row per dealer-day: the runs and the 20 seeded D−5 rows")
}

// TestRetry: a job that fails its first attempt is retried by River, and
// the run records attempt 2; River keeps the first error.
func TestRetry(t *testing.T) {
	ctx := context.Background()
	store, db := setup(t)
	d := dealer(t, store, "retry-1", "Asia/Shanghai")
	var mu sync.Mutex
	calls := 0
	job := jobs.Job{Kind: jobs.Membership, Run: func(context.Context, crm.DealerID, dealercrm.Date) (jobs.Counts, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			return nil, errors.New("boom: the loyalty store is down")
		}
		return jobs.Counts{"memberships_expired": 3}, nil
	}}
	s, err := riverjobs.New(store, db, []jobs.Job{job}, quiet(now)...)
	require.NoError(t, err)
	require.NoError(t, s.Start(ctx))
	waitDone(t, store, 1)
	require.NoError(t, s.Stop(ctx))

	r, err := store.Runs().Get(ctx, d.ID, jobs.Membership, d.Today(now))
	require.NoError(t, err)
	assert.Equal(t, jobs.Done, r.Status)
	assert.Equal(t, 2, r.Attempt, "the retry is attempt 2")
	assert.Equal(t, jobs.Counts{"memberships_expired": 3}, r.Counts)
	assert.Empty(t, r.Error, "the done attempt has no error")
	assert.Equal(t, 2, calls)
	var firstErr string
	require.NoError(t, pgtest.DB(t).QueryRowContext(ctx, `SELECT errors[1]->>'error' FROM "`+store.Schema()+`".river_job WHERE kind = ?`, riverjobs.KindDay).Scan(&firstErr))
	assert.Contains(t, firstErr, "boom: the loyalty store is down", "River recorded attempt 1's error")
}

// TestCrash: a run left running by a dead replica (two hours ago, with a
// one-minute lease) is claimed and finished; a job whose context is
// cancelled midway (its timeout) is recorded failed and retried.
func TestCrash(t *testing.T) {
	ctx := context.Background()
	store, db := setup(t, postgres.WithRunLease(time.Minute))
	dead := dealer(t, store, "crash-dead", "Asia/Shanghai")
	slow := dealer(t, store, "crash-slow", "Asia/Urumqi")
	_, err := pgtest.DB(t).ExecContext(ctx, "INSERT INTO "+store.TableName(postgres.TableJobRuns)+
		" (dealer_id, kind, day, status, attempt, started_at) VALUES (?, 'grading', ?, 'running', 1, now() - interval '2 hours')",
		string(dead.ID), dead.Today(now).String())
	require.NoError(t, err)

	var mu sync.Mutex
	calls := map[crm.DealerID]int{}
	job := jobs.Job{Kind: jobs.Grading, Run: func(ctx context.Context, id crm.DealerID, _ dealercrm.Date) (jobs.Counts, error) {
		mu.Lock()
		calls[id]++
		n := calls[id]
		mu.Unlock()
		if id == slow.ID && n == 1 {
			<-ctx.Done() // killed midway: the job's timeout cancels it
			return nil, ctx.Err()
		}
		return jobs.Counts{"graded": 7}, nil
	}}
	s, err := riverjobs.New(store, db, []jobs.Job{job}, quiet(now, riverjobs.WithJobTimeout(300*time.Millisecond))...)
	require.NoError(t, err)
	require.NoError(t, s.Start(ctx))
	waitDone(t, store, 2)
	require.NoError(t, s.Stop(ctx))

	r, err := store.Runs().Get(ctx, dead.ID, jobs.Grading, dead.Today(now))
	require.NoError(t, err)
	assert.Equal(t, jobs.Done, r.Status)
	assert.Equal(t, 2, r.Attempt, "the dead replica's attempt 1 was taken over as attempt 2")
	assert.Equal(t, 1, calls[dead.ID], "this replica ran it once")

	r, err = store.Runs().Get(ctx, slow.ID, jobs.Grading, slow.Today(now))
	require.NoError(t, err)
	assert.Equal(t, jobs.Done, r.Status)
	assert.Equal(t, 2, r.Attempt, "the cancelled attempt 1 was recorded failed and retried")
	assert.Equal(t, jobs.Counts{"graded": 7}, r.Counts)
	assert.Equal(t, 2, calls[slow.ID])
}

// TestTrigger: the checks of Trigger, and that a second call returns the
// first run without inserting a job.
func TestTrigger(t *testing.T) {
	ctx := context.Background()
	store, db := setup(t)
	d := dealer(t, store, "trigger-1", "Asia/Shanghai")
	rec := newRecorder()
	s, err := riverjobs.New(store, db, []jobs.Job{rec.job(jobs.Lifecycle)}, quiet(now)...)
	require.NoError(t, err)

	var ve *crm.ValidationError
	_, _, err = s.Trigger(ctx, d.ID, jobs.Grading, dealercrm.Date{})
	assert.True(t, errors.As(err, &ve), "a kind without a job is invalid: %v", err)
	_, _, err = s.Trigger(ctx, d.ID, jobs.Lifecycle, d.Today(now).AddDays(1))
	assert.True(t, errors.As(err, &ve), "a day after the dealer's today is invalid: %v", err)
	_, _, err = s.Trigger(ctx, "nobody", jobs.Lifecycle, dealercrm.Date{})
	assert.ErrorIs(t, err, dealercrm.ErrNotFound)

	r, created, err := s.Trigger(ctx, d.ID, jobs.Lifecycle, dealercrm.Date{})
	require.NoError(t, err)
	assert.True(t, created)
	assert.Equal(t, jobs.Run{Dealer: d.ID, Kind: jobs.Lifecycle, Day: dealercrm.NewDate(2026, 3, 11), Status: jobs.Pending, Manual: true, Counts: jobs.Counts{}}, r,
		"the zero day is the dealer's today in Shanghai")
	again, created, err := s.Trigger(ctx, d.ID, jobs.Lifecycle, r.Day)
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, r, again)
	var n int
	require.NoError(t, pgtest.DB(t).QueryRowContext(ctx, `SELECT count(*) FROM "`+store.Schema()+`".river_job WHERE kind = ?`, riverjobs.KindDay).Scan(&n))
	assert.Equal(t, 1, n, "one River job for the two Triggers")

	require.NoError(t, s.Start(ctx))
	waitDone(t, store, 1)
	require.NoError(t, s.Stop(ctx))
	_, _, err = s.Trigger(ctx, d.ID, jobs.Lifecycle, dealercrm.Date{})
	assert.ErrorIs(t, err, dealercrm.ErrUnavailable, "a stopped scheduler")
	assert.Equal(t, map[string]int{"lifecycle/trigger-1/2026-03-11": 1}, rec.calls)
}

// TestNewRefusesPgdriver: River's pool on bun's pgdriver fails the probe
// with an error that names the bug; bad options are invalid.
func TestNewRefusesPgdriver(t *testing.T) {
	store, db := setup(t)
	_, err := riverjobs.New(store, pgtest.DB(t).DB, nil)
	assert.ErrorIs(t, err, dealercrm.ErrUnavailable)
	assert.EqualError(t, err, "riverjobs: the database/sql driver mis-parses SQL comments (uptrace/bun#1349); open River's pool with github.com/jackc/pgx/v5/stdlib")

	var ve *crm.ValidationError
	_, err = riverjobs.New(store, db, nil, riverjobs.WithJobTimeout(2*time.Hour))
	assert.True(t, errors.As(err, &ve), "a job timeout beyond the run lease is invalid: %v", err)
	_, err = riverjobs.New(store, db, []jobs.Job{{Kind: "nightly", Run: newRecorder().job(jobs.Lifecycle).Run}})
	assert.True(t, errors.As(err, &ve), "an unknown kind is invalid: %v", err)
}
