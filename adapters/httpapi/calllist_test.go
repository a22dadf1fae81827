package httpapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// callListEnv serves dealer A on 2026-04-30 (10:00 in Shanghai, the
// Thursday before the Labour Day holidays) with customer c1 (王先生,
// 13912345678, car v1 沪A12345 Lavida) and c2, and six tasks due by then:
// t1, t2 the insurance renewals of v1 (t2 by SMS), t3 c1's birthday care,
// t4 c1's complaint follow-up, t5 c2's maintenance reminder for the
// service advisors, t6 c1's grade care due on 05-07.
func callListEnv(t *testing.T, opts ...httpapi.Option) (*env, *lifecycle.Service) {
	t.Helper()
	ctx := context.Background()
	e, crmSvc, lc := newLifecycleEnv(t, time.Date(2026, 4, 30, 2, 0, 0, 0, time.UTC), opts...)
	for _, c := range []crm.Customer{{ID: "c1", Name: "王先生", Mobile: "13912345678"}, {ID: "c2", Name: "李女士", Mobile: "13812345678"}} {
		c.Record = crm.Record{DealerID: dealerA}
		_, err := crmSvc.CreateCustomer(ctx, dealerA, c)
		require.NoError(t, err)
	}
	_, err := crmSvc.CreateVehicle(ctx, dealerA, crm.Vehicle{ID: "v1", Record: crm.Record{DealerID: dealerA}, VIN: "LSVAM4187C2184847", Plate: "沪A12345",
		Model: "Lavida", OwnerID: "c1", DeliveryDate: lcDate("2025-03-01"), Price: decimal.NewFromInt(120000)})
	require.NoError(t, err)
	at := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	task := func(id string, kind lifecycle.Kind, customer crm.CustomerID, vehicle crm.VehicleID, ch crm.Channel, role lifecycle.Role, due string) lifecycle.Task {
		return lifecycle.Task{ID: lifecycle.TaskID(id), DealerID: dealerA, Key: "k-" + id, Kind: kind, CustomerID: customer, VehicleID: vehicle,
			Due: lcDate(due), WindowEnd: lcDate(due).AddDays(2), Channel: ch, OwnerRole: role, AssigneeID: "S01",
			Reason: "reason of " + id, Status: lifecycle.StatusOpen, CreatedAt: at, UpdatedAt: at}
	}
	// t1 as a daily run described it (lifecycle.TestRunDescribesTasks).
	t1 := task("t1", lifecycle.KindInsuranceRenewal, "c1", "v1", crm.ChannelPhone, lifecycle.RoleCR, "2026-04-28")
	t1.Stage, t1.LastVisit = lifecycle.StageEarlyUse, lcDate("2026-03-10")
	lost, err := lc.Tasks().Apply(ctx, dealerA, []lifecycle.Task{
		t1,
		task("t2", lifecycle.KindInsuranceRenewal, "c1", "v1", crm.ChannelSMS, lifecycle.RoleCR, "2026-04-30"),
		task("t3", lifecycle.KindBirthdayCare, "c1", "", crm.ChannelWeChat, lifecycle.RoleCR, "2026-04-29"),
		task("t4", lifecycle.KindComplaintFollowUp, "c1", "", crm.ChannelPhone, lifecycle.RoleCR, "2026-04-30"),
		task("t5", lifecycle.KindMaintenance, "c2", "", crm.ChannelPhone, lifecycle.RoleAdvisor, "2026-04-30"),
		task("t6", lifecycle.KindGradeCare, "c1", "", crm.ChannelPhone, lifecycle.RoleCR, "2026-05-07"),
	}, nil)
	require.NoError(t, err)
	require.Empty(t, lost)
	return e, lc
}

func callIDs(p crm.Page[lifecycle.CallItem]) []string {
	var out []string
	for _, it := range p.Items {
		out = append(out, string(it.ID))
	}
	return out
}

func TestCallListFiltersOverHTTP(t *testing.T) {
	e, _ := callListEnv(t)
	for q, want := range map[string][]string{
		"":                                          {"t1", "t2", "t3", "t4", "t5"},
		"?kind=insurance_renewal":                   {"t1", "t2"},
		"?kind=birthday_care,maintenance":           {"t3", "t5"},
		"?kind=lost_kind":                           nil,
		"?channel=sms":                              {"t2"},
		"?owner_role=service_advisor":               {"t5"},
		"?owner=service_advisor":                    {"t5"},
		"?staff_id=S01&customer_id=c2":              {"t5"},
		"?staff_id=S09":                             nil,
		"?vehicle_id=v1":                            {"t1", "t2"},
		"?due_from=2026-04-29":                      {"t2", "t3", "t4", "t5"},
		"?due_from=2026-04-29&due_to=2026-04-29":    {"t3"},
		"?date=2026-05-07&kind=grade_care":          {"t6"},
		"?due_to=2026-05-31&customer_id=c1":         {"t1", "t2", "t3", "t4", "t6"},
		"?status=done":                              nil,
		"?kind=insurance_renewal&channel=phone,sms": {"t1", "t2"},
	} {
		rec := e.do(http.MethodGet, "/v1/tasks"+q, keyA, nil)
		require.Equal(t, http.StatusOK, rec.Code, "%s: %s", q, rec.Body)
		assert.Equal(t, want, callIDs(decodeAs[crm.Page[lifecycle.CallItem]](t, rec.Body.Bytes())), q)
	}
	for _, q := range []string{"?kind=Insurance!", "?channel=pigeon", "?owner_role=boss", "?due_from=2026-05-01&due_to=2026-04-01", "?limit=0", "?due_to=tomorrow", "?after=!"} {
		rec := e.do(http.MethodGet, "/v1/tasks"+q, keyA, nil)
		assert.Equal(t, http.StatusUnprocessableEntity, rec.Code, "%s: %s", q, rec.Body)
	}

	// limit and the cursor: 5 tasks, 2 a page.
	var got []string
	next := ""
	for pages := 0; pages < 5; pages++ {
		path := "/v1/tasks?limit=2"
		if next != "" {
			path += "&after=" + next
		}
		rec := e.do(http.MethodGet, path, keyA, nil)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		p := decodeAs[crm.Page[lifecycle.CallItem]](t, rec.Body.Bytes())
		assert.LessOrEqual(t, len(p.Items), 2, "limit holds")
		got = append(got, callIDs(p)...)
		if next = p.Next; next == "" {
			break
		}
	}
	assert.Equal(t, []string{"t1", "t2", "t3", "t4", "t5"}, got, "three pages, each task once")

	// The enriched view.
	rec := e.do(http.MethodGet, "/v1/tasks?vehicle_id=v1&limit=1", keyA, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	p := decodeAs[crm.Page[lifecycle.CallItem]](t, rec.Body.Bytes())
	require.Len(t, p.Items, 1)
	it := p.Items[0]
	assert.Equal(t, "王先生", it.CustomerName)
	assert.Equal(t, "13912345678", it.Mobile, "in full for a key with personal_data")
	assert.Equal(t, "沪A12345", it.Plate)
	assert.Equal(t, "Lavida", it.Model)
	assert.Equal(t, lifecycle.StageEarlyUse, it.Stage, "the stage the daily run found")
	assert.Equal(t, lcDate("2026-03-10"), it.LastVisit, "the last visit the daily run found")
	assert.Equal(t, "reason of t1", it.Reason)
	assert.NotEmpty(t, p.Next)
	rec = e.do(http.MethodGet, "/v1/tasks", keyB, nil)
	assert.JSONEq(t, `{"items":[]}`, rec.Body.String(), "dealer B sees none of A's tasks")
}

func TestSkipAndAssignOverHTTP(t *testing.T) {
	e, lc := callListEnv(t)
	rec := e.do(http.MethodPost, "/v1/tasks/t5/skip", keyA, map[string]any{})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), `"field":"reason"`)
	rec = e.do(http.MethodPost, "/v1/tasks/t5/skip", keyA, map[string]any{"reason": "sold the car"})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	x := decodeAs[lifecycle.Task](t, rec.Body.Bytes())
	assert.Equal(t, lifecycle.StatusSkipped, x.Status)
	assert.Equal(t, "skipped: sold the car", x.StatusReason, "rendered from its code (English by the test's Accept-Language)")
	assert.Equal(t, lifecycle.CodeSkipped, x.StatusReasonCode)
	assert.Equal(t, map[string]string{"note": "sold the car"}, x.StatusReasonParams)
	rec = e.do(http.MethodPost, "/v1/tasks/t5/skip", keyA, map[string]any{"reason": "again"})
	assert.Equal(t, http.StatusConflict, rec.Code, "a closed task cannot be skipped")

	rec = e.do(http.MethodPost, "/v1/tasks/t1/assign", keyA, map[string]any{"staff_id": "S07"})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, crm.StaffID("S07"), decodeAs[lifecycle.Task](t, rec.Body.Bytes()).AssigneeID)
	rec = e.do(http.MethodPost, "/v1/tasks/t1/assign", keyA, map[string]any{})
	assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)

	rec = e.do(http.MethodPost, "/v1/tasks/assign", keyA, map[string]any{"ids": []string{"t3", "t2"}, "staff_id": "S08"})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	reply := decodeAs[struct {
		Tasks []lifecycle.Task `json:"tasks"`
	}](t, rec.Body.Bytes())
	require.Len(t, reply.Tasks, 2)
	assert.Equal(t, []lifecycle.TaskID{"t3", "t2"}, []lifecycle.TaskID{reply.Tasks[0].ID, reply.Tasks[1].ID}, "in the order asked")
	// All or nothing: t5 is closed, t9 unknown; t1 keeps S07.
	for body, code := range map[string]int{
		`{"ids": ["t1", "t5"], "staff_id": "S09"}`: http.StatusConflict,
		`{"ids": ["t1", "t9"], "staff_id": "S09"}`: http.StatusNotFound,
		`{"ids": ["t1", "t1"], "staff_id": "S09"}`: http.StatusUnprocessableEntity,
		`{"ids": [], "staff_id": "S09"}`:           http.StatusUnprocessableEntity,
	} {
		rec = e.do(http.MethodPost, "/v1/tasks/assign", keyA, body)
		assert.Equal(t, code, rec.Code, "%s: %s", body, rec.Body)
		got, err := lc.Tasks().Get(context.Background(), dealerA, "t1")
		require.NoError(t, err)
		assert.Equal(t, crm.StaffID("S07"), got.AssigneeID, "%s: nothing written", body)
	}
	rec = e.do(http.MethodGet, "/v1/tasks?staff_id=S08", keyA, nil)
	assert.Equal(t, []string{"t2", "t3"}, callIDs(decodeAs[crm.Page[lifecycle.CallItem]](t, rec.Body.Bytes())), "the staff filter sees the reassignment")
	rec = e.do(http.MethodPost, "/v1/tasks/assign", keyB, map[string]any{"ids": []string{"t2"}, "staff_id": "S08"})
	assert.Equal(t, http.StatusNotFound, rec.Code, "dealer B cannot reach A's tasks")
}

func TestGroupedCallOverHTTP(t *testing.T) {
	e, lc := callListEnv(t)
	rec := e.do(http.MethodGet, "/v1/call-groups", keyA, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	p := decodeAs[crm.Page[lifecycle.CallGroup]](t, rec.Body.Bytes())
	require.Len(t, p.Items, 2)
	g := p.Items[0]
	assert.Equal(t, crm.CustomerID("c1"), g.CustomerID)
	assert.Equal(t, []string{"t1", "t3", "t2", "t4"}, callIDs(crm.Page[lifecycle.CallItem]{Items: g.Tasks}), "by due date: 04-28, 04-29, 04-30 (t2, t4)")
	assert.Equal(t, lifecycle.TaskID("t1"), g.Lead)
	assert.Equal(t, []lifecycle.TaskID{"t3", "t2"}, g.Covers, "the complaint follow-up t4 is worked alone")
	assert.Equal(t, "王先生", g.Tasks[0].CustomerName)
	rec = e.do(http.MethodGet, "/v1/call-groups?limit=1", keyA, nil)
	p = decodeAs[crm.Page[lifecycle.CallGroup]](t, rec.Body.Bytes())
	require.Len(t, p.Items, 1)
	rec = e.do(http.MethodGet, "/v1/call-groups?limit=1&after="+p.Next, keyA, nil)
	p = decodeAs[crm.Page[lifecycle.CallGroup]](t, rec.Body.Bytes())
	require.Len(t, p.Items, 1)
	assert.Equal(t, crm.CustomerID("c2"), p.Items[0].CustomerID, "the second page is c2")
	assert.Empty(t, p.Next)

	// An appointment needs its date.
	rec = e.do(http.MethodPost, "/v1/tasks/t1/outcome", keyA, map[string]any{"outcome": "appointment_booked", "close_covered": true})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), `"field":"appointment_date"`)
	// One call about t1 books an appointment and closes t3 and t2.
	rec = e.do(http.MethodPost, "/v1/tasks/t1/outcome", keyA, map[string]any{"outcome": "appointment_booked", "appointment_date": "2026-05-06",
		"staff_id": "S01", "close_covered": true})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	reply := decodeAs[struct {
		Task        lifecycle.Task   `json:"task"`
		Interaction crm.Interaction  `json:"interaction"`
		Covered     []lifecycle.Task `json:"covered"`
	}](t, rec.Body.Bytes())
	assert.Equal(t, lifecycle.StatusDone, reply.Task.Status)
	assert.Equal(t, "2026-05-06", reply.Task.AppointmentDate.String())
	require.Len(t, reply.Covered, 2)
	assert.Equal(t, []lifecycle.TaskID{"t2", "t3"}, []lifecycle.TaskID{reply.Covered[0].ID, reply.Covered[1].ID})
	for _, x := range reply.Covered {
		assert.Equal(t, lifecycle.StatusDone, x.Status)
		assert.Equal(t, reply.Interaction.ID, x.InteractionID, "one interaction for the call")
	}
	rec = e.do(http.MethodGet, "/v1/tasks?customer_id=c1", keyA, nil)
	assert.Equal(t, []string{"t4"}, callIDs(decodeAs[crm.Page[lifecycle.CallItem]](t, rec.Body.Bytes())), "only the complaint follow-up is left")

	// No answer: retried on 05-06, after the Labour Day holidays.
	rec = e.do(http.MethodPost, "/v1/tasks/t5/outcome", keyA, map[string]any{"outcome": "no_answer"})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	got, err := lc.Tasks().Get(context.Background(), dealerA, "t5")
	require.NoError(t, err)
	assert.Equal(t, "2026-05-06", got.Due.String())
	assert.Equal(t, 1, got.Attempts)
	assert.Equal(t, lifecycle.StatusOpen, got.Status)
}
