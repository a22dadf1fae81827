package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/require"
)

// FuzzCampaignBodies sends arbitrary bodies (and Idempotency-Keys) to every
// campaign POST, PATCH and PUT route: the answer is never a 5xx and always
// JSON.
func FuzzCampaignBodies(f *testing.F) {
	for _, s := range []string{
		`{"id": "k2", "name": "春季保养", "kind": "care", "channels": ["sms"], "start": "2025-03-01", "end": "2025-03-31", "budget": "3000"}`,
		`{"segment": {"and": [{"field": "hobby", "op": "has", "value": "golf"}, {"not": {"field": "age", "op": "gte", "value": 30}}]}, "sample": 3}`,
		`{"to": "approved"}`, `{"to": "running"}`,
		`{"id": "l1", "category": "sms", "amount": "120.5", "date": "2025-03-02"}`,
		`{"as_of": "2025-03-01"}`, `{"responded": "2025-03-03", "visited": "2025-03-04"}`,
		`[{"month": "2025-03-01", "model": "A4L", "consultant_id": "S1", "target": "5000"}]`,
		`{"segment": {"field": "vehicle.odometer", "op": "between", "value": [1, "x"]}}`,
		`{"budget": "-1", "end": "2024-01-01"}`, `{}`, `[]`, `null`, `{"segment": {"and": []}}`,
	} {
		f.Add(s, "k")
	}
	store := memory.New()
	at := time.Date(2025, 3, 1, 1, 0, 0, 0, time.UTC)
	csvc, err := campaign.NewService(store, memory.NewCampaignStore(), campaign.WithClock(func() time.Time { return at }))
	require.NoError(f, err)
	e := newEnvOn(f, store, httpapi.WithCampaigns(csvc))
	c := crm.Customer{ID: "c1", Record: crm.Record{DealerID: dealerA, CreatedAt: at, UpdatedAt: at}, Name: "客户", Kind: crm.Individual,
		Consents: []crm.Consent{{Purpose: crm.PurposeMarketing, Channel: crm.ChannelSMS, Granted: true, At: at, Source: "form"}}}
	require.NoError(f, store.Customers().Create(context.Background(), &c))
	w := e.do(http.MethodPost, "/v1/campaigns", keyA, `{"id": "k1", "name": "n", "kind": "care", "channels": ["sms"], "start": "2025-03-01", "end": "2025-03-31"}`)
	require.Equal(f, http.StatusCreated, w.Code, w.Body.String())
	var routes [][2]string
	for _, m := range []string{http.MethodPost, http.MethodPatch, http.MethodPut} {
		for _, p := range documentedOps(f, e, m, map[string]string{"campaigns": "k1"}) {
			if strings.HasPrefix(p, "/v1/campaign") || p == "/v1/value-chain-targets" {
				routes = append(routes, [2]string{m, strings.ReplaceAll(p, "{customer}", "c1")})
			}
		}
	}
	require.GreaterOrEqual(f, len(routes), 9, "%v", routes)
	f.Fuzz(func(t *testing.T, body, key string) {
		te := *e
		te.t = t
		for _, r := range routes {
			checkAnswer(t, r[0], r[1], body, te.do(r[0], r[1], keyA, body, "Idempotency-Key", key))
		}
	})
}
