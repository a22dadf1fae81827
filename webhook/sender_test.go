package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/messages"
	"github.com/dealercrm/dealercrm/webhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWebhookSender posts messages to a receiver that checks the
// signature by the Standard Webhooks algorithm, written out here: the
// message arrives once per attempt with the same webhook-id; 2xx is a
// delivery with the provider's ID, 422 undeliverable, 503 retryable.
func TestMessageSender(t *testing.T) {
	secret := webhook.NewSecret()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	require.NoError(t, err)
	status := http.StatusOK
	var got []messages.Message
	var ids []string
	rx := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(r.Header.Get("webhook-id") + "." + r.Header.Get("webhook-timestamp") + "." + string(body)))
		if r.Header.Get("webhook-signature") != "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var m messages.Message
		require.NoError(t, json.Unmarshal(body, &m))
		got, ids = append(got, m), append(ids, r.Header.Get("webhook-id"))
		w.WriteHeader(status)
		if status == http.StatusOK {
			_, _ = io.WriteString(w, `{"provider_id": "sms-778"}`)
		}
	}))
	defer rx.Close()

	_, err = webhook.NewMessageSender(rx.URL, secret)
	var ve *crm.ValidationError
	require.ErrorAs(t, err, &ve, "http to a loopback address is refused by default")
	_, err = webhook.NewMessageSender("https://sms.example.com/send", "not-a-secret")
	require.ErrorAs(t, err, &ve)
	assert.Contains(t, err.Error(), "secret")

	s, err := webhook.NewMessageSender(rx.URL, secret, webhook.AllowHTTP(), webhook.AllowPrivate())
	require.NoError(t, err)
	m := messages.Message{DealerID: "SH01", CustomerID: "c1", Channel: crm.ChannelSMS, Purpose: messages.PurposeReminder,
		Template: "maintenance_reminder", Params: map[string]string{"due": "2026-05-01"}, Recipient: "13800138000", Key: "task:t1:1"}
	r, err := s.Send(t.Context(), m)
	require.NoError(t, err)
	assert.Equal(t, "sms-778", r.ProviderID)
	require.Len(t, got, 1)
	assert.Equal(t, m, got[0], "the message as sent")
	assert.Equal(t, "SH01/task:t1:1", ids[0])

	status = http.StatusServiceUnavailable
	_, err = s.Send(t.Context(), m)
	require.Error(t, err)
	assert.False(t, errors.Is(err, messages.ErrUndeliverable), "a 503 is retried")
	status = http.StatusUnprocessableEntity
	_, err = s.Send(t.Context(), m)
	assert.ErrorIs(t, err, messages.ErrUndeliverable, "a 422 is not")
	assert.Equal(t, []string{"SH01/task:t1:1", "SH01/task:t1:1", "SH01/task:t1:1"}, ids, "every attempt under the same webhook-id")
}
