package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServerSurvivesDatabaseOutage is the fault test of issue 12: under a
// bounded write load the database becomes unreachable for 3 seconds (a
// proxy between the server's pool and Postgres closes every connection
// and refuses new ones), then comes back. Every acknowledged write is
// present exactly once; every failure is a 503 problem with Retry-After;
// the server recovers by itself.
func TestServerSurvivesDatabaseOutage(t *testing.T) {
	p := pgtest.NewProxy(t)
	schema := fmt.Sprintf("demo_fault_test_%d", time.Now().UnixNano())
	dropSchemaAtEnd(t, schema)
	// Four writers send up to 400 requests a second with one key: its
	// rate limit (429) is off, so that only the outage can fail a write.
	b, cancel, done, logs := start(t, "-addr", "127.0.0.1:0", "-customers", "20", "-postgres", p.DSN(), "-schema", schema, "-pool", "4", "-heavy", "2",
		"-key-rate", "0")
	key := b.keys[0]
	resp, body := request(t, http.MethodGet, b.base+"/v1/dealer", key, "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	var dealer struct{ ID string }
	require.NoError(t, json.Unmarshal(body, &dealer))

	// The outcome of each write.
	type write struct {
		ext, id     string
		status      int
		contentType string
		retryAfter  string
		code        string
		// start and at are when the request was sent and answered.
		start, at time.Time
	}
	var (
		mu      sync.Mutex
		writes  []write
		stopped atomic.Bool
		wg      sync.WaitGroup
		client  = &http.Client{Timeout: 10 * time.Second}
	)
	const writers = 4
	for g := range writers {
		wg.Go(func() {
			for i := 0; !stopped.Load(); i++ {
				ext := fmt.Sprintf("fault-%d-%04d", g, i)
				req, err := http.NewRequest(http.MethodPost, b.base+"/v1/customers",
					strings.NewReader(`{"external_id": "`+ext+`", "name": "故障测试"}`))
				require.NoError(t, err)
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Content-Type", "application/json")
				sent := time.Now()
				resp, err := client.Do(req)
				if !assert.NoError(t, err, "the server itself stays up") {
					return
				}
				body, _ := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				w := write{ext: ext, status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"),
					retryAfter: resp.Header.Get("Retry-After"), start: sent, at: time.Now()}
				var v struct{ ID, Code string }
				_ = json.Unmarshal(body, &v)
				w.id, w.code = v.ID, v.Code
				mu.Lock()
				writes = append(writes, w)
				mu.Unlock()
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	time.Sleep(time.Second)
	p.Cut()
	cut := time.Now()
	time.Sleep(3 * time.Second)
	require.NoError(t, p.Restore())
	restored := time.Now()
	time.Sleep(2 * time.Second)
	stopped.Store(true)
	wg.Wait()

	// Every failure is a 503 problem with Retry-After, during the outage
	// or just after it.
	acked := map[string]string{}
	var during, after, lateStart int
	var recovered time.Time
	for _, w := range writes {
		if w.status == http.StatusCreated {
			acked[w.ext] = w.id
			if w.at.After(restored) && recovered.IsZero() {
				recovered = w.at
			}
			continue
		}
		assert.Equal(t, http.StatusServiceUnavailable, w.status, "write %s: only 503 may fail it (code %s)", w.ext, w.code)
		assert.Equal(t, "application/problem+json", w.contentType, "write %s", w.ext)
		assert.Equal(t, "unavailable", w.code, "write %s", w.ext)
		assert.NotEmpty(t, w.retryAfter, "write %s: a 503 says when to retry", w.ext)
		if w.at.After(cut) && w.at.Before(restored) {
			during++
		}
		if w.at.After(restored) {
			after++
		}
		if w.start.After(restored.Add(200 * time.Millisecond)) {
			lateStart++
		}
	}
	t.Logf("%d writes: %d acknowledged, %d failed during the outage, %d answered after it; first success %s after the restore",
		len(writes), len(acked), during, after, recovered.Sub(restored).Round(time.Millisecond))
	assert.Positive(t, during, "the outage was seen")
	assert.Zero(t, lateStart, "no write sent after the database is back fails: dead pooled connections are not used")
	require.False(t, recovered.IsZero(), "writes succeed again after the outage")
	assert.Less(t, recovered.Sub(restored), time.Second, "the server recovers by itself, at once")

	// Every acknowledged write is there exactly once, with the ID it was
	// acknowledged with.
	rows, err := pgtest.DB(t).Query(`SELECT external_id, id, count(*) OVER (PARTITION BY external_id) FROM "`+schema+
		`".customers WHERE dealer_id = ? AND external_id LIKE 'fault-%'`, dealer.ID)
	require.NoError(t, err)
	defer rows.Close()
	stored := map[string]string{}
	for rows.Next() {
		var ext, id string
		var n int
		require.NoError(t, rows.Scan(&ext, &id, &n))
		assert.Equal(t, 1, n, "%s is stored once", ext)
		stored[ext] = id
	}
	require.NoError(t, rows.Err())
	for ext, id := range acked {
		assert.Equal(t, id, stored[ext], "acknowledged write %s is stored with its ID", ext)
	}
	assert.LessOrEqual(t, len(stored)-len(acked), writers, "at most one unacknowledged write per writer may have landed (its commit outran the cut)")
	stop(t, cancel, done, logs)
}
