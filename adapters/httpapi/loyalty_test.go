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
// 1,280.50 CNY and o2 an insurer-paid accident repair of 12,000 CNY.
func newLoyaltyEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	store := memory.New()
	clock := func() time.Time { return time.Date(2025, 6, 1, 4, 0, 0, 0, time.UTC) }
	lsvc, err := loyalty.NewService(store, memory.NewLoyaltyStore(), loyalty.WithClock(clock))
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
	w = e.do(http.MethodPost, "/v1/loyalty/earnings", keyA, map[string]any{"service_order_id": "o1"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	r = decodeJSON[loyalty.Receipt](t, w.Body.Bytes())
	assert.Equal(t, int64(1280), r.Entries[0].Points)
	w = e.do(http.MethodPost, "/v1/loyalty/earnings", keyA, map[string]any{"service_order_id": "o1"})
	require.Equal(t, http.StatusCreated, w.Code)
	assert.Equal(t, "true", w.Header().Get("Idempotent-Replayed"), "an order earns once")
	w = e.do(http.MethodPost, "/v1/loyalty/earnings", keyA, map[string]any{"service_order_id": "o2"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Zero(t, decodeJSON[loyalty.Receipt](t, w.Body.Bytes()).Entries[0].Points, "insurer-paid work earns nothing")
	w = e.do(http.MethodPost, "/v1/loyalty/earnings", keyB, map[string]any{"service_order_id": "o1"})
	requireProblem(t, w, http.StatusNotFound, "not_found")

	// Redeem: 1,000 of 1,280; then 300 is too many.
	w = e.do(http.MethodPost, "/v1/loyalty/members/c1/redemptions", keyA, map[string]any{"points": 1000, "purpose": "voucher"}, "Idempotency-Key", "r1")
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	red := decodeJSON[loyalty.Receipt](t, w.Body.Bytes()).Entries[0]
	w = e.do(http.MethodPost, "/v1/loyalty/members/c1/redemptions", keyA, map[string]any{"points": 300})
	p := requireProblem(t, w, http.StatusConflict, "failed_precondition")
	assert.Contains(t, p["detail"], "insufficient points")
	w = e.do(http.MethodPost, "/v1/loyalty/members/c1/redemptions", keyA, map[string]any{"points": -5})
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
	w = e.do(http.MethodPost, "/v1/loyalty/entries/"+string(red.ID)+"/reverse", keyA, map[string]any{"reason": "voucher voided"})
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
	w = e.do(http.MethodPost, "/v1/loyalty/members/c1/upgrade", keyA, map[string]any{"method": "points"})
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

	w = e.do(http.MethodPost, "/v1/loyalty/members/c1/quote", keyA, map[string]any{"labour": "500", "parts": "1000", "free_services": []string{"wash"}, "consume": true})
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
