package client

//go:generate go run ./internal/gen -o zz_generated.go

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/loyalty"
)

// DefaultRetries is how often a Client sends a request again that may be
// sent again (WithRetries).
const DefaultRetries = 2

// maxRetryWait caps the wait before a retry, whatever Retry-After says.
const maxRetryWait = 30 * time.Second

// Client calls the dealercrm HTTP API of one server with one API key. It
// is safe for concurrent use; make one and share it.
type Client struct {
	base    string
	key     string
	hc      *http.Client
	lang    string
	retries int
}

// Option configures a Client made by New.
type Option func(*Client)

// WithHTTPClient sends the requests through hc (http.DefaultClient by
// default): a transport with the host's TLS settings, proxies or
// tracing (otelhttp). A Timeout on hc cuts the long poll of FollowEvents
// and ListEvents with a wait: keep it above MaxEventWait seconds, or use
// the context's deadline instead.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.hc = hc
		}
	}
}

// WithLanguage asks for answers in a language (the Accept-Language
// header: "en", "zh-CN"): the problems' detail and the names of codes in
// reports. The server answers Chinese by default.
func WithLanguage(tag string) Option { return func(c *Client) { c.lang = tag } }

// WithRetries sets how often a request is sent again after a transport
// error, a 503 (Unavailable) or a 429 (rate limited) — DefaultRetries
// by default, 0 for never. Only requests that cannot do anything twice
// are sent again: GET and PUT, and POSTs that carry an Idempotency-Key
// (the server answers a repeated key with the first result). The wait
// before each is the answer's Retry-After (at most 30 seconds), or a
// short backoff after a transport error.
func WithRetries(n int) Option {
	return func(c *Client) {
		if n >= 0 {
			c.retries = n
		}
	}
}

// New returns a Client of the API served at baseURL (the root under which
// the handler is mounted: "https://crm.example.com") that authenticates
// with apiKey as a Bearer token. An empty apiKey calls only the public
// routes (Health, OpenAPI).
func New(baseURL, apiKey string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, dealercrm.Errorf(dealercrm.Invalid, "client: base URL %q: want http:// or https:// and a host", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, dealercrm.Errorf(dealercrm.Invalid, "client: base URL %q: no query or fragment", baseURL)
	}
	c := &Client{base: strings.TrimSuffix(u.String(), "/"), key: apiKey, hc: http.DefaultClient, retries: DefaultRetries}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// NewIdempotencyKey returns a new random Idempotency-Key. Make one per
// command, keep it with the command (in the job or the outbox row that
// sends it) and send it with every attempt: a retry then returns the
// first result instead of posting twice.
func NewIdempotencyKey() string { return dealercrm.NewID() }

// Patch is a JSON merge patch (RFC 7396) of a record, by the JSON names of
// the record's input type (CustomerInput for UpdateCustomer, …): the
// fields it names are set, a nil value clears one, the rest stay.
type Patch map[string]any

// request is one call of an operation, as the generated methods describe
// it.
type request struct {
	op, method string
	// pattern is the route's path with wildcards ({id}); args are their
	// values, in order.
	pattern string
	args    []string
	query   url.Values
	// idempotent routes carry key, or a new one when it is empty.
	idempotent bool
	key        string
	// body is sent as JSON when not nil; patch sends it as a merge patch.
	body  any
	patch bool
}

// path fills the pattern's wildcards with the escaped args.
func (rq *request) path() (string, error) {
	var b strings.Builder
	rest, i := rq.pattern, 0
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		end := strings.IndexByte(rest[open:], '}')
		name := rest[open+1 : open+end]
		if i >= len(rq.args) || rq.args[i] == "" {
			return "", dealercrm.Errorf(dealercrm.Invalid, "client: %s: the path parameter %s is empty", rq.op, name)
		}
		b.WriteString(rest[:open])
		b.WriteString(url.PathEscape(rq.args[i]))
		rest, i = rest[open+end+1:], i+1
	}
}

// do sends rq and decodes a success answer into out (nil: none), or
// returns the answer's problem as an *Error.
func (c *Client) do(ctx context.Context, rq *request, out any) error {
	p, err := rq.path()
	if err != nil {
		return err
	}
	target := c.base + p
	if q := rq.query.Encode(); q != "" {
		target += "?" + q
	}
	var body []byte
	if rq.body != nil {
		if body, err = json.Marshal(rq.body); err != nil {
			return fmt.Errorf("client: %s: encode the body: %w", rq.op, err)
		}
	}
	key := rq.key
	if rq.idempotent && key == "" {
		key = NewIdempotencyKey()
	}
	again := rq.method == http.MethodGet || rq.method == http.MethodPut || key != ""
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, rq.method, target, nil)
		if err != nil {
			return fmt.Errorf("client: %s: %w", rq.op, err)
		}
		if body != nil {
			req.Body = io.NopCloser(bytes.NewReader(body))
			req.ContentLength = int64(len(body))
			req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
			req.Header.Set("Content-Type", "application/json")
			if rq.patch {
				req.Header.Set("Content-Type", "application/merge-patch+json")
			}
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", "dealercrm-go-client")
		if c.key != "" {
			req.Header.Set("Authorization", "Bearer "+c.key)
		}
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		if c.lang != "" {
			req.Header.Set("Accept-Language", c.lang)
		}
		resp, err := c.hc.Do(req)
		if err != nil {
			if ctx.Err() != nil || !again || attempt >= c.retries {
				return fmt.Errorf("client: %s: %w", rq.op, err)
			}
			if err := sleep(ctx, time.Duration(100<<attempt)*time.Millisecond); err != nil {
				return fmt.Errorf("client: %s: %w", rq.op, err)
			}
			continue
		}
		if again && attempt < c.retries && (resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusTooManyRequests) {
			wait := min(retryAfter(resp.Header), maxRetryWait)
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			_ = resp.Body.Close()
			if err := sleep(ctx, wait); err != nil {
				return fmt.Errorf("client: %s: %w", rq.op, err)
			}
			continue
		}
		return read(rq.op, resp, out)
	}
}

// read decodes resp into out, or its problem into an *Error, and closes
// its body.
func read(op string, resp *http.Response, out any) error {
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return readProblem(op, resp)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return nil
	}
	if raw, ok := out.(*json.RawMessage); ok {
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return fmt.Errorf("client: %s: read the answer: %w", op, err)
		}
		*raw = b
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("client: %s: decode the answer: %w", op, err)
	}
	// The rest (the answer's final newline), so that the connection is
	// reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	// The answer to a repeated Idempotency-Key says so in a header; the
	// loyalty receipt carries it as Replayed.
	if r, ok := out.(*loyalty.Receipt); ok && resp.Header.Get("Idempotent-Replayed") == "true" {
		r.Replayed = true
	}
	return nil
}

// retryAfter reads a Retry-After header in seconds; a second without one.
func retryAfter(h http.Header) time.Duration {
	if n, err := strconv.Atoi(h.Get("Retry-After")); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	return time.Second
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
