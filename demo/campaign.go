package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
)

// SeedCampaigns runs two finished campaigns per demo store through svc
// (whose crm store SeedCampaigns expects to hold data already), so that the
// campaign reports have something believable to show:
//
//   - 春季保养关怀 (care, phone then SMS, service reminders): owners who have
//     not been in for 180 days ("lapsed", target 15%) and the rest
//     ("regular", target 35%), with a 10% holdout; 120 to 90 days before
//     Today, 30 attribution days; some responses and visits recorded.
//   - 自驾游俱乐部活动 (club, WeChat, marketing): owners who like road trips,
//     camping or photography (target 20%), no holdout; 60 to 45 days
//     before Today.
//
// Both end evaluated, with conversions attributed from the crm sales and
// service orders. Finally the profiles are refreshed as of Today, and
// accessory targets are set for the month before Today. A campaign seeded
// before (the IDs are fixed) is left as it is, so seeding again is harmless.
func SeedCampaigns(ctx context.Context, svc *campaign.Service, data Data) error {
	today := data.Options.Today
	for _, d := range data.Dealers {
		id := d.Dealer.ID
		if err := seedCareCampaign(ctx, svc, id, today); err != nil {
			return fmt.Errorf("demo: campaigns of %s: %w", id, err)
		}
		if err := seedClubCampaign(ctx, svc, id, today); err != nil {
			return fmt.Errorf("demo: campaigns of %s: %w", id, err)
		}
		if _, err := svc.RefreshProfiles(ctx, id, today); err != nil {
			return fmt.Errorf("demo: campaigns of %s: %w", id, err)
		}
		month := dealercrm.NewDate(today.Year, today.Month-1, 1)
		var targets []campaign.AccessoryTarget
		for _, s := range d.Staff {
			if s.Role == RoleConsultant {
				targets = append(targets, campaign.AccessoryTarget{Month: month, Dimension: campaign.ByConsultant, Key: string(s.ID), Amount: decimal.NewFromInt(30000)})
			}
		}
		if err := svc.SetAccessoryTargets(ctx, id, targets); err != nil {
			return fmt.Errorf("demo: accessory targets of %s: %w", id, err)
		}
	}
	return nil
}

func demoSegment(js string) campaign.Segment {
	var s campaign.Segment
	if err := json.Unmarshal([]byte(js), &s); err != nil {
		panic(err) // a constant of this file
	}
	return s
}

func runCampaign(ctx context.Context, svc *campaign.Service, dealer crm.DealerID, c campaign.Campaign, costs []campaign.CostLine, respond func(m campaign.Member) []campaign.Response) error {
	if _, err := svc.Get(ctx, dealer, c.ID); err == nil {
		return nil // seeded before (a restart on the same database)
	} else if !errors.Is(err, dealercrm.ErrNotFound) {
		return err
	}
	if _, err := svc.RefreshProfiles(ctx, dealer, c.Start); err != nil {
		return err
	}
	c, err := svc.Create(ctx, dealer, c)
	if err != nil {
		return err
	}
	for _, to := range []campaign.Status{campaign.Approved, campaign.Running} {
		if _, err := svc.Transition(ctx, dealer, c.ID, to); err != nil {
			return err
		}
	}
	if _, err := svc.Freeze(ctx, dealer, c.ID, c.Start); err != nil {
		return err
	}
	members, err := svc.Members(ctx, dealer, c.ID)
	if err != nil {
		return err
	}
	for _, m := range members {
		if !m.Contacted() {
			continue
		}
		for _, r := range respond(m) {
			if _, err := svc.RecordResponse(ctx, dealer, c.ID, m.CustomerID, r); err != nil {
				return err
			}
		}
	}
	for _, l := range costs {
		if _, err := svc.AddCost(ctx, dealer, c.ID, l); err != nil {
			return err
		}
	}
	for _, to := range []campaign.Status{campaign.Completed, campaign.Evaluated} {
		if _, err := svc.Transition(ctx, dealer, c.ID, to); err != nil {
			return err
		}
	}
	return nil
}

// picked chooses a stable share of customers, independently per salt.
func picked(salt uint64, id crm.CustomerID, share float64) bool {
	return campaign.InHoldout(salt, id, share)
}

func seedCareCampaign(ctx context.Context, svc *campaign.Service, dealer crm.DealerID, today dealercrm.Date) error {
	start, end := today.AddDays(-120), today.AddDays(-90)
	c := campaign.Campaign{ID: campaign.ID(string(dealer) + "-spring-care"), Name: "春季保养关怀", Kind: campaign.Care,
		Purpose: crm.PurposeServiceReminder, Channels: []crm.Channel{crm.ChannelPhone, crm.ChannelSMS}, Owner: "CR",
		Start: start, End: end, AttributionDays: 30, Budget: decimal.NewFromInt(20000), Holdout: 0.1, Seed: 2025,
		Targets: []campaign.Target{
			{Name: "lapsed", Rate: decimal.RequireFromString("0.15"), Segment: demoSegment(`{"field": "last_visit", "op": "gte", "value": 180}`)},
			{Name: "regular", Rate: decimal.RequireFromString("0.35"), Segment: demoSegment(`{"field": "vehicle.model", "op": "ne", "value": ""}`)},
		}}
	costs := []campaign.CostLine{
		{ID: "calls", Date: start.AddDays(3), Description: "呼叫中心外呼", Amount: decimal.NewFromInt(4800), Channel: crm.ChannelPhone},
		{ID: "sms", Date: start.AddDays(1), Description: "短信群发", Amount: decimal.NewFromInt(600), Channel: crm.ChannelSMS},
		{ID: "gifts", Date: start.AddDays(5), Description: "保养大礼包礼品", Amount: decimal.NewFromInt(9000)},
	}
	return runCampaign(ctx, svc, dealer, c, costs, func(m campaign.Member) []campaign.Response {
		var out []campaign.Response
		if picked(11, m.CustomerID, 0.4) {
			out = append(out, campaign.Response{Kind: campaign.Responded, Date: start.AddDays(2 + int(m.CustomerID[len(m.CustomerID)-1])%10)})
		}
		if picked(12, m.CustomerID, 0.15) {
			out = append(out, campaign.Response{Kind: campaign.Visited, Date: start.AddDays(12)})
		}
		return out
	})
}

func seedClubCampaign(ctx context.Context, svc *campaign.Service, dealer crm.DealerID, today dealercrm.Date) error {
	start, end := today.AddDays(-60), today.AddDays(-45)
	c := campaign.Campaign{ID: campaign.ID(string(dealer) + "-club-trip"), Name: "自驾游俱乐部活动", Kind: campaign.Club,
		Channels: []crm.Channel{crm.ChannelWeChat, crm.ChannelSMS, crm.ChannelPhone}, Owner: "CR",
		Start: start, End: end, AttributionDays: 30, Budget: decimal.NewFromInt(15000),
		Targets: []campaign.Target{
			{Name: "road_trippers", Rate: decimal.RequireFromString("0.2"), Segment: demoSegment(`{"field": "hobby", "op": "has_any", "value": ["自驾游", "露营", "摄影", "登山"]}`)},
		}}
	costs := []campaign.CostLine{
		{ID: "venue", Date: end, Description: "营地与午餐", Amount: decimal.NewFromInt(8500)},
		{ID: "invites", Date: start, Description: "微信邀请与海报", Amount: decimal.NewFromInt(1200), Channel: crm.ChannelWeChat},
	}
	return runCampaign(ctx, svc, dealer, c, costs, func(m campaign.Member) []campaign.Response {
		var out []campaign.Response
		if picked(21, m.CustomerID, 0.5) {
			out = append(out, campaign.Response{Kind: campaign.Responded, Date: start.AddDays(3)})
			if picked(22, m.CustomerID, 0.6) {
				out = append(out, campaign.Response{Kind: campaign.Visited, Date: end})
			}
		}
		return out
	})
}
