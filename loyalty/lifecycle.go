package loyalty

import (
	"context"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
)

// Service is the lifecycle plan's source of club memberships: the
// membership renewal rule and rule conditions on tiers.
var _ lifecycle.MembershipSource = (*Service)(nil)

// Memberships implements lifecycle.MembershipSource: the tier and the last
// valid day of each active member of the dealer (of its group's programme
// in a group).
func (s *Service) Memberships(ctx context.Context, dealer crm.DealerID) (map[crm.CustomerID]lifecycle.Membership, error) {
	out := map[crm.CustomerID]lifecycle.Membership{}
	err := crm.Each(ctx, func(after string) (crm.Page[Membership], error) {
		return s.ListMemberships(ctx, dealer, MembershipFilter{Status: StatusActive, PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	}, func(m *Membership) error {
		out[m.CustomerID] = lifecycle.Membership{Tier: string(m.Tier), End: m.ValidUntil}
		return nil
	})
	return out, err
}

var _ lifecycle.MembershipLookup = (*Service)(nil)

// MembershipsOf implements lifecycle.MembershipLookup: Memberships of
// some customers only, in one store query per 1,000 (the call list's page).
func (s *Service) MembershipsOf(ctx context.Context, dealer crm.DealerID, customers []crm.CustomerID) (map[crm.CustomerID]lifecycle.Membership, error) {
	out := make(map[crm.CustomerID]lifecycle.Membership, len(customers))
	if len(customers) == 0 {
		return out, nil
	}
	err := crm.Each(ctx, func(after string) (crm.Page[Membership], error) {
		return s.ListMemberships(ctx, dealer, MembershipFilter{Status: StatusActive, CustomerIDs: customers, PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	}, func(m *Membership) error {
		out[m.CustomerID] = lifecycle.Membership{Tier: string(m.Tier), End: m.ValidUntil}
		return nil
	})
	return out, err
}
