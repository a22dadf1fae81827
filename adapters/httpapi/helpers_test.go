package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/require"
)

// Two dealers, each with its own key.
const (
	keyA    = "test-key-shanghai"
	keyB    = "test-key-beijing"
	dealerA = crm.DealerID("SH01")
	dealerB = crm.DealerID("BJ02")
)

// env is a handler on a fresh memory store with dealers A and B.
type env struct {
	t   testing.TB
	svc *crm.Service
	h   http.Handler
}

func newEnv(t testing.TB, opts ...httpapi.Option) *env {
	t.Helper()
	return newEnvOn(t, memory.New(), opts...)
}

func newEnvOn(t testing.TB, store crm.Store, opts ...httpapi.Option) *env {
	t.Helper()
	svc := crm.NewService(store)
	for _, d := range []crm.Dealer{{ID: dealerA, Name: "上海浦东 4S 店"}, {ID: dealerB, Name: "北京朝阳 4S 店"}} {
		_, err := svc.CreateDealer(context.Background(), d)
		require.NoError(t, err, "create dealer %s", d.ID)
	}
	opts = append([]httpapi.Option{httpapi.WithAPIKeys(map[string]crm.DealerID{keyA: dealerA, keyB: dealerB})}, opts...)
	return &env{t: t, svc: svc, h: httpapi.NewHandler(svc, opts...)}
}

// do sends a request with key (none when "") and body: nil, a string or
// []byte sent as is, or a value marshalled to JSON. Extra headers come in
// name, value pairs. Accept-Language is en unless a header sets it (to ""
// for none): the tests read the domain's English words, and i18n_test.go
// the Chinese default.
func (e *env) do(method, path, key string, body any, header ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(e.t, err)
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Accept-Language", "en")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return w
}

// create POSTs body to /v1/coll as dealer A's key and returns the record.
func (e *env) create(key, coll string, body any) obj {
	e.t.Helper()
	w := e.do(http.MethodPost, "/v1/"+coll, key, body)
	require.Equal(e.t, http.StatusCreated, w.Code, "create %s: %s", coll, w.Body)
	return decode(e.t, w)
}

type obj = map[string]any

func decode(t testing.TB, w *httptest.ResponseRecorder) obj {
	t.Helper()
	var v obj
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &v), "body %q", w.Body)
	return v
}

// requireProblem checks that w is a problem+json answer with status and code.
func requireProblem(t testing.TB, w *httptest.ResponseRecorder, status int, code string) obj {
	t.Helper()
	require.Equal(t, status, w.Code, "status; body %s", w.Body)
	require.Equal(t, "application/problem+json", w.Header().Get("Content-Type"))
	p := decode(t, w)
	require.Equal(t, code, p["code"], "problem code; body %s", w.Body)
	require.EqualValues(t, status, p["status"], "problem status member")
	require.Equal(t, "about:blank", p["type"])
	require.Equal(t, http.StatusText(status), p["title"])
	return p
}

// problemFields returns the field → rule pairs of a problem's errors.
func problemFields(p obj) map[string]string {
	out := map[string]string{}
	errs, _ := p["errors"].([]any)
	for _, e := range errs {
		m := e.(obj)
		out[m["field"].(string)] = m["rule"].(string)
	}
	return out
}

// vin returns a valid VIN (GB 16735 / ISO 3779 check digit) with serial n.
func vin(n int) string {
	for _, c := range "0123456789X" {
		v := fmt.Sprintf("LSVAU218%cN2%06d", c, n)
		if crm.CheckVIN(v) == "" {
			return v
		}
	}
	panic("no check digit")
}

// fixtures are records of dealer A the entity tests refer to.
type fixtures struct {
	customer, vehicle, lead string
}

func (e *env) fixtures(key string) fixtures {
	e.t.Helper()
	c := e.create(key, "customers", obj{"name": "王伟", "mobile": "13912345678", "source": "walk_in"})
	v := e.create(key, "vehicles", obj{"vin": vin(900), "model": "A6L", "price": "420000", "owner_id": c["id"]})
	l := e.create(key, "leads", obj{"name": "赵敏", "source": "call_in"})
	return fixtures{customer: c["id"].(string), vehicle: v["id"].(string), lead: l["id"].(string)}
}
