package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestErasureReachesEveryPackage (PIPL Art. 45 and 47, SPEC §0): one
// customer with data in every package — a vehicle with a plate, a service
// order, club points, a dissatisfied survey answer whose comment the
// follow-up task quotes, an interaction, a complaint, a lead, a grade,
// tasks of the daily run and a campaign membership — is exported with all
// of it, then erased; afterwards nothing anywhere holds their name, phone,
// plate or words: not what store A's key reads (every GET route), not the
// export, and on Postgres not any row of any table. Their open tasks are
// cancelled and off the call list; the anonymised financial and repair
// records stay.
func TestErasureReachesEveryPackage(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			store, pg := be.open(t)
			s := newStack(t, be.name, store, pg, 40)
			runErasure(t, s)
		})
	}
}

// The person's secrets: none may survive erasure.
const (
	secretName      = "欧阳秘密"
	secretMobile    = "13712345678"
	secretPlate     = "沪Z7S3C9"
	secretComment   = "欧阳先生说保养等了四个小时太慢"
	secretNote      = "欧阳先生要求周末回电"
	secretComplaint = "欧阳先生投诉前台态度差"
	secretLeadNote  = "欧阳先生想换购新能源车"
	secretHobby     = "收藏宋代青花瓷"
)

func runErasure(t *testing.T, s *stack) {
	ctx := context.Background()
	a := s.a
	yesterday := s.today.AddDays(-1).String()
	post := func(path string, body any, want int, header ...string) map[string]any {
		t.Helper()
		raw, err := json.Marshal(body)
		require.NoError(t, err)
		code, out := s.send(t, a, http.MethodPost, path, raw, header...)
		require.Equal(t, want, code, "POST %s: %s", path, out)
		var v map[string]any
		_ = json.Unmarshal(out, &v)
		return v
	}
	id := func(v map[string]any) string { s, _ := v["id"].(string); return s }

	cust := post("/v1/customers", map[string]any{"name": secretName, "mobile": secretMobile, "birthday": "1980-05-06",
		"region": map[string]any{"province": "上海", "city": "上海", "district": "浦东"}, "hobbies": []string{secretHobby}}, http.StatusCreated)
	cid := id(cust)
	for _, ch := range []string{"phone", "sms"} {
		post("/v1/customers/"+cid+"/consents", map[string]any{"purpose": "marketing", "channel": ch, "granted": true,
			"at": yesterday + "T10:00:00+08:00", "source": "sales contract"}, http.StatusOK)
	}
	veh := post("/v1/vehicles", map[string]any{"vin": testVIN(9001), "owner_id": cid, "brand": "天澜", "model": "SUV", "plate": secretPlate,
		"price": "180000", "purchase_date": s.today.AddDays(-5).String(), "delivery_date": s.today.AddDays(-2).String()}, http.StatusCreated)
	vid := id(veh)
	order := post("/v1/service-orders", map[string]any{"customer_id": cid, "vehicle_id": vid, "date": yesterday, "kind": "repair",
		"labour": "800", "parts": "1200", "payer": "customer", "odometer_km": 3000, "advisor_id": "SH01-SA-01"}, http.StatusCreated)
	oid := id(order)
	post("/v1/interactions", map[string]any{"customer_id": cid, "channel": "phone", "direction": "outbound", "purpose": "survey",
		"outcome": "reached", "at": yesterday + "T11:00:00+08:00", "note": secretNote}, http.StatusCreated)
	post("/v1/complaints", map[string]any{"customer_id": cid, "vehicle_id": vid, "service_order_id": oid, "category": "service",
		"severity": "medium", "status": "open", "opened": yesterday, "description": secretComplaint}, http.StatusCreated)
	lead := post("/v1/leads", map[string]any{"name": secretName, "mobile": secretMobile, "source": "referral", "customer_id": cid,
		"purchase": "replacement"}, http.StatusCreated)
	post("/v1/leads/"+id(lead)+"/follow-ups", map[string]any{"at": yesterday + "T15:00:00+08:00", "channel": "phone",
		"staff_id": "SH01-SC-01", "note": secretLeadNote}, http.StatusOK)

	post("/v1/loyalty/members", map[string]any{"customer_id": cid, "method": "consumption"}, http.StatusCreated, "Idempotency-Key", "erase-join")
	post("/v1/loyalty/earnings", map[string]any{"service_order_id": oid}, http.StatusCreated, "Idempotency-Key", "erase-earn")

	qs, _ := s.getJSON(t, a, "/v1/questionnaires").(map[string]any)
	var qid string
	var answers []map[string]any
	for _, q := range qs["items"].([]any) {
		q := q.(map[string]any)
		if q["department"] == "service" {
			qid = q["id"].(string)
			for _, it := range q["items"].([]any) {
				answers = append(answers, map[string]any{"item_id": it.(map[string]any)["id"], "value": 1})
			}
			break
		}
	}
	require.NotEmpty(t, qid, "a service questionnaire")
	post("/v1/survey-responses", map[string]any{"questionnaire_id": qid, "customer_id": cid, "service_order_id": oid,
		"date": yesterday, "answers": answers, "comment": secretComment}, http.StatusCreated)

	_, err := s.lifecycle.Run(ctx, a, s.today)
	require.NoError(t, err, "the daily run plans the new vehicle's calls")
	code, body := s.send(t, a, http.MethodPost, "/v1/grading/runs", []byte(`{"as_of": "`+s.today.String()+`"}`))
	require.Less(t, code, 300, "grading run: %s", body)

	camp := post("/v1/campaigns", map[string]any{"name": "冬季关怀", "kind": "care", "purpose": "marketing", "channels": []string{"phone"},
		"start": s.today.String(), "end": s.today.AddMonths(1).String(),
		"targets": []any{map[string]any{"name": "all", "segment": map[string]any{}, "rate": "0.1"}}}, http.StatusCreated)
	base := "/v1/campaigns/" + url.PathEscape(id(camp))
	for _, st := range []string{"approved", "running"} {
		post(base+"/transitions", map[string]any{"status": st}, http.StatusOK)
	}
	post("/v1/campaign-profiles/refresh", map[string]any{"as_of": s.today.String()}, http.StatusOK)
	post(base+"/audience", map[string]any{"as_of": s.today.String()}, http.StatusCreated)

	// Before: every secret is somewhere, and the export holds every
	// package's part.
	exportPath := "/v1/customers/" + cid + "/export"
	code, export := s.send(t, a, http.MethodGet, exportPath, nil)
	require.Equal(t, http.StatusOK, code, "%s", export)
	for _, secret := range []string{secretName, secretMobile, secretPlate, secretComment, secretNote, secretComplaint, secretLeadNote} {
		assert.Contains(t, string(export), secret, "the export holds %q", secret)
	}
	var x struct {
		Sections map[string]json.RawMessage `json:"sections"`
	}
	require.NoError(t, json.Unmarshal(export, &x))
	for _, section := range []string{"loyalty", "survey_responses", "tasks", "grades", "campaigns"} {
		v, ok := x.Sections[section]
		assert.True(t, ok && len(v) > 4, "the export has the %s section with data, got %s", section, v)
	}

	code, body = s.send(t, a, http.MethodPost, "/v1/customers/"+cid+"/erase", nil)
	require.Equal(t, http.StatusNoContent, code, "%s", body)
	code, body = s.send(t, a, http.MethodPost, "/v1/customers/"+cid+"/erase", nil)
	require.Equal(t, http.StatusNoContent, code, "erasing again changes nothing: %s", body)

	secrets := []string{secretName, secretMobile, secretPlate, secretComment, secretNote, secretComplaint, secretLeadNote, secretHobby}
	// Everything A's key reads, the export included.
	w := newWalk(t, s)
	bodies := w.sweepBodies(a)
	_, bodies[exportPath] = s.send(t, a, http.MethodGet, exportPath, nil)
	_, bodies["/v1/tasks?customer"] = s.send(t, a, http.MethodGet, "/v1/tasks?date="+s.today.String()+"&limit=200", nil)
	for target, b := range bodies {
		for _, secret := range secrets {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s: after erasure GET %s still shows %q", s.name, target, secret)
			}
		}
	}
	// The open tasks are cancelled, not left on the list for "(erased)".
	var tasks struct {
		Items []struct {
			CustomerID string `json:"customer_id"`
			Status     string `json:"status"`
		} `json:"items"`
	}
	_ = json.Unmarshal(bodies["/v1/tasks?customer"], &tasks)
	for _, tk := range tasks.Items {
		if tk.CustomerID == cid {
			t.Errorf("%s: the erased customer is still on the call list (%s)", s.name, tk.Status)
		}
	}
	// The financial and repair records stay, anonymised.
	code, body = s.send(t, a, http.MethodGet, "/v1/service-orders/"+oid, nil)
	assert.Equal(t, http.StatusOK, code, "the repair record is kept: %s", body)

	if s.pg != nil {
		db := pgtest.DB(t)
		var tables []string
		require.NoError(t, db.NewRaw(`SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY 1`,
			s.pg.Schema()).Scan(ctx, &tables))
		for _, table := range tables {
			for _, secret := range secrets {
				var n int
				q := fmt.Sprintf(`SELECT count(*) FROM %q.%q t WHERE t::text LIKE ?`, s.pg.Schema(), table)
				require.NoError(t, db.NewRaw(q, "%"+strings.ReplaceAll(secret, "%", `\%`)+"%").Scan(ctx, &n))
				if n > 0 {
					t.Errorf("%s: after erasure %d rows of %s still hold %q", s.name, n, table, secret)
				}
			}
		}
	}
}
