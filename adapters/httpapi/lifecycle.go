package httpapi

import (
	"errors"
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
	r.docs["CallItem"] = "A task of the call list with what the caller needs: the customer's name and mobile (masked for roles without permission personal_data), the car's plate and model, its stage, the customer's grade, club tier and last visit."
	r.docs["CallGroup"] = "One customer's tasks on the call list, worked as one call: an outcome on lead with close_covered closes covers too."
	r.docs["Task"] = "A follow-up task: whom to contact, about what, by when and who does it, with its deterministic key."
	r.docs["CallLead"] = "The lead a task is about (lead_follow_up, stale_lead): a prospect, not yet a customer."
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
	// StaffID is who made the contact: the API key's own staff member, so
	// it may be left out, and must be that staff member when given.
	StaffID crm.StaffID `json:"staff_id,omitempty"`
	Channel crm.Channel `json:"channel,omitempty"`
	// AppointmentDate is required with outcome appointment_booked.
	AppointmentDate dealercrm.Date `json:"appointment_date,omitzero"`
	// CloseCovered applies the outcome to the tasks the call covers too
	// (GET /v1/call-groups shows them).
	CloseCovered bool `json:"close_covered,omitempty"`
}

// taskOutcomeReply is the reply of POST /v1/tasks/{id}/outcome.
type taskOutcomeReply struct {
	Task        lifecycle.Task  `json:"task"`
	Interaction crm.Interaction `json:"interaction"`
	// Covered are the other tasks the outcome closed (close_covered).
	Covered []lifecycle.Task `json:"covered,omitempty"`
}

// taskSkipInput is the body of POST /v1/tasks/{id}/skip.
type taskSkipInput struct {
	Reason string `json:"reason"`
}

// taskAssignInput is the body of POST /v1/tasks/{id}/assign.
type taskAssignInput struct {
	StaffID crm.StaffID `json:"staff_id"`
}

// tasksAssignInput is the body of POST /v1/tasks/assign.
type tasksAssignInput struct {
	IDs     []lifecycle.TaskID `json:"ids"`
	StaffID crm.StaffID        `json:"staff_id"`
}

// tasksReply is the reply of a bulk change: the tasks in the order asked.
type tasksReply struct {
	Tasks []lifecycle.Task `json:"tasks"`
}

// taskQuery is the query of GET /v1/tasks and GET /v1/call-groups: the
// day and the filter.
type taskQuery struct {
	date dealercrm.Date
	f    lifecycle.TaskFilter
}

func (q *taskQuery) validate() error {
	var c crm.Checker
	if d := q.f.Due; !d.From.IsZero() && !d.To.IsZero() && d.To.Before(d.From) {
		c.Add("due_to", crm.RuleOrder, "must not be before due_from")
	}
	return c.Err("query")
}

// kindParam filters on task kinds, comma-separated or repeated. Kinds are
// open-ended (a dealer may add rules), so any lower-case identifier is
// taken; an unknown kind matches no task.
func kindParam() filterParam[taskQuery] {
	return filterParam[taskQuery]{
		queryParam: queryParam{name: "kind", typ: reflect.TypeFor[lifecycle.Kind](), list: true,
			doc: "Task kinds (delivery_3dc, insurance_renewal…); any when omitted."},
		set: func(q *taskQuery, v string) string {
			if v == "" || strings.Trim(v, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
				return "is not a list of task kinds (lower-case letters, digits and _)"
			}
			q.f.Kinds = append(q.f.Kinds, lifecycle.Kind(v))
			return ""
		},
	}
}

// abnormalQuery is the query of GET /v1/reports/abnormal.
type abnormalQuery struct {
	date dealercrm.Date
	q    lifecycle.AbnormalQuery
}

// periodQuery is the query of a report over a period: from is required,
// to defaults to today.
type periodQuery struct {
	q lifecycle.PeriodQuery
}

func (q *periodQuery) validate() error {
	var c crm.Checker
	if q.q.From.IsZero() {
		c.Add("from", crm.RuleRequired, "is required: YYYY-MM-DD or YYYY-MM")
	}
	return c.Err("query")
}

// liveParam is the live parameter of a report: true computes it from the
// records now.
func liveParam[Q any](source func(*Q) *lifecycle.ReportSource) filterParam[Q] {
	return filterParam[Q]{
		queryParam: queryParam{name: "live", typ: reflect.TypeFor[bool](),
			doc: "true: compute the report from the records now. Otherwise a report of today (for a period, one of the standard periods: this month, last month, this year, the twelve months to date) is served from the snapshot today's daily run computed, and computed_at says when."},
		set: func(q *Q, v string) string {
			live, msg := parseFlag(v)
			if msg == "" {
				*source(q) = lifecycle.SourceAny
				if live {
					*source(q) = lifecycle.SourceLive
				}
			}
			return msg
		},
	}
}

// fromSnapshot runs report with *source set to SourceSnapshot first,
// without a heavy turn; when the snapshot does not hold the report, it
// takes the request's heavy turn and runs report live. A request that
// asked for live goes straight to the second step.
func fromSnapshot[R any](c *call, source *lifecycle.ReportSource, report func() (R, error)) (R, error) {
	if *source == lifecycle.SourceAny {
		*source = lifecycle.SourceSnapshot
		r, err := report()
		if !errors.Is(err, lifecycle.ErrNoReports) {
			return r, err
		}
	}
	*source = lifecycle.SourceLive
	if err := c.heavy(); err != nil {
		var zero R
		return zero, err
	}
	return report()
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
	// inScope checks that the principal sees the tasks of ids before they
	// are worked or (re)assigned (lifecycle.InScope): a consultant or
	// advisor their own, CR the CR tasks; mine does for the task of the
	// path.
	inScope := func(c *call, ids []lifecycle.TaskID, bulk bool) error {
		if c.principal.Can(crm.PermAllTasks) {
			return nil // every task of the store: no read needed
		}
		for _, id := range ids {
			t, err := svc.Tasks().Get(c.r.Context(), c.dealer, id)
			if bulk && errors.Is(err, dealercrm.ErrNotFound) {
				continue // ReassignMany names the missing task
			}
			if err != nil {
				return err
			}
			if !lifecycle.InScope(c.principal, &t) {
				return &crm.PermissionError{Permission: crm.PermAllTasks,
					Message: fmt.Sprintf("task %s is not the API key's to work, and its roles lack permission %s", id, crm.PermAllTasks)}
			}
		}
		return nil
	}
	mine := func(c *call) error {
		return inScope(c, []lifecycle.TaskID{lifecycle.TaskID(c.r.PathValue("id"))}, false)
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
		kindParam(),
		enumsParam("channel", "Channels; any when omitted.", "channels", nil,
			func(q *taskQuery) *[]crm.Channel { return &q.f.Channels }),
		enumParam("owner_role", "The owner role: sales_consultant, service_advisor, cr.", func(q *taskQuery) *lifecycle.Role { return &q.f.OwnerRole }),
		textParam("staff_id", "The staff member in charge (assignee).", strings.TrimSpace, func(q *taskQuery) *crm.StaffID { return &q.f.AssigneeID }),
		textParam("customer_id", "A customer's tasks.", strings.TrimSpace, func(q *taskQuery) *crm.CustomerID { return &q.f.CustomerID }),
		textParam("vehicle_id", "A vehicle's tasks.", strings.TrimSpace, func(q *taskQuery) *crm.VehicleID { return &q.f.VehicleID }),
		dateParam("due_from", "Due on or after this day, YYYY-MM-DD.", func(q *taskQuery) *dealercrm.Date { return &q.f.Due.From }),
		dateParam("due_to", "Due on or before this day, YYYY-MM-DD; the day (date) when omitted.", func(q *taskQuery) *dealercrm.Date { return &q.f.Due.To }),
	)
	abnormalParams := paged(func(q *abnormalQuery) *crm.PageRequest { return &q.q.PageRequest },
		dateParam("date", day, func(q *abnormalQuery) *dealercrm.Date { return &q.date }),
		enumsParam("class", "Keep vehicles with one of these classes; any when omitted.", "abnormal classes", nil,
			func(q *abnormalQuery) *[]lifecycle.AbnormalClass { return &q.q.Classes }),
		boolParam("group", "true: the explicit group-level view, reading the sister dealers' service orders by VIN (near-churn); computed live. Needs permission group (group_admin).",
			func(q *abnormalQuery) *bool { return &q.q.Group }),
		liveParam(func(q *abnormalQuery) *lifecycle.ReportSource { return &q.q.Source }),
	)
	planParams := []filterParam[dealercrm.Date]{dateParam("date", day, func(d *dealercrm.Date) *dealercrm.Date { return d })}
	periodParams := []filterParam[periodQuery]{
		monthParam("from", "The first day, YYYY-MM-DD, or a month YYYY-MM for its first day (required).", false, func(q *periodQuery) *dealercrm.Date { return &q.q.From }),
		monthParam("to", "The last day, YYYY-MM-DD, or a month YYYY-MM for its last day; today when omitted.", true, func(q *periodQuery) *dealercrm.Date { return &q.q.To }),
		liveParam(func(q *periodQuery) *lifecycle.ReportSource { return &q.q.Source }),
	}
	comebackParams := paged(func(q *periodQuery) *crm.PageRequest { return &q.q.PageRequest }, periodParams...)
	return []route{
		query(route{method: http.MethodGet, path: "/v1/tasks", op: "listTasks", tag: "Lifecycle",
			summary: "The call list: the tasks due on or before a day (default today in the dealer's zone; open and overdue unless status says otherwise), in ID order, one page at a time, each with the customer's name and mobile, the car's plate and model, stage, grade, tier and last visit",
			status:  http.StatusOK, result: reflect.TypeFor[lifecycle.CallItem](), list: true},
			taskParams, func(c *call, q taskQuery) (crm.Page[lifecycle.CallItem], error) {
				if err := today(c, &q.date); err != nil {
					return crm.Page[lifecycle.CallItem]{}, err
				}
				if err := lifecycle.ScopeTasks(c.principal, &q.f); err != nil {
					return crm.Page[lifecycle.CallItem]{}, err
				}
				p, err := svc.CallList(c.r.Context(), c.dealer, q.date, q.f)
				for i := range p.Items {
					c.renderTask(&p.Items[i].Task)
				}
				return p, err
			}),
		query(route{method: http.MethodGet, path: "/v1/call-groups", op: "listCallGroups", tag: "Lifecycle",
			summary: "The call list grouped by customer (the filters of GET /v1/tasks), one page of customers at a time in customer ID order: each customer's tasks, and the lead task whose outcome with close_covered closes the tasks it covers",
			status:  http.StatusOK, result: reflect.TypeFor[lifecycle.CallGroup](), list: true},
			taskParams, func(c *call, q taskQuery) (crm.Page[lifecycle.CallGroup], error) {
				if err := today(c, &q.date); err != nil {
					return crm.Page[lifecycle.CallGroup]{}, err
				}
				if err := lifecycle.ScopeTasks(c.principal, &q.f); err != nil {
					return crm.Page[lifecycle.CallGroup]{}, err
				}
				p, err := svc.CallGroups(c.r.Context(), c.dealer, q.date, q.f)
				for i := range p.Items {
					for j := range p.Items[i].Tasks {
						c.renderTask(&p.Items[i].Tasks[j].Task)
					}
				}
				return p, err
			}),
		command(route{method: http.MethodPost, path: "/v1/tasks/{id}/outcome", op: "recordTaskOutcome", tag: "Lifecycle",
			summary: "Record the outcome of a task's contact: logs an interaction and closes the task; appointment_booked needs appointment_date; no answer retries on the next working day up to the policy's attempts; close_covered closes the tasks the call covers too",
			status:  http.StatusOK},
			func(c *call, in taskOutcomeInput) (taskOutcomeReply, error) {
				staff, err := c.principal.Actor("staff_id", in.StaffID)
				if err != nil {
					return taskOutcomeReply{}, err
				}
				if err := mine(c); err != nil {
					return taskOutcomeReply{}, err
				}
				ts, i, err := svc.RecordCallOutcome(c.r.Context(), c.dealer, lifecycle.TaskID(c.r.PathValue("id")),
					lifecycle.Outcome{Outcome: in.Outcome, Note: in.Note, StaffID: staff, Channel: in.Channel,
						AppointmentDate: in.AppointmentDate, CloseCovered: in.CloseCovered})
				if err != nil {
					return taskOutcomeReply{}, err
				}
				for j := range ts {
					c.renderTask(&ts[j])
				}
				return taskOutcomeReply{Task: ts[0], Interaction: i, Covered: ts[1:]}, nil
			}),
		command(route{method: http.MethodPost, path: "/v1/tasks/{id}/skip", op: "skipTask", tag: "Lifecycle",
			summary: "Skip a task: close it without doing it, with a reason (required)", status: http.StatusOK},
			func(c *call, in taskSkipInput) (lifecycle.Task, error) {
				if err := mine(c); err != nil {
					return lifecycle.Task{}, err
				}
				t, err := svc.Skip(c.r.Context(), c.dealer, lifecycle.TaskID(c.r.PathValue("id")), in.Reason)
				c.renderTask(&t)
				return t, err
			}),
		command(route{method: http.MethodPost, path: "/v1/tasks/{id}/assign", op: "assignTask", tag: "Lifecycle",
			summary: "Give an open or overdue task to a staff member", status: http.StatusOK},
			func(c *call, in taskAssignInput) (lifecycle.Task, error) {
				if err := mine(c); err != nil {
					return lifecycle.Task{}, err
				}
				t, err := svc.Reassign(c.r.Context(), c.dealer, lifecycle.TaskID(c.r.PathValue("id")), in.StaffID)
				c.renderTask(&t)
				return t, err
			}),
		command(route{method: http.MethodPost, path: "/v1/tasks/assign", op: "assignTasks", tag: "Lifecycle",
			summary: "Give several open or overdue tasks (at most 1,000) to a staff member in one transaction: all or nothing, the tasks in the order of ids, or an error naming the task that failed",
			status:  http.StatusOK},
			func(c *call, in tasksAssignInput) (tasksReply, error) {
				if err := inScope(c, in.IDs, true); err != nil {
					return tasksReply{}, err
				}
				ts, err := svc.ReassignMany(c.r.Context(), c.dealer, in.IDs, in.StaffID)
				for j := range ts {
					c.renderTask(&ts[j])
				}
				return tasksReply{Tasks: ts}, err
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
		query(route{method: http.MethodGet, path: "/v1/reports/abnormal", op: "getAbnormalReport", tag: "Lifecycle", heavy: true, heavyOnDemand: true,
			summary: "Abnormal customers 异常客户 as of a day (default today): near-churn, long-absent, complained, repair-only; counts over every vehicle, the abnormal vehicles one page at a time",
			status:  http.StatusOK},
			abnormalParams, func(c *call, q abnormalQuery) (lifecycle.AbnormalReport, error) {
				if q.q.Group {
					if err := c.principal.Need(crm.PermGroup); err != nil {
						return lifecycle.AbnormalReport{}, err
					}
				}
				r, err := fromSnapshot(c, &q.q.Source, func() (lifecycle.AbnormalReport, error) { return svc.Abnormal(c.r.Context(), c.dealer, q.date, q.q) })
				c.renderAbnormal(&r)
				return r, err
			}),
		query(route{method: http.MethodGet, path: "/v1/reports/kpis", op: "getLifecycleKPIs", tag: "Lifecycle", heavy: true, heavyOnDemand: true,
			summary: "Lifecycle KPIs over a period (formulas in the lifecycle package docs); the standard periods of today come from the daily run's snapshot", status: http.StatusOK},
			periodParams, func(c *call, q periodQuery) (lifecycle.KPIs, error) {
				return fromSnapshot(c, &q.q.Source, func() (lifecycle.KPIs, error) { return svc.KPIs(c.r.Context(), c.dealer, q.q) })
			}),
		query(route{method: http.MethodGet, path: "/v1/reports/comebacks", op: "getLifecycleComebacks", tag: "Lifecycle", heavy: true, heavyOnDemand: true,
			summary: "Comebacks 返修 over a period: repairs within the quality warranty of an earlier job, one page at a time, with the rate of the period",
			status:  http.StatusOK},
			comebackParams, func(c *call, q periodQuery) (lifecycle.ComebackReport, error) {
				r, err := fromSnapshot(c, &q.q.Source, func() (lifecycle.ComebackReport, error) { return svc.Comebacks(c.r.Context(), c.dealer, q.q) })
				c.renderComebacks(&r)
				return r, err
			}),
	}
}
