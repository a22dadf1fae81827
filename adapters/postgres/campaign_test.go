package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/demo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/campaign/campaigntest"
)

func TestCampaignStoreConformance(t *testing.T) {
	campaigntest.RunStoreTests(t, func(t *testing.T) campaign.Store { return pgtest.NewStore(t).Campaigns() })
}

func TestCampaignServiceConformance(t *testing.T) {
	campaigntest.RunServiceTests(t, func(t *testing.T) (crm.Store, campaign.Store) {
		s := pgtest.NewStore(t)
		return s, s.Campaigns()
	})
}

// TestCampaignDemoMatchesMemory runs the demo's campaigns on Postgres and
// on the memory store over the same crm records (copied from Postgres, IDs
// included, since the split and the holdout hash the IDs): audiences,
// funnels, uplift and the channel and value-chain reports are the same.
func TestCampaignDemoMatchesMemory(t *testing.T) {
	ctx := context.Background()
	data := demo.Generate(demo.Options{Seed: 5, Customers: 120})
	pg := pgtest.NewStore(t)
	require.NoError(t, demo.Seed(ctx, crm.NewService(pg), data))
	mem := memory.New()
	for _, d := range data.Dealers {
		id := d.Dealer.ID
		dl, err := pg.Dealers().Get(ctx, id)
		require.NoError(t, err)
		require.NoError(t, mem.Dealers().Create(ctx, &dl))
		copyAll(t, pg.Customers(), mem.Customers(), id, func(p crm.PageRequest) crm.CustomerFilter { return crm.CustomerFilter{PageRequest: p} })
		copyAll(t, pg.Vehicles(), mem.Vehicles(), id, func(p crm.PageRequest) crm.VehicleFilter { return crm.VehicleFilter{PageRequest: p} })
		copyAll(t, pg.Sales(), mem.Sales(), id, func(p crm.PageRequest) crm.SaleFilter { return crm.SaleFilter{PageRequest: p} })
		copyAll(t, pg.ServiceOrders(), mem.ServiceOrders(), id, func(p crm.PageRequest) crm.ServiceOrderFilter { return crm.ServiceOrderFilter{PageRequest: p} })
		copyAll(t, pg.Leads(), mem.Leads(), id, func(p crm.PageRequest) crm.LeadFilter { return crm.LeadFilter{PageRequest: p} })
	}
	clock := campaign.WithClock(func() time.Time { return time.Date(2025, 6, 30, 2, 0, 0, 0, time.UTC) })
	reports := func(crmStore crm.Store, store campaign.Store) map[string]string {
		svc, err := campaign.NewService(crmStore, store, clock)
		require.NoError(t, err)
		require.NoError(t, demo.SeedCampaigns(ctx, svc, data))
		out := map[string]string{}
		for _, d := range data.Dealers {
			id := d.Dealer.ID
			p, err := svc.List(ctx, id, campaign.Filter{})
			require.NoError(t, err)
			require.Len(t, p.Items, 2)
			for _, c := range p.Items {
				ms, err := svc.Members(ctx, id, c.ID)
				require.NoError(t, err)
				require.NotEmpty(t, ms)
				f, err := svc.Funnel(ctx, id, c.ID)
				require.NoError(t, err)
				u, err := svc.Uplift(ctx, id, c.ID)
				require.NoError(t, err)
				out[string(c.ID)] = campaigntest.JSON(t, []any{c.Status, c.Cost(), ms, f, u})
			}
			ch, err := svc.Channels(ctx, id, crm.DateRange{From: data.Options.Today.AddDays(-150), To: data.Options.Today})
			require.NoError(t, err)
			vc, err := svc.ValueChain(ctx, id, data.Options.Today.AddMonths(-1))
			require.NoError(t, err)
			out[string(id)] = campaigntest.JSON(t, []any{ch, vc})
		}
		return out
	}
	want := reports(mem, memory.NewCampaignStore())
	got := reports(pg, pg.Campaigns())
	require.Len(t, got, len(want))
	for k, v := range want {
		assert.JSONEq(t, v, got[k], "%s is the same on Postgres", k)
	}
}

// copyAll copies every record of a dealer from one repository to another.
func copyAll[T any, ID ~string, F any](t *testing.T, from, to crm.Repository[T, ID, F], dealer crm.DealerID, filter func(crm.PageRequest) F) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, crm.Each(ctx, func(after string) (crm.Page[T], error) {
		return from.List(ctx, dealer, filter(crm.PageRequest{After: after, Limit: crm.MaxLimit}))
	}, func(v *T) error { return to.Create(ctx, v) }))
}

// TestCampaignConflictsRaiseNoSQLError: a taken campaign ID, a customer
// given twice to ReplaceProfiles and a member given twice to
// FreezeAudience are conflicts found without an SQL error (insert or
// detect), on a store whose every statement is watched; nothing changes.
func TestCampaignConflictsRaiseNoSQLError(t *testing.T) {
	ctx := context.Background()
	pg, hook := pgtest.NewWatchedStore(t)
	s := pg.Campaigns()

	c := campaigntest.Campaign(campaigntest.DealerA, "k1")
	require.NoError(t, s.CreateCampaign(ctx, &c))
	assert.ErrorIs(t, s.CreateCampaign(ctx, &c), dealercrm.ErrConflict, "the ID is taken")

	profiles := campaigntest.Profiles(campaigntest.DealerA, 4)
	require.NoError(t, s.ReplaceProfiles(ctx, campaigntest.DealerA, profiles))
	dup := append(campaigntest.Profiles(campaigntest.DealerA, 3), campaigntest.Profiles(campaigntest.DealerA, 2)[1])
	err := s.ReplaceProfiles(ctx, campaigntest.DealerA, dup)
	assert.ErrorIs(t, err, dealercrm.ErrConflict, "a customer given twice")
	assert.NotContains(t, err.Error(), "constraint", "the error names no constraint")
	all, err := campaign.Segment{}.Compile(campaigntest.AsOf)
	require.NoError(t, err)
	n, err := s.CountProfiles(ctx, campaigntest.DealerA, all)
	require.NoError(t, err)
	assert.Equal(t, 4, n, "the failed replace changed nothing")

	m := campaign.Member{CustomerID: "c1", Segment: "normal", Channel: crm.ChannelSMS}
	assert.ErrorIs(t, s.FreezeAudience(ctx, campaigntest.DealerA, "k1", time.Now(), []campaign.Member{m, m}), dealercrm.ErrConflict, "a member given twice")
	got, err := s.GetCampaign(ctx, campaigntest.DealerA, "k1")
	require.NoError(t, err)
	assert.True(t, got.FrozenAt.IsZero(), "the failed freeze changed nothing")

	assert.Empty(t, hook.Errors(), "no statement failed")
}
