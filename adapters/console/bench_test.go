package console_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/console"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/demo"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/loyalty"
)

// BenchmarkPages measures the server time of every page on the default
// demo data (demo.DefaultCustomers customers, the memory backend), signed
// in as the Shanghai manager, rendered in Chinese: the target is 100 ms a
// page (docs/console.md has the numbers). "dashboard" is served from the
// per-dealer cache; "dashboard-cold" computes the figures on every view.
func BenchmarkPages(b *testing.B) {
	benchmarkPages(b, newFixture(b, demo.DefaultCustomers, nil))
}

// BenchmarkPagesPostgres is BenchmarkPages on PostgreSQL
// (DEALERCRM_POSTGRES_DSN), the demo data seeded into a schema of its own.
func BenchmarkPagesPostgres(b *testing.B) {
	benchmarkPages(b, newFixtureOn(b, postgresStores(b), demo.DefaultCustomers, nil))
}

func benchmarkPages(b *testing.B, f *fixture) {
	ctx := context.Background()
	dealer := f.data.Dealers[0].Dealer.ID
	// The customer with the most tasks and records on the list.
	ts, err := f.app.Lifecycle.ListTasks(ctx, dealer, lifecycle.TaskFilter{Statuses: []lifecycle.Status{lifecycle.StatusOpen}, PageRequest: crm.PageRequest{Limit: 1}})
	if err != nil || len(ts.Items) == 0 || ts.Items[0].CustomerID == "" {
		b.Fatalf("no task: %v", err)
	}
	customer := string(ts.Items[0].CustomerID)
	ms, err := f.app.Loyalty.ListMemberships(ctx, dealer, loyaltyFirst())
	if err != nil || len(ms.Items) == 0 {
		b.Fatalf("no member: %v", err)
	}
	member := string(ms.Items[0].CustomerID)
	c, err := f.app.CRM.GetCustomer(ctx, dealer, ms.Items[0].CustomerID)
	if err != nil {
		b.Fatal(err)
	}
	var tick atomic.Int64
	cold := console.New(console.Services{CRM: f.app.CRM, Lifecycle: f.app.Lifecycle, Loyalty: f.app.Loyalty, Grading: f.app.Grading,
		Satisfaction: f.app.Satisfaction, Campaigns: f.app.Campaigns}, console.Keys(f.keys),
		console.WithClock(func() time.Time { return f.now.Add(time.Duration(tick.Add(1)) * console.DashboardTTL) }))
	token := f.tokens[demo.ShanghaiManagerKey]
	sessions := map[http.Handler]*http.Cookie{f.h: session(b, f.h, token), cold: session(b, cold, token)}
	for _, p := range []struct {
		name, path string
		h          http.Handler
	}{
		{"tasks", "/console/tasks", f.h},
		{"customer-360", "/console/customers/" + customer, f.h},
		{"customer-search-name", "/console/customers?q=" + c.Name, f.h},
		{"leads", "/console/leads", f.h},
		{"members", "/console/members", f.h},
		{"member-statement", "/console/members/" + member + "?as_of=2026-01-31", f.h},
		{"dashboard", "/console/dashboard", f.h},
		{"dashboard-cold", "/console/dashboard", cold},
	} {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, p.path, nil)
				req.AddCookie(sessions[p.h])
				rec := httptest.NewRecorder()
				p.h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d", p.path, rec.Code)
				}
			}
		})
	}
}

func loyaltyFirst() loyalty.MembershipFilter {
	return loyalty.MembershipFilter{PageRequest: crm.PageRequest{Limit: 1}}
}
