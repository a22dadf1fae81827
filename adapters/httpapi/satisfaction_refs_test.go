package httpapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/satisfaction"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// surveyEnv is an env with the satisfaction routes whose dissatisfied
// responses open lifecycle follow-up tasks, as the example server wires
// them; lc reads the tasks back.
type surveyEnv struct {
	*env
	lc *lifecycle.Service
}

func newSurveyEnv(t *testing.T, opts ...satisfaction.ServiceOption) surveyEnv {
	t.Helper()
	store := memory.New()
	svc := crm.NewService(store)
	lc, err := lifecycle.NewService(svc, memory.NewTaskStore())
	require.NoError(t, err)
	opts = append([]satisfaction.ServiceOption{satisfaction.WithRecords(svc), satisfaction.WithFollowUps(satisfaction.LifecycleTasks{Tasks: lc})}, opts...)
	sat, err := satisfaction.NewService(memory.NewSatisfactionStore(), opts...)
	require.NoError(t, err)
	return surveyEnv{env: newEnvOn(t, store, httpapi.WithSatisfaction(sat)), lc: lc}
}

func (e surveyEnv) tasks(dealer crm.DealerID) []lifecycle.Task {
	e.t.Helper()
	all, err := crm.All(context.Background(), func(after string) (crm.Page[lifecycle.Task], error) {
		return e.lc.ListTasks(context.Background(), dealer, lifecycle.TaskFilter{PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	})
	require.NoError(e.t, err)
	return all
}

// workshop is a customer of a dealer with a car, a service order done by
// advisor SA-7 and the sale of the car by consultant SC-3.
type workshop struct{ customer, vehicle, order, sale string }

func (e surveyEnv) workshop(key, mobile, vinSerial string) workshop {
	e.t.Helper()
	c := e.create(key, "customers", obj{"name": "王伟", "mobile": mobile, "source": "walk_in"})
	v := e.create(key, "vehicles", obj{"vin": vinSerial, "model": "A6L", "price": "420000", "owner_id": c["id"]})
	o := e.create(key, "service-orders", obj{"vehicle_id": v["id"], "customer_id": c["id"], "date": "2025-04-28", "closed_date": "2025-04-30",
		"kind": "maintenance", "payer": "customer", "labour": "300", "parts": "500", "advisor_id": "SA-7"})
	s := e.create(key, "sales", obj{"vehicle_id": v["id"], "customer_id": c["id"], "date": "2024-11-02", "price": "420000", "consultant_id": "SC-3"})
	return workshop{customer: c["id"].(string), vehicle: v["id"].(string), order: o["id"].(string), sale: s["id"].(string)}
}

// lowAnswers is a dissatisfied call on smallSurvey: score 0, a follow-up.
func lowAnswers(qid string) obj {
	return obj{"questionnaire_id": qid, "date": "2025-05-02", "answers": []obj{{"item_id": "q1", "value": 1}, {"item_id": "q2", "value": 1}}}
}

func with(base obj, kv ...any) obj {
	out := obj{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// Issue 12 #5: dealer B's key could record a response about A's customer,
// a customer that does not exist, or A's service order or sale (201), and
// a follow-up task opened for a customer B does not have.
func TestSurveyResponseReferencesAreChecked(t *testing.T) {
	e := newSurveyEnv(t)
	a := e.workshop(keyA, "13912345678", vin(901))
	qB := smallSurvey(t, e.env, keyB)

	for name, tc := range map[string]struct {
		body  obj
		field string
	}{
		"A's customer":      {with(lowAnswers(qB), "customer_id", a.customer), "customer_id"},
		"no such customer":  {with(lowAnswers(qB), "customer_id", "ghost"), "customer_id"},
		"A's service order": {with(lowAnswers(qB), "service_order_id", a.order), "service_order_id"},
		"A's sale":          {with(lowAnswers(qB), "sale_id", a.sale), "sale_id"},
		"no such order":     {with(lowAnswers(qB), "service_order_id", "RO-ghost"), "service_order_id"},
	} {
		t.Run(name, func(t *testing.T) {
			p := requireProblem(t, e.do(http.MethodPost, "/v1/survey-responses", keyB, tc.body), http.StatusUnprocessableEntity, "invalid")
			assert.Equal(t, "reference", problemFields(p)[tc.field], "the reference is named: %v", p["errors"])
		})
	}
	assert.Empty(t, e.tasks(dealerB), "no follow-up task for B")
	assert.Empty(t, e.tasks(dealerA), "nor for A")
	w := e.do(http.MethodGet, "/v1/survey-responses", keyB, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Empty(t, decode(t, w)["items"], "nothing stored")
}

// A response tied to a service order is about that order's advisor: it
// takes the advisor as its staff member (CSI by advisor counts it there),
// and the follow-up call is not given to the advisor. The order must be
// the response's customer's; a staff_id other than the advisor is refused.
func TestSurveyResponseTakesTheOrdersAdvisor(t *testing.T) {
	e := newSurveyEnv(t)
	a := e.workshop(keyA, "13912345678", vin(901))
	other := e.workshop(keyA, "13812345678", vin(902))
	qA := smallSurvey(t, e.env, keyA)

	r := e.create(keyA, "survey-responses", with(lowAnswers(qA), "service_order_id", a.order))
	assert.Equal(t, "SA-7", r["staff_id"], "the order's advisor")
	assert.Equal(t, a.customer, r["customer_id"], "and the order's customer")
	tasks := e.tasks(dealerA)
	require.Len(t, tasks, 1, "score 0 opens one follow-up")
	assert.Equal(t, crm.StaffID("SA-7"), tasks[0].ExcludedStaffID, "the advisor does not make the follow-up call")
	assert.Equal(t, crm.CustomerID(a.customer), tasks[0].CustomerID)
	assert.Equal(t, r["follow_up"], string(tasks[0].ID))

	same := e.create(keyA, "survey-responses", with(lowAnswers(qA), "service_order_id", a.order, "staff_id", "SA-7", "customer_id", a.customer,
		"answers", []obj{{"item_id": "q1", "value": 5}, {"item_id": "q2", "value": 5}}))
	assert.Equal(t, "SA-7", same["staff_id"], "naming the advisor itself is fine")
	sale := e.create(keyA, "survey-responses", with(lowAnswers(qA), "sale_id", a.sale,
		"answers", []obj{{"item_id": "q1", "value": 5}, {"item_id": "q2", "value": 5}}))
	assert.Equal(t, "SC-3", sale["staff_id"], "a sale's response is about its consultant")

	p := requireProblem(t, e.do(http.MethodPost, "/v1/survey-responses", keyA, with(lowAnswers(qA), "service_order_id", a.order, "staff_id", "SA-9")),
		http.StatusUnprocessableEntity, "invalid")
	assert.Equal(t, "mismatch", problemFields(p)["staff_id"], "SA-9 did not do the job: %v", p["errors"])
	p = requireProblem(t, e.do(http.MethodPost, "/v1/survey-responses", keyA, with(lowAnswers(qA), "customer_id", other.customer, "service_order_id", a.order)),
		http.StatusUnprocessableEntity, "invalid")
	assert.Equal(t, "mismatch", problemFields(p)["service_order_id"], "the order is another customer's: %v", p["errors"])
	p = requireProblem(t, e.do(http.MethodPost, "/v1/survey-responses", keyA, with(lowAnswers(qA), "customer_id", other.customer, "sale_id", a.sale)),
		http.StatusUnprocessableEntity, "invalid")
	assert.Equal(t, "mismatch", problemFields(p)["sale_id"], "the sale is another customer's: %v", p["errors"])
	require.Len(t, e.tasks(dealerA), 1, "refused responses open no follow-up")

	w := e.do(http.MethodGet, "/v1/reports/csi?questionnaire="+qA, keyA, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	rep := decodeAs[satisfaction.Report](t, w.Body.Bytes())
	require.Len(t, rep.ByStaff, 2)
	assert.Equal(t, "SA-7", rep.ByStaff[0].Key)
	assert.Equal(t, 2, rep.ByStaff[0].Responses, "both order calls count for the advisor")
	assert.InDelta(t, 50, rep.ByStaff[0].CSI, 1e-9, "SA-7: (0 + 100) / 2")
	assert.Equal(t, "SC-3", rep.ByStaff[1].Key)
}

// Issue 12 #7: a survey answer dated after the dealer's today is refused.
func TestSurveyResponseDateNotInTheFuture(t *testing.T) {
	e := newSurveyEnv(t)
	qA := smallSurvey(t, e.env, keyA)
	for _, date := range []string{"2999-12-31", "9999-12-31"} {
		p := requireProblem(t, e.do(http.MethodPost, "/v1/survey-responses", keyA, with(lowAnswers(qA), "date", date)),
			http.StatusUnprocessableEntity, "invalid")
		assert.Equal(t, "future", problemFields(p)["date"], "%s is after the dealer's today: %v", date, p["errors"])
	}
	w := e.do(http.MethodGet, "/v1/survey-responses", keyA, nil)
	assert.Empty(t, decode(t, w)["items"], "nothing stored")
}

// Issue 12 #13: every 422 of the satisfaction routes is a problem whose
// errors list names the field and rule, like every other route's; the
// message says what to do.
func TestSatisfactionProblemsListErrors(t *testing.T) {
	e := newSurveyEnv(t)
	a := e.workshop(keyA, "13912345678", vin(901))
	qA := smallSurvey(t, e.env, keyA)
	inconsistent := `{"id": "goal", "comparisons": [[1, 1, 1], [null, 1, 1], [null, null, 1]], "children": [
		{"id": "a", "comparisons": [[1, 9, "1/9"], [null, 1, 9], [null, null, 1]], "children": [{"id": "a1"}, {"id": "a2"}, {"id": "a3"}]},
		{"id": "b"}, {"id": "c"}]}`
	for _, tc := range []struct {
		name, method, path string
		body               any
		field, rule        string
	}{
		{"no matrix", "POST", "/v1/ahp/weights", `{}`, "matrix", "required"},
		{"not a judgment", "POST", "/v1/ahp/weights", `{"matrix": [[1, "three"], [null, 1]]}`, "matrix[0][1]", "format"},
		{"not reciprocal", "POST", "/v1/ahp/weights", `{"matrix": [[1, 3], [3, 1]]}`, "matrix[1][0]", "reciprocal"},
		{"not square", "POST", "/v1/ahp/weights", `{"matrix": [[1, 3, 5], [null, 1]]}`, "matrix[0]", "size"},
		{"off the scale", "POST", "/v1/ahp/weights", `{"matrix": [[1, 12], [null, 1]]}`, "matrix[0][1]", "scale"},
		{"inconsistent", "POST", "/v1/ahp/weights", `{"matrix": ` + saatyHouse + `}`, "matrix[2][6]", "consistency"},
		{"labels", "POST", "/v1/ahp/weights", `{"matrix": [[1, 3], [null, 1]], "labels": ["a"]}`, "labels", "size"},
		{"method", "POST", "/v1/ahp/weights", `{"matrix": [[1, 3], [null, 1]], "config": {"method": "median"}}`, "config.method", "enum"},
		{"random index", "POST", "/v1/ahp/weights", `{"matrix": [[1, 3], [null, 1]], "config": {"random_index": "dd"}}`, "config.random_index", "enum"},
		{"threshold", "POST", "/v1/ahp/weights", `{"matrix": [[1, 3], [null, 1]], "config": {"threshold": -1}}`, "config.threshold", "range"},
		{"not converged", "POST", "/v1/ahp/weights", `{"matrix": ` + saatyHouse + `, "config": {"max_iterations": 1, "threshold": 1}}`, "config.max_iterations", "converged"},
		{"experts' sizes", "POST", "/v1/ahp/weights", `{"experts": [[[1, 2], [null, 1]], [[1]]]}`, "experts[1]", "experts"},
		{"expert weight", "POST", "/v1/ahp/weights", `{"experts": [[[1, 2], [null, 1]], [[1, 8], [null, 1]]], "expert_weights": [1, -1]}`, "expert_weights[1]", "experts"},
		{"experts inconsistent", "POST", "/v1/ahp/weights", `{"experts": [` + saatyHouse + `]}`, "experts", "consistency"},
		{"node not reciprocal", "POST", "/v1/ahp/hierarchy", `{"root": {"id": "goal", "comparisons": [[1, 3], [3, 1]], "children": [{"id": "a"}, {"id": "b"}]}}`,
			"root.comparisons[1][0]", "reciprocal"},
		{"node judgment", "POST", "/v1/ahp/hierarchy", `{"root": {"id": "goal", "weights": [1, 1], "children": [{"id": "a"}, {"id": "b", "comparisons": [[1, "x"], [null, 1]], "children": [{"id": "b1"}, {"id": "b2"}]}]}}`,
			"root.children[1].comparisons[0][1]", "format"},
		{"node id twice", "POST", "/v1/ahp/hierarchy", `{"root": {"id": "goal", "weights": [1, 1], "children": [{"id": "a"}, {"id": "goal"}]}}`,
			"root.children[1].id", "duplicate"},
		{"node weight", "POST", "/v1/ahp/hierarchy", `{"root": {"id": "goal", "weights": [1, -1], "children": [{"id": "a"}, {"id": "b"}]}}`,
			"root.weights[1]", "positive"},
		{"node inconsistent", "POST", "/v1/ahp/hierarchy", `{"root": ` + inconsistent + `}`, "root.children[0].comparisons[0][1]", "consistency"},
		{"hierarchy name", "POST", "/v1/hierarchies", `{"root": {"id": "goal"}}`, "name", "required"},
		{"hierarchy inconsistent", "POST", "/v1/hierarchies", `{"name": "x", "root": ` + inconsistent + `}`, "root.children[0].comparisons[0][1]", "consistency"},
		{"hierarchy cursor", "GET", "/v1/hierarchies?after=%25%25", nil, "after", "format"},
		{"questionnaire scale", "POST", "/v1/questionnaires", obj{"name": "x", "department": "service", "scale": "likert7", "hierarchy_id": "h1",
			"items": []obj{{"id": "q1", "indicator_id": "a"}}}, "scale", "enum"},
		{"questionnaire items", "POST", "/v1/questionnaires", obj{"name": "x", "department": "service", "scale": "likert5", "hierarchy_id": "h1",
			"items": []obj{}}, "items", "required"},
		{"questionnaire item twice", "POST", "/v1/questionnaires", obj{"name": "x", "department": "service", "scale": "likert5", "hierarchy_id": "h1",
			"items": []obj{{"id": "q1", "indicator_id": "a"}, {"id": "q1", "indicator_id": "b"}}}, "items[1].id", "unique"},
		{"questionnaire threshold", "POST", "/v1/questionnaires", obj{"name": "x", "department": "service", "scale": "likert5", "hierarchy_id": "h1",
			"items": []obj{{"id": "q1", "indicator_id": "a"}}, "follow_up_threshold": 101}, "follow_up_threshold", "range"},
		{"questionnaire hierarchy", "POST", "/v1/questionnaires", obj{"name": "x", "department": "service", "scale": "likert5", "hierarchy_id": "none",
			"items": []obj{{"id": "q1", "indicator_id": "a"}}}, "hierarchy_id", "reference"},
		{"questionnaire indicator", "POST", "/v1/questionnaires", obj{"name": "x", "department": "service", "scale": "likert5", "hierarchy_id": "h1",
			"items": []obj{{"id": "q1", "indicator_id": "a"}, {"id": "q2", "indicator_id": "goal"}}}, "items[1].indicator_id", "reference"},
		{"questionnaire cursor", "GET", "/v1/questionnaires?after=%25%25", nil, "after", "format"},
		{"response questionnaire", "POST", "/v1/survey-responses", with(lowAnswers("nope")), "questionnaire_id", "reference"},
		{"response value", "POST", "/v1/survey-responses", with(lowAnswers(qA), "answers", []obj{{"item_id": "q1", "value": 6}}), "answers[0].value", "range"},
		{"response item", "POST", "/v1/survey-responses", with(lowAnswers(qA), "answers", []obj{{"item_id": "q9", "value": 3}}), "answers[0].item_id", "reference"},
		{"response item twice", "POST", "/v1/survey-responses", with(lowAnswers(qA), "answers", []obj{{"item_id": "q1", "value": 3}, {"item_id": "q1", "value": 4}}),
			"answers[1].item_id", "unique"},
		{"response answers", "POST", "/v1/survey-responses", with(lowAnswers(qA), "answers", []obj{}), "answers", "required"},
		{"response date", "POST", "/v1/survey-responses", obj{"questionnaire_id": qA, "answers": []obj{{"item_id": "q1", "value": 3}}}, "date", "required"},
		{"response future", "POST", "/v1/survey-responses", with(lowAnswers(qA), "date", "2999-01-01"), "date", "future"},
		{"response customer", "POST", "/v1/survey-responses", with(lowAnswers(qA), "customer_id", "ghost"), "customer_id", "reference"},
		{"response advisor", "POST", "/v1/survey-responses", with(lowAnswers(qA), "service_order_id", a.order, "staff_id", "SA-9"), "staff_id", "mismatch"},
		{"response sale and order", "POST", "/v1/survey-responses", with(lowAnswers(qA), "service_order_id", a.order, "sale_id", a.sale), "sale_id", "mismatch"},
		{"responses filter", "GET", "/v1/survey-responses?date_from=May", nil, "date_from", "format"},
		{"responses cursor", "GET", "/v1/survey-responses?after=%25%25", nil, "after", "format"},
		{"report questionnaire", "GET", "/v1/reports/csi", nil, "questionnaire", "required"},
		{"report granularity", "GET", "/v1/reports/csi?questionnaire=" + qA + "&granularity=week", nil, "granularity", "format"},
		{"priorities target", "GET", "/v1/reports/satisfaction-priorities?questionnaire=" + qA + "&target=0", nil, "target", "format"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := requireProblem(t, e.do(tc.method, tc.path, keyA, tc.body), http.StatusUnprocessableEntity, "invalid")
			errs, _ := p["errors"].([]any)
			require.NotEmpty(t, errs, "a 422 lists its errors: %v", p)
			for _, x := range errs {
				fe, _ := x.(obj)
				assert.NotEmpty(t, fe["field"], "every error names its field: %v", x)
				assert.NotEmpty(t, fe["rule"], "and its rule: %v", x)
				assert.NotEmpty(t, fe["message"], "and says what is wrong: %v", x)
			}
			assert.Equal(t, tc.rule, problemFields(p)[tc.field], "field %s breaks rule %s: %v", tc.field, tc.rule, errs)
		})
	}
	assert.Empty(t, e.tasks(dealerA), "no refused response opened a follow-up")
}
