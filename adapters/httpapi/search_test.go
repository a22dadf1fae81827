package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSearchParams: GET /v1/customers?name= finds a name by a part of it,
// GET /v1/vehicles?plate= a plate whatever its separators and case; text a
// store refuses is a 422 naming the parameter.
func TestSearchParams(t *testing.T) {
	e := newEnv(t)
	ma := e.create(keyA, "customers", obj{"name": "马洁"})["id"].(string)
	e.create(keyA, "customers", obj{"name": "50%_折扣"})
	sima := e.create(keyA, "customers", obj{"name": "司马光"})["id"].(string)
	car := e.create(keyA, "vehicles", obj{"vin": vin(7), "model": "A4L", "plate": "沪A·12345", "owner_id": ma})["id"].(string)
	e.create(keyA, "vehicles", obj{"vin": vin(8), "model": "A4L", "plate": "浙B98765"})

	list := func(path string) []string {
		t.Helper()
		w := e.do(http.MethodGet, path, keyA, nil)
		require.Equal(t, http.StatusOK, w.Code, "%s: %s", path, w.Body)
		return ids(decode(t, w))
	}
	q := url.QueryEscape
	assert.ElementsMatch(t, []string{ma, sima}, list("/v1/customers?name="+q("马")), "name=马 finds both names holding 马")
	assert.Equal(t, []string{ma}, list("/v1/customers?name="+q("洁")), "a name's last character finds it")
	assert.Empty(t, list("/v1/customers?name="+q("5_%")), "_ and %% are literal")
	w := e.do(http.MethodGet, "/v1/customers?name="+q("马"), keyB, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Empty(t, ids(decode(t, w)), "dealer B finds none of A's customers")
	assert.Equal(t, []string{car}, list("/v1/vehicles?plate="+q("沪a12345")), "case and separators do not matter")
	assert.Equal(t, []string{car}, list("/v1/vehicles?plate=12345"), "a part of the plate finds it")

	for path, field := range map[string]string{
		"/v1/customers?name=" + q(strings.Repeat("马", 65)): "name",
		"/v1/customers?name=a%09b":                         "name",
		"/v1/vehicles?plate=" + q("·-"):                    "plate",
	} {
		p := requireProblem(t, e.do(http.MethodGet, path, keyA, nil), http.StatusUnprocessableEntity, "invalid")
		assert.Contains(t, problemFields(p), field, "%s names %s", path, field)
	}
}
