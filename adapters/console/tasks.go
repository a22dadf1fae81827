package console

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
)

// tasksPerPage is how many customers' calls the 今日待办 page shows at once.
const tasksPerPage = 25

type tasksData struct {
	Date     string
	Scope    string
	HasStaff bool
	Groups   []taskGroup
	// Next is the URL of the next page of customers; empty on the last.
	Next      string
	Outcomes  []option
	CanWork   bool
	CanAssign bool
	Today     string
}

type option struct{ Value, Label string }

// taskGroup is one customer's (or lead's) calls.
type taskGroup struct {
	Name, Phone, URL string
	Lead             bool
	GradeTier        string
	Tasks            []taskRow
}

type taskRow struct {
	ID, Kind, Reason, Window, Assignee, Plate, Model string
	Overdue                                          bool
	// CoversNote says the outcome recorded here closes the customer's
	// other tasks too (CloseCovered is sent).
	CoversNote string
}

// tasksPage is 今日待办: the call list due today, grouped by customer, as
// GET /v1/call-groups serves it (lifecycle.Service.CallGroups), scoped to
// what the principal sees (lifecycle.ScopeTasks); scope=mine keeps the
// tasks assigned to the principal's own staff member.
func (h *handler) tasksPage(q *req) error {
	ctx := q.r.Context()
	date, err := h.svc.Lifecycle.Today(ctx, q.p.Dealer)
	if err != nil {
		return err
	}
	qs := q.r.URL.Query()
	f := lifecycle.TaskFilter{PageRequest: crm.PageRequest{After: qs.Get("after"), Limit: tasksPerPage}}
	scope := "role"
	if qs.Get("scope") == "mine" && q.p.Staff != "" {
		scope, f.AssigneeID = "mine", q.p.Staff
	}
	if err := lifecycle.ScopeTasks(q.p, &f); err != nil {
		return err
	}
	page, err := h.svc.Lifecycle.CallGroups(ctx, q.p.Dealer, date, f)
	if err != nil {
		return err
	}
	d := tasksData{Date: date.String(), Scope: scope, HasStaff: q.p.Staff != "", Today: date.String(),
		CanWork: q.p.Can(crm.PermTasksWork), CanAssign: q.p.Can(crm.PermTasksAssign)}
	for _, o := range crm.Outcomes() {
		d.Outcomes = append(d.Outcomes, option{Value: string(o), Label: q.word("outcome", string(o))})
	}
	for _, g := range page.Items {
		d.Groups = append(d.Groups, q.taskGroup(g, date))
	}
	if page.Next != "" {
		d.Next = h.cfg.prefix + "tasks?scope=" + scope + "&after=" + url.QueryEscape(page.Next)
	}
	v := q.view("console.nav.tasks", "tasks")
	v.Title = v.T("console.tasks.title", "date", date.String())
	return q.show("tasks", v, d)
}

func (q *req) taskGroup(g lifecycle.CallGroup, date dealercrm.Date) taskGroup {
	var tg taskGroup
	if len(g.Tasks) > 0 {
		first := g.Tasks[0]
		tg.Name, tg.Phone = first.CustomerName, q.phone(first.Mobile)
		if first.Lead != nil && first.CustomerName == "" {
			tg.Name, tg.Phone, tg.Lead = first.Lead.Name, q.phone(first.Lead.Mobile), true
		}
		var gt []string
		if first.Grade != "" {
			gt = append(gt, first.Grade)
		}
		if first.Tier != "" {
			gt = append(gt, q.word("tier", first.Tier))
		}
		tg.GradeTier = strings.Join(gt, " / ")
	}
	if g.CustomerID != "" {
		tg.URL = q.h.cfg.prefix + "customers/" + url.PathEscape(string(g.CustomerID))
	}
	for _, it := range g.Tasks {
		t := it.Task
		row := taskRow{ID: string(t.ID), Kind: q.word("kind", string(t.Kind)),
			Reason: q.say(t.ReasonCode, t.ReasonParams, t.Reason),
			Window: q.T("console.tasks.window", "due", t.Due.String(), "end", t.WindowEnd.String()),
			Plate:  it.Plate, Model: it.Model,
			Overdue: t.Status == lifecycle.StatusOverdue || t.WindowEnd.Before(date)}
		if it.Lead != nil && it.Model == "" {
			row.Model = it.Lead.ModelOfInterest
		}
		if t.AssigneeID != "" {
			row.Assignee = string(t.AssigneeID)
		} else {
			row.Assignee = q.T("console.tasks.pool", "role", string(t.OwnerRole))
		}
		if t.ID == g.Lead && len(g.Covers) > 0 {
			row.CoversNote = q.T("console.tasks.covers", "n", strconv.Itoa(len(g.Covers)))
		}
		tg.Tasks = append(tg.Tasks, row)
	}
	return tg
}

// mine checks that the principal sees task id before working it, as the
// HTTP API does (lifecycle.InScope): a task of another dealer or one the
// principal does not see is not found or refused.
func (h *handler) mine(q *req, id lifecycle.TaskID) error {
	t, err := h.svc.Lifecycle.Tasks().Get(q.r.Context(), q.p.Dealer, id)
	if err != nil {
		return err
	}
	if !q.p.Can(crm.PermAllTasks) && !lifecycle.InScope(q.p, &t) {
		return &crm.PermissionError{Permission: crm.PermAllTasks,
			Message: fmt.Sprintf("task %s is not yours to work, and your roles lack permission %s", id, crm.PermAllTasks)}
	}
	return nil
}

// recordOutcome records the outcome of a call in place: POST
// tasks/{id}/outcome with outcome, appointment_date (with
// appointment_booked), note and close_covered.
func (h *handler) recordOutcome(q *req) (flash, error) {
	id := lifecycle.TaskID(q.r.PathValue("id"))
	if err := h.mine(q, id); err != nil {
		return flash{}, err
	}
	staff, err := q.p.Actor("staff_id", "")
	if err != nil {
		return flash{}, err
	}
	o := lifecycle.Outcome{Outcome: crm.Outcome(q.r.PostFormValue("outcome")), Note: strings.TrimSpace(q.r.PostFormValue("note")),
		StaffID: staff, CloseCovered: q.r.PostFormValue("close_covered") == "1"}
	if s := strings.TrimSpace(q.r.PostFormValue("appointment_date")); s != "" {
		d, err := dealercrm.ParseDate(s)
		if err != nil {
			var ch crm.Checker
			ch.Add("appointment_date", crm.RuleFormat, "must be a date YYYY-MM-DD, got %q", s)
			return flash{}, ch.Err("outcome")
		}
		if o.Outcome == crm.OutcomeAppointment {
			o.AppointmentDate = d
		}
	}
	if _, _, err := h.svc.Lifecycle.RecordCallOutcome(q.r.Context(), q.p.Dealer, id, o); err != nil {
		return flash{}, err
	}
	return flash{Code: "console.flash.outcome", Params: map[string]string{"outcome": string(o.Outcome)}}, nil
}

// skipTask closes a task without doing it: POST tasks/{id}/skip with a
// reason (required).
func (h *handler) skipTask(q *req) (flash, error) {
	id := lifecycle.TaskID(q.r.PathValue("id"))
	if err := h.mine(q, id); err != nil {
		return flash{}, err
	}
	if _, err := h.svc.Lifecycle.Skip(q.r.Context(), q.p.Dealer, id, strings.TrimSpace(q.r.PostFormValue("reason"))); err != nil {
		return flash{}, err
	}
	return flash{Code: "console.flash.skipped"}, nil
}

// assignTask gives a task to a staff member: POST tasks/{id}/assign with
// staff_id; the route needs crm.PermTasksAssign (managers, CR).
func (h *handler) assignTask(q *req) (flash, error) {
	id := lifecycle.TaskID(q.r.PathValue("id"))
	if err := h.mine(q, id); err != nil {
		return flash{}, err
	}
	staff := crm.StaffID(strings.TrimSpace(q.r.PostFormValue("staff_id")))
	if staff == "" {
		var ch crm.Checker
		ch.Add("staff_id", crm.RuleRequired, "is required")
		return flash{}, ch.Err("assignment")
	}
	if _, err := h.svc.Lifecycle.Reassign(q.r.Context(), q.p.Dealer, id, staff); err != nil {
		return flash{}, err
	}
	return flash{Code: "console.flash.assigned", Params: map[string]string{"staff": string(staff)}}, nil
}
