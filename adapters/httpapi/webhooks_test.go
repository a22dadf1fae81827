package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/webhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWebhooks(t *testing.T) {
	ctx := context.Background()
	stores := memory.NewStores()
	strict, err := webhook.NewService(stores.Webhooks, stores.Events)
	require.NoError(t, err)
	e := newEnvOn(t, stores.CRM, httpapi.WithWebhooks(strict))

	// Refused URLs name the field.
	for _, bad := range []string{"http://hooks.example.com/", "https://user:pw@hooks.example.com/", "https://127.0.0.1/", "hooks"} {
		p := requireProblem(t, e.do(http.MethodPost, "/v1/webhooks", keyA, obj{"url": bad}), http.StatusUnprocessableEntity, "invalid")
		assert.Equal(t, map[string]string{"url": "format"}, problemFields(p), bad)
	}
	p := requireProblem(t, e.do(http.MethodPost, "/v1/webhooks", keyA, obj{"url": "https://hooks.example.com/", "types": []string{"points.earned", "nope"}}),
		http.StatusUnprocessableEntity, "invalid")
	assert.Equal(t, map[string]string{"types[1]": "enum"}, problemFields(p))

	for i := range 3 {
		require.NoError(t, stores.CRM.Events().Add(ctx, crm.NewEvent(dealerA, crm.EventPointsEarned,
			crm.EventSubject{Kind: crm.SubjectCustomer, ID: "c1"}, time.Now(), map[string]int{"points": 10 * (i + 1)})))
	}
	w := e.do(http.MethodPost, "/v1/webhooks", keyA, obj{"url": "https://hooks.example.com/crm", "types": []string{"points.earned"}})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	made := decode(t, w)
	secret, _ := made["secret"].(string)
	sub, _ := made["webhook"].(map[string]any)
	id, _ := sub["id"].(string)
	require.True(t, strings.HasPrefix(secret, "whsec_"), "the secret, shown once")
	assert.Equal(t, "/v1/webhooks/"+id, w.Header().Get("Location"))
	assert.EqualValues(t, 3, sub["cursor"], "delivery starts after the dealer's three events")
	assert.Equal(t, "enabled", sub["state"])

	for _, path := range []string{"/v1/webhooks", "/v1/webhooks/" + id} {
		w = e.do(http.MethodGet, path, keyA, nil)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.NotContains(t, w.Body.String(), secret[6:], "%s never shows the secret", path)
		assert.Contains(t, w.Body.String(), id)
	}
	w = e.do(http.MethodGet, "/v1/webhooks", keyB, nil)
	assert.JSONEq(t, `{"items":[]}`, w.Body.String(), "store B has none")
	requireProblem(t, e.do(http.MethodGet, "/v1/webhooks/"+id, keyB, nil), http.StatusNotFound, "not_found")
	requireProblem(t, e.do(http.MethodPost, "/v1/webhooks/"+id+"/replay", keyB, obj{"from": 1}), http.StatusNotFound, "not_found")

	// Disabled by hand; the list filters by state.
	w = e.do(http.MethodPatch, "/v1/webhooks/"+id, keyA, obj{"state": "disabled"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "disabled by hand", decode(t, w)["disabled_reason"])
	w = e.do(http.MethodGet, "/v1/webhooks?state=enabled", keyA, nil)
	assert.JSONEq(t, `{"items":[]}`, w.Body.String())

	// Replay from seq 2 enables it; a runner delivers events 2 and 3 to
	// a receiver (the URL moved to a local one, which this test's
	// service allows).
	got := make(chan string, 10)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if webhook.Verify(secret, r.Header, body, time.Now(), 0) != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		got <- r.Header.Get("webhook-id")
	}))
	defer rcv.Close()
	loose, err := webhook.NewService(stores.Webhooks, stores.Events, webhook.AllowHTTP(), webhook.AllowPrivate())
	require.NoError(t, err)
	_, err = loose.Update(ctx, dealerA, webhook.ID(id), webhook.Update{URL: &rcv.URL})
	require.NoError(t, err)
	requireProblem(t, e.do(http.MethodPost, "/v1/webhooks/"+id+"/replay", keyA, obj{"from": 0}), http.StatusUnprocessableEntity, "invalid")
	w = e.do(http.MethodPost, "/v1/webhooks/"+id+"/replay", keyA, obj{"from": 2})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.EqualValues(t, 1, decode(t, w)["cursor"])
	run, err := webhook.NewRunner(stores.Webhooks, stores.Events, webhook.AllowHTTP(), webhook.AllowPrivate())
	require.NoError(t, err)
	n, err := run.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.Len(t, got, 2, "events 2 and 3 delivered, signed")

	w = e.do(http.MethodGet, "/v1/webhooks/"+id+"/deliveries", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	items, _ := decode(t, w)["items"].([]any)
	require.Len(t, items, 2)
	first, _ := items[0].(map[string]any)
	assert.EqualValues(t, 3, first["seq"], "newest first")
	assert.EqualValues(t, 200, first["status"])
	w = e.do(http.MethodGet, "/v1/webhooks/"+id+"/deliveries?failed=true", keyA, nil)
	assert.JSONEq(t, `{"items":[]}`, w.Body.String())

	w = e.do(http.MethodDelete, "/v1/webhooks/"+id, keyA, nil)
	assert.Equal(t, http.StatusNoContent, w.Code)
	requireProblem(t, e.do(http.MethodGet, "/v1/webhooks/"+id+"/deliveries", keyA, nil), http.StatusNotFound, "not_found")
}
