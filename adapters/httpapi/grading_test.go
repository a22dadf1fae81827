package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newGradingEnv is an env with the grading routes and ten customers of
// dealer A, customer i with a sale of gross profit 1000·i and i service
// orders of 500 each.
func newGradingEnv(t *testing.T) *env {
	t.Helper()
	e, _ := newGradingEnvStore(t)
	return e
}

// newGradingEnvStore is newGradingEnv that also returns the crm store.
func newGradingEnvStore(t *testing.T) (*env, *memory.Store) {
	t.Helper()
	ctx := context.Background()
	store := memory.New()
	gsvc, err := grading.NewService(store, memory.NewGradingStore())
	require.NoError(t, err)
	e := newEnvOn(t, store, httpapi.WithGrading(gsvc))
	at := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := crm.Record{DealerID: dealerA, CreatedAt: at, UpdatedAt: at}
	for i := 1; i <= 10; i++ {
		id := crm.CustomerID(fmt.Sprintf("c%02d", i))
		require.NoError(t, store.Customers().Create(ctx, &crm.Customer{ID: id, Record: rec, Name: "客户", Kind: crm.Individual}))
		v := crm.VehicleID(fmt.Sprintf("v%02d", i))
		require.NoError(t, store.Vehicles().Create(ctx, &crm.Vehicle{ID: v, Record: rec, VIN: fmt.Sprintf("LSVAA4182E21000%02d", i), Model: "卡罗拉", OwnerID: id}))
		require.NoError(t, store.Sales().Create(ctx, &crm.Sale{ID: crm.SaleID("s" + string(id)), Record: rec, VehicleID: v, CustomerID: id,
			Date: dealercrm.NewDate(2023, 3, i), Price: decimal.NewFromInt(100000), GrossProfit: decimal.NewFromInt(int64(1000 * i))}))
		for j := range i {
			require.NoError(t, store.ServiceOrders().Create(ctx, &crm.ServiceOrder{ID: crm.ServiceOrderID(fmt.Sprintf("o%s-%d", id, j)), Record: rec,
				VehicleID: v, CustomerID: id, Date: dealercrm.NewDate(2024, time.Month(1+j), 10), Kind: crm.ServiceMaintenance,
				Labour: decimal.NewFromInt(500), Payer: crm.PayerCustomer}))
		}
	}
	return e, store
}

func decodeJSON[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(body, &v), "%s", body)
	return v
}

func TestGradingRoutes(t *testing.T) {
	e := newGradingEnv(t)
	w := e.do(http.MethodPost, "/v1/grading/runs", keyA, map[string]any{"as_of": "2025-06-30"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	run := decodeJSON[grading.Run](t, w.Body.Bytes())
	assert.Equal(t, 10, run.Customers)
	assert.Equal(t, 10, run.Changed)
	assert.Equal(t, "/v1/grading/runs/"+string(run.ID), w.Header().Get("Location"))

	w = e.do(http.MethodPost, "/v1/grading/runs", keyA, map[string]any{"as_of": "2025-06-30"})
	require.Equal(t, http.StatusCreated, w.Code)
	assert.Equal(t, run, decodeJSON[grading.Run](t, w.Body.Bytes()), "the same date again answers the run that took effect")

	w = e.do(http.MethodGet, "/v1/grading/runs/"+string(run.ID), keyA, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, run, decodeJSON[grading.Run](t, w.Body.Bytes()))

	w = e.do(http.MethodGet, "/v1/grading/customers/c10", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	cg := decodeJSON[grading.CustomerGrade](t, w.Body.Bytes())
	assert.NotEmpty(t, cg.State.Top, "the grade is explained")
	require.Len(t, cg.History, 1)
	require.NotNil(t, cg.Strategy)
	first := cg.History[0]
	assert.Equal(t, grading.CodeFirst, first.ReasonCode)
	assert.Equal(t, "first grading: score "+first.ReasonParams["score"], first.Reason, "English: the domain's words")
	w = e.do(http.MethodGet, "/v1/grading/customers/c10", keyA, nil, "Accept-Language", "zh-CN")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	zh := decodeJSON[grading.CustomerGrade](t, w.Body.Bytes()).History[0]
	assert.Equal(t, "首次评级：得分"+first.ReasonParams["score"]+"，评为"+string(first.New)+"级", zh.Reason, "Chinese: the grade change explained")
	assert.Equal(t, first.ReasonParams, zh.ReasonParams)

	w = e.do(http.MethodGet, "/v1/grading/customers/c10", keyB, nil)
	assert.Equal(t, http.StatusNotFound, w.Code, "dealer B does not see dealer A's grades")

	w = e.do(http.MethodGet, "/v1/grading/customers?grade="+string(cg.State.Grade)+"&limit=2", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	page := decodeJSON[crm.Page[grading.State]](t, w.Body.Bytes())
	require.NotEmpty(t, page.Items)
	for _, s := range page.Items {
		assert.Equal(t, cg.State.Grade, s.Grade)
	}

	w = e.do(http.MethodGet, "/v1/grading/customers?grad=A", keyA, nil)
	assert.Equal(t, http.StatusUnprocessableEntity, w.Code, "an unknown parameter is rejected")

	w = e.do(http.MethodGet, "/v1/grading/rfm?as_of=2025-06-30&scores=true", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	rfm := decodeJSON[grading.RFMReport](t, w.Body.Bytes())
	assert.Equal(t, 10, rfm.Customers)
	assert.Len(t, rfm.Scores, 10)

	// Revenue of customer i: 100000 + 500·i; total 1,027,500.
	w = e.do(http.MethodGet, "/v1/grading/pareto?as_of=2025-06-30&basis=service&top_share=0.2", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	par := decodeJSON[grading.ParetoReport](t, w.Body.Bytes())
	assert.Equal(t, "27500", par.Total, "500 × (1 + … + 10)")
	assert.Equal(t, 2, par.TopCustomers)
	assert.Equal(t, 0.3455, par.TopRevenueShare, "(5000 + 4500) / 27500")

	w = e.do(http.MethodGet, "/v1/grading/pareto?top_share=2", keyA, nil)
	assert.Equal(t, http.StatusUnprocessableEntity, w.Code)

	w = e.do(http.MethodGet, "/v1/grading/model", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, grading.DefaultModel().Name, decodeJSON[grading.Model](t, w.Body.Bytes()).Name)

	w = e.do(http.MethodPost, "/v1/grading/runs", keyA, map[string]any{"as_of": "2025-02-30"})
	assert.Equal(t, http.StatusBadRequest/100, w.Code/100, "a malformed date is a client error: %s", w.Body.String())
	w = e.do(http.MethodPost, "/v1/grading/runs", "", map[string]any{})
	assert.Equal(t, http.StatusUnauthorized, w.Code)
}

// TestGradingGroupRunWritesOnlyTheKeysDealer is issue 12's defect: with
// store B's key, POST /v1/grading/runs {"group": true, "as_of":
// "2035-06-01"} re-graded store A's customers and wrote history into A. A
// far-future date is refused, and a group run of B reads A's customers as
// part of the population but writes nothing of A's; no request body can
// ask for group writes.
func TestGradingGroupRunWritesOnlyTheKeysDealer(t *testing.T) {
	ctx := context.Background()
	e, store := newGradingEnvStore(t)
	for _, d := range []crm.DealerID{dealerA, dealerB} {
		_, err := store.Dealers().Update(ctx, d, func(x *crm.Dealer) error { x.GroupID = "east"; return nil })
		require.NoError(t, err)
	}
	at := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, gp := range []int64{2500, 20000} {
		id := crm.CustomerID(fmt.Sprintf("b%d", i+1))
		require.NoError(t, store.Customers().Create(ctx, &crm.Customer{ID: id, Record: crm.Record{DealerID: dealerB, CreatedAt: at, UpdatedAt: at}, Name: "客户", Kind: crm.Individual}))
		require.NoError(t, store.Sales().Create(ctx, &crm.Sale{ID: crm.SaleID("s" + string(id)), Record: crm.Record{DealerID: dealerB, CreatedAt: at, UpdatedAt: at},
			VehicleID: "vb", CustomerID: id, Date: dealercrm.NewDate(2023, 3, 1), Price: decimal.NewFromInt(100000), GrossProfit: decimal.NewFromInt(gp)}))
	}
	w := e.do(http.MethodPost, "/v1/grading/runs", keyA, map[string]any{"as_of": "2025-06-29"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	snapshot := func() (string, string) {
		list := e.do(http.MethodGet, "/v1/grading/customers?limit=100", keyA, nil)
		require.Equal(t, http.StatusOK, list.Code)
		one := e.do(http.MethodGet, "/v1/grading/customers/c10", keyA, nil)
		require.Equal(t, http.StatusOK, one.Code)
		return list.Body.String(), one.Body.String()
	}
	listBefore, oneBefore := snapshot()

	w = e.do(http.MethodPost, "/v1/grading/runs", keyB, map[string]any{"group": true, "as_of": "2035-06-01"})
	p := requireProblem(t, w, http.StatusUnprocessableEntity, "invalid")
	assert.Equal(t, map[string]string{"as_of": crm.RuleFuture}, problemFields(p), "a run as of a far-future date is refused")

	w = e.do(http.MethodPost, "/v1/grading/runs", keyB, map[string]any{"group": true, "write_group": true, "as_of": "2025-06-30"})
	assert.Equal(t, http.StatusBadRequest, w.Code, "group writes cannot be asked for over HTTP: %s", w.Body.String())

	w = e.do(http.MethodPost, "/v1/grading/runs", keyB, map[string]any{"group": true, "as_of": "2025-06-30"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	run := decodeJSON[grading.Run](t, w.Body.Bytes())
	assert.Equal(t, []crm.DealerID{dealerB, dealerA}, run.Dealers, "the population is the group")
	assert.Equal(t, 2, run.Customers, "B's customers are graded")

	listAfter, oneAfter := snapshot()
	assert.Equal(t, listBefore, listAfter, "A's grades are unchanged")
	assert.Equal(t, oneBefore, oneAfter, "A's history is unchanged")
	w = e.do(http.MethodGet, "/v1/grading/runs/"+string(run.ID), keyA, nil)
	assert.Equal(t, http.StatusNotFound, w.Code, "A has no record of B's run")
	w = e.do(http.MethodGet, "/v1/grading/customers/b1", keyB, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
}

// TestGradingConcurrentRunsOneRunID sends eight runs with one run_id at
// once: every answer is 201 with the same run (issue 12: a 409 naming a
// database constraint).
func TestGradingConcurrentRunsOneRunID(t *testing.T) {
	e := newGradingEnv(t)
	bodies := make([]string, 8)
	codes := make([]int, 8)
	var wg sync.WaitGroup
	for i := range bodies {
		wg.Go(func() {
			w := e.do(http.MethodPost, "/v1/grading/runs", keyA, map[string]any{"as_of": "2025-06-30", "run_id": "nightly-0630"})
			codes[i], bodies[i] = w.Code, w.Body.String()
		})
	}
	wg.Wait()
	for i := range bodies {
		assert.Equal(t, http.StatusCreated, codes[i], bodies[i])
		assert.JSONEq(t, bodies[0], bodies[i], "the same run")
	}
	run := decodeJSON[grading.Run](t, []byte(bodies[0]))
	assert.Equal(t, grading.RunID("nightly-0630"), run.ID)
	w := e.do(http.MethodGet, "/v1/grading/customers/c10", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Len(t, decodeJSON[grading.CustomerGrade](t, w.Body.Bytes()).History, 1, "the change is recorded once")
}
