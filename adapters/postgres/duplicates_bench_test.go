package postgres_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
	"github.com/stretchr/testify/require"
)

// BenchmarkDuplicateCandidates100k lists every duplicate candidate of a
// dealer of 100,000 customers with one vehicle each (the import's COPY
// path), of which 1,999 share a mobile with the customer before them
// (999 of those the name too) and 1,000 bought the car of the customer
// before them: 2,999 pairs, walked in pages of crm.MaxLimit through
// crm.Service.DuplicateCandidates (the Store's SQL). It reports the time
// of the whole walk and of its first page. Target: ≤ 5 s.
//
//	go test -run '^$' -bench DuplicateCandidates100k -benchtime 1x ./adapters/postgres/
func BenchmarkDuplicateCandidates100k(b *testing.B) {
	ctx := context.Background()
	s := pgtest.NewStore(b)
	d := crmtest.Dealer(crm.DealerID(dealercrm.NewID()))
	require.NoError(b, s.Dealers().Create(ctx, &d))
	customers, vehicles := benchBatch(d.ID)
	for i := 50; i < len(customers); i += 50 {
		customers[i].Mobile = customers[i-1].Mobile
		if i%100 == 0 {
			customers[i].Name = customers[i-1].Name
		}
	}
	cs, vs, err := importBatch(ctx, s, d.ID, customers, vehicles)
	require.NoError(b, err)
	var sales []crm.Sale
	for i := 1; i+1 < len(cs); i += 100 {
		sale := crmtest.Sale(d.ID, crm.CustomerID(cs[i+1].ID), crm.VehicleID(vs[i].ID), i)
		sale.ExternalID = fmt.Sprintf("S-%06d", i)
		sales = append(sales, sale)
	}
	require.NoError(b, s.InTx(ctx, func(ctx context.Context, tx crm.Store) error {
		_, err := tx.Sales().Upsert(ctx, d.ID, sales)
		return err
	}))
	for _, t := range []postgres.Table{postgres.TableCustomers, postgres.TableVehicles, postgres.TableSales, postgres.TablePolicies} {
		_, err := pgtest.DB(b).ExecContext(ctx, "ANALYZE "+s.TableName(t))
		require.NoError(b, err)
	}
	if os.Getenv("DEALERCRM_EXPLAIN") != "" {
		plan, err := postgres.ExplainDuplicates(ctx, s, string(d.ID), crm.MaxLimit+1)
		require.NoError(b, err)
		require.NoError(b, os.WriteFile(os.Getenv("DEALERCRM_EXPLAIN"), []byte(plan), 0o644))
	}
	svc := crm.NewService(s)
	var walk, first time.Duration
	for b.Loop() {
		start := time.Now()
		n, pages := 0, 0
		reasons := map[crm.DuplicateReason]int{}
		err := crm.Each(ctx, func(after string) (crm.Page[crm.DuplicateCandidate], error) {
			p, err := svc.DuplicateCandidates(ctx, d.ID, crm.DuplicateFilter{PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
			if pages++; pages == 1 {
				first += time.Since(start)
			}
			return p, err
		}, func(c *crm.DuplicateCandidate) error {
			n++
			for _, m := range c.Matches {
				reasons[m.Reason]++
			}
			return nil
		})
		walk += time.Since(start)
		require.NoError(b, err)
		require.Equal(b, 2999, n, "every planted pair, and no other: %v", reasons)
		require.Equal(b, map[crm.DuplicateReason]int{crm.DuplicateNameMobile: 999, crm.DuplicateMobile: 1000, crm.DuplicateVIN: 1000}, reasons)
	}
	b.ReportMetric(walk.Seconds()/float64(b.N), "s/walk")
	b.ReportMetric(first.Seconds()/float64(b.N), "s/first-page")
	b.ReportMetric(0, "ns/op")
}
