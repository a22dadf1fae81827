package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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

// CadenceSource gives the contact cadence of a dealer's customers, in
// months, from their grade's service strategy (grading.Service
// implements it). The grade_care rule plans one contact per period.
type CadenceSource interface {
	// Cadences returns the cadence of each customer that has one.
	Cadences(ctx context.Context, dealer crm.DealerID) (map[crm.CustomerID]int, error)
}

// Membership is a customer's club membership as the plan sees it.
type Membership struct {
	Tier string         `json:"tier"`
	End  dealercrm.Date `json:"end"`
}

// MembershipSource gives the club memberships of a dealer's customers
// (the membership renewal rule and rule conditions on tiers; lifecycle
// works without one).
type MembershipSource interface {
	// Memberships returns the current membership of each member.
	Memberships(ctx context.Context, dealer crm.DealerID) (map[crm.CustomerID]Membership, error)
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

// WithCadences sets the cadence source of the grade_care rule (a grade's
// contact cadence). Near-churn compares with the customer's own visit
// cadence instead (AbnormalPolicy.NearChurnFactor).
func WithCadences(c CadenceSource) Option { return func(s *Service) { s.cadences = c } }

// WithMemberships sets the membership source of the membership renewal
// rule and of rule conditions on tiers.
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

// Facts are the crm records the plan reads of one dealer.
type Facts struct {
	Vehicles   []crm.Vehicle
	Customers  []crm.Customer
	Orders     []crm.ServiceOrder
	Policies   []crm.InsurancePolicy
	Complaints []crm.Complaint
	// Repurchase are the customers with an open add or replacement
	// purchase lead.
	Repurchase []crm.CustomerID
	// Sold are the vehicles the dealer sold (a crm.Sale exists).
	Sold []crm.VehicleID
}

// FactSource loads a dealer's Facts in bulk. When the crm.Store
// implements it (adapters/postgres does, one lean query per table),
// Service.Load uses it instead of paging through every repository; its
// records need only the fields FactsOf reads (and a vehicle's OwnerID),
// in the order of their IDs.
type FactSource interface {
	LifecycleFacts(ctx context.Context, dealer crm.DealerID) (Facts, error)
}

// LoadFacts reads the crm records the plan needs of a dealer through the
// crm repositories: every vehicle, customer, service order, policy and
// complaint, the open add/replacement leads and the sales.
func LoadFacts(ctx context.Context, st crm.Store, dealer crm.DealerID) (Facts, error) {
	var f Facts
	page := crm.PageRequest{Limit: crm.MaxLimit}
	var err error
	if f.Vehicles, err = crm.All(ctx, func(a string) (crm.Page[crm.Vehicle], error) {
		return st.Vehicles().List(ctx, dealer, crm.VehicleFilter{PageRequest: crm.PageRequest{After: a, Limit: page.Limit}})
	}); err != nil {
		return f, fmt.Errorf("lifecycle: load vehicles: %w", err)
	}
	if f.Customers, err = crm.All(ctx, func(a string) (crm.Page[crm.Customer], error) {
		return st.Customers().List(ctx, dealer, crm.CustomerFilter{PageRequest: crm.PageRequest{After: a, Limit: page.Limit}})
	}); err != nil {
		return f, fmt.Errorf("lifecycle: load customers: %w", err)
	}
	if f.Orders, err = crm.All(ctx, func(a string) (crm.Page[crm.ServiceOrder], error) {
		return st.ServiceOrders().List(ctx, dealer, crm.ServiceOrderFilter{PageRequest: crm.PageRequest{After: a, Limit: page.Limit}})
	}); err != nil {
		return f, fmt.Errorf("lifecycle: load service orders: %w", err)
	}
	if f.Policies, err = crm.All(ctx, func(a string) (crm.Page[crm.InsurancePolicy], error) {
		return st.Policies().List(ctx, dealer, crm.PolicyFilter{PageRequest: crm.PageRequest{After: a, Limit: page.Limit}})
	}); err != nil {
		return f, fmt.Errorf("lifecycle: load policies: %w", err)
	}
	if f.Complaints, err = crm.All(ctx, func(a string) (crm.Page[crm.Complaint], error) {
		return st.Complaints().List(ctx, dealer, crm.ComplaintFilter{PageRequest: crm.PageRequest{After: a, Limit: page.Limit}})
	}); err != nil {
		return f, fmt.Errorf("lifecycle: load complaints: %w", err)
	}
	err = crm.Each(ctx, func(a string) (crm.Page[crm.Lead], error) {
		return st.Leads().List(ctx, dealer, crm.LeadFilter{Status: crm.LeadOpen, PageRequest: crm.PageRequest{After: a, Limit: page.Limit}})
	}, func(l *crm.Lead) error {
		if l.CustomerID != "" && (l.Purchase == crm.AddPurchase || l.Purchase == crm.ReplacementPurchase) {
			f.Repurchase = append(f.Repurchase, l.CustomerID)
		}
		return nil
	})
	if err != nil {
		return f, fmt.Errorf("lifecycle: load leads: %w", err)
	}
	err = crm.Each(ctx, func(a string) (crm.Page[crm.Sale], error) {
		return st.Sales().List(ctx, dealer, crm.SaleFilter{PageRequest: crm.PageRequest{After: a, Limit: page.Limit}})
	}, func(sl *crm.Sale) error {
		if sl.VehicleID != "" {
			f.Sold = append(f.Sold, sl.VehicleID)
		}
		return nil
	})
	if err != nil {
		return f, fmt.Errorf("lifecycle: load sales: %w", err)
	}
	return f, nil
}

// Load reads the subjects of a dealer: every vehicle with its owner,
// service orders, policies, complaints, open add/replacement leads and
// whether the dealer sold it, plus grades, cadences and memberships from
// the sources configured. The records come from the crm store's
// FactSource when it has one, else from LoadFacts.
func (s *Service) Load(ctx context.Context, dealer crm.DealerID) ([]Subject, error) {
	st := s.crm.Store()
	var f Facts
	var err error
	if src, ok := st.(FactSource); ok {
		if f, err = src.LifecycleFacts(ctx, dealer); err != nil {
			return nil, fmt.Errorf("lifecycle: load facts of %s: %w", dealer, err)
		}
	} else if f, err = LoadFacts(ctx, st, dealer); err != nil {
		return nil, err
	}
	soldHere := make(map[crm.VehicleID]bool, len(f.Sold))
	for _, v := range f.Sold {
		soldHere[v] = true
	}
	var grades map[crm.CustomerID]string
	if s.grades != nil {
		if grades, err = s.grades.Grades(ctx, dealer); err != nil {
			return nil, fmt.Errorf("lifecycle: load grades: %w", err)
		}
	}
	var cadences map[crm.CustomerID]int
	if s.cadences != nil {
		if cadences, err = s.cadences.Cadences(ctx, dealer); err != nil {
			return nil, fmt.Errorf("lifecycle: load cadences: %w", err)
		}
	}
	var members map[crm.CustomerID]Membership
	if s.members != nil {
		if members, err = s.members.Memberships(ctx, dealer); err != nil {
			return nil, fmt.Errorf("lifecycle: load memberships: %w", err)
		}
	}
	owners := make(map[crm.CustomerID]*crm.Customer, len(f.Customers))
	for i := range f.Customers {
		owners[f.Customers[i].ID] = &f.Customers[i]
	}
	repurchase := make(map[crm.CustomerID]bool, len(f.Repurchase))
	for _, c := range f.Repurchase {
		repurchase[c] = true
	}
	byVehicle := make(map[crm.VehicleID][]crm.ServiceOrder, len(f.Vehicles))
	for _, o := range f.Orders {
		byVehicle[o.VehicleID] = append(byVehicle[o.VehicleID], o)
	}
	polBy := make(map[crm.VehicleID][]crm.InsurancePolicy, len(f.Vehicles))
	for _, p := range f.Policies {
		polBy[p.VehicleID] = append(polBy[p.VehicleID], p)
	}
	compBy := map[crm.CustomerID][]crm.Complaint{}
	for _, c := range f.Complaints {
		compBy[c.CustomerID] = append(compBy[c.CustomerID], c)
	}
	out := make([]Subject, 0, len(f.Vehicles))
	for _, v := range f.Vehicles {
		owner := owners[v.OwnerID]
		sub := FactsOf(v, owner, byVehicle[v.ID], polBy[v.ID], compBy[v.OwnerID])
		sub.SoldHere = soldHere[v.ID]
		if owner != nil {
			sub.OpenRepurchaseLead = repurchase[owner.ID]
			sub.Grade = grades[owner.ID]
			m := members[owner.ID]
			sub.MembershipEnd, sub.Tier = m.End, m.Tier
			sub.CadenceMonths = cadences[owner.ID]
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
// nothing; see Reconcile for the rules and RunSubjects for concurrent
// writers. It reads the erasures of the dealer's customers
// (TaskStore.Erasures) before it loads the crm records, so that it erases
// again what it planned for a customer erased meanwhile (RunSubjects).
func (s *Service) Run(ctx context.Context, dealer crm.DealerID, date dealercrm.Date) (RunResult, error) {
	erased, err := s.erasures(ctx, dealer)
	if err != nil {
		return RunResult{}, fmt.Errorf("lifecycle: run %s: %w", dealer, err)
	}
	subs, err := s.Load(ctx, dealer)
	if err != nil {
		return RunResult{}, err
	}
	return s.runSubjects(ctx, dealer, date, subs, erased)
}

// maxRunPasses bounds the passes of a run whose writes keep losing to
// concurrent writers.
const maxRunPasses = 8

// RunSubjects reconciles and stores the plan of subjects already loaded.
// It writes only over what it read (TaskStore.Apply): a task that staff
// changed meanwhile (an outcome recorded, a task rescheduled), or that
// another run of the same dealer wrote first, is not overwritten;
// instead the subjects of the tasks not written (a vehicle, and every
// vehicle of its owner) are planned again over a fresh read, until
// everything is written. Concurrent runs for one dealer and day thus all
// succeed and leave one task per key, and the result counts only what
// this run wrote. A run that still loses writes after maxRunPasses
// passes is a dealercrm.Conflict error (run it again).
//
// A customer may be erased (EraseCustomer) after their records were
// loaded and before the run writes: the run then plans from their
// consents and birthday as they were, and may create tasks after the
// erasure closed the others. So once it has written, it reads the
// erasures again and erases the tasks of every customer erased since it
// began (their Erase counts as cancelled in the result). RunSubjects
// reads the erasures when it is called, Run before it loads the subjects:
// a caller that loaded subs earlier should erase again the customers it
// erased meanwhile.
func (s *Service) RunSubjects(ctx context.Context, dealer crm.DealerID, date dealercrm.Date, subs []Subject) (RunResult, error) {
	erased, err := s.erasures(ctx, dealer)
	if err != nil {
		return RunResult{}, fmt.Errorf("lifecycle: run %s: %w", dealer, err)
	}
	return s.runSubjects(ctx, dealer, date, subs, erased)
}

// runSubjects is RunSubjects with the erasures read before the subjects
// were loaded.
func (s *Service) runSubjects(ctx context.Context, dealer crm.DealerID, date dealercrm.Date, subs []Subject, erased map[crm.CustomerID]int64) (RunResult, error) {
	res, wrote, err := s.reconcileAll(ctx, dealer, date, subs)
	if wrote {
		n, eerr := s.eraseAgain(ctx, dealer, erased)
		if eerr != nil {
			eerr = fmt.Errorf("lifecycle: run %s on %s: erasing again: %w", dealer, date, eerr)
		}
		res.Cancelled += n
		err = errors.Join(err, eerr)
	}
	if err != nil {
		return RunResult{}, err
	}
	return res, nil
}

// erasures returns how often the tasks of each of the dealer's customers
// were erased.
func (s *Service) erasures(ctx context.Context, dealer crm.DealerID) (map[crm.CustomerID]int64, error) {
	es, err := s.tasks.Erasures(ctx, dealer)
	if err != nil {
		return nil, err
	}
	out := make(map[crm.CustomerID]int64, len(es))
	for _, e := range es {
		out[e.CustomerID] = e.Count
	}
	return out, nil
}

// eraseAgain erases the tasks of the customers erased since before was
// read, and returns how many tasks it cancelled.
func (s *Service) eraseAgain(ctx context.Context, dealer crm.DealerID, before map[crm.CustomerID]int64) (int, error) {
	es, err := s.tasks.Erasures(ctx, dealer)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range es {
		if e.Count == before[e.CustomerID] {
			continue
		}
		c, err := s.tasks.EraseCustomer(ctx, dealer, e.CustomerID, nil, s.now().UTC().Truncate(time.Microsecond))
		n += c
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// reconcileAll reconciles and writes the plan of subs in passes (see
// RunSubjects) and reports whether it wrote anything, also when it fails.
func (s *Service) reconcileAll(ctx context.Context, dealer crm.DealerID, date dealercrm.Date, subs []Subject) (res RunResult, wrote bool, err error) {
	res = RunResult{Date: date, Subjects: len(subs)}
	var again []int // after the first pass: the subjects to plan again
	for pass := 1; ; pass++ {
		stored, err := s.storedTasks(ctx, dealer, date)
		if err != nil {
			return RunResult{}, wrote, fmt.Errorf("lifecycle: run %s: %w", dealer, err)
		}
		var ch Changes
		if pass == 1 {
			ch = s.planner.Reconcile(subs, stored, date)
		} else {
			ch = s.planner.ReconcileEach(len(again), func(i int, sub *Subject) { *sub = subs[again[i]] }, stored, date)
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		for i := range ch.Create {
			ch.Create[i].ID = TaskID(s.newID())
			ch.Create[i].DealerID = dealer
			ch.Create[i].CreatedAt, ch.Create[i].UpdatedAt = now, now
		}
		for i := range ch.Replace {
			ch.Replace[i].UpdatedAt = now
		}
		lost, err := s.tasks.Apply(ctx, dealer, ch.Create, ch.Replace)
		if err != nil {
			return RunResult{}, wrote, fmt.Errorf("lifecycle: run %s on %s: %w", dealer, date, err)
		}
		if len(lost) < len(ch.Create)+len(ch.Replace) {
			wrote = true
		}
		r := ch.Result
		uncount(&r, lost, stored)
		res.Created += r.Created
		res.Rescheduled += r.Rescheduled
		res.Cancelled += r.Cancelled
		res.Overdue += r.Overdue
		if len(lost) == 0 {
			return res, wrote, nil
		}
		if pass == maxRunPasses {
			return RunResult{}, wrote, dealercrm.Errorf(dealercrm.Conflict, "lifecycle: run %s on %s: tasks kept changing during %d passes; run again", dealer, date, pass)
		}
		again = subjectsOf(subs, lost)
	}
}

// storedTasks reads the stored tasks a run on date reconciles with.
func (s *Service) storedTasks(ctx context.Context, dealer crm.DealerID, date dealercrm.Date) ([]Task, error) {
	lo := addDays(date, -s.policy.KeepDays-s.policy.HorizonDays)
	return crm.All(ctx, func(a string) (crm.Page[Task], error) {
		return s.tasks.List(ctx, dealer, TaskFilter{Due: crm.DateRange{From: lo}, PageRequest: crm.PageRequest{After: a, Limit: crm.MaxLimit}})
	})
}

// uncount takes the tasks a run did not write out of its counts: a lost
// creation (its ID is not among the stored tasks read) or a lost
// replacement of a stored task, counted as Reconcile counted it.
func uncount(r *RunResult, lost, stored []Task) {
	if len(lost) == 0 {
		return
	}
	byID := make(map[TaskID]*Task, len(stored))
	for i := range stored {
		byID[stored[i].ID] = &stored[i]
	}
	for i := range lost {
		t := &lost[i]
		old, ok := byID[t.ID]
		switch {
		case !ok:
			r.Created--
		case t.Status == StatusCancelled:
			r.Cancelled--
		default:
			moved := moves(old, t.Due, t.WindowEnd, t.Channel, t.AssigneeID)
			if moved {
				r.Rescheduled--
			}
			if t.Status == StatusOverdue && (moved || old.Status == StatusOpen) {
				r.Overdue--
			}
		}
	}
}

// subjectsOf returns the indexes of the subjects that plan the tasks of
// lost: their vehicles and, for the customer-scoped tasks planned by
// every vehicle of an owner, all vehicles of their customers and of the
// owners of those vehicles (planning one vehicle of an owner alone would
// cancel the owner's tasks that only another vehicle plans).
func subjectsOf(subs []Subject, lost []Task) []int {
	vehicles := map[crm.VehicleID]bool{}
	customers := map[crm.CustomerID]bool{}
	for i := range lost {
		if v := lost[i].VehicleID; v != "" {
			vehicles[v] = true
		}
		if c := lost[i].CustomerID; c != "" {
			customers[c] = true
		}
	}
	for i := range subs {
		if vehicles[subs[i].VehicleID] && subs[i].Owner != nil {
			customers[subs[i].Owner.ID] = true
		}
	}
	idx := []int{}
	for i := range subs {
		if vehicles[subs[i].VehicleID] || (subs[i].Owner != nil && customers[subs[i].Owner.ID]) {
			idx = append(idx, i)
		}
	}
	return idx
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
//     are never planned again;
//   - nothing whose window ends before a vehicle's delivery is planned
//     for it (a car delivered today catches up on no holiday).
func (pl *Planner) Reconcile(subs []Subject, stored []Task, date dealercrm.Date) Changes {
	return pl.ReconcileEach(len(subs), func(i int, s *Subject) { *s = subs[i] }, stored, date)
}

// ReconcileEach is Reconcile over n subjects streamed by fill, which sets
// *s to subject i (0 ≤ i < n), so a caller can build subjects from a
// compact or paged source instead of holding every Subject at once. fill
// may be called concurrently, for different i and s; s is read only
// until fill is next called with it, and fill may reuse the capacity of
// its slices (s.Visits = append(s.Visits[:0], …)). The result is the same
// as Reconcile's over the subjects in order.
func (pl *Planner) ReconcileEach(n int, fill func(i int, s *Subject), stored []Task, date dealercrm.Date) Changes {
	p := &pl.policy
	ch := Changes{Result: RunResult{Date: date, Subjects: n}}
	ix := newReconcileIndex(pl, stored, date)
	m := merger{ch: &ch, planned: map[string]*plannedTask{}, gone: map[string]string{}, created: map[string]struct{}{},
		seenV: map[crm.VehicleID]bool{}, seenC: map[crm.CustomerID]bool{}}
	if !ix.dupKeys {
		m.decided, m.moved = make([]uint8, len(stored)), map[int32]*plannedTask{}
	}
	// Each subject is evaluated on its own, by workers in parallel, and
	// merged in order: only the planned tasks and "gone" reasons that
	// match an active stored task are kept, and reasons are formatted only
	// for the tasks created or rescheduled.
	workers := min(runtime.GOMAXPROCS(0), max(1, n/reconcileChunk))
	rcs := make([]*reconciler, workers)
	for w := range rcs {
		rcs[w] = &reconciler{ix: ix, fest: map[int][]Festival{}}
	}
	// Batches of subjects are evaluated while the previous batch is merged.
	batch := workers * reconcileChunk * 4
	bufs := [2][]subjectResult{make([]subjectResult, min(n, batch)), nil}
	if n > batch {
		bufs[1] = make([]subjectResult, batch)
	}
	evaluate := func(start int, results []subjectResult) {
		end := min(n, start+batch)
		var next atomic.Int64
		work := func(rc *reconciler) {
			for {
				c := int(next.Add(reconcileChunk)) - reconcileChunk + start
				if c >= end {
					return
				}
				for i := c; i < min(end, c+reconcileChunk); i++ {
					fill(i, &rc.sub)
					rc.subject(&rc.sub, &results[i-start])
				}
			}
		}
		if workers == 1 {
			work(rcs[0])
			return
		}
		var wg sync.WaitGroup
		for _, rc := range rcs {
			wg.Go(func() { work(rc) })
		}
		wg.Wait()
	}
	if n > 0 {
		evaluate(0, bufs[0])
	}
	for k, start := 0, 0; start < n; k, start = k+1, start+batch {
		cur := bufs[k%2]
		done := make(chan struct{})
		if next := start + batch; next < n {
			go func() {
				defer close(done)
				evaluate(next, bufs[(k+1)%2])
			}()
		} else {
			close(done)
		}
		for i := range min(n, start+batch) - start {
			m.merge(&cur[i])
		}
		<-done
	}
	keep := date.AddDays(-p.KeepDays)
	for i, old := range stored {
		if !old.Status.Active() {
			continue
		}
		t := old
		changed := false
		var want *plannedTask
		ok := false
		if m.decided != nil {
			ok, want = m.decided[i] != 0, m.moved[int32(i)]
			if want == nil {
				want = &plannedTask{Due: old.Due, WindowEnd: old.WindowEnd, Channel: old.Channel, AssigneeID: old.AssigneeID}
			}
		} else {
			want, ok = m.planned[old.Key]
		}
		if ok {
			if !old.Pinned && want.differs(&old) {
				t.StatusReason = fmt.Sprintf("rescheduled from %s to %s: %s", old.Due, want.Due, want.Reason)
				t.Due, t.WindowEnd, t.AnchorDate, t.Channel, t.AssigneeID, t.Reason = want.Due, want.WindowEnd, want.AnchorDate, want.Channel, want.AssigneeID, want.Reason
				t.Status = StatusOpen
				changed = true
				ch.Result.Rescheduled++
			}
		} else if planned(old) && !old.Due.Before(keep) && ((old.VehicleID != "" && m.seenV[old.VehicleID]) || (old.VehicleID == "" && m.seenC[old.CustomerID])) {
			why := m.gone[string(old.Kind)+"|"+subjectOf(old)]
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

// reconcileChunk is how many subjects a worker takes at a time.
const reconcileChunk = 256

// plannedTask is what rescheduling a stored task takes from its plan.
type plannedTask struct {
	Due, WindowEnd, AnchorDate dealercrm.Date
	Channel                    crm.Channel
	AssigneeID                 crm.StaffID
	Reason                     string
}

func (t *plannedTask) differs(old *Task) bool {
	return moves(old, t.Due, t.WindowEnd, t.Channel, t.AssigneeID)
}

// differs reports whether the planned task t moves the stored task old.
func (t *Task) differs(old *Task) bool {
	return moves(old, t.Due, t.WindowEnd, t.Channel, t.AssigneeID)
}

// moves reports whether a task planned with these due date, window end,
// channel and assignee moves the stored task old (a reschedule).
func moves(old *Task, due, end dealercrm.Date, ch crm.Channel, assignee crm.StaffID) bool {
	return due != old.Due || end != old.WindowEnd || ch != old.Channel || assignee != old.AssigneeID
}

// reconcileIndex is the read-only state of one Reconcile: the stored
// tasks indexed by key and by subject.
type reconcileIndex struct {
	pl         *Planner
	stored     []Task
	date       dealercrm.Date
	createFrom dealercrm.Date
	// keepFrom and ahead bound the evaluation window: date − KeepDays,
	// date + HorizonDays.
	keepFrom, ahead dealercrm.Date
	// dupKeys reports that two stored tasks share a key (not in a store,
	// whose keys are unique per dealer, but Reconcile takes any slice):
	// planned tasks are then matched by key rather than by index.
	dupKeys bool
	// plain reports that date, keepFrom, ahead and createFrom are plain
	// dates, whose day numbers are dateN, keepN, aheadN and createN.
	plain                         bool
	dateN, keepN, aheadN, createN int
	byKey                         map[string]int
	// vehicles and customers say which are named by an active stored
	// task and hold the active stored tasks of each subject (a key's
	// "vehicle:ID" or "customer:ID").
	vehicles  map[crm.VehicleID]*subjectTasks
	customers map[crm.CustomerID]*subjectTasks
	kindBit   map[Kind]uint64
}

func newReconcileIndex(pl *Planner, stored []Task, date dealercrm.Date) *reconcileIndex {
	p := &pl.policy
	ix := &reconcileIndex{pl: pl, stored: stored, date: date, createFrom: date.AddDays(-p.CatchUpDays),
		keepFrom: date.AddDays(-p.KeepDays), ahead: date.AddDays(p.HorizonDays),
		byKey:    make(map[string]int, len(stored)),
		vehicles: map[crm.VehicleID]*subjectTasks{}, customers: map[crm.CustomerID]*subjectTasks{}, kindBit: map[Kind]uint64{}}
	if ix.plain = plain(date) && plain(ix.keepFrom) && plain(ix.ahead) && plain(ix.createFrom); ix.plain {
		dn := func(d dealercrm.Date) int { return daysFromCivil(d.Year, int(d.Month), d.Day) }
		ix.dateN, ix.keepN, ix.aheadN, ix.createN = dn(date), dn(ix.keepFrom), dn(ix.ahead), dn(ix.createFrom)
	}
	for i, r := range p.Rules {
		if len(p.Rules) > 64 {
			ix.kindBit[r.Kind] = ^uint64(0)
		} else {
			ix.kindBit[r.Kind] = 1 << i
		}
	}
	for i := range stored {
		t := &stored[i]
		if _, dup := ix.byKey[t.Key]; dup {
			ix.dupKeys = true
		}
		ix.byKey[t.Key] = i
		if t.Status.Active() {
			entry(ix.vehicles, t.VehicleID).active = true
			entry(ix.customers, t.CustomerID).active = true
			kind, rest, _ := strings.Cut(t.Key, "|")
			subj, _, _ := strings.Cut(rest, "|")
			var st *subjectTasks
			if id, ok := strings.CutPrefix(subj, "vehicle:"); ok {
				st = entry(ix.vehicles, crm.VehicleID(id))
			} else if id, ok := strings.CutPrefix(subj, "customer:"); ok {
				st = entry(ix.customers, crm.CustomerID(id))
			} else {
				continue // never planned
			}
			st.kinds |= ix.kindBit[Kind(kind)]
			st.tasks = append(st.tasks, int32(i))
		}
	}
	return ix
}

// subjectTasks are the active stored tasks of one subject.
type subjectTasks struct {
	active bool   // an active stored task names the vehicle or customer
	kinds  uint64 // a bit per rule kind of the tasks
	tasks  []int32
}

func entry[K comparable](m map[K]*subjectTasks, k K) *subjectTasks {
	st := m[k]
	if st == nil {
		st = &subjectTasks{}
		m[k] = st
	}
	return st
}

// subjectResult is what one subject's evaluation contributes.
type subjectResult struct {
	vehicleID crm.VehicleID
	ownerID   crm.CustomerID
	seenV     bool // the vehicle has active tasks
	seenC     bool // evaluated with the look-ahead, the owner has active tasks
	// create are the due tasks whose keys are not stored, in plan order.
	create []Task
	// want are the planned tasks (first per key) matching an active stored
	// task that move it (or all of them, when the index has dupKeys).
	want []Task
	// refs are, in plan order, the active stored tasks (by index) still
	// planned: task indexes want, or is -1 when the plan leaves the stored
	// task as it is. Unused when the index has dupKeys.
	refs []plannedRef
	// gone are the "kind|subject" → reason entries for active stored tasks.
	gone [][2]string
}

// plannedRef says that stored task idx is still planned; task is its
// planned version in subjectResult.want, -1 when unchanged.
type plannedRef struct {
	idx, task int32
}

// merger applies subject results in subject order.
type merger struct {
	ch      *Changes
	planned map[string]*plannedTask // the first planned task per key of an active stored task (dupKeys)
	// decided[i] is 0 until stored task i is planned, then 1 (unchanged)
	// or 2 (moved to moved[i]); without dupKeys.
	decided []uint8
	moved   map[int32]*plannedTask
	gone    map[string]string
	created map[string]struct{}
	seenV   map[crm.VehicleID]bool
	seenC   map[crm.CustomerID]bool
}

func (m *merger) merge(r *subjectResult) {
	if r.seenV {
		m.seenV[r.vehicleID] = true
	}
	if r.seenC {
		m.seenC[r.ownerID] = true
	}
	if m.decided != nil {
		for _, p := range r.refs {
			if m.decided[p.idx] != 0 {
				continue // planned by an earlier subject
			}
			m.decided[p.idx] = 1
			if p.task >= 0 {
				w := &r.want[p.task]
				m.decided[p.idx] = 2
				m.moved[p.idx] = &plannedTask{Due: w.Due, WindowEnd: w.WindowEnd, AnchorDate: w.AnchorDate, Channel: w.Channel, AssigneeID: w.AssigneeID, Reason: w.Reason}
			}
		}
	} else {
		for i := range r.want {
			if w := &r.want[i]; m.planned[w.Key] == nil {
				m.planned[w.Key] = &plannedTask{Due: w.Due, WindowEnd: w.WindowEnd, AnchorDate: w.AnchorDate, Channel: w.Channel, AssigneeID: w.AssigneeID, Reason: w.Reason}
			}
		}
	}
	start := len(m.ch.Create)
	for i := range r.create {
		t := &r.create[i]
		if _, dup := m.created[t.Key]; dup {
			continue // a customer-scoped task planned by two vehicles
		}
		m.created[t.Key] = struct{}{}
		m.ch.Create = append(m.ch.Create, *t)
		m.ch.Result.Created++
	}
	if created := m.ch.Create[start:]; len(created) > 1 {
		slices.SortFunc(created, func(a, b Task) int {
			if c := a.Due.Compare(b.Due); c != 0 {
				return c
			}
			return strings.Compare(a.Key, b.Key)
		})
	}
	for _, g := range r.gone {
		m.gone[g[0]] = g[1]
	}
	clear(r.create)
	clear(r.want)
	clear(r.gone)
	*r = subjectResult{create: r.create[:0], want: r.want[:0], gone: r.gone[:0], refs: r.refs[:0]}
}

// reconciler evaluates subjects for one worker.
type reconciler struct {
	ix   *reconcileIndex
	fest map[int][]Festival
	sub  Subject // the worker's fill buffer
	// per subject
	res   *subjectResult
	ahead bool
	// byKeyOnly matches planned tasks by key, not through vsubj and csubj.
	byKeyOnly bool
	vsubj     *subjectTasks
	csubj     *subjectTasks
	vkinds    uint64
	ckinds    uint64
	buf       []byte
	e         evaluator
	known     Subject
}

// festivals caches Calendar.Festivals.
func (rc *reconciler) festivals(y int) []Festival {
	fs, ok := rc.fest[y]
	if !ok {
		fs = rc.ix.pl.cal.Festivals(y)
		rc.fest[y] = fs
	}
	return fs
}

// lookAhead reports whether the current subject's plan for the rule of
// kind bit must reach the horizon: it may match an active stored task.
func (rc *reconciler) lookAhead(bit uint64) bool {
	return rc.ahead && (rc.vkinds|rc.ckinds)&bit != 0
}

// wantGone reports whether the current subject's reason for planning
// nothing of the rule of kind bit may cancel a stored task.
func (rc *reconciler) wantGone(bit uint64) bool {
	return rc.ahead && (rc.vkinds|rc.ckinds)&bit != 0
}

// subject evaluates one subject into res.
func (rc *reconciler) subject(sub *Subject, res *subjectResult) {
	ix := rc.ix
	p := &ix.pl.policy
	res.vehicleID = sub.VehicleID
	ve := ix.vehicles[sub.VehicleID]
	fv := ve != nil && ve.active
	fc := false
	var ce *subjectTasks
	if sub.Owner != nil {
		ce = ix.customers[sub.Owner.ID]
		fc = ce != nil && ce.active
		res.ownerID = sub.Owner.ID
	}
	rc.ahead = (fv || fc) && p.HorizonDays > 0
	res.seenV = fv
	ahead := 0
	rc.vsubj, rc.csubj, rc.vkinds, rc.ckinds = nil, nil, 0, 0
	// A "|" in an ID defeats the index by subject: match keys directly.
	rc.byKeyOnly = strings.Contains(string(sub.VehicleID), "|") || (sub.Owner != nil && strings.Contains(string(sub.Owner.ID), "|"))
	if rc.ahead && rc.byKeyOnly {
		ahead = p.HorizonDays
		rc.vkinds, rc.ckinds = ^uint64(0), ^uint64(0)
		res.seenC = fc
	} else if rc.ahead {
		ahead = p.HorizonDays
		if ve != nil {
			rc.vsubj, rc.vkinds = ve, ve.kinds
		}
		if sub.Owner != nil {
			if ce != nil {
				rc.csubj, rc.ckinds = ce, ce.kinds
			}
			res.seenC = fc
		}
	}
	rc.res = res
	rc.known = known(sub, ix.date)
	e := &rc.e
	hi := ix.date
	if ahead > 0 {
		hi = ix.ahead
	}
	*e = evaluator{pl: ix.pl, s: &rc.known, asOf: ix.date, lo: ix.keepFrom, hi: hi, sink: rc, occ: e.occ}
	e.run()
	for kind, why := range e.out.Gone {
		bit := ix.kindBit[kind]
		if rc.byKeyOnly {
			bit = ^uint64(0)
		}
		if rc.vkinds&bit != 0 {
			res.gone = append(res.gone, [2]string{string(kind) + "|vehicle:" + string(sub.VehicleID), why})
		}
		if sub.Owner != nil && rc.ckinds&bit != 0 {
			res.gone = append(res.gone, [2]string{string(kind) + "|customer:" + string(sub.Owner.ID), why})
		}
	}
	e.s, rc.known, rc.res = nil, Subject{}, nil
}

// candidate reconciles reminder n of occurrence o, due on due: it is
// recorded when it matches an active stored task (with its reason when
// it reschedules one) and proposed for creation when due and not stored.
func (rc *reconciler) candidate(e *evaluator, r *Rule, cust bool, ch crm.Channel, o *occurrence, n int, off *Offset, due, end dealercrm.Date) {
	ix, res := rc.ix, rc.res
	create := !due.After(ix.date) && !end.Before(ix.createFrom)
	subj, kinds := rc.vsubj, rc.vkinds
	if cust {
		subj, kinds = rc.csubj, rc.ckinds
	}
	want := rc.ahead && kinds&e.bit != 0
	if !create && !want {
		return
	}
	rc.buf = e.appendKey(rc.buf[:0], r, cust, o, n)
	if want {
		// the subject's active stored tasks with this key
		na, old, oldIdx := 0, (*Task)(nil), int32(-1)
		if rc.byKeyOnly {
			if i, ok := ix.byKey[string(rc.buf)]; ok && ix.stored[i].Status.Active() {
				na, old, oldIdx = 1, &ix.stored[i], int32(i)
			}
		} else if subj != nil {
			for _, i := range subj.tasks {
				if t := &ix.stored[i]; t.Key == string(rc.buf) {
					na, old, oldIdx = na+1, t, i
				}
			}
		}
		switch {
		case na == 1 && !ix.dupKeys:
			// One stored task: compare in place, ship a task only to move it.
			idx := oldIdx
			if slices.ContainsFunc(res.refs, func(p plannedRef) bool { return p.idx == idx }) {
				break
			}
			ref := plannedRef{idx: idx, task: -1}
			if !old.Pinned {
				assignee, _ := e.assignee(r, o)
				if moves(old, due, end, ch, assignee) {
					t := e.taskWithKey(r, string(rc.buf), cust, ch, o, due, e.reminderWhy(r, o, off, n))
					ref.task = int32(len(res.want))
					res.want = append(res.want, t)
				}
			}
			res.refs = append(res.refs, ref)
		case na > 0 && !slices.ContainsFunc(res.want, func(t Task) bool { return t.Key == string(rc.buf) }):
			t := e.taskWithKey(r, string(rc.buf), cust, ch, o, due, "")
			if na > 1 || (!old.Pinned && t.differs(old)) {
				t.Reason = e.reminderWhy(r, o, off, n)
			}
			res.want = append(res.want, t)
		}
	}
	if !create {
		return
	}
	if _, found := ix.byKey[string(rc.buf)]; found || slices.ContainsFunc(res.create, func(t Task) bool { return t.Key == string(rc.buf) }) {
		return
	}
	res.create = append(res.create, e.taskWithKey(r, string(rc.buf), cust, ch, o, due, e.reminderWhy(r, o, off, n)))
}

// subjectOf returns the subject part of a task key.
// planned reports whether t is a task of the plan (its key's subject is
// a vehicle or a customer), not a follow-up opened by OpenFollowUp.
func planned(t Task) bool {
	subj := subjectOf(t)
	return strings.HasPrefix(subj, "vehicle:") || strings.HasPrefix(subj, "customer:")
}

func subjectOf(t Task) string {
	_, rest, ok := strings.Cut(t.Key, "|")
	if !ok {
		return ""
	}
	subj, _, _ := strings.Cut(rest, "|")
	return subj
}
