package demo_test

import (
	"context"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/demo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSeedCampaigns: the demo stores end with two evaluated campaigns each,
// with a frozen audience, consent exclusions counted, and reports that
// have numbers in them.
func TestSeedCampaigns(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	data := demo.Generate(demo.Options{Seed: 1, Customers: 200})
	require.NoError(t, demo.Seed(ctx, crm.NewService(store), data))
	svc, err := campaign.NewService(store, memory.NewCampaignStore())
	require.NoError(t, err)
	require.NoError(t, demo.SeedCampaigns(ctx, svc, data))
	d := data.Dealers[0].Dealer.ID
	p, err := svc.List(ctx, d, campaign.Filter{Status: campaign.Evaluated})
	require.NoError(t, err)
	require.Len(t, p.Items, 2)
	for _, c := range p.Items {
		f, err := svc.Funnel(ctx, d, c.ID)
		require.NoError(t, err)
		assert.Positive(t, f.Total.Invited, "%s invited someone", c.Name)
		assert.Positive(t, f.Total.Responded, "%s has responses", c.Name)
		assert.Positive(t, f.Total.Converted, "%s converted someone", c.Name)
		assert.Positive(t, c.Cost().IntPart(), "%s has costs", c.Name)
		t.Logf("%s\n%s", c.Name, f.Table())
	}
	u, err := svc.Uplift(ctx, d, campaign.ID(string(d)+"-spring-care"))
	require.NoError(t, err)
	assert.Positive(t, u.Holdout, "the care campaign has a holdout")
	ch, err := svc.Channels(ctx, d, crm.DateRange{From: data.Options.Today.AddDays(-150), To: data.Options.Today})
	require.NoError(t, err)
	assert.NotEmpty(t, ch.Rows)
	vc, err := svc.ValueChain(ctx, d, data.Options.Today.AddMonths(-1))
	require.NoError(t, err)
	assert.NotEmpty(t, vc.Consultants)
}
