package campaign_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
)

// ExampleSegment_Compile shows a segment and a validation error that names
// the JSON path of the bad value.
func ExampleSegment_Compile() {
	var s campaign.Segment
	_ = json.Unmarshal([]byte(`{"and": [
		{"field": "gender", "op": "eq", "value": "female"},
		{"field": "age", "op": "between", "value": [30, 45]},
		{"field": "hobby", "op": "has", "value": 42}]}`), &s)
	_, err := s.Compile(dealercrm.NewDate(2025, 3, 1))
	fmt.Println(err)

	var age campaign.Segment
	_ = json.Unmarshal([]byte(`{"field": "age", "op": "between", "value": [30, 45]}`), &age)
	cond, _ := age.Compile(dealercrm.NewDate(2025, 3, 1))
	fmt.Println("born", cond.From, "to", cond.To)
	// Output:
	// crm: invalid segment: segment.and[2].value: must be a string
	// born 1979-03-02 to 1995-03-01
}

// ExampleService_Freeze runs a small care campaign on the memory store:
// refresh the profiles, preview the segment, freeze the audience (one
// customer has no SMS consent and is excluded), record a conversion and
// print the funnel the way seed 004 does.
func ExampleService_Freeze() {
	ctx := context.Background()
	store := memory.New()
	at := time.Date(2025, 3, 10, 1, 0, 0, 0, time.UTC) // today: responses are dated by it
	_ = store.Dealers().Create(ctx, &crm.Dealer{ID: "SH01", Name: "上海浦东 4S 店", CreatedAt: at, UpdatedAt: at})
	for i, g := range []crm.Gender{crm.Female, crm.Female, crm.Male, crm.Female} {
		c := crm.Customer{ID: crm.CustomerID(fmt.Sprintf("c%d", i)), Record: crm.Record{DealerID: "SH01", CreatedAt: at, UpdatedAt: at},
			Kind: crm.Individual, Name: "客户", Gender: g}
		if i != 3 {
			c.Consents = []crm.Consent{{Purpose: crm.PurposeMarketing, Channel: crm.ChannelSMS, Granted: true, At: at, Source: "contract"}}
		}
		_ = store.Customers().Create(ctx, &c)
	}
	svc, _ := campaign.NewService(store, memory.NewCampaignStore(), campaign.WithClock(func() time.Time { return at }))
	_, _ = svc.RefreshProfiles(ctx, "SH01", dealercrm.Date{})

	var ladies campaign.Segment
	_ = json.Unmarshal([]byte(`{"field": "gender", "op": "eq", "value": "female"}`), &ladies)
	p, _ := svc.Preview(ctx, "SH01", ladies, dealercrm.Date{}, 0)
	fmt.Println("preview:", p.Count)

	c, _ := svc.Create(ctx, "SH01", campaign.Campaign{Name: "三八节女士关爱", Kind: campaign.Care, Channels: []crm.Channel{crm.ChannelSMS},
		Start: dealercrm.NewDate(2025, 3, 1), End: dealercrm.NewDate(2025, 3, 31),
		Targets: []campaign.Target{{Name: "ladies", Segment: ladies, Rate: decimal.RequireFromString("0.3")}}})
	_, _ = svc.Transition(ctx, "SH01", c.ID, campaign.Approved)
	_, _ = svc.Transition(ctx, "SH01", c.ID, campaign.Running)
	sum, err := svc.Freeze(ctx, "SH01", c.ID, dealercrm.Date{})
	if err != nil {
		panic(err)
	}
	fmt.Println("members:", sum.Members, "contacted:", sum.Contacted, "excluded:", sum.Excluded)
	_, _ = svc.RecordResponse(ctx, "SH01", c.ID, "c1", campaign.Response{Kind: campaign.Converted, Date: dealercrm.NewDate(2025, 3, 8)})
	f, _ := svc.Funnel(ctx, "SH01", c.ID)
	fmt.Print(f.Table())
	// Output:
	// preview: 3
	// members: 3 contacted: 2 excluded: [{no_consent 1}]
	// segment  traffic  successes  rate  target  met
	// ladies   2        1          50%   30%     yes
}

// ExampleComputeUplift is Newcombe's worked example (1998, method 10).
func ExampleComputeUplift() {
	u := campaign.ComputeUplift(56, 70, 48, 80)
	fmt.Printf("%.4f [%.4f, %.4f] %s\n", u.Difference, u.CI.Low, u.CI.High, u.Method)
	// Output:
	// 0.2000 [0.0524, 0.3339] newcombe_hybrid_score_95
}
