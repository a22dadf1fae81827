package demo_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/demo"
	"github.com/dealercrm/dealercrm/satisfaction"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func surveyHash(t *testing.T, s []demo.DealerSurveys) string {
	t.Helper()
	h := sha256.New()
	require.NoError(t, json.NewEncoder(h).Encode(s))
	return hex.EncodeToString(h.Sum(nil))
}

func TestSurveysAreDeterministic(t *testing.T) {
	opts := demo.Options{Seed: 42, Today: today, Customers: 200}
	first := demo.Surveys(demo.Generate(opts))
	assert.Equal(t, surveyHash(t, first), surveyHash(t, demo.Surveys(demo.Generate(opts))), "the same options give the same surveys")
	assert.NotEqual(t, surveyHash(t, first), surveyHash(t, demo.Surveys(demo.Generate(demo.Options{Seed: 43, Today: today, Customers: 200}))),
		"another seed gives other surveys")

	from := today.AddMonths(-demo.SurveySeasonMonths)
	require.Len(t, first, 2, "both stores")
	for _, ds := range first {
		require.NotEmpty(t, ds.Responses, "%s has a season of responses", ds.DealerID)
		var sales, service, low int
		for _, r := range ds.Responses {
			assert.False(t, r.Date.Before(from) || !r.Date.Before(today), "%s: call date %s in the season before today", r.ExternalID, r.Date)
			assert.NotEmpty(t, r.StaffID, "%s names the advisor or consultant", r.ExternalID)
			assert.NotEmpty(t, r.CustomerID)
			switch {
			case r.SaleID != "":
				sales++
			case r.ServiceOrderID != "":
				service++
			}
			for _, a := range r.Answers {
				if a.Value <= 2 {
					low++
					break
				}
			}
		}
		assert.Positive(t, sales, "delivery calls")
		assert.Positive(t, service, "post-service calls")
		assert.Positive(t, low, "a few dissatisfied customers")
		assert.Less(t, low*5, len(ds.Responses), "but not many")
	}
}

// seedAll seeds data into fresh memory stores with the closed loop on.
func seedAll(t *testing.T, data demo.Data) (*crm.Service, *satisfaction.Service) {
	t.Helper()
	ctx := context.Background()
	svc := crm.NewService(memory.New())
	sat, err := satisfaction.NewService(memory.NewSatisfactionStore(), satisfaction.WithRecords(svc), satisfaction.WithFollowUps(satisfaction.CRMComplaints{CRM: svc}))
	require.NoError(t, err)
	require.NoError(t, demo.Seed(ctx, svc, data))
	require.NoError(t, demo.SeedSatisfaction(ctx, svc, sat, data))
	return svc, sat
}

func allResponses(t *testing.T, sat *satisfaction.Service, dealer crm.DealerID) []satisfaction.Response {
	t.Helper()
	var out []satisfaction.Response
	f := satisfaction.ResponseFilter{PageRequest: crm.PageRequest{Limit: crm.MaxLimit}}
	for {
		p, err := sat.ListResponses(context.Background(), dealer, f)
		require.NoError(t, err)
		out = append(out, p.Items...)
		if p.Next == "" {
			return out
		}
		f.After = p.Next
	}
}

func TestSeedSatisfactionIsIdempotent(t *testing.T) {
	ctx := context.Background()
	data := demo.Generate(demo.Options{Seed: 7, Today: today, Customers: 120})
	svc, sat := seedAll(t, data)
	surveys := demo.Surveys(data)
	before := map[crm.DealerID][]satisfaction.Response{}
	complaints := map[crm.DealerID]int{}
	for _, ds := range surveys {
		rs := allResponses(t, sat, ds.DealerID)
		require.Len(t, rs, len(ds.Responses), "every planned response of %s is recorded", ds.DealerID)
		before[ds.DealerID] = rs
		p, err := svc.ListComplaints(ctx, ds.DealerID, crm.ComplaintFilter{PageRequest: crm.PageRequest{Limit: crm.MaxLimit}})
		require.NoError(t, err)
		complaints[ds.DealerID] = len(p.Items)
		followUps := 0
		for _, r := range rs {
			if r.FollowUp != "" {
				followUps++
			}
			if r.ServiceOrderID != "" {
				o, err := svc.GetServiceOrder(ctx, ds.DealerID, r.ServiceOrderID)
				require.NoError(t, err, "the response links an imported service order")
				assert.Equal(t, o.AdvisorID, r.StaffID, "about the order's advisor")
				assert.Equal(t, o.CustomerID, r.CustomerID)
			}
		}
		assert.Positive(t, followUps, "dissatisfied responses of %s opened follow-ups", ds.DealerID)

		rep, err := sat.Report(ctx, ds.DealerID, "default-service-call", satisfaction.ReportRequest{})
		require.NoError(t, err)
		assert.Greater(t, rep.CSI, 60.0, "a believable CSI")
		assert.Less(t, rep.CSI, 95.0, "a believable CSI")
		require.GreaterOrEqual(t, len(rep.ByStaff), 2)
		lo, hi := rep.ByStaff[0].CSI, rep.ByStaff[0].CSI
		for _, s := range rep.ByStaff {
			lo, hi = min(lo, s.CSI), max(hi, s.CSI)
		}
		assert.Greater(t, hi-lo, 10.0, "some advisors are clearly better than others")
	}

	require.NoError(t, demo.Seed(ctx, svc, data))
	require.NoError(t, demo.SeedSatisfaction(ctx, svc, sat, data), "seeding again")
	for _, ds := range surveys {
		assert.Equal(t, before[ds.DealerID], allResponses(t, sat, ds.DealerID), "re-seeding changes no response of %s", ds.DealerID)
		p, err := svc.ListComplaints(ctx, ds.DealerID, crm.ComplaintFilter{PageRequest: crm.PageRequest{Limit: crm.MaxLimit}})
		require.NoError(t, err)
		assert.Len(t, p.Items, complaints[ds.DealerID], "and opens no second follow-up")
	}
}
