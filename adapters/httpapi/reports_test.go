package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReportsFromTheDailyRun goes through the real handler: after the
// daily run of today, this month's KPIs, the comebacks of the twelve
// months to date and today's abnormal report come from the run's
// snapshot (computed_at says when) and equal the live answer (live=true);
// a period the run did not compute, and the same period after a new
// repair, are answered live.
func TestReportsFromTheDailyRun(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 6, 30, 2, 0, 0, 0, time.UTC) // 10:00 in Shanghai
	e, crmSvc, lc := newLifecycleEnv(t, now)
	_, err := crmSvc.CreateCustomer(ctx, dealerA, crm.Customer{ID: "c1", Record: crm.Record{DealerID: dealerA}, Name: "王先生"})
	require.NoError(t, err)
	_, err = crmSvc.CreateVehicle(ctx, dealerA, crm.Vehicle{ID: "v1", Record: crm.Record{DealerID: dealerA}, VIN: "LSVAM4187C2184847", Model: "Lavida",
		OwnerID: "c1", DeliveryDate: lcDate("2023-01-10"), Price: decimal.NewFromInt(120000)})
	require.NoError(t, err)
	order := func(id crm.ServiceOrderID, day string, km int64) {
		_, err := crmSvc.CreateServiceOrder(ctx, dealerA, crm.ServiceOrder{ID: id, Record: crm.Record{DealerID: dealerA}, VehicleID: "v1", Date: lcDate(day),
			ClosedDate: lcDate(day), OdometerKM: km, Kind: crm.ServiceRepair, Payer: crm.PayerCustomer, Labour: decimal.NewFromInt(500)})
		require.NoError(t, err)
	}
	// Two minor repairs 6 days and 400 km apart: one comeback 返修.
	order("o1", "2026-06-10", 30000)
	order("o2", "2026-06-16", 30400)

	get := func(path string) map[string]any {
		t.Helper()
		rec := e.do(http.MethodGet, path, keyA, nil)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		return decode(t, rec)
	}
	const kpis = "/v1/reports/kpis?from=2026-06"
	before := get(kpis)
	assert.NotContains(t, before, "computed_at", "no run yet: live")
	assert.Equal(t, map[string]any{"numerator": 1.0, "denominator": 2.0, "rate": 0.5}, before["comebacks"], "o2 comes back after o1")

	_, err = lc.Run(ctx, dealerA, lcDate("2026-06-30"))
	require.NoError(t, err)
	for _, path := range []string{kpis, "/v1/reports/comebacks?from=2025-07", "/v1/reports/abnormal", "/v1/reports/abnormal?class=repair_only&limit=1"} {
		served := get(path)
		assert.Equal(t, "2026-06-30T02:00:00Z", served["computed_at"], "%s: from the run's snapshot", path)
		delete(served, "computed_at")
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		assert.Equal(t, get(path+sep+"live=true"), served, "%s: what the live computation gives", path)
	}
	assert.NotContains(t, get("/v1/reports/kpis?from=2026-06-01&to=2026-06-20"), "computed_at", "a period the run did not compute: live")
	assert.NotContains(t, get("/v1/reports/abnormal?date=2026-06-29"), "computed_at", "another day: live")

	order("o3", "2026-06-20", 30500) // recorded after the run: a comeback of o2
	stale := get(kpis)
	assert.Equal(t, map[string]any{"numerator": 1.0, "denominator": 2.0, "rate": 0.5}, stale["comebacks"], "the snapshot: as the run read the records")
	live := get(kpis + "&live=true")
	assert.Equal(t, map[string]any{"numerator": 2.0, "denominator": 3.0, "rate": 0.6667}, live["comebacks"], "live: o3 too")

	for _, q := range []string{"/v1/reports/kpis?from=2026-06&live=yes", "/v1/reports/comebacks?from=2026-06&live=1", "/v1/reports/abnormal?live=maybe"} {
		rec := e.do(http.MethodGet, q, keyA, nil)
		p := requireProblem(t, rec, http.StatusUnprocessableEntity, "invalid")
		assert.Contains(t, problemFields(p), "live", q)
	}
	// Dealer B's reports are its own: no snapshot, nothing of A's.
	b := e.do(http.MethodGet, kpis, keyB, nil)
	require.Equal(t, http.StatusOK, b.Code)
	assert.NotContains(t, decode(t, b), "computed_at")
}

// TestSnapshotReportsTakeNoHeavyTurn: while a heavy request holds the
// only heavy turn, a report served from the daily run's snapshot answers
// at once; the same report asked live waits for a turn and is turned
// away.
func TestSnapshotReportsTakeNoHeavyTurn(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 6, 30, 2, 0, 0, 0, time.UTC)
	store := newGatedStore()
	crmSvc := crm.NewService(store)
	lc, err := lifecycle.NewService(crmSvc, memory.NewTaskStore(), lifecycle.WithClock(func() time.Time { return now }))
	require.NoError(t, err)
	e := newEnvOn(t, store, httpapi.WithLifecycle(lc), httpapi.WithHeavyRequests(1, 50*time.Millisecond))
	_, err = lc.Run(ctx, dealerA, lcDate("2026-06-30"))
	require.NoError(t, err)

	store.mode.Store(blockTx)
	held := make(chan int, 1)
	go func() { held <- e.do(http.MethodPost, "/v1/import", keyA, oneCustomer).Code }()
	<-store.entered

	for _, path := range []string{"/v1/reports/kpis?from=2026-06", "/v1/reports/comebacks?from=2026-06", "/v1/reports/abnormal?limit=10"} {
		rec := e.do(http.MethodGet, path, keyA, nil)
		require.Equal(t, http.StatusOK, rec.Code, "%s: %s", path, rec.Body)
		assert.Contains(t, decode(t, rec), "computed_at", path)
		requireUnavailable(t, e.do(http.MethodGet, path+"&live=true", keyA, nil))
	}
	requireUnavailable(t, e.do(http.MethodGet, "/v1/reports/kpis?from=2026-05-05", keyA, nil))

	close(store.gate)
	assert.Equal(t, http.StatusOK, <-held)
	assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/v1/reports/kpis?from=2026-05-05", keyA, nil).Code, "a turn is free again")
}
