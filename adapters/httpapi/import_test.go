package httpapi_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 12, defect 10: the import is decoded record by record, capped in
// records, list entries and record size, and a rejected batch lists the
// first 100 field errors with their total.

// customersBody is an import of n customers, record(i) each.
func customersBody(n int, record func(i int) string) string {
	var b strings.Builder
	b.WriteString(`{"customers": [`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(record(i))
	}
	b.WriteString("]}")
	return b.String()
}

func TestImportListsFirstHundredErrors(t *testing.T) {
	e := newEnv(t)
	// 1,000 customers, each without a name and with a bad mobile.
	body := customersBody(1000, func(i int) string { return fmt.Sprintf(`{"external_id": "C%04d", "mobile": "1"}`, i) })
	w := e.do(http.MethodPost, "/v1/import", keyA, body)
	p := requireProblem(t, w, http.StatusUnprocessableEntity, "invalid")
	errs := p["errors"].([]any)
	require.Len(t, errs, 100, "the first 100 field errors")
	assert.Equal(t, obj{"field": "customers[0].name", "rule": "required", "message": "is required"}, errs[0])
	assert.Equal(t, "customers[49].mobile", errs[99].(obj)["field"])
	assert.EqualValues(t, 2000, p["total_errors"], "and the count of all")
	assert.Less(t, w.Body.Len(), 16<<10, "a short answer")

	// A short list has no total.
	p = requireProblem(t, e.do(http.MethodPost, "/v1/import", keyA, customersBody(2, func(i int) string { return `{"external_id": "X` + fmt.Sprint(i) + `"}` })),
		http.StatusUnprocessableEntity, "invalid")
	assert.Len(t, p["errors"], 2)
	assert.NotContains(t, p, "total_errors")
}

func TestImportCapsRecordsPerBatch(t *testing.T) {
	svc := crm.NewService(memory.New(), crm.WithMaxImportRecords(3))
	_, err := svc.CreateDealer(context.Background(), crm.Dealer{ID: dealerA, Name: "上海浦东 4S 店"})
	require.NoError(t, err)
	e := &env{t: t, svc: svc, h: httpapi.NewHandler(svc, httpapi.WithAPIKeys(map[string]crm.DealerID{keyA: dealerA}))}

	ok := `{"customers": [{"external_id": "C1", "name": "甲"}, {"external_id": "C2", "name": "乙"}],` +
		` "vehicles": [{"external_id": "V1", "vin": "` + vin(1) + `", "model": "A4L", "owner_id": "C1"}]}`
	w := e.do(http.MethodPost, "/v1/import", keyA, ok)
	require.Equal(t, http.StatusOK, w.Code, "three records fit: %s", w.Body)

	// The fourth record, the second vehicle, passes the cap; the rest of
	// the body is not read.
	over := strings.TrimSuffix(ok, "]}") + `, {"external_id": "V2", "vin": "` + vin(2) + `", "model": "A4L"}], "leads": [` +
		strings.Repeat(`{"external_id": "L", "name": "x"},`, 1000) + `{}]}`
	p := requireProblem(t, e.do(http.MethodPost, "/v1/import", keyA, over), http.StatusRequestEntityTooLarge, "body_too_large")
	assert.Equal(t, map[string]string{"vehicles": crm.RuleMax}, problemFields(p), "names the section")
	assert.Contains(t, p["detail"], "at most 3 records")

	// A cap as large as an int leaves the list entries unbounded too.
	huge := crm.NewService(memory.New(), crm.WithMaxImportRecords(math.MaxInt))
	_, err = huge.CreateDealer(context.Background(), crm.Dealer{ID: dealerA, Name: "上海浦东 4S 店"})
	require.NoError(t, err)
	he := &env{t: t, svc: huge, h: httpapi.NewHandler(huge, httpapi.WithAPIKeys(map[string]crm.DealerID{keyA: dealerA}))}
	w = he.do(http.MethodPost, "/v1/import", keyA, `{"customers": [{"external_id": "C1", "name": "甲", "hobbies": ["golf", "tea"]}]}`)
	require.Equal(t, http.StatusOK, w.Code, "%s", w.Body)

	// The default is crm.DefaultMaxImportRecords.
	def := newEnv(t)
	p = requireProblem(t, def.do(http.MethodPost, "/v1/import", keyA,
		customersBody(crm.DefaultMaxImportRecords+1, func(i int) string { return `{}` })), http.StatusRequestEntityTooLarge, "body_too_large")
	assert.Equal(t, map[string]string{"customers": crm.RuleMax}, problemFields(p))
}

func TestImportCapsListEntriesAndRecordSize(t *testing.T) {
	e := newEnv(t, httpapi.WithMaxBodyBytes(4<<10))
	budget := crm.DefaultMaxImportRecords * httpapi.ImportListEntriesPerRecord
	// Empty consents cost 3 bytes each in JSON and far more in memory: the
	// batch's lists together hold at most budget entries.
	per := 1000
	body := customersBody(budget/per+1, func(i int) string {
		return `{"external_id": "C` + fmt.Sprint(i) + `", "name": "x", "consents": [` + strings.TrimSuffix(strings.Repeat("{},", per), ",") + `]}`
	})
	p := requireProblem(t, e.do(http.MethodPost, "/v1/import", keyA, body), http.StatusRequestEntityTooLarge, "body_too_large")
	assert.Equal(t, map[string]string{fmt.Sprintf("customers[%d]", budget/per): crm.RuleMax}, problemFields(p), "names the record")

	// A record is at most as large as the body of a single create.
	big := customersBody(2, func(i int) string { return `{"external_id": "C", "name": "` + strings.Repeat("x", i*5<<10) + `"}` })
	p = requireProblem(t, e.do(http.MethodPost, "/v1/import", keyA, big), http.StatusRequestEntityTooLarge, "body_too_large")
	assert.Equal(t, map[string]string{"customers[1]": crm.RuleMax}, problemFields(p))
	assert.Contains(t, p["detail"], "4096 bytes")
}

func TestImportDecodeErrorsNameTheRecord(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, body, field, rule string
		status                  int
	}{
		{"unknown section", `{"customers": [], "cars": []}`, "cars", "unknown", 400},
		{"unknown field", `{"customers": [{"external_id": "C1", "name": "x"}, {"external_id": "C2", "nmae": "y"}]}`, "customers[1].nmae", "unknown", 400},
		{"wrong type", `{"vehicles": [{"external_id": "V1", "vin": 12}]}`, "vehicles[0].vin", "type", 400},
		{"bad date", `{"sales": [{"external_id": "S1", "date": "2025/01/01"}]}`, "sales[0].date", "type", 400},
		{"record not an object", `{"customers": [{"external_id": "C1", "name": "x"}, 7]}`, "customers[1]", "type", 400},
		{"section not an array", `{"customers": {"external_id": "C1"}}`, "customers", "type", 400},
		{"section twice", `{"customers": [], "customers": []}`, "customers", crm.RuleUnique, 400},
		{"NUL in a record", `{"customers": [{"external_id": "C1", "name": "a\u0000b"}]}`, "customers[0].name", crm.RuleText, 400},
		{"invalid UTF-8", "{\"customers\": [{\"external_id\": \"C1\", \"region\": {\"city\": \"\xff\"}}]}", "customers[0].region.city", crm.RuleText, 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := requireProblem(t, e.do(http.MethodPost, "/v1/import", keyA, c.body), c.status, "malformed_request")
			assert.Equal(t, map[string]string{c.field: c.rule}, problemFields(p))
			assert.True(t, strings.HasPrefix(p["detail"].(string), c.field+": "), "detail %q names the field", p["detail"])
		})
	}
	for _, body := range []string{``, `[]`, `{"customers": [}`, `{"customers": []} {}`, `{"customers": [{"external_id": "C1"`} {
		requireProblem(t, e.do(http.MethodPost, "/v1/import", keyA, body), http.StatusBadRequest, "malformed_request")
	}
	// null and {} are empty batches.
	for _, body := range []string{`null`, `{}`, `{"customers": null}`} {
		w := e.do(http.MethodPost, "/v1/import", keyA, body)
		require.Equal(t, http.StatusOK, w.Code, "%s: %s", body, w.Body)
		assert.Equal(t, obj{"created": 0.0, "updated": 0.0, "unchanged": 0.0}, decode(t, w)["counts"])
	}
}
