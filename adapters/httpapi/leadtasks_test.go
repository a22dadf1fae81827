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
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLeadTasksOnTheCallList goes through the real handler: a walk-in
// created over HTTP at 15:00 on 03-02 in Shanghai (dealer A) is on its
// consultant's list for 03-03 with the lead's name; a follow-up logged
// over HTTP replaces it by the next one, by the A level's cadence of 4
// days, and so does an outcome recorded on the task; a lead untouched for 90 days is on the manager's list after the
// daily run; another consultant and another dealer see none of it.
func TestLeadTasksOnTheCallList(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	store := memory.New()
	svc := crm.NewService(store, crm.WithClock(clock))
	for _, d := range []crm.Dealer{{ID: dealerA, Name: "上海浦东 4S 店"}, {ID: dealerB, Name: "北京朝阳 4S 店"}} {
		_, err := svc.CreateDealer(ctx, d)
		require.NoError(t, err)
	}
	lc, err := lifecycle.NewService(svc, memory.NewTaskStore(), lifecycle.WithClock(clock))
	require.NoError(t, err)
	svc.AddLeadWatchers(lc)
	e := &env{t: t, svc: svc, h: httpapi.NewHandler(svc, httpapi.WithAPIKeys(map[string]crm.DealerID{keyA: dealerA, keyB: dealerB}), httpapi.WithLifecycle(lc))}

	lead := e.create(keyA, "leads", map[string]any{"name": "李娜", "mobile": "13800138000", "source": "walk_in", "consultant_id": "S07", "model_of_interest": "Tiguan L"})
	id := lead["id"].(string)

	list := func(key, query string) []any {
		t.Helper()
		w := e.do(http.MethodGet, "/v1/tasks?"+query, key, nil)
		require.Equal(t, http.StatusOK, w.Code, "%s: %s", query, w.Body)
		return decode(t, w)["items"].([]any)
	}
	items := list(keyA, "owner=S07&date=2026-03-03")
	require.Len(t, items, 1, "the first call is on S07's list for 03-03")
	task := items[0].(obj)
	assert.Equal(t, "lead_follow_up", task["kind"])
	assert.Equal(t, id, task["lead_id"], "the task points at the lead")
	assert.Equal(t, "lead_follow_up|lead:"+id+"|0", task["key"])
	assert.Equal(t, "2026-03-03", task["due"])
	assert.Equal(t, "sales_consultant", task["owner_role"])
	assert.Equal(t, "first call within 24 hours of the showroom visit on 2026-03-02", task["reason"])
	assert.Equal(t, obj{"id": id, "name": "李娜", "mobile": "13800138000", "level": "N", "model_of_interest": "Tiguan L", "consultant_id": "S07"}, task["lead"],
		"whom to call")
	assert.Empty(t, list(keyA, "owner=S07&date=2026-03-02"), "not due before 03-03")
	assert.Empty(t, list(keyA, "owner=S08&date=2026-03-03"), "another consultant's list")
	assert.Empty(t, list(keyB, "date=2026-03-03"), "another dealer's list")

	// 10:00 on 03-03: the call is made and the lead is A.
	now = time.Date(2026, 3, 3, 2, 0, 0, 0, time.UTC)
	w := e.do(http.MethodPost, "/v1/leads/"+id+"/follow-ups", keyA, map[string]any{"channel": "phone", "staff_id": "S07", "level": "A"})
	require.Equal(t, http.StatusOK, w.Code, "%s", w.Body)
	assert.Empty(t, list(keyA, "owner=S07&date=2026-03-06"), "the first call is done")
	items = list(keyA, "owner=S07&date=2026-03-07")
	require.Len(t, items, 1)
	task = items[0].(obj)
	assert.Equal(t, "2026-03-07", task["due"], "03-03 + 4 days")
	assert.Equal(t, "lead_follow_up|lead:"+id+"|1", task["key"])
	assert.Equal(t, "A", task["lead"].(obj)["level"])

	// 10:00 on 03-07: the consultant works it from the list; the call is
	// logged on the lead, whose next follow-up is due 03-11.
	now = time.Date(2026, 3, 7, 2, 0, 0, 0, time.UTC)
	w = e.do(http.MethodPost, "/v1/tasks/"+task["id"].(string)+"/outcome", keyA, map[string]any{"outcome": "reached", "staff_id": "S07", "note": "wants a test drive"})
	require.Equal(t, http.StatusOK, w.Code, "%s", w.Body)
	reply := decode(t, w)
	assert.Equal(t, "done", reply["task"].(obj)["status"])
	assert.Equal(t, id, reply["interaction"].(obj)["lead_id"], "the interaction is the lead's")
	items = list(keyA, "owner=S07&date=2026-03-11")
	require.Len(t, items, 1)
	assert.Equal(t, "lead_follow_up|lead:"+id+"|2", items[0].(obj)["key"])
	assert.Equal(t, "2026-03-11", items[0].(obj)["due"], "03-07 + 4 days")

	// 90 days untouched: from 03-07 10:00, stale on 06-05, not 06-04.
	_, err = lc.RunLeads(ctx, dealerA, dealercrm.MustParseDate("2026-06-04"))
	require.NoError(t, err)
	assert.Empty(t, list(keyA, "owner=manager&date=2026-06-04"))
	_, err = lc.RunLeads(ctx, dealerA, dealercrm.MustParseDate("2026-06-05"))
	require.NoError(t, err)
	items = list(keyA, "owner=manager&date=2026-06-05")
	require.Len(t, items, 1, "the stale lead is on the managers' list")
	task = items[0].(obj)
	assert.Equal(t, "stale_lead", task["kind"])
	assert.Equal(t, "manager", task["owner_role"])
	assert.Equal(t, "李娜", task["lead"].(obj)["name"])
	assert.Equal(t, "level A lead untouched since 2026-03-07, more than 90 days", task["reason"])
}
