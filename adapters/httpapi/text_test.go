package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestRequestText: a NUL character or invalid UTF-8 in a path value, a query
// parameter or a JSON string (key or value) is a 400 naming where it is, on
// every route and every backend, instead of reaching a store (PostgreSQL
// answered 500 for a NUL; encoding/json silently replaced invalid bytes).
func TestRequestText(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, method, path string
		body               any
		field              string
	}{
		{"nul in path", http.MethodGet, "/v1/customers/a%00b", nil, "id"},
		{"bad utf-8 in path", http.MethodGet, "/v1/customers/a%ffb", nil, "id"},
		{"nul in query", http.MethodGet, "/v1/customers?mobile=138%00", nil, "mobile"},
		{"bad utf-8 in query", http.MethodGet, "/v1/customers?consultant_id=%c3%28", nil, "consultant_id"},
		{"nul in body value", http.MethodPost, "/v1/customers", `{"name": "王\u0000芳"}`, "name"},
		{"nul in nested body value", http.MethodPost, "/v1/customers", `{"name": "王芳", "region": {"city": "上海\u0000"}}`, "region.city"},
		{"nul in array", http.MethodPost, "/v1/customers", `{"name": "王芳", "hobbies": ["a", "b\u0000"]}`, "hobbies[1]"},
		{"bad utf-8 in body", http.MethodPost, "/v1/customers", "{\"name\": \"\xff\xfe\"}", "name"},
		{"bad utf-8 in a key", http.MethodPost, "/v1/customers", "{\"na\xffme\": \"x\"}", "na\ufffdme"},
		{"nul in patch", http.MethodPatch, "/v1/customers/x", `{"occupation": "\u0000"}`, "occupation"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do(tc.method, tc.path, keyA, tc.body)
			p := requireProblem(t, w, http.StatusBadRequest, "malformed_request")
			assert.Equal(t, map[string]string{tc.field: "text"}, problemFields(p), "errors name the field")
		})
	}
	t.Run("escaped backslash is not a NUL", func(t *testing.T) {
		w := e.do(http.MethodPost, "/v1/customers", keyA, `{"name": "a\\u0000b"}`)
		assert.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	})
}

// TestLongNumbers: a number of a thousand digits, as a JSON number or as a
// decimal string, is refused before it is decoded (decoding a million-digit
// decimal takes seconds), naming the field; ordinary long text passes.
func TestLongNumbers(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("9", 1000)
	for _, body := range []string{
		`{"name": "王芳", "vin": "1M8GDM9AXKP042788", "price": ` + long + `}`,
		`{"name": "王芳", "vin": "1M8GDM9AXKP042788", "price": "` + long + `"}`,
		`{"name": "王芳", "vin": "1M8GDM9AXKP042788", "price": "1` + long + `e-5"}`,
	} {
		w := e.do(http.MethodPost, "/v1/vehicles", keyA, body)
		p := requireProblem(t, w, http.StatusBadRequest, "malformed_request")
		assert.Equal(t, map[string]string{"price": "format"}, problemFields(p))
	}
	w := e.do(http.MethodPost, "/v1/customers", keyA, `{"name": "王芳", "occupation": "`+strings.Repeat("工程师", 50)+`"}`)
	assert.NotEqual(t, http.StatusBadRequest, w.Code, "long text that is no number passes: %s", w.Body)
}
