package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/apikey"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
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

// BenchmarkGetCustomerGuards measures what authentication, the permission
// check and the audit trail add to GET /v1/customers/{id} on memory, in
// one run (issue 15: at most 10%):
//
//   - bare: an Authenticator that returns one principal with no work,
//     and no audit trail — the route, the store read and the JSON;
//   - key: a fixed API key (WithAPIKeys: SHA-256 and a constant-time
//     compare) and the permission check;
//   - key+audit: the same with the audit trail (a read of personal data:
//     one record appended per request);
//   - managed+audit: a managed key (HMAC-SHA256 under the server secret,
//     the key's record read from its store) with the audit trail.
func BenchmarkGetCustomerGuards(b *testing.B) {
	keys, err := apikey.NewService(memory.NewKeyStore(), []byte("0123456789abcdef0123456789abcdef"))
	require.NoError(b, err)
	_, token, err := keys.Create(context.Background(), dealerA, "", apikey.CreateRequest{Name: "bench", Roles: []crm.Role{crm.RoleAdmin}})
	require.NoError(b, err)
	principal := crm.Principal{Dealer: dealerA, Roles: []crm.Role{crm.RoleAdmin}}
	crm.DefaultRoles().Resolve(&principal)
	for _, c := range []struct {
		name string
		key  string
		opts []httpapi.Option
	}{
		{"bare", keyA, []httpapi.Option{httpapi.WithAuthenticator(fixedPrincipal(principal))}},
		{"key", keyA, nil},
		{"key+audit", keyA, []httpapi.Option{httpapi.WithAudit(memory.NewAuditStore())}},
		{"managed+audit", token, []httpapi.Option{httpapi.WithKeys(keys), httpapi.WithAudit(memory.NewAuditStore())}},
	} {
		b.Run(c.name, func(b *testing.B) {
			e := newEnv(b, append(c.opts, httpapi.WithRateLimit(0, 0))...)
			cust := e.create(keyA, "customers", obj{"name": "王伟", "mobile": "13912345678", "region": obj{"city": "上海"}, "hobbies": []string{"golf"}})
			req := httptest.NewRequest(http.MethodGet, "/v1/customers/"+cust["id"].(string), nil)
			req.Header.Set("Authorization", "Bearer "+c.key)
			serveLoop(b, e, req)
		})
	}
}

// fixedPrincipal is an Authenticator that answers every request with p.
type fixedPrincipal crm.Principal

func (f fixedPrincipal) Authenticate(*http.Request) (crm.Principal, error) {
	return crm.Principal(f), nil
}

// BenchmarkPostEarningGuards measures what authentication, the permission
// check and the audit trail add to a points posting on Postgres, in one
// run (issue 15: at most 15%): POST /v1/loyalty/earnings, one client, each
// request a new service order of one of 100 members. bare has an
// Authenticator that returns one principal with no work and no trail;
// key+audit a fixed API key and the audit trail, whose record the
// posting's transaction writes with the points.
func BenchmarkPostEarningGuards(b *testing.B) {
	principal := crm.Principal{Dealer: dealerA, Roles: []crm.Role{crm.RoleAdmin}}
	crm.DefaultRoles().Resolve(&principal)
	for _, c := range []struct {
		name  string
		audit bool
		opt   httpapi.Option
	}{
		{"bare", false, httpapi.WithAuthenticator(fixedPrincipal(principal))},
		{"key+audit", true, nil},
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			store := pgtest.NewStore(b)
			club, err := loyalty.NewService(store, store.Loyalty())
			require.NoError(b, err)
			opts := []httpapi.Option{httpapi.WithLoyalty(club), httpapi.WithRateLimit(0, 0)}
			if c.opt != nil {
				opts = append(opts, c.opt)
			}
			if c.audit {
				opts = append(opts, httpapi.WithAudit(store.Audit()))
			}
			e := newEnvOn(b, store, opts...)
			rec := crm.Record{DealerID: dealerA, CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
			const members = 100
			for i := range members {
				id := crm.CustomerID(fmt.Sprintf("c%03d", i))
				require.NoError(b, store.Customers().Create(ctx, &crm.Customer{ID: id, Record: rec, Name: "王先生", Kind: crm.Individual}))
				require.NoError(b, store.Vehicles().Create(ctx, &crm.Vehicle{ID: crm.VehicleID("v" + string(id)), Record: rec,
					VIN: testVIN(i), Model: "卡罗拉", OwnerID: id}))
				_, err := club.Join(ctx, loyalty.JoinRequest{DealerID: dealerA, CustomerID: id, Method: loyalty.JoinSale})
				require.NoError(b, err)
			}
			today := dealercrm.DateIn(time.Now(), time.UTC).AddDays(-1)
			orders := 0 // made so far: each run of the loop makes what it needs
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i >= orders {
					b.StopTimer()
					for ; orders < b.N; orders++ {
						id := crm.CustomerID(fmt.Sprintf("c%03d", orders%members))
						require.NoError(b, store.ServiceOrders().Create(ctx, &crm.ServiceOrder{ID: crm.ServiceOrderID(fmt.Sprintf("o%d", orders)),
							Record: rec, VehicleID: crm.VehicleID("v" + string(id)), CustomerID: id, Date: today,
							Kind: crm.ServiceMaintenance, Payer: crm.PayerCustomer, Labour: decimal.NewFromInt(388)}))
					}
					b.StartTimer()
				}
				w := e.do(http.MethodPost, "/v1/loyalty/earnings", keyA, map[string]any{"service_order_id": fmt.Sprintf("o%d", i)},
					"Idempotency-Key", fmt.Sprintf("earn-%d", i))
				if w.Code != http.StatusCreated {
					b.Fatal(w.Code, w.Body)
				}
			}
		})
	}
}
