package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEntityCRUD(t *testing.T) {
	e := newEnv(t)
	fx := e.fixtures(keyA)
	cases := []struct {
		coll   string
		create obj
		patch  obj
		field  string // changed by patch
		want   any
		filter url.Values // a listing that must find the record
	}{
		{coll: "customers",
			create: obj{"name": "李娜", "mobile": "+86 138-0013-8000", "kind": "individual", "region": obj{"province": "上海", "city": "上海"}},
			patch:  obj{"occupation": "teacher"}, field: "occupation", want: "teacher",
			filter: url.Values{"mobile": {"+86 138 0013 8000"}, "kind": {"individual"}}},
		{coll: "leads",
			create: obj{"name": "陈刚", "mobile": "13700137000", "source": "walk_in", "model_of_interest": "A4L", "level": "H"},
			patch:  obj{"visit_trigger": "weekend test drive"}, field: "visit_trigger", want: "weekend test drive",
			filter: url.Values{"levels": {"N,H"}, "source": {"walk_in"}, "status": {"open"}}},
		{coll: "vehicles",
			create: obj{"vin": strings.ToLower(vin(1)), "model": "Q5L", "price": "398000.50", "purchase_date": "2025-03-01"},
			patch:  obj{"plate": "沪A12345"}, field: "plate", want: "沪A12345",
			filter: url.Values{"vin": {strings.ToLower(vin(1))}}},
		{coll: "sales",
			create: obj{"vehicle_id": fx.vehicle, "customer_id": fx.customer, "date": "2025-03-01", "price": 420000, "gross_profit": "-1200.50",
				"items": []obj{{"kind": "accessory", "amount": "3000", "profit": "900"}}},
			patch: obj{"trade_in": true}, field: "trade_in", want: true,
			filter: url.Values{"customer_id": {fx.customer}, "date_from": {"2025-03-01"}, "date_to": {"2025-03-31"}}},
		{coll: "service-orders",
			create: obj{"vehicle_id": fx.vehicle, "customer_id": fx.customer, "date": "2025-04-01", "odometer_km": 5000,
				"kind": "first_maintenance", "labour": "0", "parts": "350.00", "payer": "customer"},
			patch: obj{"closed_date": "2025-04-02"}, field: "closed_date", want: "2025-04-02",
			filter: url.Values{"vehicle_id": {fx.vehicle}, "kind": {"first_maintenance"}}},
		{coll: "insurance-policies",
			create: obj{"vehicle_id": fx.vehicle, "customer_id": fx.customer, "kind": "commercial", "insurer": "PICC",
				"start": "2025-03-01", "end": "2026-02-28", "premium": "5200"},
			patch: obj{"renewal": true}, field: "renewal", want: true,
			filter: url.Values{"vehicle_id": {fx.vehicle}, "end_from": {"2026-01-01"}, "end_to": {"2026-12-31"}}},
		{coll: "interactions",
			create: obj{"customer_id": fx.customer, "channel": "phone", "direction": "outbound", "purpose": "3DC",
				"outcome": "reached", "at": "2025-03-04T10:00:00+08:00"},
			patch: obj{"note": "happy with the car"}, field: "note", want: "happy with the car",
			filter: url.Values{"customer_id": {fx.customer}, "from": {"2025-03-04T00:00:00Z"}, "to": {"2025-03-05T00:00:00Z"}}},
		{coll: "complaints",
			create: obj{"customer_id": fx.customer, "category": "service", "severity": "medium", "opened": "2025-04-03"},
			patch:  obj{"status": "in_progress"}, field: "status", want: "in_progress",
			filter: url.Values{"customer_id": {fx.customer}, "status": {"in_progress"}}},
		{coll: "event-participations",
			create: obj{"customer_id": fx.customer, "event_id": "EV-2025-05", "event_name": "Car-care class", "date": "2025-05-01"},
			patch:  obj{"attended": true}, field: "attended", want: true,
			filter: url.Values{"event_id": {"EV-2025-05"}}},
	}
	for _, c := range cases {
		t.Run(c.coll, func(t *testing.T) {
			e.t = t
			w := e.do(http.MethodPost, "/v1/"+c.coll, keyA, c.create)
			require.Equal(t, http.StatusCreated, w.Code, "create: %s", w.Body)
			created := decode(t, w)
			id, _ := created["id"].(string)
			require.NotEmpty(t, id, "a new record gets an ID")
			assert.Equal(t, "/v1/"+c.coll+"/"+id, w.Header().Get("Location"))
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			assert.Equal(t, string(dealerA), created["dealer_id"], "the dealer is the key's")

			w = e.do(http.MethodGet, "/v1/"+c.coll+"/"+id, keyA, nil)
			require.Equal(t, http.StatusOK, w.Code, "get: %s", w.Body)
			assert.Equal(t, created, decode(t, w), "GET returns what POST returned")

			w = e.do(http.MethodPatch, "/v1/"+c.coll+"/"+id, keyA, c.patch, "Content-Type", "application/merge-patch+json")
			require.Equal(t, http.StatusOK, w.Code, "patch: %s", w.Body)
			patched := decode(t, w)
			assert.Equal(t, c.want, patched[c.field], "patched field")
			for k, v := range created {
				if k != c.field && k != "updated_at" {
					assert.Equal(t, v, patched[k], "field %s is kept by a patch that does not name it", k)
				}
			}

			w = e.do(http.MethodGet, "/v1/"+c.coll+"?"+c.filter.Encode(), keyA, nil)
			require.Equal(t, http.StatusOK, w.Code, "list: %s", w.Body)
			assert.Contains(t, ids(decode(t, w)), id, "the filtered listing finds the record")

			w = e.do(http.MethodDelete, "/v1/"+c.coll+"/"+id, keyA, nil)
			require.Equal(t, http.StatusNoContent, w.Code, "delete: %s", w.Body)
			assert.Empty(t, w.Body.String(), "204 has no body")
			requireProblem(t, e.do(http.MethodGet, "/v1/"+c.coll+"/"+id, keyA, nil), http.StatusNotFound, "not_found")
			requireProblem(t, e.do(http.MethodDelete, "/v1/"+c.coll+"/"+id, keyA, nil), http.StatusNotFound, "not_found")
			requireProblem(t, e.do(http.MethodPatch, "/v1/"+c.coll+"/"+id, keyA, c.patch), http.StatusNotFound, "not_found")
		})
	}
}

func ids(page obj) []string {
	var out []string
	items, _ := page["items"].([]any)
	for _, it := range items {
		out = append(out, it.(obj)["id"].(string))
	}
	return out
}

func TestMoneyIsWrittenAsStrings(t *testing.T) {
	e := newEnv(t)
	v := e.create(keyA, "vehicles", obj{"vin": vin(2), "model": "A3", "price": 198000.25})
	assert.Equal(t, "198000.25", v["price"], "a number in the request comes back as a decimal string")
	v = e.create(keyA, "vehicles", obj{"vin": vin(3), "model": "A3", "price": "9876543.12345678"})
	assert.Equal(t, "9876543.12345678", v["price"], "no digit is lost")
	w := e.do(http.MethodPatch, "/v1/vehicles/"+v["id"].(string), keyA, `{"price": 9999999.99999999}`)
	require.Equal(t, http.StatusOK, w.Code, w.Body)
	assert.Equal(t, "9999999.99999999", decode(t, w)["price"], "a number in a merge patch keeps every digit")
}

func TestListPagination(t *testing.T) {
	e := newEnv(t)
	c := e.create(keyA, "customers", obj{"name": "周杰"})
	var want []string
	for i := range 7 {
		p := e.create(keyA, "event-participations", obj{"customer_id": c["id"], "event_id": "EV1", "date": "2025-06-0" + string(rune('1'+i))})
		want = append(want, p["id"].(string))
	}
	var got []string
	after, pages := "", 0
	for {
		q := url.Values{"limit": {"3"}, "event_id": {"EV1"}}
		if after != "" {
			q.Set("after", after)
		}
		w := e.do(http.MethodGet, "/v1/event-participations?"+q.Encode(), keyA, nil)
		require.Equal(t, http.StatusOK, w.Code, w.Body)
		page := decode(t, w)
		pages++
		assert.LessOrEqual(t, len(ids(page)), 3, "a page holds at most limit items")
		got = append(got, ids(page)...)
		next, _ := page["next"].(string)
		if next == "" {
			break
		}
		after = next
		require.Less(t, pages, 10, "pagination must end")
	}
	assert.Equal(t, want, got, "every record once, in ID (creation) order")
	assert.Equal(t, 3, pages, "7 records at 3 a page")

	w := e.do(http.MethodGet, "/v1/customers?limit=2&after=%21%21not-a-cursor", keyA, nil)
	assert.Equal(t, "format", problemFields(requireProblem(t, w, http.StatusUnprocessableEntity, "invalid"))["after"])

	w = e.do(http.MethodGet, "/v1/customers", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code)
	page := decode(t, w)
	assert.NotContains(t, page, "next", "the last page has no cursor")
	assert.Len(t, page["items"], 1)
}

func TestListQueryErrors(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		query, field, rule string
	}{
		{"status=won", "status", "format"},
		{"levels=H,Z", "levels", "format"},
		{"limit=-1", "limit", "format"},
		{"limit=ten", "limit", "format"},
		{"sttaus=open", "sttaus", "unknown_parameter"},
		{"source=web&source=dm", "source", "unique"},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			e.t = t
			p := requireProblem(t, e.do(http.MethodGet, "/v1/leads?"+c.query, keyA, nil), http.StatusUnprocessableEntity, "invalid")
			assert.Equal(t, c.rule, problemFields(p)[c.field], "errors name the parameter: %v", p["errors"])
		})
	}
	p := requireProblem(t, e.do(http.MethodGet, "/v1/sales?date_from=2025-02-30", keyA, nil), http.StatusUnprocessableEntity, "invalid")
	assert.Equal(t, "format", problemFields(p)["date_from"])
	p = requireProblem(t, e.do(http.MethodGet, "/v1/interactions?from=yesterday", keyA, nil), http.StatusUnprocessableEntity, "invalid")
	assert.Equal(t, "format", problemFields(p)["from"])
	requireProblem(t, e.do(http.MethodGet, "/v1/leads?status=%zz", keyA, nil), http.StatusBadRequest, "malformed_request")
	w := e.do(http.MethodGet, "/v1/leads?levels=H&levels=A,B&limit=5000", keyA, nil)
	assert.Equal(t, http.StatusOK, w.Code, "repeated list parameters and a limit over the maximum are accepted: %s", w.Body)
}

func TestDealerIsolation(t *testing.T) {
	e := newEnv(t)
	a := e.create(keyA, "customers", obj{"name": "王伟", "mobile": "13912345678"})
	id := a["id"].(string)
	path := "/v1/customers/" + id

	requireProblem(t, e.do(http.MethodGet, path, keyB, nil), http.StatusNotFound, "not_found")
	requireProblem(t, e.do(http.MethodPatch, path, keyB, obj{"name": "hijacked"}), http.StatusNotFound, "not_found")
	requireProblem(t, e.do(http.MethodDelete, path, keyB, nil), http.StatusNotFound, "not_found")
	requireProblem(t, e.do(http.MethodPost, path+"/consents", keyB, obj{"purpose": "marketing", "channel": "sms", "granted": true, "source": "x"}),
		http.StatusNotFound, "not_found")

	w := e.do(http.MethodGet, "/v1/customers", keyB, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Empty(t, ids(decode(t, w)), "dealer B lists none of A's customers")
	w = e.do(http.MethodGet, "/v1/customers?mobile=13912345678", keyB, nil)
	assert.Empty(t, ids(decode(t, w)), "not even by A's customer's mobile")

	// A dealer_id in the body is ignored: the record lands in the key's dealer.
	b := e.create(keyB, "customers", obj{"name": "刘洋", "dealer_id": string(dealerA)})
	assert.Equal(t, string(dealerB), b["dealer_id"])
	requireProblem(t, e.do(http.MethodGet, "/v1/customers/"+b["id"].(string), keyA, nil), http.StatusNotFound, "not_found")

	// References to another dealer's records do not resolve.
	w = e.do(http.MethodPost, "/v1/vehicles", keyB, obj{"vin": vin(5), "model": "A4L", "owner_id": id})
	assert.Equal(t, "reference", problemFields(requireProblem(t, w, http.StatusUnprocessableEntity, "invalid"))["owner_id"])

	// A's customer is untouched.
	w = e.do(http.MethodGet, path, keyA, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "王伟", decode(t, w)["name"])

	w = e.do(http.MethodGet, "/v1/dealer", keyB, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, string(dealerB), decode(t, w)["id"], "GET /v1/dealer is the key's own dealer")
}

func TestInvalidVIN(t *testing.T) {
	e := newEnv(t)
	w := e.do(http.MethodPost, "/v1/vehicles", keyA, obj{"vin": "1M8GDM9A1KP042788", "model": "A4L", "price": "-1"})
	p := requireProblem(t, w, http.StatusUnprocessableEntity, "invalid")
	fields := problemFields(p)
	assert.Equal(t, crm.RuleVINCheck, fields["vin"], "errors name the JSON field vin")
	assert.Equal(t, crm.RuleNonNegative, fields["price"], "every bad field is listed")
	assert.Equal(t, "/v1/vehicles", p["instance"])
}

func TestLeadFlow(t *testing.T) {
	e := newEnv(t)
	lead := e.create(keyA, "leads", obj{"name": "孙丽", "mobile": "13600136000", "source": "walk_in", "model_of_interest": "Q5L"})
	assert.Equal(t, "N", lead["level"], "a new lead starts at N")
	assert.NotEmpty(t, lead["next_follow_up_at"], "and gets its first follow-up scheduled")
	base := "/v1/leads/" + lead["id"].(string)

	w := e.do(http.MethodPost, base+"/level", keyA, obj{"level": "H"})
	require.Equal(t, http.StatusOK, w.Code, w.Body)
	assert.Equal(t, "H", decode(t, w)["level"])
	w = e.do(http.MethodPost, base+"/level", keyA, obj{"level": "D"})
	requireProblem(t, w, http.StatusConflict, "failed_precondition")
	w = e.do(http.MethodPost, base+"/level", keyA, obj{"level": "Z"})
	assert.Equal(t, "enum", problemFields(requireProblem(t, w, http.StatusUnprocessableEntity, "invalid"))["level"])

	w = e.do(http.MethodPost, base+"/follow-ups", keyA, obj{"channel": "phone", "note": "test drive booked", "level": "A", "staff_id": "S01"})
	require.Equal(t, http.StatusOK, w.Code, w.Body)
	l := decode(t, w)
	assert.Equal(t, "A", l["level"], "a follow-up may change the level")
	assert.Len(t, l["follow_ups"], 1)
	w = e.do(http.MethodPost, base+"/follow-ups", keyA, obj{"channel": "pigeon"})
	assert.Equal(t, "enum", problemFields(requireProblem(t, w, http.StatusUnprocessableEntity, "invalid"))["channel"])

	// Lost request rejected, then approved.
	w = e.do(http.MethodPost, base+"/lost-request", keyA, obj{"reason": "competitor", "note": "bought a BMW", "requested_by": "S01"})
	require.Equal(t, http.StatusOK, w.Code, w.Body)
	requireProblem(t, e.do(http.MethodPost, base+"/lost-request", keyA, obj{"reason": "frozen", "requested_by": "S02"}), http.StatusConflict, "failed_precondition")
	w = e.do(http.MethodPost, base+"/lost-decision", keyA, obj{"decision": "maybe"})
	assert.Equal(t, "enum", problemFields(requireProblem(t, w, http.StatusUnprocessableEntity, "invalid"))["decision"])
	w = e.do(http.MethodPost, base+"/lost-decision", keyA, obj{"decision": "rejected", "decided_by": "M01", "note": "call again"})
	require.Equal(t, http.StatusOK, w.Code, w.Body)
	l = decode(t, w)
	assert.Equal(t, "open", l["status"], "a rejected request keeps the lead open")
	w = e.do(http.MethodPost, base+"/lost-request", keyA, obj{"reason": "competitor", "requested_by": "S01"})
	require.Equal(t, http.StatusOK, w.Code, w.Body)
	w = e.do(http.MethodPost, base+"/lost-decision", keyA, obj{"decision": "approved", "decided_by": "M01"})
	require.Equal(t, http.StatusOK, w.Code, w.Body)
	l = decode(t, w)
	assert.Equal(t, "lost", l["status"])
	assert.Equal(t, "F", l["level"])
	assert.Equal(t, "competitor", l["lost_reason"])
	assert.Len(t, l["lost_requests"], 2, "both requests are kept")
	requireProblem(t, e.do(http.MethodPost, base+"/convert", keyA, obj{"vehicle": obj{"vin": vin(10)}}), http.StatusConflict, "failed_precondition")
	requireProblem(t, e.do(http.MethodPost, base+"/lost-decision", keyA, obj{"decision": "approved"}), http.StatusConflict, "failed_precondition")

	// Conversion of another lead.
	lead2 := e.create(keyA, "leads", obj{"name": "钱峰", "mobile": "13500135000", "source": "referral", "model_of_interest": "A6L", "consultant_id": "S02"})
	base2 := "/v1/leads/" + lead2["id"].(string)
	conv := obj{
		"customer": obj{"gender": "male", "region": obj{"city": "上海"}},
		"vehicle":  obj{"vin": vin(11), "price": "420000", "delivery_date": "2025-03-15"},
		"sale":     obj{"date": "2025-03-15", "gross_profit": "8000"},
	}
	w = e.do(http.MethodPost, base2+"/convert", keyA, obj{"vehicle": obj{"vin": "bad"}, "sale": obj{}})
	fields := problemFields(requireProblem(t, w, http.StatusUnprocessableEntity, "invalid"))
	assert.Equal(t, crm.RuleVINLength, fields["vehicle.vin"], "conversion errors are prefixed with the part: %v", fields)
	assert.Equal(t, crm.RuleRequired, fields["sale.date"])

	w = e.do(http.MethodPost, base2+"/convert", keyA, conv)
	require.Equal(t, http.StatusCreated, w.Code, w.Body)
	res := decode(t, w)
	cust, veh, sale, done := res["customer"].(obj), res["vehicle"].(obj), res["sale"].(obj), res["lead"].(obj)
	assert.Equal(t, "/v1/sales/"+sale["id"].(string), w.Header().Get("Location"))
	assert.Equal(t, "钱峰", cust["name"], "the customer's name defaults from the lead")
	assert.Equal(t, "male", cust["gender"])
	assert.Equal(t, cust["id"], veh["owner_id"])
	assert.Equal(t, "A6L", veh["model"], "the model defaults from the lead")
	assert.Equal(t, veh["id"], sale["vehicle_id"])
	assert.Equal(t, "420000", sale["price"], "the price defaults from the vehicle")
	assert.Equal(t, "converted", done["status"])
	assert.Equal(t, "D", done["level"])
	for _, p := range []string{"/v1/customers/" + cust["id"].(string), "/v1/vehicles/" + veh["id"].(string), "/v1/sales/" + sale["id"].(string)} {
		assert.Equal(t, http.StatusOK, e.do(http.MethodGet, p, keyA, nil).Code, "%s exists after the conversion", p)
	}
	conv["vehicle"] = obj{"vin": vin(12)}
	requireProblem(t, e.do(http.MethodPost, base2+"/convert", keyA, conv), http.StatusConflict, "failed_precondition")
	requireProblem(t, e.do(http.MethodPost, base2+"/convert", keyB, conv), http.StatusNotFound, "not_found")
}

func TestImportTwice(t *testing.T) {
	e := newEnv(t)
	batch := obj{
		"customers": []obj{{"external_id": "C1", "name": "黄磊", "mobile": "13800138000"}, {"external_id": "C2", "name": "何炅"}},
		"vehicles":  []obj{{"external_id": "V1", "vin": vin(20), "model": "A4L", "owner_id": "C1", "price": "300000"}},
		"sales":     []obj{{"external_id": "S1", "vehicle_id": "V1", "customer_id": "C1", "date": "2024-12-01", "price": "300000"}},
		"service_orders": []obj{{"external_id": "O1", "vehicle_id": "V1", "customer_id": "C1", "date": "2025-03-01",
			"kind": "first_maintenance", "payer": "customer", "labour": "0", "parts": "0"}},
	}
	w := e.do(http.MethodPost, "/v1/import", keyA, batch)
	require.Equal(t, http.StatusOK, w.Code, w.Body)
	first := decode(t, w)
	assert.Equal(t, obj{"created": 5.0, "updated": 0.0, "unchanged": 0.0}, first["counts"])

	w = e.do(http.MethodPost, "/v1/import", keyA, batch)
	require.Equal(t, http.StatusOK, w.Code, w.Body)
	second := decode(t, w)
	assert.Equal(t, obj{"created": 0.0, "updated": 0.0, "unchanged": 5.0}, second["counts"], "importing again changes nothing")
	r1, r2 := first["results"].(obj), second["results"].(obj)
	assert.Equal(t, r1["customers"].([]any)[0].(obj)["id"], r2["customers"].([]any)[0].(obj)["id"], "records keep their IDs")

	w = e.do(http.MethodGet, "/v1/vehicles?vin="+vin(20), keyA, nil)
	require.Len(t, ids(decode(t, w)), 1)

	bad := obj{"vehicles": []obj{{"external_id": "V9", "vin": vin(21), "model": "A4L", "owner_id": "nobody"}}}
	p := requireProblem(t, e.do(http.MethodPost, "/v1/import", keyA, bad), http.StatusUnprocessableEntity, "invalid")
	assert.Equal(t, "reference", problemFields(p)["vehicles[0].owner_id"])

	w = e.do(http.MethodGet, "/v1/customers", keyB, nil)
	assert.Empty(t, ids(decode(t, w)), "the import landed in the key's dealer only")
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	p := requireProblem(t, e.do(http.MethodGet, "/v1/customers", "", nil), http.StatusUnauthorized, "unauthenticated")
	assert.NotContains(t, p, "errors")
	w := e.do(http.MethodGet, "/v1/customers", "", nil)
	assert.Contains(t, w.Header().Get("WWW-Authenticate"), "Bearer")
	requireProblem(t, e.do(http.MethodGet, "/v1/customers", "wrong-key", nil), http.StatusUnauthorized, "unauthenticated")
	requireProblem(t, e.do(http.MethodPost, "/v1/customers", "", obj{"name": "x"}), http.StatusUnauthorized, "unauthenticated")
	requireProblem(t, e.do(http.MethodGet, "/v1/customers", "", nil, "Authorization", "Basic "+keyA), http.StatusUnauthorized, "unauthenticated")

	assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/v1/customers", "", nil, "X-API-Key", keyA).Code, "X-API-Key works")
	assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/v1/customers", "", nil, "Authorization", "bearer "+keyA).Code, "the scheme is case-insensitive")
	assert.Equal(t, http.StatusOK, e.do(http.MethodGet, "/v1/customers", "", nil, "Authorization", "Basic eDp5", "X-API-Key", keyA).Code,
		"X-API-Key works beside another Authorization scheme")
	requireProblem(t, e.do(http.MethodGet, "/v1/customers", "", nil, "Authorization", "Bearer "), http.StatusUnauthorized, "unauthenticated")

	// A key whose dealer does not exist finds nothing.
	e2 := newEnv(t, httpapi.WithAPIKeys(map[string]crm.DealerID{"ghost": "NOPE"}))
	requireProblem(t, e2.do(http.MethodGet, "/v1/dealer", "ghost", nil), http.StatusNotFound, "not_found")
	requireProblem(t, e2.do(http.MethodPost, "/v1/customers", "ghost", obj{"name": "x"}), http.StatusNotFound, "not_found")

	assert.Panics(t, func() { httpapi.NewHandler(e.svc, httpapi.WithAPIKeys(map[string]crm.DealerID{"k": ""})) },
		"a key without a dealer is a configuration error")
}

// authFunc is an Authenticator from a function.
type authFunc func(r *http.Request) (crm.Principal, error)

func (f authFunc) Authenticate(r *http.Request) (crm.Principal, error) { return f(r) }

func TestCustomAuthenticator(t *testing.T) {
	e := newEnv(t, httpapi.WithAuthenticator(authFunc(func(r *http.Request) (crm.Principal, error) {
		switch httpapi.APIKey(r) {
		case "sso-token":
			return crm.Principal{Dealer: dealerB, Roles: []crm.Role{crm.RoleConsultant}, Staff: "S07",
				Permissions: []crm.Permission{crm.PermPrivacy}}, nil
		case "no-dealer":
			return crm.Principal{Roles: []crm.Role{crm.RoleAdmin}}, nil
		case "down":
			return crm.Principal{}, dealercrm.Errorf(dealercrm.Unavailable, "key store unreachable")
		}
		return crm.Principal{}, httpapi.ErrUnauthenticated
	})))
	w := e.do(http.MethodGet, "/v1/dealer", "sso-token", nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, string(dealerB), decode(t, w)["id"])
	requireProblem(t, e.do(http.MethodGet, "/v1/dealer", keyA, nil), http.StatusUnauthorized, "unauthenticated")
	requireProblem(t, e.do(http.MethodGet, "/v1/dealer", "no-dealer", nil), http.StatusUnauthorized, "unauthenticated")
	requireProblem(t, e.do(http.MethodGet, "/v1/dealer", "down", nil), http.StatusServiceUnavailable, "unavailable")
	// The role table decides the permissions, not the authenticator.
	p := requireProblem(t, e.do(http.MethodPost, "/v1/customers/c1/erase", "sso-token", nil), http.StatusForbidden, "permission_denied")
	assert.Equal(t, "privacy", p["permission"])
}

func TestBodyLimits(t *testing.T) {
	e := newEnv(t)
	big := `{"name": "` + strings.Repeat("x", int(httpapi.DefaultMaxBodyBytes)) + `"}`
	requireProblem(t, e.do(http.MethodPost, "/v1/customers", keyA, big), http.StatusRequestEntityTooLarge, "body_too_large")
	requireProblem(t, e.do(http.MethodPatch, "/v1/dealer", keyA, big), http.StatusRequestEntityTooLarge, "body_too_large")

	// Without a Content-Length the limit holds while reading.
	req, _ := http.NewRequest(http.MethodPost, "/v1/customers", struct{ *strings.Reader }{strings.NewReader(big)})
	req.Header.Set("Authorization", "Bearer "+keyA)
	require.EqualValues(t, 0, req.ContentLength)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	requireProblem(t, w, http.StatusRequestEntityTooLarge, "body_too_large")

	// The import has its own, larger limit: a body as large is a
	// well-formed (if invalid) batch there, as long as each record is
	// within the limit of a single create.
	half := strings.Repeat("x", int(httpapi.DefaultMaxBodyBytes)/2)
	bigBatch := `{"customers": [{"external_id": "X", "name": "` + half + `"}, {"external_id": "Y", "name": "` + half + `"}]}`
	p := requireProblem(t, e.do(http.MethodPost, "/v1/import", keyA, bigBatch), http.StatusUnprocessableEntity, "invalid")
	assert.Equal(t, crm.RuleMaxLength, problemFields(p)["customers[1].name"])

	small := newEnv(t, httpapi.WithMaxBodyBytes(64), httpapi.WithMaxImportBytes(128))
	requireProblem(t, small.do(http.MethodPost, "/v1/customers", keyA, `{"name": "`+strings.Repeat("长", 30)+`"}`), http.StatusRequestEntityTooLarge, "body_too_large")
	assert.Equal(t, http.StatusCreated, small.do(http.MethodPost, "/v1/customers", keyA, `{"name": "王"}`).Code)
	requireProblem(t, small.do(http.MethodPost, "/v1/import", keyA, `{"customers": [{"external_id": "`+strings.Repeat("1", 130)+`"}]}`),
		http.StatusRequestEntityTooLarge, "body_too_large")
}

func TestRoutingProblems(t *testing.T) {
	e := newEnv(t)
	requireProblem(t, e.do(http.MethodGet, "/v1/nothing", keyA, nil), http.StatusNotFound, "route_not_found")
	requireProblem(t, e.do(http.MethodGet, "/v2/customers", "", nil), http.StatusNotFound, "route_not_found")
	requireProblem(t, e.do(http.MethodGet, "/v1/customers/", keyA, nil), http.StatusNotFound, "route_not_found")

	w := e.do(http.MethodDelete, "/v1/dealer", keyA, nil)
	requireProblem(t, w, http.StatusMethodNotAllowed, "method_not_allowed")
	assert.Contains(t, w.Header().Get("Allow"), "PATCH")
	assert.Contains(t, w.Header().Get("Allow"), "GET")
	w = e.do(http.MethodPut, "/v1/customers/x", keyA, obj{})
	requireProblem(t, w, http.StatusMethodNotAllowed, "method_not_allowed")
	assert.Contains(t, w.Header().Get("Allow"), "DELETE")
	requireProblem(t, e.do(http.MethodGet, "/v1/leads/x/convert", keyA, nil), http.StatusMethodNotAllowed, "method_not_allowed")
}

func TestMalformedBodies(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, body string
		field      string // named in errors, when any
	}{
		{"truncated", `{"name": "王`, ""},
		{"syntax", `{"name": 王}`, ""},
		{"empty", ``, ""},
		{"two values", `{"name": "a"} {"name": "b"}`, ""},
		{"trailing garbage", `{"name": "a"}]`, ""},
		{"unknown field", `{"name": "a", "nmae": "b"}`, "nmae"},
		{"unknown nested field", `{"name": "a", "region": {"town": "b"}}`, "region.town"},
		{"wrong type", `{"name": 12}`, "name"},
		{"wrong nested type", `{"name": "a", "region": {"city": 1}}`, "region.city"},
		{"bad date", `{"name": "a", "birthday": "1990/01/01"}`, "birthday"},
		{"array", `[]`, ""},
		{"null", `null`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			w := e.do(http.MethodPost, "/v1/customers", keyA, c.body)
			if c.name == "null" {
				// null decodes to an empty input: a validation error, not a crash.
				requireProblem(t, w, http.StatusUnprocessableEntity, "invalid")
				return
			}
			p := requireProblem(t, w, http.StatusBadRequest, "malformed_request")
			assert.NotEmpty(t, p["detail"])
			assert.NotContains(t, p["detail"], "httpapi.", "no Go type names")
			if c.field != "" {
				rule := "type"
				if strings.HasPrefix(c.name, "unknown") {
					rule = "unknown"
				}
				assert.Equal(t, map[string]string{c.field: rule}, problemFields(p), "%v", p)
				assert.Contains(t, p["detail"], c.field+": ")
			}
		})
	}
	// A bad value in a list, by its index.
	w := e.do(http.MethodPost, "/v1/vehicles", keyA, `{"vin": "LSVAM4187C2184847", "odometer": [{"date": "2026-01-05", "km": 100}, {"date": "yesterday", "km": 200}]}`)
	p := requireProblem(t, w, http.StatusBadRequest, "malformed_request")
	assert.Equal(t, map[string]string{"odometer[1].date": "type"}, problemFields(p))
	c := e.create(keyA, "customers", obj{"name": "王"})
	path := "/v1/customers/" + c["id"].(string)
	requireProblem(t, e.do(http.MethodPatch, path, keyA, `["name"]`), http.StatusBadRequest, "malformed_request")
	requireProblem(t, e.do(http.MethodPatch, path, keyA, `{"nmae": "b"}`), http.StatusBadRequest, "malformed_request")
	requireProblem(t, e.do(http.MethodPatch, path, keyA, `{"region": "上海"}`), http.StatusBadRequest, "malformed_request")

	w = e.do(http.MethodPost, "/v1/customers", keyA, `name=x`, "Content-Type", "application/x-www-form-urlencoded")
	requireProblem(t, w, http.StatusUnsupportedMediaType, "unsupported_media_type")
	w = e.do(http.MethodPost, "/v1/customers", keyA, `{"name": "x"}`, "Content-Type", "application/merge-patch+json")
	requireProblem(t, w, http.StatusUnsupportedMediaType, "unsupported_media_type")
	w = e.do(http.MethodPatch, path, keyA, `{"name": "x"}`, "Content-Type", "text/plain")
	requireProblem(t, w, http.StatusUnsupportedMediaType, "unsupported_media_type")
	assert.Contains(t, w.Header().Get("Accept-Patch"), "application/merge-patch+json")
	w = e.do(http.MethodPost, "/v1/customers", keyA, `{"name": "x"}`, "Content-Type", "application/json; charset=utf-8")
	assert.Equal(t, http.StatusCreated, w.Code)
}

func TestReadOnlyFields(t *testing.T) {
	e := newEnv(t)
	c := e.create(keyA, "customers", obj{"id": "mine", "dealer_id": "BJ02", "created_at": "2000-01-01T00:00:00Z", "name": "王"})
	assert.NotEqual(t, "mine", c["id"], "the server chooses IDs")
	assert.NotEqual(t, "2000-01-01T00:00:00Z", c["created_at"])
	path := "/v1/customers/" + c["id"].(string)

	// A client may send back what it read, with a change.
	c["occupation"] = "engineer"
	c["id"], c["dealer_id"] = "other", "BJ02"
	w := e.do(http.MethodPatch, path, keyA, c)
	require.Equal(t, http.StatusOK, w.Code, w.Body)
	got := decode(t, w)
	assert.Equal(t, "engineer", got["occupation"])
	assert.Equal(t, string(dealerA), got["dealer_id"])
	assert.NotEqual(t, "other", got["id"])

	p := requireProblem(t, e.do(http.MethodPost, "/v1/customers", keyA, obj{"name": "x", "consents": []obj{}}), http.StatusUnprocessableEntity, "invalid")
	assert.Equal(t, crm.RuleImmutable, problemFields(p)["consents"])
	w = e.do(http.MethodPatch, path, keyA, obj{"consents": nil, "name": "y"})
	assert.Equal(t, http.StatusOK, w.Code, "null for a derived field removes nothing, so it is accepted: %s", w.Body)

	p = requireProblem(t, e.do(http.MethodPost, "/v1/leads", keyA, obj{"name": "x", "source": "web", "status": "lost", "follow_ups": []obj{}}),
		http.StatusUnprocessableEntity, "invalid")
	assert.Equal(t, map[string]string{"status": crm.RuleImmutable, "follow_ups": crm.RuleImmutable}, problemFields(p))

	lead := e.create(keyA, "leads", obj{"name": "x", "source": "web"})
	lpath := "/v1/leads/" + lead["id"].(string)
	p = requireProblem(t, e.do(http.MethodPatch, lpath, keyA, obj{"level": "H"}), http.StatusUnprocessableEntity, "invalid")
	assert.Equal(t, crm.RuleImmutable, problemFields(p)["level"], "a level changes only through its route")
	p = requireProblem(t, e.do(http.MethodPatch, lpath, keyA, obj{"status": "lost"}), http.StatusUnprocessableEntity, "invalid")
	assert.Equal(t, crm.RuleImmutable, problemFields(p)["status"])
	p = requireProblem(t, e.do(http.MethodPost, lpath+"/convert", keyA, obj{"customer": obj{"consents": []obj{}}, "vehicle": obj{"vin": vin(1)}}),
		http.StatusUnprocessableEntity, "invalid")
	assert.Equal(t, crm.RuleImmutable, problemFields(p)["customer.consents"])

	p = requireProblem(t, e.do(http.MethodPatch, "/v1/dealer", keyA, obj{"group_id": "G1"}), http.StatusUnprocessableEntity, "invalid")
	assert.Equal(t, crm.RuleImmutable, problemFields(p)["group_id"])
}

func TestPatchSemantics(t *testing.T) {
	e := newEnv(t)
	c := e.create(keyA, "customers", obj{"name": "王", "hobbies": []string{"golf", "fishing"},
		"region": obj{"province": "浙江", "city": "杭州", "district": "西湖"}, "occupation": "doctor"})
	path := "/v1/customers/" + c["id"].(string)

	w := e.do(http.MethodPatch, path, keyA, `{"region": {"district": null, "city": "宁波"}, "occupation": null, "hobbies": ["tea"]}`,
		"Content-Type", "application/merge-patch+json")
	require.Equal(t, http.StatusOK, w.Code, w.Body)
	got := decode(t, w)
	assert.Equal(t, obj{"province": "浙江", "city": "宁波"}, got["region"], "objects merge member by member; null removes")
	assert.NotContains(t, got, "occupation", "null clears a field")
	assert.Equal(t, []any{"tea"}, got["hobbies"], "arrays are replaced whole")
	assert.Equal(t, "王", got["name"], "absent members are kept")

	p := requireProblem(t, e.do(http.MethodPatch, path, keyA, `{"name": null}`), http.StatusUnprocessableEntity, "invalid")
	assert.Equal(t, crm.RuleRequired, problemFields(p)["name"], "the patched record is validated again")

	w = e.do(http.MethodPatch, path, keyA, `{}`)
	require.Equal(t, http.StatusOK, w.Code, "an empty patch changes nothing: %s", w.Body)

	// A lunar birthday 农历生日 (issue 14): the option is read back, and
	// only its values are accepted.
	assert.NotContains(t, decode(t, w), "birthday_calendar", "no option: solar, as before")
	w = e.do(http.MethodPatch, path, keyA, obj{"birthday": "1990-10-03", "birthday_calendar": "lunar"})
	require.Equal(t, http.StatusOK, w.Code, w.Body)
	assert.Equal(t, "lunar", decode(t, w)["birthday_calendar"])
	p = requireProblem(t, e.do(http.MethodPatch, path, keyA, obj{"birthday_calendar": "chinese"}), http.StatusUnprocessableEntity, "invalid")
	assert.Equal(t, crm.RuleEnum, problemFields(p)["birthday_calendar"])

	// Complaint status follows its state machine.
	cp := e.create(keyA, "complaints", obj{"customer_id": c["id"], "category": "sales", "severity": "low", "opened": "2025-01-02"})
	cpath := "/v1/complaints/" + cp["id"].(string)
	requireProblem(t, e.do(http.MethodPatch, cpath, keyA, obj{"status": "closed"}), http.StatusConflict, "failed_precondition")
	w = e.do(http.MethodPatch, cpath, keyA, obj{"status": "resolved", "resolved": "2025-01-05"})
	require.Equal(t, http.StatusOK, w.Code, w.Body)
	requireProblem(t, e.do(http.MethodDelete, path, keyA, nil), http.StatusConflict, "failed_precondition")
}

func TestConsentAndDealer(t *testing.T) {
	e := newEnv(t)
	c := e.create(keyA, "customers", obj{"name": "王"})
	path := "/v1/customers/" + c["id"].(string) + "/consents"
	w := e.do(http.MethodPost, path, keyA, obj{"purpose": "marketing", "channel": "wechat", "granted": true, "source": "sales contract", "at": "2025-03-01T10:00:00Z"})
	require.Equal(t, http.StatusOK, w.Code, w.Body)
	got := decode(t, w)
	require.Len(t, got["consents"], 1)
	assert.Equal(t, true, got["consents"].([]any)[0].(obj)["granted"])
	// An older answer is ignored.
	w = e.do(http.MethodPost, path, keyA, obj{"purpose": "marketing", "channel": "wechat", "granted": false, "source": "call", "at": "2025-02-01T10:00:00Z"})
	require.Equal(t, http.StatusOK, w.Code, w.Body)
	assert.Equal(t, true, decode(t, w)["consents"].([]any)[0].(obj)["granted"])
	p := requireProblem(t, e.do(http.MethodPost, path, keyA, obj{"purpose": "spam", "granted": true}), http.StatusUnprocessableEntity, "invalid")
	assert.Equal(t, map[string]string{"purpose": "enum", "channel": "required", "source": "required"}, problemFields(p))

	w = e.do(http.MethodGet, "/v1/dealer", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code)
	d := decode(t, w)
	assert.Equal(t, "上海浦东 4S 店", d["name"])
	w = e.do(http.MethodPatch, "/v1/dealer", keyA, obj{"brands": []string{"Audi"}, "time_zone": "Asia/Shanghai", "id": "ignored"})
	require.Equal(t, http.StatusOK, w.Code, w.Body)
	d = decode(t, w)
	assert.Equal(t, []any{"Audi"}, d["brands"])
	assert.Equal(t, string(dealerA), d["id"])
	p = requireProblem(t, e.do(http.MethodPatch, "/v1/dealer", keyA, obj{"time_zone": "Mars/Olympus"}), http.StatusUnprocessableEntity, "invalid")
	assert.Equal(t, crm.RuleFormat, problemFields(p)["time_zone"])
	policy := crm.DefaultLeadPolicy()
	policy.CadenceDays[crm.LevelH] = 1
	w = e.do(http.MethodPatch, "/v1/dealer", keyA, obj{"lead_policy": policy})
	require.Equal(t, http.StatusOK, w.Code, w.Body)
	lp := decode(t, w)["lead_policy"].(obj)
	assert.EqualValues(t, 1, lp["cadence_days"].(obj)["H"])
}

func TestPublicRoutes(t *testing.T) {
	e := newEnv(t)
	w := e.do(http.MethodGet, "/healthz", "", nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"status":"ok"}`, w.Body.String())
	w = e.do(http.MethodGet, "/v1/openapi.json", "", nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	doc := decode(t, w)
	assert.Equal(t, "3.1.0", doc["openapi"])
}

// failingStore is a memory store whose customer reads fail with an error
// that mentions a phone number, as a careless driver error might.
type failingStore struct{ crm.Store }

func (s failingStore) Customers() crm.CustomerStore { return failingCustomers{s.Store.Customers()} }

type failingCustomers struct{ crm.CustomerStore }

func (failingCustomers) Get(context.Context, crm.DealerID, crm.CustomerID) (crm.Customer, error) {
	return crm.Customer{}, errors.New("driver: connection reset while reading row for 13800138000")
}

func (failingCustomers) List(context.Context, crm.DealerID, crm.CustomerFilter) (crm.Page[crm.Customer], error) {
	return crm.Page[crm.Customer]{}, dealercrm.Errorf(dealercrm.Unavailable, "database is restarting")
}

func TestInternalErrors(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{ReplaceAttr: httpapi.MaskAttr}))
	e := newEnvOn(t, failingStore{memory.New()}, httpapi.WithLogger(logger))
	p := requireProblem(t, e.do(http.MethodGet, "/v1/customers/c1", keyA, nil), http.StatusInternalServerError, "internal")
	assert.Equal(t, "internal error", p["detail"], "internal details stay in the log")
	assert.Contains(t, logs.String(), "connection reset", "the error is logged")
	assert.Contains(t, logs.String(), "138****8000", "masked")
	assert.NotContains(t, logs.String(), "13800138000")
	assert.Contains(t, logs.String(), `"route":"GET /v1/customers/{id}"`)

	requireProblem(t, e.do(http.MethodGet, "/v1/customers", keyA, nil), http.StatusServiceUnavailable, "unavailable")
}

func TestRequestLog(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{ReplaceAttr: httpapi.MaskAttr}))
	e := newEnv(t, httpapi.WithLogger(logger))
	e.create(keyA, "customers", obj{"name": "王", "mobile": "13800138000"})
	e.do(http.MethodGet, "/v1/customers?mobile=13800138000", keyA, nil)
	e.do(http.MethodGet, "/v1/customers", "", nil)
	e.do(http.MethodGet, "/nowhere", "", nil)

	var lines []obj
	for line := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
		var m obj
		require.NoError(t, json.Unmarshal([]byte(line), &m))
		lines = append(lines, m)
	}
	require.Len(t, lines, 4, "one line per request")
	assert.Equal(t, "POST /v1/customers", lines[0]["route"])
	assert.EqualValues(t, 201, lines[0]["status"])
	assert.Equal(t, string(dealerA), lines[0]["dealer"])
	assert.Equal(t, "GET /v1/customers", lines[1]["route"], "the route pattern, not the URL")
	assert.EqualValues(t, 401, lines[2]["status"])
	assert.Equal(t, "", lines[2]["dealer"])
	assert.EqualValues(t, 404, lines[3]["status"])
	for _, l := range lines {
		assert.Contains(t, l, "duration")
		assert.Equal(t, "http request", l["msg"])
	}
	assert.NotContains(t, logs.String(), keyA, "never the key")
	assert.NotContains(t, logs.String(), "13800138000", "never a phone number")
}

func TestConcurrentRequests(t *testing.T) {
	e := newEnv(t)
	c := e.create(keyA, "customers", obj{"name": "王"})
	path := "/v1/customers/" + c["id"].(string)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			e.do(http.MethodPatch, path, keyA, obj{"region": obj{"district": "d" + string(rune('a'+i))}})
			e.do(http.MethodGet, path, keyA, nil)
			e.do(http.MethodGet, "/v1/customers", keyB, nil)
		})
	}
	wg.Wait()
	w := e.do(http.MethodGet, path, keyA, nil)
	require.Equal(t, http.StatusOK, w.Code)
}

func TestNewServer(t *testing.T) {
	srv := httpapi.NewServer(":0", http.NotFoundHandler())
	assert.Equal(t, ":0", srv.Addr)
	assert.Positive(t, srv.ReadHeaderTimeout)
	assert.Positive(t, srv.ReadTimeout)
	assert.Positive(t, srv.WriteTimeout)
	assert.Positive(t, srv.IdleTimeout)
	assert.Positive(t, srv.MaxHeaderBytes)
}

func TestCustomerExportAndErase(t *testing.T) {
	e := newEnv(t)
	a := e.create(keyA, "customers", obj{"name": "王伟", "mobile": "13912345678", "hobbies": []string{"钓鱼"}})
	path := "/v1/customers/" + a["id"].(string)

	requireProblem(t, e.do(http.MethodGet, path+"/export", keyB, nil), http.StatusNotFound, "not_found")
	requireProblem(t, e.do(http.MethodPost, path+"/erase", keyB, nil), http.StatusNotFound, "not_found")

	w := e.do(http.MethodGet, path+"/export", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	x := decode(t, w)
	assert.Equal(t, "13912345678", x["customer"].(map[string]any)["mobile"])
	assert.Contains(t, x, "service_orders")

	w = e.do(http.MethodPost, path+"/erase", keyA, nil)
	require.Equal(t, http.StatusNoContent, w.Code, w.Body.String())
	got := decode(t, e.do(http.MethodGet, path, keyA, nil))
	assert.Equal(t, crm.ErasedName, got["name"])
	assert.NotContains(t, got, "mobile", "the mobile number is gone")
	assert.NotContains(t, got, "hobbies")
}

// newEnvAt is newEnv with the crm service's clock fixed at now.
func newEnvAt(t *testing.T, now time.Time) *env {
	t.Helper()
	svc := crm.NewService(memory.New(), crm.WithClock(func() time.Time { return now }))
	for _, d := range []crm.Dealer{{ID: dealerA, Name: "上海浦东 4S 店"}, {ID: dealerB, Name: "北京朝阳 4S 店"}} {
		_, err := svc.CreateDealer(context.Background(), d)
		require.NoError(t, err, "create dealer %s", d.ID)
	}
	return &env{t: t, svc: svc, h: httpapi.NewHandler(svc, httpapi.WithAPIKeys(map[string]crm.DealerID{keyA: dealerA, keyB: dealerB}))}
}

// rulesNow is 2025-06-01 10:00 in Shanghai, the dealers' zone.
var rulesNow = time.Date(2025, 6, 1, 2, 0, 0, 0, time.UTC)

// TestPlausibleInputOverHTTP: SPEC §0 plausible input holds over HTTP: a
// date of a past event after the dealer's today (2025-06-01) and the issue's
// absurd values (labour of 1e400, an odometer of 9223372036854775807) are
// 422 naming the field and the rule.
func TestPlausibleInputOverHTTP(t *testing.T) {
	e := newEnvAt(t, rulesNow)
	fx := e.fixtures(keyA)
	order := obj{"vehicle_id": fx.vehicle, "date": "2025-06-01", "kind": "repair", "payer": "customer", "labour": "10000000", "odometer_km": 2000000}
	e.create(keyA, "service-orders", order)

	with := func(k string, v any) obj {
		o := obj{}
		for key, val := range order {
			o[key] = val
		}
		o[k] = v
		return o
	}
	for _, c := range []struct {
		body  any
		field string
		rule  string
	}{
		{with("date", "2025-06-02"), "date", crm.RuleFuture},
		{with("closed_date", "9999-12-31"), "closed_date", crm.RuleFuture},
		{`{"vehicle_id": "` + fx.vehicle + `", "date": "2025-06-01", "kind": "repair", "payer": "customer", "labour": 1e400}`, "labour", crm.RuleMax},
		{with("parts", "10000000.01"), "parts", crm.RuleMax},
		{`{"vehicle_id": "` + fx.vehicle + `", "date": "2025-06-01", "kind": "repair", "payer": "customer", "odometer_km": 9223372036854775807}`, "odometer_km", crm.RuleMax},
	} {
		w := e.do(http.MethodPost, "/v1/service-orders", keyA, c.body)
		p := requireProblem(t, w, http.StatusUnprocessableEntity, "invalid")
		assert.Equal(t, c.rule, problemFields(p)[c.field], "%s: %s", c.field, w.Body)
	}
	w := e.do(http.MethodPost, "/v1/sales", keyA, obj{"vehicle_id": fx.vehicle, "customer_id": fx.customer, "date": "2025-06-02", "gross_profit": "-10000000.01"})
	fields := problemFields(requireProblem(t, w, http.StatusUnprocessableEntity, "invalid"))
	assert.Equal(t, crm.RuleFuture, fields["date"])
	assert.Equal(t, crm.RuleMax, fields["gross_profit"])
	w = e.do(http.MethodPatch, "/v1/customers/"+fx.customer, keyA, obj{"birthday": "1899-12-31"})
	assert.Equal(t, crm.RuleMin, problemFields(requireProblem(t, w, http.StatusUnprocessableEntity, "invalid"))["birthday"])
	w = e.do(http.MethodPost, "/v1/customers/"+fx.customer+"/consents", keyA, obj{"purpose": "marketing", "channel": "sms", "granted": true,
		"source": "form", "at": "2025-06-02T00:30:00+08:00"})
	assert.Equal(t, crm.RuleFuture, problemFields(requireProblem(t, w, http.StatusUnprocessableEntity, "invalid"))["consents[0].at"],
		"a consent dated tomorrow would outrank every later answer")

	// An exponent of 400,000,000 is refused by the decimal decoder itself
	// (shopspring/decimal's MaxDecodeExponent, 10,000) before any number is
	// built: 400, at once.
	start := time.Now()
	w = e.do(http.MethodPost, "/v1/service-orders", keyA, `{"vehicle_id": "`+fx.vehicle+`", "date": "2025-06-01", "kind": "repair", "payer": "customer", "labour": 1e400000000}`)
	requireProblem(t, w, http.StatusBadRequest, "malformed_request")
	assert.Less(t, time.Since(start), time.Second)
}

// TestLeadWindowsOverHTTP: SPEC §1.1 over HTTP. On 2025-06-01 a lead
// expected to close on 2025-06-21 is B; a patch of the date to 2025-06-04
// makes it H; a follow-up that sets 2025-08-15 makes it C.
func TestLeadWindowsOverHTTP(t *testing.T) {
	e := newEnvAt(t, rulesNow)
	l := e.create(keyA, "leads", obj{"name": "赵敏", "source": "web", "expected_close": "2025-06-21"})
	assert.Equal(t, "B", l["level"], "20 days out")
	base := "/v1/leads/" + l["id"].(string)

	w := e.do(http.MethodPatch, base, keyA, obj{"expected_close": "2025-06-04"})
	require.Equal(t, http.StatusOK, w.Code, w.Body)
	assert.Equal(t, "H", decode(t, w)["level"], "3 days out")

	w = e.do(http.MethodPost, base+"/follow-ups", keyA, obj{"channel": "phone", "expected_close": "2025-08-15"})
	require.Equal(t, http.StatusOK, w.Code, w.Body)
	got := decode(t, w)
	assert.Equal(t, "C", got["level"], "75 days out")
	assert.Equal(t, "2025-08-15", got["expected_close"])

	w = e.do(http.MethodPost, base+"/level", keyA, obj{"level": "H"})
	p := requireProblem(t, w, http.StatusUnprocessableEntity, "invalid")
	assert.Equal(t, crm.RuleWindow, problemFields(p)["level"], "H disagrees with a date 75 days out")
	w = e.do(http.MethodPost, "/v1/leads", keyA, obj{"name": "x", "source": "web", "level": "H", "expected_close": "2025-06-21"})
	assert.Equal(t, crm.RuleWindow, problemFields(requireProblem(t, w, http.StatusUnprocessableEntity, "invalid"))["level"])

	// An invalid transition says from, to and what is allowed.
	w = e.do(http.MethodPost, base+"/level", keyA, obj{"level": "D"})
	p = requireProblem(t, w, http.StatusConflict, "failed_precondition")
	assert.Contains(t, p["detail"], "C → D (allowed from C: H, A, B, C, N, O)")
}

// TestLostDecisionByRequesterOverHTTP: SPEC §9 — the requester of a lost
// request cannot decide it: 403 permission_denied, the request still pending.
func TestLostDecisionByRequesterOverHTTP(t *testing.T) {
	e := newEnvAt(t, rulesNow)
	l := e.create(keyA, "leads", obj{"name": "赵敏", "source": "web"})
	base := "/v1/leads/" + l["id"].(string)
	w := e.do(http.MethodPost, base+"/lost-request", keyA, obj{"reason": "no_budget"})
	assert.Equal(t, crm.RuleRequired, problemFields(requireProblem(t, w, http.StatusUnprocessableEntity, "invalid"))["requested_by"])
	w = e.do(http.MethodPost, base+"/lost-request", keyA, obj{"reason": "no_budget", "requested_by": "S01"})
	require.Equal(t, http.StatusOK, w.Code, w.Body)

	requireProblem(t, e.do(http.MethodPost, base+"/lost-decision", keyA, obj{"decision": "approved", "decided_by": "S01"}), http.StatusForbidden, "permission_denied")
	w = e.do(http.MethodPost, base+"/lost-decision", keyA, obj{"decision": "approved"})
	assert.Equal(t, crm.RuleRequired, problemFields(requireProblem(t, w, http.StatusUnprocessableEntity, "invalid"))["decided_by"])
	got := decode(t, e.do(http.MethodGet, base, keyA, nil))
	assert.Equal(t, "open", got["status"], "still open, the request pending")

	w = e.do(http.MethodPost, base+"/lost-decision", keyA, obj{"decision": "approved", "decided_by": "M01"})
	require.Equal(t, http.StatusOK, w.Code, w.Body)
	assert.Equal(t, "lost", decode(t, w)["status"])
}
