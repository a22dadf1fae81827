package postgres_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/dealercrm/dealercrm/loyalty/loyaltytest"
	"github.com/shopspring/decimal"
)

// BenchmarkLoyaltyPostings measures points postings per second on Postgres
// with 1 and 8 concurrent clients: each posting is an earning from a
// service order through the Service (the posting path: read the account,
// its lots, membership and key, then one statement writing entry, lot,
// balance, key and event), spread over 1,000 member accounts.
// docs/benchmarks.md sets the numbers next to pgbench's TPC-B-like
// transactions on the same machine. Each client count runs with the
// posting's points.earned event written to the outbox (events=on, the
// default), with a feed reader following the dealer's events meanwhile, so
// that their numbering is paid for (events=follow: List to the end, then
// again after the default poll interval, 200 ms), and without events
// (events=off: WithoutEvents), back to back.
func BenchmarkLoyaltyPostings(b *testing.B) {
	for _, clients := range []int{1, 8} {
		for _, events := range []string{"on", "follow", "off"} {
			b.Run(fmt.Sprintf("clients=%d/events=%s", clients, events), func(b *testing.B) {
				benchPostings(b, clients, events)
			})
		}
	}
}

// benchPostings posts b.N earnings from clients goroutines.
func benchPostings(b *testing.B, clients int, events string) {
	ctx := context.Background()
	var opts []postgres.Option
	if events == "off" {
		opts = append(opts, postgres.WithoutEvents())
	}
	pg := pgtest.NewStore(b, opts...)
	store := pg.Loyalty()
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
	var read atomic.Int64
	stop := func() {}
	if events == "follow" {
		fctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		stop = func() { cancel(); <-done }
		go func() {
			defer close(done)
			es := pg.EventStore()
			var after int64
			for fctx.Err() == nil {
				page, err := es.List(fctx, "bench", crm.EventFilter{After: after, Limit: crm.MaxEventLimit})
				if err != nil {
					if fctx.Err() == nil {
						b.Error(err)
					}
					return
				}
				read.Add(int64(len(page.Items)))
				if page.Next-after < crm.MaxEventLimit {
					// Caught up: look again after the poll interval, as
					// Wait and the webhook runner do.
					select {
					case <-fctx.Done():
					case <-time.After(postgres.DefaultEventPoll):
					}
				}
				after = page.Next
			}
		}()
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
	b.StopTimer()
	stop()
	if events == "follow" {
		// The postings' events and the members' joins, read as they came.
		b.ReportMetric(float64(read.Load())/float64(b.N+accounts), "read/event")
	}
}
