package grading

import (
	"context"
	"slices"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
)

// ScanFacts computes every customer's Facts of dealer for a run as of asOf
// from the crm records, read page by page (crm.MaxLimit at a time): memory
// grows with the number of customers (one Facts each) and sales, not with
// service orders or other records. Records dated on or after asOf are
// ignored. A service order or policy without a customer counts for the
// vehicle's owner. It calls fn in ascending customer ID order.
func ScanFacts(ctx context.Context, store crm.Store, dealer crm.DealerID, asOf dealercrm.Date, window crm.DateRange, fn func(*Facts) error) error {
	d, err := store.Dealers().Get(ctx, dealer)
	if err != nil {
		return err
	}
	loc := d.Location()
	facts := map[crm.CustomerID]*Facts{}
	var ids []crm.CustomerID
	page := crm.PageRequest{Limit: crm.MaxLimit}
	if err := each(ctx, func(p crm.PageRequest) (crm.Page[crm.Customer], error) {
		return store.Customers().List(ctx, dealer, crm.CustomerFilter{PageRequest: p})
	}, page, func(c *crm.Customer) {
		facts[c.ID] = &Facts{DealerID: dealer, CustomerID: c.ID, Region: c.Region, Industry: c.Industry,
			Occupation: c.Occupation, Since: dealercrm.DateIn(c.CreatedAt, loc)}
		ids = append(ids, c.ID)
	}); err != nil {
		return err
	}

	// Sales: the first (by date, then ID) is the new-car sale, the rest add
	// or replacement purchases.
	type first struct {
		date  dealercrm.Date
		id    crm.SaleID
		value decimal.Decimal
		seen  bool
	}
	firsts := map[crm.CustomerID]*first{}
	saleValue := map[crm.SaleID]decimal.Decimal{}
	if err := each(ctx, func(p crm.PageRequest) (crm.Page[crm.Sale], error) {
		return store.Sales().List(ctx, dealer, crm.SaleFilter{PageRequest: p})
	}, page, func(s *crm.Sale) {
		if !s.Date.Before(asOf) {
			return
		}
		amount, profit := s.ValueChainTotal()
		value := s.GrossProfit.Add(profit)
		saleValue[s.ID] = value
		f := facts[s.CustomerID]
		if f == nil {
			return
		}
		f.SalesRevenue = f.SalesRevenue.Add(s.Price).Add(amount)
		fs := firsts[s.CustomerID]
		if fs == nil {
			fs = &first{}
			firsts[s.CustomerID] = fs
		}
		if !fs.seen {
			*fs = first{date: s.Date, id: s.ID, value: value, seen: true}
			return
		}
		f.AddPurchases++
		if s.Date.Before(fs.date) || (s.Date == fs.date && s.ID < fs.id) {
			f.AddPurchaseValue = f.AddPurchaseValue.Add(fs.value)
			*fs = first{date: s.Date, id: s.ID, value: value, seen: true}
		} else {
			f.AddPurchaseValue = f.AddPurchaseValue.Add(value)
		}
	}); err != nil {
		return err
	}
	for id, fs := range firsts {
		f := facts[id]
		f.NewCarValue = fs.value
		f.Since = fs.date
	}

	owners := map[crm.VehicleID]crm.CustomerID{}
	if err := each(ctx, func(p crm.PageRequest) (crm.Page[crm.Vehicle], error) {
		return store.Vehicles().List(ctx, dealer, crm.VehicleFilter{PageRequest: p})
	}, page, func(v *crm.Vehicle) {
		if v.OwnerID != "" {
			owners[v.ID] = v.OwnerID
		}
	}); err != nil {
		return err
	}
	whose := func(c crm.CustomerID, v crm.VehicleID) *Facts {
		if c == "" {
			c = owners[v]
		}
		return facts[c]
	}

	if err := each(ctx, func(p crm.PageRequest) (crm.Page[crm.ServiceOrder], error) {
		return store.ServiceOrders().List(ctx, dealer, crm.ServiceOrderFilter{PageRequest: p})
	}, page, func(o *crm.ServiceOrder) {
		f := whose(o.CustomerID, o.VehicleID)
		if f == nil || !o.Date.Before(asOf) {
			return
		}
		if o.Date.After(f.LastVisit) {
			f.LastVisit = o.Date
		}
		if !window.Contains(o.Date) {
			return
		}
		f.Visits++
		total := o.Total()
		if i := PayerIndex(o.Payer); i >= 0 {
			f.ServiceByPayer[i] = f.ServiceByPayer[i].Add(total)
		}
		if i := KindIndex(o.Kind); i >= 0 {
			f.ServiceByKind[i] = f.ServiceByKind[i].Add(total)
		}
	}); err != nil {
		return err
	}

	if err := each(ctx, func(p crm.PageRequest) (crm.Page[crm.InsurancePolicy], error) {
		return store.Policies().List(ctx, dealer, crm.PolicyFilter{PageRequest: p})
	}, page, func(p *crm.InsurancePolicy) {
		if f := whose(p.CustomerID, p.VehicleID); f != nil && p.Renewal && p.Start.Before(asOf) {
			f.Renewals++
		}
	}); err != nil {
		return err
	}

	if err := each(ctx, func(p crm.PageRequest) (crm.Page[crm.Lead], error) {
		return store.Leads().List(ctx, dealer, crm.LeadFilter{PageRequest: p})
	}, page, func(l *crm.Lead) {
		f := facts[l.ReferrerID]
		if f == nil || l.ReferrerID == "" || !dealercrm.DateIn(l.CreatedAt, loc).Before(asOf) {
			return
		}
		f.Referrals++
		if v, ok := saleValue[l.SaleID]; ok && l.Status == crm.LeadConverted {
			f.ReferralsConverted++
			f.ReferralValue = f.ReferralValue.Add(v)
		}
	}); err != nil {
		return err
	}

	if err := each(ctx, func(p crm.PageRequest) (crm.Page[crm.EventParticipation], error) {
		return store.Participations().List(ctx, dealer, crm.ParticipationFilter{PageRequest: p})
	}, page, func(e *crm.EventParticipation) {
		if f := facts[e.CustomerID]; f != nil && e.Attended && window.Contains(e.Date) {
			f.Events++
		}
	}); err != nil {
		return err
	}

	slices.Sort(ids)
	for _, id := range ids {
		if err := fn(facts[id]); err != nil {
			return err
		}
	}
	return nil
}

// each reads every page of a listing, starting from p, and calls fn with
// each item.
func each[T any](ctx context.Context, list func(crm.PageRequest) (crm.Page[T], error), p crm.PageRequest, fn func(*T)) error {
	return crm.Each(ctx, func(after string) (crm.Page[T], error) {
		p.After = after
		return list(p)
	}, func(v *T) error {
		fn(v)
		return nil
	})
}
