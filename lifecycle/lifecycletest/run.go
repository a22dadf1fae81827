package lifecycletest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RunServiceTests runs the daily run of a lifecycle.Service over a
// backend against concurrent writers, and its PIPL export and erasure
// through crm.Service (with a daily run during the erasure); newStores
// returns an empty crm store and task store of one backend.
func RunServiceTests(t *testing.T, newStores func(t *testing.T) (crm.Store, lifecycle.TaskStore)) {
	ctx := context.Background()
	t.Run("OutcomeDuringRunSurvives", func(t *testing.T) {
		cs, ts := newStores(t)
		crmSvc := seedFleet(t, cs, 1, 1, "2026-01-28")
		svc := newService(t, crmSvc, ts)
		r, err := svc.Run(ctx, "d1", dealercrm.MustParseDate("2026-01-31"))
		require.NoError(t, err)
		require.Equal(t, 2, r.Created, "the 3DC call and the one-on-one visit")
		tdc, err := ts.GetByKey(ctx, "d1", "delivery_3dc|vehicle:v1|2026-01-28|1")
		require.NoError(t, err)

		// On 02-02 the run marks the 3DC call of 01-31 overdue; staff
		// record its outcome after the run read the tasks and before it
		// writes them.
		var done lifecycle.Task
		var in crm.Interaction
		hooked := &hookStore{TaskStore: ts, before: func() {
			done, in, err = svc.RecordOutcome(ctx, "d1", tdc.ID, lifecycle.Outcome{Outcome: crm.OutcomeReached, Note: "happy", StaffID: "S01"})
			require.NoError(t, err)
		}}
		r, err = newService(t, crmSvc, hooked).Run(ctx, "d1", dealercrm.MustParseDate("2026-02-02"))
		require.NoError(t, err)
		assert.Equal(t, lifecycle.RunResult{Date: dealercrm.MustParseDate("2026-02-02"), Subjects: 1}, r,
			"the run writes nothing: the task it would have marked overdue is done")
		got, err := ts.Get(ctx, "d1", tdc.ID)
		require.NoError(t, err)
		assert.Equal(t, lifecycle.StatusDone, got.Status, "not overdue again")
		assert.Equal(t, crm.OutcomeReached, got.Outcome)
		assert.Equal(t, "happy", got.Note)
		assert.Equal(t, in.ID, got.InteractionID)
		assert.Equal(t, int64(2), got.Version, "created, then the outcome")
		assert.Equal(t, done, got)
	})
	for _, n := range []int{4, 8} {
		t.Run(fmt.Sprintf("ConcurrentRuns%d", n), func(t *testing.T) {
			cs, ts := newStores(t)
			// Three owners of two cars each: customer-scoped tasks
			// (birthday, Spring Festival care) are planned by two vehicles.
			crmSvc := seedFleet(t, cs, 3, 2, "2026-02-10")
			day := dealercrm.MustParseDate("2026-02-16")
			svc := newService(t, crmSvc, ts)
			subs, err := svc.Load(ctx, "d1")
			require.NoError(t, err)
			want := svc.Planner().Reconcile(subs, nil, day).Result.Created
			require.Positive(t, want)
			// Every run reads the tasks before any writes.
			gate := &gateStore{TaskStore: ts, n: n, all: make(chan struct{})}
			runner := newService(t, crmSvc, gate)
			results := make([]lifecycle.RunResult, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { results[i], errs[i] = runner.Run(ctx, "d1", day) })
			}
			wg.Wait()
			created := 0
			for i := range n {
				assert.NoError(t, errs[i], "run %d", i)
				created += results[i].Created
			}
			p, err := ts.List(ctx, "d1", lifecycle.TaskFilter{PageRequest: crm.PageRequest{Limit: crm.MaxLimit}})
			require.NoError(t, err)
			keys := map[string]int{}
			for _, tk := range p.Items {
				keys[tk.Key]++
				assert.Equal(t, 1, keys[tk.Key], "one task per key: %s", tk.Key)
			}
			assert.Len(t, p.Items, want, "the tasks of one run")
			assert.Equal(t, want, created, "each task counted by the run that wrote it")
			r, err := svc.Run(ctx, "d1", day)
			require.NoError(t, err)
			assert.Equal(t, lifecycle.RunResult{Date: day, Subjects: 6}, r, "another run changes nothing")
		})
	}
	runPrivacyTests(t, newStores)
	t.Run("LeadTasks", func(t *testing.T) { runLeadServiceTests(t, newStores) })
	t.Run("LeadTasksRace", func(t *testing.T) { runLeadRaceTests(t, newStores) })
}

// clock is the fixed time of the service tests.
func clock() time.Time { return time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC) }

func newService(t *testing.T, crmSvc *crm.Service, ts lifecycle.TaskStore) *lifecycle.Service {
	t.Helper()
	svc, err := lifecycle.NewService(crmSvc, ts, lifecycle.WithClock(clock))
	require.NoError(t, err)
	return svc
}

// seedFleet writes dealer d1 with owners c1… who consented to everything
// (consultant S01, advisor A01, born on 15 February), each with cars
// vehicles v1…, delivered one a day from delivered.
func seedFleet(t *testing.T, st crm.Store, owners, cars int, delivered string) *crm.Service {
	t.Helper()
	svc := crm.NewService(st, crm.WithClock(clock))
	seedDealer(t, svc, "d1", owners, cars, delivered)
	return svc
}

// seedDealer writes a dealer as seedFleet writes d1.
func seedDealer(t *testing.T, svc *crm.Service, dealer crm.DealerID, owners, cars int, delivered string) {
	t.Helper()
	ctx := context.Background()
	_, err := svc.CreateDealer(ctx, crm.Dealer{ID: dealer, Name: "Shanghai 4S " + string(dealer)})
	require.NoError(t, err)
	var consents []crm.Consent
	for _, p := range crm.Purposes() {
		for _, ch := range crm.Channels() {
			consents = append(consents, crm.Consent{Purpose: p, Channel: ch, Granted: true, At: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Source: "contract"})
		}
	}
	n := 0
	for o := 1; o <= owners; o++ {
		c := crm.CustomerID(fmt.Sprintf("c%d", o))
		_, err := svc.CreateCustomer(ctx, dealer, crm.Customer{ID: c, Record: crm.Record{DealerID: dealer}, Name: "王先生", ConsultantID: "S01", AdvisorID: "A01",
			Birthday: dealercrm.MustParseDate("1980-02-15"), Consents: consents})
		require.NoError(t, err)
		for range cars {
			_, err := svc.CreateVehicle(ctx, dealer, crm.Vehicle{ID: crm.VehicleID(fmt.Sprintf("v%d", n+1)), Record: crm.Record{DealerID: dealer},
				VIN: vin(n), Model: "Lavida", OwnerID: c, DeliveryDate: dealercrm.MustParseDate(delivered).AddDays(n), Price: decimal.NewFromInt(120000)})
			require.NoError(t, err)
			n++
		}
	}
}

// hookStore runs before once, at its first Apply: between a run's read
// and its write.
type hookStore struct {
	lifecycle.TaskStore
	once   sync.Once
	before func()
}

func (h *hookStore) Apply(ctx context.Context, dealer crm.DealerID, create, replace []lifecycle.Task) ([]lifecycle.Task, error) {
	h.once.Do(h.before)
	return h.TaskStore.Apply(ctx, dealer, create, replace)
}

// gateStore holds the first n Apply calls until all n have come (or ten
// seconds have passed): n concurrent runs have then all read the tasks
// before any of them writes.
type gateStore struct {
	lifecycle.TaskStore
	n       int
	mu      sync.Mutex
	arrived int
	all     chan struct{}
}

func (g *gateStore) Apply(ctx context.Context, dealer crm.DealerID, create, replace []lifecycle.Task) ([]lifecycle.Task, error) {
	g.mu.Lock()
	g.arrived++
	wait := g.arrived <= g.n
	if g.arrived == g.n {
		close(g.all)
	}
	g.mu.Unlock()
	if wait {
		select {
		case <-g.all:
		case <-time.After(10 * time.Second):
		}
	}
	return g.TaskStore.Apply(ctx, dealer, create, replace)
}

// vin returns a valid VIN (ISO 3779 check digit) with serial n.
func vin(n int) string {
	for _, c := range "0123456789X" {
		v := fmt.Sprintf("LSVAU218%cN2%06d", c, n)
		if crm.CheckVIN(v) == "" {
			return v
		}
	}
	panic("no check digit")
}
