package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
)

// Issue 12, defect 11: a deadline on every request, a cap on concurrent
// heavy requests, and every 503 with Retry-After and its cause logged.

// Modes of gatedStore's InTx.
const (
	passThrough int32 = iota
	// blockTx waits for the gate (or the request's end).
	blockTx
	// stallTx waits for the request's deadline, as a database statement
	// does, and fails with the context's error.
	stallTx
	// downTx fails as an unreachable database does.
	downTx
)

// gatedStore is a memory store whose transactions can be held up.
type gatedStore struct {
	crm.Store
	mode    atomic.Int32
	entered chan struct{}
	gate    chan struct{}
}

func newGatedStore() *gatedStore {
	return &gatedStore{Store: memory.New(), entered: make(chan struct{}, 16), gate: make(chan struct{})}
}

func (s *gatedStore) InTx(ctx context.Context, fn func(ctx context.Context, tx crm.Store) error) error {
	switch s.mode.Load() {
	case blockTx:
		s.entered <- struct{}{}
		select {
		case <-s.gate:
		case <-ctx.Done():
			return fmt.Errorf("gated store: %w", ctx.Err())
		}
	case stallTx:
		<-ctx.Done()
		return fmt.Errorf("gated store: %w", ctx.Err())
	case downTx:
		return dealercrm.Errorf(dealercrm.Unavailable, "postgres: database unavailable")
	}
	return s.Store.InTx(ctx, fn)
}

// logBuffer collects log lines from the handler's goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() httpapi.Option {
	return httpapi.WithLogger(slog.New(slog.NewTextHandler(l, nil)))
}

// requireUnavailable checks a 503 problem with Retry-After.
func requireUnavailable(t *testing.T, w *httptest.ResponseRecorder) obj {
	t.Helper()
	p := requireProblem(t, w, http.StatusServiceUnavailable, "unavailable")
	assert.Equal(t, "2", w.Header().Get("Retry-After"), "a 503 says when to retry")
	return p
}

const oneCustomer = `{"customers": [{"external_id": "C1", "name": "黄磊"}]}`

func TestHeavyRequestsAreCapped(t *testing.T) {
	store := newGatedStore()
	logs := &logBuffer{}
	// The dealer's own share is larger than the server's cap: the
	// server's is met first.
	e := newEnvOn(t, store, httpapi.WithHeavyRequests(2, 50*time.Millisecond), httpapi.WithHeavyRequestsPerDealer(3), logs.logger())
	id := e.create(keyA, "customers", obj{"name": "王伟"})["id"].(string)

	// Two heavy requests take both turns and hold them in the store.
	store.mode.Store(blockTx)
	held := make(chan int, 2)
	for range 2 {
		go func() { held <- e.do(http.MethodGet, "/v1/customers/"+id+"/export", keyA, nil).Code }()
	}
	<-store.entered
	<-store.entered

	// The third waits its 50 ms for a turn, then is turned away.
	start := time.Now()
	p := requireUnavailable(t, e.do(http.MethodPost, "/v1/import", keyA, oneCustomer))
	assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond, "it waited for a turn first")
	assert.Contains(t, p["detail"], "heavy requests")
	assert.Contains(t, logs.String(), `level=WARN msg="httpapi: unavailable" method=POST route="POST /v1/import" dealer=SH01`)
	assert.Contains(t, logs.String(), "2 heavy requests running, none ended within 50ms", "the cause is logged")

	// Light requests are not held up.
	assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/v1/customers/"+id, keyA, nil).Code)

	close(store.gate)
	assert.Equal(t, http.StatusOK, <-held)
	assert.Equal(t, http.StatusOK, <-held)
	store.mode.Store(passThrough)
	w := e.do(http.MethodPost, "/v1/import", keyA, oneCustomer)
	assert.Equal(t, http.StatusOK, w.Code, "the turns are free again: %s", w.Body)
}

func TestHeavyRequestWaitsForATurn(t *testing.T) {
	store := newGatedStore()
	e := newEnvOn(t, store, httpapi.WithHeavyRequests(1, 5*time.Second))
	store.mode.Store(blockTx)
	first := make(chan int, 1)
	go func() { first <- e.do(http.MethodPost, "/v1/import", keyA, oneCustomer).Code }()
	<-store.entered
	second := make(chan int, 1)
	go func() { second <- e.do(http.MethodPost, "/v1/import", keyA, oneCustomer).Code }()
	time.Sleep(20 * time.Millisecond)
	select {
	case <-store.entered:
		t.Fatal("the second heavy request ran beside the first")
	default:
	}
	close(store.gate) // both pass the gate from now on
	assert.Equal(t, http.StatusOK, <-first)
	assert.Equal(t, http.StatusOK, <-second, "the second ran when the first ended")
}

func TestRequestDeadline(t *testing.T) {
	store := newGatedStore()
	logs := &logBuffer{}
	e := newEnvOn(t, store, httpapi.WithRequestTimeout(50*time.Millisecond), logs.logger())
	store.mode.Store(stallTx)
	for _, req := range []struct{ method, path, body string }{
		{http.MethodPost, "/v1/import", oneCustomer},
		{http.MethodPost, "/v1/customers", `{"name": "王伟"}`},
	} {
		start := time.Now()
		p := requireUnavailable(t, e.do(req.method, req.path, keyA, req.body))
		assert.Less(t, time.Since(start), 2*time.Second, "%s %s ends at its deadline", req.method, req.path)
		assert.Equal(t, "the request did not finish within 50ms; retry later", p["detail"])
	}
	assert.Contains(t, logs.String(), "context deadline exceeded", "the cause is logged")
	assert.NotContains(t, logs.String(), "level=ERROR msg=\"httpapi: internal error\"", "not an internal error")
}

func TestEveryUnavailableCarriesRetryAfter(t *testing.T) {
	store := newGatedStore()
	logs := &logBuffer{}
	e := newEnvOn(t, store, logs.logger())
	store.mode.Store(downTx)
	p := requireUnavailable(t, e.do(http.MethodPost, "/v1/customers", keyA, `{"name": "王伟"}`))
	assert.Equal(t, "postgres: database unavailable", p["detail"])
	assert.Contains(t, logs.String(), `msg="httpapi: unavailable" method=POST route="POST /v1/customers" dealer=SH01 cause="crm: create customer: postgres: database unavailable"`)

	down := newEnv(t, httpapi.WithAuthenticator(authFunc(func(*http.Request) (crm.Principal, error) {
		return crm.Principal{}, dealercrm.Errorf(dealercrm.Unavailable, "key store unreachable")
	})))
	requireUnavailable(t, down.do(http.MethodGet, "/v1/dealer", "any", nil))
}

// TestMaxInFlight: with WithMaxInFlight, requests past the cap wait in
// line, in the order they came, until their deadline; the public routes
// and heavy requests (their own cap) are not held.
func TestMaxInFlight(t *testing.T) {
	store := newGatedStore()
	logs := &logBuffer{}
	e := newEnvOn(t, store, httpapi.WithMaxInFlight(1), httpapi.WithRequestTimeout(2*time.Second), logs.logger())
	store.mode.Store(blockTx)
	done := make(chan string, 3)
	create := func(name string) {
		w := e.do(http.MethodPost, "/v1/customers", keyA, `{"name": "`+name+`"}`)
		done <- fmt.Sprint(name, " ", w.Code)
	}
	go create("王伟")
	<-store.entered // the first holds the one turn, in the store
	go create("李娜")
	time.Sleep(30 * time.Millisecond)
	go create("张敏")
	time.Sleep(30 * time.Millisecond)
	select {
	case <-store.entered:
		t.Fatal("a second request ran beside the first")
	default:
	}
	assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/healthz", "", nil).Code, "the health check is not held")

	// Each ends in turn; the next in line runs then, and only then.
	for _, want := range []string{"王伟 201", "李娜 201", "张敏 201"} {
		store.gate <- struct{}{}
		assert.Equal(t, want, <-done)
		if want != "张敏 201" {
			<-store.entered
		}
	}

	// A request that waits past its deadline is answered 503.
	slow := newGatedStore()
	short := newEnvOn(t, slow, httpapi.WithMaxInFlight(1), httpapi.WithRequestTimeout(100*time.Millisecond), logs.logger())
	slow.mode.Store(blockTx)
	go func() {
		done <- fmt.Sprint(short.do(http.MethodPost, "/v1/customers", keyA, `{"name": "赵磊"}`).Code)
	}()
	<-slow.entered
	start := time.Now()
	p := requireUnavailable(t, short.do(http.MethodGet, "/v1/customers", keyA, nil))
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond, "it waited in line first")
	assert.Equal(t, "the server is answering as many requests as it may; retry later", p["detail"])
	assert.Contains(t, logs.String(), "1 requests running, none ended before this one's deadline", "the cause is logged")
	assert.Equal(t, "503", <-done, "the held one ran out of time in the store")
}
