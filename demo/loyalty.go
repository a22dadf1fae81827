package demo

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
)

// LoyaltyMembers is how many customers of each demo store SeedLoyalty
// makes club members.
const LoyaltyMembers = 8

// SeedLoyalty starts each demo store's club: the first LoyaltyMembers
// customers (in ID order) with a service order in the year before today
// join 300 days before today (the first by sale, the others bringing a car),
// earn the points of their orders since then in date order (insurer-paid and
// warranty work earn nothing), and every third redeems a 100-point voucher
// after the last order. Seeding again changes nothing: every command has an
// idempotency key.
func SeedLoyalty(ctx context.Context, crmSvc *crm.Service, svc *loyalty.Service, data Data) error {
	store := crmSvc.Store()
	joined := data.Options.Today.AddDays(-300)
	for _, dd := range data.Dealers {
		dealer := dd.Dealer.ID
		wrap := func(err error) error { return fmt.Errorf("demo: seed loyalty of dealer %s: %w", dealer, err) }
		byCustomer := map[crm.CustomerID][]crm.ServiceOrder{}
		err := crm.Each(ctx, func(after string) (crm.Page[crm.ServiceOrder], error) {
			return store.ServiceOrders().List(ctx, dealer, crm.ServiceOrderFilter{Dates: crm.DateRange{From: joined, To: data.Options.Today.AddDays(1)},
				PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
		}, func(o *crm.ServiceOrder) error {
			if o.CustomerID != "" {
				byCustomer[o.CustomerID] = append(byCustomer[o.CustomerID], *o)
			}
			return nil
		})
		if err != nil {
			return wrap(err)
		}
		customers := make([]crm.CustomerID, 0, len(byCustomer))
		for c := range byCustomer {
			customers = append(customers, c)
		}
		slices.Sort(customers)
		for i, c := range customers[:min(LoyaltyMembers, len(customers))] {
			method := loyalty.JoinBringCar
			if i == 0 {
				method = loyalty.JoinSale
			}
			_, err := svc.Join(ctx, loyalty.JoinRequest{DealerID: dealer, CustomerID: c, Method: method, Date: joined, IdempotencyKey: "demo-join-" + string(c)})
			if err != nil && !errors.Is(err, loyalty.ErrInvalidTransition) {
				return wrap(err)
			}
			orders := byCustomer[c]
			slices.SortFunc(orders, func(a, b crm.ServiceOrder) int {
				if n := a.Date.Compare(b.Date); n != 0 {
					return n
				}
				return compareIDs(string(a.ID), string(b.ID))
			})
			for _, o := range orders {
				if _, err := svc.Earn(ctx, loyalty.EarnRequest{DealerID: dealer, Order: o, Date: o.Date}); err != nil {
					return wrap(err)
				}
			}
			if i%3 == 0 {
				last := orders[len(orders)-1].Date
				_, err := svc.Redeem(ctx, loyalty.RedeemRequest{DealerID: dealer, CustomerID: c, Points: 100, Purpose: "voucher",
					Ref: "demo-voucher", Date: last, IdempotencyKey: "demo-redeem-" + string(c)})
				if err != nil && !errors.Is(err, loyalty.ErrInsufficientPoints) {
					return wrap(err)
				}
			}
		}
	}
	return nil
}

func compareIDs(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
