package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/stretchr/testify/assert"
)

// Issue 12, defect 11: the example server bounds its Postgres pool, sets a
// statement timeout, a request deadline and a cap on heavy requests.

// dropSchemaAtEnd drops schema when t ends.
func dropSchemaAtEnd(t *testing.T, schema string) {
	db := pgtest.DB(t)
	t.Cleanup(func() {
		_, err := db.Exec(`DROP SCHEMA IF EXISTS "` + schema + `" CASCADE`)
		assert.NoError(t, err)
	})
}

func TestServerBoundsItsPool(t *testing.T) {
	p := pgtest.NewProxy(t)
	schema := fmt.Sprintf("demo_pool_test_%d", time.Now().UnixNano())
	dropSchemaAtEnd(t, schema)
	b, cancel, done, logs := start(t, "-addr", "127.0.0.1:0", "-customers", "20", "-postgres", p.DSN(), "-schema", schema,
		"-pool", "3", "-heavy", "2", "-heavy-wait", "100ms", "-job-pool", "2")

	// 60 concurrent requests from one key, half of them reports: the pool
	// never holds more than 3 connections (plus River's own pool of 2, which
	// runs the daily jobs), and a report that finds no turn is a 503 (the
	// server's turns) or a 429 (the dealer's) with Retry-After.
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[string]int{}
	for i := range 60 {
		wg.Go(func() {
			path := "/v1/customers?limit=3"
			if i%2 == 0 {
				path = "/v1/reports/kpis?from=2024-01-01&to=2024-12-31"
			}
			resp, body := request(t, http.MethodGet, b.base+path, b.keys[0], "")
			key := fmt.Sprint(resp.StatusCode)
			if resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusTooManyRequests {
				assert.NotEmpty(t, resp.Header.Get("Retry-After"), "a 503 or 429 says when to retry")
				assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
			} else {
				assert.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", path, body)
			}
			mu.Lock()
			statuses[key]++
			mu.Unlock()
		})
	}
	wg.Wait()
	t.Logf("answers: %v; most connections at once: %d", statuses, p.Peak())
	assert.LessOrEqual(t, p.Peak(), 3+2, "the pools are bounded by -pool and -job-pool")
	assert.Positive(t, statuses["200"])
	stop(t, cancel, done, logs)
}

func TestServerLimitFlags(t *testing.T) {
	ctx := context.Background()
	for _, args := range [][]string{
		{"-pool", "0"},
		{"-heavy", "0"},
		{"-request-timeout", "0s"},
		{"-statement-timeout", "-1s"},
		{"-import-records", "0"},
		{"-postgres", "postgres://x@127.0.0.1:1/x", "-pool", "4", "-heavy", "4"},
	} {
		assert.Error(t, run(ctx, args, io.Discard, io.Discard), "%v", args)
	}
}
