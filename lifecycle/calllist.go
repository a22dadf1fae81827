package lifecycle

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// CallPolicy says how the call list is worked (issue 14): which tasks one
// call may close together and how an unanswered call is retried.
type CallPolicy struct {
	// Alone are the kinds always worked in a call of their own: a call
	// about another task never closes them, and a call about them closes
	// nothing else. Every other kind may share a call with the other
	// tasks of its customer (the compulsory and commercial insurance
	// renewals of a car, a birthday care and a maintenance reminder).
	// DefaultCallPolicy keeps alone the complaint and survey follow-ups,
	// the one-on-one visit and the lead tasks (a sales follow-up and a
	// stale lead are another department's work, not closed by a CR call).
	Alone []Kind `json:"alone,omitempty"`
	// MaxAttempts is how many unanswered calls (crm.OutcomeNoAnswer) a
	// task takes: each earlier one reschedules it to the next working day
	// after the call (Calendar.NextWorkingDay, pinned so that the daily
	// run keeps the date); the last one closes it as skipped, its
	// StatusReason saying so (3).
	MaxAttempts int `json:"max_attempts"`
}

// DefaultCallPolicy returns the default CallPolicy: complaint and survey
// follow-ups, one-on-one visits, lead follow-ups and stale leads alone,
// three attempts.
func DefaultCallPolicy() CallPolicy {
	return CallPolicy{Alone: []Kind{KindComplaintFollowUp, KindSurveyFollowUp, KindOneOnOneVisit, KindLeadFollowUp, KindStaleLead}, MaxAttempts: 3}
}

// Validate checks a CallPolicy: a positive MaxAttempts and no empty kind.
func (p CallPolicy) Validate() error {
	var c crm.Checker
	if p.MaxAttempts < 1 {
		c.Add("max_attempts", RuleRange, "must be at least 1, got %d", p.MaxAttempts)
	}
	for i, k := range p.Alone {
		if k == "" {
			c.Add(fmt.Sprintf("alone[%d]", i), crm.RuleRequired, "is empty")
		}
	}
	return c.Err("call policy")
}

// Joint reports whether tasks of kind k may share a call with others.
func (p CallPolicy) Joint(k Kind) bool { return !slices.Contains(p.Alone, k) }

// WithCallPolicy sets the call policy (default DefaultCallPolicy());
// NewService validates it.
func WithCallPolicy(p CallPolicy) Option { return func(s *Service) { s.call = p } }

// CallPolicy returns the service's call policy.
func (s *Service) CallPolicy() CallPolicy { return s.call }

// CallItem is a task of the call list with what the caller needs to make
// the call: who (name, mobile), which car (plate, model), where the
// customer stands (grade, club tier) — and, from the task itself, where
// the car stands (Task.Stage, Task.LastVisit, as of the daily run). The
// task's own fields (its reason among them) are those of Task. A field is
// empty when the record it comes from is unknown (a task without a
// vehicle has no plate).
type CallItem struct {
	Task
	CustomerName string `json:"customer_name,omitempty"`
	// Mobile is the customer's mobile number, in full (masking by role
	// comes with roles, SPEC §9).
	Mobile string `json:"mobile,omitempty"`
	Plate  string `json:"plate,omitempty"`
	Model  string `json:"model,omitempty"`
	// Grade is the customer's grade (a GradeSource), Tier their club tier
	// (a MembershipSource).
	Grade string `json:"grade,omitempty"`
	Tier  string `json:"tier,omitempty"`
	// Lead is the lead of a lead's task (lead_follow_up, stale_lead):
	// whom to call, since a lead is not a customer yet.
	Lead *CallLead `json:"lead,omitempty"`
}

// CallLead is the lead of a task as the call list shows it.
type CallLead struct {
	ID              crm.LeadID      `json:"id"`
	Name            string          `json:"name"`
	Mobile          string          `json:"mobile,omitempty"`
	Level           crm.IntentLevel `json:"level"`
	ModelOfInterest string          `json:"model_of_interest,omitempty"`
	ConsultantID    crm.StaffID     `json:"consultant_id,omitempty"`
}

// CallPageSource is a TaskStore that reads a page of tasks together with
// the crm records the call list shows of them — the customer's name and
// mobile, the vehicle's plate and model — joining the customers and
// vehicles of crm store st in one query (adapters/postgres: one
// statement a page). It reports false, reading nothing, when it cannot
// join st (a store of another database, or one wrapped); the Service then
// lists the tasks and reads the records through st's repositories. The
// stage and the last visit are the task's own (Task.Stage,
// Task.LastVisit, kept by the daily run), so no service order is read.
type CallPageSource interface {
	CallPage(ctx context.Context, st crm.Store, dealer crm.DealerID, f TaskFilter) (crm.Page[CallItem], bool, error)
}

// CallPageLookupSource is a CallPageSource that also reads, in the
// statement of the page, each customer's grade and club tier from the
// grading and club tables of its own database: CallItem.Grade is the
// grade of the customer's grading state, CallItem.Tier the tier of their
// active membership — what GradeLookup and MembershipLookup give over the
// same tables. The Service uses it only when told that its sources read
// that database (WithSharedDatabase); adapters/postgres has it.
type CallPageLookupSource interface {
	CallPageWithLookups(ctx context.Context, st crm.Store, dealer crm.DealerID, f TaskFilter) (crm.Page[CallItem], bool, error)
}

// callFilter fills in the call list's defaults: open and overdue tasks
// due on or before date unless f says otherwise.
func callFilter(date dealercrm.Date, f TaskFilter) TaskFilter {
	if f.Due.To.IsZero() {
		f.Due.To = date
	}
	if len(f.Statuses) == 0 {
		f.Statuses = []Status{StatusOpen, StatusOverdue}
	}
	return f
}

// CallList returns the dealer's call list for a day, a page at a time in
// ID order: the tasks f selects — by default the open and overdue ones
// due on or before date (f.Due.To and f.Statuses override) — each with
// the customer, vehicle, grade and tier (CallItem; the stage and last
// visit are the task's, as of the daily run).
// The records are read in one batch per page, not per task.
func (s *Service) CallList(ctx context.Context, dealer crm.DealerID, date dealercrm.Date, f TaskFilter) (crm.Page[CallItem], error) {
	p, looked, err := s.callPage(ctx, dealer, callFilter(date, f))
	if err != nil {
		return crm.Page[CallItem]{}, err
	}
	if err := s.enrich(ctx, dealer, p.Items, looked); err != nil {
		return crm.Page[CallItem]{}, err
	}
	return p, nil
}

// CallGroup is one customer's tasks on the call list, to be worked as one
// call: record the outcome on Lead with Outcome.CloseCovered and it
// closes Covers too.
type CallGroup struct {
	CustomerID crm.CustomerID `json:"customer_id"`
	// Tasks are the customer's tasks on the list, by due date then ID.
	Tasks []CallItem `json:"tasks"`
	// Lead is the first task whose kind may share a call (CallPolicy); empty
	// when every task is worked alone.
	Lead TaskID `json:"lead,omitempty"`
	// Covers are the other tasks a call about Lead closes.
	Covers []TaskID `json:"covers,omitempty"`
}

// CallGroups returns the call list grouped by customer, a page of
// customers at a time in customer ID order (the cursor is the last
// customer's ID): the tasks f selects, with CallList's defaults, of each
// customer that has some. Tasks without a customer are on CallList only.
func (s *Service) CallGroups(ctx context.Context, dealer crm.DealerID, date dealercrm.Date, f TaskFilter) (crm.Page[CallGroup], error) {
	f = callFilter(date, f)
	cp, err := s.tasks.ListCustomers(ctx, dealer, f)
	if err != nil {
		return crm.Page[CallGroup]{}, fmt.Errorf("lifecycle: call groups: %w", err)
	}
	out := crm.Page[CallGroup]{Items: []CallGroup{}, Next: cp.Next}
	if len(cp.Items) == 0 {
		return out, nil
	}
	g := f
	g.CustomerID, g.CustomerIDs = "", cp.Items
	looked := false
	items, err := crm.All(ctx, func(a string) (crm.Page[CallItem], error) {
		g.PageRequest = crm.PageRequest{After: a, Limit: crm.MaxLimit}
		p, l, err := s.callPage(ctx, dealer, g)
		looked = l
		return p, err
	})
	if err != nil {
		return crm.Page[CallGroup]{}, fmt.Errorf("lifecycle: call groups: %w", err)
	}
	if err := s.enrich(ctx, dealer, items, looked); err != nil {
		return crm.Page[CallGroup]{}, err
	}
	byCustomer := map[crm.CustomerID][]CallItem{}
	for _, it := range items {
		byCustomer[it.CustomerID] = append(byCustomer[it.CustomerID], it)
	}
	for _, c := range cp.Items {
		grp := CallGroup{CustomerID: c, Tasks: byCustomer[c]}
		slices.SortFunc(grp.Tasks, func(a, b CallItem) int {
			if d := a.Due.Compare(b.Due); d != 0 {
				return d
			}
			return strings.Compare(string(a.ID), string(b.ID))
		})
		for _, t := range grp.Tasks {
			switch {
			case !s.call.Joint(t.Kind):
			case grp.Lead == "":
				grp.Lead = t.ID
			default:
				grp.Covers = append(grp.Covers, t.ID)
			}
		}
		out.Items = append(out.Items, grp)
	}
	return out, nil
}

// callPage lists the tasks f selects with their customers' names and
// mobiles and their vehicles' plates and models: in one read through the
// task store's CallPageSource when it can join the crm store, else a page
// of tasks and one Get per customer and vehicle of it. looked says the
// read gave the grades and tiers too (CallPageLookupSource).
func (s *Service) callPage(ctx context.Context, dealer crm.DealerID, f TaskFilter) (_ crm.Page[CallItem], looked bool, _ error) {
	st := s.crm.Store()
	if src, ok := s.tasks.(CallPageLookupSource); ok && s.shared {
		p, ok, err := src.CallPageWithLookups(ctx, st, dealer, f)
		if err != nil {
			return crm.Page[CallItem]{}, false, fmt.Errorf("lifecycle: call list: %w", err)
		}
		if ok {
			return p, true, nil
		}
	}
	if src, ok := s.tasks.(CallPageSource); ok {
		p, ok, err := src.CallPage(ctx, st, dealer, f)
		if err != nil {
			return crm.Page[CallItem]{}, false, fmt.Errorf("lifecycle: call list: %w", err)
		}
		if ok {
			return p, false, nil
		}
	}
	tp, err := s.ListTasks(ctx, dealer, f)
	if err != nil {
		return crm.Page[CallItem]{}, false, err
	}
	p := crm.Page[CallItem]{Items: make([]CallItem, len(tp.Items)), Next: tp.Next}
	customer := memo(func(id crm.CustomerID) (*crm.Customer, error) { return get(ctx, dealer, id, st.Customers().Get) })
	vehicle := memo(func(id crm.VehicleID) (*crm.Vehicle, error) { return get(ctx, dealer, id, st.Vehicles().Get) })
	for i, t := range tp.Items {
		it := &p.Items[i]
		it.Task = t
		c, err := customer(t.CustomerID)
		if err != nil {
			return crm.Page[CallItem]{}, false, fmt.Errorf("lifecycle: call list: %w", err)
		}
		v, err := vehicle(t.VehicleID)
		if err != nil {
			return crm.Page[CallItem]{}, false, fmt.Errorf("lifecycle: call list: %w", err)
		}
		if c != nil {
			it.CustomerName, it.Mobile = c.Name, c.Mobile
		}
		if v != nil {
			it.Plate, it.Model = v.Plate, v.Model
		}
	}
	return p, false, nil
}

// memo returns read keeping each ID's answer; the empty ID reads nothing.
func memo[ID ~string, R any](read func(ID) (*R, error)) func(ID) (*R, error) {
	seen := map[ID]*R{}
	return func(id ID) (*R, error) {
		if id == "" {
			return nil, nil
		}
		if r, ok := seen[id]; ok {
			return r, nil
		}
		r, err := read(id)
		if err == nil {
			seen[id] = r
		}
		return r, err
	}
}

// get reads one record, nil when it is not found.
func get[ID ~string, R any](ctx context.Context, dealer crm.DealerID, id ID, read func(context.Context, crm.DealerID, ID) (R, error)) (*R, error) {
	r, err := read(ctx, dealer, id)
	if dealercrm.ErrorCode(err) == dealercrm.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// enrich adds to the items of the call list the customers' grades and
// club tiers (one read each, unless looked: the page's read gave them) and
// the leads of the lead tasks.
func (s *Service) enrich(ctx context.Context, dealer crm.DealerID, items []CallItem, looked bool) error {
	if len(items) == 0 {
		return nil
	}
	var cs []crm.CustomerID
	var ls []crm.LeadID
	for i := range items {
		if id := items[i].CustomerID; id != "" && !slices.Contains(cs, id) {
			cs = append(cs, id)
		}
		if id := items[i].LeadID; id != "" && !slices.Contains(ls, id) {
			ls = append(ls, id)
		}
	}
	// The reads run one after the other: at once, they only queued for
	// the database pool's connections under load (BenchmarkCallList).
	var grades map[crm.CustomerID]string
	var err error
	read := !looked && len(cs) > 0 // looked: the items have their grades and tiers
	if g, ok := s.grades.(GradeLookup); ok && read {
		if grades, err = g.GradesOf(ctx, dealer, cs); err != nil {
			return fmt.Errorf("lifecycle: call list: grades: %w", err)
		}
	} else if s.grades != nil && read {
		if grades, err = s.grades.Grades(ctx, dealer); err != nil {
			return fmt.Errorf("lifecycle: call list: grades: %w", err)
		}
	}
	var members map[crm.CustomerID]Membership
	if m, ok := s.members.(MembershipLookup); ok && read {
		if members, err = m.MembershipsOf(ctx, dealer, cs); err != nil {
			return fmt.Errorf("lifecycle: call list: memberships: %w", err)
		}
	} else if s.members != nil && read {
		if members, err = s.members.Memberships(ctx, dealer); err != nil {
			return fmt.Errorf("lifecycle: call list: memberships: %w", err)
		}
	}
	leads, err := s.leads(ctx, dealer, ls)
	if err != nil {
		return fmt.Errorf("lifecycle: call list: %w", err)
	}
	for i := range items {
		it := &items[i]
		if !looked {
			it.Grade = grades[it.CustomerID]
			if m, ok := members[it.CustomerID]; ok {
				it.Tier = m.Tier
			}
		}
		if l, ok := leads[it.LeadID]; ok {
			it.Lead = &CallLead{ID: l.ID, Name: l.Name, Mobile: l.Mobile, Level: l.Level, ModelOfInterest: l.ModelOfInterest, ConsultantID: l.ConsultantID}
		}
	}
	return nil
}

// Reassign gives an active task to a staff member (required; not the
// task's ExcludedStaffID). A closed task is a *dealercrm.TransitionError
// (errors.Is ErrTaskClosed).
func (s *Service) Reassign(ctx context.Context, dealer crm.DealerID, id TaskID, staff crm.StaffID) (Task, error) {
	ts, err := s.ReassignMany(ctx, dealer, []TaskID{id}, staff)
	if err != nil {
		return Task{}, err
	}
	return ts[0], nil
}

// MaxBulk is the most tasks one bulk change (ReassignMany) takes.
const MaxBulk = crm.MaxLimit

// ReassignMany gives several active tasks to a staff member in one
// transaction, all or nothing, and returns them in the order of ids. No
// staff, no IDs, more than MaxBulk, an empty or repeated ID is a
// *crm.ValidationError; an unknown ID ErrTaskNotFound, a closed task
// ErrTaskClosed and a task the staff member may not do (its
// ExcludedStaffID) a *crm.ValidationError, each naming the task; then no
// task changes.
func (s *Service) ReassignMany(ctx context.Context, dealer crm.DealerID, ids []TaskID, staff crm.StaffID) ([]Task, error) {
	var c crm.Checker
	if staff == "" {
		c.Add("staff_id", crm.RuleRequired, "is required")
	}
	if len(ids) == 0 {
		c.Add("ids", crm.RuleRequired, "at least one task is required")
	}
	if len(ids) > MaxBulk {
		c.Add("ids", RuleRange, "at most %d tasks at once, got %d", MaxBulk, len(ids))
	}
	if err := c.Err("task assignment"); err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	ts, err := s.tasks.UpdateMany(ctx, dealer, ids, func(t *Task) error {
		if err := t.Status.move(t.Status); err != nil {
			return err
		}
		if staff == t.ExcludedStaffID {
			c := crm.Checker{}
			c.Add("staff_id", "excluded", "%s did the job and may not do its follow-up", staff)
			return c.Err("task assignment")
		}
		if t.AssigneeID != staff {
			t.StatusReason = fmt.Sprintf("assigned to %s", staff)
			t.StatusReasonCode, t.StatusReasonParams = CodeAssigned, params("staff", string(staff))
		}
		t.AssigneeID, t.UpdatedAt = staff, now
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lifecycle: reassign tasks: %w", err)
	}
	return ts, nil
}

// dayOf returns the date of at in the dealer's zone.
func (s *Service) dayOf(ctx context.Context, dealer crm.DealerID, at time.Time) (dealercrm.Date, error) {
	d, err := s.crm.GetDealer(ctx, dealer)
	if err != nil {
		return dealercrm.Date{}, err
	}
	return dealercrm.DateIn(at, d.Location()), nil
}

// covered returns the IDs of the tasks a call about t also closes: the
// other open and overdue tasks of its customer due on or before the later
// of t's due date and day whose kinds may share a call (CallPolicy), in
// ID order; none when t has no customer or is worked alone.
func (s *Service) covered(ctx context.Context, dealer crm.DealerID, t Task, day dealercrm.Date) ([]TaskID, error) {
	if t.CustomerID == "" || !s.call.Joint(t.Kind) {
		return nil, nil
	}
	to := day
	if t.Due.After(to) {
		to = t.Due
	}
	f := TaskFilter{CustomerID: t.CustomerID, Statuses: []Status{StatusOpen, StatusOverdue}, Due: crm.DateRange{To: to}}
	var ids []TaskID
	err := crm.Each(ctx, func(a string) (crm.Page[Task], error) {
		f.PageRequest = crm.PageRequest{After: a, Limit: crm.MaxLimit}
		return s.tasks.List(ctx, dealer, f)
	}, func(o *Task) error {
		if o.ID != t.ID && s.call.Joint(o.Kind) {
			ids = append(ids, o.ID)
		}
		return nil
	})
	return ids, err
}
