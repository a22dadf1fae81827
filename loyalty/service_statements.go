package loyalty

import (
	"context"
	"fmt"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
)

// Notice tells a member that points will expire.
type Notice struct {
	CustomerID crm.CustomerID `json:"customer_id"`
	Points     int64          `json:"points"`
	// ExpiresOn is the first day the points are gone (the earliest, when
	// several lots expire in the window).
	ExpiresOn dealercrm.Date `json:"expires_on"`
}

// ExpiryNotices lists the members whose points expire within the program's
// notice days after asOf, with how many.
func (s *Service) ExpiryNotices(ctx context.Context, dealer crm.DealerID, asOf dealercrm.Date) ([]Notice, error) {
	asOf, err := s.readDate(ctx, dealer, "as_of", asOf)
	if err != nil {
		return nil, err
	}
	due, err := s.store.DueLots(ctx, s.program.AccountDealer(dealer), asOf.AddDays(s.program.Points.NoticeDays))
	if err != nil {
		return nil, fmt.Errorf("loyalty: due lots of %s: %w", dealer, err)
	}
	out := []Notice{}
	for _, d := range due {
		if !d.Lot.ExpiresOn.After(asOf) {
			continue // overdue: the expiry job's, not a notice
		}
		if n := len(out); n > 0 && out[n-1].CustomerID == d.CustomerID {
			out[n-1].Points += d.Lot.Remaining
			if d.Lot.ExpiresOn.Before(out[n-1].ExpiresOn) {
				out[n-1].ExpiresOn = d.Lot.ExpiresOn
			}
			continue
		}
		out = append(out, Notice{CustomerID: d.CustomerID, Points: d.Lot.Remaining, ExpiresOn: d.Lot.ExpiresOn})
	}
	return out, nil
}

// Statement is a customer's points and membership as of a date.
type Statement struct {
	CustomerID crm.CustomerID `json:"customer_id"`
	AsOf       dealercrm.Date `json:"as_of"`
	Balances   Balances       `json:"balances"`
	Lots       []Lot          `json:"lots"`
	// Tier, Status and ValidUntil are the membership's on the date (empty
	// before joining).
	Tier       Tier           `json:"tier,omitempty"`
	Status     Status         `json:"status,omitempty"`
	ValidUntil dealercrm.Date `json:"valid_until,omitzero"`
}

// Statement returns the customer's balances, lots and tier as of a date
// (today when zero): for a past date the ledger is replayed up to it, so
// the answer is what the ledger said then, for disputes and audits. A
// customer the store does not have is ErrNotFound.
func (s *Service) Statement(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID, asOf dealercrm.Date) (Statement, error) {
	asOf, err := s.readDate(ctx, dealer, "as_of", asOf)
	if err != nil {
		return Statement{}, err
	}
	if err := s.customerExists(ctx, dealer, customer); err != nil {
		return Statement{}, err
	}
	dealer = s.program.AccountDealer(dealer)
	st := Statement{CustomerID: customer, AsOf: asOf}
	acct, err := s.store.Account(ctx, dealer, customer)
	if err != nil {
		return st, fmt.Errorf("loyalty: account of %s: %w", customer, err)
	}
	if acct.d.LastDate.After(asOf) {
		entries, err := crm.All(ctx, func(after string) (crm.Page[Entry], error) {
			return s.store.Entries(ctx, dealer, customer, EntryFilter{Until: asOf, PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
		})
		if err != nil {
			return st, fmt.Errorf("loyalty: entries of %s: %w", customer, err)
		}
		if acct, err = Replay(dealer, customer, entries); err != nil {
			return st, err
		}
	}
	st.Balances, st.Lots = acct.Balances(asOf), acct.Lots()
	events, err := s.store.MembershipEvents(ctx, dealer, customer)
	if err != nil {
		return st, fmt.Errorf("loyalty: membership events of %s: %w", customer, err)
	}
	for _, ev := range events {
		if ev.Date.After(asOf) {
			break
		}
		st.Tier, st.Status, st.ValidUntil = ev.ToTier, ev.ToStatus, ev.ValidUntil
	}
	return st, nil
}

// MemberView is a member with its benefits and points.
type MemberView struct {
	Membership Membership `json:"membership"`
	// Benefits is the tier's package; Remaining the free services left in
	// the period, by code.
	Benefits  Benefits       `json:"benefits"`
	Remaining map[string]int `json:"remaining"`
	Balances  Balances       `json:"balances"`
	// NextTier and PointsToNext tell how far the next tier is by
	// cumulative points (empty in the top tier).
	NextTier     Tier              `json:"next_tier,omitempty"`
	PointsToNext int64             `json:"points_to_next,omitempty"`
	History      []MembershipEvent `json:"history"`
}

// Member returns the customer's membership with benefits, points and
// history, or ErrNotFound (also for a customer the store does not have).
func (s *Service) Member(ctx context.Context, store crm.DealerID, customer crm.CustomerID) (MemberView, error) {
	if err := s.customerExists(ctx, store, customer); err != nil {
		return MemberView{}, err
	}
	today, err := s.Today(ctx, store)
	if err != nil {
		return MemberView{}, err
	}
	dealer := s.program.AccountDealer(store)
	m, err := s.store.Membership(ctx, dealer, customer)
	if err != nil {
		return MemberView{}, fmt.Errorf("loyalty: membership of %s: %w", customer, err)
	}
	acct, err := s.store.Account(ctx, dealer, customer)
	if err != nil {
		return MemberView{}, fmt.Errorf("loyalty: account of %s: %w", customer, err)
	}
	hist, err := s.store.MembershipEvents(ctx, dealer, customer)
	if err != nil {
		return MemberView{}, fmt.Errorf("loyalty: membership events of %s: %w", customer, err)
	}
	v := MemberView{Membership: m, Balances: acct.Balances(today), History: hist, Remaining: map[string]int{}}
	if spec, ok := s.program.TierSpec(m.Tier); ok {
		v.Benefits = spec.Benefits
		for _, f := range spec.Benefits.FreeServices {
			v.Remaining[f.Code] = max(0, f.PerYear-m.Used[f.Code])
		}
	}
	if next, ok := s.program.Next(m.Tier); ok {
		v.NextTier, v.PointsToNext = next.Tier, max(0, next.Threshold-v.Balances.Cumulative)
	}
	return v, nil
}

// Entries lists a customer's ledger entries in sequence order (a customer
// the store does not have is ErrNotFound).
func (s *Service) Entries(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID, f EntryFilter) (crm.Page[Entry], error) {
	if err := s.customerExists(ctx, dealer, customer); err != nil {
		return crm.Page[Entry]{}, err
	}
	p, err := s.store.Entries(ctx, s.program.AccountDealer(dealer), customer, f)
	if err != nil {
		return p, fmt.Errorf("loyalty: entries of %s: %w", customer, err)
	}
	return p, nil
}

// StoreLiability is the points outstanding that were earned at one store
// and their value at the redemption rate.
type StoreLiability struct {
	Store  crm.DealerID    `json:"store"`
	Points int64           `json:"points"`
	Value  decimal.Decimal `json:"value"`
}

// Liability is the club's outstanding points liability by store.
type Liability struct {
	PointsPerCNY int64            `json:"points_per_cny"`
	Stores       []StoreLiability `json:"stores"`
	Points       int64            `json:"points"`
	Value        decimal.Decimal  `json:"value"`
}

// Liability reports the points outstanding (earned and not yet spent or
// expired) per store where they were earned, valued at the program's
// points per CNY, for the dealer's accounts (a group's, for a store of a
// group programme).
func (s *Service) Liability(ctx context.Context, dealer crm.DealerID) (Liability, error) {
	rows, err := s.store.Outstanding(ctx, s.program.AccountDealer(dealer))
	if err != nil {
		return Liability{}, fmt.Errorf("loyalty: liability: %w", err)
	}
	per := decimal.NewFromInt(s.program.Points.PointsPerCNY)
	l := Liability{PointsPerCNY: s.program.Points.PointsPerCNY, Stores: []StoreLiability{}, Value: decimal.Zero}
	for _, r := range rows {
		v := decimal.NewFromInt(r.Points).DivRound(per, 2)
		l.Stores = append(l.Stores, StoreLiability{Store: r.Store, Points: r.Points, Value: v})
		if l.Points, err = sumPoints(l.Points, r.Points); err != nil {
			return Liability{}, fmt.Errorf("loyalty: liability: %w", err)
		}
		l.Value = l.Value.Add(v)
	}
	return l, nil
}
