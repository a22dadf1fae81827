package campaign_test

import (
	"context"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRefreshProfiles builds a profile from the crm records and two
// attribute sources: the main vehicle is the one bought last, with its
// latest odometer reading; the last visit counts an order without a
// customer for the car's owner; sources merge.
func TestRefreshProfiles(t *testing.T) {
	ctx := context.Background()
	grades := campaign.AttributeFunc(func(_ context.Context, _ crm.DealerID, _ dealercrm.Date, fn func(crm.CustomerID, campaign.Attributes) error) error {
		return fn("c1", campaign.Attributes{Grade: "A", Abnormal: []string{"near_churn"}})
	})
	stages := campaign.AttributeFunc(func(_ context.Context, _ crm.DealerID, asOf dealercrm.Date, fn func(crm.CustomerID, campaign.Attributes) error) error {
		if asOf != date("2025-03-01") {
			t.Errorf("sources get the refresh date, not %s", asOf)
		}
		if err := fn("ghost", campaign.Attributes{Stage: "x"}); err != nil {
			return err
		}
		return fn("c1", campaign.Attributes{Stage: "post_warranty", Tier: "gold", Abnormal: []string{"repair_only", "near_churn"}, Tags: []string{"vip"}})
	})
	e := newEnv(t, campaign.WithAttributes(grades, stages))
	e.customer(t, "c1", func(c *crm.Customer) {
		c.Gender, c.Birthday, c.FamilyStage = crm.Female, date("1985-06-01"), crm.YoungChildren
		c.Region = crm.Region{Province: "浙江省", City: "温州市", District: "鹿城区"}
		c.Hobbies, c.Occupation, c.ConsultantID = []string{"摄影"}, "教师", "S07"
		c.Consents = []crm.Consent{consent(crm.PurposeMarketing, crm.ChannelWeChat), {Purpose: crm.PurposeSurvey, Channel: crm.ChannelPhone, Granted: false, At: clock, Source: "x"}}
	})
	e.customer(t, "c2", nil)
	veh := func(id crm.VehicleID, n int, model, bought string, odo ...crm.OdometerReading) {
		require.NoError(t, e.crm.Vehicles().Create(ctx, &crm.Vehicle{ID: id, Record: rec, VIN: vin(n), Model: model, OwnerID: "c1", PurchaseDate: date(bought), Odometer: odo}))
	}
	veh("v1", 1, "卡罗拉", "2016-04-01", crm.OdometerReading{Date: date("2024-01-01"), KM: 150000})
	veh("v2", 2, "RAV4", "2021-09-10", crm.OdometerReading{Date: date("2023-05-01"), KM: 21000}, crm.OdometerReading{Date: date("2024-11-20"), KM: 43500})
	for _, o := range []struct {
		id, veh, cust, d string
	}{{"o1", "v1", "c1", "2024-10-01"}, {"o2", "v2", "", "2025-01-15"}, {"o3", "v2", "c1", "2025-04-01"}} {
		require.NoError(t, e.crm.ServiceOrders().Create(ctx, &crm.ServiceOrder{ID: crm.ServiceOrderID(o.id), Record: rec, VehicleID: crm.VehicleID(o.veh),
			CustomerID: crm.CustomerID(o.cust), Date: date(o.d), Kind: crm.ServiceMaintenance, Payer: crm.PayerCustomer}))
	}
	n, err := e.svc.RefreshProfiles(ctx, dealer, date("2025-03-01"))
	require.NoError(t, err)
	assert.Equal(t, 2, n, "one profile per customer; attributes of unknown customers are dropped")
	var got []campaign.Profile
	cond, _ := campaign.Segment{}.Compile(date("2025-03-01"))
	require.NoError(t, e.store.EachProfile(ctx, dealer, cond, 0, func(p *campaign.Profile) error { got = append(got, p.Clone()); return nil }))
	require.Len(t, got, 2)
	p := got[0]
	assert.Equal(t, "RAV4", p.VehicleModel, "the car bought last")
	assert.Equal(t, date("2021-09-10"), p.VehicleDate)
	assert.Equal(t, int64(43500), p.OdometerKM, "its latest reading")
	assert.Equal(t, date("2024-11-20"), p.OdometerAt)
	assert.Equal(t, date("2025-01-15"), p.LastVisit, "an order without a customer counts for the owner; later orders are after the refresh date")
	assert.Equal(t, "A", p.Grade)
	assert.Equal(t, "post_warranty", p.Stage)
	assert.Equal(t, "gold", p.Tier)
	assert.Equal(t, []string{"near_churn", "repair_only"}, p.Abnormal, "merged without duplicates")
	assert.Equal(t, []string{"vip"}, p.Tags)
	assert.Equal(t, []string{"marketing:wechat"}, p.Consents, "only granted consents")
	assert.Equal(t, "鹿城区", p.District)
	assert.Equal(t, crm.StaffID("S07"), p.ConsultantID)
	assert.Empty(t, got[1].VehicleModel, "c2 has no car")
	assert.True(t, got[1].LastVisit.IsZero())
}
