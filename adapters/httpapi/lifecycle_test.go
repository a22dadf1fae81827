package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLifecycleRoutes(t *testing.T) {
	ctx := context.Background()
	e, crmSvc, lc := newLifecycleEnv(t, time.Date(2026, 1, 31, 2, 0, 0, 0, time.UTC))
	var err error
	_, err = crmSvc.CreateCustomer(ctx, dealerA, crm.Customer{ID: "c1", Record: crm.Record{DealerID: dealerA}, Name: "王先生", ConsultantID: "S01",
		Consents: []crm.Consent{{Purpose: crm.PurposeSurvey, Channel: crm.ChannelPhone, Granted: true, At: time.Date(2026, 1, 28, 0, 0, 0, 0, time.UTC), Source: "contract"}}})
	require.NoError(t, err)
	_, err = crmSvc.CreateVehicle(ctx, dealerA, crm.Vehicle{ID: "v1", Record: crm.Record{DealerID: dealerA}, VIN: "LSVAM4187C2184847", Model: "Lavida",
		OwnerID: "c1", DeliveryDate: lcDate("2026-01-28"), Price: decimal.NewFromInt(120000)})
	require.NoError(t, err)
	_, err = lc.Run(ctx, dealerA, lcDate("2026-01-31"))
	require.NoError(t, err)

	rec := e.do(http.MethodGet, "/v1/tasks?owner=S01", keyA, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var page crm.Page[lifecycle.Task]
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &page))
	require.Len(t, page.Items, 2, "3DC and the one-on-one visit, today in the dealer's zone")
	var tdc lifecycle.Task
	for _, tk := range page.Items {
		if tk.Kind == lifecycle.KindThankYou3DC {
			tdc = tk
		}
	}
	require.NotEmpty(t, tdc.ID)

	rec = e.do(http.MethodGet, "/v1/tasks?date=2026-01-29", keyB, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, `{"items":[]}`, rec.Body.String(), "dealer B sees none of A's tasks")
	rec = e.do(http.MethodGet, "/v1/tasks?date=2026-13-01", keyA, nil)
	assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	rec = e.do(http.MethodGet, "/v1/tasks?status=lost", keyA, nil)
	assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)

	rec = e.do(http.MethodPost, "/v1/tasks/"+string(tdc.ID)+"/outcome", keyA, map[string]any{"outcome": "reached", "note": "happy", "staff_id": "S01"})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), `"status":"done"`)
	assert.Contains(t, rec.Body.String(), `"task_key":"delivery_3dc|vehicle:v1|2026-01-28|1"`)
	rec = e.do(http.MethodPost, "/v1/tasks/"+string(tdc.ID)+"/outcome", keyA, map[string]any{"outcome": "reached"})
	assert.Less(t, rec.Code, 500)
	assert.NotEqual(t, http.StatusOK, rec.Code, "a closed task takes no second outcome")
	rec = e.do(http.MethodPost, "/v1/tasks/nope/outcome", keyA, map[string]any{"outcome": "reached"})
	assert.Equal(t, http.StatusNotFound, rec.Code)

	rec = e.do(http.MethodGet, "/v1/vehicles/v1/plan?date=2026-01-28", keyA, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), `"stage":"honeymoon"`)
	assert.Contains(t, rec.Body.String(), `"due":"2026-02-28"`)
	rec = e.do(http.MethodGet, "/v1/vehicles/v1/plan", keyB, nil)
	assert.Equal(t, http.StatusNotFound, rec.Code)

	rec = e.do(http.MethodGet, "/v1/openapi.json", "", nil)
	for _, p := range []string{`"/v1/tasks"`, `"/v1/tasks/{id}/outcome"`, `"/v1/vehicles/{id}/plan"`} {
		assert.True(t, strings.Contains(rec.Body.String(), p), "OpenAPI documents %s", p)
	}
}

var lcDate = dealercrm.MustParseDate

// TestLifecyclePlanOfNewVehicle (issue 12, defect 15): the plan of a car
// delivered today (2026-01-31) lists no holiday or birthday of the weeks
// before as overdue, and its rows are marked planned, not stored tasks.
func TestLifecyclePlanOfNewVehicle(t *testing.T) {
	ctx := context.Background()
	e, crmSvc, _ := newLifecycleEnv(t, time.Date(2026, 1, 31, 2, 0, 0, 0, time.UTC))
	var err error
	var consents []crm.Consent
	for _, ch := range []crm.Channel{crm.ChannelPhone, crm.ChannelWeChat} {
		for _, p := range []crm.Purpose{crm.PurposeSurvey, crm.PurposeMarketing} {
			consents = append(consents, crm.Consent{Purpose: p, Channel: ch, Granted: true, At: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Source: "contract"})
		}
	}
	_, err = crmSvc.CreateCustomer(ctx, dealerA, crm.Customer{ID: "c1", Record: crm.Record{DealerID: dealerA}, Name: "王先生", ConsultantID: "S01",
		Birthday: lcDate("1980-01-20"), Consents: consents})
	require.NoError(t, err)
	_, err = crmSvc.CreateVehicle(ctx, dealerA, crm.Vehicle{ID: "v1", Record: crm.Record{DealerID: dealerA}, VIN: "LSVAM4187C2184847", Model: "Lavida",
		OwnerID: "c1", DeliveryDate: lcDate("2026-01-31"), Price: decimal.NewFromInt(120000)})
	require.NoError(t, err)

	rec := e.do(http.MethodGet, "/v1/vehicles/v1/plan", keyA, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var plan struct {
		AsOf  string           `json:"as_of"`
		Tasks []map[string]any `json:"tasks"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &plan))
	assert.Equal(t, "2026-01-31", plan.AsOf)
	require.NotEmpty(t, plan.Tasks)
	var holidays []any
	for _, row := range plan.Tasks {
		assert.Equal(t, true, row["planned"], "%v", row["key"])
		assert.NotContains(t, row, "status", "a planned row has no status of a stored task")
		assert.NotContains(t, row, "id")
		assert.GreaterOrEqual(t, row["due"], "2026-01-31", "%v", row["key"])
		if row["kind"] == string(lifecycle.KindHolidayCare) {
			holidays = append(holidays, row["due"])
		}
	}
	require.NotEmpty(t, holidays)
	assert.Equal(t, "2026-02-16", holidays[0], "the first is Spring Festival (02-17), not New Year's Day (care due 2025-12-31)")
	assert.Equal(t, "2026-02-01", plan.Tasks[0]["due"], "the one-on-one visit opens the plan")
}

// TestLifecycleReports goes through the real handler: the abnormal report
// and the KPIs of dealer A, invisible to dealer B, and bad queries.
func TestLifecycleReports(t *testing.T) {
	ctx := context.Background()
	e, crmSvc, _ := newLifecycleEnv(t, time.Date(2026, 6, 30, 2, 0, 0, 0, time.UTC))
	var err error
	_, err = crmSvc.CreateCustomer(ctx, dealerA, crm.Customer{ID: "c1", Record: crm.Record{DealerID: dealerA}, Name: "王先生"})
	require.NoError(t, err)
	_, err = crmSvc.CreateVehicle(ctx, dealerA, crm.Vehicle{ID: "v1", Record: crm.Record{DealerID: dealerA}, VIN: "LSVAM4187C2184847", Model: "Lavida",
		OwnerID: "c1", DeliveryDate: lcDate("2023-01-10"), Price: decimal.NewFromInt(120000)})
	require.NoError(t, err)
	// Repaired 2025-12-10, complained 2026-01-05, never back: complained
	// and repair-only (seed 004); visited in month N−6 = 2025-12, not
	// since: churned.
	_, err = crmSvc.CreateServiceOrder(ctx, dealerA, crm.ServiceOrder{ID: "o1", Record: crm.Record{DealerID: dealerA}, VehicleID: "v1", Date: lcDate("2025-12-10"),
		ClosedDate: lcDate("2025-12-10"), OdometerKM: 30000, Kind: crm.ServiceRepair, Payer: crm.PayerCustomer, Labour: decimal.NewFromInt(500)})
	require.NoError(t, err)
	_, err = crmSvc.CreateComplaint(ctx, dealerA, crm.Complaint{ID: "k1", Record: crm.Record{DealerID: dealerA}, CustomerID: "c1", VehicleID: "v1",
		Category: "price", Severity: crm.SeverityMedium, Status: crm.ComplaintOpen, Opened: lcDate("2026-01-05")})
	require.NoError(t, err)

	rec := e.do(http.MethodGet, "/v1/reports/abnormal", keyA, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var rep lifecycle.AbnormalReport
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &rep))
	assert.Equal(t, "2026-06-30", rep.AsOf.String(), "today in the dealer's zone")
	require.Len(t, rep.Items, 1)
	assert.True(t, rep.Items[0].Has(lifecycle.Complained) && rep.Items[0].Has(lifecycle.RepairOnly), "%+v", rep.Items[0].Abnormal)
	assert.Equal(t, 1, rep.Activity[lifecycle.ActivityAtRisk])

	rec = e.do(http.MethodGet, "/v1/reports/abnormal?date=2026-06-30&class=long_absent&group=true", keyA, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), `"items":[]`, "not long-absent")
	rec = e.do(http.MethodGet, "/v1/reports/abnormal", keyB, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), `"vehicles":0`, "dealer B sees none of A's vehicles")
	for _, q := range []string{"class=vip", "group=maybe", "date=2026-02-30"} {
		rec = e.do(http.MethodGet, "/v1/reports/abnormal?"+q, keyA, nil)
		assert.Equal(t, http.StatusUnprocessableEntity, rec.Code, q)
	}

	rec = e.do(http.MethodGet, "/v1/reports/kpis?from=2026-01-01&to=2026-06-30", keyA, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var k lifecycle.KPIs
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &k))
	assert.Equal(t, lifecycle.Rate{Numerator: 1, Denominator: 1, Rate: 1}, k.Churn, "v1 visited in 2025-12 and not since")
	assert.Equal(t, lifecycle.Rate{Numerator: 0, Denominator: 1, Rate: 0}, k.Retention)
	rec = e.do(http.MethodGet, "/v1/reports/kpis?from=2026-01-01", keyB, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), `"churn":{"numerator":0,"denominator":0,"rate":0}`, "dealer B: nothing of A's")
	for _, q := range []string{"", "from=2026-07-01&to=2026-01-01", "from=x", "from=2026-01-01&to=y"} {
		rec = e.do(http.MethodGet, "/v1/reports/kpis?"+q, keyA, nil)
		assert.Equal(t, http.StatusUnprocessableEntity, rec.Code, q)
	}
	rec = e.do(http.MethodGet, "/v1/reports/kpis?from=2026-01-01", "", nil)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)

	// A second repair 6 days and 400 km after o1 (a minor repair: 10 days
	// / 2,000 km) is a comeback 返修.
	_, err = crmSvc.CreateServiceOrder(ctx, dealerA, crm.ServiceOrder{ID: "o2", Record: crm.Record{DealerID: dealerA}, VehicleID: "v1", Date: lcDate("2025-12-16"),
		OdometerKM: 30400, Kind: crm.ServiceRepair, Payer: crm.PayerCustomer, Labour: decimal.NewFromInt(300)})
	require.NoError(t, err)
	rec = e.do(http.MethodGet, "/v1/reports/comebacks?from=2025-12-01&to=2025-12-31", keyA, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var cb lifecycle.ComebackReport
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &cb))
	assert.Equal(t, lifecycle.Rate{Numerator: 1, Denominator: 2, Rate: 0.5}, cb.Rate)
	require.Len(t, cb.Items, 1)
	assert.Equal(t, lifecycle.Comeback{VehicleID: "v1", OrderID: "o2", Date: lcDate("2025-12-16"), Of: "o1", OfDate: lcDate("2025-12-10"),
		Class: lifecycle.RepairMinor, Days: 6, KM: 400, Reason: cb.Items[0].Reason, ReasonCode: lifecycle.CodeComebackKM,
		ReasonParams: map[string]string{"class": "minor", "closed": "2025-12-10", "date": "2025-12-16", "days": "6", "km": "400", "of": "o1", "order": "o2",
			"service_kind": "repair", "term_days": "10", "term_km": "2000"}}, cb.Items[0])
	rec = e.do(http.MethodGet, "/v1/reports/comebacks?from=2025-12-01&to=2025-12-31", keyA, nil, "Accept-Language", "zh-CN")
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &cb))
	assert.Equal(t, "维修工单o2（2025-12-16）于小修工单o1（2025-12-10结算）后6天、400公里返修，在其质保期（2000公里/10天）内", cb.Items[0].Reason)
	rec = e.do(http.MethodGet, "/v1/reports/comebacks?from=2025-12-01&to=2025-12-31", keyB, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), `"items":[]`, "dealer B: none of A's")
	rec = e.do(http.MethodGet, "/v1/reports/comebacks?from=2026-01-01&to=2025-01-01", keyA, nil)
	assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
}

// TestLifecycleListsPage (issue 12, defect 13): every list route of the
// lifecycle module answers {items, next}, honours limit (1 to MaxLimit;
// limit=abc is a 422 naming limit, like the crm lists) and pages with
// after; the period reports take a month (2026-11) as well as a day; and
// an outcome on a done task says from, to and what is allowed.
func TestLifecycleListsPage(t *testing.T) {
	ctx := context.Background()
	e, crmSvc, lc := newLifecycleEnv(t, time.Date(2026, 1, 31, 2, 0, 0, 0, time.UTC))
	var err error
	_, err = crmSvc.CreateCustomer(ctx, dealerA, crm.Customer{ID: "c1", Record: crm.Record{DealerID: dealerA}, Name: "王先生", ConsultantID: "S01",
		Consents: []crm.Consent{{Purpose: crm.PurposeSurvey, Channel: crm.ChannelPhone, Granted: true, At: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Source: "contract"}}})
	require.NoError(t, err)
	// Three cars delivered 2026-01-28: a 3DC call and a one-on-one visit
	// each are due on 01-31. Three cars of 2022 never serviced since:
	// long-absent, each with a repair and its comeback 5 days later.
	for i := 1; i <= 6; i++ {
		id := crm.VehicleID(fmt.Sprintf("v%d", i))
		delivered := lcDate("2026-01-28")
		if i > 3 {
			delivered = lcDate("2022-03-01")
		}
		_, err = crmSvc.CreateVehicle(ctx, dealerA, crm.Vehicle{ID: id, Record: crm.Record{DealerID: dealerA}, VIN: vin(i), Model: "Lavida",
			OwnerID: "c1", DeliveryDate: delivered, Price: decimal.NewFromInt(120000)})
		require.NoError(t, err)
		if i > 3 {
			for k, d := range []string{"2024-11-04", "2024-11-09"} {
				_, err = crmSvc.CreateServiceOrder(ctx, dealerA, crm.ServiceOrder{ID: crm.ServiceOrderID(fmt.Sprintf("o%d-%d", i, k)), Record: crm.Record{DealerID: dealerA},
					VehicleID: id, Date: lcDate(d), ClosedDate: lcDate(d), OdometerKM: int64(30000 + 100*k), Kind: crm.ServiceRepair, Payer: crm.PayerCustomer, Labour: decimal.NewFromInt(300)})
				require.NoError(t, err)
			}
		}
	}
	_, err = lc.Run(ctx, dealerA, lcDate("2026-01-31"))
	require.NoError(t, err)

	// pages follows next from path, limit 2, and returns the pages.
	pages := func(path string) []obj {
		var out []obj
		after := ""
		for range 10 {
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			p := path + sep + "limit=2"
			if after != "" {
				p += "&after=" + after
			}
			rec := e.do(http.MethodGet, p, keyA, nil)
			require.Equal(t, http.StatusOK, rec.Code, "%s: %s", p, rec.Body)
			page := decode(t, rec)
			require.Contains(t, page, "items", p)
			out = append(out, page)
			next, _ := page["next"].(string)
			if next == "" {
				return out
			}
			after = next
		}
		t.Fatalf("%s: no last page", path)
		return nil
	}
	ids := func(pages []obj, field string) []string {
		var out []string
		for _, p := range pages {
			items := p["items"].([]any)
			assert.LessOrEqual(t, len(items), 2, "a page holds at most limit items")
			for _, it := range items {
				out = append(out, it.(obj)[field].(string))
			}
		}
		return out
	}

	tp := pages("/v1/tasks")
	assert.Len(t, tp, 3, "six tasks, two a page")
	got := ids(tp, "id")
	assert.Len(t, got, 6)
	assert.IsIncreasing(t, got, "in ID order, each once")
	assert.Equal(t, []string{"items", "next"}, sortedKeys(tp[0]))

	ap := pages("/v1/reports/abnormal")
	assert.Equal(t, []string{"v4", "v5", "v6"}, ids(ap, "vehicle_id"), "the long-absent cars, by vehicle ID")
	for _, p := range ap {
		assert.EqualValues(t, 6, p["vehicles"], "the counts cover every vehicle on every page")
		assert.EqualValues(t, 3, p["abnormal"].(obj)["long_absent"])
	}

	cp := pages("/v1/reports/comebacks?from=2024-11&to=2024-11")
	assert.Equal(t, []string{"o4-1", "o5-1", "o6-1"}, ids(cp, "order_id"), "by date, then order ID")
	for _, p := range cp {
		assert.Equal(t, "2024-11-01", p["from"], "a month as from is its first day")
		assert.Equal(t, "2024-11-30", p["to"], "a month as to is its last day")
		assert.EqualValues(t, 3, p["rate"].(obj)["numerator"], "the rate of the whole period on every page")
	}

	for _, path := range []string{"/v1/tasks", "/v1/reports/abnormal", "/v1/reports/comebacks?from=2024-11"} {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		for _, q := range []string{"limit=abc", "limit=0", "limit=-1"} {
			rec := e.do(http.MethodGet, path+sep+q, keyA, nil)
			p := requireProblem(t, rec, http.StatusUnprocessableEntity, "invalid")
			assert.Equal(t, map[string]string{"limit": crm.RuleFormat}, problemFields(p), "%s%s%s", path, sep, q)
		}
		rec := e.do(http.MethodGet, path+sep+"after=%21%21", keyA, nil)
		p := requireProblem(t, rec, http.StatusUnprocessableEntity, "invalid")
		assert.Contains(t, problemFields(p), "after", "%s: a malformed cursor", path)
		rec = e.do(http.MethodGet, path+sep+"limit=5000", keyA, nil)
		assert.Equal(t, http.StatusOK, rec.Code, "%s: a limit above the maximum is capped", path)
	}

	rec := e.do(http.MethodGet, "/v1/reports/kpis?from=2026-01&to=2026-01", keyA, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	k := decode(t, rec)
	assert.Equal(t, "2026-01-01", k["from"])
	assert.Equal(t, "2026-01-31", k["to"])
	assert.Equal(t, "2026-01", k["churn_month"])
	rec = e.do(http.MethodGet, "/v1/reports/kpis?from=2026-01-05&to=2026-01-20", keyA, nil)
	require.Equal(t, http.StatusOK, rec.Code, "a full date still works")
	assert.Equal(t, "2026-01-05", decode(t, rec)["from"])
	for q, field := range map[string]string{"from=2026-13": "from", "from=2026-1": "from", "from=2026-01&to=2026-00": "to", "to=2026-01": "from"} {
		rec = e.do(http.MethodGet, "/v1/reports/kpis?"+q, keyA, nil)
		p := requireProblem(t, rec, http.StatusUnprocessableEntity, "invalid")
		assert.Contains(t, problemFields(p), field, q)
	}

	// An outcome on a done task: from, to and what is allowed.
	id := got[0]
	rec = e.do(http.MethodPost, "/v1/tasks/"+id+"/outcome", keyA, map[string]any{"outcome": "reached", "staff_id": "S01"})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	rec = e.do(http.MethodPost, "/v1/tasks/"+id+"/outcome", keyA, map[string]any{"outcome": "reached"})
	p := requireProblem(t, rec, http.StatusConflict, "failed_precondition")
	assert.Contains(t, p["detail"], "task status transition done → done", "from and to")
	assert.Contains(t, p["detail"], "allowed from done: none", "what is allowed")
}

func sortedKeys(o obj) []string {
	var out []string
	for k := range o {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// newLifecycleEnv is the handler with the lifecycle routes on memory
// stores, its clock at now, with the crm and lifecycle services to seed it.
func newLifecycleEnv(t *testing.T, now time.Time, opts ...httpapi.Option) (*env, *crm.Service, *lifecycle.Service) {
	t.Helper()
	store := memory.New()
	crmSvc := crm.NewService(store)
	lc, err := lifecycle.NewService(crmSvc, memory.NewTaskStore(), lifecycle.WithClock(func() time.Time { return now }))
	require.NoError(t, err)
	return newEnvOn(t, store, append([]httpapi.Option{httpapi.WithLifecycle(lc)}, opts...)...), crmSvc, lc
}
