package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCampaignRoutes(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	at := time.Date(2025, 3, 10, 1, 0, 0, 0, time.UTC)
	csvc, err := campaign.NewService(store, memory.NewCampaignStore(), campaign.WithClock(func() time.Time { return at }))
	require.NoError(t, err)
	e := newEnvOn(t, store, httpapi.WithCampaigns(csvc))
	rec := crm.Record{DealerID: dealerA, CreatedAt: at, UpdatedAt: at}
	for i := range 6 {
		c := crm.Customer{ID: crm.CustomerID(fmt.Sprintf("c%d", i)), Record: rec, Name: "客户", Kind: crm.Individual, Gender: crm.Female, Hobbies: []string{"golf"}}
		if i%2 == 0 {
			c.Gender = crm.Male
		}
		if i < 4 {
			c.Consents = []crm.Consent{{Purpose: crm.PurposeMarketing, Channel: crm.ChannelSMS, Granted: true, At: at, Source: "form"}}
		}
		require.NoError(t, store.Customers().Create(ctx, &c))
	}

	w := e.do(http.MethodPost, "/v1/campaign-profiles/refresh", keyA, map[string]any{"as_of": "2025-03-01"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.JSONEq(t, `{"count": 6}`, w.Body.String())

	w = e.do(http.MethodPost, "/v1/campaign-segments/preview", keyA, map[string]any{"segment": map[string]any{"and": []any{
		map[string]any{"field": "hobby", "op": "has", "value": "golf"}, map[string]any{"field": "gender", "op": "eq", "value": "female"}}}, "sample": 2})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	p := decodeJSON[campaign.Preview](t, w.Body.Bytes())
	assert.Equal(t, 3, p.Count)
	require.Len(t, p.Sample, 2)
	assert.Equal(t, crm.CustomerID("c1"), p.Sample[0].CustomerID)

	w = e.do(http.MethodPost, "/v1/campaign-segments/preview", keyA, `{"segment": {"and": [{"field": "hobby", "op": "has", "value": "golf"}, {"field": "gender", "op": "eq", "value": "x"}, {"field": "age", "op": "gt", "value": "30"}]}}`)
	require.Equal(t, http.StatusUnprocessableEntity, w.Code, w.Body.String())
	assert.Contains(t, w.Body.String(), `"segment.and[2].value"`, "the problem names the path")

	w = e.do(http.MethodPost, "/v1/campaigns", keyA, map[string]any{"id": "k1", "name": "女士关爱", "kind": "care", "channels": []string{"sms"},
		"start": "2025-03-01", "end": "2025-03-31", "budget": "3000",
		"targets": []any{map[string]any{"name": "ladies", "rate": "0.3", "segment": map[string]any{"field": "gender", "op": "eq", "value": "female"}}}})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Equal(t, "/v1/campaigns/k1", w.Header().Get("Location"))
	w = e.do(http.MethodGet, "/v1/campaigns/k1", keyB, nil)
	assert.Equal(t, http.StatusNotFound, w.Code, "another dealer's key does not see it")
	w = e.do(http.MethodPatch, "/v1/campaigns/k1", keyA, map[string]any{"name": "女士关爱月", "end": "2025-04-15"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "2025-04-15", decodeJSON[campaign.Campaign](t, w.Body.Bytes()).End.String())

	w = e.do(http.MethodPost, "/v1/campaigns/k1/costs", keyA, map[string]any{"date": "2025-03-02", "description": "短信", "amount": "100"}, "Idempotency-Key", "cost-0")
	assert.Equal(t, http.StatusConflict, w.Code, "no costs on a draft: %s", w.Body.String())
	for _, s := range []string{"approved", "running"} {
		w = e.do(http.MethodPost, "/v1/campaigns/k1/transitions", keyA, map[string]any{"status": s})
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	}
	w = e.do(http.MethodPost, "/v1/campaigns/k1/transitions", keyA, map[string]any{"status": "evaluated"})
	assert.Equal(t, http.StatusConflict, w.Code, "running cannot jump to evaluated")
	for i := range 2 {
		w = e.do(http.MethodPost, "/v1/campaigns/k1/costs", keyA, map[string]any{"date": "2025-03-02", "description": "短信", "amount": "100", "channel": "sms"}, "Idempotency-Key", "cost-1")
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.Equal(t, map[int]string{0: "", 1: "true"}[i], w.Header().Get("Idempotent-Replayed"), "request %d", i)
	}
	assert.Len(t, decodeJSON[campaign.Campaign](t, w.Body.Bytes()).Costs, 1, "the Idempotency-Key books a line once")
	w = e.do(http.MethodPost, "/v1/campaigns/k1/costs", keyA, map[string]any{"date": "2025-03-02", "description": "短信", "amount": "900", "channel": "sms"}, "Idempotency-Key", "cost-1")
	assert.Equal(t, http.StatusConflict, w.Code, "the same key with another amount: %s", w.Body.String())

	w = e.do(http.MethodPost, "/v1/campaigns/k1/audience", keyA, map[string]any{"as_of": "2025-03-01"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	sum := decodeJSON[campaign.AudienceSummary](t, w.Body.Bytes())
	assert.Equal(t, 3, sum.Members)
	assert.Equal(t, 2, sum.Contacted, "c1 and c3 consented")
	assert.Equal(t, []campaign.ExclusionCount{{Reason: campaign.NoConsent, Count: 1}}, sum.Excluded)

	w = e.do(http.MethodPost, "/v1/campaigns/k1/members/c1/responses", keyA, map[string]any{"kind": "converted", "date": "2025-03-05", "revenue": "880"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	w = e.do(http.MethodPost, "/v1/campaigns/k1/members/c5/responses", keyA, map[string]any{"kind": "responded", "date": "2025-03-05"})
	assert.Equal(t, http.StatusConflict, w.Code, "c5 was excluded: %s", w.Body.String())
	w = e.do(http.MethodGet, "/v1/campaigns/k1/members", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Len(t, decodeJSON[crm.Page[campaign.Member]](t, w.Body.Bytes()).Items, 3)

	w = e.do(http.MethodGet, "/v1/campaigns/k1/funnel", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	f := decodeJSON[campaign.FunnelReport](t, w.Body.Bytes())
	assert.Equal(t, 2, f.Rows[0].Invited)
	assert.Equal(t, 1, f.Rows[0].Converted)
	assert.Equal(t, 50, f.Rows[0].Percent)
	assert.True(t, f.Rows[0].Met)
	w = e.do(http.MethodGet, "/v1/campaigns/k1/uplift", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	w = e.do(http.MethodPost, "/v1/campaigns/k1/attribution", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.JSONEq(t, `{"count": 1}`, w.Body.String())

	w = e.do(http.MethodGet, "/v1/reports/channels?from=2025-03-01&to=2025-03-31", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	ch := decodeJSON[campaign.ChannelReport](t, w.Body.Bytes())
	require.Len(t, ch.Rows, 1)
	assert.Equal(t, "100", ch.Rows[0].Cost.String())
	assert.Equal(t, "7.8", ch.Rows[0].ROI.String(), "(880 − 100) / 100")
	w = e.do(http.MethodGet, "/v1/reports/channels", keyA, nil)
	assert.Equal(t, http.StatusUnprocessableEntity, w.Code, "a period is required")

	w = e.do(http.MethodPut, "/v1/value-chain-targets", keyA, map[string]any{"targets": []any{map[string]any{"month": "2025-03-01", "dimension": "consultant", "key": "S01", "amount": "5000"}}})
	require.Equal(t, http.StatusNoContent, w.Code, w.Body.String())
	w = e.do(http.MethodGet, "/v1/reports/value-chain?month=2025-03-01", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	vc := decodeJSON[campaign.ValueChainReport](t, w.Body.Bytes())
	require.Len(t, vc.Consultants, 1)
	assert.Equal(t, "0", vc.Consultants[0].Completion.String())

	w = e.do(http.MethodDelete, "/v1/campaigns/k1", keyA, nil)
	assert.Equal(t, http.StatusConflict, w.Code, "only a draft is deleted: %s", w.Body.String())
	w = e.do(http.MethodPost, "/v1/campaigns", keyA, map[string]any{"id": "k2", "name": "草稿", "kind": "pr", "start": "2025-03-01", "end": "2025-03-02"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	w = e.do(http.MethodDelete, "/v1/campaigns/k2", keyA, nil)
	assert.Equal(t, http.StatusNoContent, w.Code, w.Body.String())

	w = e.do(http.MethodGet, "/v1/campaigns?status=running", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Contains(t, w.Body.String(), `"id":"k1"`)
}

// TestCampaignRoutesTrust covers the campaign part of issue 12 through the
// handler: cost lines need an Idempotency-Key and count once per line ID,
// amounts and dates are plausible (today is 2025-03-10 in Shanghai), the
// members list is paged, months read as 2025-03 and a refused transition
// says from, to and what is allowed.
func TestCampaignRoutesTrust(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	at := time.Date(2025, 3, 10, 2, 0, 0, 0, time.UTC)
	csvc, err := campaign.NewService(store, memory.NewCampaignStore(), campaign.WithClock(func() time.Time { return at }))
	require.NoError(t, err)
	e := newEnvOn(t, store, httpapi.WithCampaigns(csvc))
	rec := crm.Record{DealerID: dealerA, CreatedAt: at, UpdatedAt: at}
	for i := range 5 {
		require.NoError(t, store.Customers().Create(ctx, &crm.Customer{ID: crm.CustomerID(fmt.Sprintf("c%d", i)), Record: rec, Name: "客户", Kind: crm.Individual,
			Consents: []crm.Consent{{Purpose: crm.PurposeMarketing, Channel: crm.ChannelSMS, Granted: true, At: at, Source: "form"}}}))
	}
	w := e.do(http.MethodPost, "/v1/campaign-profiles/refresh", keyA, map[string]any{"as_of": "2025-03-01"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	w = e.do(http.MethodPost, "/v1/campaigns", keyA, map[string]any{"id": "k1", "name": "春季保养", "kind": "care", "channels": []string{"sms"},
		"start": "2025-03-01", "end": "2025-03-31", "budget": "3000", "targets": []any{map[string]any{"name": "all", "rate": "0.3", "segment": map[string]any{}}}})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	w = e.do(http.MethodPost, "/v1/campaigns", keyA, map[string]any{"id": "k2", "name": "电视", "kind": "advertising",
		"start": "2025-03-01", "end": "2025-03-31", "budget": "10000000.01"})
	require.Equal(t, http.StatusUnprocessableEntity, w.Code, w.Body.String())
	assert.Contains(t, w.Body.String(), `{"field":"budget","rule":"max"`, "a budget above the ceiling names the field")
	for _, s := range []string{"approved", "running"} {
		w = e.do(http.MethodPost, "/v1/campaigns/k1/transitions", keyA, map[string]any{"status": s})
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	}
	w = e.do(http.MethodPost, "/v1/campaigns/k1/transitions", keyA, map[string]any{"status": "draft"})
	require.Equal(t, http.StatusConflict, w.Code, w.Body.String())
	p := decodeJSON[map[string]any](t, w.Body.Bytes())
	assert.Equal(t, "failed_precondition", p["code"])
	assert.Equal(t, "invalid campaign status transition running → draft (allowed from running: completed)", p["detail"], "from, to and what is allowed")

	cost := map[string]any{"id": "line-1", "date": "2025-03-02", "description": "短信", "amount": "100", "channel": "sms"}
	w = e.do(http.MethodPost, "/v1/campaigns/k1/costs", keyA, cost)
	require.Equal(t, http.StatusBadRequest, w.Code, "a cost line moves money: the key is required: %s", w.Body.String())
	assert.Contains(t, w.Body.String(), "Idempotency-Key")
	for i := range 2 {
		w = e.do(http.MethodPost, "/v1/campaigns/k1/costs", keyA, cost, "Idempotency-Key", "req-1")
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.Equal(t, map[int]string{0: "", 1: "true"}[i], w.Header().Get("Idempotent-Replayed"), "request %d", i)
	}
	w = e.do(http.MethodPost, "/v1/campaigns/k1/costs", keyA, cost, "Idempotency-Key", "req-2")
	assert.Equal(t, http.StatusConflict, w.Code, "the same line under another key is booked once, and said so: %s", w.Body.String())
	w = e.do(http.MethodPost, "/v1/campaigns/k1/costs", keyA, map[string]any{"id": "line-2", "date": "2025-03-02", "description": "短信", "amount": "100", "channel": "sms"}, "Idempotency-Key", "req-1")
	assert.Equal(t, http.StatusConflict, w.Code, "a key names one request: %s", w.Body.String())
	w = e.do(http.MethodGet, "/v1/campaigns/k1", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code)
	booked := decodeJSON[campaign.Campaign](t, w.Body.Bytes())
	assert.Equal(t, "100", booked.Cost().String(), "one line of 100 is booked")
	w = e.do(http.MethodPost, "/v1/campaigns/k1/costs", keyA, map[string]any{"date": "2025-03-02", "description": "电视", "amount": "10000000.01"}, "Idempotency-Key", "req-3")
	require.Equal(t, http.StatusUnprocessableEntity, w.Code, w.Body.String())
	assert.Contains(t, w.Body.String(), `{"field":"amount","rule":"max"`)
	w = e.do(http.MethodPost, "/v1/campaigns/k1/costs", keyA, map[string]any{"date": "2025-03-11", "description": "电视", "amount": "1000"}, "Idempotency-Key", "req-4")
	require.Equal(t, http.StatusUnprocessableEntity, w.Code, w.Body.String())
	assert.Contains(t, w.Body.String(), `{"field":"date","rule":"future"`)

	w = e.do(http.MethodPost, "/v1/campaigns/k1/audience", keyA, map[string]any{"as_of": "2025-03-01"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	w = e.do(http.MethodPost, "/v1/campaigns/k1/members/c1/responses", keyA, map[string]any{"kind": "visited", "date": "2025-03-11"})
	require.Equal(t, http.StatusUnprocessableEntity, w.Code, w.Body.String())
	assert.Contains(t, w.Body.String(), `{"field":"date","rule":"future"`)
	w = e.do(http.MethodPost, "/v1/campaigns/k1/members/c1/responses", keyA, map[string]any{"kind": "visited", "date": "2025-02-28"})
	require.Equal(t, http.StatusUnprocessableEntity, w.Code, w.Body.String())
	assert.Contains(t, w.Body.String(), `{"field":"date","rule":"range"`)

	var ids []string
	path := "/v1/campaigns/k1/members?limit=2"
	for range 5 {
		w = e.do(http.MethodGet, path, keyA, nil)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		page := decodeJSON[crm.Page[campaign.Member]](t, w.Body.Bytes())
		assert.LessOrEqual(t, len(page.Items), 2, "limit is honoured")
		for _, m := range page.Items {
			ids = append(ids, string(m.CustomerID))
		}
		if page.Next == "" {
			break
		}
		path = "/v1/campaigns/k1/members?limit=2&after=" + page.Next
	}
	assert.Equal(t, []string{"c0", "c1", "c2", "c3", "c4"}, ids, "the members in pages of two")
	w = e.do(http.MethodGet, "/v1/campaigns/nope/members", keyA, nil)
	assert.Equal(t, http.StatusNotFound, w.Code)

	for _, month := range []string{"2025-03", "2025-03-15"} {
		w = e.do(http.MethodGet, "/v1/reports/value-chain?month="+month, keyA, nil)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.Equal(t, "2025-03-01", decodeJSON[campaign.ValueChainReport](t, w.Body.Bytes()).Month.String(), "month=%s", month)
	}
	w = e.do(http.MethodGet, "/v1/reports/value-chain?month=2025-13", keyA, nil)
	require.Equal(t, http.StatusUnprocessableEntity, w.Code, w.Body.String())
	assert.Contains(t, w.Body.String(), `"field":"month"`)
}
