package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/uptrace/bun"
)

// seedLifecycleBench writes a dealer group "g1" of dealers bench1,
// bench2… with n/dealers vehicles each straight into the tables with
// generate_series: per vehicle an owner who consented to every purpose and
// channel, a sale, five service orders (first maintenance, maintenance,
// repair, maintenance, accident) spread from delivery to 2026-06-30, and a
// commercial policy. Deliveries are spread over eight years.
func seedLifecycleBench(tb testing.TB, db bun.IDB, s *postgres.Store, n, dealers int) {
	ctx := context.Background()
	var consents []crm.Consent
	for _, p := range crm.Purposes() {
		for _, ch := range crm.Channels() {
			consents = append(consents, crm.Consent{Purpose: p, Channel: ch, Granted: true, At: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Source: "contract"})
		}
	}
	cj, err := json.Marshal(consents)
	if err != nil {
		tb.Fatal(err)
	}
	t := s.TableName
	// g runs over the whole group; dealer bench1 + g % dealers gets g.
	dealer := `'bench' || (1 + g % ?2)`
	delivery := `(DATE '2026-06-20' - (g * 7) % 2920)`
	stmts := []string{
		`INSERT INTO ` + t(postgres.TableDealers) + ` (dealer_id, name, group_id, created_at, updated_at)
		 SELECT 'bench' || d, 'b' || d, 'g1', now(), now() FROM generate_series(1, ?2) d`,
		`INSERT INTO ` + t(postgres.TableCustomers) + ` (dealer_id, id, kind, name, birthday, consents, consultant_id, advisor_id, created_at, updated_at)
		 SELECT ` + dealer + `, 'c' || lpad(g::text, 7, '0'), 'individual', 'c', DATE '1970-01-01' + (g * 13) % 14000, ?1::jsonb, 'S01', 'A01', now(), now()
		 FROM generate_series(1, ?0) g`,
		`INSERT INTO ` + t(postgres.TableVehicles) + ` (dealer_id, id, vin, model, owner_id, delivery_date, created_at, updated_at)
		 SELECT ` + dealer + `, 'v' || lpad(g::text, 7, '0'), 'LBENCH' || lpad(g::text, 11, '0'), 'Lavida', 'c' || lpad(g::text, 7, '0'), ` + delivery + `, now(), now()
		 FROM generate_series(1, ?0) g`,
		`INSERT INTO ` + t(postgres.TableSales) + ` (dealer_id, id, vehicle_id, customer_id, "date", price, created_at, updated_at)
		 SELECT ` + dealer + `, 's' || lpad(g::text, 7, '0'), 'v' || lpad(g::text, 7, '0'), 'c' || lpad(g::text, 7, '0'), ` + delivery + `, 150000, now(), now()
		 FROM generate_series(1, ?0) g`,
		`INSERT INTO ` + t(postgres.TableServiceOrders) + ` (dealer_id, id, vehicle_id, customer_id, "date", closed_date, odometer_km, kind, labour, payer, advisor_id, created_at, updated_at)
		 SELECT ` + dealer + `, 'o' || lpad(g::text, 7, '0') || '-' || k, 'v' || lpad(g::text, 7, '0'), 'c' || lpad(g::text, 7, '0'),
		 ` + delivery + ` + (10 + (g * 7) % 2920) * k / 6, ` + delivery + ` + (10 + (g * 7) % 2920) * k / 6, 40 * (10 + (g * 7) % 2920) * k / 6,
		 (ARRAY['first_maintenance', 'maintenance', 'repair', 'maintenance', 'accident'])[k], 300, 'customer', 'A01', now(), now()
		 FROM generate_series(?3, ?4) g, generate_series(1, 5) k`,
		`INSERT INTO ` + t(postgres.TablePolicies) + ` (dealer_id, id, vehicle_id, customer_id, kind, insurer, start_date, end_date, premium, created_at, updated_at)
		 SELECT ` + dealer + `, 'p' || lpad(g::text, 7, '0'), 'v' || lpad(g::text, 7, '0'), 'c' || lpad(g::text, 7, '0'), 'commercial', 'x',
		 DATE '2025-07-01' + g % 365, DATE '2026-06-30' + g % 365, 5000, now(), now() FROM generate_series(1, ?0) g`,
	}
	for _, q := range stmts {
		// The service orders (?3 … ?4) go 200,000 vehicles a statement: all
		// 5,000,000 of 50 dealers in one outlast pgtest's read timeout.
		for lo := 1; lo <= n; lo += 200_000 {
			if _, err := db.ExecContext(ctx, q, n, string(cj), dealers, lo, min(lo+200_000-1, n)); err != nil {
				tb.Fatalf("seed: %v\n%s", err, q)
			}
			if !strings.Contains(q, "?3") {
				break
			}
		}
	}
	// Vacuumed, as a daily run finds its tables: the first scan of freshly
	// inserted rows also writes every page (hint bits), which no daily run
	// but the first after a bulk import pays.
	if _, err := db.ExecContext(ctx, "VACUUM ANALYZE "+t(postgres.TableDealers)+", "+t(postgres.TableCustomers)+", "+t(postgres.TableVehicles)+", "+
		t(postgres.TableSales)+", "+t(postgres.TableServiceOrders)+", "+t(postgres.TablePolicies)); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkLifecycleGroupRun100k is the daily lifecycle run of one dealer
// group of 100,000 vehicles (two dealers of 50,000, 500,000 service
// orders) on Postgres: for each dealer, load every subject through the
// crm stores, reconcile the plan with the stored tasks and persist the
// changes in one batch. The first run (no tasks yet, the worst case) and
// a re-run (which must create nothing) are timed; seeding is not. The
// issue's budget: ≤ 20 s.
//
//	DEALERCRM_REQUIRE_POSTGRES=1 go test ./adapters/postgres -run '^$' -bench LifecycleGroupRun100k -benchtime 1x
func BenchmarkLifecycleGroupRun100k(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	store := pgtest.NewStore(b)
	seedLifecycleBench(b, pgtest.DB(b), store, n, 2)
	today := dealercrm.NewDate(2026, 6, 30)
	svc := crm.NewService(store)
	for b.Loop() {
		b.StopTimer()
		if _, err := pgtest.DB(b).ExecContext(ctx, "TRUNCATE ?", bun.Safe(store.TableName(postgres.TableLifecycleTasks))); err != nil {
			b.Fatal(err)
		}
		lc, err := lifecycle.NewService(svc, store.LifecycleTasks())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		run := func() (subjects, created int, load, total time.Duration) {
			start := time.Now()
			for _, d := range []crm.DealerID{"bench1", "bench2"} {
				ls := time.Now()
				subs, err := lc.Load(ctx, d)
				if err != nil {
					b.Fatal(err)
				}
				load += time.Since(ls)
				r, err := lc.RunSubjects(ctx, d, today, subs)
				if err != nil {
					b.Fatal(err)
				}
				subjects += r.Subjects
				created += r.Created
			}
			return subjects, created, load, time.Since(start)
		}
		subs, created, load, took := run()
		if subs != n || created == 0 {
			b.Fatalf("first run: %d subjects, %d tasks", subs, created)
		}
		_, again, load2, took2 := run()
		if again != 0 {
			b.Fatalf("a re-run created %d tasks", again)
		}
		b.ReportMetric(took.Seconds(), "s-first-run")
		b.ReportMetric(load.Seconds(), "s-first-load")
		b.ReportMetric(took2.Seconds(), "s-rerun")
		b.ReportMetric(load2.Seconds(), "s-rerun-load")
		b.ReportMetric(float64(created), "tasks")
	}
}

// BenchmarkLifecycleAllDealers is issue 14's all-dealers daily job on
// Postgres: DEALERCRM_BENCH_DEALERS dealers (default 5; the issue's
// target is 50) of 20,000 vehicles each (100,000 service orders per
// dealer), seeded as seedLifecycleBench seeds, each run by
// lifecycle.Service.Run for today (load, plan, persist the tasks, compute
// and store the report snapshot) on DEALERCRM_BENCH_WORKERS goroutines
// (default 2, the machine's cores). It times the first run of every
// dealer (no tasks yet) and a re-run that changes nothing, and reports
// both scaled to 50 dealers (×50/dealers): the budgets are ≤ 60 s
// and ≤ 30 s.
//
//	DEALERCRM_REQUIRE_POSTGRES=1 DEALERCRM_BENCH_DEALERS=5 go test ./adapters/postgres -run '^$' -bench LifecycleAllDealers -benchtime 1x -timeout 60m
func BenchmarkLifecycleAllDealers(b *testing.B) {
	const perDealer = 20_000
	dealers := envInt(b, "DEALERCRM_BENCH_DEALERS", 5)
	workers := envInt(b, "DEALERCRM_BENCH_WORKERS", 2)
	ctx := context.Background()
	store := pgtest.NewStore(b)
	seeded := time.Now()
	seedLifecycleBench(b, pgtest.DB(b), store, dealers*perDealer, dealers)
	b.Logf("seeded %d dealers × %d vehicles in %s", dealers, perDealer, time.Since(seeded).Round(time.Second))
	today := dealercrm.NewDate(2026, 6, 30)
	svc := crm.NewService(store)
	ids := make([]crm.DealerID, dealers)
	for i := range ids {
		ids[i] = crm.DealerID(fmt.Sprintf("bench%d", i+1))
	}
	for b.Loop() {
		b.StopTimer()
		for _, tb := range []postgres.Table{postgres.TableLifecycleTasks, postgres.TableLifecycleReports} {
			if _, err := pgtest.DB(b).ExecContext(ctx, "TRUNCATE ?", bun.Safe(store.TableName(tb))); err != nil {
				b.Fatal(err)
			}
		}
		lc, err := lifecycle.NewService(svc, store.LifecycleTasks())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		run := func() (subjects, created int, took time.Duration) {
			start := time.Now()
			var mu sync.Mutex
			next := make(chan crm.DealerID)
			var wg sync.WaitGroup
			for range workers {
				wg.Go(func() {
					for d := range next {
						r, err := lc.Run(ctx, d, today)
						if err != nil {
							b.Error(err)
							continue
						}
						mu.Lock()
						subjects += r.Subjects
						created += r.Created
						mu.Unlock()
					}
				})
			}
			for _, d := range ids {
				next <- d
			}
			close(next)
			wg.Wait()
			return subjects, created, time.Since(start)
		}
		subs, created, took := run()
		if subs != dealers*perDealer || created == 0 {
			b.Fatalf("first run: %d subjects, %d tasks", subs, created)
		}
		_, again, took2 := run()
		if again != 0 {
			b.Fatalf("a re-run created %d tasks", again)
		}
		scale := 50 / float64(dealers)
		b.ReportMetric(took.Seconds(), "s-first-run")
		b.ReportMetric(took2.Seconds(), "s-rerun")
		b.ReportMetric(took.Seconds()*scale, "s-first-run-at-50")
		b.ReportMetric(took2.Seconds()*scale, "s-rerun-at-50")
		b.ReportMetric(float64(created), "tasks")
	}
}

// envInt reads a positive integer from the environment, def when unset.
func envInt(tb testing.TB, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		tb.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}
