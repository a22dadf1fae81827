package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/dealercrm/dealercrm/crm"
)

// Endpoint posts signed requests to one URL with the same outbound rules
// as the delivery runner (timeouts, no redirects, https and public
// addresses unless allowed, the answer read up to MaxAnswer): for a
// host's own service that takes other signed calls (MessageSender).
type Endpoint struct {
	url    string
	secret string
	cfg    config
	client *http.Client
}

// NewEndpoint returns an endpoint posting to url, signed with secret
// (whsec_…, NewSecret). A malformed URL or secret is a
// *crm.ValidationError naming "url" or "secret".
func NewEndpoint(url, secret string, opts ...Option) (*Endpoint, error) {
	cfg := newConfig(opts)
	var c crm.Checker
	checkURL(&c, url, cfg.allowHTTP, cfg.allowPrivate)
	if _, err := secretKey(secret); err != nil {
		c.Add("secret", crm.RuleFormat, "must be %s and standard base64", SecretPrefix)
	}
	if err := c.Err("endpoint"); err != nil {
		return nil, err
	}
	return &Endpoint{url: url, secret: secret, cfg: cfg, client: newClient(cfg)}, nil
}

// Post sends body (JSON) signed under id and returns the answer's status
// and up to MaxAnswer bytes of it. An error is a failure to reach the
// endpoint or read its answer; any status is returned as it is.
func (e *Endpoint) Post(ctx context.Context, id string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "dealercrm-webhooks/1")
	if err := SetHeaders(req.Header, e.secret, id, e.cfg.now().UTC(), body); err != nil {
		return 0, nil, err
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("webhook: post: %s", clip(err.Error()))
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswer))
	if err != nil {
		return resp.StatusCode, answer, fmt.Errorf("webhook: reading the answer: %w", err)
	}
	return resp.StatusCode, answer, nil
}

// Timeout returns the endpoint's timeout per request.
func (e *Endpoint) Timeout() time.Duration { return e.cfg.timeout }
