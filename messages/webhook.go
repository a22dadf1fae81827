package messages

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/dealercrm/dealercrm/webhook"
)

// WebhookSender is a Sender that hands each message to the host's own
// messaging service as a signed POST (Standard Webhooks: webhook-id,
// webhook-timestamp, webhook-signature), for a host whose SMS gateway,
// WeCom or mail server sits behind a service of its own. The body is the
// Message as JSON; webhook-id is "<dealer>/<key>", the same on every
// retry of a send, so that the service delivers each message once.
//
// A 2xx answer is a delivery; its JSON member provider_id, when there is
// one, is the Result's. A 4xx other than 408 and 429 is
// ErrUndeliverable (the service refused the message: retrying cannot
// help); any other answer or a failure to reach the service is retried.
type WebhookSender struct {
	endpoint *webhook.Endpoint
}

var _ Sender = (*WebhookSender)(nil)

// NewWebhookSender returns a sender posting to url, signed with secret
// (whsec_…, webhook.NewSecret). The options are the webhook package's
// (webhook.AllowHTTP and webhook.AllowPrivate for a service on the
// host's network, webhook.WithTimeout).
func NewWebhookSender(url, secret string, opts ...webhook.Option) (*WebhookSender, error) {
	e, err := webhook.NewEndpoint(url, secret, opts...)
	if err != nil {
		return nil, err
	}
	return &WebhookSender{endpoint: e}, nil
}

// Send implements Sender.
func (s *WebhookSender) Send(ctx context.Context, m Message) (Result, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return Result{}, fmt.Errorf("messages: webhook sender: %w", err)
	}
	status, answer, err := s.endpoint.Post(ctx, string(m.DealerID)+"/"+m.Key, body)
	switch {
	case err != nil:
		return Result{}, fmt.Errorf("messages: webhook sender: %w", err)
	case status >= 200 && status < 300:
		var r Result
		_ = json.Unmarshal(answer, &r) // an answer without provider_id is fine
		return r, nil
	case status >= 400 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests:
		return Result{}, fmt.Errorf("messages: webhook sender: status %d: %w", status, ErrUndeliverable)
	}
	return Result{}, fmt.Errorf("messages: webhook sender: status %d", status)
}
