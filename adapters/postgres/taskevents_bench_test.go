package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/lifecycle/lifecycletest"
	"github.com/uptrace/bun"
)

// BenchmarkApplyTaskEvents isolates what the task events add to a daily
// run's write: one TaskStore.Apply creating 7,000 tasks (a dealer's first
// run of BenchmarkLifecycleGroupRun100k) into an empty table, through a
// Store that writes their task.created events and one WithoutEvents, on
// the same schema, alternating. It reports the median milliseconds of
// each over DEALERCRM_BENCH_ROUNDS rounds (default 5).
//
//	DEALERCRM_REQUIRE_POSTGRES=1 go test ./adapters/postgres -run '^$' -bench ApplyTaskEvents -benchtime 1x
func BenchmarkApplyTaskEvents(b *testing.B) {
	const n = 7000
	rounds := envInt(b, "DEALERCRM_BENCH_ROUNDS", 5)
	ctx := context.Background()
	on := pgtest.NewStore(b)
	off, err := postgres.New(pgtest.DB(b), postgres.WithSchema(on.Schema()), postgres.WithoutEvents())
	if err != nil {
		b.Fatal(err)
	}
	tasks := make([]lifecycle.Task, n)
	for i := range tasks {
		tasks[i] = lifecycletest.NewTask("d1", fmt.Sprintf("t%06d", i), fmt.Sprintf("k%06d", i))
	}
	res := map[bool][]float64{}
	for b.Loop() {
		for round := range rounds {
			for _, withEvents := range []bool{round%2 == 0, round%2 != 0} {
				store := off
				if withEvents {
					store = on
				}
				b.StopTimer()
				for _, tb := range []postgres.Table{postgres.TableLifecycleTasks, postgres.TableEvents, postgres.TableEventSeqs} {
					if _, err := pgtest.DB(b).ExecContext(ctx, "TRUNCATE ?", bun.Safe(store.TableName(tb))); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				start := time.Now()
				lost, err := store.LifecycleTasks().Apply(ctx, "d1", tasks, nil)
				if err != nil || len(lost) > 0 {
					b.Fatalf("apply: %d lost, %v", len(lost), err)
				}
				res[withEvents] = append(res[withEvents], float64(time.Since(start).Milliseconds()))
			}
		}
	}
	b.Logf("events: %v ms; without: %v ms", res[true], res[false])
	b.ReportMetric(median(res[true]), "ms-events")
	b.ReportMetric(median(res[false]), "ms-noevents")
}
