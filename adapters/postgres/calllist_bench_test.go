package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/demo"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/internal/app"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/loyalty"
)

// BenchmarkCallList measures GET /v1/tasks (the enriched call list, 50
// rows a page) on Postgres as `dealercrm serve` opens and wires it (grades
// and club memberships included; -max-in-flight set to the cores; the
// garbage collector's target app.SetGC sets, GOGC=100 in the environment
// measuring Go's default), on tables with statistics, over
// HTTP on the loopback from 16 concurrent
// clients, each paging through the call list of the next 30 days (so
// that every page but the last is full). It reports requests/s and the
// p50 and p99 latencies (issue 14 target: p99 ≤ 30 ms, ≥ 500 req/s).
//
//	DEALERCRM_REQUIRE_POSTGRES=1 go test -run '^$' -bench BenchmarkCallList -benchtime 3000x ./adapters/postgres/
func BenchmarkCallList(b *testing.B) {
	ctx := context.Background()
	// Requests run at most as many at once as there are cores, the rest
	// waiting in line: `dealercrm serve -max-in-flight N`, what
	// docs/operations.md recommends with Postgres on the same cores.
	// DEALERCRM_BENCH_MAX_IN_FLIGHT sets another cap; 1000 is none.
	inFlight := envInt(b, "DEALERCRM_BENCH_MAX_IN_FLIGHT", runtime.GOMAXPROCS(0))
	store := pgtest.NewStore(b)
	data := demo.Generate(demo.Options{Seed: 1})
	svc := crm.NewService(store, crm.WithMaxImportRecords(math.MaxInt))
	if err := demo.Seed(ctx, svc, data); err != nil {
		b.Fatal(err)
	}
	grades, err := grading.NewService(store, store.Grading())
	if err != nil {
		b.Fatal(err)
	}
	club, err := loyalty.NewService(store, store.Loyalty())
	if err != nil {
		b.Fatal(err)
	}
	lc, err := lifecycle.NewService(svc, store.LifecycleTasks(), lifecycle.WithGrades(grades), lifecycle.WithCadences(grades),
		lifecycle.WithMemberships(club))
	if err != nil {
		b.Fatal(err)
	}
	today := data.Options.Today
	if _, err := grades.Run(ctx, grading.RunRequest{DealerID: data.Dealers[0].Dealer.ID, AsOf: today, Group: true, WriteGroup: true}); err != nil {
		b.Fatal(err)
	}
	if err := demo.SeedLoyalty(ctx, svc, club, data); err != nil {
		b.Fatal(err)
	}
	// The daily runs of the next 30 days fill the list.
	for _, d := range data.Dealers {
		for day := range 31 {
			if _, err := lc.Run(ctx, d.Dealer.ID, today.AddDays(day)); err != nil {
				b.Fatal(err)
			}
		}
	}
	// The tables the page reads, vacuumed and analyzed as autovacuum
	// keeps them in production (it is off on the test host): the list is
	// measured in its steady state, planned on statistics, not with the
	// daily runs' dead rows and no statistics at all.
	for _, t := range []postgres.Table{postgres.TableLifecycleTasks, postgres.TableCustomers, postgres.TableVehicles, postgres.TableGradingStates,
		postgres.TableLoyaltyMemberships} {
		if _, err := pgtest.DB(b).ExecContext(ctx, "VACUUM ANALYZE "+store.TableName(t)); err != nil {
			b.Fatal(err)
		}
	}
	// Served as `dealercrm serve` opens Postgres and wires the services
	// (app.OpenPostgres: a pool of app.DefaultPool connections checked
	// before use, a statement timeout; app.New), not through the test
	// store with its statement guard and its pool of 8. One key sends
	// every request: its rate limit is off, the benchmark measures the
	// server (WithRateLimit).
	serving, closeDB, err := app.OpenPostgres(ctx, pgtest.DSN(), app.DB{StatementTimeout: app.DefaultStatementTimeout}, postgres.WithSchema(store.Schema()))
	if err != nil {
		b.Fatal(err)
	}
	defer closeDB()
	a, err := app.New(serving.Stores(), app.Options{})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.NewHandler(a.CRM, httpapi.WithAPIKeys(demo.APIKeys(data)), httpapi.WithLifecycle(a.Lifecycle),
		httpapi.WithRateLimit(0, 0), httpapi.WithMaxInFlight(inFlight)))
	defer srv.Close()
	key := data.Dealers[0].APIKey
	until := today.AddDays(30)
	// The pages' cursors, read once, so that each request is one page.
	var cursors []string
	after := ""
	for {
		var p crm.Page[lifecycle.CallItem]
		if _, err := getJSON(srv.URL+fmt.Sprintf("/v1/tasks?limit=50&date=%s&after=%s", until, after), key, &p); err != nil {
			b.Fatal(err)
		}
		cursors = append(cursors, after)
		if p.Next == "" {
			break
		}
		if len(p.Items) != 50 {
			b.Fatalf("a page before the last has %d rows", len(p.Items))
		}
		after = p.Next
	}
	b.Logf("%d pages of the call list until %s", len(cursors), until)
	// The garbage collector's target as `dealercrm serve` sets it
	// (app.SetGC: 400, unless GOGC is set; GOGC=100 measures Go's default).
	if app.SetGC(os.Getenv) {
		defer debug.SetGCPercent(100) // what the test binary ran with
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	const clients = 16
	lat := make([]time.Duration, b.N)
	var next, errs sync.Mutex
	i := 0
	var firstErr error
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for {
				next.Lock()
				n := i
				i++
				next.Unlock()
				if n >= b.N {
					return
				}
				req, _ := http.NewRequest(http.MethodGet, srv.URL+fmt.Sprintf("/v1/tasks?limit=50&date=%s&after=%s", until, cursors[n%len(cursors)]), nil)
				req.Header.Set("Authorization", "Bearer "+key)
				t0 := time.Now()
				res, err := client.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if err == nil && res.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %d", res.StatusCode)
					}
				}
				lat[n] = time.Since(t0)
				if err != nil {
					errs.Lock()
					firstErr = err
					errs.Unlock()
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// getJSON GETs url with an API key and decodes the JSON reply into v.
func getJSON(url, key string, v any) (int, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, fmt.Errorf("GET %s: %d %s", url, res.StatusCode, body)
	}
	return res.StatusCode, jsonDecode(res.Body, v)
}

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }
