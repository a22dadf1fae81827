package demo_test

import (
	"context"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/demo"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSeedLoyalty: each demo store has members with ledger history, and
// seeding again changes nothing.
func TestSeedLoyalty(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	data := demo.Generate(demo.Options{Seed: 1, Customers: 200})
	csvc := crm.NewService(store)
	require.NoError(t, demo.Seed(ctx, csvc, data))
	lstore := memory.NewLoyaltyStore()
	svc, err := loyalty.NewService(store, lstore)
	require.NoError(t, err)
	require.NoError(t, demo.SeedLoyalty(ctx, csvc, svc, data))
	d := data.Dealers[0].Dealer.ID
	p, err := svc.ListMemberships(ctx, d, loyalty.MembershipFilter{})
	require.NoError(t, err)
	require.Len(t, p.Items, demo.LoyaltyMembers)
	count := func() int {
		n := 0
		for _, m := range p.Items {
			es, err := svc.Entries(ctx, d, m.CustomerID, loyalty.EntryFilter{PageRequest: crm.PageRequest{Limit: crm.MaxLimit}})
			require.NoError(t, err)
			n += len(es.Items)
		}
		return n
	}
	entries := count()
	assert.Greater(t, entries, demo.LoyaltyMembers, "members have ledger history")
	l, err := svc.Liability(ctx, d)
	require.NoError(t, err)
	assert.Positive(t, l.Points, "points are outstanding")
	require.NoError(t, demo.SeedLoyalty(ctx, csvc, svc, data))
	assert.Equal(t, entries, count(), "seeding again posts nothing")
}
