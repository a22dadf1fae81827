package httpapi

import (
	"context"
	"crypto/sha256"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/dealercrm/dealercrm/crm"
	"golang.org/x/time/rate"
)

// Abuse limits (SPEC §9): each API key has a token bucket, and each
// dealer a share of the heavy requests, so that one client — a runaway
// script, a stolen key — can neither flood the API nor take every heavy
// turn from the other stores.
const (
	// DefaultKeyRate is how many requests a second one API key makes on
	// average (WithRateLimit).
	DefaultKeyRate = 100
	// DefaultKeyBurst is how many requests one API key makes at once
	// before DefaultKeyRate holds it back.
	DefaultKeyBurst = 1000
	// DefaultHeavyPerDealer is how many of the heavy requests running at
	// once (WithHeavyRequests) one dealer's keys may hold
	// (WithHeavyRequestsPerDealer).
	DefaultHeavyPerDealer = 2
)

// codeRateLimited is the problem code of a request beyond its key's rate
// or its dealer's share of the heavy requests: 429 with Retry-After.
const codeRateLimited = "rate_limited"

// WithRateLimit sets each API key's token bucket
// (golang.org/x/time/rate): perSecond requests a second on average,
// bursts of up to burst. A request beyond it is answered 429 Too Many
// Requests with Retry-After, the whole seconds until the key may send
// again. The defaults are DefaultKeyRate and DefaultKeyBurst; perSecond ≤
// 0 turns the limit off (a load test, or a host that limits at its
// gateway). The buckets are kept per key presented (as a SHA-256), after
// the key was accepted: unknown keys are answered 401 and take none.
func WithRateLimit(perSecond float64, burst int) Option {
	return func(c *config) {
		c.keyRate, c.keyBurst = perSecond, max(burst, 1)
	}
}

// WithHeavyRequestsPerDealer caps how many heavy requests (reports, runs,
// imports, exports; see WithHeavyRequests) one dealer's keys run at once
// (default DefaultHeavyPerDealer): the next one waits for one of them to
// end as long as for a server's turn, then is answered 429 with
// Retry-After, so that a dealer's burst of reports leaves the other
// dealers their turns. n ≤ 0 keeps the default.
func WithHeavyRequestsPerDealer(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.heavyPerDealer = n
		}
	}
}

// limits is the state of the abuse limits of a handler.
type limits struct {
	rate  rate.Limit
	burst int
	// perDealer is each dealer's share of the heavy requests.
	perDealer int

	mu      sync.Mutex
	buckets map[[sha256.Size]byte]*rate.Limiter
	heavy   map[crm.DealerID]chan struct{}
}

func newLimits(cfg config) *limits {
	return &limits{rate: rate.Limit(cfg.keyRate), burst: cfg.keyBurst, perDealer: cfg.heavyPerDealer,
		buckets: map[[sha256.Size]byte]*rate.Limiter{}, heavy: map[crm.DealerID]chan struct{}{}}
}

// allow takes a token of the bucket of r's API key, or returns the 429
// of a key past its rate.
func (l *limits) allow(r *http.Request) error {
	if l.rate <= 0 {
		return nil
	}
	k := sha256.Sum256([]byte(APIKey(r)))
	l.mu.Lock()
	b, ok := l.buckets[k]
	if !ok {
		b = rate.NewLimiter(l.rate, l.burst)
		l.buckets[k] = b
	}
	l.mu.Unlock()
	res := b.Reserve()
	wait := res.Delay()
	if wait == 0 {
		return nil
	}
	res.Cancel()
	return rateLimited(wait, "this API key sent more than "+strconv.FormatFloat(float64(l.rate), 'f', -1, 64)+
		" requests a second (bursts of "+strconv.Itoa(l.burst)+"); retry after the time in Retry-After")
}

// heavyTurns returns dealer's heavy turns: a channel with a slot per
// heavy request the dealer may run at once.
func (l *limits) heavyTurns(dealer crm.DealerID) chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch, ok := l.heavy[dealer]
	if !ok {
		ch = make(chan struct{}, l.perDealer)
		l.heavy[dealer] = ch
	}
	return ch
}

// rateLimited is a 429 whose Retry-After is wait in whole seconds, at
// least one.
func rateLimited(wait time.Duration, detail string) error {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	return &apiError{code: codeRateLimited, detail: detail, header: http.Header{"Retry-After": {strconv.Itoa(secs)}}}
}

// acquireTurn takes one of dealer's heavy turns, then one of the
// server's (acquireHeavy), each waiting up to the heavy wait, and returns
// the function that gives both back. A dealer holding all its turns is
// answered 429, a server holding all of its own 503.
func (h *handler) acquireTurn(ctx context.Context, dealer crm.DealerID) (release func(), err error) {
	turns := h.limits.heavyTurns(dealer)
	if !take(ctx, turns, h.cfg.heavyWait) {
		return nil, rateLimited(retryAfter, "this dealer is already running "+strconv.Itoa(cap(turns))+
			" heavy requests (reports, runs, imports, exports) at once, and none ended within "+h.cfg.heavyWait.String()+"; retry later")
	}
	server, err := h.acquireHeavy(ctx)
	if err != nil {
		<-turns
		return nil, err
	}
	return func() { server(); <-turns }, nil
}

// take puts a token into turns, waiting up to wait (or until ctx ends)
// when it is full, and reports whether it did.
func take(ctx context.Context, turns chan struct{}, wait time.Duration) bool {
	select {
	case turns <- struct{}{}:
		return true
	default:
	}
	if wait <= 0 {
		return false
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case turns <- struct{}{}:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}
