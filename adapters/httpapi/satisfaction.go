package httpapi

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strconv"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/satisfaction"
)

// WithSatisfaction adds the routes of package satisfaction, served by svc:
//
//	POST /v1/ahp/weights                       weights, λmax, CI and CR of a comparison matrix
//	POST /v1/ahp/hierarchy                     local and global weights of a hierarchy
//	POST /v1/hierarchies                       store a hierarchy (questionnaires score its indicators)
//	GET  /v1/hierarchies, /v1/hierarchies/{id} stored hierarchies
//	GET  /v1/hierarchies/{id}/weights          a stored hierarchy, weighed
//	POST /v1/questionnaires                    create a questionnaire
//	GET  /v1/questionnaires, /v1/questionnaires/{id}
//	POST /v1/survey-responses                  record a return-visit response (scored; a low one opens a follow-up)
//	GET  /v1/survey-responses, /v1/survey-responses/{id}
//	GET  /v1/reports/csi                       CSI report of a questionnaire with its breakdowns
//	GET  /v1/reports/satisfaction-priorities   improvement priorities (importance × gap, quadrants)
//
// Every route acts for the API key's dealer; the AHP computations store
// nothing.
func WithSatisfaction(svc *satisfaction.Service) Option {
	return func(c *config) {
		c.modules = append(c.modules, module{routes: func() []route { return satisfactionRoutes(svc) }, schemas: satisfactionSchemas})
	}
}

// satisfactionSchemas registers the enumerations, names and descriptions of the
// satisfaction types.
func satisfactionSchemas(r *schemaRegistry) {
	// The satisfaction enumerations, documented like the crm ones; Method
	// and the generic struct names get a prefix, since grading has a
	// Method too.
	addEnum(r, satisfaction.Scales()...)
	addEnum(r, satisfaction.Methods()...)
	addEnum(r, satisfaction.RandomIndexes()...)
	addEnum(r, satisfaction.Departments()...)
	addEnum(r, satisfaction.Quadrants()...)
	addEnum(r, satisfaction.Month, satisfaction.Quarter)
	r.addNames(map[reflect.Type]string{
		reflect.TypeFor[satisfaction.Method]():         "AHPMethod",
		reflect.TypeFor[satisfaction.Config]():         "AHPConfig",
		reflect.TypeFor[satisfaction.Result]():         "AHPResult",
		reflect.TypeFor[satisfaction.Cell]():           "AHPCell",
		reflect.TypeFor[satisfaction.Node]():           "HierarchyNode",
		reflect.TypeFor[satisfaction.Weights]():        "HierarchyWeights",
		reflect.TypeFor[satisfaction.NodeWeight]():     "HierarchyNodeWeight",
		reflect.TypeFor[satisfaction.Item]():           "QuestionnaireItem",
		reflect.TypeFor[satisfaction.Answer]():         "SurveyAnswer",
		reflect.TypeFor[satisfaction.Response]():       "SurveyResponse",
		reflect.TypeFor[satisfaction.Report]():         "CSIReport",
		reflect.TypeFor[satisfaction.Score]():          "CSIScore",
		reflect.TypeFor[satisfaction.IndicatorScore](): "CSIIndicatorScore",
		reflect.TypeFor[satisfaction.Priority]():       "SatisfactionPriority",
	})
	r.custom[reflect.TypeFor[satisfaction.Matrix]()] = customSchema{name: "ComparisonMatrix", build: func() map[string]any {
		judgment := map[string]any{
			"description": "A judgment on Saaty's 1–9 scale: a number (3, 0.5), a string holding a number or a fraction (\"3\", \"1/3\"), or null (or 0) for a skipped comparison.",
			"anyOf": []any{
				map[string]any{"type": "number", "minimum": 0},
				map[string]any{"type": "string", "pattern": `^\s*([0-9]+(\.[0-9]+)?(\s*/\s*[0-9]+(\.[0-9]+)?)?|-)?\s*$`},
				map[string]any{"type": "null"},
			},
		}
		return map[string]any{
			"type":        []string{"array", "null"},
			"items":       map[string]any{"type": "array", "items": judgment},
			"description": "A pairwise comparison matrix, row i compared with column j; a zero or null cell takes the reciprocal of its mirror, so an upper triangle is enough. Written back with reciprocals of whole numbers as \"1/k\" strings.",
			"examples":    []any{[]any{[]any{1, 3, 5}, []any{"1/3", 1, 2}, []any{nil, nil, 1}}},
		}
	}}
	r.docs["Hierarchy"] = "A stored AHP hierarchy of a dealer: goal → criteria → sub-criteria → indicators, with the Config it is weighed with."
	r.docs["HierarchyNode"] = "A node of an AHP hierarchy: its children weigh by a comparison matrix, several experts' matrices (geometric mean) or given weights."
	r.docs["Questionnaire"] = "A survey (typically a return-visit call 回访) whose items score indicators of a hierarchy."
	r.docs["SurveyResponse"] = "One customer's answers to a questionnaire, scored 0–100; a low score opens a follow-up."
	r.docs["CSIReport"] = "CSI 0–100 of a questionnaire over a set of responses, broken down by criterion, indicator, staff member, department and period."
	r.docs["AHPResult"] = "The priority vector of a comparison matrix with λmax, CI, RI and CR."
}

// ahpWeightsInput is the body of POST /v1/ahp/weights.
type ahpWeightsInput struct {
	// Matrix is the comparison matrix; or Experts, several experts'
	// matrices aggregated by the geometric mean of judgments.
	Matrix        satisfaction.Matrix   `json:"matrix,omitempty"`
	Experts       []satisfaction.Matrix `json:"experts,omitempty"`
	ExpertWeights []float64             `json:"expert_weights,omitempty"`
	// Labels optionally name the criteria, in errors and the result.
	Labels []string            `json:"labels,omitempty"`
	Config satisfaction.Config `json:"config"`
}

// maxAHPIterations caps config.max_iterations in requests: power iteration
// with a tiny epsilon runs to its cap, so an unbounded cap would let one
// request hold a CPU for minutes.
const maxAHPIterations = 10 * satisfaction.DefaultMaxIterations

// checkAHPConfig adds the request limits of a Config to fs.
func checkAHPConfig(fs *crm.Checker, field string, c *satisfaction.Config) {
	if c.MaxIterations > maxAHPIterations {
		fs.Add(field+".max_iterations", satisfaction.RuleRange, "must be at most %d", maxAHPIterations)
	}
}

func (in *ahpWeightsInput) validate() error {
	var fs crm.Checker
	checkAHPConfig(&fs, "config", &in.Config)
	switch {
	case len(in.Matrix) == 0 && len(in.Experts) == 0:
		fs.Add("matrix", crm.RuleRequired, "is required (or experts)")
	case len(in.Matrix) > 0 && len(in.Experts) > 0:
		fs.Add("experts", crm.RuleUnique, "give either matrix or experts, not both")
	case len(in.ExpertWeights) > 0 && len(in.Experts) == 0:
		fs.Add("expert_weights", crm.RuleRequired, "needs experts")
	}
	return fs.Err("request")
}

// ahpHierarchyInput is the body of POST /v1/ahp/hierarchy.
type ahpHierarchyInput struct {
	Config satisfaction.Config `json:"config"`
	// Root is the goal.
	Root satisfaction.Node `json:"root"`
}

func (in *ahpHierarchyInput) validate() error {
	var fs crm.Checker
	checkAHPConfig(&fs, "config", &in.Config)
	return fs.Err("request")
}

// hierarchyInput is the body of POST /v1/hierarchies.
type hierarchyInput struct {
	// ID is optional: a new one is made when empty.
	ID          satisfaction.HierarchyID `json:"id,omitempty"`
	Name        string                   `json:"name"`
	Description string                   `json:"description,omitempty"`
	Config      satisfaction.Config      `json:"config"`
	Root        satisfaction.Node        `json:"root"`
	DealerID    json.RawMessage          `json:"dealer_id,omitempty" api:"server"`
	CreatedAt   json.RawMessage          `json:"created_at,omitempty" api:"server"`
	UpdatedAt   json.RawMessage          `json:"updated_at,omitempty" api:"server"`
}

func (in *hierarchyInput) validate() error {
	var fs crm.Checker
	checkAHPConfig(&fs, "config", &in.Config)
	return fs.Err("request")
}

// questionnaireInput is the body of POST /v1/questionnaires.
type questionnaireInput struct {
	// ID is optional: a new one is made when empty.
	ID                satisfaction.QuestionnaireID `json:"id,omitempty"`
	Name              string                       `json:"name"`
	Department        satisfaction.Department      `json:"department"`
	Scale             satisfaction.Scale           `json:"scale"`
	HierarchyID       satisfaction.HierarchyID     `json:"hierarchy_id"`
	Items             []satisfaction.Item          `json:"items"`
	FollowUpThreshold float64                      `json:"follow_up_threshold,omitempty"`
	DealerID          json.RawMessage              `json:"dealer_id,omitempty" api:"server"`
	CreatedAt         json.RawMessage              `json:"created_at,omitempty" api:"server"`
	UpdatedAt         json.RawMessage              `json:"updated_at,omitempty" api:"server"`
}

// responseInput is the body of POST /v1/survey-responses.
type responseInput struct {
	// ID is optional: a new one is made when empty.
	ID satisfaction.ResponseID `json:"id,omitempty"`
	// ExternalID is the call centre's identifier: recording it again
	// returns the first response.
	ExternalID      string                       `json:"external_id,omitempty"`
	QuestionnaireID satisfaction.QuestionnaireID `json:"questionnaire_id"`
	CustomerID      crm.CustomerID               `json:"customer_id,omitempty"`
	SaleID          crm.SaleID                   `json:"sale_id,omitempty"`
	ServiceOrderID  crm.ServiceOrderID           `json:"service_order_id,omitempty"`
	StaffID         crm.StaffID                  `json:"staff_id,omitempty"`
	Date            dealercrm.Date               `json:"date"`
	Answers         []satisfaction.Answer        `json:"answers"`
	Comment         string                       `json:"comment,omitempty"`
	DealerID        json.RawMessage              `json:"dealer_id,omitempty" api:"server"`
	Department      json.RawMessage              `json:"department,omitempty" api:"server"`
	Score           json.RawMessage              `json:"score,omitempty" api:"server"`
	FollowUp        json.RawMessage              `json:"follow_up,omitempty" api:"server"`
	CreatedAt       json.RawMessage              `json:"created_at,omitempty" api:"server"`
	UpdatedAt       json.RawMessage              `json:"updated_at,omitempty" api:"server"`
}

// reportQuery is the query of the report routes.
type reportQuery struct {
	Questionnaire satisfaction.QuestionnaireID
	Req           satisfaction.ReportRequest
	Target        float64
}

func (q *reportQuery) validate() error {
	var c crm.Checker
	if q.Questionnaire == "" {
		c.Add("questionnaire", crm.RuleRequired, "is required")
	}
	return c.Err("query")
}

// priorityReport is the reply of GET /v1/reports/satisfaction-priorities.
type priorityReport struct {
	QuestionnaireID satisfaction.QuestionnaireID `json:"questionnaire_id"`
	From            dealercrm.Date               `json:"from"`
	To              dealercrm.Date               `json:"to"`
	// CSI and Responses are the report's the priorities come from.
	CSI       float64 `json:"csi"`
	Responses int     `json:"responses"`
	// Target is the performance target the gaps are measured to.
	Target float64                 `json:"target"`
	Items  []satisfaction.Priority `json:"items"`
}

// locateMatrixError names the field of a judgment that did not decode:
// encoding/json does not say where in the body the failing matrix is
// (root.children[1].comparisons), so the body is walked again to find it.
func locateMatrixError(me *satisfaction.MatrixError, body []byte, t reflect.Type) error {
	c := *me
	if path, _ := locateError(body, t); path != "" {
		c.Field = path
		if me.Row >= 0 {
			c.Field += "[" + strconv.Itoa(me.Row) + "]"
			if me.Col >= 0 {
				c.Field += "[" + strconv.Itoa(me.Col) + "]"
			}
		}
	}
	return &c
}

func satisfactionRoutes(svc *satisfaction.Service) []route {
	const ahpTag, surveyTag, reportTag = "AHP", "Satisfaction", "Reports"
	hierarchy, questionnaire, response := reflect.TypeFor[satisfaction.Hierarchy](), reflect.TypeFor[satisfaction.Questionnaire](), reflect.TypeFor[satisfaction.Response]()
	pageOnly := paged(func(p *crm.PageRequest) *crm.PageRequest { return p })
	responseParams := paged(func(f *satisfaction.ResponseFilter) *crm.PageRequest { return &f.PageRequest },
		textParam("questionnaire_id", "Questionnaire.", nil, func(f *satisfaction.ResponseFilter) *satisfaction.QuestionnaireID { return &f.QuestionnaireID }),
		textParam("staff_id", "Staff member (advisor or consultant).", nil, func(f *satisfaction.ResponseFilter) *crm.StaffID { return &f.StaffID }),
		textParam("customer_id", "Customer.", nil, func(f *satisfaction.ResponseFilter) *crm.CustomerID { return &f.CustomerID }),
		dateParam("date_from", "First call date (inclusive).", func(f *satisfaction.ResponseFilter) *dealercrm.Date { return &f.Dates.From }),
		dateParam("date_to", "Last call date (inclusive).", func(f *satisfaction.ResponseFilter) *dealercrm.Date { return &f.Dates.To }),
	)
	reportParams := []filterParam[reportQuery]{
		textParam("questionnaire", "The questionnaire (required).", nil, func(q *reportQuery) *satisfaction.QuestionnaireID { return &q.Questionnaire }),
		dateParam("from", "First response date (inclusive); open when omitted.", func(q *reportQuery) *dealercrm.Date { return &q.Req.From }),
		dateParam("to", "Last response date (inclusive); open when omitted.", func(q *reportQuery) *dealercrm.Date { return &q.Req.To }),
		enumParam("granularity", "Length of the by_period breakdown's periods (month when omitted).", func(q *reportQuery) *satisfaction.Granularity { return &q.Req.Period }),
	}
	priorityParams := append(slices.Clip(reportParams), filterParam[reportQuery]{
		queryParam: queryParam{name: "target", typ: reflect.TypeFor[float64](),
			doc: "Performance target 0–100 the gaps are measured to (100 when omitted)."},
		set: func(q *reportQuery, v string) string {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || !(x > 0 && x <= 100) {
				return "must be a number in (0, 100]"
			}
			q.Target = x
			return ""
		},
	})
	return []route{
		command(route{method: http.MethodPost, path: "/v1/ahp/weights", op: "computeAHPWeights", tag: ahpTag,
			summary: "Weigh a pairwise comparison matrix (or several experts' matrices): priority vector, λmax, CI, CR; an inconsistent matrix is 422 naming the judgment to revise",
			status:  http.StatusOK},
			func(_ *call, in ahpWeightsInput) (satisfaction.Result, error) {
				if len(in.Experts) > 0 {
					return in.Config.WeighExperts(in.Experts, in.ExpertWeights, in.Labels...)
				}
				return in.Config.Weigh(in.Matrix, in.Labels...)
			}),
		command(route{method: http.MethodPost, path: "/v1/ahp/hierarchy", op: "computeAHPHierarchy", tag: ahpTag,
			summary: "Weigh a hierarchy (goal → criteria → … → indicators): local and global weights, indicators ranked",
			status:  http.StatusOK},
			func(_ *call, in ahpHierarchyInput) (satisfaction.Weights, error) {
				return in.Config.WeighHierarchy(in.Root)
			}),
		command(route{method: http.MethodPost, path: "/v1/hierarchies", op: "createHierarchy", tag: surveyTag,
			summary: "Store a hierarchy of the dealer once it weighs (valid and consistent)",
			status:  http.StatusCreated, location: "the new hierarchy"},
			func(c *call, in hierarchyInput) (satisfaction.Hierarchy, error) {
				h, err := svc.CreateHierarchy(c.r.Context(), c.dealer, satisfaction.Hierarchy{
					ID: in.ID, Name: in.Name, Description: in.Description, Config: in.Config, Root: in.Root})
				return created(c, "hierarchies", h.ID, h, err)
			}),
		byID(route{method: http.MethodGet, path: "/v1/hierarchies/{id}", op: "getHierarchy", tag: surveyTag,
			summary: "Get a stored hierarchy", status: http.StatusOK}, svc.GetHierarchy),
		byID(route{method: http.MethodGet, path: "/v1/hierarchies/{id}/weights", op: "getHierarchyWeights", tag: surveyTag,
			summary: "Weigh a stored hierarchy: local and global weights, indicators ranked", status: http.StatusOK}, svc.HierarchyWeights),
		query(route{method: http.MethodGet, path: "/v1/hierarchies", op: "listHierarchies", tag: surveyTag,
			summary: "List the dealer's hierarchies in ID order", status: http.StatusOK, result: hierarchy, list: true},
			pageOnly, forDealer(svc.ListHierarchies)),
		command(route{method: http.MethodPost, path: "/v1/questionnaires", op: "createQuestionnaire", tag: surveyTag,
			summary: "Create a questionnaire whose items score indicators of a stored hierarchy",
			status:  http.StatusCreated, location: "the new questionnaire"},
			func(c *call, in questionnaireInput) (satisfaction.Questionnaire, error) {
				q, err := svc.CreateQuestionnaire(c.r.Context(), c.dealer, satisfaction.Questionnaire{
					ID: in.ID, Name: in.Name, Department: in.Department, Scale: in.Scale, HierarchyID: in.HierarchyID,
					Items: in.Items, FollowUpThreshold: in.FollowUpThreshold})
				return created(c, "questionnaires", q.ID, q, err)
			}),
		byID(route{method: http.MethodGet, path: "/v1/questionnaires/{id}", op: "getQuestionnaire", tag: surveyTag,
			summary: "Get a questionnaire", status: http.StatusOK}, svc.GetQuestionnaire),
		query(route{method: http.MethodGet, path: "/v1/questionnaires", op: "listQuestionnaires", tag: surveyTag,
			summary: "List the dealer's questionnaires in ID order", status: http.StatusOK, result: questionnaire, list: true},
			pageOnly, forDealer(svc.ListQuestionnaires)),
		command(route{method: http.MethodPost, path: "/v1/survey-responses", op: "recordSurveyResponse", tag: surveyTag,
			summary: "Record a return-visit response: it is scored 0–100, and one below the follow-up threshold opens a complaint follow-up; a known external_id returns the first response",
			status:  http.StatusCreated, location: "the response"},
			func(c *call, in responseInput) (satisfaction.Response, error) {
				r, err := svc.RecordResponse(c.r.Context(), c.dealer, satisfaction.Response{
					ID: in.ID, ExternalID: in.ExternalID, QuestionnaireID: in.QuestionnaireID, CustomerID: in.CustomerID,
					SaleID: in.SaleID, ServiceOrderID: in.ServiceOrderID, StaffID: in.StaffID, Date: in.Date,
					Answers: in.Answers, Comment: in.Comment})
				return created(c, "survey-responses", r.ID, r, err)
			}),
		byID(route{method: http.MethodGet, path: "/v1/survey-responses/{id}", op: "getSurveyResponse", tag: surveyTag,
			summary: "Get a survey response", status: http.StatusOK}, svc.GetResponse),
		query(route{method: http.MethodGet, path: "/v1/survey-responses", op: "listSurveyResponses", tag: surveyTag,
			summary: "List the dealer's survey responses in ID order", status: http.StatusOK, result: response, list: true},
			responseParams, forDealer(svc.ListResponses)),
		query(route{method: http.MethodGet, path: "/v1/reports/csi", op: "getCSIReport", tag: reportTag, heavy: true,
			summary: "CSI 0–100 of a questionnaire's responses, by criterion, indicator, staff member, department and period",
			status:  http.StatusOK},
			reportParams, func(c *call, q reportQuery) (satisfaction.Report, error) {
				return svc.Report(c.r.Context(), c.dealer, q.Questionnaire, q.Req)
			}),
		query(route{method: http.MethodGet, path: "/v1/reports/satisfaction-priorities", op: "getSatisfactionPriorities", tag: reportTag, heavy: true,
			summary: "Improvement priorities of a questionnaire's indicators: importance × gap, with importance–performance quadrants",
			status:  http.StatusOK},
			priorityParams, func(c *call, q reportQuery) (priorityReport, error) {
				rep, err := svc.Report(c.r.Context(), c.dealer, q.Questionnaire, q.Req)
				if err != nil {
					return priorityReport{}, err
				}
				target := q.Target
				if target == 0 {
					target = satisfaction.DefaultTarget
				}
				return priorityReport{QuestionnaireID: rep.QuestionnaireID, From: rep.From, To: rep.To,
					CSI: rep.CSI, Responses: rep.Responses, Target: target, Items: rep.Priorities(target)}, nil
			}),
	}
}
