package lifecycle

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// GradeSource gives the grades of a dealer's customers (the grading
// package implements it; lifecycle works without one).
type GradeSource interface {
	// Grades returns the grade of each graded customer.
	Grades(ctx context.Context, dealer crm.DealerID) (map[crm.CustomerID]string, error)
}

// CadenceSource gives a customer's expected contact cadence in days, from
// a grade's service strategy; ok is false when there is none.
type CadenceSource interface {
	Cadence(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID) (days int, ok bool, err error)
}

// MembershipSource gives the end of each member's club membership (the
// loyalty package implements it; lifecycle works without one).
type MembershipSource interface {
	MembershipEnds(ctx context.Context, dealer crm.DealerID) (map[crm.CustomerID]dealercrm.Date, error)
}

// Option configures a Service.
type Option func(*Service)

// WithPolicy sets the policy (default DefaultPolicy()); NewService validates it.
func WithPolicy(p Policy) Option { return func(s *Service) { s.policy = p } }

// WithCalendar sets the holiday calendar (default DefaultCalendar()).
func WithCalendar(c *Calendar) Option { return func(s *Service) { s.cal = c } }

// WithClock sets the clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithIDGenerator sets the task ID generator (default dealercrm.NewID).
func WithIDGenerator(f func() string) Option { return func(s *Service) { s.newID = f } }

// WithGrades sets the grade source used by rule conditions on grades.
func WithGrades(g GradeSource) Option { return func(s *Service) { s.grades = g } }

// WithCadences sets the cadence source (a grade's expected contact
// cadence). Not read yet: near-churn compares with the customer's own
// visit cadence (AbnormalPolicy.NearChurnFactor).
func WithCadences(c CadenceSource) Option { return func(s *Service) { s.cadences = c } }

// WithMemberships sets the membership source of the membership renewal rule.
func WithMemberships(m MembershipSource) Option { return func(s *Service) { s.members = m } }

// Service runs the lifecycle plan of dealers: the daily task run, plans
// per vehicle, outcomes, abnormal customers and KPIs.
type Service struct {
	crm      *crm.Service
	tasks    TaskStore
	policy   Policy
	cal      *Calendar
	planner  *Planner
	now      func() time.Time
	newID    func() string
	grades   GradeSource
	cadences CadenceSource
	members  MembershipSource
}

// NewService returns a Service reading crm data through svc and keeping
// tasks in tasks. A bad policy is a *crm.ValidationError.
func NewService(svc *crm.Service, tasks TaskStore, opts ...Option) (*Service, error) {
	if svc == nil || tasks == nil {
		return nil, dealercrm.Errorf(dealercrm.Invalid, "lifecycle: NewService needs a crm service and a task store")
	}
	s := &Service{crm: svc, tasks: tasks, policy: DefaultPolicy(), now: time.Now, newID: dealercrm.NewID}
	for _, o := range opts {
		o(s)
	}
	p, err := NewPlanner(s.policy, s.cal)
	if err != nil {
		return nil, fmt.Errorf("lifecycle: %w", err)
	}
	s.planner, s.cal = p, p.cal
	return s, nil
}

// Planner returns the service's planner.
func (s *Service) Planner() *Planner { return s.planner }

// Tasks returns the task store.
func (s *Service) Tasks() TaskStore { return s.tasks }

// Today returns the current date in the dealer's zone.
func (s *Service) Today(ctx context.Context, dealer crm.DealerID) (dealercrm.Date, error) {
	d, err := s.crm.GetDealer(ctx, dealer)
	if err != nil {
		return dealercrm.Date{}, fmt.Errorf("lifecycle: %w", err)
	}
	return dealercrm.DateIn(s.now(), d.Location()), nil
}

func all[T any](ctx context.Context, list func(after string) (crm.Page[T], error)) ([]T, error) {
	var out []T
	after := ""
	for {
		p, err := list(after)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Items...)
		if p.Next == "" {
			return out, nil
		}
		after = p.Next
	}
}

// Load reads the subjects of a dealer: every vehicle with its owner,
// service orders, policies, complaints, open add/replacement leads and
// whether the dealer sold it.
func (s *Service) Load(ctx context.Context, dealer crm.DealerID) ([]Subject, error) {
	st := s.crm.Store()
	page := crm.PageRequest{Limit: crm.MaxLimit}
	vs, err := all(ctx, func(a string) (crm.Page[crm.Vehicle], error) {
		return st.Vehicles().List(ctx, dealer, crm.VehicleFilter{PageRequest: crm.PageRequest{After: a, Limit: page.Limit}})
	})
	if err != nil {
		return nil, fmt.Errorf("lifecycle: load vehicles: %w", err)
	}
	cs, err := all(ctx, func(a string) (crm.Page[crm.Customer], error) {
		return st.Customers().List(ctx, dealer, crm.CustomerFilter{PageRequest: crm.PageRequest{After: a, Limit: page.Limit}})
	})
	if err != nil {
		return nil, fmt.Errorf("lifecycle: load customers: %w", err)
	}
	os, err := all(ctx, func(a string) (crm.Page[crm.ServiceOrder], error) {
		return st.ServiceOrders().List(ctx, dealer, crm.ServiceOrderFilter{PageRequest: crm.PageRequest{After: a, Limit: page.Limit}})
	})
	if err != nil {
		return nil, fmt.Errorf("lifecycle: load service orders: %w", err)
	}
	ps, err := all(ctx, func(a string) (crm.Page[crm.InsurancePolicy], error) {
		return st.Policies().List(ctx, dealer, crm.PolicyFilter{PageRequest: crm.PageRequest{After: a, Limit: page.Limit}})
	})
	if err != nil {
		return nil, fmt.Errorf("lifecycle: load policies: %w", err)
	}
	cps, err := all(ctx, func(a string) (crm.Page[crm.Complaint], error) {
		return st.Complaints().List(ctx, dealer, crm.ComplaintFilter{PageRequest: crm.PageRequest{After: a, Limit: page.Limit}})
	})
	if err != nil {
		return nil, fmt.Errorf("lifecycle: load complaints: %w", err)
	}
	ls, err := all(ctx, func(a string) (crm.Page[crm.Lead], error) {
		return st.Leads().List(ctx, dealer, crm.LeadFilter{Status: crm.LeadOpen, PageRequest: crm.PageRequest{After: a, Limit: page.Limit}})
	})
	if err != nil {
		return nil, fmt.Errorf("lifecycle: load leads: %w", err)
	}
	sales, err := all(ctx, func(a string) (crm.Page[crm.Sale], error) {
		return st.Sales().List(ctx, dealer, crm.SaleFilter{PageRequest: crm.PageRequest{After: a, Limit: page.Limit}})
	})
	if err != nil {
		return nil, fmt.Errorf("lifecycle: load sales: %w", err)
	}
	soldHere := make(map[crm.VehicleID]bool, len(sales))
	for _, sl := range sales {
		soldHere[sl.VehicleID] = true
	}
	var grades map[crm.CustomerID]string
	if s.grades != nil {
		if grades, err = s.grades.Grades(ctx, dealer); err != nil {
			return nil, fmt.Errorf("lifecycle: load grades: %w", err)
		}
	}
	var members map[crm.CustomerID]dealercrm.Date
	if s.members != nil {
		if members, err = s.members.MembershipEnds(ctx, dealer); err != nil {
			return nil, fmt.Errorf("lifecycle: load memberships: %w", err)
		}
	}
	owners := make(map[crm.CustomerID]*crm.Customer, len(cs))
	for i := range cs {
		owners[cs[i].ID] = &cs[i]
	}
	repurchase := map[crm.CustomerID]bool{}
	for _, l := range ls {
		if l.CustomerID != "" && (l.Purchase == crm.AddPurchase || l.Purchase == crm.ReplacementPurchase) {
			repurchase[l.CustomerID] = true
		}
	}
	byVehicle := map[crm.VehicleID][]crm.ServiceOrder{}
	for _, o := range os {
		byVehicle[o.VehicleID] = append(byVehicle[o.VehicleID], o)
	}
	polBy := map[crm.VehicleID][]crm.InsurancePolicy{}
	for _, p := range ps {
		polBy[p.VehicleID] = append(polBy[p.VehicleID], p)
	}
	compBy := map[crm.CustomerID][]crm.Complaint{}
	for _, c := range cps {
		compBy[c.CustomerID] = append(compBy[c.CustomerID], c)
	}
	out := make([]Subject, 0, len(vs))
	for _, v := range vs {
		owner := owners[v.OwnerID]
		sub := FactsOf(v, owner, byVehicle[v.ID], polBy[v.ID], compBy[v.OwnerID])
		sub.SoldHere = soldHere[v.ID]
		if owner != nil {
			sub.OpenRepurchaseLead = repurchase[owner.ID]
			sub.Grade = grades[owner.ID]
			sub.MembershipEnd = members[owner.ID]
		}
		out = append(out, sub)
	}
	return out, nil
}

// RunResult counts what a run changed.
type RunResult struct {
	Date        dealercrm.Date `json:"date"`
	Subjects    int            `json:"subjects"`
	Created     int            `json:"created"`
	Rescheduled int            `json:"rescheduled"`
	Cancelled   int            `json:"cancelled"`
	Overdue     int            `json:"overdue"`
}

// Changes is what a reconciliation decided: tasks to create and to replace.
type Changes struct {
	Create  []Task
	Replace []Task
	Result  RunResult
}

// Run is the daily run for a dealer on date: it loads the dealer's
// subjects, reconciles the plan with the stored tasks and writes the
// changes in one batch. Running it again with the same data changes
// nothing; see Reconcile for the rules.
func (s *Service) Run(ctx context.Context, dealer crm.DealerID, date dealercrm.Date) (RunResult, error) {
	subs, err := s.Load(ctx, dealer)
	if err != nil {
		return RunResult{}, err
	}
	return s.RunSubjects(ctx, dealer, date, subs)
}

// RunSubjects reconciles and stores the plan of subjects already loaded.
func (s *Service) RunSubjects(ctx context.Context, dealer crm.DealerID, date dealercrm.Date, subs []Subject) (RunResult, error) {
	lo := date.AddDays(-s.policy.KeepDays - s.policy.HorizonDays)
	stored, err := all(ctx, func(a string) (crm.Page[Task], error) {
		return s.tasks.List(ctx, dealer, TaskFilter{Due: crm.DateRange{From: lo}, PageRequest: crm.PageRequest{After: a, Limit: crm.MaxLimit}})
	})
	if err != nil {
		return RunResult{}, fmt.Errorf("lifecycle: run %s: %w", dealer, err)
	}
	ch := s.planner.Reconcile(subs, stored, date)
	now := s.now().UTC().Truncate(time.Microsecond)
	for i := range ch.Create {
		ch.Create[i].ID = TaskID(s.newID())
		ch.Create[i].DealerID = dealer
		ch.Create[i].CreatedAt, ch.Create[i].UpdatedAt = now, now
	}
	for i := range ch.Replace {
		ch.Replace[i].UpdatedAt = now
	}
	if err := s.tasks.Apply(ctx, dealer, ch.Create, ch.Replace); err != nil {
		return RunResult{}, fmt.Errorf("lifecycle: run %s on %s: %w", dealer, date, err)
	}
	return ch.Result, nil
}

// Reconcile compares the plan of subjects on date with the stored tasks
// (of any status) and returns the changes, without I/O:
//
//   - a planned task due on or before date whose window ended at most
//     CatchUpDays ago and whose key is not stored is created (overdue when
//     its window has ended);
//   - an open or overdue task whose key is still planned but whose due
//     date, window, channel or assignee changed is rescheduled (a moved
//     anchor: new odometer readings), unless staff pinned it;
//   - an open or overdue task due within KeepDays whose key is no longer
//     planned is cancelled, with the reason (the car was serviced, the
//     policy was renewed, consent was withdrawn);
//   - an open task whose window ended becomes overdue;
//   - done, skipped and cancelled tasks are never touched, and their keys
//     are never planned again.
func (pl *Planner) Reconcile(subs []Subject, stored []Task, date dealercrm.Date) Changes {
	p := &pl.policy
	ch := Changes{Result: RunResult{Date: date, Subjects: len(subs)}}
	byKey := make(map[string]int, len(stored))
	activeV := map[crm.VehicleID]bool{}
	activeC := map[crm.CustomerID]bool{}
	for i, t := range stored {
		byKey[t.Key] = i
		if t.Status.Active() {
			activeV[t.VehicleID] = true
			activeC[t.CustomerID] = true
		}
	}
	planned := map[string]Task{}
	gone := map[string]string{} // subject → kind → reason, keyed "kind|subject"
	createFrom := date.AddDays(-p.CatchUpDays)
	seenV := make(map[crm.VehicleID]bool, len(subs))
	seenC := map[crm.CustomerID]bool{}
	for i := range subs {
		sub := &subs[i]
		seenV[sub.VehicleID] = true
		ahead := 0
		if activeV[sub.VehicleID] || (sub.Owner != nil && activeC[sub.Owner.ID]) {
			ahead = p.HorizonDays
		}
		ev := pl.Evaluate(sub, date, ahead)
		if ahead > 0 {
			for k, why := range ev.Gone {
				gone[string(k)+"|vehicle:"+string(sub.VehicleID)] = why
				if sub.Owner != nil {
					gone[string(k)+"|customer:"+string(sub.Owner.ID)] = why
				}
			}
			if sub.Owner != nil {
				seenC[sub.Owner.ID] = true
			}
		}
		for _, t := range ev.Tasks {
			if ahead > 0 {
				if _, dup := planned[t.Key]; !dup {
					planned[t.Key] = t
				}
			}
			if t.Due.After(date) || t.WindowEnd.Before(createFrom) {
				continue
			}
			if _, ok := byKey[t.Key]; ok {
				continue
			}
			byKey[t.Key] = -1 // a customer-scoped task planned by two vehicles
			ch.Create = append(ch.Create, t)
			ch.Result.Created++
		}
	}
	keep := date.AddDays(-p.KeepDays)
	for _, old := range stored {
		if !old.Status.Active() {
			continue
		}
		t := old
		changed := false
		if want, ok := planned[old.Key]; ok {
			if !old.Pinned && (want.Due != old.Due || want.WindowEnd != old.WindowEnd || want.Channel != old.Channel || want.AssigneeID != old.AssigneeID) {
				t.StatusReason = fmt.Sprintf("rescheduled from %s to %s: %s", old.Due, want.Due, want.Reason)
				t.Due, t.WindowEnd, t.AnchorDate, t.Channel, t.AssigneeID, t.Reason = want.Due, want.WindowEnd, want.AnchorDate, want.Channel, want.AssigneeID, want.Reason
				t.Status = StatusOpen
				changed = true
				ch.Result.Rescheduled++
			}
		} else if !old.Due.Before(keep) && ((old.VehicleID != "" && seenV[old.VehicleID]) || (old.VehicleID == "" && seenC[old.CustomerID])) {
			why := gone[string(old.Kind)+"|"+subjectOf(old)]
			if why == "" {
				why = "no longer planned on " + date.String()
			}
			t.Status, t.StatusReason = StatusCancelled, "cancelled: "+why
			ch.Replace = append(ch.Replace, t)
			ch.Result.Cancelled++
			continue
		}
		if t.Status == StatusOpen && t.WindowEnd.Before(date) {
			t.Status = StatusOverdue
			changed = true
			ch.Result.Overdue++
		}
		if changed {
			ch.Replace = append(ch.Replace, t)
		}
	}
	return ch
}

// subjectOf returns the subject part of a task key.
func subjectOf(t Task) string {
	parts := strings.SplitN(t.Key, "|", 3)
	if len(parts) < 2 {
		return ""
	}
	return parts[1]
}
