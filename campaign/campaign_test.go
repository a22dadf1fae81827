package campaign_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func seg(t testing.TB, s string) campaign.Segment {
	t.Helper()
	var x campaign.Segment
	require.NoError(t, json.Unmarshal([]byte(s), &x))
	return x
}

// TestSegmentByHand evaluates a segment tree on four customers worked out
// by hand, as of 2025-03-01:
//
//	female AND (age < 35 OR hobby golf) AND NOT abnormal complained AND last visit within 180 days
//
//	c1 female, born 1992-03-02 (32), no hobby, visited 2025-01-10     → match (age)
//	c2 female, born 1980-05-01 (44), golf, complained, 2025-02-01     → no (complained)
//	c3 female, born 1970-01-01 (55), golf, visited 2024-09-02 (180 d) → match (golf; 180 days is within)
//	c4 male,   born 1995-01-01 (30), visited 2025-02-20               → no (male)
//	c5 female, no birthday, golf, never visited                       → no (no visit)
func TestSegmentByHand(t *testing.T) {
	asOf := date("2025-03-01")
	ps := []campaign.Profile{
		{CustomerID: "c1", Gender: crm.Female, Birthday: date("1992-03-02"), LastVisit: date("2025-01-10")},
		{CustomerID: "c2", Gender: crm.Female, Birthday: date("1980-05-01"), Hobbies: []string{"golf"}, Abnormal: []string{"complained"}, LastVisit: date("2025-02-01")},
		{CustomerID: "c3", Gender: crm.Female, Birthday: date("1970-01-01"), Hobbies: []string{"golf"}, LastVisit: date("2024-09-02")},
		{CustomerID: "c4", Gender: crm.Male, Birthday: date("1995-01-01"), LastVisit: date("2025-02-20")},
		{CustomerID: "c5", Gender: crm.Female, Hobbies: []string{"golf"}},
	}
	s := seg(t, `{"and": [
		{"field": "gender", "op": "eq", "value": "female"},
		{"or": [{"field": "age", "op": "lt", "value": 35}, {"field": "hobby", "op": "has", "value": "golf"}]},
		{"not": {"field": "abnormal", "op": "has", "value": "complained"}},
		{"field": "last_visit", "op": "lte", "value": 180}]}`)
	cond, err := s.Compile(asOf)
	require.NoError(t, err)
	m := cond.Matcher()
	var got []crm.CustomerID
	for i := range ps {
		if m(&ps[i]) {
			got = append(got, ps[i].CustomerID)
		}
	}
	assert.Equal(t, []crm.CustomerID{"c1", "c3"}, got)

	// Age boundaries: born 1992-03-01 is 33 on 2025-03-01, born 1992-03-02 is 32.
	for _, c := range []struct {
		born string
		age  int
	}{{"1992-03-01", 33}, {"1992-03-02", 32}, {"1996-02-29", 29}} {
		for _, n := range []int{c.age - 1, c.age, c.age + 1} {
			cond, err := seg(t, fmt.Sprintf(`{"field": "age", "op": "eq", "value": %d}`, n)).Compile(asOf)
			require.NoError(t, err)
			p := campaign.Profile{Birthday: date(c.born)}
			assert.Equal(t, n == c.age, cond.Matcher()(&p), "born %s is %d, asked %d", c.born, c.age, n)
		}
	}
	// A missing value matches neither a condition nor its negation.
	for _, js := range []string{`{"field": "age", "op": "gte", "value": 0}`, `{"field": "age", "op": "ne", "value": 30}`,
		`{"field": "vehicle.odometer", "op": "ne", "value": 5}`, `{"field": "last_visit", "op": "ne", "value": 1}`} {
		cond, err := seg(t, js).Compile(asOf)
		require.NoError(t, err)
		assert.False(t, cond.Matcher()(&campaign.Profile{}), "%s on an empty profile", js)
	}
}

func TestSegmentValidationNamesThePath(t *testing.T) {
	for _, c := range []struct {
		seg, field, rule string
	}{
		{`{"and": [{"field": "gender", "op": "eq", "value": "female"}, {"field": "age", "op": "gt", "value": 30}, {"field": "age", "op": "lt", "value": "40"}]}`, "segment.and[2].value", campaign.RuleValueType},
		{`{"or": [{"field": "shoe_size", "op": "eq", "value": "42"}]}`, "segment.or[0].field", campaign.RuleUnknownField},
		{`{"field": "hobby", "op": "eq", "value": "golf"}`, "segment.op", campaign.RuleOperator},
		{`{"field": "gender", "op": "eq", "value": "robot"}`, "segment.value", crm.RuleEnum},
		{`{"not": {"field": "age", "op": "between", "value": [50, 40]}}`, "segment.not.value", crm.RuleOrder},
		{`{"field": "age", "op": "gte", "value": 30.5}`, "segment.value", campaign.RuleValueType},
		{`{"field": "age", "op": "gte", "value": -1}`, "segment.value", campaign.RuleRange},
		{`{"field": "consent", "op": "has", "value": "marketing"}`, "segment.value", crm.RuleFormat},
		{`{"and": []}`, "segment.and", crm.RuleRequired},
		{`{"and": [{"field": "gender", "op": "eq", "value": "male", "not": {"field": "age", "op": "eq", "value": 1}}]}`, "segment.and[0]", campaign.RuleShape},
		{`{"field": "region.city", "op": "in", "value": []}`, "segment.value", campaign.RuleRange},
		{`{"field": "tag", "op": "has_any", "value": ["a", 3]}`, "segment.value", campaign.RuleValueType},
		{`{"field": "gender", "op": "eq", "value": null}`, "segment.value", campaign.RuleValueType},
		{`{"field": "age", "op": "between", "value": [null, 3]}`, "segment.value[0]", campaign.RuleValueType},
	} {
		_, err := seg(t, c.seg).Compile(date("2025-03-01"))
		var ve *crm.ValidationError
		require.ErrorAs(t, err, &ve, c.seg)
		assert.True(t, ve.Has(c.field, c.rule), "%s: want %s %s, got %v", c.seg, c.field, c.rule, ve.Fields)
		assert.ErrorIs(t, err, dealercrm.ErrInvalid)
	}
	deep := `{"field": "gender", "op": "eq", "value": "male"}`
	for range 20 {
		deep = `{"not": ` + deep + `}`
	}
	_, err := seg(t, deep).Compile(date("2025-03-01"))
	assert.ErrorIs(t, err, dealercrm.ErrInvalid, "a too deep segment is rejected")
}

func TestLifecycleTransitionsAndCosts(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, campaign.WithClock(func() time.Time { return time.Date(2025, 4, 10, 2, 0, 0, 0, time.UTC) }))
	c, err := e.svc.Create(ctx, dealer, campaign.Campaign{Name: "爱车讲堂", Kind: campaign.Interactive, Channels: []crm.Channel{crm.ChannelWeChat},
		Start: date("2025-03-01"), End: date("2025-03-31"), Budget: money("5000")})
	require.NoError(t, err)
	assert.Equal(t, campaign.Draft, c.Status)
	cost := campaign.CostLine{ID: "l1", Date: date("2025-03-02"), Description: "场地", Amount: money("1200.00"), Channel: crm.ChannelWeChat}
	_, err = e.svc.AddCost(ctx, dealer, c.ID, cost)
	assert.ErrorIs(t, err, campaign.ErrCostNotAllowed, "no costs on a draft")
	_, err = e.svc.Transition(ctx, dealer, c.ID, campaign.Running)
	assert.ErrorIs(t, err, campaign.ErrInvalidTransition, "draft cannot start running")

	for _, to := range []campaign.Status{campaign.Approved, campaign.Running} {
		c, err = e.svc.Transition(ctx, dealer, c.ID, to)
		require.NoError(t, err)
	}
	_, err = e.svc.Update(ctx, dealer, c.ID, campaign.Update{Name: new("x")})
	assert.ErrorIs(t, err, campaign.ErrNotEditable)
	c, err = e.svc.AddCost(ctx, dealer, c.ID, cost)
	require.NoError(t, err)
	c, err = e.svc.AddCost(ctx, dealer, c.ID, cost)
	require.NoError(t, err)
	assert.Len(t, c.Costs, 1, "a replayed cost line is booked once")
	other := cost
	other.Amount = money("1300")
	_, err = e.svc.AddCost(ctx, dealer, c.ID, other)
	assert.ErrorIs(t, err, campaign.ErrCostConflict, "the same line ID with another amount")
	_, err = e.svc.AddCost(ctx, dealer, c.ID, campaign.CostLine{Date: date("2025-03-02"), Description: "短信", Amount: money("10"), Channel: crm.ChannelSMS})
	var ve *crm.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.True(t, ve.Has("channel", crm.RuleEnum), "a cost on a channel the campaign does not use: %v", ve.Fields)
	c, err = e.svc.Transition(ctx, dealer, c.ID, campaign.Completed)
	require.NoError(t, err)
	_, err = e.svc.AddCost(ctx, dealer, c.ID, campaign.CostLine{ID: "l2", Date: date("2025-04-02"), Description: "礼品", Amount: money("300.50")})
	require.NoError(t, err, "costs are still booked once completed")
	c, err = e.svc.Transition(ctx, dealer, c.ID, campaign.Evaluated)
	require.NoError(t, err)
	assert.Equal(t, "1500.5", c.Cost().String())
	_, err = e.svc.AddCost(ctx, dealer, c.ID, campaign.CostLine{ID: "l3", Date: date("2025-04-03"), Description: "x", Amount: money("1")})
	assert.ErrorIs(t, err, campaign.ErrCostNotAllowed, "no costs once evaluated")
	_, err = e.svc.Transition(ctx, dealer, c.ID, campaign.Running)
	assert.ErrorIs(t, err, campaign.ErrInvalidTransition)

	_, err = e.svc.Create(ctx, dealer, campaign.Campaign{Name: "x", Kind: "tv", Start: date("2025-03-01"), End: date("2025-02-01"), Holdout: 0.7})
	require.ErrorAs(t, err, &ve)
	for _, f := range []string{"kind", "end", "holdout"} {
		assert.True(t, ve.Has(f, ""), "%s is named: %v", f, ve.Fields)
	}
}

// TestTransitionError: a refused change names the status, the one asked
// for and the allowed ones (issue 12); an unknown status names the field.
func TestTransitionError(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	c, err := e.svc.Create(ctx, dealer, campaign.Campaign{Name: "爱车讲堂", Kind: campaign.Interactive, Start: date("2025-03-01"), End: date("2025-03-31")})
	require.NoError(t, err)
	for _, to := range []campaign.Status{campaign.Approved, campaign.Running} {
		_, err = e.svc.Transition(ctx, dealer, c.ID, to)
		require.NoError(t, err)
	}
	cases := []struct {
		to      campaign.Status
		allowed []string
		msg     string
	}{
		{campaign.Draft, []string{"completed"}, "invalid campaign status transition running → draft (allowed from running: completed)"},
		{campaign.Evaluated, []string{"completed"}, "invalid campaign status transition running → evaluated (allowed from running: completed)"},
	}
	for _, tc := range cases {
		_, err = e.svc.Transition(ctx, dealer, c.ID, tc.to)
		var te *dealercrm.TransitionError
		require.ErrorAs(t, err, &te, "to %s", tc.to)
		assert.Equal(t, dealercrm.TransitionError{Machine: "campaign status", From: "running", To: string(tc.to), Allowed: tc.allowed, Sentinel: campaign.ErrInvalidTransition}, *te)
		assert.Equal(t, tc.msg, dealercrm.ErrorMessage(err), "the message users see")
		assert.ErrorIs(t, err, campaign.ErrInvalidTransition)
		assert.Equal(t, dealercrm.FailedPrecondition, dealercrm.ErrorCode(err))
	}
	for _, to := range []campaign.Status{campaign.Completed, campaign.Evaluated} {
		_, err = e.svc.Transition(ctx, dealer, c.ID, to)
		require.NoError(t, err)
	}
	_, err = e.svc.Transition(ctx, dealer, c.ID, campaign.Completed)
	assert.Equal(t, "invalid campaign status transition evaluated → completed (allowed from evaluated: none, evaluated is final)", dealercrm.ErrorMessage(err))
	assert.ErrorIs(t, err, campaign.ErrInvalidTransition)
	_, err = e.svc.Transition(ctx, dealer, c.ID, "done")
	var ve *crm.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.True(t, ve.Has("status", crm.RuleEnum), "%v", ve.Fields)
}

// TestConsentExclusion: only customers who consented to marketing on one of
// the campaign's channels are invited, on the first such channel; the rest
// are counted as excluded with the reason.
func TestConsentExclusion(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.customer(t, "c1", func(c *crm.Customer) {
		c.Consents = []crm.Consent{consent(crm.PurposeMarketing, crm.ChannelPhone), consent(crm.PurposeMarketing, crm.ChannelSMS)}
	})
	e.customer(t, "c2", func(c *crm.Customer) { c.Consents = []crm.Consent{consent(crm.PurposeMarketing, crm.ChannelPhone)} })
	e.customer(t, "c3", func(c *crm.Customer) { c.Consents = []crm.Consent{consent(crm.PurposeServiceReminder, crm.ChannelSMS)} })
	e.customer(t, "c4", func(c *crm.Customer) {
		withdrawn := consent(crm.PurposeMarketing, crm.ChannelSMS)
		withdrawn.Granted = false
		c.Consents = []crm.Consent{withdrawn}
	})
	e.customer(t, "c5", nil)
	n, err := e.svc.RefreshProfiles(ctx, dealer, dealercrm.Date{})
	require.NoError(t, err)
	require.Equal(t, 5, n)

	c, err := e.svc.Create(ctx, dealer, campaign.Campaign{Name: "春季保养", Kind: campaign.Care, Channels: []crm.Channel{crm.ChannelSMS, crm.ChannelPhone},
		Start: date("2025-03-01"), End: date("2025-03-31"), Targets: []campaign.Target{{Name: "all", Rate: money("0.3")}}})
	require.NoError(t, err)
	_, err = e.svc.Freeze(ctx, dealer, c.ID, dealercrm.Date{})
	assert.ErrorIs(t, err, campaign.ErrInvalidTransition, "a draft's audience is not frozen")
	_, err = e.svc.Transition(ctx, dealer, c.ID, campaign.Approved)
	require.NoError(t, err)
	sum, err := e.svc.Freeze(ctx, dealer, c.ID, dealercrm.Date{})
	require.NoError(t, err)
	assert.Equal(t, 5, sum.Members)
	assert.Equal(t, 2, sum.Contacted)
	assert.Equal(t, []campaign.ExclusionCount{{Reason: campaign.NoConsent, Count: 3}}, sum.Excluded)
	_, err = e.svc.Freeze(ctx, dealer, c.ID, dealercrm.Date{})
	assert.ErrorIs(t, err, campaign.ErrAudienceFrozen)

	ms, err := e.svc.Members(ctx, dealer, c.ID)
	require.NoError(t, err)
	got := map[crm.CustomerID]string{}
	for _, m := range ms {
		got[m.CustomerID] = string(m.Channel) + "/" + string(m.Excluded)
	}
	assert.Equal(t, map[crm.CustomerID]string{"c1": "sms/", "c2": "phone/", "c3": "/no_consent", "c4": "/no_consent", "c5": "/no_consent"}, got)

	_, err = e.svc.Transition(ctx, dealer, c.ID, campaign.Running)
	require.NoError(t, err)
	_, err = e.svc.RecordResponse(ctx, dealer, c.ID, "c3", campaign.Response{Kind: campaign.Responded, Date: date("2025-03-01")})
	assert.ErrorIs(t, err, campaign.ErrNotContacted, "an excluded customer was not contacted")
}

// TestHoldoutDeterministic: the split depends on the seed and the customer
// only, and its share is close to the one asked for.
func TestHoldoutDeterministic(t *testing.T) {
	const n = 20000
	count := func(seed uint64, share float64) (int, []bool) {
		k, in := 0, make([]bool, n)
		for i := range n {
			in[i] = campaign.InHoldout(seed, crm.CustomerID(fmt.Sprintf("cust-%06d", i)), share)
			if in[i] {
				k++
			}
		}
		return k, in
	}
	k1, a := count(7, 0.2)
	k2, b := count(7, 0.2)
	assert.Equal(t, a, b, "the same seed gives the same split")
	assert.Equal(t, k1, k2)
	// Binomial sd at n = 20000, p = 0.2 is 56.6; allow 4 sd.
	assert.InDelta(t, 4000, k1, 230, "close to 20%%: %d of %d", k1, n)
	_, c := count(8, 0.2)
	assert.NotEqual(t, a, c, "another seed gives another split")
	k10, _ := count(7, 0.1)
	assert.InDelta(t, 2000, k10, 170, "close to 10%%: %d", k10)
	k0, _ := count(7, 0)
	assert.Zero(t, k0)
	// Growing the share only adds customers: a 10% holdout is inside the 20% one.
	_, ten := count(7, 0.1)
	for i := range n {
		if ten[i] {
			require.True(t, a[i], "customer %d of the 10%% holdout is in the 20%% one", i)
		}
	}
}

// TestUpliftNewcombe checks the interval against Newcombe (1998), Table II,
// method 10: 56/70 − 48/80 = 0.2000, 95% CI 0.0524 to 0.3339.
func TestUpliftNewcombe(t *testing.T) {
	u := campaign.ComputeUplift(56, 70, 48, 80)
	assert.InDelta(t, 0.2, u.Difference, 1e-12)
	require.NotNil(t, u.CI)
	assert.InDelta(t, 0.0524, u.CI.Low, 0.00005)
	assert.InDelta(t, 0.3339, u.CI.High, 0.00005)
	assert.True(t, u.Significant)
	u = campaign.ComputeUplift(120, 1000, 8, 100)
	assert.InDelta(t, 0.04, u.Difference, 1e-12)
	assert.InDelta(t, -0.0324, u.CI.Low, 0.00005)
	assert.False(t, u.Significant, "the interval spans zero")
	assert.Nil(t, campaign.ComputeUplift(3, 10, 0, 0).CI, "no interval without a holdout")
}

var _ = decimal.Zero
