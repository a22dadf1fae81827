package httpapi

import (
	"net/http"
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
	// whole group (read only: only the dealer's grades are written). It
	// needs permission group (group_admin).
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
		dateParam("as_of", "The report's date (default today in the dealer's zone).", func(f *grading.ParetoRequest) *dealercrm.Date { return &f.AsOf }),
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
	stateParams := paged(func(f *grading.StateFilter) *crm.PageRequest { return &f.PageRequest },
		textParam("grade", "Grade (A, B, C with the default model).", nil, func(f *grading.StateFilter) *grading.Grade { return &f.Grade }),
	)
	return []route{
		command(route{method: http.MethodPost, path: "/v1/grading/runs", op: "runGrading", tag: tag, heavy: true,
			summary: "Grade the key's dealer as of a date (not after today), optionally against its group's population; writes only the dealer's grades; a repeat of a date answers its run",
			status:  http.StatusCreated, location: "the run"},
			func(c *call, in gradingRunInput) (grading.Run, error) {
				if in.Group {
					if err := c.principal.Need(crm.PermGroup); err != nil {
						return grading.Run{}, err
					}
				}
				r, err := svc.Run(c.r.Context(), grading.RunRequest{DealerID: c.dealer, AsOf: in.AsOf, Group: in.Group, RunID: grading.RunID(in.RunID)})
				return created(c, "grading/runs", r.ID, r, err)
			}),
		byID(route{method: http.MethodGet, path: "/v1/grading/runs/{id}", op: "getGradingRun", tag: tag,
			summary: "Get a grading run's record", status: http.StatusOK}, svc.GetRun),
		fetch(route{method: http.MethodGet, path: "/v1/grading/model", op: "getGradingModel", tag: tag,
			summary: "Get the scoring and grading model", status: http.StatusOK},
			func(*call) (grading.Model, error) { return svc.Model(), nil }),
		query(route{method: http.MethodGet, path: "/v1/grading/customers", op: "listGradedCustomers", tag: tag,
			summary: "List graded customers in customer ID order, optionally of one grade",
			status:  http.StatusOK, result: reflect.TypeFor[grading.State](), list: true},
			stateParams, forDealer(svc.ListStates)),
		finish(route{method: http.MethodGet, path: "/v1/grading/customers/{id}", op: "getCustomerGrade", tag: tag,
			summary: "Get a customer's grade with its explanation, history and service strategy", status: http.StatusOK},
			func(c *call) (grading.CustomerGrade, error) {
				g, err := svc.Customer(c.r.Context(), c.dealer, crm.CustomerID(c.r.PathValue("id")))
				for i := range g.History {
					h := &g.History[i]
					h.Reason = c.say(h.ReasonCode, h.ReasonParams, h.Reason)
				}
				return g, err
			}),
		query(route{method: http.MethodGet, path: "/v1/grading/rfm", op: "getRFMReport", tag: tag, heavy: true,
			summary: "RFM quintiles of service history with the standard segments", status: http.StatusOK},
			rfmParams, func(c *call, q rfmQuery) (grading.RFMReport, error) {
				return svc.RFM(c.r.Context(), c.dealer, q.AsOf, q.Scores)
			}),
		query(route{method: http.MethodGet, path: "/v1/grading/pareto", op: "getParetoReport", tag: tag, heavy: true,
			summary: "Share of revenue from the top customers and the customers that make up 80% of it", status: http.StatusOK},
			paretoParams, forDealer(svc.Pareto)),
	}
}
