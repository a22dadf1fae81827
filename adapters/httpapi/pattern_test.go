package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestRequestPatternForMiddleware: a middleware around the handler, as
// otelhttp is (docs/observability.md), passes a copy of the request down
// and reads its Pattern afterwards to name the span and set http.route.
// The handler's ServeMux sets it on that very request: the route's
// pattern, never the path with its IDs; "" for a path no route matches.
func TestRequestPatternForMiddleware(t *testing.T) {
	e := newEnv(t)
	fx := e.fixtures(keyA)
	var seen string
	outer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rCtx := r.WithContext(r.Context())
		e.h.ServeHTTP(w, rCtx)
		seen = rCtx.Pattern
	})
	for _, c := range []struct{ method, path, want string }{
		{http.MethodGet, "/v1/customers/" + fx.customer, "GET /v1/customers/{id}"},
		{http.MethodGet, "/v1/customers", "GET /v1/customers"},
		{http.MethodGet, "/v1/no-such-route/42", ""},
	} {
		req := httptest.NewRequest(c.method, c.path, nil)
		req.Header.Set("Authorization", "Bearer "+keyA)
		outer.ServeHTTP(httptest.NewRecorder(), req)
		assert.Equal(t, c.want, seen, "%s %s", c.method, c.path)
	}
}
