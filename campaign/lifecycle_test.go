package campaign_test

import (
	"context"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type statuses []lifecycle.VehicleStatus

func (s statuses) Statuses(_ context.Context, _ crm.DealerID, _ dealercrm.Date, fn func(*lifecycle.VehicleStatus) error) error {
	for i := range s {
		if err := fn(&s[i]); err != nil {
			return err
		}
	}
	return nil
}

func status(v crm.VehicleID, c crm.CustomerID, st lifecycle.Stage, abnormal ...lifecycle.AbnormalClass) lifecycle.VehicleStatus {
	s := lifecycle.VehicleStatus{Stage: lifecycle.StageResult{Stage: st}, Assessment: lifecycle.Assessment{VehicleID: v, CustomerID: c}}
	for _, a := range abnormal {
		s.Abnormal = append(s.Abnormal, lifecycle.Abnormality{Class: a})
	}
	return s
}

// An owner of two cars gets the newer car's stage and both cars' classes.
func TestLifecycleAttributes(t *testing.T) {
	src := campaign.Lifecycle(statuses{
		status("v1", "c1", lifecycle.StagePostWarranty, lifecycle.RepairOnly),
		status("v2", "c1", lifecycle.StageEarlyUse, lifecycle.Complained, lifecycle.RepairOnly),
		status("v3", "", lifecycle.StageHoneymoon),
		status("v4", "c2", lifecycle.StageRepurchase),
	})
	got := map[crm.CustomerID]campaign.Attributes{}
	require.NoError(t, src.EachAttributes(context.Background(), dealer, date("2025-03-01"), func(id crm.CustomerID, a campaign.Attributes) error {
		_, dup := got[id]
		require.False(t, dup, "one call per customer")
		got[id] = a
		return nil
	}))
	assert.Equal(t, map[crm.CustomerID]campaign.Attributes{
		"c1": {Stage: "early_use", Abnormal: []string{"complained", "repair_only"}},
		"c2": {Stage: "repurchase"},
	}, got)
}

// Wired to a real lifecycle service, a refresh fills stage segments.
func TestLifecycleAttributesRefresh(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.customer(t, "c1", nil)
	require.NoError(t, e.crm.Vehicles().Create(ctx, &crm.Vehicle{ID: "v1", Record: rec, VIN: vin(1), Model: "Lavida", OwnerID: "c1",
		DeliveryDate: date("2025-01-10"), Price: money("120000")}))
	lc, err := lifecycle.NewService(crm.NewService(e.crm), memory.NewTaskStore())
	require.NoError(t, err)
	svc, err := campaign.NewService(e.crm, e.store, campaign.WithAttributes(campaign.Lifecycle(lc)))
	require.NoError(t, err)
	_, err = svc.RefreshProfiles(ctx, dealer, date("2025-03-01"))
	require.NoError(t, err)
	p, err := svc.Preview(ctx, dealer, seg(t, `{"field": "stage", "op": "eq", "value": "honeymoon"}`), date("2025-03-01"), 5)
	require.NoError(t, err)
	require.Equal(t, 1, p.Count)
	assert.Equal(t, crm.CustomerID("c1"), p.Sample[0].CustomerID)
}

// Active members get their tier; a cancelled member none.
func TestTierAttributes(t *testing.T) {
	ctx := context.Background()
	svc, err := loyalty.NewService(nil, memory.NewLoyaltyStore())
	require.NoError(t, err)
	day := date("2025-03-01")
	for _, c := range []crm.CustomerID{"c1", "c2"} {
		_, err := svc.Join(ctx, loyalty.JoinRequest{DealerID: dealer, CustomerID: c, Method: loyalty.JoinSale, Date: day})
		require.NoError(t, err)
	}
	_, err = svc.Cancel(ctx, loyalty.ChangeRequest{DealerID: dealer, CustomerID: "c2", Date: day, Reason: "moved away"})
	require.NoError(t, err)
	got := map[crm.CustomerID]campaign.Attributes{}
	require.NoError(t, campaign.Tiers(svc).EachAttributes(ctx, dealer, day, func(id crm.CustomerID, a campaign.Attributes) error {
		got[id] = a
		return nil
	}))
	assert.Equal(t, map[crm.CustomerID]campaign.Attributes{"c1": {Tier: "silver"}}, got)
}
