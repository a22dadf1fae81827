package crm_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
)

func ExampleService_CreateVehicle() {
	ctx := context.Background()
	svc := crm.NewService(memory.New())
	_, _ = svc.CreateDealer(ctx, crm.Dealer{ID: "SH01", Name: "上海4S店"})

	_, err := svc.CreateVehicle(ctx, "SH01", crm.Vehicle{VIN: "1M8GDM9A1KP042788", Price: decimal.NewFromInt(-1)})
	var ve *crm.ValidationError
	if errors.As(err, &ve) {
		for _, f := range ve.Fields {
			fmt.Printf("%s: %s\n", f.Field, f.Rule)
		}
	}
	fmt.Println(dealercrm.ErrorCode(err))
	// Output:
	// vin: vin_check_digit
	// model: required
	// price: non_negative
	// invalid
}

func ExampleService_ConvertLead() {
	ctx := context.Background()
	svc := crm.NewService(memory.New())
	_, _ = svc.CreateDealer(ctx, crm.Dealer{ID: "SH01", Name: "上海4S店"})

	lead, _ := svc.CreateLead(ctx, "SH01", crm.Lead{Name: "李娜", Mobile: "13800138000", Source: crm.SourceWalkIn, ModelOfInterest: "SUV"})
	lead, _ = svc.SetLeadLevel(ctx, "SH01", lead.ID, crm.LevelH)

	res, err := svc.ConvertLead(ctx, "SH01", lead.ID, crm.Conversion{
		Vehicle: crm.Vehicle{VIN: "1M8GDM9AXKP042788", Price: decimal.RequireFromString("189900")},
		Sale:    crm.Sale{Date: dealercrm.MustParseDate("2025-06-01")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Lead.Level, res.Lead.Status)
	fmt.Println(res.Customer.Name, res.Vehicle.Model, res.Sale.Price)
	fmt.Println(res.Vehicle.OwnerID == res.Customer.ID)
	// Output:
	// D converted
	// 李娜 SUV 189900
	// true
}

func ExampleService_Import() {
	ctx := context.Background()
	svc := crm.NewService(memory.New())
	_, _ = svc.CreateDealer(ctx, crm.Dealer{ID: "SH01", Name: "上海4S店"})

	// References hold the DMS's own ids: the vehicle's owner is customer "C-1".
	batch := crm.Batch{
		Customers: []crm.Customer{{Record: crm.Record{ExternalID: "C-1"}, Name: "王伟"}},
		Vehicles:  []crm.Vehicle{{Record: crm.Record{ExternalID: "V-1"}, VIN: "1M8GDM9AXKP042788", Model: "SUV", OwnerID: "C-1"}},
	}
	for range 2 {
		res, err := svc.Import(ctx, "SH01", batch)
		if err != nil {
			fmt.Println(err)
			return
		}
		n := res.Counts()
		fmt.Printf("created %d, updated %d, unchanged %d\n", n[crm.Created], n[crm.Updated], n[crm.Unchanged])
	}
	// Output:
	// created 2, updated 0, unchanged 0
	// created 0, updated 0, unchanged 2
}

func ExampleService_DuplicateCandidates() {
	ctx := context.Background()
	stores := memory.NewStores()
	svc := crm.NewService(stores.CRM)
	_, _ = svc.CreateDealer(ctx, crm.Dealer{ID: "SH01", Name: "上海4S店"})
	a, _ := svc.CreateCustomer(ctx, "SH01", crm.Customer{Name: "王伟", Mobile: "139 0000 1111"})
	b, _ := svc.CreateCustomer(ctx, "SH01", crm.Customer{Name: "王 伟", Mobile: "+86 139-0000-1111"})
	_, _ = svc.CreateVehicle(ctx, "SH01", crm.Vehicle{VIN: "1M8GDM9AXKP042788", Model: "SUV", OwnerID: b.ID})

	page, _ := svc.DuplicateCandidates(ctx, "SH01", crm.DuplicateFilter{})
	for _, c := range page.Items {
		fmt.Println(c.Score, c.Matches)
	}

	// The second entry merges into the first: its vehicle moves, and it
	// says where it went.
	res, err := svc.MergeCustomers(ctx, "SH01", a.ID, b.ID)
	fmt.Println(err, res.Moved["vehicles"], res.Merged.MergedInto == a.ID)
	page, _ = svc.DuplicateCandidates(ctx, "SH01", crm.DuplicateFilter{})
	fmt.Println(len(page.Items))
	// Output:
	// 90 [{name_mobile 139****1111}]
	// <nil> 1 true
	// 0
}
