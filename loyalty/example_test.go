package loyalty_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/shopspring/decimal"
)

// exampleService is a club on the memory store with a fixed clock and no
// crm records.
func exampleService() *loyalty.Service {
	svc, err := loyalty.NewService(nil, memory.NewLoyaltyStore(),
		loyalty.WithClock(func() time.Time { return time.Date(2025, 6, 1, 4, 0, 0, 0, time.UTC) }))
	if err != nil {
		panic(err)
	}
	return svc
}

// A member earns on customer-paid maintenance (1 CNY = 1 point, rounded
// down); an insurer-paid repair earns nothing.
func ExampleService_Earn() {
	ctx := context.Background()
	svc := exampleService()
	if _, err := svc.Join(ctx, loyalty.JoinRequest{DealerID: "SH01", CustomerID: "c1", Method: loyalty.JoinSale}); err != nil {
		panic(err)
	}
	for _, o := range []crm.ServiceOrder{
		{ID: "o1", CustomerID: "c1", Date: dealercrm.NewDate(2025, 6, 1), Kind: crm.ServiceMaintenance, Payer: crm.PayerCustomer,
			Labour: decimal.RequireFromString("480.50"), Parts: decimal.NewFromInt(800)},
		{ID: "o2", CustomerID: "c1", Date: dealercrm.NewDate(2025, 6, 1), Kind: crm.ServiceAccident, Payer: crm.PayerInsurer,
			Labour: decimal.NewFromInt(12000)},
	} {
		rec, err := svc.Earn(ctx, loyalty.EarnRequest{DealerID: "SH01", Order: o})
		if err != nil {
			panic(err)
		}
		fmt.Println(o.ID, rec.Entries[0].Points, "points")
	}
	// Output:
	// o1 1280 points
	// o2 0 points
}

// Redemptions never drive the balance below zero; a repeat with the same
// idempotency key returns the first result.
func ExampleService_Redeem() {
	ctx := context.Background()
	svc := exampleService()
	_, _ = svc.Join(ctx, loyalty.JoinRequest{DealerID: "SH01", CustomerID: "c1", Method: loyalty.JoinSale})
	_, _ = svc.Earn(ctx, loyalty.EarnRequest{DealerID: "SH01", Order: crm.ServiceOrder{ID: "o1", CustomerID: "c1",
		Date: dealercrm.NewDate(2025, 6, 1), Kind: crm.ServiceRepair, Payer: crm.PayerCustomer, Labour: decimal.NewFromInt(1000)}})
	req := loyalty.RedeemRequest{DealerID: "SH01", CustomerID: "c1", Points: 600, Purpose: "voucher", IdempotencyKey: "v-1"}
	first, _ := svc.Redeem(ctx, req)
	again, _ := svc.Redeem(ctx, req)
	fmt.Println(first.Entries[0].ID, first.Entries[0].Points, again.Entries[0].ID, again.Replayed)
	_, err := svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: "SH01", CustomerID: "c1", Points: 600, IdempotencyKey: "v-2"})
	fmt.Println(errors.Is(err, loyalty.ErrInsufficientPoints))
	st, _ := svc.Statement(ctx, "SH01", "c1", dealercrm.Date{})
	fmt.Println(st.Balances.Available, st.Balances.Cumulative)
	// Output:
	// c1.2 -600 c1.2 true
	// true
	// 400 1000
}

// Seed 003: an upgrade by deducting 2,000 redeemable points.
func ExampleService_Upgrade() {
	ctx := context.Background()
	svc := exampleService()
	_, _ = svc.Join(ctx, loyalty.JoinRequest{DealerID: "SH01", CustomerID: "c1", Method: loyalty.JoinSale})
	_, _ = svc.Earn(ctx, loyalty.EarnRequest{DealerID: "SH01", Order: crm.ServiceOrder{ID: "o1", CustomerID: "c1",
		Date: dealercrm.NewDate(2025, 6, 1), Kind: crm.ServiceRepair, Payer: crm.PayerCustomer, Labour: decimal.NewFromInt(2500)}})
	rec, err := svc.Upgrade(ctx, loyalty.ChangeRequest{DealerID: "SH01", CustomerID: "c1", Method: "points", IdempotencyKey: "k81"})
	if err != nil {
		panic(err)
	}
	fmt.Println(rec.Event.FromTier, "→", rec.Membership.Tier, "by", rec.Event.Method, rec.Entries[0].Points)
	// Output:
	// silver → gold by points -2000
}

// Program.Earn explains the points of a gold member's repair in a double
// points campaign.
func ExampleProgram_Earn() {
	p := loyalty.DefaultProgram()
	p.Campaigns = []loyalty.CampaignMultiplier{{Name: "双倍积分周", From: dealercrm.NewDate(2025, 6, 1), To: dealercrm.NewDate(2025, 6, 7),
		Multiplier: decimal.NewFromInt(2)}}
	e := p.Earn(&crm.ServiceOrder{Date: dealercrm.NewDate(2025, 6, 3), Kind: crm.ServiceRepair, Payer: crm.PayerCustomer,
		Labour: decimal.RequireFromString("999.99")}, loyalty.Gold)
	fmt.Println(e.Points, e.TierMultiplier, e.CampaignMultiplier, e.Campaign)
	// Output:
	// 2399 1.2 2 双倍积分周
}
