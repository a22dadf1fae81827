package gradingtest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The group of the service cases: DealerA and DealerB belong to it.
const Group crm.GroupID = "grading-group"

// Dates of the service cases. The clock stands at Now, which is Today in
// the dealers' zone (Asia/Shanghai); runs are as of AsOf, the day before.
var (
	Now   = time.Date(2025, 7, 1, 2, 0, 0, 0, time.UTC)
	Today = dealercrm.NewDate(2025, 7, 1)
	AsOf  = dealercrm.NewDate(2025, 6, 30)
)

// ShareModel is the model of the service cases: the new-car value alone,
// as a percentile rank (#{lower} / (N − 1)), and grades by share of the
// population: the top 34% A, the next 34% B, the rest C; no hysteresis.
func ShareModel() grading.Model {
	m := grading.DefaultModel()
	m.Name, m.Version = "share-test", 1
	m.Metrics = []grading.MetricSpec{{Metric: grading.NewCarValue, Weight: 1, Method: grading.PercentileRank}}
	m.Mode = grading.ByShare
	m.Tiers = []grading.Tier{{Grade: grading.GradeA, Share: 0.34}, {Grade: grading.GradeB, Share: 0.34}, {Grade: grading.GradeC}}
	m.Hysteresis = grading.Hysteresis{}
	return m
}

// SeedGroup writes the dealers and customers of the service cases into
// records: DealerA and DealerB of Group, in Asia/Shanghai; each customer
// has one sale on 2024-01-10 whose gross profit is its new-car value:
//
//	DealerA: a1 1000, a2 2000, a3 3000, a4 4000
//	DealerB: b1 2500, b2 5000
func SeedGroup(t *testing.T, records crm.Store) {
	t.Helper()
	ctx := context.Background()
	created := time.Date(2021, 1, 5, 2, 0, 0, 0, time.UTC)
	for _, d := range []crm.DealerID{DealerA, DealerB} {
		require.NoError(t, records.Dealers().Create(ctx, &crm.Dealer{ID: d, Name: "店 " + string(d), GroupID: Group,
			TimeZone: "Asia/Shanghai", CreatedAt: created, UpdatedAt: created}))
	}
	for _, c := range []struct {
		dealer crm.DealerID
		id     crm.CustomerID
		value  int64
	}{{DealerA, "a1", 1000}, {DealerA, "a2", 2000}, {DealerA, "a3", 3000}, {DealerA, "a4", 4000}, {DealerB, "b1", 2500}, {DealerB, "b2", 5000}} {
		AddCustomer(t, records, c.dealer, c.id, c.value)
	}
}

// AddCustomer writes customer id of dealer with one sale on 2024-01-10 of
// gross profit value.
func AddCustomer(t *testing.T, records crm.Store, dealer crm.DealerID, id crm.CustomerID, value int64) {
	t.Helper()
	ctx := context.Background()
	created := time.Date(2021, 1, 5, 2, 0, 0, 0, time.UTC)
	rec := crm.Record{DealerID: dealer, CreatedAt: created, UpdatedAt: created}
	require.NoError(t, records.Customers().Create(ctx, &crm.Customer{ID: id, Record: rec, Name: "客户 " + string(id), Kind: crm.Individual}))
	require.NoError(t, records.Sales().Create(ctx, &crm.Sale{ID: crm.SaleID("s-" + string(id)), Record: rec, CustomerID: id,
		VehicleID: crm.VehicleID("v-" + string(id)), Date: dealercrm.NewDate(2024, 1, 10), Price: decimal.NewFromInt(100000),
		GrossProfit: decimal.NewFromInt(value)}))
}

// Snapshot is everything a grading store holds for one dealer's customers
// and runs, for before/after comparisons.
type Snapshot struct {
	States  []grading.State
	History map[crm.CustomerID][]grading.Change
	Runs    map[grading.RunID]*grading.Run
}

// Take reads dealer's states, the history of customers and the runs of
// ids (nil when the dealer has no run of that ID).
func Take(t *testing.T, s grading.Store, dealer crm.DealerID, customers []crm.CustomerID, ids ...grading.RunID) Snapshot {
	t.Helper()
	ctx := context.Background()
	snap := Snapshot{History: map[crm.CustomerID][]grading.Change{}, Runs: map[grading.RunID]*grading.Run{}}
	require.NoError(t, s.EachState(ctx, dealer, func(st grading.State) error { snap.States = append(snap.States, st); return nil }))
	for _, c := range customers {
		h, err := s.History(ctx, dealer, c)
		require.NoError(t, err)
		snap.History[c] = h
	}
	for _, id := range ids {
		r, err := s.GetRun(ctx, dealer, id)
		if err == nil {
			snap.Runs[id] = &r
			continue
		}
		require.ErrorIs(t, err, dealercrm.ErrNotFound)
		snap.Runs[id] = nil
	}
	return snap
}

// RunServiceTests runs the service cases: a grading.Service over the crm
// records and grading store made by newStores, each fresh and empty, with
// the clock at Now and ShareModel. They cover tenancy (a group run writes
// only the caller's records), plausible dates and concurrent runs.
func RunServiceTests(t *testing.T, newStores func(t *testing.T) (crm.Store, grading.Store)) {
	ctx := context.Background()
	aCustomers := []crm.CustomerID{"a1", "a2", "a3", "a4"}
	newService := func(t *testing.T, records crm.Store, store grading.Store, opts ...grading.Option) *grading.Service {
		t.Helper()
		opts = append([]grading.Option{grading.WithModel(ShareModel()), grading.WithClock(func() time.Time { return Now })}, opts...)
		svc, err := grading.NewService(records, store, opts...)
		require.NoError(t, err)
		return svc
	}
	scores := func(t *testing.T, store grading.Store, dealer crm.DealerID) map[crm.CustomerID]string {
		t.Helper()
		out := map[crm.CustomerID]string{}
		require.NoError(t, store.EachState(ctx, dealer, func(st grading.State) error {
			out[st.CustomerID] = fmt.Sprintf("%s %.2f", st.Grade, st.Score)
			return nil
		}))
		return out
	}

	// Issue 12, defect 2: with store B's key, a group run re-graded store
	// A's customers and wrote history into A.
	t.Run("GroupRunWritesOnlyTheCaller", func(t *testing.T) {
		records, store := newStores(t)
		SeedGroup(t, records)
		svc := newService(t, records, store)

		// A alone (N = 4): ranks 0, 1/3, 2/3, 1 → scores 0, 33.33, 66.67,
		// 100; the A share 0.34 × 4 → 1 customer (bound 100), A + B 0.68 ×
		// 4 → 3 (bound 33.33).
		ra, err := svc.Run(ctx, grading.RunRequest{DealerID: DealerA, AsOf: AsOf.AddDays(-1)})
		require.NoError(t, err)
		assert.Equal(t, map[crm.CustomerID]string{"a1": "C 0.00", "a2": "B 33.33", "a3": "B 66.67", "a4": "A 100.00"}, scores(t, store, DealerA))
		before := Take(t, store, DealerA, aCustomers, ra.ID)

		// B's group run (N = 6 over A and B): 1000 a1, 2000 a2, 2500 b1,
		// 3000 a3, 4000 a4, 5000 b2 → b1 ranks 2/5 = 40, b2 5/5 = 100;
		// scores 100 80 60 40 20 0, A share 0.34 × 6 → 2 (bound 80), A + B
		// 0.68 × 6 → 4 (bound 40): b1 B, b2 A. Alone b1 would score 0, C.
		rb, err := svc.Run(ctx, grading.RunRequest{DealerID: DealerB, AsOf: AsOf, Group: true})
		require.NoError(t, err)
		assert.Equal(t, []crm.DealerID{DealerA, DealerB}, rb.Dealers, "the population is the group")
		assert.Equal(t, DealerB, rb.DealerID)
		assert.Equal(t, 2, rb.Customers, "the record counts the caller's customers")
		assert.Equal(t, []grading.GradeCount{{Grade: "A", Count: 1}, {Grade: "B", Count: 1}, {Grade: "C", Count: 0}}, rb.Counts)
		assert.Equal(t, map[crm.CustomerID]string{"b1": "B 40.00", "b2": "A 100.00"}, scores(t, store, DealerB),
			"B's grades are computed against the group population")

		after := Take(t, store, DealerA, aCustomers, ra.ID, rb.ID)
		assert.Equal(t, before.States, after.States, "B's group run leaves A's grades as they were")
		assert.Equal(t, before.History, after.History, "B's group run adds no history to A")
		assert.Equal(t, before.Runs[ra.ID], after.Runs[ra.ID], "A's run record is unchanged")
		assert.Nil(t, after.Runs[rb.ID], "B's group run records no run for A")
	})

	// SPEC §0 plausible input: a run as of a date after the dealer's today
	// is refused (the review ran one as of 2035-06-01).
	t.Run("AsOfAfterTodayIsInvalid", func(t *testing.T) {
		records, store := newStores(t)
		SeedGroup(t, records)
		svc := newService(t, records, store)
		for _, d := range []dealercrm.Date{Today.AddDays(1), dealercrm.NewDate(2035, 6, 1)} {
			_, err := svc.Run(ctx, grading.RunRequest{DealerID: DealerB, AsOf: d, Group: true})
			require.ErrorIs(t, err, dealercrm.ErrInvalid, "as of %s, after today %s", d, Today)
			var ve *crm.ValidationError
			require.ErrorAs(t, err, &ve)
			require.Len(t, ve.Fields, 1)
			assert.Equal(t, "as_of", ve.Fields[0].Field)
			assert.Equal(t, crm.RuleFuture, ve.Fields[0].Rule)
		}
		assert.Empty(t, scores(t, store, DealerA), "nothing written for A")
		assert.Empty(t, scores(t, store, DealerB), "nothing written for B")
		_, err := svc.RFM(ctx, DealerB, Today.AddDays(1), false)
		assert.ErrorIs(t, err, dealercrm.ErrInvalid, "the reports' as_of too")
		_, err = svc.Pareto(ctx, DealerB, grading.ParetoRequest{AsOf: Today.AddDays(1)})
		assert.ErrorIs(t, err, dealercrm.ErrInvalid)
		r, err := svc.Run(ctx, grading.RunRequest{DealerID: DealerB, AsOf: Today})
		require.NoError(t, err, "today itself is a valid date")
		assert.Equal(t, Today, r.AsOf)

		// The limits' FutureDays allow a day more.
		svc = newService(t, records, store, grading.WithLimits(crm.Limits{FutureDays: 1}))
		r, err = svc.Run(ctx, grading.RunRequest{DealerID: DealerA, AsOf: Today.AddDays(1)})
		require.NoError(t, err, "tomorrow with FutureDays 1")
		assert.Equal(t, Today.AddDays(1), r.AsOf)
		_, err = svc.Run(ctx, grading.RunRequest{DealerID: DealerA, AsOf: Today.AddDays(2)})
		assert.ErrorIs(t, err, dealercrm.ErrInvalid, "the day after is not")
	})

	// Issue 12, defect 4: eight concurrent runs for one dealer and date
	// recorded each change eight times.
	t.Run("ConcurrentRunsOneDate", func(t *testing.T) {
		records, store := newStores(t)
		SeedGroup(t, records)
		svc := newService(t, records, store)
		runs := runConcurrently(t, 8, func() (grading.Run, error) {
			return svc.Run(ctx, grading.RunRequest{DealerID: DealerA, AsOf: AsOf})
		})
		for i, r := range runs {
			assert.Equal(t, runs[0], r, "call %d returns the run that took effect", i)
		}
		assert.Equal(t, 4, runs[0].Changed, "four first gradings")
		for _, c := range aCustomers {
			h, err := store.History(ctx, DealerA, c)
			require.NoError(t, err)
			assert.Len(t, h, 1, "the change of %s is recorded once", c)
		}
		got, err := store.GetRun(ctx, DealerA, runs[0].ID)
		require.NoError(t, err)
		assert.Equal(t, runs[0], got)
	})

	t.Run("ConcurrentRunsOneRunID", func(t *testing.T) {
		records, store := newStores(t)
		SeedGroup(t, records)
		svc := newService(t, records, store)
		runs := runConcurrently(t, 8, func() (grading.Run, error) {
			return svc.Run(ctx, grading.RunRequest{DealerID: DealerA, AsOf: AsOf, RunID: "nightly-2025-06-30"})
		})
		for i, r := range runs {
			assert.Equal(t, runs[0], r, "call %d returns the same run", i)
		}
		assert.Equal(t, grading.RunID("nightly-2025-06-30"), runs[0].ID)
		for _, c := range aCustomers {
			h, err := store.History(ctx, DealerA, c)
			require.NoError(t, err)
			assert.Len(t, h, 1, "the change of %s is recorded once", c)
		}
	})

	// One run per dealer and as-of date takes effect: a later run for the
	// same date, even after the records changed, returns it and writes
	// nothing; the next date's run sees the change.
	t.Run("RerunSameDateReturnsTheRun", func(t *testing.T) {
		records, store := newStores(t)
		SeedGroup(t, records)
		svc := newService(t, records, store)
		first, err := svc.Run(ctx, grading.RunRequest{DealerID: DealerA, AsOf: AsOf})
		require.NoError(t, err)
		before := Take(t, store, DealerA, aCustomers, first.ID)

		AddCustomer(t, records, DealerA, "a5", 6000)
		again, err := svc.Run(ctx, grading.RunRequest{DealerID: DealerA, AsOf: AsOf})
		require.NoError(t, err)
		assert.Equal(t, first, again, "the same date answers the run that took effect")
		assert.Equal(t, before, Take(t, store, DealerA, aCustomers, first.ID), "and writes nothing")
		_, err = store.GetState(ctx, DealerA, "a5")
		assert.ErrorIs(t, err, dealercrm.ErrNotFound, "a5 waits for the next date")

		// Today (N = 5): a5 ranks 4/4 = 100, a4 3/4 = 75; A share 0.34 × 5
		// → 2 customers (bound 75).
		next, err := svc.Run(ctx, grading.RunRequest{DealerID: DealerA, AsOf: Today})
		require.NoError(t, err)
		assert.NotEqual(t, first.ID, next.ID)
		assert.Equal(t, 5, next.Customers)
		assert.Equal(t, map[crm.CustomerID]string{"a1": "C 0.00", "a2": "C 25.00", "a3": "B 50.00", "a4": "A 75.00", "a5": "A 100.00"}, scores(t, store, DealerA))
	})

	// Issue 12 defect 6: the PIPL export omitted grades and erasure left
	// them. Through crm.Service with grading registered: the "grades"
	// section holds the state and history; erasure deletes them and
	// nothing else.
	t.Run("ExportAndEraseCustomer", func(t *testing.T) {
		records, store := newStores(t)
		SeedGroup(t, records)
		svc := newService(t, records, store)
		people := crm.NewService(records, crm.WithClock(func() time.Time { return Now }))
		people.AddPersonalData(svc)
		assert.Equal(t, "grades", svc.PersonalDataSection())

		// As of AsOf − 1 (N = 4): a2 ranks 1/3 → 33.33, B. As of AsOf
		// with a5 (6000) added (N = 5): a2 ranks 1/4 → 25; A share 0.34 ×
		// 5 → 2, A + B 0.68 × 5 → 3: a2 falls to C.
		first, err := svc.Run(ctx, grading.RunRequest{DealerID: DealerA, AsOf: AsOf.AddDays(-1)})
		require.NoError(t, err)
		AddCustomer(t, records, DealerA, "a5", 6000)
		second, err := svc.Run(ctx, grading.RunRequest{DealerID: DealerA, AsOf: AsOf})
		require.NoError(t, err)
		_, err = svc.Run(ctx, grading.RunRequest{DealerID: DealerB, AsOf: AsOf})
		require.NoError(t, err)
		others := []crm.CustomerID{"a1", "a3", "a4", "a5"}
		before := []Snapshot{Take(t, store, DealerA, others, first.ID, second.ID), Take(t, store, DealerB, []crm.CustomerID{"b1", "b2"})}
		before[0].States = slices.DeleteFunc(before[0].States, func(st grading.State) bool { return st.CustomerID == "a2" })
		require.Len(t, before[0].States, 4)

		section := func() grading.CustomerData {
			t.Helper()
			x, err := people.ExportCustomer(ctx, DealerA, "a2")
			require.NoError(t, err)
			require.Contains(t, x.Sections, "grades")
			return x.Sections["grades"].(grading.CustomerData)
		}
		g := section()
		require.NotNil(t, g.State)
		assert.Equal(t, grading.GradeC, g.State.Grade)
		assert.InDelta(t, 25, g.State.Score, 0.005)
		assert.Equal(t, "share-test", g.State.Model)
		assert.NotEmpty(t, g.State.Top, "the top contributing metrics")
		require.Len(t, g.History, 2)
		assert.Equal(t, []grading.Grade{"", grading.GradeB}, []grading.Grade{g.History[0].Old, g.History[0].New})
		assert.Equal(t, []grading.Grade{grading.GradeB, grading.GradeC}, []grading.Grade{g.History[1].Old, g.History[1].New})

		require.NoError(t, people.EraseCustomer(ctx, DealerA, "a2"))
		require.NoError(t, people.EraseCustomer(ctx, DealerA, "a2"), "erasing twice is fine")
		g = section()
		assert.Nil(t, g.State, "the grade is deleted")
		assert.Empty(t, g.History, "the history is deleted")
		b, err := json.Marshal(g)
		require.NoError(t, err)
		assert.JSONEq(t, `{"state":null,"history":[]}`, string(b))
		after := []Snapshot{Take(t, store, DealerA, others, first.ID, second.ID), Take(t, store, DealerB, []crm.CustomerID{"b1", "b2"})}
		assert.Equal(t, before, after, "other customers, run records and another dealer are untouched")

		// The anonymised customer keeps its sale (a financial record): the
		// next date's run grades it again, as a first grading.
		_, err = svc.Run(ctx, grading.RunRequest{DealerID: DealerA, AsOf: Today})
		require.NoError(t, err)
		g = section()
		require.NotNil(t, g.State)
		require.Len(t, g.History, 1)
		assert.Empty(t, g.History[0].Old, "graded from scratch")
	})

	// Error messages name no store, table, constraint or SQLSTATE.
	t.Run("ErrorMessagesNameNoStorage", func(t *testing.T) {
		records, store := newStores(t)
		SeedGroup(t, records)
		svc := newService(t, records, store)
		_, err := svc.GetRun(ctx, DealerA, "nope")
		require.ErrorIs(t, err, dealercrm.ErrNotFound)
		assertPlain(t, err)
		_, err = svc.Customer(ctx, DealerA, "nobody")
		require.ErrorIs(t, err, dealercrm.ErrNotFound)
		assertPlain(t, err)
		_, err = store.GetRun(ctx, DealerA, "nope")
		assertPlain(t, err)
		_, err = store.GetState(ctx, DealerA, "nobody")
		assertPlain(t, err)
	})
}

// runConcurrently calls run n times at once and returns the results; every
// call must succeed.
func runConcurrently(t *testing.T, n int, run func() (grading.Run, error)) []grading.Run {
	t.Helper()
	out := make([]grading.Run, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			out[i], errs[i] = run()
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "call %d of %d", i, n)
	}
	return out
}

// assertPlain checks that err's message and the message users see name no
// storage detail.
func assertPlain(t *testing.T, err error) {
	t.Helper()
	for _, msg := range []string{err.Error(), dealercrm.ErrorMessage(err)} {
		low := strings.ToLower(msg)
		for _, word := range []string{"memory", "postgres", "sqlstate", "constraint", "grading_runs", "grading_states", "grading_changes", "pkey", "duplicate key"} {
			assert.NotContains(t, low, word, "%q names storage", msg)
		}
	}
}
