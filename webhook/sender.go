package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/dealercrm/dealercrm/messages"
)

// MessageSender is a messages.Sender that hands each message to the host's own
// messaging service as a signed POST (Standard Webhooks: webhook-id,
// webhook-timestamp, webhook-signature), for a host whose SMS gateway,
// WeCom or mail server sits behind a service of its own. The body is the
// Message as JSON; webhook-id is "<dealer>/<key>", the same on every
// retry of a send, so that the service delivers each message once.
//
// A 2xx answer is a delivery; its JSON member provider_id, when there is
// one, is the Result's. A 4xx other than 408 and 429 is
// messages.ErrUndeliverable (the service refused the message: retrying cannot
// help); any other answer or a failure to reach the service is retried.
type MessageSender struct {
	endpoint *Endpoint
}

var _ messages.Sender = (*MessageSender)(nil)

// NewMessageSender returns a sender posting to url, signed with secret
// (whsec_…, NewSecret). Of the options, AllowHTTP and AllowPrivate admit
// a service on the host's network, WithTimeout bounds each request.
func NewMessageSender(url, secret string, opts ...Option) (*MessageSender, error) {
	e, err := NewEndpoint(url, secret, opts...)
	if err != nil {
		return nil, err
	}
	return &MessageSender{endpoint: e}, nil
}

// Send implements messages.Sender.
func (s *MessageSender) Send(ctx context.Context, m messages.Message) (messages.Result, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return messages.Result{}, fmt.Errorf("webhook: message sender: %w", err)
	}
	status, answer, err := s.endpoint.Post(ctx, string(m.DealerID)+"/"+m.Key, body)
	switch {
	case err != nil:
		return messages.Result{}, fmt.Errorf("webhook: message sender: %w", err)
	case status >= 200 && status < 300:
		var r messages.Result
		_ = json.Unmarshal(answer, &r) // an answer without provider_id is fine
		return r, nil
	case status >= 400 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests:
		return messages.Result{}, fmt.Errorf("webhook: message sender: status %d: %w", status, messages.ErrUndeliverable)
	}
	return messages.Result{}, fmt.Errorf("webhook: message sender: status %d", status)
}
