package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/messages"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMessagesRoutes: a reply "退订" handed in over HTTP withdraws the
// customer's marketing consent by SMS (source sms_reply); the message
// list shows the sends with their reason codes, recipients masked, and
// refuses a bad filter naming it.
func TestMessagesRoutes(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	svc := crm.NewService(store)
	tpls, err := messages.NewTemplates(messages.Template{ID: "offer", Purpose: messages.PurposeMarketing, Text: "{customer}您好，春季保养八折。退订回T"})
	require.NoError(t, err)
	msgs, err := messages.NewService(memory.NewMessageStore(), svc, messages.NewLogSender(io.Discard, tpls), tpls)
	require.NoError(t, err)
	e := newEnvOn(t, store, httpapi.WithMessages(msgs))
	at := time.Now().Add(-24 * time.Hour).UTC().Truncate(time.Second)
	c, err := svc.CreateCustomer(ctx, dealerA, crm.Customer{Name: "王先生", Mobile: "13800138000", Consents: []crm.Consent{
		{Purpose: crm.PurposeMarketing, Channel: crm.ChannelSMS, Granted: true, At: at, Source: "sales contract"}}})
	require.NoError(t, err)

	w := e.do(http.MethodPost, "/v1/messages/inbound", keyA, map[string]any{"from": "+86 138 0013 8000", "text": " 退订 "})
	require.Equal(t, http.StatusOK, w.Code, "%s", w.Body)
	got := decode(t, w)
	assert.Equal(t, true, got["opt_out"])
	assert.Equal(t, []any{string(c.ID)}, got["withdrawn"])
	c, err = svc.GetCustomer(ctx, dealerA, c.ID)
	require.NoError(t, err)
	assert.False(t, c.Allows(crm.PurposeMarketing, crm.ChannelSMS))
	assert.Equal(t, "sms_reply", c.Consents[0].Source)

	w = e.do(http.MethodPost, "/v1/messages/inbound", keyB, map[string]any{"from": "13800138000", "text": "T"})
	require.Equal(t, http.StatusOK, w.Code, "%s", w.Body)
	assert.Equal(t, []any{}, decode(t, w)["customers"], "dealer B has no customer with that number")

	_, _, err = msgs.Enqueue(ctx, messages.Send{Message: messages.Message{DealerID: dealerA, CustomerID: c.ID, Channel: crm.ChannelSMS,
		Purpose: messages.PurposeMarketing, Template: "offer", Recipient: "13800138000", Key: "offer-1"}})
	require.NoError(t, err)
	_, err = msgs.Dispatch(ctx, dealerA, time.Now().Add(time.Minute))
	require.NoError(t, err)

	w = e.do(http.MethodGet, "/v1/messages?status=refused&customer_id="+string(c.ID), keyA, nil)
	require.Equal(t, http.StatusOK, w.Code, "%s", w.Body)
	items, _ := decode(t, w)["items"].([]any)
	require.Len(t, items, 1)
	item := items[0].(map[string]any)
	assert.Equal(t, "refused_no_consent", item["reason"])
	assert.Equal(t, "138****8000", item["recipient"], "recipients are masked")
	assert.NotContains(t, w.Body.String(), "13800138000")

	w = e.do(http.MethodGet, "/v1/messages", keyB, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, []any{}, decode(t, w)["items"], "dealer B sees none of A's")

	p := requireProblem(t, e.do(http.MethodGet, "/v1/messages?status=lost", keyA, nil), http.StatusUnprocessableEntity, "invalid")
	assert.Contains(t, problemFields(p), "status")
}
