package campaign

import (
	"context"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
)

// MembershipLister is what campaign reads club tiers through;
// *loyalty.Service implements it.
type MembershipLister interface {
	ListMemberships(ctx context.Context, dealer crm.DealerID, f loyalty.MembershipFilter) (crm.Page[loyalty.Membership], error)
}

// Tiers returns an AttributeSource giving each active club member's tier,
// for RefreshProfiles (lapsed and cancelled members have none).
func Tiers(l MembershipLister) AttributeSource {
	return AttributeFunc(func(ctx context.Context, dealer crm.DealerID, _ dealercrm.Date, fn func(crm.CustomerID, Attributes) error) error {
		return crm.Each(ctx, func(after string) (crm.Page[loyalty.Membership], error) {
			return l.ListMemberships(ctx, dealer, loyalty.MembershipFilter{Status: loyalty.StatusActive, PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
		}, func(m *loyalty.Membership) error {
			return fn(m.CustomerID, Attributes{Tier: string(m.Tier)})
		})
	})
}
