package loyalty_test

import (
	"context"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/dealercrm/dealercrm/loyalty/loyaltytest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The lifecycle plan sees active members with their tier and last valid
// day (a year from joining on 2025-03-01 by default); cancelled members
// are left out.
func TestMembershipsForLifecycle(t *testing.T) {
	ctx := context.Background()
	svc, err := loyalty.NewService(nil, memory.NewLoyaltyStore(), loyalty.WithClock(loyaltytest.Clock))
	require.NoError(t, err)
	loyaltytest.Member(t, svc, dealer, "c1", 0)
	loyaltytest.Member(t, svc, dealer, "c2", 0)
	_, err = svc.Cancel(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c2", Date: loyaltytest.Day, Reason: "moved away"})
	require.NoError(t, err)
	got, err := svc.Memberships(ctx, dealer)
	require.NoError(t, err)
	v, err := svc.Member(ctx, dealer, "c1")
	require.NoError(t, err)
	m := v.Membership
	assert.Equal(t, map[crm.CustomerID]lifecycle.Membership{"c1": {Tier: string(m.Tier), End: m.ValidUntil}}, got)
	assert.Equal(t, "2026-02-28", m.ValidUntil.String())
}
