package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDuplicatesAndMerge: one person entered twice (王小明 as
// "139 0000 1111" and "+86 139-0000-1111") shows as a candidate pair,
// named by name and mobile, the number masked; merging the second into
// the first moves its vehicle, answers 200 with what moved, and leaves
// the second saying where it went; repeating the merge changes nothing;
// the pair is no candidate any more; a consultant may not merge.
func TestDuplicatesAndMerge(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			store, pg := be.open(t)
			s := newStack(t, be.name, store, pg, 10)
			runMerge(t, s)
		})
	}
}

func runMerge(t *testing.T, s *stack) {
	a := s.a
	send := func(method, path string, body any, want int) map[string]any {
		t.Helper()
		var raw []byte
		if body != nil {
			var err error
			raw, err = json.Marshal(body)
			require.NoError(t, err)
		}
		code, out := s.send(t, a, method, path, raw)
		require.Equal(t, want, code, "%s %s: %s", method, path, out)
		var v map[string]any
		require.NoError(t, json.Unmarshal(out, &v), "%s", out)
		return v
	}
	first := send(http.MethodPost, "/v1/customers", map[string]any{"name": "王小明", "mobile": "139 0000 1111"}, http.StatusCreated)["id"].(string)
	second := send(http.MethodPost, "/v1/customers", map[string]any{"name": "王 小明", "mobile": "+86 139-0000-1111"}, http.StatusCreated)["id"].(string)
	send(http.MethodPost, "/v1/vehicles", map[string]any{"vin": testVIN(9101), "owner_id": second, "brand": "天澜", "model": "SUV",
		"price": "150000", "purchase_date": s.today.AddDays(-3).String()}, http.StatusCreated)

	pair := func() map[string]any {
		t.Helper()
		after := ""
		for {
			page := send(http.MethodGet, "/v1/customers/duplicates?reason=name_mobile&limit=1000&after="+url.QueryEscape(after), nil, http.StatusOK)
			items, _ := page["items"].([]any)
			for _, it := range items {
				c := it.(map[string]any)
				if (c["a"] == first && c["b"] == second) || (c["a"] == second && c["b"] == first) {
					return c
				}
			}
			next, _ := page["next"].(string)
			if next == "" {
				return nil
			}
			after = next
		}
	}
	c := pair()
	require.NotNil(t, c, "the two entries of 王小明 are a candidate pair")
	assert.Equal(t, float64(90), c["score"])
	assert.Equal(t, []any{map[string]any{"reason": "name_mobile", "value": "139****1111"}}, c["matches"], "the reason, the number masked")

	res := send(http.MethodPost, "/v1/customers/"+first+"/merge", map[string]any{"merged_id": second}, http.StatusOK)
	moved, _ := res["moved"].(map[string]any)
	assert.Equal(t, float64(1), moved["vehicles"], "the vehicle moved: %v", res)
	merged := send(http.MethodGet, "/v1/customers/"+second, nil, http.StatusOK)
	assert.Equal(t, first, merged["merged_into"], "the merged customer says where it went")
	vehicles := send(http.MethodGet, "/v1/vehicles?owner_id="+first, nil, http.StatusOK)
	assert.Len(t, vehicles["items"], 1)

	again := send(http.MethodPost, "/v1/customers/"+first+"/merge", map[string]any{"merged_id": second}, http.StatusOK)
	assert.Equal(t, true, again["repeated"], "a repeated merge is answered, not refused")
	assert.Nil(t, pair(), "a merged customer is no candidate")

	bad := send(http.MethodPost, "/v1/customers/"+first+"/merge", map[string]any{"merged_id": first}, http.StatusUnprocessableEntity)
	errs, _ := bad["errors"].([]any)
	require.Len(t, errs, 1, "%v", bad)
	assert.Equal(t, "merged_id", errs[0].(map[string]any)["field"], "a customer is not merged into itself")
	refused := send(http.MethodPost, "/v1/customers/"+second+"/merge", map[string]any{"merged_id": first}, http.StatusConflict)
	assert.Equal(t, "failed_precondition", refused["code"], "nothing is merged into a merged customer")
	send(http.MethodGet, "/v1/customers/duplicates?reason=shoe_size", nil, http.StatusUnprocessableEntity)

	third := send(http.MethodPost, "/v1/customers", map[string]any{"name": "李四", "mobile": "13900002222"}, http.StatusCreated)["id"].(string)
	code, out := s.sendKey(t, s.roleKeys[crm.RoleConsultant], http.MethodPost, "/v1/customers/"+first+"/merge", []byte(`{"merged_id": "`+third+`"}`))
	assert.Equal(t, http.StatusForbidden, code, "merging needs customers.merge: %s", out)
}
