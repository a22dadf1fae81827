package postgres_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/dealercrm/dealercrm/loyalty/loyaltytest"
	"github.com/shopspring/decimal"
)

// BenchmarkLoyaltyPostings measures points postings per second on Postgres
// with 1 and 8 concurrent clients: each posting is an earning from a
// service order through the Service (one transaction: lock the account
// row, read lots, membership and key, write entry, lot, balance and key),
// spread over 1,000 member accounts. docs/loyalty.md sets the numbers next
// to pgbench's TPC-B-like transactions on the same machine. Each client
// count runs with the posting's points.earned event written to the outbox
// (events=on, the default) and without (events=off: WithoutEvents), back
// to back.
func BenchmarkLoyaltyPostings(b *testing.B) {
	for _, clients := range []int{1, 8} {
		for _, events := range []bool{true, false} {
			b.Run(fmt.Sprintf("clients=%d/events=%s", clients, map[bool]string{true: "on", false: "off"}[events]), func(b *testing.B) {
				benchPostings(b, clients, events)
			})
		}
	}
}

// benchPostings posts b.N earnings from clients goroutines.
func benchPostings(b *testing.B, clients int, events bool) {
	ctx := context.Background()
	var opts []postgres.Option
	if !events {
		opts = append(opts, postgres.WithoutEvents())
	}
	store := pgtest.NewStore(b, opts...).Loyalty()
	svc, err := loyalty.NewService(nil, store, loyalty.WithClock(loyaltytest.Clock))
	if err != nil {
		b.Fatal(err)
	}
	const accounts = 1000
	customers := make([]crm.CustomerID, accounts)
	for i := range customers {
		customers[i] = crm.CustomerID(fmt.Sprintf("c%04d", i))
		loyaltytest.Member(b, svc, "bench", customers[i], 0)
	}
	labour := decimal.NewFromInt(388)
	var next atomic.Int64
	b.ResetTimer()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for {
				n := next.Add(1)
				if n > int64(b.N) {
					return
				}
				o := crm.ServiceOrder{ID: crm.ServiceOrderID("o" + strconv.FormatInt(n, 10)), CustomerID: customers[(n*7919)%accounts],
					Date: loyaltytest.Day, Kind: crm.ServiceMaintenance, Payer: crm.PayerCustomer, Labour: labour}
				if _, err := svc.Earn(ctx, loyalty.EarnRequest{DealerID: "bench", Order: o, Date: loyaltytest.Day}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "postings/s")
}
