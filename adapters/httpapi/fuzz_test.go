package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
)

// documentedOps returns the paths of the OpenAPI document with method,
// with each {id} replaced by ids[collection] (the segment after /v1/).
func documentedOps(tb testing.TB, e *env, method string, ids map[string]string) []string {
	tb.Helper()
	w := e.do(http.MethodGet, "/v1/openapi.json", "", nil)
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		tb.Fatal(err)
	}
	var out []string
	for path, ops := range doc.Paths {
		if _, ok := ops[strings.ToLower(method)]; !ok {
			continue
		}
		coll := strings.Split(strings.TrimPrefix(path, "/v1/"), "/")[0]
		out = append(out, strings.ReplaceAll(path, "{id}", ids[coll]))
	}
	sort.Strings(out)
	return out
}

// checkAnswer fails on a 5xx answer and on a body that is not JSON.
func checkAnswer(t *testing.T, method, path, body string, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code >= 500 {
		t.Fatalf("%s %s with body %q: %d %s", method, path, body, w.Code, w.Body)
	}
	if w.Code != http.StatusNoContent && !json.Valid(w.Body.Bytes()) {
		t.Fatalf("%s %s with body %q: answer is not JSON: %s", method, path, body, w.Body)
	}
}

// fuzzSeeds are bodies close to valid ones for every route, and broken ones.
var fuzzSeeds = []string{
	`{"name": "王伟", "mobile": "139 1234 5678", "region": {"city": "上海"}}`,
	`{"name": "李娜", "source": "walk_in", "level": "H", "expected_close": "2025-03-20"}`,
	`{"vin": "LSVAU218XN2183294", "model": "A4L", "price": "298000.00", "odometer": [{"date": "2025-01-01", "km": 10, "source": "service"}]}`,
	`{"vehicle_id": "x", "customer_id": "y", "date": "2025-03-01", "price": 1e3, "items": [{"kind": "insurance", "amount": "1"}]}`,
	`{"kind": "commercial", "insurer": "PICC", "start": "2025-03-01", "end": "2024-03-01", "premium": "-1"}`,
	`{"channel": "phone", "direction": "outbound", "purpose": "3DC", "outcome": "reached", "at": "2025-03-04T10:00:00+08:00"}`,
	`{"category": "service", "severity": "high", "opened": "2025-02-30", "status": "closed"}`,
	`{"event_id": "EV1", "date": "2025-05-01", "attended": true}`,
	`{"purpose": "marketing", "channel": "sms", "granted": true, "source": "form"}`,
	`{"level": "O"}`,
	`{"channel": "wechat", "visit": true, "level": "D"}`,
	`{"reason": "no_budget", "requested_by": "S1"}`,
	`{"decision": "approved", "decided_by": "M1"}`,
	`{"customer": {"name": "x", "consents": []}, "vehicle": {"vin": "1M8GDM9AXKP042788"}, "sale": {"date": "2025-01-01"}}`,
	`{"customers": [{"external_id": "C1", "name": "x"}], "vehicles": [{"external_id": "V1", "vin": "11111111111111111", "model": "m", "owner_id": "C1"}]}`,
	`{"price": "1e10000"}`, `{"price": "1e-10001"}`, `{"price": 1e400}`,
	`{"id": "x", "dealer_id": "BJ02", "created_at": 1}`,
	`{"status": null, "follow_ups": [1]}`,
	`{}`, `[]`, `null`, `""`, `1`, `{"name": "a"} x`, `{"name": "\ud800"}`, `{"a":{"b":{"c":{}}}}`,
}

// FuzzPostBodies sends random bodies to every POST route of the OpenAPI
// document: none may panic or answer 5xx.
func FuzzPostBodies(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	trail := &strictTrail{AuditStore: memory.NewAuditStore()}
	e := newEnv(f, httpapi.WithAudit(trail))
	fx := e.fixtures(keyA)
	paths := documentedOps(f, e, http.MethodPost, map[string]string{"customers": fx.customer, "leads": fx.lead})
	if len(paths) < 15 {
		f.Fatalf("only %d POST routes: %v", len(paths), paths)
	}
	f.Fuzz(func(t *testing.T, body string) {
		te := *e
		te.t = t
		for _, p := range paths {
			checkAnswer(t, http.MethodPost, p, body, te.do(http.MethodPost, p, keyA, body))
			trail.check(t, p, body)
		}
	})
}

// FuzzPatchBodies sends random merge patches to every PATCH route.
func FuzzPatchBodies(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Add(`{"region": null, "hobbies": [null], "lead_policy": {"cadence_days": {"H": 0}}}`)
	f.Add(`{"odometer": [{"km": -1}], "items": null, "price": null}`)
	e := newEnv(f)
	fx := e.fixtures(keyA)
	ids := map[string]string{"customers": fx.customer, "leads": fx.lead, "vehicles": fx.vehicle}
	for coll, body := range map[string]any{
		"sales":                obj{"vehicle_id": fx.vehicle, "customer_id": fx.customer, "date": "2025-03-01"},
		"service-orders":       obj{"vehicle_id": fx.vehicle, "date": "2025-03-01", "kind": "repair", "payer": "insurer"},
		"insurance-policies":   obj{"vehicle_id": fx.vehicle, "kind": "compulsory", "insurer": "PICC", "start": "2025-03-01", "end": "2026-02-28"},
		"interactions":         obj{"lead_id": fx.lead, "channel": "sms", "direction": "inbound", "purpose": "x", "outcome": "no_answer", "at": "2025-03-01T00:00:00Z"},
		"complaints":           obj{"customer_id": fx.customer, "category": "c", "severity": "low", "opened": "2025-03-01"},
		"event-participations": obj{"customer_id": fx.customer, "event_id": "E", "date": "2025-03-01"},
	} {
		ids[coll] = e.create(keyA, coll, body)["id"].(string)
	}
	paths := documentedOps(f, e, http.MethodPatch, ids)
	if len(paths) != 10 {
		f.Fatalf("want 10 PATCH routes, got %v", paths)
	}
	f.Fuzz(func(t *testing.T, body string) {
		te := *e
		te.t = t
		for _, p := range paths {
			checkAnswer(t, http.MethodPatch, p, body, te.do(http.MethodPatch, p, keyA, body, "Content-Type", "application/merge-patch+json"))
		}
	})
}

// FuzzListQuery sends random query strings to every list route.
func FuzzListQuery(f *testing.F) {
	for _, s := range []string{"", "limit=2", "limit=0&after=AAAA", "after=%ff", "levels=H,,A&status=open",
		"date_from=2025-01-01&date_to=2024-01-01", "from=2025-03-04T00:00:00Z", "mobile=%2B86%20138", "vin=lsv", "name=%25_%5C", "plate=%C2%B7-", "x=1&x=2", "%zz", ";;&&=="} {
		f.Add(s)
	}
	f.Add("outcome=denied&record=c1&staff_id=S01&to=2026-01-01T00:00:00%2B08:00&request_id=r1")
	f.Add("after=3&types=consent.changed,customer.erased&wait=1")
	f.Add("reason=id_number&min_score=101&after=YWJj")
	// The feed's long poll waits at most half the request's deadline.
	stores := memory.NewStores()
	e := newEnvOn(f, stores.CRM, httpapi.WithAudit(memory.NewAuditStore()), httpapi.WithEvents(stores.Events),
		httpapi.WithRequestTimeout(2*time.Second))
	e.fixtures(keyA)
	// Every listing this handler serves whose path names no record — the
	// route table's list flag (Operations), and the event feed, whose page
	// is a crm.EventPage — so that a new listing is fuzzed without being
	// named here.
	lists := map[string]bool{}
	for _, op := range httpapi.Operations() {
		if (op.List || op.Result == reflect.TypeFor[crm.EventPage]()) && op.Method == http.MethodGet && !strings.Contains(op.Path, "{") {
			lists[op.Path] = true
		}
	}
	var paths []string
	for _, p := range documentedOps(f, e, http.MethodGet, nil) {
		if lists[p] {
			paths = append(paths, p)
		}
	}
	if len(paths) != 12 {
		f.Fatalf("want 12 list routes (the audit trail's, the event feed and the duplicate candidates too), got %v", paths)
	}
	f.Fuzz(func(t *testing.T, query string) {
		for _, p := range paths {
			req := httptest.NewRequest(http.MethodGet, p, nil)
			req.URL.RawQuery = query
			req.Header.Set("Authorization", "Bearer "+keyA)
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, req)
			checkAnswer(t, http.MethodGet, p+"?"+query, "", w)
		}
	})
}

// strictTrail is an audit store whose refused appends fail the fuzz test:
// whatever a request carries, its record must be one a store keeps.
type strictTrail struct {
	*memory.AuditStore
	mu  sync.Mutex
	err error
}

func (s *strictTrail) Append(ctx context.Context, r crm.AuditRecord) error {
	err := s.AuditStore.Append(ctx, r)
	if err != nil {
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
	}
	return err
}

func (s *strictTrail) check(t *testing.T, path, body string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		t.Fatalf("POST %s %q: the audit record was refused: %v", path, body, s.err)
	}
}
