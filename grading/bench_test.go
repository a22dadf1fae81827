package grading_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/shopspring/decimal"
)

// benchIDs are a million customer IDs, made once.
var benchIDs = func() []crm.CustomerID {
	ids := make([]crm.CustomerID, 1_000_000)
	for i := range ids {
		ids[i] = crm.CustomerID(fmt.Sprintf("c%07d", i))
	}
	return ids
}()

// amounts are 4096 money amounts 0.00–19,999.99, made once: a facts source
// holds its data already, so the benchmark does not time making decimals.
var amounts = func() []decimal.Decimal {
	r := rand.New(rand.NewPCG(3, 4))
	out := make([]decimal.Decimal, 4096)
	for i := range out {
		out[i] = decimal.New(r.Int64N(2_000_000), -2)
	}
	return out
}()

func amount(r *rand.Rand) decimal.Decimal { return amounts[r.IntN(len(amounts))] }

// syntheticFacts fills f with plausible facts for customer i, like a facts
// source streaming them.
func syntheticFacts(r *rand.Rand, f *grading.Facts, i int) {
	*f = grading.Facts{DealerID: "bench", CustomerID: benchIDs[i], Region: crm.Region{Province: "上海市", City: "上海市"}}
	f.NewCarValue = amount(r)
	if r.IntN(5) == 0 {
		f.AddPurchases = 1
		f.AddPurchaseValue = amount(r)
	}
	f.ServiceByPayer[0] = amount(r)
	if r.IntN(4) == 0 {
		f.ServiceByPayer[1] = amount(r)
	}
	f.Visits = r.IntN(10)
	f.Events = r.IntN(3)
	f.Renewals = r.IntN(5)
	f.Since = dealercrm.NewDate(2018+r.IntN(7), time.Month(1+r.IntN(12)), 1)
}

// gradeMillion runs one in-memory grading of n synthetic customers: stream
// facts → metric values → Batch → Score (normalised in parallel) →
// DecideAll against prior states (every other customer was graded B in an
// earlier period). With store, the outcome is also persisted (every state
// built with its explanation, every change with its reason).
func gradeMillion(b *testing.B, n int, store grading.Store) *grading.Outcome {
	m := grading.DefaultModel()
	asOf := dealercrm.NewDate(2025, 6, 30)
	prior := grading.State{Grade: grading.GradeB, Period: dealercrm.NewDate(2025, 3, 31)}
	r := rand.New(rand.NewPCG(1, 2))
	batch, err := grading.NewBatch(m, n)
	if err != nil {
		b.Fatal(err)
	}
	var f grading.Facts
	for i := range n {
		syntheticFacts(r, &f, i)
		v := m.Params.Compute(&f, asOf)
		batch.Add(f.DealerID, f.CustomerID, &v)
	}
	out := batch.Score().DecideAll(asOf, func(_ crm.DealerID, id crm.CustomerID) *grading.State {
		if id[len(id)-1]%2 == 0 {
			return nil
		}
		return &prior
	})
	if out.Customers["bench"] != n || out.Changed["bench"] == 0 {
		b.Fatalf("graded %v with %v changes", out.Counts, out.Changed)
	}
	if store != nil {
		at := time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)
		run := grading.Run{ID: grading.RunID(fmt.Sprint("run", b.N, r.Int())), DealerID: "bench"}
		if _, err := store.SaveRun(context.Background(), run, out.States("bench", run.ID, at), out.Changes("bench", run.ID, at)); err != nil {
			b.Fatal(err)
		}
	}
	return out
}

// BenchmarkGradeMillion scores and grades 1,000,000 customers in memory
// (see gradeMillion). The budget: ≤ 1 s and ≤ 1 GiB.
//
//	go test ./grading -run '^$' -bench Million -benchtime 3x -benchmem
func BenchmarkGradeMillion(b *testing.B) {
	benchMillion(b, false)
}

// BenchmarkGradeMillionPersist is BenchmarkGradeMillion plus saving the
// outcome in a fresh memory.GradingStore: 1,000,000 states (with
// explanations) and 500,000 changes.
func BenchmarkGradeMillionPersist(b *testing.B) {
	benchMillion(b, true)
}

func benchMillion(b *testing.B, persist bool) {
	b.ReportAllocs()
	var peak uint64
	for b.Loop() {
		var store grading.Store
		if persist {
			store = memory.NewGradingStore()
		}
		gradeMillion(b, 1_000_000, store)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
	}
	b.ReportMetric(float64(peak)/(1<<20), "MiB-heap-inuse")
}
