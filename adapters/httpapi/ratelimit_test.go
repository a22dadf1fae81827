package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestKeyRateLimit: a key of 1 request a second in bursts of 3 sends 3,
// then is answered 429 with Retry-After in whole seconds (in Chinese by
// default); another key has its own bucket; an unknown key is 401 and
// takes no bucket; a second later the key may send again.
func TestKeyRateLimit(t *testing.T) {
	e := newEnvOn(t, memory.New(), httpapi.WithRateLimit(1, 3))
	for i := range 3 {
		assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/v1/dealer", keyA, nil).Code, "request %d of the burst", i+1)
	}
	w := e.do(http.MethodGet, "/v1/dealer", keyA, nil)
	p := requireProblem(t, w, http.StatusTooManyRequests, "rate_limited")
	assert.Equal(t, "1", w.Header().Get("Retry-After"))
	assert.Contains(t, p["detail"], "more than 1 requests a second (bursts of 3)")
	w = e.do(http.MethodGet, "/v1/dealer", keyA, nil, "Accept-Language", "")
	assert.Equal(t, "请求过于频繁，请按 Retry-After 所示秒数后重试", requireProblem(t, w, http.StatusTooManyRequests, "rate_limited")["detail"])

	assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/v1/dealer", keyB, nil).Code, "another key, another bucket")
	for range 5 {
		requireProblem(t, e.do(http.MethodGet, "/v1/dealer", "no-such-key", nil), http.StatusUnauthorized, "unauthenticated")
	}
	assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/healthz", "", nil).Code, "public routes are not limited")

	time.Sleep(1100 * time.Millisecond)
	assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/v1/dealer", keyA, nil).Code, "a token came back")
}

// TestNoRateLimit: WithRateLimit(0, …) turns the limit off.
func TestNoRateLimit(t *testing.T) {
	e := newEnvOn(t, memory.New(), httpapi.WithRateLimit(0, 1))
	for range 50 {
		require.Equal(t, http.StatusOK, e.do(http.MethodGet, "/v1/dealer", keyA, nil).Code)
	}
}

// TestHeavyRequestsPerDealer: with a server cap of 4 and a dealer's share
// of 2, dealer A holding two heavy requests waits its turn, then is
// answered 429; dealer B's heavy request runs meanwhile, and light
// requests are not held up.
func TestHeavyRequestsPerDealer(t *testing.T) {
	store := newGatedStore()
	e := newEnvOn(t, store, httpapi.WithHeavyRequests(4, 50*time.Millisecond), httpapi.WithHeavyRequestsPerDealer(2))
	store.mode.Store(blockTx)
	held := make(chan int, 3)
	for range 2 {
		go func() { held <- e.do(http.MethodPost, "/v1/import", keyA, oneCustomer).Code }()
	}
	<-store.entered
	<-store.entered

	start := time.Now()
	w := e.do(http.MethodPost, "/v1/import", keyA, oneCustomer)
	p := requireProblem(t, w, http.StatusTooManyRequests, "rate_limited")
	assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond, "it waited for a turn first")
	assert.Equal(t, "2", w.Header().Get("Retry-After"))
	assert.Contains(t, p["detail"], "this dealer is already running 2 heavy requests")

	go func() { held <- e.do(http.MethodPost, "/v1/import", keyB, oneCustomer).Code }()
	<-store.entered // dealer B's import runs beside A's two
	assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/v1/dealer", keyA, nil).Code, "light requests are not held up")

	close(store.gate)
	for range 3 {
		assert.Equal(t, http.StatusOK, <-held)
	}
	store.mode.Store(passThrough)
	assert.Equal(t, http.StatusOK, e.do(http.MethodPost, "/v1/import", keyA, oneCustomer).Code, "the dealer's turns are free again")
}
