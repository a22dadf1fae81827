package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTestHandler(t *testing.T) *handler {
	t.Helper()
	h, ok := NewHandler(crm.NewService(nil)).(*handler)
	require.True(t, ok)
	return h
}

func TestOpenAPIDocument(t *testing.T) {
	h := newTestHandler(t)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(h.openapi, &doc))
	assert.Equal(t, "3.1.0", doc["openapi"])
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)

	// Every $ref resolves.
	refs := regexp.MustCompile(`"\$ref":"#/components/(schemas|responses)/([^"]+)"`).FindAllStringSubmatch(string(h.openapi), -1)
	require.NotEmpty(t, refs)
	comps := doc["components"].(map[string]any)
	for _, r := range refs {
		assert.Contains(t, comps[r[1]], r[2], "$ref %s/%s resolves", r[1], r[2])
	}

	ops := map[string]map[string]any{}
	for path, m := range doc["paths"].(map[string]any) {
		for method, op := range m.(map[string]any) {
			ops[strings.ToUpper(method)+" "+path] = op.(map[string]any)
		}
	}
	ids := map[string]bool{}
	for name, op := range ops {
		id := op["operationId"].(string)
		assert.False(t, ids[id], "operationId %s is unique", id)
		ids[id] = true
		responses := op["responses"].(map[string]any)
		assert.Contains(t, responses, "default", "%s documents problem responses", name)
		public := strings.HasSuffix(name, "/healthz") || strings.HasSuffix(name, "/openapi.json")
		if !public {
			assert.Contains(t, responses, "401", "%s needs a key", name)
		} else {
			assert.Equal(t, []any{}, op["security"], "%s is public", name)
		}
	}

	// Query parameters of a list route come from its filter.
	params := map[string]bool{}
	for _, p := range ops["GET /v1/leads"]["parameters"].([]any) {
		params[p.(map[string]any)["name"].(string)] = true
	}
	assert.Equal(t, map[string]bool{"status": true, "levels": true, "consultant_id": true, "customer_id": true,
		"source": true, "limit": true, "after": true}, params)

	// Request schemas are strict and mark read-only fields.
	in := schemas["LeadInput"].(map[string]any)
	assert.Equal(t, false, in["additionalProperties"])
	props := in["properties"].(map[string]any)
	assert.Equal(t, true, props["status"].(map[string]any)["readOnly"])
	assert.Equal(t, true, props["id"].(map[string]any)["readOnly"])
	assert.Equal(t, map[string]any{"$ref": "#/components/schemas/IntentLevel"}, props["level"])

	// Money is a string in responses; the schema says so.
	dec := schemas["Decimal"].(map[string]any)
	assert.Equal(t, []any{"string", "number"}, dec["type"])
	price := schemas["Vehicle"].(map[string]any)["properties"].(map[string]any)["price"]
	assert.Equal(t, map[string]any{"$ref": "#/components/schemas/Decimal"}, price)

	// The problem schema lists every code of the status table.
	code := schemas["Problem"].(map[string]any)["properties"].(map[string]any)["code"].(map[string]any)
	assert.Len(t, code["enum"], len(statusOf))
	assert.Contains(t, ops["POST /v1/leads/{id}/convert"]["responses"], "201")
	assert.Contains(t, ops["POST /v1/leads/{id}/convert"]["responses"].(map[string]any)["201"].(map[string]any)["headers"], "Location")
}

// TestInputsCoverRecords checks that every JSON field of a record is, in
// its request type, writable, server-set or derived: a field added to a
// crm entity must be handled here too.
func TestInputsCoverRecords(t *testing.T) {
	cases := []struct {
		record, input reflect.Type
	}{
		{reflect.TypeFor[crm.Customer](), reflect.TypeFor[customerInput]()},
		{reflect.TypeFor[crm.Lead](), reflect.TypeFor[leadInput]()},
		{reflect.TypeFor[crm.Vehicle](), reflect.TypeFor[vehicleInput]()},
		{reflect.TypeFor[crm.Sale](), reflect.TypeFor[saleInput]()},
		{reflect.TypeFor[crm.ServiceOrder](), reflect.TypeFor[serviceOrderInput]()},
		{reflect.TypeFor[crm.InsurancePolicy](), reflect.TypeFor[policyInput]()},
		{reflect.TypeFor[crm.Interaction](), reflect.TypeFor[interactionInput]()},
		{reflect.TypeFor[crm.Complaint](), reflect.TypeFor[complaintInput]()},
		{reflect.TypeFor[crm.EventParticipation](), reflect.TypeFor[participationInput]()},
		{reflect.TypeFor[crm.Dealer](), reflect.TypeFor[dealerInput]()},
	}
	for _, c := range cases {
		t.Run(c.record.Name(), func(t *testing.T) {
			rec, in := jsonFields(c.record), jsonFields(c.input)
			assert.Equal(t, rec, in, "the request type has exactly the record's JSON fields")
		})
	}
}

func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Tag.Get("json") == "" {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		if name := jsonName(f); name != "-" && f.IsExported() {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// TestViewApplyRoundTrip checks that view and apply copy every writable
// field: a record rebuilt from its view equals the original but for the
// server-set and derived fields.
func TestViewApplyRoundTrip(t *testing.T) {
	c := crm.Customer{ID: "c1", Name: "王", Mobile: "13800138000", Kind: crm.Company, Gender: crm.Male,
		Region: crm.Region{City: "上海"}, Hobbies: []string{"golf"}, Occupation: "o", Industry: "i", IncomeBand: "b",
		Source: crm.SourceWeb, ConsultantID: "s", AdvisorID: "a", FamilyStage: crm.Couple}
	c.ExternalID = "E1"
	in := customerView(&c)
	var back crm.Customer
	in.apply(&back)
	back.ID = c.ID
	assert.Equal(t, c, back)

	v := crm.Vehicle{VIN: "V", Plate: "P", Brand: "B", Model: "M", Trim: "T", OwnerID: "o",
		Odometer: []crm.OdometerReading{{KM: 1}}}
	vin := vehicleView(&v)
	var vb crm.Vehicle
	vin.apply(&vb)
	assert.Equal(t, v, vb)
}

// TestMergePatchRFC7396 runs the examples of RFC 7396, Appendix A.
func TestMergePatchRFC7396(t *testing.T) {
	cases := []struct{ target, patch, want string }{
		{`{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`},
		{`{"a":"b"}`, `{"a":null}`, `{}`},
		{`{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`},
		{`{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`},
		{`{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`},
		{`{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`},
		{`["a","b"]`, `["c","d"]`, `["c","d"]`},
		{`{"a":"b"}`, `["c"]`, `["c"]`},
		{`{"a":"foo"}`, `null`, `null`},
		{`{"a":"foo"}`, `"bar"`, `"bar"`},
		{`{"e":null}`, `{"a":1}`, `{"e":null,"a":1}`},
		{`[1,2]`, `{"a":"b","c":null}`, `{"a":"b"}`},
		{`{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`},
	}
	for _, c := range cases {
		t.Run(c.patch, func(t *testing.T) {
			var target, patch any
			require.NoError(t, json.Unmarshal([]byte(c.target), &target))
			require.NoError(t, json.Unmarshal([]byte(c.patch), &patch))
			before, _ := json.Marshal(patch)
			got, err := json.Marshal(mergePatch(target, patch))
			require.NoError(t, err)
			assert.JSONEq(t, c.want, string(got))
			after, _ := json.Marshal(patch)
			assert.Equal(t, before, after, "the patch itself is not changed")
		})
	}
}

func TestMaskString(t *testing.T) {
	cases := []struct{ in, want string }{
		{"13800138000", "138****8000"},
		{"call 13800138000 now", "call 138****8000 now"},
		{"138 0013 8000", "138****8000"},
		{"138-0013-8000 and 13912345678", "138****8000 and 139****5678"},
		{"+8613800138000", "+86*******8000"},
		{"+86 138 0013 8000", "+86*******8000"},
		{"008613800138000", "008********8000"},
		{"+44 20 7946 0958", "+44******0958"},
		{"in 2025 13800138000", "in 2025 138****8000"},
		{"ts 1732300000000", "ts 1732300000000"},         // 13 digits, not 86…: a timestamp
		{"order 913800138000", "order 913800138000"},     // glued to another digit
		{"2025-03-10T09:00:00Z", "2025-03-10T09:00:00Z"}, // a date
		{"01a209ed-1d8a-7000-b1bf-009c9c3f00fd", "01a209ed-1d8a-7000-b1bf-009c9c3f00fd"},
		{"12800138000", "12800138000"}, // 12… is not a mobile prefix
		{"price 298000.00", "price 298000.00"},
		{"a+", "a+"},
		{"", ""},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, maskString(c.in), "maskString(%q)", c.in)
	}
}

func TestProblemStatusTable(t *testing.T) {
	// Every code maps to an error status, and the table is the only source.
	for code, status := range statusOf {
		assert.GreaterOrEqual(t, status, 400, code)
		w := httptest.NewRecorder()
		h := newTestHandler(t)
		h.writeProblem(w, httptest.NewRequest(http.MethodGet, "/x", nil), &apiError{code: code, detail: "d"})
		assert.Equal(t, status, w.Code, code)
		var p problem
		require.NoError(t, json.NewDecoder(bytes.NewReader(w.Body.Bytes())).Decode(&p))
		assert.Equal(t, code, p.Code)
	}
}
