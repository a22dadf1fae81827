package lifecycle_test

import (
	"fmt"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"strings"
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

// benchKinds are the kinds of each vehicle's five service orders.
var benchKinds = [5]crm.ServiceKind{crm.ServiceFirstMaintenance, crm.ServiceMaintenance, crm.ServiceRepair, crm.ServiceMaintenance, crm.ServiceAccident}

// benchOwners returns the pool of 10,000 consenting customers the
// vehicles' owners are drawn from (shared, read-only pointers: the
// planner reads owners, and a million customer records would measure the
// fixture, not the planner).
func benchOwners() []*crm.Customer {
	owners := make([]*crm.Customer, 10_000)
	for i := range owners {
		c := consenting(crm.CustomerID(fmt.Sprintf("c%05d", i)))
		c.Birthday = dealercrm.NewDate(1970+i%40, time.Month(1+i%12), 1+i%28)
		owners[i] = c
	}
	return owners
}

// benchVehicle returns the facts of vehicle i of the fleet: deliveries
// spread over eight years before benchToday, five service orders with
// odometer readings, a policy ending within the next year.
func benchVehicle(i int) (delivery dealercrm.Date, visits [5]dealercrm.Date, km [5]int64, start, end dealercrm.Date) {
	delivery = benchToday.AddDays(-(i*7)%2920 - 10)
	age := benchToday.DaysSince(delivery)
	for j := range visits {
		visits[j] = delivery.AddDays(age * (j + 1) / 6)
		km[j] = int64(age*(j+1)/6) * 40
	}
	end = delivery.AddYears(benchToday.Year - delivery.Year)
	if end.Before(benchToday) {
		end = end.AddYears(1)
	}
	return delivery, visits, km, end.AddYears(-1), end.AddDays(-1)
}

// eagerFleet returns the fleet as n Subjects, each with its own visits,
// policy and ID strings: about 1.2 KiB a vehicle (1.2 GiB for a million).
func eagerFleet(n int, owners []*crm.Customer) []lifecycle.Subject {
	subs := make([]lifecycle.Subject, n)
	visits := make([]lifecycle.Visit, 5*n)
	for i := range subs {
		id := fmt.Sprintf("v%07d", i)
		delivery, ds, km, start, end := benchVehicle(i)
		vs := visits[5*i : 5*i+5 : 5*i+5]
		for j := range vs {
			vs[j] = lifecycle.Visit{OrderID: crm.ServiceOrderID(fmt.Sprintf("%s-%d", id, j)), DealerID: "bench", Date: ds[j], Closed: ds[j],
				KM: km[j], Kind: benchKinds[j], Payer: crm.PayerCustomer, AdvisorID: "A01"}
		}
		subs[i] = lifecycle.Subject{DealerID: "bench", VehicleID: crm.VehicleID(id), VIN: id, Model: "Lavida", Delivery: delivery,
			Visits: vs, Owner: owners[i%len(owners)],
			Policies: []lifecycle.PolicyTerm{{ID: crm.PolicyID("p" + id), Kind: crm.Commercial, Start: start, End: end}}}
	}
	return subs
}

// compactFleet is the same fleet held compactly, as a dealer's loader
// would stream it: dates packed as yyyymmdd, kilometres as int32, and
// every ID a slice of one shared string (no pointer or allocation per
// vehicle or order). Fill builds vehicle i's Subject in the planner's
// buffer, inside the timing: the planner sees exactly the Subjects of
// eagerFleet (TestCompactFleetMatchesEager).
type compactFleet struct {
	n      int
	ids    string  // "v0000000" × n, "v0000000-0" × 5n, "pv0000000" × n
	dates  []int32 // per vehicle: delivery, 5 visits, policy start, policy end
	km     []int32 // per vehicle: 5 readings
	owners []*crm.Customer
}

func pack(d dealercrm.Date) int32 { return int32(d.Year*10000 + int(d.Month)*100 + d.Day) }

func unpack(p int32) dealercrm.Date {
	return dealercrm.Date{Year: int(p / 10000), Month: time.Month(p / 100 % 100), Day: int(p % 100)}
}

func newCompactFleet(n int, owners []*crm.Customer) *compactFleet {
	f := &compactFleet{n: n, dates: make([]int32, 8*n), km: make([]int32, 5*n), owners: owners}
	var b strings.Builder
	b.Grow(8*n + 50*n + 9*n)
	for i := range n {
		fmt.Fprintf(&b, "v%07d", i)
	}
	for i := range n {
		for j := range 5 {
			fmt.Fprintf(&b, "v%07d-%d", i, j)
		}
	}
	for i := range n {
		fmt.Fprintf(&b, "pv%07d", i)
	}
	f.ids = b.String()
	for i := range n {
		delivery, ds, km, start, end := benchVehicle(i)
		d := f.dates[8*i : 8*i+8]
		d[0], d[6], d[7] = pack(delivery), pack(start), pack(end)
		for j := range 5 {
			d[1+j] = pack(ds[j])
			f.km[5*i+j] = int32(km[j])
		}
	}
	return f
}

// Fill sets *s to vehicle i, reusing the capacity of s's slices.
func (f *compactFleet) Fill(i int, s *lifecycle.Subject) {
	id := f.ids[8*i : 8*i+8]
	orders := 8 * f.n
	d := f.dates[8*i : 8*i+8]
	vs := s.Visits[:0]
	for j := range benchKinds {
		day := unpack(d[1+j])
		o := orders + 10*(5*i+j)
		vs = append(vs, lifecycle.Visit{OrderID: crm.ServiceOrderID(f.ids[o : o+10]), DealerID: "bench", Date: day, Closed: day,
			KM: int64(f.km[5*i+j]), Kind: benchKinds[j], Payer: crm.PayerCustomer, AdvisorID: "A01"})
	}
	p := 58*f.n + 9*i
	ps := append(s.Policies[:0], lifecycle.PolicyTerm{ID: crm.PolicyID(f.ids[p : p+9]), Kind: crm.Commercial, Start: unpack(d[6]), End: unpack(d[7])})
	*s = lifecycle.Subject{DealerID: "bench", VehicleID: crm.VehicleID(id), VIN: id, Model: "Lavida", Delivery: unpack(d[0]),
		Visits: vs, Owner: f.owners[i%len(f.owners)], Policies: ps}
}

// TestCompactFleetMatchesEager checks that the compact fixture streams
// exactly the eager fixture's Subjects and plans the same changes.
func TestCompactFleetMatchesEager(t *testing.T) {
	const n = 3000
	owners := benchOwners()
	eager := eagerFleet(n, owners)
	compact := newCompactFleet(n, owners)
	for i := range eager {
		var got lifecycle.Subject
		compact.Fill(i, &got)
		if !reflect.DeepEqual(got, eager[i]) {
			t.Fatalf("vehicle %d:\n got %+v\nwant %+v", i, got, eager[i])
		}
	}
	pl := planner(t)
	var stored []lifecycle.Task
	for range 2 {
		want := pl.Reconcile(eager, stored, benchToday)
		got := pl.ReconcileEach(n, compact.Fill, stored, benchToday)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("ReconcileEach over the compact fleet differs from Reconcile over the eager one")
		}
		stored = append(stored, want.Create...)
	}
}

var (
	benchOnce  sync.Once
	benchFleet *compactFleet
)

func heapInuse() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// BenchmarkDailyRun is the daily run over the in-memory fleet (default
// 1,000,000 vehicles, 5,000,000 service orders): Planner.ReconcileEach of
// every vehicle's plan against the stored tasks, the Subjects streamed
// from the compact fixture (built once per process, outside the timing).
// "first" starts from no tasks; "rerun" is the steady state, reconciling
// against the tasks of the first run (it must create nothing).
// MiB-heap-inuse is the peak in use (fixture included), MiB-fixture the
// fixture alone.
//
//	go test ./lifecycle -run '^$' -bench DailyRun -benchtime 1x -benchmem
func BenchmarkDailyRun(b *testing.B) {
	n := benchVehicles(b)
	runtime.GC()
	base := heapInuse()
	benchOnce.Do(func() { benchFleet = newCompactFleet(n, benchOwners()) })
	f := benchFleet
	if f.n != n {
		b.Fatalf("fleet of %d, want %d", f.n, n)
	}
	runtime.GC()
	fixture := heapInuse() - base
	dailyRun(b, n, f.Fill, fixture)
}

// BenchmarkReconcileSlice is BenchmarkDailyRun over the eager fixture (a
// []Subject of 1.2 GiB for a million vehicles) through Planner.Reconcile:
// the same work, with the whole fleet's Subjects held at once.
//
//	go test ./lifecycle -run '^$' -bench ReconcileSlice -benchtime 1x -benchmem
func BenchmarkReconcileSlice(b *testing.B) {
	n := benchVehicles(b)
	runtime.GC()
	base := heapInuse()
	subs := eagerFleet(n, benchOwners())
	runtime.GC()
	fixture := heapInuse() - base
	dailyRun(b, n, func(i int, s *lifecycle.Subject) { *s = subs[i] }, fixture)
	runtime.KeepAlive(subs)
}

func dailyRun(b *testing.B, n int, fill func(int, *lifecycle.Subject), fixture uint64) {
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
				ch = pl.ReconcileEach(n, fill, prior, benchToday)
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
