package loyalty_test

import (
	"fmt"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/dealercrm/dealercrm/loyalty/loyaltytest"
	"github.com/shopspring/decimal"
)

// BenchmarkMemoryEarn measures points postings per second on the memory
// store through the Service: each is an earning from a service order with
// its own idempotency key, on 1,024 member accounts, in parallel (one
// goroutine per GOMAXPROCS). docs/loyalty.md records the numbers.
func BenchmarkMemoryEarn(b *testing.B) {
	store := memory.NewLoyaltyStore()
	svc, err := loyalty.NewService(nil, store, loyalty.WithClock(loyaltytest.Clock))
	if err != nil {
		b.Fatal(err)
	}
	const accounts = 1024
	customers := make([]crm.CustomerID, accounts)
	for i := range customers {
		customers[i] = crm.CustomerID(fmt.Sprintf("c%04d", i))
		loyaltytest.Member(b, svc, dealer, customers[i], 0)
	}
	var next atomic.Int64
	labour := decimal.NewFromInt(388)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := next.Add(1)
			c := customers[n%accounts]
			o := crm.ServiceOrder{ID: crm.ServiceOrderID("o" + strconv.FormatInt(n, 10)), CustomerID: c, Date: loyaltytest.Day,
				Kind: crm.ServiceMaintenance, Payer: crm.PayerCustomer, Labour: labour}
			if _, err := svc.Earn(ctx, loyalty.EarnRequest{DealerID: dealer, Order: o, Date: loyaltytest.Day}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "postings/s")
}

// BenchmarkMemoryRedeem measures redemptions (a lot consumed per posting).
func BenchmarkMemoryRedeem(b *testing.B) {
	store := memory.NewLoyaltyStore()
	svc, err := loyalty.NewService(nil, store, loyalty.WithClock(loyaltytest.Clock))
	if err != nil {
		b.Fatal(err)
	}
	const accounts = 1024
	customers := make([]crm.CustomerID, accounts)
	for i := range customers {
		customers[i] = crm.CustomerID(fmt.Sprintf("c%04d", i))
		loyaltytest.Member(b, svc, dealer, customers[i], 10_000_000) // the most one posting may carry
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := next.Add(1)
			if _, err := svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: dealer, CustomerID: customers[n%accounts], Points: 1,
				Date: loyaltytest.Day, IdempotencyKey: "r" + strconv.FormatInt(n, 10)}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "postings/s")
}

// BenchmarkMemoryStorePost measures the memory store's posting path alone
// (Store.Do with an earning and its idempotency key), without the
// Service's validation and input hashing, in parallel (one goroutine per
// GOMAXPROCS) on random accounts: 1,024 accounts that collect every
// posting (a thousand open lots each after a million), and 100,000 that
// hold a few each, as a dealer group's members do.
func BenchmarkMemoryStorePost(b *testing.B) {
	for _, accounts := range []int{1024, 100_000} {
		b.Run(fmt.Sprintf("accounts=%d", accounts), func(b *testing.B) { benchmarkStorePost(b, accounts) })
	}
}

func benchmarkStorePost(b *testing.B, accounts int) {
	store := memory.NewLoyaltyStore()
	customers := make([]crm.CustomerID, accounts)
	for i := range customers {
		customers[i] = crm.CustomerID(fmt.Sprintf("c%06d", i))
		if _, err := store.Do(ctx, loyalty.Command{DealerID: dealer, CustomerID: customers[i],
			Apply: func(*loyalty.State) (loyalty.Receipt, error) { return loyalty.Receipt{}, nil }}); err != nil {
			b.Fatal(err)
		}
	}
	var workers atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := workers.Add(1)
		n := int64(0)
		for pb.Next() {
			n++
			key := "k" + strconv.FormatInt(w<<40|n, 10)
			_, err := store.Do(ctx, loyalty.Command{DealerID: dealer, CustomerID: customers[(w*7919+n*104729)%int64(accounts)], Key: key, Hash: "h",
				Apply: func(s *loyalty.State) (loyalty.Receipt, error) {
					if _, err := s.Account.Earn(loyalty.Entry{Kind: loyalty.EntryEarn, Store: dealer, Date: loyaltytest.Day, Points: 388,
						Source: loyalty.Source{Type: "service_order"}, IdempotencyKey: key}); err != nil {
						return loyalty.Receipt{}, err
					}
					return loyalty.Receipt{Entries: s.Account.NewEntries()}, nil
				}})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "postings/s")
	// What the store keeps per posting: the ledger entry, the lot and the
	// idempotency record.
	b.StopTimer()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	store = nil
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ReportMetric(float64(after.HeapAlloc-min(after.HeapAlloc, before.HeapAlloc))/float64(b.N), "kept-B/posting")
}
