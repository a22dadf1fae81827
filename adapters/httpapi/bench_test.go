package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/crm"
)

// BenchmarkGetCustomer measures one GET through the handler: routing, key
// check, store read and JSON encoding.
func BenchmarkGetCustomer(b *testing.B) {
	e := newEnv(b, httpapi.WithRateLimit(0, 0)) // the benchmark sends more than a key may
	c := e.create(keyA, "customers", obj{"name": "王伟", "mobile": "13912345678", "region": obj{"city": "上海"}, "hobbies": []string{"golf"}})
	req := httptest.NewRequest(http.MethodGet, "/v1/customers/"+c["id"].(string), nil)
	req.Header.Set("Authorization", "Bearer "+keyA)
	serveLoop(b, e, req)
}

// BenchmarkListCustomers measures a list request of 50 customers (the
// default page) out of 500.
func BenchmarkListCustomers(b *testing.B) {
	e := newEnv(b, httpapi.WithRateLimit(0, 0)) // the benchmark sends more than a key may
	for range 500 {
		e.create(keyA, "customers", obj{"name": "王伟", "mobile": "13912345678", "consultant_id": "S01"})
	}
	req := httptest.NewRequest(http.MethodGet, "/v1/customers?consultant_id=S01&limit=50", nil)
	req.Header.Set("Authorization", "Bearer "+keyA)
	serveLoop(b, e, req)
}

// BenchmarkGetCustomerMasked is BenchmarkGetCustomer for a key whose roles
// lack personal_data (the integration, granted customers.read): the
// answer is masked (maskJSON).
func BenchmarkGetCustomerMasked(b *testing.B) {
	table := crm.DefaultRoles()
	table[crm.RoleIntegration] = append(table[crm.RoleIntegration], crm.PermCustomersRead)
	e := newEnv(b, withPeople(), httpapi.WithRoles(table), httpapi.WithRateLimit(0, 0))
	c := e.create(keyA, "customers", obj{"name": "王伟", "mobile": "13912345678", "region": obj{"city": "上海"}, "hobbies": []string{"golf"}})
	req := httptest.NewRequest(http.MethodGet, "/v1/customers/"+c["id"].(string), nil)
	req.Header.Set("Authorization", "Bearer "+keyIntegration)
	serveLoop(b, e, req)
}

// serveLoop sends req through e's handler b.N times, each answered 200.
func serveLoop(b *testing.B, e *env, req *http.Request) {
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code, w.Body)
		}
	}
}
