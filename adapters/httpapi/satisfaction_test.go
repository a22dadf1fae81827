package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/satisfaction"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newSatisfactionEnv is an env with the satisfaction routes on the memory
// backend; dissatisfied responses open crm complaints.
func newSatisfactionEnv(t testing.TB) *env {
	t.Helper()
	store := memory.New()
	svc := crm.NewService(store)
	ssvc, err := satisfaction.NewService(memory.NewSatisfactionStore(),
		satisfaction.WithRecords(svc), satisfaction.WithFollowUps(satisfaction.CRMComplaints{CRM: svc}))
	require.NoError(t, err)
	return newEnvOn(t, store, httpapi.WithSatisfaction(ssvc))
}

// problemMessage returns the message of field in a problem's errors.
func problemMessage(p obj, field string) string {
	errs, _ := p["errors"].([]any)
	for _, e := range errs {
		if m := e.(obj); m["field"] == field {
			return m["message"].(string)
		}
	}
	return ""
}

func decodeAs[T any](t testing.TB, body []byte) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(body, &v), "%s", body)
	return v
}

// saatyHouse is the house matrix of Saaty (1990), "How to make a decision:
// The analytic hierarchy process", EJOR 48, 9–26, in JSON with fraction
// strings, as satisfaction's TestWeighSaatyHouse uses it.
const saatyHouse = `[
	[1, 5, 3, 7, 6, 6, "1/3", "1/4"],
	["1/5", 1, "1/3", 5, 3, 3, "1/5", "1/7"],
	["1/3", 3, 1, 6, 3, 4, 6, "1/5"],
	["1/7", "1/5", "1/6", 1, "1/3", "1/4", "1/7", "1/8"],
	["1/6", "1/3", "1/3", 3, 1, "1/2", "1/5", "1/6"],
	["1/6", "1/3", "1/4", 4, 2, 1, "1/5", "1/6"],
	[3, 5, "1/6", 7, 5, 5, 1, "1/2"],
	[4, 7, 5, 8, 6, 6, 2, 1]]`

const houseLabels = `["size", "transportation", "neighborhood", "age", "yard", "facilities", "condition", "financing"]`

func TestAHPWeightsRoute(t *testing.T) {
	e := newSatisfactionEnv(t)

	t.Run("Saaty 1990 house, threshold raised", func(t *testing.T) {
		w := e.do(http.MethodPost, "/v1/ahp/weights", keyA, `{"matrix": `+saatyHouse+`, "labels": `+houseLabels+`, "config": {"threshold": 0.5}}`)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		r := decodeAs[satisfaction.Result](t, w.Body.Bytes())
		for i, want := range []float64{0.173, 0.054, 0.188, 0.018, 0.031, 0.036, 0.167, 0.333} {
			assert.InDelta(t, want, r.Weights[i], 0.001, "weight %d (Saaty 1990)", i)
		}
		assert.InDelta(t, 9.669, r.LambdaMax, 0.001)
		assert.InDelta(t, 0.238, r.CI, 0.001)
		assert.InDelta(t, 0.169, r.CR, 0.001)
		assert.Equal(t, "neighborhood", r.Labels[2])
	})

	t.Run("Saaty 2008 drinks (AHPy README), upper triangle only", func(t *testing.T) {
		body := `{"matrix": [
			[1, 9, 5, 2, 1, 1, "1/2"],
			[null, 1, "1/3", "1/9", "1/9", "1/9", "1/9"],
			[null, null, 1, "1/3", "1/4", "1/3", "1/9"],
			[null, null, null, 1, "1/2", 1, "1/3"],
			[null, null, null, null, 1, 2, "1/2"],
			[null, null, null, null, null, 1, "1/3"],
			[null, null, null, null, null, null, 1]], "config": {"random_index": "saaty2005"}}`
		w := e.do(http.MethodPost, "/v1/ahp/weights", keyA, body)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		r := decodeAs[satisfaction.Result](t, w.Body.Bytes())
		for i, want := range []float64{0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327} {
			assert.InDelta(t, want, r.Weights[i], 0.001, "weight %d (drinks)", i)
		}
		assert.InDelta(t, 0.022, r.CR, 0.001)
		assert.True(t, r.Consistent)
	})

	t.Run("experts aggregated by geometric mean", func(t *testing.T) {
		w := e.do(http.MethodPost, "/v1/ahp/weights", keyA, `{"experts": [[[1, 2], [null, 1]], [[1, 8], [null, 1]]]}`)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		r := decodeAs[satisfaction.Result](t, w.Body.Bytes())
		assert.InDelta(t, 0.8, r.Weights[0], 1e-9, "geometric mean of 2 and 8 is 4: weights 4/5, 1/5")
	})

	t.Run("inconsistent matrix names the judgment", func(t *testing.T) {
		w := e.do(http.MethodPost, "/v1/ahp/weights", keyA, `{"matrix": `+saatyHouse+`, "labels": `+houseLabels+`}`)
		p := requireProblem(t, w, http.StatusUnprocessableEntity, "invalid")
		assert.Equal(t, "consistency", problemFields(p)["matrix[2][6]"])
		assert.Contains(t, problemMessage(p, "matrix[2][6]"), "revise judgment [2][6] (neighborhood vs condition) from 6 to", "CR 0.169 ≥ 0.10 names the judgment to revise")
	})

	t.Run("malformed matrices name the cell", func(t *testing.T) {
		for name, tc := range map[string]struct{ body, field, rule string }{
			"not a judgment": {`{"matrix": [[1, "three"], [null, 1]]}`, "matrix[0][1]", "format"},
			"not reciprocal": {`{"matrix": [[1, 3], [3, 1]]}`, "matrix[1][0]", "reciprocal"},
			"not square":     {`{"matrix": [[1, 3, 5], [null, 1]]}`, "matrix[0]", "size"},
			"negative":       {`{"matrix": [[1, -3], [null, 1]]}`, "matrix[0][1]", "format"},
			"off the scale":  {`{"matrix": [[1, 12], [null, 1]]}`, "matrix[0][1]", "scale"},
		} {
			t.Run(name, func(t *testing.T) {
				p := requireProblem(t, e.do(http.MethodPost, "/v1/ahp/weights", keyA, tc.body), http.StatusUnprocessableEntity, "invalid")
				assert.Equal(t, tc.rule, problemFields(p)[tc.field], "%v", p["errors"])
			})
		}
		p := requireProblem(t, e.do(http.MethodPost, "/v1/ahp/weights", keyA, `{}`), http.StatusUnprocessableEntity, "invalid")
		assert.Equal(t, "required", problemFields(p)["matrix"])
		p = requireProblem(t, e.do(http.MethodPost, "/v1/ahp/weights", keyA, `{"matrix": [[1, 3], [null, 1]], "config": {"epsilon": 5e-324, "max_iterations": 2000000000}}`),
			http.StatusUnprocessableEntity, "invalid")
		assert.Equal(t, "range", problemFields(p)["config.max_iterations"], "no request may hold a CPU for minutes")
		requireProblem(t, e.do(http.MethodPost, "/v1/ahp/weights", keyA, `{"matrix": [[1]], "extra": 1}`), http.StatusBadRequest, "malformed_request")
		requireProblem(t, e.do(http.MethodPost, "/v1/ahp/weights", "", `{"matrix": [[1]]}`), http.StatusUnauthorized, "unauthenticated")
	})
}

func TestAHPHierarchyRoute(t *testing.T) {
	e := newSatisfactionEnv(t)
	root, err := json.Marshal(satisfaction.DefaultHierarchy().Root)
	require.NoError(t, err)
	w := e.do(http.MethodPost, "/v1/ahp/hierarchy", keyA, `{"root": `+string(root)+`}`)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	ws := decodeAs[satisfaction.Weights](t, w.Body.Bytes())
	quality, ok := ws.Node("service.quality")
	require.True(t, ok)
	assert.InDelta(t, 0.45*24.0/101, quality.Global, 1e-9, "J.D. Power CSI 2014: service quality 24% of after-sales")

	bad := `{"root": {"id": "goal", "comparisons": [[1, 3], [3, 1]], "children": [{"id": "a"}, {"id": "b"}]}}`
	p := requireProblem(t, e.do(http.MethodPost, "/v1/ahp/hierarchy", keyA, bad), http.StatusUnprocessableEntity, "invalid")
	assert.Equal(t, "reciprocal", problemFields(p)["root.comparisons[1][0]"], "the goal's matrix: %v", p["errors"])
}

// smallSurvey stores a two-indicator hierarchy (weights 3:1) and its
// questionnaire for key, and returns the questionnaire ID.
func smallSurvey(t *testing.T, e *env, key string) string {
	t.Helper()
	e.create(key, "hierarchies", obj{"id": "h1", "name": "small", "root": obj{"id": "goal", "weights": []int{3, 1},
		"children": []obj{{"id": "a", "name": "Explanation"}, {"id": "b", "name": "Speed"}}}})
	q := e.create(key, "questionnaires", obj{"id": "q-small", "name": "call", "department": "service", "scale": "likert5", "hierarchy_id": "h1",
		"items": []obj{{"id": "q1", "text": "explained?", "indicator_id": "a"}, {"id": "q2", "text": "fast?", "indicator_id": "b"}}})
	return q["id"].(string)
}

func TestQuestionnaireRoutes(t *testing.T) {
	e := newSatisfactionEnv(t)
	h := satisfaction.DefaultHierarchy()
	created := e.create(keyA, "hierarchies", h)
	assert.Equal(t, string(satisfaction.DefaultHierarchyID), created["id"])
	assert.Equal(t, string(dealerA), created["dealer_id"], "the dealer is the key's")

	q := e.create(keyA, "questionnaires", satisfaction.DefaultServiceQuestionnaire())
	assert.Equal(t, "default-service-call", q["id"])
	w := e.do(http.MethodGet, "/v1/questionnaires/default-service-call", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	got := decodeAs[satisfaction.Questionnaire](t, w.Body.Bytes())
	assert.Len(t, got.Items, 6)
	assert.Equal(t, satisfaction.Likert5, got.Scale)

	e.create(keyA, "questionnaires", satisfaction.DefaultSalesQuestionnaire())
	w = e.do(http.MethodGet, "/v1/questionnaires?limit=1", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code)
	page := decodeAs[crm.Page[satisfaction.Questionnaire]](t, w.Body.Bytes())
	require.Len(t, page.Items, 1)
	assert.Equal(t, "default-sales-call", string(page.Items[0].ID), "ID order")
	w = e.do(http.MethodGet, "/v1/questionnaires?after="+url.QueryEscape(page.Next), keyA, nil)
	page = decodeAs[crm.Page[satisfaction.Questionnaire]](t, w.Body.Bytes())
	require.Len(t, page.Items, 1)
	assert.Equal(t, "default-service-call", string(page.Items[0].ID))

	w = e.do(http.MethodGet, "/v1/hierarchies/default-4s/weights", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())

	p := requireProblem(t, e.do(http.MethodPost, "/v1/questionnaires", keyA, obj{"name": "x", "department": "service", "scale": "likert7",
		"hierarchy_id": "none", "items": []obj{}}), http.StatusUnprocessableEntity, "invalid")
	assert.Equal(t, map[string]string{"scale": "enum", "items": "required"}, problemFields(p))
	requireProblem(t, e.do(http.MethodPost, "/v1/questionnaires", keyA, obj{"name": "x", "department": "service", "scale": "likert5",
		"hierarchy_id": "none", "items": []obj{{"id": "q1", "text": "t", "indicator_id": "a"}}}), http.StatusUnprocessableEntity, "invalid")
	requireProblem(t, e.do(http.MethodGet, "/v1/questionnaires/nope", keyA, nil), http.StatusNotFound, "not_found")
}

func TestSurveyResponseFollowUp(t *testing.T) {
	e := newSatisfactionEnv(t)
	qid := smallSurvey(t, e, keyA)
	c := e.create(keyA, "customers", obj{"name": "王伟", "mobile": "13912345678", "source": "walk_in"})
	body := obj{"external_id": "CALL-1", "questionnaire_id": qid, "customer_id": c["id"], "staff_id": "SA1", "date": "2025-05-02",
		"answers": []obj{{"item_id": "q1", "value": 1}, {"item_id": "q2", "value": 2}}, "comment": "没有解释费用"}
	r := e.create(keyA, "survey-responses", body)
	assert.InDelta(t, 6.25, r["score"], 1e-9, "0.75 × 0 + 0.25 × 25")
	assert.Equal(t, "service", r["department"])
	require.NotEmpty(t, r["follow_up"], "a score under 60 opens a follow-up")

	w := e.do(http.MethodGet, "/v1/complaints?customer_id="+c["id"].(string), keyA, nil)
	require.Equal(t, http.StatusOK, w.Code)
	complaints := decodeAs[crm.Page[crm.Complaint]](t, w.Body.Bytes())
	require.Len(t, complaints.Items, 1, "one complaint follow-up")
	assert.Equal(t, r["follow_up"], string(complaints.Items[0].ID))
	assert.Equal(t, "satisfaction survey", complaints.Items[0].Category)
	assert.Equal(t, crm.SeverityHigh, complaints.Items[0].Severity, "6.25 is under half the threshold")

	again := e.create(keyA, "survey-responses", body)
	assert.Equal(t, r["id"], again["id"], "a replayed external ID returns the first response")
	w = e.do(http.MethodGet, "/v1/complaints?customer_id="+c["id"].(string), keyA, nil)
	assert.Len(t, decodeAs[crm.Page[crm.Complaint]](t, w.Body.Bytes()).Items, 1, "and opens no second follow-up")

	w = e.do(http.MethodGet, "/v1/survey-responses/"+r["id"].(string), keyA, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "没有解释费用", decode(t, w)["comment"])

	p := requireProblem(t, e.do(http.MethodPost, "/v1/survey-responses", keyA, obj{"questionnaire_id": qid, "date": "2025-05-02",
		"answers": []obj{{"item_id": "q1", "value": 6}}}), http.StatusUnprocessableEntity, "invalid")
	assert.Contains(t, problemMessage(p, "answers[0].value"), "outside the scale")
}

func TestCSIReportRoute(t *testing.T) {
	e := newSatisfactionEnv(t)
	qid := smallSurvey(t, e, keyA)
	for _, r := range []obj{
		{"staff_id": "SA1", "date": "2025-04-10", "answers": []obj{{"item_id": "q1", "value": 5}, {"item_id": "q2", "value": 1}}},
		{"staff_id": "SA2", "date": "2025-05-20", "answers": []obj{{"item_id": "q1", "value": 3}, {"item_id": "q2", "value": 5}}},
		{"staff_id": "SA2", "date": "2025-07-01", "answers": []obj{{"item_id": "q1", "value": 1}, {"item_id": "q2", "value": 1}}},
	} {
		r["questionnaire_id"] = qid
		e.create(keyA, "survey-responses", r)
	}
	w := e.do(http.MethodGet, "/v1/reports/csi?questionnaire="+qid+"&from=2025-04-01&to=2025-06-30&granularity=month", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	rep := decodeAs[satisfaction.Report](t, w.Body.Bytes())
	// Weights 3:1 → 0.75, 0.25. Indicator a: (100 + 50)/2 = 75; b: (0 + 100)/2 = 50.
	assert.Equal(t, 2, rep.Responses, "the July response is outside the dates")
	assert.InDelta(t, 0.75*75+0.25*50, rep.CSI, 1e-9)
	require.Len(t, rep.ByStaff, 2)
	assert.Equal(t, "SA1", rep.ByStaff[0].Key)
	assert.InDelta(t, 75, rep.ByStaff[0].CSI, 1e-9, "SA1: 0.75 × 100 + 0.25 × 0")
	assert.InDelta(t, 62.5, rep.ByStaff[1].CSI, 1e-9, "SA2: 0.75 × 50 + 0.25 × 100")
	require.Len(t, rep.ByPeriod, 2)
	assert.Equal(t, "2025-04", rep.ByPeriod[0].Key)
	require.Len(t, rep.ByDepartment, 1)
	assert.Equal(t, "service", rep.ByDepartment[0].Key)

	w = e.do(http.MethodGet, "/v1/reports/satisfaction-priorities?questionnaire="+qid+"&from=2025-04-01&to=2025-06-30", keyA, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var pr struct {
		CSI    float64                 `json:"csi"`
		Target float64                 `json:"target"`
		Items  []satisfaction.Priority `json:"items"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &pr))
	assert.InDelta(t, rep.CSI, pr.CSI, 1e-9)
	assert.Equal(t, 100.0, pr.Target)
	require.Len(t, pr.Items, 2)
	// a: 0.75 × (100 − 75) = 18.75; b: 0.25 × (100 − 50) = 12.5.
	assert.Equal(t, "a", pr.Items[0].IndicatorID)
	assert.InDelta(t, 18.75, pr.Items[0].Priority, 1e-9)
	assert.Equal(t, satisfaction.KeepUp, pr.Items[0].Quadrant, "important and at or above the mean score")
	assert.Equal(t, satisfaction.LowPriority, pr.Items[1].Quadrant)

	p := requireProblem(t, e.do(http.MethodGet, "/v1/reports/csi?from=2025-04-01", keyA, nil), http.StatusUnprocessableEntity, "invalid")
	assert.Equal(t, "required", problemFields(p)["questionnaire"])
	p = requireProblem(t, e.do(http.MethodGet, "/v1/reports/csi?questionnaire="+qid+"&granularity=week", keyA, nil), http.StatusUnprocessableEntity, "invalid")
	assert.Equal(t, "format", problemFields(p)["granularity"])
	requireProblem(t, e.do(http.MethodGet, "/v1/reports/satisfaction-priorities?questionnaire="+qid+"&target=0", keyA, nil), http.StatusUnprocessableEntity, "invalid")
}

func TestSatisfactionDealerIsolation(t *testing.T) {
	e := newSatisfactionEnv(t)
	qid := smallSurvey(t, e, keyA)
	r := e.create(keyA, "survey-responses", obj{"questionnaire_id": qid, "date": "2025-05-02",
		"answers": []obj{{"item_id": "q1", "value": 4}, {"item_id": "q2", "value": 4}}})

	requireProblem(t, e.do(http.MethodGet, "/v1/questionnaires/"+qid, keyB, nil), http.StatusNotFound, "not_found")
	requireProblem(t, e.do(http.MethodGet, "/v1/hierarchies/h1", keyB, nil), http.StatusNotFound, "not_found")
	requireProblem(t, e.do(http.MethodGet, "/v1/survey-responses/"+r["id"].(string), keyB, nil), http.StatusNotFound, "not_found")
	requireProblem(t, e.do(http.MethodGet, "/v1/reports/csi?questionnaire="+qid, keyB, nil), http.StatusNotFound, "not_found")
	for _, path := range []string{"/v1/questionnaires", "/v1/survey-responses", "/v1/hierarchies"} {
		w := e.do(http.MethodGet, path, keyB, nil)
		require.Equal(t, http.StatusOK, w.Code)
		assert.Empty(t, decode(t, w)["items"], "dealer B sees none of A's records at %s", path)
	}
	p := requireProblem(t, e.do(http.MethodPost, "/v1/survey-responses", keyB, obj{"questionnaire_id": qid, "date": "2025-05-02",
		"answers": []obj{{"item_id": "q1", "value": 4}}}), http.StatusUnprocessableEntity, "invalid")
	assert.Equal(t, "reference", problemFields(p)["questionnaire_id"], "B cannot answer A's questionnaire")
	w := e.do(http.MethodGet, "/v1/survey-responses?questionnaire_id="+qid, keyA, nil)
	assert.Len(t, decode(t, w)["items"], 1, "A still sees its own")
}

// FuzzAHPBodies posts arbitrary bodies to the AHP routes: never a panic,
// never a 5xx, always JSON.
func FuzzAHPBodies(f *testing.F) {
	for _, s := range []string{
		`{"matrix": ` + saatyHouse + `}`,
		`{"matrix": [[1, "1/3"], [3, 1]], "labels": ["a", "b"], "config": {"method": "geometric_mean"}}`,
		`{"matrix": [[1, null, 3], [null, 1, null], [null, null, 1]]}`,
		`{"matrix": [[1, 0, 0], [0, 1, 0], [0, 0, 1]], "config": {"complete": true}}`,
		`{"experts": [[[1, 2], [null, 1]], [[1, 8]]], "expert_weights": [1, -1]}`,
		`{"matrix": [[1e308, "1/0"], ["1e-308", 1]], "config": {"threshold": 1e308, "any_scale": true, "max_iterations": 1}}`,
		`{"root": {"id": "g", "comparisons": [[1, 3], ["1/3", 1]], "children": [{"id": "a"}, {"id": "b"}]}}`,
		`{"root": {"id": "g", "weights": [0, 0], "children": [{"id": "a"}, {"id": "a"}]}}`,
		`{"root": {"id": "g", "experts": [[[1, 2], [null, 1]]], "children": [{"id": "a", "children": [{"id": "x"}]}, {"id": "b"}]}}`,
		`[]`, `null`, `{"matrix": "x"}`,
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	e := newSatisfactionEnv(f)
	f.Fuzz(func(t *testing.T, body string, hierarchy bool) {
		path := "/v1/ahp/weights"
		if hierarchy {
			path = "/v1/ahp/hierarchy"
		}
		te := *e
		te.t = t
		w := te.do(http.MethodPost, path, keyA, body)
		checkAnswer(t, http.MethodPost, path, body, w)
	})
}
