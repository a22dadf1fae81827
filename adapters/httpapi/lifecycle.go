package httpapi

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
)

// WithLifecycle serves the lifecycle routes of svc: tasks, vehicle plans,
// the abnormal-customer report and the KPIs.
func WithLifecycle(svc *lifecycle.Service) Option {
	return func(c *config) {
		c.modules = append(c.modules, func() []route { return lifecycleRoutes(svc) })
	}
}

func init() {
	// The lifecycle enumerations, documented like the crm ones. Kinds are
	// open-ended (a dealer may add rules), so Kind is documented as a string.
	enumValues[reflect.TypeFor[lifecycle.Role]()] = strs(lifecycle.Roles())
	enumValues[reflect.TypeFor[lifecycle.Status]()] = strs(lifecycle.Statuses())
	enumValues[reflect.TypeFor[lifecycle.Stage]()] = strs(lifecycle.Stages())
	enumValues[reflect.TypeFor[lifecycle.Decider]()] = strs(lifecycle.Deciders())
	enumValues[reflect.TypeFor[lifecycle.Kind]()] = strs(lifecycle.Kinds())
	schemaDocs["Task"] = "A follow-up task: whom to contact, about what, by when and who does it, with its deterministic key."
	schemaDocs["Plan"] = "A vehicle's stage (explained), usage and planned tasks as of a day."
	schemaDocs["PlannedTask"] = "A task the plan schedules (planned is always true): not a stored task, so without id, status or outcome; the daily run stores it under its key when it falls due."
	enumValues[reflect.TypeFor[lifecycle.Activity]()] = []string{string(lifecycle.ActivityActive), string(lifecycle.ActivityAtRisk), string(lifecycle.ActivityLost), string(lifecycle.ActivityDeepLost)}
	enumValues[reflect.TypeFor[lifecycle.ServiceClass]()] = []string{string(lifecycle.ClassA), string(lifecycle.ClassB), string(lifecycle.ClassC), string(lifecycle.ClassD)}
	enumValues[reflect.TypeFor[lifecycle.AbnormalClass]()] = strs(lifecycle.AbnormalClasses())
	schemaDocs["AbnormalReport"] = "Abnormal customers 异常客户 as of a day: counts by activity, service class and abnormal class, and the abnormal vehicles, each explained."
	schemaDocs["KPIs"] = "Lifecycle KPIs over a period: churn (and by month), retention 回厂率, first-maintenance return 首保回厂率, insurance renewal 续保率, own-store capture 自店客户掌握率, comebacks 返修率."
	enumValues[reflect.TypeFor[lifecycle.RepairClass]()] = strs(lifecycle.RepairClasses())
	schemaDocs["ComebackReport"] = "Comebacks 返修 over a period: repairs within the statutory quality warranty of an earlier job of the same vehicle, with the comeback rate."
}

// taskOutcomeInput is the body of POST /v1/tasks/{id}/outcome.
type taskOutcomeInput struct {
	Outcome crm.Outcome `json:"outcome"`
	Note    string      `json:"note,omitempty"`
	StaffID crm.StaffID `json:"staff_id,omitempty"`
	Channel crm.Channel `json:"channel,omitempty"`
}

// taskOutcomeReply is the reply of POST /v1/tasks/{id}/outcome.
type taskOutcomeReply struct {
	Task        lifecycle.Task  `json:"task"`
	Interaction crm.Interaction `json:"interaction"`
}

func badQuery(field, format string, args ...any) error {
	return &crm.ValidationError{Entity: "query", Fields: []crm.FieldError{{Field: field, Rule: crm.RuleFormat, Message: fmt.Sprintf(format, args...)}}}
}

func lifecycleRoutes(svc *lifecycle.Service) []route {
	dateParam := func(c *call) (dealercrm.Date, error) {
		s := c.r.URL.Query().Get("date")
		if s == "" {
			return svc.Today(c.r.Context(), c.dealer)
		}
		d, err := dealercrm.ParseDate(s)
		if err != nil {
			return d, badQuery("date", "want YYYY-MM-DD, got %q", s)
		}
		return d, nil
	}
	return []route{
		{method: http.MethodGet, path: "/v1/tasks", op: "listTasks", tag: "Lifecycle",
			summary: "The open and overdue tasks due on or before a day (default today in the dealer's zone)",
			params: []queryParam{
				{name: "date", typ: reflect.TypeFor[dealercrm.Date](), doc: "The day, YYYY-MM-DD; today when omitted."},
				{name: "owner", typ: reflect.TypeFor[string](), doc: "A staff ID (assignee) or an owner role: sales_consultant, service_advisor, cr."},
				{name: "status", typ: reflect.TypeFor[string](), list: true, doc: "Statuses: open, overdue, done, skipped, cancelled; open and overdue when omitted."},
				{name: "after", typ: reflect.TypeFor[string](), doc: "Cursor: the next member of the previous page."},
			},
			status: http.StatusOK, result: reflect.TypeFor[lifecycle.Task](), list: true,
			handle: func(_ *handler, c *call) error {
				d, err := dateParam(c)
				if err != nil {
					return err
				}
				q := c.r.URL.Query()
				f := lifecycle.TaskFilter{PageRequest: crm.PageRequest{After: q.Get("after")}}
				if o := q.Get("owner"); o != "" {
					if lifecycle.Role(o).Valid() {
						f.OwnerRole = lifecycle.Role(o)
					} else {
						f.AssigneeID = crm.StaffID(o)
					}
				}
				for _, v := range q["status"] {
					for s := range strings.SplitSeq(v, ",") {
						st, err := lifecycle.ParseStatus(s)
						if err != nil {
							return err
						}
						f.Statuses = append(f.Statuses, st)
					}
				}
				p, err := svc.DueOn(c.r.Context(), c.dealer, d, f)
				if err != nil {
					return err
				}
				return c.reply(http.StatusOK, p)
			}},
		{method: http.MethodPost, path: "/v1/tasks/{id}/outcome", op: "recordTaskOutcome", tag: "Lifecycle",
			summary: "Record the outcome of a task's contact: logs an interaction and closes the task (no answer keeps it open)",
			body:    reflect.TypeFor[taskOutcomeInput](), status: http.StatusOK, result: reflect.TypeFor[taskOutcomeReply](),
			handle: func(_ *handler, c *call) error {
				var in taskOutcomeInput
				if err := c.decode(&in); err != nil {
					return err
				}
				t, i, err := svc.RecordOutcome(c.r.Context(), c.dealer, lifecycle.TaskID(c.r.PathValue("id")),
					lifecycle.Outcome{Outcome: in.Outcome, Note: in.Note, StaffID: in.StaffID, Channel: in.Channel})
				if err != nil {
					return err
				}
				return c.reply(http.StatusOK, taskOutcomeReply{Task: t, Interaction: i})
			}},
		{method: http.MethodGet, path: "/v1/vehicles/{id}/plan", op: "getVehiclePlan", tag: "Lifecycle",
			summary: "A vehicle's stage (explained), usage and planned tasks as of a day (default today); the rows are planned, not stored tasks",
			params:  []queryParam{{name: "date", typ: reflect.TypeFor[dealercrm.Date](), doc: "The day, YYYY-MM-DD; today when omitted."}},
			status:  http.StatusOK, result: reflect.TypeFor[lifecycle.Plan](),
			handle: func(_ *handler, c *call) error {
				d, err := dateParam(c)
				if err != nil {
					return err
				}
				ev, err := svc.PlanFor(c.r.Context(), c.dealer, crm.VehicleID(c.r.PathValue("id")), d)
				if err != nil {
					return err
				}
				return c.reply(http.StatusOK, ev)
			}},
		{method: http.MethodGet, path: "/v1/reports/abnormal", op: "getAbnormalReport", tag: "Lifecycle",
			summary: "Abnormal customers 异常客户 as of a day (default today): near-churn, long-absent, complained, repair-only",
			params: []queryParam{
				{name: "date", typ: reflect.TypeFor[dealercrm.Date](), doc: "The day, YYYY-MM-DD; today when omitted."},
				{name: "class", typ: reflect.TypeFor[lifecycle.AbnormalClass](), list: true, doc: "Keep vehicles with one of these classes; any when omitted."},
				{name: "group", typ: reflect.TypeFor[bool](), doc: "true: the explicit group-level view, reading the sister dealers' service orders by VIN (near-churn)."},
			},
			status: http.StatusOK, result: reflect.TypeFor[lifecycle.AbnormalReport](),
			handle: func(_ *handler, c *call) error {
				d, err := dateParam(c)
				if err != nil {
					return err
				}
				q := c.r.URL.Query()
				var aq lifecycle.AbnormalQuery
				for _, v := range q["class"] {
					for s := range strings.SplitSeq(v, ",") {
						aq.Classes = append(aq.Classes, lifecycle.AbnormalClass(s))
					}
				}
				switch g := q.Get("group"); g {
				case "", "false":
				case "true":
					aq.Group = true
				default:
					return badQuery("group", "want true or false, got %q", g)
				}
				r, err := svc.Abnormal(c.r.Context(), c.dealer, d, aq)
				if err != nil {
					return err
				}
				return c.reply(http.StatusOK, r)
			}},
		{method: http.MethodGet, path: "/v1/reports/kpis", op: "getLifecycleKPIs", tag: "Lifecycle",
			summary: "Lifecycle KPIs over a period (formulas in the lifecycle package docs)",
			params:  periodParams,
			status:  http.StatusOK, result: reflect.TypeFor[lifecycle.KPIs](),
			handle: func(_ *handler, c *call) error {
				from, to, err := period(svc, c)
				if err != nil {
					return err
				}
				k, err := svc.KPIs(c.r.Context(), c.dealer, from, to)
				if err != nil {
					return err
				}
				return c.reply(http.StatusOK, k)
			}},
		{method: http.MethodGet, path: "/v1/reports/comebacks", op: "getLifecycleComebacks", tag: "Lifecycle",
			summary: "Comebacks 返修 over a period: repairs within the quality warranty of an earlier job, with the rate",
			params:  periodParams,
			status:  http.StatusOK, result: reflect.TypeFor[lifecycle.ComebackReport](),
			handle: func(_ *handler, c *call) error {
				from, to, err := period(svc, c)
				if err != nil {
					return err
				}
				r, err := svc.Comebacks(c.r.Context(), c.dealer, from, to)
				if err != nil {
					return err
				}
				return c.reply(http.StatusOK, r)
			}},
	}
}

// periodParams are the query parameters of a report over a period.
var periodParams = []queryParam{
	{name: "from", typ: reflect.TypeFor[dealercrm.Date](), doc: "The first day, YYYY-MM-DD (required)."},
	{name: "to", typ: reflect.TypeFor[dealercrm.Date](), doc: "The last day, YYYY-MM-DD; today when omitted."},
}

// period reads the from and to query parameters; to defaults to today.
func period(svc *lifecycle.Service, c *call) (from, to dealercrm.Date, err error) {
	q := c.r.URL.Query()
	if from, err = dealercrm.ParseDate(q.Get("from")); err != nil {
		return from, to, badQuery("from", "want YYYY-MM-DD, got %q", q.Get("from"))
	}
	if s := q.Get("to"); s == "" {
		to, err = svc.Today(c.r.Context(), c.dealer)
		return from, to, err
	}
	if to, err = dealercrm.ParseDate(q.Get("to")); err != nil {
		return from, to, badQuery("to", "want YYYY-MM-DD, got %q", q.Get("to"))
	}
	return from, to, nil
}
