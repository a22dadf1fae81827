package memory_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
)

func Example() {
	ctx := context.Background()
	s := memory.New()

	d := crm.Dealer{ID: "SH01", Name: "Shanghai Pudong 4S"}
	if err := s.Dealers().Create(ctx, &d); err != nil {
		panic(err)
	}
	c := crm.Customer{
		ID:     "c1",
		Record: crm.Record{DealerID: "SH01", ExternalID: "DMS-1001"},
		Kind:   crm.Individual,
		Name:   "Li Wei",
	}
	if err := s.Customers().Create(ctx, &c); err != nil {
		panic(err)
	}

	got, err := s.Customers().GetByExternalID(ctx, "SH01", "DMS-1001")
	fmt.Println(got.Name, err)

	// Records are scoped to their dealer.
	_, err = s.Customers().Get(ctx, "SZ01", "c1")
	fmt.Println(errors.Is(err, crm.ErrNotFound))

	// External IDs are unique per dealer.
	dup := crm.Customer{ID: "c2", Record: crm.Record{DealerID: "SH01", ExternalID: "DMS-1001"}, Name: "Wang Fang"}
	err = s.Customers().Create(ctx, &dup)
	fmt.Println(errors.Is(err, crm.ErrConflict))
	// Output:
	// Li Wei <nil>
	// true
	// true
}

func ExampleStore_InTx() {
	ctx := context.Background()
	s := memory.New()
	errNoStock := errors.New("no car in stock")

	err := s.InTx(ctx, func(ctx context.Context, tx crm.Store) error {
		c := crm.Customer{ID: "c1", Record: crm.Record{DealerID: "SH01"}, Name: "Li Wei"}
		if err := tx.Customers().Create(ctx, &c); err != nil {
			return err
		}
		return errNoStock // rolls the customer back
	})
	fmt.Println(err)

	_, err = s.Customers().Get(ctx, "SH01", "c1")
	fmt.Println(errors.Is(err, crm.ErrNotFound))
	// Output:
	// no car in stock
	// true
}

func ExampleStore_Customers_upsert() {
	ctx := context.Background()
	s := memory.New()
	batch := []crm.Customer{
		{ID: "c1", Record: crm.Record{ExternalID: "DMS-1"}, Name: "Li Wei"},
		{ID: "c2", Record: crm.Record{ExternalID: "DMS-2"}, Name: "Wang Fang"},
	}
	res, _ := s.Customers().Upsert(ctx, "SH01", batch)
	fmt.Println(res[0].Outcome, res[1].Outcome)

	// A nightly sync sends the same records again, one of them changed.
	batch[1].Mobile = "13800138000"
	res, _ = s.Customers().Upsert(ctx, "SH01", batch)
	fmt.Println(res[0].Outcome, res[1].Outcome)
	// Output:
	// created created
	// unchanged updated
}

// ExampleNewStores wires the services of every package in memory; on
// Postgres, (*postgres.Store).Stores gives the same set.
func ExampleNewStores() {
	ctx := context.Background()
	stores := memory.NewStores()
	svc := crm.NewService(stores.CRM)
	club, err := loyalty.NewService(stores.CRM, stores.Loyalty)
	if err != nil {
		panic(err)
	}
	svc.AddPersonalData(club) // a customer's export and erasure reach the club

	if _, err := svc.CreateDealer(ctx, crm.Dealer{ID: "SH01", Name: "Shanghai Pudong 4S"}); err != nil {
		panic(err)
	}
	d, err := stores.CRM.Dealers().Get(ctx, "SH01")
	fmt.Println(d.Name, err)
	// Output:
	// Shanghai Pudong 4S <nil>
}
