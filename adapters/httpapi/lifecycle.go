package httpapi

import (
	"net/http"
	"reflect"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
)

// WithLifecycle serves the lifecycle routes of svc: tasks, vehicle plans,
// the abnormal-customer report and the KPIs.
func WithLifecycle(svc *lifecycle.Service) Option {
	return func(c *config) {
		c.modules = append(c.modules, module{routes: func() []route { return lifecycleRoutes(svc) }, schemas: lifecycleSchemas})
	}
}

// lifecycleSchemas registers the enumerations, names and descriptions of the
// lifecycle types.
func lifecycleSchemas(r *schemaRegistry) {
	// The lifecycle enumerations, documented like the crm ones. Kinds are
	// open-ended (a dealer may add rules), so Kind is documented as a string.
	addEnum(r, lifecycle.Roles()...)
	addEnum(r, lifecycle.Statuses()...)
	addEnum(r, lifecycle.Stages()...)
	addEnum(r, lifecycle.Deciders()...)
	addEnum(r, lifecycle.Kinds()...)
	addEnum(r, lifecycle.ActivityActive, lifecycle.ActivityAtRisk, lifecycle.ActivityLost, lifecycle.ActivityDeepLost)
	addEnum(r, lifecycle.ClassA, lifecycle.ClassB, lifecycle.ClassC, lifecycle.ClassD)
	addEnum(r, lifecycle.AbnormalClasses()...)
	addEnum(r, lifecycle.RepairClasses()...)
	r.docs["Task"] = "A follow-up task: whom to contact, about what, by when and who does it, with its deterministic key."
	r.docs["TaskItem"] = "A task of the call list; a lead's task (lead_follow_up, stale_lead) carries its lead, whom to call."
	r.docs["TaskLead"] = "The lead a task is about: a prospect, not yet a customer."
	r.docs["Plan"] = "A vehicle's stage (explained), usage and planned tasks as of a day."
	r.docs["PlannedTask"] = "A task the plan schedules (planned is always true): not a stored task, so without id, status or outcome; the daily run stores it under its key when it falls due."
	r.docs["AbnormalReport"] = "Abnormal customers 异常客户 as of a day: counts by activity, service class and abnormal class, and the abnormal vehicles, each explained."
	r.docs["KPIs"] = "Lifecycle KPIs over a period: churn (and by month), retention 回厂率, first-maintenance return 首保回厂率, insurance renewal 续保率, own-store capture 自店客户掌握率, comebacks 返修率."
	r.docs["ComebackReport"] = "Comebacks 返修 over a period: repairs within the statutory quality warranty of an earlier job of the same vehicle, with the comeback rate."
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

// taskItem is a row of GET /v1/tasks: the task and, for a lead's task
// (a follow-up or a stale lead), whom to call, since a lead is not a
// customer yet.
type taskItem struct {
	lifecycle.Task
	Lead *taskLead `json:"lead,omitempty"`
}

// taskLead is the lead of a task as the call list shows it.
type taskLead struct {
	ID              crm.LeadID      `json:"id"`
	Name            string          `json:"name"`
	Mobile          string          `json:"mobile,omitempty"`
	Level           crm.IntentLevel `json:"level"`
	ModelOfInterest string          `json:"model_of_interest,omitempty"`
	ConsultantID    crm.StaffID     `json:"consultant_id,omitempty"`
}

// withLeads returns the rows of a page of tasks with their leads.
func withLeads(c *call, svc *lifecycle.Service, p crm.Page[lifecycle.Task]) (crm.Page[taskItem], error) {
	leads, err := svc.TaskLeads(c.r.Context(), c.dealer, p.Items)
	if err != nil {
		return crm.Page[taskItem]{}, err
	}
	out := crm.Page[taskItem]{Items: make([]taskItem, len(p.Items)), Next: p.Next}
	for i, t := range p.Items {
		c.renderTask(&t)
		out.Items[i].Task = t
		if l, ok := leads[t.LeadID]; ok {
			out.Items[i].Lead = &taskLead{ID: l.ID, Name: l.Name, Mobile: l.Mobile, Level: l.Level, ModelOfInterest: l.ModelOfInterest, ConsultantID: l.ConsultantID}
		}
	}
	return out, nil
}

// taskQuery is the query of GET /v1/tasks: the day and the filter.
type taskQuery struct {
	date dealercrm.Date
	f    lifecycle.TaskFilter
}

// abnormalQuery is the query of GET /v1/reports/abnormal.
type abnormalQuery struct {
	date dealercrm.Date
	q    lifecycle.AbnormalQuery
}

// periodQuery is the query of a report over a period: from is required,
// to defaults to today.
type periodQuery struct {
	from, to dealercrm.Date
	page     crm.PageRequest
}

func (q *periodQuery) validate() error {
	var c crm.Checker
	if q.from.IsZero() {
		c.Add("from", crm.RuleRequired, "is required: YYYY-MM-DD or YYYY-MM")
	}
	return c.Err("query")
}

func lifecycleRoutes(svc *lifecycle.Service) []route {
	// today fills in a day left out: today in the dealer's zone.
	today := func(c *call, d *dealercrm.Date) error {
		if !d.IsZero() {
			return nil
		}
		t, err := svc.Today(c.r.Context(), c.dealer)
		*d = t
		return err
	}
	const day = "The day, YYYY-MM-DD; today when omitted."
	taskParams := paged(func(q *taskQuery) *crm.PageRequest { return &q.f.PageRequest },
		dateParam("date", day, func(q *taskQuery) *dealercrm.Date { return &q.date }),
		filterParam[taskQuery]{queryParam: queryParam{name: "owner", typ: reflect.TypeFor[string](), doc: "A staff ID (assignee) or an owner role: sales_consultant, service_advisor, cr, manager."},
			set: func(q *taskQuery, v string) string {
				if lifecycle.Role(v).Valid() {
					q.f.OwnerRole = lifecycle.Role(v)
				} else {
					q.f.AssigneeID = crm.StaffID(v)
				}
				return ""
			}},
		enumsParam("status", "Statuses; open and overdue when omitted.", "task statuses", nil,
			func(q *taskQuery) *[]lifecycle.Status { return &q.f.Statuses }),
	)
	abnormalParams := paged(func(q *abnormalQuery) *crm.PageRequest { return &q.q.PageRequest },
		dateParam("date", day, func(q *abnormalQuery) *dealercrm.Date { return &q.date }),
		enumsParam("class", "Keep vehicles with one of these classes; any when omitted.", "abnormal classes", nil,
			func(q *abnormalQuery) *[]lifecycle.AbnormalClass { return &q.q.Classes }),
		filterParam[abnormalQuery]{queryParam: queryParam{name: "group", typ: reflect.TypeFor[bool](), doc: "true: the explicit group-level view, reading the sister dealers' service orders by VIN (near-churn)."},
			set: func(q *abnormalQuery, v string) string {
				switch v {
				case "true":
					q.q.Group = true
				case "false":
				default:
					return "want true or false"
				}
				return ""
			}},
	)
	planParams := []filterParam[dealercrm.Date]{dateParam("date", day, func(d *dealercrm.Date) *dealercrm.Date { return d })}
	periodParams := []filterParam[periodQuery]{
		monthParam("from", "The first day, YYYY-MM-DD, or a month YYYY-MM for its first day (required).", false, func(q *periodQuery) *dealercrm.Date { return &q.from }),
		monthParam("to", "The last day, YYYY-MM-DD, or a month YYYY-MM for its last day; today when omitted.", true, func(q *periodQuery) *dealercrm.Date { return &q.to }),
	}
	comebackParams := paged(func(q *periodQuery) *crm.PageRequest { return &q.page }, periodParams...)
	return []route{
		query(route{method: http.MethodGet, path: "/v1/tasks", op: "listTasks", tag: "Lifecycle",
			summary: "The open and overdue tasks due on or before a day (default today in the dealer's zone), in ID order, one page at a time",
			status:  http.StatusOK, result: reflect.TypeFor[taskItem](), list: true},
			taskParams, func(c *call, q taskQuery) (crm.Page[taskItem], error) {
				if err := today(c, &q.date); err != nil {
					return crm.Page[taskItem]{}, err
				}
				p, err := svc.DueOn(c.r.Context(), c.dealer, q.date, q.f)
				if err != nil {
					return crm.Page[taskItem]{}, err
				}
				return withLeads(c, svc, p)
			}),
		command(route{method: http.MethodPost, path: "/v1/tasks/{id}/outcome", op: "recordTaskOutcome", tag: "Lifecycle",
			summary: "Record the outcome of a task's contact: logs an interaction and closes the task (no answer keeps it open)",
			status:  http.StatusOK},
			func(c *call, in taskOutcomeInput) (taskOutcomeReply, error) {
				t, i, err := svc.RecordOutcome(c.r.Context(), c.dealer, lifecycle.TaskID(c.r.PathValue("id")),
					lifecycle.Outcome{Outcome: in.Outcome, Note: in.Note, StaffID: in.StaffID, Channel: in.Channel})
				c.renderTask(&t)
				return taskOutcomeReply{Task: t, Interaction: i}, err
			}),
		query(route{method: http.MethodGet, path: "/v1/vehicles/{id}/plan", op: "getVehiclePlan", tag: "Lifecycle",
			summary: "A vehicle's stage (explained), usage and planned tasks as of a day (default today); the rows are planned, not stored tasks",
			status:  http.StatusOK},
			planParams, func(c *call, d dealercrm.Date) (lifecycle.Plan, error) {
				if err := today(c, &d); err != nil {
					return lifecycle.Plan{}, err
				}
				p, err := svc.PlanFor(c.r.Context(), c.dealer, crm.VehicleID(c.r.PathValue("id")), d)
				c.renderPlan(&p)
				return p, err
			}),
		query(route{method: http.MethodGet, path: "/v1/reports/abnormal", op: "getAbnormalReport", tag: "Lifecycle", heavy: true,
			summary: "Abnormal customers 异常客户 as of a day (default today): near-churn, long-absent, complained, repair-only; counts over every vehicle, the abnormal vehicles one page at a time",
			status:  http.StatusOK},
			abnormalParams, func(c *call, q abnormalQuery) (lifecycle.AbnormalReport, error) {
				if err := today(c, &q.date); err != nil {
					return lifecycle.AbnormalReport{}, err
				}
				r, err := svc.Abnormal(c.r.Context(), c.dealer, q.date, q.q)
				c.renderAbnormal(&r)
				return r, err
			}),
		query(route{method: http.MethodGet, path: "/v1/reports/kpis", op: "getLifecycleKPIs", tag: "Lifecycle", heavy: true,
			summary: "Lifecycle KPIs over a period (formulas in the lifecycle package docs)", status: http.StatusOK},
			periodParams, func(c *call, q periodQuery) (lifecycle.KPIs, error) {
				if err := today(c, &q.to); err != nil {
					return lifecycle.KPIs{}, err
				}
				return svc.KPIs(c.r.Context(), c.dealer, q.from, q.to)
			}),
		query(route{method: http.MethodGet, path: "/v1/reports/comebacks", op: "getLifecycleComebacks", tag: "Lifecycle", heavy: true,
			summary: "Comebacks 返修 over a period: repairs within the quality warranty of an earlier job, one page at a time, with the rate of the period",
			status:  http.StatusOK},
			comebackParams, func(c *call, q periodQuery) (lifecycle.ComebackReport, error) {
				if err := today(c, &q.to); err != nil {
					return lifecycle.ComebackReport{}, err
				}
				r, err := svc.Comebacks(c.r.Context(), c.dealer, q.from, q.to, q.page)
				c.renderComebacks(&r)
				return r, err
			}),
	}
}
