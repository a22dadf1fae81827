package webhook_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/webhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The test vector of the Standard Webhooks reference libraries
// (standard-webhooks/standard-webhooks, libraries/go/webhook_test.go,
// TestWebhookSign): this secret, message ID, timestamp and payload sign
// to this signature.
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorPayload   = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func vectorHeader(sig string) http.Header {
	h := http.Header{}
	h.Set(webhook.HeaderID, vectorID)
	h.Set(webhook.HeaderTimestamp, strconv.Itoa(vectorTimestamp))
	h.Set(webhook.HeaderSignature, sig)
	return h
}

func TestSignVector(t *testing.T) {
	sig, err := webhook.Sign(vectorSecret, vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorPayload))
	require.NoError(t, err)
	assert.Equal(t, vectorSignature, sig, "the reference libraries' signature")
	sig, err = webhook.Sign(vectorSecret[len(webhook.SecretPrefix):], vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorPayload))
	require.NoError(t, err)
	assert.Equal(t, vectorSignature, sig, "the prefix is optional")
	_, err = webhook.Sign("whsec_not base64!", vectorID, time.Unix(vectorTimestamp, 0), nil)
	assert.Error(t, err)
}

func TestVerify(t *testing.T) {
	at := time.Unix(vectorTimestamp, 0)
	body := []byte(vectorPayload)
	other := "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
	for _, tc := range []struct {
		name string
		h    http.Header
		body string
		now  time.Time
		ok   bool
	}{
		{"the vector", vectorHeader(vectorSignature), vectorPayload, at, true},
		{"four minutes late", vectorHeader(vectorSignature), vectorPayload, at.Add(4 * time.Minute), true},
		{"five minutes late", vectorHeader(vectorSignature), vectorPayload, at.Add(5 * time.Minute), false},
		{"five minutes early", vectorHeader(vectorSignature), vectorPayload, at.Add(-5 * time.Minute), false},
		{"tampered body", vectorHeader(vectorSignature), `{"test": 2432232315}`, at, false},
		{"one of several", vectorHeader("v2," + vectorSignature[3:] + " " + other + " " + vectorSignature), vectorPayload, at, true},
		{"none of several", vectorHeader(other + " v2," + vectorSignature[3:]), vectorPayload, at, false},
		{"no id", func() http.Header { h := vectorHeader(vectorSignature); h.Del(webhook.HeaderID); return h }(), vectorPayload, at, false},
		{"bad timestamp", func() http.Header { h := vectorHeader(vectorSignature); h.Set(webhook.HeaderTimestamp, "x"); return h }(), vectorPayload, at, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := webhook.Verify(vectorSecret, tc.h, []byte(tc.body), tc.now, 0)
			if tc.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, webhook.ErrSignature)
			}
		})
	}
	h := http.Header{}
	secret := webhook.NewSecret()
	require.NoError(t, webhook.SetHeaders(h, secret, "evt_1", at, body))
	assert.NoError(t, webhook.Verify(secret, h, body, at, time.Second), "SetHeaders signs what Verify accepts")
	assert.ErrorIs(t, webhook.Verify(secret, h, body, at.Add(2*time.Second), time.Second), webhook.ErrSignature, "outside a 1 s tolerance")
}

func TestNewSecret(t *testing.T) {
	a, b := webhook.NewSecret(), webhook.NewSecret()
	assert.NotEqual(t, a, b)
	assert.Len(t, a, len(webhook.SecretPrefix)+44, "whsec_ and the base64 of 32 bytes")
}
