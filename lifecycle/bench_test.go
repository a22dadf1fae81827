package lifecycle_test

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
)

// benchToday is the day of the benchmark's daily run.
var benchToday = date("2026-06-30")

// benchVehicles is the fleet size: DEALERCRM_BENCH_VEHICLES or 1,000,000.
func benchVehicles(tb testing.TB) int {
	if s := os.Getenv("DEALERCRM_BENCH_VEHICLES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			tb.Fatalf("DEALERCRM_BENCH_VEHICLES=%q: want a positive number", s)
		}
		return n
	}
	return 1_000_000
}

var (
	benchOnce sync.Once
	benchSubs []lifecycle.Subject
)

// benchFleet returns n vehicles with five service orders each (5n orders),
// deliveries spread over eight years before benchToday, odometer readings
// on every order, a policy per vehicle and owners drawn from a pool of
// 10,000 consenting customers (shared, read-only pointers: the planner
// reads owners, and a million customer records would measure the fixture,
// not the planner). It is built once per process, outside the timings.
func benchFleet(n int) []lifecycle.Subject {
	benchOnce.Do(func() {
		owners := make([]*crm.Customer, 10_000)
		for i := range owners {
			c := consenting(crm.CustomerID(fmt.Sprintf("c%05d", i)))
			c.Birthday = dealercrm.NewDate(1970+i%40, time.Month(1+i%12), 1+i%28)
			owners[i] = c
		}
		kinds := []crm.ServiceKind{crm.ServiceFirstMaintenance, crm.ServiceMaintenance, crm.ServiceRepair, crm.ServiceMaintenance, crm.ServiceAccident}
		benchSubs = make([]lifecycle.Subject, n)
		visits := make([]lifecycle.Visit, 5*n)
		for i := range benchSubs {
			id := fmt.Sprintf("v%07d", i)
			delivery := benchToday.AddDays(-(i*7)%2920 - 10)
			vs := visits[5*i : 5*i+5 : 5*i+5]
			age := benchToday.DaysSince(delivery)
			for j := range vs {
				d := delivery.AddDays(age * (j + 1) / 6)
				vs[j] = lifecycle.Visit{OrderID: crm.ServiceOrderID(fmt.Sprintf("%s-%d", id, j)), DealerID: "bench", Date: d, Closed: d,
					KM: int64(age*(j+1)/6) * 40, Kind: kinds[j], Payer: crm.PayerCustomer, AdvisorID: "A01"}
			}
			end := delivery.AddYears(benchToday.Year - delivery.Year)
			if end.Before(benchToday) {
				end = end.AddYears(1)
			}
			benchSubs[i] = lifecycle.Subject{DealerID: "bench", VehicleID: crm.VehicleID(id), VIN: id, Model: "Lavida", Delivery: delivery,
				Visits: vs, Owner: owners[i%len(owners)],
				Policies: []lifecycle.PolicyTerm{{ID: crm.PolicyID("p" + id), Kind: crm.Commercial, Start: end.AddYears(-1), End: end.AddDays(-1)}}}
		}
	})
	return benchSubs[:n]
}

func heapInuse() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// BenchmarkDailyRun is the daily run over the in-memory fleet (default
// 1,000,000 vehicles, 5,000,000 service orders): Planner.Reconcile of
// every vehicle's plan against the stored tasks. "first" starts from no
// tasks; "rerun" is the steady state, reconciling against the tasks of
// the first run (it must create nothing). Fixture generation is outside
// the timing; MiB-heap-inuse is the peak in use (fixture included),
// MiB-fixture the fixture alone.
//
//	go test ./lifecycle -run '^$' -bench DailyRun -benchtime 1x -benchmem
func BenchmarkDailyRun(b *testing.B) {
	n := benchVehicles(b)
	runtime.GC()
	base := heapInuse()
	subs := benchFleet(n)
	runtime.GC()
	fixture := heapInuse() - base
	pl := planner(b)
	var stored []lifecycle.Task
	for _, c := range []struct {
		name  string
		rerun bool
	}{{"first", false}, {"rerun", true}} {
		b.Run(c.name, func(b *testing.B) {
			var prior []lifecycle.Task
			if c.rerun {
				prior = stored
			}
			runtime.GC()
			b.ReportAllocs()
			var peak uint64
			var ch lifecycle.Changes
			for b.Loop() {
				ch = pl.Reconcile(subs, prior, benchToday)
				peak = max(peak, heapInuse())
			}
			if !c.rerun {
				stored = ch.Create
			} else if ch.Result.Created != 0 {
				b.Fatalf("a re-run created %d tasks", ch.Result.Created)
			}
			b.ReportMetric(float64(peak)/(1<<20), "MiB-heap-inuse")
			b.ReportMetric(float64(fixture)/(1<<20), "MiB-fixture")
			b.ReportMetric(float64(ch.Result.Created+len(prior)), "tasks")
		})
	}
}
