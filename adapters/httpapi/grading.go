package httpapi

import (
	"net/http"
	"net/url"
	"reflect"
	"strconv"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
)

// WithGrading adds the routes of package grading, served by svc:
//
//	POST /v1/grading/runs              grade the key's dealer (optionally against its group)
//	GET  /v1/grading/runs/{id}         a run record
//	GET  /v1/grading/model             the scoring model
//	GET  /v1/grading/customers         graded customers, filtered by grade
//	GET  /v1/grading/customers/{id}    a customer's grade, explanation, history and strategy
//	GET  /v1/grading/rfm               the RFM report
//	GET  /v1/grading/pareto            the Pareto report
func WithGrading(svc *grading.Service) Option {
	return func(c *config) {
		c.modules = append(c.modules, module{routes: func() []route { return gradingRoutes(svc) }, schemas: gradingSchemas})
	}
}

// gradingSchemas registers the enumerations, names and descriptions of the
// grading types.
func gradingSchemas(r *schemaRegistry) {
	// The grading enumerations, documented like the crm ones.
	addEnum(r, grading.Metrics()...)
	addEnum(r, grading.Methods()...)
	addEnum(r, grading.ByScore, grading.ByShare)
	addEnum(r, grading.Segments()...)
	addEnum(r, grading.BasisTotal, grading.BasisService, grading.BasisSales)
	// Generic Go names get a grading prefix, so that other modules' types
	// (satisfaction.Method, …) cannot clash with them.
	r.addNames(map[reflect.Type]string{
		reflect.TypeFor[grading.Metric]():          "ValueMetric",
		reflect.TypeFor[grading.Method]():          "NormalizationMethod",
		reflect.TypeFor[grading.TierMode]():        "GradeTierMode",
		reflect.TypeFor[grading.Segment]():         "RFMSegment",
		reflect.TypeFor[grading.Basis]():           "ParetoBasis",
		reflect.TypeFor[grading.Run]():             "GradingRun",
		reflect.TypeFor[grading.State]():           "GradeState",
		reflect.TypeFor[grading.Change]():          "GradeChange",
		reflect.TypeFor[grading.Model]():           "GradingModel",
		reflect.TypeFor[grading.Params]():          "GradingParams",
		reflect.TypeFor[grading.MetricSpec]():      "GradingMetricSpec",
		reflect.TypeFor[grading.Band]():            "ScoreBand",
		reflect.TypeFor[grading.Tier]():            "GradeTier",
		reflect.TypeFor[grading.Hysteresis]():      "GradeHysteresis",
		reflect.TypeFor[grading.LookupTable]():     "PotentialLookup",
		reflect.TypeFor[grading.PotentialTables](): "PotentialTables",
		reflect.TypeFor[grading.Contribution]():    "ScoreContribution",
		reflect.TypeFor[grading.Strategy]():        "ServiceStrategy",
		reflect.TypeFor[grading.GradeCount]():      "GradeCount",
	})
	r.docs["GradingRun"] = "The record of one grading run for one dealer."
	r.docs["GradeState"] = "A customer's current grade, score, explanation (top contributing metrics) and hysteresis counter."
	r.docs["GradeChange"] = "One grade change of a customer, recorded by the run that made it."
	r.docs["GradingModel"] = "A scoring and grading model: metric normalisation and weights, tiers, hysteresis."
	r.docs["ServiceStrategy"] = "The benefits and contact cadence of a grade."
}

// gradingRunInput is the body of POST /v1/grading/runs. It has no way to
// ask for group writes (grading.RunRequest.WriteGroup): a key writes only
// its own dealer's records.
type gradingRunInput struct {
	// AsOf is the run's date; null or absent means today in the dealer's
	// zone; it may not lie after that today.
	AsOf dealercrm.Date `json:"as_of"`
	// Group grades the dealer's customers against the population of its
	// whole group (read only: only the dealer's grades are written).
	Group bool `json:"group,omitempty"`
	// RunID is an optional idempotency key.
	RunID string `json:"run_id,omitempty"`
}

// rfmQuery and paretoQuery are the query parameters of the reports.
type rfmQuery struct {
	AsOf   dealercrm.Date
	Scores bool
}

func gradingRoutes(svc *grading.Service) []route {
	const tag = "Grading"
	asOf := func(field func(*grading.ParetoRequest) *dealercrm.Date) filterParam[grading.ParetoRequest] {
		return dateParam("as_of", "The report's date (default today in the dealer's zone).", field)
	}
	floatParam := func(name, doc string, field func(*grading.ParetoRequest) *float64) filterParam[grading.ParetoRequest] {
		return filterParam[grading.ParetoRequest]{queryParam: queryParam{name: name, doc: doc, typ: reflect.TypeFor[float64]()},
			set: func(f *grading.ParetoRequest, v string) string {
				x, err := strconv.ParseFloat(v, 64)
				if err != nil || x <= 0 || x > 1 {
					return "must be a number in (0, 1]"
				}
				*field(f) = x
				return ""
			}}
	}
	paretoParams := []filterParam[grading.ParetoRequest]{
		asOf(func(f *grading.ParetoRequest) *dealercrm.Date { return &f.AsOf }),
		enumParam("basis", "Revenue to rank by: total (default), service or sales.", func(f *grading.ParetoRequest) *grading.Basis { return &f.Basis }),
		floatParam("top_share", "Share of customers asked about (default 0.2).", func(f *grading.ParetoRequest) *float64 { return &f.TopShare }),
		floatParam("target", "Share of revenue the core customers make up (default 0.8).", func(f *grading.ParetoRequest) *float64 { return &f.Target }),
		{queryParam: queryParam{name: "limit", doc: "How many core customers to list (default 100).", typ: reflect.TypeFor[int]()},
			set: func(f *grading.ParetoRequest, v string) string {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || n > crm.MaxLimit {
					return "must be an integer from 1 to " + strconv.Itoa(crm.MaxLimit)
				}
				f.Limit = n
				return ""
			}},
	}
	rfmParams := []filterParam[rfmQuery]{
		dateParam("as_of", "The report's date (default today in the dealer's zone).", func(f *rfmQuery) *dealercrm.Date { return &f.AsOf }),
		{queryParam: queryParam{name: "scores", doc: "true lists every customer's scores.", typ: reflect.TypeFor[bool]()},
			set: func(f *rfmQuery, v string) string {
				b, err := strconv.ParseBool(v)
				if err != nil {
					return "must be true or false"
				}
				f.Scores = b
				return ""
			}},
	}
	states := resource[grading.State, crm.CustomerID, struct{}, grading.StateFilter]{
		page: func(f *grading.StateFilter) *crm.PageRequest { return &f.PageRequest },
		params: []filterParam[grading.StateFilter]{
			textParam("grade", "Grade (A, B, C with the default model).", nil, func(f *grading.StateFilter) *grading.Grade { return &f.Grade }),
		},
	}
	paretoDocs := make([]queryParam, 0, len(paretoParams))
	for _, p := range paretoParams {
		paretoDocs = append(paretoDocs, p.queryParam)
	}
	rfmDocs := make([]queryParam, 0, len(rfmParams))
	for _, p := range rfmParams {
		rfmDocs = append(rfmDocs, p.queryParam)
	}
	return []route{
		{method: http.MethodPost, path: "/v1/grading/runs", op: "runGrading", tag: tag, heavy: true,
			summary: "Grade the key's dealer as of a date (not after today), optionally against its group's population; writes only the dealer's grades; a repeat of a date answers its run",
			body:    reflect.TypeFor[gradingRunInput](), status: http.StatusCreated, result: reflect.TypeFor[grading.Run](), location: "the run",
			handle: func(_ *handler, c *call) error {
				var in gradingRunInput
				if err := c.decode(&in); err != nil {
					return err
				}
				r, err := svc.Run(c.r.Context(), grading.RunRequest{DealerID: c.dealer, AsOf: in.AsOf, Group: in.Group, RunID: grading.RunID(in.RunID)})
				if err != nil {
					return err
				}
				c.w.Header().Set("Location", "/v1/grading/runs/"+url.PathEscape(string(r.ID)))
				return c.reply(http.StatusCreated, r)
			}},
		{method: http.MethodGet, path: "/v1/grading/runs/{id}", op: "getGradingRun", tag: tag,
			summary: "Get a grading run's record", status: http.StatusOK, result: reflect.TypeFor[grading.Run](),
			handle: func(_ *handler, c *call) error {
				r, err := svc.GetRun(c.r.Context(), c.dealer, grading.RunID(c.r.PathValue("id")))
				if err != nil {
					return err
				}
				return c.reply(http.StatusOK, r)
			}},
		{method: http.MethodGet, path: "/v1/grading/model", op: "getGradingModel", tag: tag,
			summary: "Get the scoring and grading model", status: http.StatusOK, result: reflect.TypeFor[grading.Model](),
			handle: func(_ *handler, c *call) error { return c.reply(http.StatusOK, svc.Model()) }},
		{method: http.MethodGet, path: "/v1/grading/customers", op: "listGradedCustomers", tag: tag,
			summary: "List graded customers in customer ID order, optionally of one grade", params: states.queryParams(),
			status: http.StatusOK, result: reflect.TypeFor[grading.State](), list: true,
			handle: func(_ *handler, c *call) error {
				var f grading.StateFilter
				if err := parseQuery(c.r, states.allParams(), &f); err != nil {
					return err
				}
				p, err := svc.ListStates(c.r.Context(), c.dealer, f)
				if err != nil {
					return err
				}
				return c.reply(http.StatusOK, p)
			}},
		{method: http.MethodGet, path: "/v1/grading/customers/{id}", op: "getCustomerGrade", tag: tag,
			summary: "Get a customer's grade with its explanation, history and service strategy",
			status:  http.StatusOK, result: reflect.TypeFor[grading.CustomerGrade](),
			handle: func(_ *handler, c *call) error {
				g, err := svc.Customer(c.r.Context(), c.dealer, crm.CustomerID(c.r.PathValue("id")))
				if err != nil {
					return err
				}
				return c.reply(http.StatusOK, g)
			}},
		{method: http.MethodGet, path: "/v1/grading/rfm", op: "getRFMReport", tag: tag, heavy: true,
			summary: "RFM quintiles of service history with the standard segments", params: rfmDocs,
			status: http.StatusOK, result: reflect.TypeFor[grading.RFMReport](),
			handle: func(_ *handler, c *call) error {
				var q rfmQuery
				if err := parseQuery(c.r, rfmParams, &q); err != nil {
					return err
				}
				rep, err := svc.RFM(c.r.Context(), c.dealer, q.AsOf, q.Scores)
				if err != nil {
					return err
				}
				return c.reply(http.StatusOK, rep)
			}},
		{method: http.MethodGet, path: "/v1/grading/pareto", op: "getParetoReport", tag: tag, heavy: true,
			summary: "Share of revenue from the top customers and the customers that make up 80% of it", params: paretoDocs,
			status: http.StatusOK, result: reflect.TypeFor[grading.ParetoReport](),
			handle: func(_ *handler, c *call) error {
				var q grading.ParetoRequest
				if err := parseQuery(c.r, paretoParams, &q); err != nil {
					return err
				}
				rep, err := svc.Pareto(c.r.Context(), c.dealer, q)
				if err != nil {
					return err
				}
				return c.reply(http.StatusOK, rep)
			}},
	}
}
