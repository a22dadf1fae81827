package httpapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newLoyaltyEnv is an env with the loyalty routes, customer c1 of dealer A
// with car v1 and two service orders: o1 customer-paid maintenance of
// 1,280.50 CNY and o2 an insurer-paid accident repair of 12,000 CNY. The
// clock is at noon of 1 June 2025 in Shanghai.
func newLoyaltyEnv(t *testing.T, opts ...loyalty.Option) *env {
	t.Helper()
	ctx := context.Background()
	store := memory.New()
	clock := func() time.Time { return time.Date(2025, 6, 1, 4, 0, 0, 0, time.UTC) }
	lsvc, err := loyalty.NewService(store, memory.NewLoyaltyStore(), append([]loyalty.Option{loyalty.WithClock(clock)}, opts...)...)
	require.NoError(t, err)
	e := newEnvOn(t, store, httpapi.WithLoyalty(lsvc))
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := crm.Record{DealerID: dealerA, CreatedAt: at, UpdatedAt: at}
	require.NoError(t, store.Customers().Create(ctx, &crm.Customer{ID: "c1", Record: rec, Name: "王先生", Kind: crm.Individual}))
	require.NoError(t, store.Vehicles().Create(ctx, &crm.Vehicle{ID: "v1", Record: rec, VIN: "LSVAA4182E2100001", Model: "卡罗拉", OwnerID: "c1"}))
	require.NoError(t, store.ServiceOrders().Create(ctx, &crm.ServiceOrder{ID: "o1", Record: rec, VehicleID: "v1", CustomerID: "c1",
		Date: dealercrm.NewDate(2025, 5, 30), Kind: crm.ServiceMaintenance, Payer: crm.PayerCustomer, Labour: decimal.RequireFromString("1280.50")}))
	require.NoError(t, store.ServiceOrders().Create(ctx, &crm.ServiceOrder{ID: "o2", Record: rec, VehicleID: "v1", CustomerID: "c1",
		Date: dealercrm.NewDate(2025, 5, 30), Kind: crm.ServiceAccident, Payer: crm.PayerInsurer, Labour: decimal.NewFromInt(12000)}))
	return e
}

func TestLoyaltyRoutes(t *testing.T) {
	e := newLoyaltyEnv(t)
	join := map[string]any{"customer_id": "c1", "method": "sale", "date": "2025-06-01"}
	w := e.do(http.MethodPost, "/v1/loyalty/members", keyA, join, "Idempotency-Key", "join-c1")
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	first := w.Body.String()
	r := decodeJSON[loyalty.Receipt](t, w.Body.Bytes())
	assert.Equal(t, loyalty.Silver, r.Membership.Tier)
	assert.Equal(t, "/v1/loyalty/members/c1", w.Header().Get("Location"))

	w = e.do(http.MethodPost, "/v1/loyalty/members", keyA, join, "Idempotency-Key", "join-c1")
	require.Equal(t, http.StatusCreated, w.Code, "a replay gets the first status")
	assert.Equal(t, first, w.Body.String(), "and the first body")
	assert.Equal(t, "true", w.Header().Get("Idempotent-Replayed"))
	join["method"] = "fee"
	w = e.do(http.MethodPost, "/v1/loyalty/members", keyA, join, "Idempotency-Key", "join-c1")
	requireProblem(t, w, http.StatusConflict, "conflict")
	w = e.do(http.MethodPost, "/v1/loyalty/members", keyA, join)
	requireProblem(t, w, http.StatusConflict, "failed_precondition") // already a member

	// Earnings from service orders: 1,280.50 CNY → 1,280 points; insurer-paid → 0.
	w = e.do(http.MethodPost, "/v1/loyalty/earnings", keyA, map[string]any{"service_order_id": "o1"}, "Idempotency-Key", "e1")
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	r = decodeJSON[loyalty.Receipt](t, w.Body.Bytes())
	assert.Equal(t, int64(1280), r.Entries[0].Points)
	w = e.do(http.MethodPost, "/v1/loyalty/earnings", keyA, map[string]any{"service_order_id": "o1"}, "Idempotency-Key", "e1")
	require.Equal(t, http.StatusCreated, w.Code)
	assert.Equal(t, "true", w.Header().Get("Idempotent-Replayed"), "an order earns once")
	w = e.do(http.MethodPost, "/v1/loyalty/earnings", keyA, map[string]any{"service_order_id": "o2"}, "Idempotency-Key", "e2")
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Zero(t, decodeJSON[loyalty.Receipt](t, w.Body.Bytes()).Entries[0].Points, "insurer-paid work earns nothing")
	w = e.do(http.MethodPost, "/v1/loyalty/earnings", keyB, map[string]any{"service_order_id": "o1"}, "Idempotency-Key", "e1")
	requireProblem(t, w, http.StatusNotFound, "not_found")

	// Redeem: 1,000 of 1,280; then 300 is too many.
	w = e.do(http.MethodPost, "/v1/loyalty/members/c1/redemptions", keyA, map[string]any{"points": 1000, "purpose": "voucher"}, "Idempotency-Key", "r1")
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	red := decodeJSON[loyalty.Receipt](t, w.Body.Bytes()).Entries[0]
	w = e.do(http.MethodPost, "/v1/loyalty/members/c1/redemptions", keyA, map[string]any{"points": 300}, "Idempotency-Key", "r2")
	p := requireProblem(t, w, http.StatusConflict, "failed_precondition")
	assert.Contains(t, p["detail"], "insufficient points")
	w = e.do(http.MethodPost, "/v1/loyalty/members/c1/redemptions", keyA, map[string]any{"points": -5}, "Idempotency-Key", "r3")
	requireProblem(t, w, http.StatusUnprocessableEntity, "invalid")

	w = e.do(http.MethodGet, "/v1/loyalty/members/c1/balances", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	st := decodeJSON[loyalty.Statement](t, w.Body.Bytes())
	assert.Equal(t, loyalty.Balances{Cumulative: 1280, Points: 280, Available: 280}, st.Balances)
	w = e.do(http.MethodGet, "/v1/loyalty/members/c1/balances?as_of=2025-05-31", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, loyalty.Balances{}, decodeJSON[loyalty.Statement](t, w.Body.Bytes()).Balances, "nothing before joining")
	w = e.do(http.MethodGet, "/v1/loyalty/members/c1/balances?as_of=yesterday", keyA, nil)
	requireProblem(t, w, http.StatusUnprocessableEntity, "invalid")

	// Reverse the redemption (voucher voided).
	w = e.do(http.MethodPost, "/v1/loyalty/entries/"+string(red.ID)+"/reverse", keyA, map[string]any{"reason": "voucher voided"}, "Idempotency-Key", "v1")
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Equal(t, int64(1000), decodeJSON[loyalty.Receipt](t, w.Body.Bytes()).Entries[0].Points)

	w = e.do(http.MethodGet, "/v1/loyalty/members/c1/entries?limit=2", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	page := decodeJSON[crm.Page[loyalty.Entry]](t, w.Body.Bytes())
	require.Len(t, page.Items, 2)
	assert.NotEmpty(t, page.Next)
	w = e.do(http.MethodGet, "/v1/loyalty/members/c1/entries?after="+page.Next, keyA, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Len(t, decodeJSON[crm.Page[loyalty.Entry]](t, w.Body.Bytes()).Items, 2, "4 entries in all")

	// Upgrade by 2,000 points fails with 1,280; renewal by points works.
	w = e.do(http.MethodPost, "/v1/loyalty/members/c1/upgrade", keyA, map[string]any{"method": "points"}, "Idempotency-Key", "u1")
	requireProblem(t, w, http.StatusConflict, "failed_precondition")
	w = e.do(http.MethodPost, "/v1/loyalty/members/c1/renew", keyA, map[string]any{"method": "points"}, "Idempotency-Key", "renew-1")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	r = decodeJSON[loyalty.Receipt](t, w.Body.Bytes())
	assert.Equal(t, int64(-500), r.Entries[0].Points)
	assert.Equal(t, dealercrm.NewDate(2027, 5, 31), r.Membership.ValidUntil)

	w = e.do(http.MethodGet, "/v1/loyalty/members/c1", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	v := decodeJSON[loyalty.MemberView](t, w.Body.Bytes())
	assert.Equal(t, int64(780), v.Balances.Available)
	assert.Equal(t, "10", v.Benefits.LabourDiscount.String())
	assert.Len(t, v.History, 2)
	w = e.do(http.MethodGet, "/v1/loyalty/members/c1", keyB, nil)
	requireProblem(t, w, http.StatusNotFound, "not_found")

	w = e.do(http.MethodPost, "/v1/loyalty/members/c1/quote", keyA, map[string]any{"labour": "500", "parts": "1000", "free_services": []string{"wash"}, "consume": true},
		"Idempotency-Key", "q1")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	q := decodeJSON[loyalty.Receipt](t, w.Body.Bytes()).Quote
	assert.Equal(t, "1400", q.Total.String(), "10% off labour, 5% off parts")

	w = e.do(http.MethodGet, "/v1/loyalty/members?status=active", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Len(t, decodeJSON[crm.Page[loyalty.Membership]](t, w.Body.Bytes()).Items, 1)
	w = e.do(http.MethodGet, "/v1/loyalty/liability", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "78", decodeJSON[loyalty.Liability](t, w.Body.Bytes()).Value.String(), "780 points at 10 points = 1 CNY")
	w = e.do(http.MethodGet, "/v1/loyalty/program", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code)
	w = e.do(http.MethodPost, "/v1/loyalty/members/c1/cancel", keyA, map[string]any{"reason": "moved"}, "Idempotency-Key", string(make([]byte, 300)))
	requireProblem(t, w, http.StatusUnprocessableEntity, "invalid")
	w = e.do(http.MethodPost, "/v1/loyalty/members/c1/cancel", keyA, map[string]any{"reason": "moved"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
}

// joinC1 makes c1 a member of dealer A's club and posts order o1 (1,280
// points).
func joinC1(t *testing.T, e *env) loyalty.Entry {
	t.Helper()
	w := e.do(http.MethodPost, "/v1/loyalty/members", keyA, map[string]any{"customer_id": "c1", "method": "sale", "date": "2025-05-01"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	w = e.do(http.MethodPost, "/v1/loyalty/earnings", keyA, map[string]any{"service_order_id": "o1"}, "Idempotency-Key", "earn-o1")
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	return decodeJSON[loyalty.Receipt](t, w.Body.Bytes()).Entries[0]
}

// entriesOf lists c1's ledger as dealer A sees it.
func entriesOf(t *testing.T, e *env) []loyalty.Entry {
	t.Helper()
	w := e.do(http.MethodGet, "/v1/loyalty/members/c1/entries", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	return decodeJSON[crm.Page[loyalty.Entry]](t, w.Body.Bytes()).Items
}

// TestLoyaltyEarningCountsOncePerOrder: issue 12 — POST
// /v1/loyalty/earnings {"service_order_id": "o1"} with keys a, b and c gave
// three earnings for one order. Now the order earns once; the second and
// third answer the first receipt as replays. A reversal is posted once
// whatever its keys too.
func TestLoyaltyEarningCountsOncePerOrder(t *testing.T) {
	e := newLoyaltyEnv(t)
	w := e.do(http.MethodPost, "/v1/loyalty/members", keyA, map[string]any{"customer_id": "c1", "method": "sale", "date": "2025-05-01"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	var first loyalty.Entry
	for i, key := range []string{"a", "b", "c"} {
		w := e.do(http.MethodPost, "/v1/loyalty/earnings", keyA, map[string]any{"service_order_id": "o1"}, "Idempotency-Key", key)
		require.Equal(t, http.StatusCreated, w.Code, "key %s: %s", key, w.Body.String())
		r := decodeJSON[loyalty.Receipt](t, w.Body.Bytes())
		require.Len(t, r.Entries, 1)
		if i == 0 {
			first = r.Entries[0]
			assert.Empty(t, w.Header().Get("Idempotent-Replayed"))
			continue
		}
		assert.Equal(t, "true", w.Header().Get("Idempotent-Replayed"), "key %s replays the order's earning", key)
		assert.Equal(t, first, r.Entries[0], "key %s", key)
		assert.Equal(t, int64(1280), r.Earning.Points)
	}
	entries := entriesOf(t, e)
	require.Len(t, entries, 1, "three keys on one order: one earning")
	assert.Equal(t, int64(1280), entries[0].Points)

	for i, key := range []string{"v1", "v2", "v3"} {
		w := e.do(http.MethodPost, "/v1/loyalty/entries/"+string(first.ID)+"/reverse", keyA, map[string]any{"reason": "order voided"}, "Idempotency-Key", key)
		require.Equal(t, http.StatusCreated, w.Code, "key %s: %s", key, w.Body.String())
		assert.Equal(t, i > 0, w.Header().Get("Idempotent-Replayed") == "true", "key %s", key)
	}
	require.Len(t, entriesOf(t, e), 2, "one earning, one reversal")
	w = e.do(http.MethodGet, "/v1/loyalty/members/c1/balances", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, loyalty.Balances{}, decodeJSON[loyalty.Statement](t, w.Body.Bytes()).Balances)
}

// TestLoyaltyMoneyRoutesNeedKey: issue 12 — every POST that moves points or
// money answers 400 naming Idempotency-Key without one, and moves nothing;
// two identical keyless redemptions do not both debit. The OpenAPI
// document marks the header required on those routes.
func TestLoyaltyMoneyRoutesNeedKey(t *testing.T) {
	e := newLoyaltyEnv(t)
	earned := joinC1(t, e)
	routes := []struct {
		path string
		body map[string]any
	}{
		{"/v1/loyalty/earnings", map[string]any{"service_order_id": "o2"}},
		{"/v1/loyalty/members/c1/redemptions", map[string]any{"points": 100}},
		{"/v1/loyalty/members/c1/redemptions", map[string]any{"points": 100}},
		{"/v1/loyalty/members/c1/renew", map[string]any{"method": "points"}},
		{"/v1/loyalty/members/c1/upgrade", map[string]any{"method": "cumulative"}},
		{"/v1/loyalty/members/c1/quote", map[string]any{"free_services": []string{"wash"}, "consume": true}},
		{"/v1/loyalty/entries/" + string(earned.ID) + "/reverse", map[string]any{"reason": "voided"}},
	}
	for _, rt := range routes {
		w := e.do(http.MethodPost, rt.path, keyA, rt.body)
		p := requireProblem(t, w, http.StatusBadRequest, "malformed_request")
		assert.Equal(t, map[string]string{"Idempotency-Key": crm.RuleRequired}, problemFields(p), "%s names the header", rt.path)
	}
	require.Len(t, entriesOf(t, e), 1, "nothing was posted")
	w := e.do(http.MethodGet, "/v1/loyalty/members/c1", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code)
	v := decodeJSON[loyalty.MemberView](t, w.Body.Bytes())
	assert.Equal(t, int64(1280), v.Balances.Available, "no redemption, renewal or upgrade debited")
	assert.Equal(t, 4, v.Remaining["wash"], "no free wash used")
	assert.Len(t, v.History, 1, "joined, nothing more")

	// Joining and cancelling move no points: the key is honoured, not required.
	w = e.do(http.MethodPost, "/v1/loyalty/members/c1/cancel", keyA, map[string]any{"reason": "moved"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())

	w = e.do(http.MethodGet, "/v1/openapi.json", "", nil)
	require.Equal(t, http.StatusOK, w.Code)
	doc := decode(t, w)
	keyRequired := func(path string) bool {
		ops := doc["paths"].(obj)[path].(obj)["post"].(obj)
		for _, prm := range ops["parameters"].([]any) {
			if p := prm.(obj); p["name"] == "Idempotency-Key" {
				return p["required"] == true
			}
		}
		return false
	}
	for _, path := range []string{"/v1/loyalty/earnings", "/v1/loyalty/members/{id}/redemptions", "/v1/loyalty/members/{id}/renew",
		"/v1/loyalty/members/{id}/upgrade", "/v1/loyalty/members/{id}/quote", "/v1/loyalty/entries/{id}/reverse"} {
		assert.True(t, keyRequired(path), "%s requires the key in OpenAPI", path)
	}
	for _, path := range []string{"/v1/loyalty/members", "/v1/loyalty/members/{id}/cancel"} {
		assert.False(t, keyRequired(path), "%s honours the key without requiring it", path)
	}
}

// TestLoyaltyFutureDateRefused: issue 12 defect 7 — a redemption dated
// 9999-12-31 succeeded and froze the member's ledger. A posting dated after
// the dealer's today (tomorrow included) is a 422 naming date with rule
// future; later postings still work.
func TestLoyaltyFutureDateRefused(t *testing.T) {
	e := newLoyaltyEnv(t)
	joinC1(t, e)
	for _, date := range []string{"9999-12-31", "2025-06-02"} {
		w := e.do(http.MethodPost, "/v1/loyalty/members/c1/redemptions", keyA, map[string]any{"points": 100, "date": date}, "Idempotency-Key", "r-"+date)
		p := requireProblem(t, w, http.StatusUnprocessableEntity, "invalid")
		assert.Equal(t, map[string]string{"date": crm.RuleFuture}, problemFields(p), "%s", date)
		w = e.do(http.MethodPost, "/v1/loyalty/earnings", keyA, map[string]any{"service_order_id": "o2", "date": date}, "Idempotency-Key", "e-"+date)
		p = requireProblem(t, w, http.StatusUnprocessableEntity, "invalid")
		assert.Equal(t, map[string]string{"date": crm.RuleFuture}, problemFields(p), "%s", date)
	}
	w := e.do(http.MethodPost, "/v1/loyalty/members/c1/redemptions", keyA, map[string]any{"points": 100, "date": "2025-06-01"}, "Idempotency-Key", "r-today")
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	w = e.do(http.MethodPost, "/v1/loyalty/members/c1/redemptions", keyA, map[string]any{"points": 100}, "Idempotency-Key", "r-default")
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Equal(t, dealercrm.NewDate(2025, 6, 1), decodeJSON[loyalty.Receipt](t, w.Body.Bytes()).Entries[0].Date)
	w = e.do(http.MethodPost, "/v1/loyalty/members/c1/redemptions", keyA, map[string]any{"points": 10_000_001}, "Idempotency-Key", "r-huge")
	p := requireProblem(t, w, http.StatusUnprocessableEntity, "invalid")
	assert.Equal(t, map[string]string{"points": crm.RuleMax}, problemFields(p))
	w = e.do(http.MethodGet, "/v1/loyalty/members/c1/balances", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, int64(1080), decodeJSON[loyalty.Statement](t, w.Body.Bytes()).Balances.Available)
}

// TestLoyaltyOtherStoresCustomerNotFound: issue 12 defect 13 — store B's
// key with store A's customer ID answered 200 on balances and entries (an
// empty account) and 409 on a redemption; in a group programme, whose
// accounts the home store keeps, it saw and spent A's customer's points.
// A store acts only on customers it has: 404.
func TestLoyaltyOtherStoresCustomerNotFound(t *testing.T) {
	group := loyalty.DefaultProgram()
	group.Groups = []loyalty.Group{{Home: dealerA, Stores: []crm.DealerID{dealerA, dealerB}}}
	for name, opts := range map[string][]loyalty.Option{"other groups": nil, "one group": {loyalty.WithProgram(group)}} {
		t.Run(name, func(t *testing.T) {
			e := newLoyaltyEnv(t, opts...)
			earned := joinC1(t, e)
			gets := []string{"/v1/loyalty/members/c1", "/v1/loyalty/members/c1/balances", "/v1/loyalty/members/c1/entries"}
			for _, path := range gets {
				requireProblem(t, e.do(http.MethodGet, path, keyB, nil), http.StatusNotFound, "not_found")
			}
			posts := []struct {
				path string
				body map[string]any
			}{
				{"/v1/loyalty/members/c1/redemptions", map[string]any{"points": 100}},
				{"/v1/loyalty/members/c1/renew", map[string]any{"method": "points"}},
				{"/v1/loyalty/members/c1/upgrade", map[string]any{}},
				{"/v1/loyalty/members/c1/cancel", map[string]any{"reason": "x"}},
				{"/v1/loyalty/members/c1/quote", map[string]any{"free_services": []string{"wash"}, "consume": true}},
				{"/v1/loyalty/entries/" + string(earned.ID) + "/reverse", map[string]any{"reason": "x"}},
				{"/v1/loyalty/members", map[string]any{"customer_id": "c1", "method": "sale"}},
				{"/v1/loyalty/earnings", map[string]any{"service_order_id": "o1"}},
			}
			for _, rt := range posts {
				w := e.do(http.MethodPost, rt.path, keyB, rt.body, "Idempotency-Key", "b-key")
				requireProblem(t, w, http.StatusNotFound, "not_found")
			}
			require.Len(t, entriesOf(t, e), 1, "A's ledger is untouched")
			w := e.do(http.MethodGet, "/v1/loyalty/members/c1", keyA, nil)
			require.Equal(t, http.StatusOK, w.Code)
			v := decodeJSON[loyalty.MemberView](t, w.Body.Bytes())
			assert.Equal(t, loyalty.StatusActive, v.Membership.Status)
			assert.Equal(t, int64(1280), v.Balances.Available)
		})
	}
}
