// Package campaigntest is the conformance suite of campaign.Store: every
// backend (adapters/memory, adapters/postgres) runs RunStoreTests. It also
// holds the contract fixture of segment evaluation: Profiles and Segments,
// on which every store must select exactly the members the memory
// evaluator (campaign.Cond.Matcher) selects. Import it from tests only.
package campaigntest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The dealers of the suite.
const (
	DealerA crm.DealerID = "campaign-a"
	DealerB crm.DealerID = "campaign-b"
)

// AsOf is the evaluation date of the contract segments.
var AsOf = dealercrm.NewDate(2025, 3, 1)

var at = time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)

// Campaign returns a draft campaign of dealer with two targets.
func Campaign(dealer crm.DealerID, id campaign.ID) campaign.Campaign {
	return campaign.Campaign{ID: id, DealerID: dealer, Name: "春季保养关怀", Kind: campaign.Care, Purpose: crm.PurposeMarketing,
		Channels: []crm.Channel{crm.ChannelSMS, crm.ChannelPhone}, Status: campaign.Draft, Owner: "S01",
		Start: dealercrm.NewDate(2025, 3, 1), End: dealercrm.NewDate(2025, 3, 31), AttributionDays: 30,
		Budget: decimal.RequireFromString("12000.50"),
		Targets: []campaign.Target{
			{Name: "complained", Segment: Seg(`{"field": "abnormal", "op": "has", "value": "complained"}`), Rate: decimal.RequireFromString("0.15")},
			{Name: "normal", Rate: decimal.RequireFromString("0.35")},
		},
		Holdout: 0.1, Seed: 42, CreatedAt: at, UpdatedAt: at}
}

// Seg parses a segment from JSON; it panics on malformed JSON (fixtures only).
func Seg(s string) campaign.Segment {
	var seg campaign.Segment
	if err := json.Unmarshal([]byte(s), &seg); err != nil {
		panic(err)
	}
	return seg
}

// JSON returns v as JSON, to compare values whose decimals may differ in
// exponent only.
func JSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// Profiles returns the contract fixture: n profiles of dealer with every
// attribute varied deterministically, missing values included (no
// birthday, no vehicle, no odometer reading, no visit, empty sets), a
// 29 February birthday and values on the edges of the Segments' bounds.
func Profiles(dealer crm.DealerID, n int) []campaign.Profile {
	genders := []crm.Gender{crm.Male, crm.Female, crm.GenderUnknown, ""}
	stages := []crm.FamilyStage{crm.Single, crm.Couple, crm.YoungChildren, crm.Retired, ""}
	cities := []string{"温州", "杭州", "宁波", ""}
	models := []string{"卡罗拉", "RAV4", "凯美瑞", ""}
	hobbies := [][]string{nil, {"golf"}, {"fishing", "golf"}, {"travel"}}
	abnormal := [][]string{nil, {"complained"}, {"repair_only"}, {"near_churn", "long_absent"}, nil}
	tiers := []string{"", "silver", "gold", "platinum"}
	grades := []string{"A", "B", "C", ""}
	consents := [][]string{nil, {"marketing:sms"}, {"marketing:phone", "marketing:sms"}, {"service_reminder:phone"}, {"marketing:wechat"}}
	out := make([]campaign.Profile, n)
	for i := range out {
		p := campaign.Profile{DealerID: dealer, CustomerID: crm.CustomerID(fmt.Sprintf("c%04d", i)),
			Gender: genders[i%4], FamilyStage: stages[i%5], City: cities[i%4], Province: "浙江", District: "",
			Occupation: []string{"teacher", "engineer", ""}[i%3], VehicleModel: models[i%4], Hobbies: hobbies[i%4],
			Abnormal: abnormal[i%5], Tags: [][]string{nil, {"price_sensitive"}}[i%2], Tier: tiers[i%4], Grade: grades[(i/2)%4],
			Stage: []string{"honeymoon", "early_use", "post_warranty", ""}[i%4], Consents: consents[i%5],
			UpdatedAt: at}
		if i%7 != 0 {
			// Ages from 20 to 69; one birthday on 1 March (the as-of day).
			p.Birthday = dealercrm.NewDate(2025-20-i%50, time.Month(1+i%12), 1+i%28)
		}
		if i == 8 {
			p.Birthday = dealercrm.NewDate(1996, 2, 29)
		}
		if p.VehicleModel != "" {
			p.VehicleDate = dealercrm.NewDate(2024-i%9, time.Month(1+i%12), 1)
			if i%3 != 0 {
				p.OdometerKM, p.OdometerAt = int64(i*1375%120000), dealercrm.NewDate(2025, 1, 1+i%28)
			}
		}
		if i%6 != 0 {
			p.LastVisit = AsOf.AddDays(-(i * 11 % 500))
		}
		out[i] = p
	}
	return out
}

// Segments are the contract segments: each store must select the same
// profiles for them as the memory evaluator.
func Segments() []string {
	return []string{
		`{}`,
		`{"field": "gender", "op": "eq", "value": "female"}`,
		`{"field": "gender", "op": "ne", "value": "male"}`,
		`{"field": "family_stage", "op": "in", "value": ["couple", "young_children"]}`,
		`{"field": "region.city", "op": "not_in", "value": ["温州", "杭州"]}`,
		`{"field": "age", "op": "between", "value": [30, 45]}`,
		`{"field": "age", "op": "ne", "value": 28}`,
		`{"not": {"field": "age", "op": "gte", "value": 40}}`,
		`{"field": "age", "op": "eq", "value": 29}`,
		`{"field": "vehicle.age", "op": "gt", "value": 3}`,
		`{"field": "vehicle.odometer", "op": "lt", "value": 50000}`,
		`{"not": {"field": "vehicle.odometer", "op": "between", "value": [10000, 60000]}}`,
		`{"field": "vehicle.model", "op": "eq", "value": "卡罗拉"}`,
		`{"field": "hobby", "op": "has", "value": "golf"}`,
		`{"field": "hobby", "op": "has_all", "value": ["golf", "fishing"]}`,
		`{"field": "hobby", "op": "has_none", "value": ["golf", "travel"]}`,
		`{"field": "abnormal", "op": "has_any", "value": ["complained", "repair_only"]}`,
		`{"field": "tag", "op": "has", "value": "price_sensitive"}`,
		`{"field": "consent", "op": "has", "value": "marketing:sms"}`,
		`{"field": "last_visit", "op": "lte", "value": 180}`,
		`{"not": {"field": "last_visit", "op": "lte", "value": 180}}`,
		`{"field": "stage", "op": "in", "value": ["honeymoon", "post_warranty"]}`,
		`{"field": "grade", "op": "eq", "value": "A"}`,
		`{"field": "tier", "op": "ne", "value": ""}`,
		`{"field": "occupation", "op": "eq", "value": ""}`,
		`{"and": [{"field": "gender", "op": "eq", "value": "female"}, {"or": [{"field": "age", "op": "lt", "value": 35}, {"field": "hobby", "op": "has", "value": "golf"}]}, {"not": {"field": "abnormal", "op": "has", "value": "complained"}}]}`,
		`{"or": [{"field": "grade", "op": "eq", "value": "A"}, {"and": [{"field": "tier", "op": "eq", "value": "gold"}, {"field": "last_visit", "op": "gt", "value": 90}]}]}`,
	}
}

// Expected returns the customer IDs of profiles that cond matches in
// memory, in order.
func Expected(profiles []campaign.Profile, cond campaign.Cond) []crm.CustomerID {
	m := cond.Matcher()
	out := []crm.CustomerID{}
	for i := range profiles {
		if m(&profiles[i]) {
			out = append(out, profiles[i].CustomerID)
		}
	}
	return out
}

// Selected returns the customer IDs store selects for cond.
func Selected(t testing.TB, s campaign.Store, dealer crm.DealerID, cond campaign.Cond) []crm.CustomerID {
	t.Helper()
	out := []crm.CustomerID{}
	require.NoError(t, s.EachProfile(context.Background(), dealer, cond, 0, func(p *campaign.Profile) error {
		out = append(out, p.CustomerID)
		return nil
	}))
	return out
}

// RunStoreTests runs the conformance suite against stores made by
// newStore, each fresh and empty.
func RunStoreTests(t *testing.T, newStore func(t *testing.T) campaign.Store) {
	ctx := context.Background()
	t.Run("CampaignCRUD", func(t *testing.T) {
		s := newStore(t)
		c := Campaign(DealerA, "k1")
		require.NoError(t, s.CreateCampaign(ctx, &c))
		got, err := s.GetCampaign(ctx, DealerA, "k1")
		require.NoError(t, err)
		assert.Equal(t, JSON(t, c), JSON(t, got), "the campaign reads back as written")
		assert.ErrorIs(t, s.CreateCampaign(ctx, &c), dealercrm.ErrConflict, "an ID is stored once per dealer")
		_, err = s.GetCampaign(ctx, DealerB, "k1")
		assert.ErrorIs(t, err, dealercrm.ErrNotFound, "another dealer does not see it")

		up, err := s.UpdateCampaign(ctx, DealerA, "k1", func(c *campaign.Campaign) error {
			c.Status = campaign.Running
			c.Costs = append(c.Costs, campaign.CostLine{ID: "l1", Date: dealercrm.NewDate(2025, 3, 2), Description: "短信", Amount: decimal.RequireFromString("300.00"), Channel: crm.ChannelSMS})
			return nil
		})
		require.NoError(t, err)
		got, err = s.GetCampaign(ctx, DealerA, "k1")
		require.NoError(t, err)
		assert.Equal(t, JSON(t, up), JSON(t, got), "the update is stored")
		assert.Equal(t, campaign.Running, got.Status)
		assert.True(t, got.Cost().Equal(decimal.NewFromInt(300)), "the cost line is stored")

		boom := fmt.Errorf("boom")
		_, err = s.UpdateCampaign(ctx, DealerA, "k1", func(c *campaign.Campaign) error { c.Name = "x"; return boom })
		assert.ErrorIs(t, err, boom, "fn's error comes back")
		got, _ = s.GetCampaign(ctx, DealerA, "k1")
		assert.NotEqual(t, "x", got.Name, "nothing is written when fn fails")
		_, err = s.UpdateCampaign(ctx, DealerA, "nope", func(*campaign.Campaign) error { return nil })
		assert.ErrorIs(t, err, dealercrm.ErrNotFound)

		gone := Campaign(DealerA, "k0")
		require.NoError(t, s.CreateCampaign(ctx, &gone))
		assert.ErrorIs(t, s.DeleteCampaign(ctx, DealerB, "k0"), dealercrm.ErrNotFound, "another dealer cannot delete it")
		require.NoError(t, s.DeleteCampaign(ctx, DealerA, "k0"))
		_, err = s.GetCampaign(ctx, DealerA, "k0")
		assert.ErrorIs(t, err, dealercrm.ErrNotFound, "deleted")
		assert.ErrorIs(t, s.DeleteCampaign(ctx, DealerA, "k0"), dealercrm.ErrNotFound)

		for i := 2; i <= 5; i++ {
			c := Campaign(DealerA, campaign.ID(fmt.Sprintf("k%d", i)))
			if i%2 == 0 {
				c.Kind = campaign.Club
			}
			require.NoError(t, s.CreateCampaign(ctx, &c))
		}
		p, err := s.ListCampaigns(ctx, DealerA, campaign.Filter{PageRequest: crm.PageRequest{Limit: 2}})
		require.NoError(t, err)
		require.Len(t, p.Items, 2)
		assert.Equal(t, campaign.ID("k1"), p.Items[0].ID)
		require.NotEmpty(t, p.Next)
		var ids []campaign.ID
		require.NoError(t, crm.Each(ctx, func(after string) (crm.Page[campaign.Campaign], error) {
			return s.ListCampaigns(ctx, DealerA, campaign.Filter{Kind: campaign.Club, PageRequest: crm.PageRequest{After: after, Limit: 1}})
		}, func(c *campaign.Campaign) error { ids = append(ids, c.ID); return nil }))
		assert.Equal(t, []campaign.ID{"k2", "k4"}, ids, "filtered by kind, in ID order, across pages")
		p, err = s.ListCampaigns(ctx, DealerA, campaign.Filter{Status: campaign.Running})
		require.NoError(t, err)
		require.Len(t, p.Items, 1)
		_, err = s.ListCampaigns(ctx, DealerA, campaign.Filter{PageRequest: crm.PageRequest{After: "%%%"}})
		assert.ErrorIs(t, err, dealercrm.ErrInvalid, "a bad cursor is invalid")
	})
	t.Run("ConcurrentUpdates", func(t *testing.T) {
		s := newStore(t)
		c := Campaign(DealerA, "k1")
		require.NoError(t, s.CreateCampaign(ctx, &c))
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.UpdateCampaign(ctx, DealerA, "k1", func(c *campaign.Campaign) error {
					c.Costs = append(c.Costs, campaign.CostLine{ID: fmt.Sprintf("l%d", i), Date: c.Start, Description: "x", Amount: decimal.NewFromInt(10)})
					return nil
				})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		got, err := s.GetCampaign(ctx, DealerA, "k1")
		require.NoError(t, err)
		assert.Len(t, got.Costs, 8, "no update is lost")
	})
	t.Run("SegmentContract", func(t *testing.T) {
		s := newStore(t)
		profiles := Profiles(DealerA, 120)
		require.NoError(t, s.ReplaceProfiles(ctx, DealerA, profiles))
		require.NoError(t, s.ReplaceProfiles(ctx, DealerB, Profiles(DealerB, 5)))
		for _, js := range Segments() {
			seg := Seg(js)
			cond, err := seg.Compile(AsOf)
			require.NoError(t, err, js)
			want := Expected(profiles, cond)
			assert.Equal(t, want, Selected(t, s, DealerA, cond), "members of %s", js)
			n, err := s.CountProfiles(ctx, DealerA, cond)
			require.NoError(t, err)
			assert.Equal(t, len(want), n, "count of %s", js)
		}
		cond, _ := Seg(`{}`).Compile(AsOf)
		var first []campaign.Profile
		require.NoError(t, s.EachProfile(ctx, DealerA, cond, 3, func(p *campaign.Profile) error { first = append(first, *p); return nil }))
		require.Len(t, first, 3, "limit")
		assert.Equal(t, JSON(t, profiles[:3]), JSON(t, first), "profiles read back as written")

		dup := append(Profiles(DealerA, 3), Profiles(DealerA, 1)...)
		assert.ErrorIs(t, s.ReplaceProfiles(ctx, DealerA, dup), dealercrm.ErrConflict, "a customer given twice")
		n, err := s.CountProfiles(ctx, DealerA, cond)
		require.NoError(t, err)
		assert.Equal(t, len(profiles), n, "a failed replace changes nothing")

		require.NoError(t, s.ReplaceProfiles(ctx, DealerA, profiles[:10]))
		n, err = s.CountProfiles(ctx, DealerA, cond)
		require.NoError(t, err)
		assert.Equal(t, 10, n, "a replace drops the old snapshot")
		n, err = s.CountProfiles(ctx, DealerB, cond)
		require.NoError(t, err)
		assert.Equal(t, 5, n, "other dealers are untouched")
	})
	t.Run("Audience", func(t *testing.T) {
		s := newStore(t)
		c := Campaign(DealerA, "k1")
		require.NoError(t, s.CreateCampaign(ctx, &c))
		members := []campaign.Member{
			{DealerID: DealerA, CampaignID: "k1", CustomerID: "c2", Segment: "normal", Channel: crm.ChannelSMS},
			{DealerID: DealerA, CampaignID: "k1", CustomerID: "c1", Segment: "complained", Excluded: campaign.NoConsent},
			{DealerID: DealerA, CampaignID: "k1", CustomerID: "c3", Segment: "normal", Channel: crm.ChannelPhone, Holdout: true},
		}
		require.NoError(t, s.FreezeAudience(ctx, DealerA, "k1", at, members))
		got, err := s.GetCampaign(ctx, DealerA, "k1")
		require.NoError(t, err)
		assert.True(t, got.FrozenAt.Equal(at), "the freeze is stamped")
		assert.ErrorIs(t, s.FreezeAudience(ctx, DealerA, "k1", at, members), campaign.ErrAudienceFrozen)
		assert.ErrorIs(t, s.FreezeAudience(ctx, DealerA, "nope", at, nil), dealercrm.ErrNotFound)

		ms, err := s.Members(ctx, DealerA, "k1")
		require.NoError(t, err)
		require.Len(t, ms, 3)
		assert.Equal(t, []crm.CustomerID{"c1", "c2", "c3"}, []crm.CustomerID{ms[0].CustomerID, ms[1].CustomerID, ms[2].CustomerID}, "in customer order")
		assert.Equal(t, campaign.NoConsent, ms[0].Excluded)
		assert.True(t, ms[2].Holdout)

		m, err := s.UpdateMember(ctx, DealerA, "k1", "c2", func(m *campaign.Member) error {
			m.Responded = dealercrm.NewDate(2025, 3, 3)
			m.Visited = dealercrm.NewDate(2025, 3, 5)
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, dealercrm.NewDate(2025, 3, 5), m.Visited)
		_, err = s.UpdateMember(ctx, DealerA, "k1", "c9", func(*campaign.Member) error { return nil })
		assert.ErrorIs(t, err, dealercrm.ErrNotFound)

		out := []campaign.Member{{CustomerID: "c3", Converted: dealercrm.NewDate(2025, 3, 9), ConversionKind: campaign.ConvertedByService, Revenue: decimal.RequireFromString("880.50")}}
		require.NoError(t, s.SetOutcomes(ctx, DealerA, "k1", out))
		ms, err = s.Members(ctx, DealerA, "k1")
		require.NoError(t, err)
		assert.Equal(t, dealercrm.NewDate(2025, 3, 5), ms[1].Visited, "recorded responses are kept")
		assert.Equal(t, dealercrm.NewDate(2025, 3, 9), ms[2].Converted)
		assert.Equal(t, campaign.ConvertedByService, ms[2].ConversionKind)
		assert.True(t, ms[2].Revenue.Equal(decimal.RequireFromString("880.5")), "revenue %s", ms[2].Revenue)
		assert.True(t, ms[2].Holdout, "outcomes leave the rest alone")
		assert.ErrorIs(t, s.SetOutcomes(ctx, DealerA, "k1", []campaign.Member{{CustomerID: "c9"}}), dealercrm.ErrNotFound)

		ms, err = s.Members(ctx, DealerB, "k1")
		require.NoError(t, err)
		assert.Empty(t, ms, "another dealer sees no members")
	})
	t.Run("MemberPages", func(t *testing.T) {
		s := newStore(t)
		c := Campaign(DealerA, "k1")
		require.NoError(t, s.CreateCampaign(ctx, &c))
		p, err := s.ListMembers(ctx, DealerA, "k1", campaign.MemberFilter{})
		require.NoError(t, err)
		assert.Equal(t, crm.Page[campaign.Member]{Items: []campaign.Member{}}, p, "no members before the freeze")
		var members []campaign.Member
		for i := range 5 {
			members = append(members, campaign.Member{CustomerID: crm.CustomerID(fmt.Sprintf("c%d", 4-i)), Segment: "normal", Channel: crm.ChannelSMS})
		}
		require.NoError(t, s.FreezeAudience(ctx, DealerA, "k1", at, members))
		var pages [][]crm.CustomerID
		after := ""
		for range 5 {
			p, err := s.ListMembers(ctx, DealerA, "k1", campaign.MemberFilter{PageRequest: crm.PageRequest{After: after, Limit: 2}})
			require.NoError(t, err)
			var ids []crm.CustomerID
			for _, m := range p.Items {
				assert.Equal(t, DealerA, m.DealerID)
				assert.Equal(t, campaign.ID("k1"), m.CampaignID)
				ids = append(ids, m.CustomerID)
			}
			pages = append(pages, ids)
			if after = p.Next; after == "" {
				break
			}
		}
		assert.Equal(t, [][]crm.CustomerID{{"c0", "c1"}, {"c2", "c3"}, {"c4"}}, pages, "pages of two in customer order")
		p, err = s.ListMembers(ctx, DealerB, "k1", campaign.MemberFilter{})
		require.NoError(t, err)
		assert.Empty(t, p.Items, "another dealer sees no members")
		_, err = s.ListMembers(ctx, DealerA, "k1", campaign.MemberFilter{PageRequest: crm.PageRequest{After: "%%%"}})
		assert.ErrorIs(t, err, dealercrm.ErrInvalid, "a bad cursor is invalid")
	})
	t.Run("CustomerData", func(t *testing.T) {
		// One customer's memberships across campaigns and their profile,
		// found and deleted for one dealer only: DealerB has a customer
		// with the same ID.
		s := newStore(t)
		for _, d := range []crm.DealerID{DealerA, DealerB} {
			for _, id := range []campaign.ID{"k2", "k1", "k3"} {
				c := Campaign(d, id)
				require.NoError(t, s.CreateCampaign(ctx, &c))
			}
			for _, id := range []campaign.ID{"k2", "k1"} {
				require.NoError(t, s.FreezeAudience(ctx, d, id, at, []campaign.Member{
					{CustomerID: "c2", Segment: "normal", Channel: crm.ChannelSMS},
					{CustomerID: "c1", Segment: "normal", Channel: crm.ChannelSMS, Holdout: id == "k2"},
				}))
			}
			require.NoError(t, s.ReplaceProfiles(ctx, d, Profiles(d, 3)))
		}
		_, err := s.UpdateMember(ctx, DealerA, "k1", "c1", func(m *campaign.Member) error {
			m.Responded, m.Converted, m.ConversionKind, m.Revenue = dealercrm.NewDate(2025, 3, 3), dealercrm.NewDate(2025, 3, 5), campaign.ConvertedByRecord, decimal.RequireFromString("250000.00")
			return nil
		})
		require.NoError(t, err)

		ms, err := s.CustomerMembers(ctx, DealerA, "c1")
		require.NoError(t, err)
		require.Len(t, ms, 2, "c1 is in the audiences of k1 and k2; k3 has none")
		assert.Equal(t, []campaign.ID{"k1", "k2"}, []campaign.ID{ms[0].CampaignID, ms[1].CampaignID}, "in campaign order")
		assert.Equal(t, DealerA, ms[0].DealerID)
		assert.Equal(t, crm.CustomerID("c1"), ms[0].CustomerID)
		assert.Equal(t, dealercrm.NewDate(2025, 3, 3), ms[0].Responded)
		assert.Equal(t, dealercrm.NewDate(2025, 3, 5), ms[0].Converted)
		assert.Equal(t, "250000", ms[0].Revenue.String())
		assert.True(t, ms[1].Holdout)
		ms, err = s.CustomerMembers(ctx, DealerA, "c9")
		require.NoError(t, err)
		assert.Equal(t, []campaign.Member{}, ms, "no memberships: an empty list")

		want := Profiles(DealerA, 3)
		p, err := s.GetProfile(ctx, DealerA, "c0001")
		require.NoError(t, err)
		assert.Equal(t, JSON(t, want[1]), JSON(t, p), "the profile reads back as written")
		_, err = s.GetProfile(ctx, DealerA, "c9")
		assert.ErrorIs(t, err, dealercrm.ErrNotFound)

		require.NoError(t, s.DeleteProfile(ctx, DealerA, "c0001"))
		require.NoError(t, s.DeleteProfile(ctx, DealerA, "c0001"), "deleting twice is fine")
		_, err = s.GetProfile(ctx, DealerA, "c0001")
		assert.ErrorIs(t, err, dealercrm.ErrNotFound, "deleted")
		all, _ := Seg(`{}`).Compile(AsOf)
		assert.Equal(t, []crm.CustomerID{"c0000", "c0002"}, Selected(t, s, DealerA, all), "the others stay")
		p, err = s.GetProfile(ctx, DealerB, "c0001")
		require.NoError(t, err, "another dealer's customer of the same ID keeps theirs")
		assert.Equal(t, JSON(t, Profiles(DealerB, 3)[1]), JSON(t, p))
		ms, err = s.CustomerMembers(ctx, DealerB, "c1")
		require.NoError(t, err)
		require.Len(t, ms, 2)
		assert.True(t, ms[0].Converted.IsZero(), "and their own memberships")
	})
	t.Run("AccessoryTargets", func(t *testing.T) {
		s := newStore(t)
		sep := dealercrm.NewDate(2025, 9, 1)
		ts := []campaign.AccessoryTarget{
			{DealerID: DealerA, Month: sep, Dimension: campaign.ByModel, Key: "卡罗拉", Amount: decimal.NewFromInt(60000)},
			{DealerID: DealerA, Month: sep, Dimension: campaign.ByConsultant, Key: "S01", Amount: decimal.NewFromInt(30000)},
			{DealerID: DealerA, Month: sep.AddMonths(1), Dimension: campaign.ByConsultant, Key: "S01", Amount: decimal.NewFromInt(1)},
		}
		require.NoError(t, s.PutAccessoryTargets(ctx, DealerA, ts))
		require.NoError(t, s.PutAccessoryTargets(ctx, DealerA, []campaign.AccessoryTarget{{DealerID: DealerA, Month: sep, Dimension: campaign.ByConsultant, Key: "S01", Amount: decimal.NewFromInt(35000)}}))
		got, err := s.AccessoryTargets(ctx, DealerA, sep)
		require.NoError(t, err)
		require.Len(t, got, 2)
		assert.Equal(t, campaign.ByConsultant, got[0].Dimension, "ordered by dimension")
		assert.True(t, got[0].Amount.Equal(decimal.NewFromInt(35000)), "a target is replaced")
		assert.Equal(t, "卡罗拉", got[1].Key)
		got, err = s.AccessoryTargets(ctx, DealerB, sep)
		require.NoError(t, err)
		assert.Empty(t, got)
	})
}
