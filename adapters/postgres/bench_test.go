package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
)

// benchRows is the number of customers, each with one vehicle, of the
// upsert benchmarks: 2 × benchRows records per import.
const benchRows = 100_000

// benchBatch returns benchRows customers of dealer and their vehicles; the
// vehicles' OwnerID is left for the caller (the customers' IDs are only
// known after the upsert).
func benchBatch(dealer crm.DealerID) ([]crm.Customer, []crm.Vehicle) {
	customers := make([]crm.Customer, benchRows)
	vehicles := make([]crm.Vehicle, benchRows)
	for i := range customers {
		customers[i] = crmtest.Customer(dealer, i)
		vehicles[i] = crmtest.Vehicle(dealer, "", i)
	}
	return customers, vehicles
}

// importBatch upserts customers, then their vehicles with OwnerID set from
// the customers' results, in one transaction, as crm.Service.Import does.
func importBatch(ctx context.Context, s *postgres.Store, dealer crm.DealerID, customers []crm.Customer, vehicles []crm.Vehicle) (cs, vs []crm.UpsertResult, err error) {
	err = s.InTx(ctx, func(ctx context.Context, tx crm.Store) error {
		var err error
		if cs, err = tx.Customers().Upsert(ctx, dealer, customers); err != nil {
			return err
		}
		for i := range vehicles {
			vehicles[i].OwnerID = crm.CustomerID(cs[i].ID)
		}
		vs, err = tx.Vehicles().Upsert(ctx, dealer, vehicles)
		return err
	})
	return cs, vs, err
}

// BenchmarkUpsertCustomersVehicles upserts 100,000 customers and 100,000
// vehicles (one per customer, referring to its owner by ID) in one
// transaction, then the same batch again, which must leave every record
// Unchanged. It reports rows/s of each. Each iteration uses a new dealer,
// so that every first upsert creates.
//
//	go test -run '^$' -bench . -benchtime 1x ./adapters/postgres/
func BenchmarkUpsertCustomersVehicles(b *testing.B) {
	ctx := context.Background()
	s := pgtest.NewStore(b)
	var created, unchanged time.Duration
	for i := 0; b.Loop(); i++ {
		d := crmtest.Dealer(crm.DealerID(dealercrm.NewID()))
		if err := s.Dealers().Create(ctx, &d); err != nil {
			b.Fatal(err)
		}
		customers, vehicles := benchBatch(d.ID)

		start := time.Now()
		cs, vs, err := importBatch(ctx, s, d.ID, customers, vehicles)
		created += time.Since(start)
		if err != nil {
			b.Fatalf("first upsert: %v", err)
		}
		if n := count(cs, crm.Created) + count(vs, crm.Created); n != 2*benchRows {
			b.Fatalf("first upsert created %d records, want %d", n, 2*benchRows)
		}

		start = time.Now()
		cs2, vs2, err := importBatch(ctx, s, d.ID, customers, vehicles)
		unchanged += time.Since(start)
		if err != nil {
			b.Fatalf("second upsert: %v", err)
		}
		if n := count(cs2, crm.Unchanged) + count(vs2, crm.Unchanged); n != 2*benchRows {
			b.Fatalf("re-upsert of the same batch left %d records unchanged, want all %d", n, 2*benchRows)
		}
		for j := range cs {
			if cs2[j].ID != cs[j].ID || vs2[j].ID != vs[j].ID {
				b.Fatalf("re-upsert changed the ID of record %d", j)
			}
		}
	}
	rows := float64(2 * benchRows * b.N)
	b.ReportMetric(rows/created.Seconds(), "rows/s")
	b.ReportMetric(rows/unchanged.Seconds(), "unchanged-rows/s")
	b.ReportMetric(0, "ns/op") // the two phases are reported above
}

// BenchmarkServiceImport runs the same batch through crm.Service.Import,
// which adds validation and the resolution of external references, with
// Vehicle.OwnerID holding the customer's external ID.
func BenchmarkServiceImport(b *testing.B) {
	ctx := context.Background()
	s := pgtest.NewStore(b)
	// One batch of every row: far above the default cap of one import. The
	// fixtures' n-th record is created n hours after crmtest.Base, so the
	// last of 100,000 in 2035: the service's clock is past them all, or
	// plausibility refuses records from the future.
	svc := crm.NewService(s, crm.WithMaxImportRecords(2*benchRows),
		crm.WithClock(func() time.Time { return crmtest.Base.Add(2 * benchRows * time.Hour) }))
	var first, second time.Duration
	for b.Loop() {
		d := crmtest.Dealer(crm.DealerID(dealercrm.NewID()))
		if err := s.Dealers().Create(ctx, &d); err != nil {
			b.Fatal(err)
		}
		customers, vehicles := benchBatch(d.ID)
		for i := range vehicles {
			vehicles[i].OwnerID = crm.CustomerID(customers[i].ExternalID)
		}
		batch := crm.Batch{Customers: customers, Vehicles: vehicles}

		start := time.Now()
		res, err := svc.Import(ctx, d.ID, batch)
		first += time.Since(start)
		if err != nil {
			b.Fatalf("first import: %v", err)
		}
		if n := res.Counts()[crm.Created]; n != 2*benchRows {
			b.Fatalf("first import created %d records, want %d", n, 2*benchRows)
		}
		start = time.Now()
		res, err = svc.Import(ctx, d.ID, batch)
		second += time.Since(start)
		if err != nil {
			b.Fatalf("second import: %v", err)
		}
		if n := res.Counts()[crm.Unchanged]; n != 2*benchRows {
			b.Fatalf("second import left %d records unchanged, want %d", n, 2*benchRows)
		}
	}
	rows := float64(2 * benchRows * b.N)
	b.ReportMetric(rows/first.Seconds(), "rows/s")
	b.ReportMetric(rows/second.Seconds(), "unchanged-rows/s")
	b.ReportMetric(0, "ns/op")
}

func count(rs []crm.UpsertResult, o crm.UpsertOutcome) int {
	n := 0
	for _, r := range rs {
		if r.Outcome == o {
			n++
		}
	}
	return n
}

// TestBenchBatchKeysDistinct checks that the fixtures keep distinct keys at
// benchmark size (crmtest.VIN repeats only beyond 1,000,000).
func TestBenchBatchKeysDistinct(t *testing.T) {
	customers, vehicles := benchBatch("d")
	exts, vins := map[string]bool{}, map[string]bool{}
	for i := range customers {
		exts[customers[i].ExternalID] = true
		vins[vehicles[i].VIN] = true
	}
	if len(exts) != benchRows || len(vins) != benchRows {
		t.Fatalf("got %d distinct external IDs and %d VINs, want %d", len(exts), len(vins), benchRows)
	}
}
