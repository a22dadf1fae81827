package campaign_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSeed004September reproduces the September table of seed 004 (the
// abnormal-customer recall campaign 维修保养大礼包) from a fixture: 1,112
// customers in four segments, all consenting to phone calls, no holdout,
// and the successes recorded as conversions.
//
//	segment          traffic  successes  rate    target  met
//	正常入库 normal      1047        390  37.25%     35%  yes (printed 37%)
//	只维修不保养          22          5  22.73%     10%  yes (22%)
//	嫌保养费用贵          25          9  36.00%     15%  yes (36%)
//	有投诉或抱怨          18          5  27.78%     15%  yes (27%)
func TestSeed004September(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	type group struct {
		name           string
		traffic, wins  int
		abnormal, tags []string
	}
	groups := []group{
		{name: "complained", traffic: 18, wins: 5, abnormal: []string{"complained"}},
		{name: "repair_only", traffic: 22, wins: 5, abnormal: []string{"repair_only"}},
		{name: "too_expensive", traffic: 25, wins: 9, tags: []string{"maintenance_too_expensive"}},
		{name: "normal", traffic: 1047, wins: 390},
	}
	var profiles []campaign.Profile
	for _, g := range groups {
		for i := range g.traffic {
			profiles = append(profiles, campaign.Profile{DealerID: dealer, CustomerID: crm.CustomerID(fmt.Sprintf("%s-%04d", g.name, i)),
				Abnormal: g.abnormal, Tags: g.tags, Consents: []string{"marketing:phone"}, UpdatedAt: clock})
		}
	}
	require.NoError(t, e.store.ReplaceProfiles(ctx, dealer, profiles))
	c, err := e.svc.Create(ctx, dealer, campaign.Campaign{Name: "维修保养大礼包 9月", Kind: campaign.Care, Channels: []crm.Channel{crm.ChannelPhone},
		Start: date("2014-09-01"), End: date("2014-09-30"),
		// Seed 004 lists normal first; the order of targets is the order of
		// the report, and a member falls in the first one it matches, so
		// "normal" is the catch-all: no abnormal class, no price complaint.
		Targets: []campaign.Target{
			{Name: "normal", Rate: money("0.35"), Segment: seg(t, `{"and": [{"field": "abnormal", "op": "has_none", "value": ["complained", "repair_only"]}, {"field": "tag", "op": "has_none", "value": ["maintenance_too_expensive"]}]}`)},
			{Name: "repair_only", Rate: money("0.10"), Segment: seg(t, `{"field": "abnormal", "op": "has", "value": "repair_only"}`)},
			{Name: "too_expensive", Rate: money("0.15"), Segment: seg(t, `{"field": "tag", "op": "has", "value": "maintenance_too_expensive"}`)},
			{Name: "complained", Rate: money("0.15"), Segment: seg(t, `{"field": "abnormal", "op": "has", "value": "complained"}`)},
		}})
	require.NoError(t, err)
	for _, to := range []campaign.Status{campaign.Approved, campaign.Running} {
		_, err = e.svc.Transition(ctx, dealer, c.ID, to)
		require.NoError(t, err)
	}
	sum, err := e.svc.Freeze(ctx, dealer, c.ID, date("2014-09-01"))
	require.NoError(t, err)
	assert.Equal(t, []campaign.SegmentCount{{Segment: "normal", Count: 1047}, {Segment: "repair_only", Count: 22}, {Segment: "too_expensive", Count: 25}, {Segment: "complained", Count: 18}}, sum.BySegment)
	for _, g := range groups {
		for i := range g.wins {
			_, err := e.svc.RecordResponse(ctx, dealer, c.ID, crm.CustomerID(fmt.Sprintf("%s-%04d", g.name, i)),
				campaign.Response{Kind: campaign.Converted, Date: date("2014-09-15"), Revenue: money("650")})
			require.NoError(t, err)
		}
	}
	r, err := e.svc.Funnel(ctx, dealer, c.ID)
	require.NoError(t, err)
	want := []struct {
		name             string
		traffic, wins, p int
		rate             string
	}{{"normal", 1047, 390, 37, "0.3725"}, {"repair_only", 22, 5, 22, "0.2273"}, {"too_expensive", 25, 9, 36, "0.36"}, {"complained", 18, 5, 27, "0.2778"}}
	require.Len(t, r.Rows, 4)
	for i, w := range want {
		row := r.Rows[i]
		assert.Equal(t, w.name, row.Segment)
		assert.Equal(t, w.traffic, row.Invited, "%s traffic", w.name)
		assert.Equal(t, w.wins, row.Converted, "%s successes", w.name)
		assert.Equal(t, w.rate, row.Rate.String(), "%s rate", w.name)
		assert.Equal(t, w.p, row.Percent, "%s whole percent, rounded down", w.name)
		assert.True(t, row.Met, "%s met its target", w.name)
	}
	assert.True(t, r.Total.Met)
	assert.Equal(t, 409, r.Total.Converted)
	assert.Equal(t, ""+
		"segment        traffic  successes  rate  target  met\n"+
		"normal         1047     390        37%   35%     yes\n"+
		"repair_only    22       5          22%   10%     yes\n"+
		"too_expensive  25       9          36%   15%     yes\n"+
		"complained     18       5          27%   15%     yes\n", r.Table())
}

// TestFunnelUpliftAndChannels works a small campaign through by hand.
//
// Ten customers c0…c9 consent to SMS; c10, c11 to nothing. Holdout 30%
// with seed 1 keeps some out (the split is read back, not assumed). The
// campaign runs 2025-03-01…03-31 with 15 attribution days. Costs: SMS 500,
// a campaign-wide 1,000 and 2,000 of web ads (lead source web).
func TestFunnelUpliftAndChannels(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, campaign.WithClock(func() time.Time { return time.Date(2025, 5, 1, 2, 0, 0, 0, time.UTC) }))
	for i := range 12 {
		id := crm.CustomerID(fmt.Sprintf("c%02d", i))
		e.customer(t, id, func(c *crm.Customer) {
			if i < 10 {
				c.Consents = []crm.Consent{consent(crm.PurposeMarketing, crm.ChannelSMS)}
			}
		})
		v := crm.VehicleID(fmt.Sprintf("v%02d", i))
		require.NoError(t, e.crm.Vehicles().Create(ctx, &crm.Vehicle{ID: v, Record: rec, VIN: vin(i), Model: "卡罗拉", OwnerID: id, PurchaseDate: date("2021-05-01")}))
	}
	_, err := e.svc.RefreshProfiles(ctx, dealer, date("2025-03-01"))
	require.NoError(t, err)
	c, err := e.svc.Create(ctx, dealer, campaign.Campaign{ID: "spring", Name: "春季保养", Kind: campaign.Care, Channels: []crm.Channel{crm.ChannelSMS},
		Start: date("2025-03-01"), End: date("2025-03-31"), AttributionDays: 15, Budget: money("4000"), Holdout: 0.3, Seed: 1,
		Targets: []campaign.Target{{Name: "owners", Rate: money("0.3"), Segment: seg(t, `{"field": "vehicle.model", "op": "eq", "value": "卡罗拉"}`)}}})
	require.NoError(t, err)
	for _, to := range []campaign.Status{campaign.Approved, campaign.Running} {
		_, err = e.svc.Transition(ctx, dealer, c.ID, to)
		require.NoError(t, err)
	}
	sum, err := e.svc.Freeze(ctx, dealer, c.ID, date("2025-03-01"))
	require.NoError(t, err)
	ms, err := e.svc.Members(ctx, dealer, c.ID)
	require.NoError(t, err)
	var contacted, holdout []crm.CustomerID
	for _, m := range ms {
		switch {
		case m.Holdout:
			holdout = append(holdout, m.CustomerID)
		case m.Contacted():
			contacted = append(contacted, m.CustomerID)
		}
	}
	require.Equal(t, 12, sum.Members)
	require.Equal(t, len(contacted), sum.Contacted)
	require.GreaterOrEqual(t, len(contacted), 5, "enough contacted for the worked example: %v", contacted)
	require.GreaterOrEqual(t, len(holdout), 1, "someone in the holdout: %v", holdout)

	// Contacted: #0 responds; #1 responds and visits; #2 buys a car
	// (300,000 + 20,000 accessories) on 03-20; #3 has a service order of
	// 800 on 04-10 (inside the window); #4 a service order on 04-20
	// (outside). Holdout: #0 has a service order of 600 on 03-10.
	resp := func(id crm.CustomerID, k campaign.ResponseKind, d string) {
		_, err := e.svc.RecordResponse(ctx, dealer, c.ID, id, campaign.Response{Kind: k, Date: date(d)})
		require.NoError(t, err)
	}
	resp(contacted[0], campaign.Responded, "2025-03-03")
	resp(contacted[1], campaign.Responded, "2025-03-04")
	resp(contacted[1], campaign.Visited, "2025-03-08")
	resp(contacted[1], campaign.Visited, "2025-03-09")
	_, err = e.svc.RecordResponse(ctx, dealer, c.ID, holdout[0], campaign.Response{Kind: campaign.Responded, Date: date("2025-03-03")})
	assert.ErrorIs(t, err, campaign.ErrNotContacted, "the holdout is not contacted")
	veh := func(id crm.CustomerID) crm.VehicleID { return crm.VehicleID("v" + string(id)[1:]) }
	require.NoError(t, e.crm.Sales().Create(ctx, &crm.Sale{ID: "s1", Record: rec, VehicleID: veh(contacted[2]), CustomerID: contacted[2], ConsultantID: "S01",
		Date: date("2025-03-20"), Price: money("300000"), Items: []crm.ValueChainItem{{Kind: crm.ItemAccessory, Description: "外装 尾翼", Amount: money("20000")}}}))
	order := func(id string, cust crm.CustomerID, d, amount string) {
		require.NoError(t, e.crm.ServiceOrders().Create(ctx, &crm.ServiceOrder{ID: crm.ServiceOrderID(id), Record: rec, VehicleID: veh(cust), CustomerID: cust,
			Date: date(d), Kind: crm.ServiceMaintenance, Labour: money(amount), Payer: crm.PayerCustomer}))
	}
	order("o1", contacted[3], "2025-04-10", "800")
	order("o2", contacted[4], "2025-04-20", "900")
	order("o3", holdout[0], "2025-03-10", "600")
	// A referral by contacted #0 on 03-12, and a web lead that walks in and buys.
	require.NoError(t, e.crm.Leads().Create(ctx, &crm.Lead{ID: "l1", Record: crm.Record{DealerID: dealer, CreatedAt: time.Date(2025, 3, 12, 3, 0, 0, 0, time.UTC), UpdatedAt: clock},
		Name: "朋友", Level: crm.LevelB, Status: crm.LeadOpen, Source: crm.SourceReferral, ReferrerID: contacted[0], Purchase: crm.FirstPurchase}))
	require.NoError(t, e.crm.Leads().Create(ctx, &crm.Lead{ID: "l2", Record: crm.Record{DealerID: dealer, CreatedAt: time.Date(2025, 3, 5, 3, 0, 0, 0, time.UTC), UpdatedAt: clock},
		Name: "网客", Level: crm.LevelD, Status: crm.LeadConverted, Source: crm.SourceWeb, VisitTrigger: "官网预约试驾", SaleID: "s1", Purchase: crm.FirstPurchase}))
	require.NoError(t, e.crm.Leads().Create(ctx, &crm.Lead{ID: "l3", Record: crm.Record{DealerID: dealer, CreatedAt: time.Date(2025, 3, 6, 3, 0, 0, 0, time.UTC), UpdatedAt: clock},
		Name: "网客2", Level: crm.LevelC, Status: crm.LeadOpen, Source: crm.SourceWeb, Purchase: crm.FirstPurchase}))

	for _, l := range []campaign.CostLine{
		{ID: "sms", Date: date("2025-03-01"), Description: "短信群发", Amount: money("500"), Channel: crm.ChannelSMS},
		{ID: "gift", Date: date("2025-03-02"), Description: "礼包", Amount: money("1000")},
		{ID: "web", Date: date("2025-03-02"), Description: "网络广告", Amount: money("2000"), Source: crm.SourceWeb},
	} {
		_, err = e.svc.AddCost(ctx, dealer, c.ID, l)
		require.NoError(t, err)
	}
	for _, to := range []campaign.Status{campaign.Completed, campaign.Evaluated} {
		_, err = e.svc.Transition(ctx, dealer, c.ID, to)
		require.NoError(t, err, "evaluating attributes conversions")
	}
	n, err := e.svc.Attribute(ctx, dealer, c.ID)
	require.NoError(t, err)
	assert.Equal(t, 3, n, "#2 (sale), #3 (service) and the holdout's service order convert; a re-run changes nothing")

	f, err := e.svc.Funnel(ctx, dealer, c.ID)
	require.NoError(t, err)
	row := f.Rows[0]
	assert.Equal(t, len(contacted), row.Invited)
	assert.Equal(t, 2, sum.Excluded[0].Count)
	assert.Equal(t, 2, row.Excluded)
	assert.Equal(t, len(holdout), row.Holdout)
	assert.Equal(t, 4, row.Responded, "#0, #1, and the two converted")
	assert.Equal(t, 3, row.Visited, "#1 and the two converted")
	assert.Equal(t, 2, row.Converted)
	assert.Equal(t, "320800", row.Revenue.String(), "300,000 + 20,000 + 800")
	assert.Equal(t, 200/len(contacted), row.Percent)

	u, err := e.svc.Uplift(ctx, dealer, c.ID)
	require.NoError(t, err)
	assert.Equal(t, 2, u.ContactedConv)
	assert.Equal(t, 1, u.HoldoutConv)
	assert.InDelta(t, 2/float64(len(contacted))-1/float64(len(holdout)), u.Difference, 1e-12)

	rep, err := e.svc.Channels(ctx, dealer, crm.DateRange{From: date("2025-03-01"), To: date("2025-04-30")})
	require.NoError(t, err)
	rows := map[string]campaign.ChannelRow{}
	for _, r := range rep.Rows {
		rows[string(r.Dimension)+":"+r.Key] = r
	}
	sms := rows["channel:sms"]
	assert.Equal(t, "500", sms.Cost.String())
	assert.Equal(t, 4, sms.Responses)
	assert.Equal(t, 3, sms.Visits)
	assert.Equal(t, 1, sms.Leads, "the referral by #0")
	assert.Equal(t, 1, sms.Sales)
	assert.Equal(t, "320800", sms.Revenue.String())
	assert.Equal(t, "500", sms.CostPerLead.String())
	assert.Equal(t, "500", sms.CostPerSale.String())
	assert.Equal(t, "640.6", sms.ROI.String(), "(320,800 − 500) / 500")
	assert.Equal(t, "1000", rows["channel:general"].Cost.String())
	web := rows["source:web"]
	assert.Equal(t, "2000", web.Cost.String())
	assert.Equal(t, 2, web.Leads)
	assert.Equal(t, 1, web.Visits, "the lead with a visit trigger")
	assert.Equal(t, 1, web.Sales)
	assert.Equal(t, "1000", web.CostPerLead.String())
	assert.Equal(t, "2000", web.CostPerSale.String())
	assert.Equal(t, "159", web.ROI.String(), "(320,000 − 2,000) / 2,000")
	assert.Equal(t, 1, rows["source:referral"].Leads)
	assert.Nil(t, rows["source:referral"].ROI, "no cost, no ROI")

	// The value chain of March: one 卡罗拉 sold by S01 with 20,000 of exterior accessories.
	require.NoError(t, e.svc.SetAccessoryTargets(ctx, dealer, []campaign.AccessoryTarget{
		{Month: date("2025-03-15"), Dimension: campaign.ByConsultant, Key: "S01", Amount: money("16000")},
		{Month: date("2025-03-01"), Dimension: campaign.ByConsultant, Key: "S02", Amount: money("10000")},
		{Month: date("2025-03-01"), Dimension: campaign.ByModel, Key: "卡罗拉", Amount: money("25000")},
	}))
	vc, err := e.svc.ValueChain(ctx, dealer, date("2025-03-31"))
	require.NoError(t, err)
	require.Len(t, vc.Models, 1)
	assert.Equal(t, "卡罗拉", vc.Models[0].Key)
	assert.Equal(t, []campaign.CategoryAmount{{Category: campaign.CategoryExterior, Amount: money("20000")}}, vc.Models[0].Categories)
	assert.Equal(t, "0.8", vc.Models[0].Completion.String(), "20,000 of 25,000")
	require.Len(t, vc.Consultants, 2)
	assert.Equal(t, "1.25", vc.Consultants[0].Completion.String(), "S01: 20,000 of 16,000")
	assert.Equal(t, "0", vc.Consultants[1].Completion.String(), "S02 sold nothing")
	assert.Equal(t, "20000", vc.Total.PerCar.String())
	assert.Equal(t, "0.7692", vc.Total.Completion.String(), "20,000 of 26,000")
	_ = dealercrm.Date{}
}
