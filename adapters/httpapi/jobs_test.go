package httpapi_test

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/jobs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var _ httpapi.JobRunner = (*jobs.Scheduler)(nil)

// jobCalls records the (kind, dealer, day) each job was called with.
type jobCalls struct {
	mu    sync.Mutex
	calls []string
}

func (c *jobCalls) job(kind jobs.Kind) jobs.Job {
	return jobs.Job{Kind: kind, Run: func(_ context.Context, dealer crm.DealerID, day dealercrm.Date) (jobs.Counts, error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.calls = append(c.calls, string(kind)+" "+string(dealer)+" "+day.String())
		return jobs.Counts{"calls": int64(len(c.calls))}, nil
	}}
}

func (c *jobCalls) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.calls...)
}

// TestJobRunsOverHTTP asks for runs by hand and lists them through the
// real handler, with the in-process scheduler and a clock at 2026-03-10
// 10:00 in Shanghai (both dealers' zone): a first POST is 202 with the
// new pending run of today, a repeat 200 with the same run and no second
// call of the job; a day after today, an unknown or unscheduled kind are
// 422 naming the field; the list filters by kind, day range and status,
// pages, and shows a key its own dealer's runs only.
func TestJobRunsOverHTTP(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)
	store := memory.New()
	calls := &jobCalls{}
	sched, err := jobs.NewScheduler([]jobs.Job{calls.job(jobs.Lifecycle), calls.job(jobs.PointsExpiry)}, store.Dealers(), memory.NewRunStore(),
		jobs.WithClock(func() time.Time { return now }))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, sched.Stop(ctx)) })
	e := newEnvOn(t, store, httpapi.WithJobs(sched))

	list := func(key, query string) []obj {
		t.Helper()
		w := e.do(http.MethodGet, "/v1/job-runs"+query, key, nil)
		require.Equal(t, http.StatusOK, w.Code, "GET %s: %s", query, w.Body)
		items, _ := decode(t, w)["items"].([]any)
		out := make([]obj, len(items))
		for i, it := range items {
			out[i] = it.(obj)
		}
		return out
	}
	keys := func(runs []obj) []string {
		var out []string
		for _, r := range runs {
			out = append(out, r["day"].(string)+"/"+r["kind"].(string)+"/"+r["status"].(string))
		}
		return out
	}
	waitDone := func(key string, n int) {
		t.Helper()
		require.Eventually(t, func() bool {
			done := list(key, "?status=done")
			return len(done) == n
		}, 5*time.Second, 5*time.Millisecond, "%d runs done", n)
	}

	// A first POST: 202 with the new, pending, manual run of today.
	w := e.do(http.MethodPost, "/v1/job-runs", keyA, map[string]any{"kind": "lifecycle"})
	require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
	run := decode(t, w)
	assert.Equal(t, obj{"dealer_id": string(dealerA), "kind": "lifecycle", "day": "2026-03-10", "status": "pending",
		"attempt": float64(0), "counts": obj{}, "manual": true}, run, "the day defaults to the dealer's today")
	waitDone(keyA, 1)
	assert.Equal(t, []string{"lifecycle SH01 2026-03-10"}, calls.list(), "the job ran once, as of today")

	// The repeat: 200 with the run as it is now, and no second call.
	w = e.do(http.MethodPost, "/v1/job-runs", keyA, map[string]any{"kind": "lifecycle", "day": "2026-03-10"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	run = decode(t, w)
	assert.Equal(t, "done", run["status"])
	assert.Equal(t, float64(1), run["attempt"])
	assert.Equal(t, obj{"calls": float64(1)}, run["counts"])
	assert.Equal(t, []string{"lifecycle SH01 2026-03-10"}, calls.list(), "a repeat runs nothing")

	// Bad input names the field; nothing is recorded.
	for _, c := range []struct {
		body  any
		field string
		rule  string
	}{
		{obj{"kind": "lifecycle", "day": "2026-03-11"}, "day", crm.RuleFuture},
		{obj{"kind": "nightly"}, "kind", crm.RuleEnum},
		{obj{}, "kind", crm.RuleRequired},
		{obj{"kind": "grading"}, "kind", crm.RuleEnum}, // a kind without a job here
	} {
		p := requireProblem(t, e.do(http.MethodPost, "/v1/job-runs", keyA, c.body), http.StatusUnprocessableEntity, "invalid")
		assert.Equal(t, map[string]string{c.field: c.rule}, problemFields(p), "%v", c.body)
	}
	p := requireProblem(t, e.do(http.MethodPost, "/v1/job-runs", keyA, `{"kind": "lifecycle", "day": "10/03/2026"}`), http.StatusBadRequest, "malformed_request")
	assert.Contains(t, problemFields(p), "day", "a malformed day is named")

	// A past day: 202, run as of that day.
	w = e.do(http.MethodPost, "/v1/job-runs", keyA, map[string]any{"kind": "points_expiry", "day": "2026-03-08"})
	require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
	waitDone(keyA, 2)
	assert.Equal(t, []string{"lifecycle SH01 2026-03-10", "points_expiry SH01 2026-03-08"}, calls.list())

	// The list, newest day first, and its filters.
	assert.Equal(t, []string{"2026-03-10/lifecycle/done", "2026-03-08/points_expiry/done"}, keys(list(keyA, "")))
	assert.Equal(t, []string{"2026-03-08/points_expiry/done"}, keys(list(keyA, "?kind=points_expiry")))
	assert.Equal(t, []string{"2026-03-10/lifecycle/done"}, keys(list(keyA, "?from=2026-03-09")))
	assert.Equal(t, []string{"2026-03-08/points_expiry/done"}, keys(list(keyA, "?to=2026-03-09")))
	assert.Empty(t, list(keyA, "?status=failed"))
	w = e.do(http.MethodGet, "/v1/job-runs?limit=1", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code)
	first := decode(t, w)
	assert.Len(t, first["items"], 1)
	require.NotEmpty(t, first["next"], "a first page of one of two runs has a next cursor")
	second := decode(t, e.do(http.MethodGet, "/v1/job-runs?limit=1&after="+url.QueryEscape(first["next"].(string)), keyA, nil))
	assert.Equal(t, "points_expiry", second["items"].([]any)[0].(obj)["kind"], "the second page has the older run")
	assert.Nil(t, second["next"], "and is the last")
	for q, field := range map[string]string{"?from=2026-03-10&to=2026-03-09": "to", "?kind=nightly": "kind", "?status=lost": "status", "?from=yesterday": "from"} {
		p := requireProblem(t, e.do(http.MethodGet, "/v1/job-runs"+q, keyA, nil), http.StatusUnprocessableEntity, "invalid")
		assert.Contains(t, problemFields(p), field, "GET %s names %s", q, field)
	}

	// The key's dealer only: B sees none of A's runs, and B's POST of
	// the same kind and day is B's own new run.
	assert.Empty(t, list(keyB, ""), "B's key lists no run of A's")
	w = e.do(http.MethodPost, "/v1/job-runs", keyB, map[string]any{"kind": "lifecycle", "day": "2026-03-10"})
	require.Equal(t, http.StatusAccepted, w.Code, "A's run of that day is not B's: %s", w.Body)
	assert.Equal(t, string(dealerB), decode(t, w)["dealer_id"])
	waitDone(keyB, 1)
	assert.Len(t, list(keyA, ""), 2, "A's runs are unchanged")
	requireProblem(t, e.do(http.MethodGet, "/v1/job-runs", "", nil), http.StatusUnauthorized, "unauthenticated")
}
