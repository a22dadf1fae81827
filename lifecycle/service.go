package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
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

// GradeLookup is an optional capability of a GradeSource: the grades of
// some customers in one read (the call list's page). Without it the call
// list reads every grade of the dealer (GradeSource.Grades) per page.
type GradeLookup interface {
	// GradesOf returns the grade of each of customers that is graded.
	GradesOf(ctx context.Context, dealer crm.DealerID, customers []crm.CustomerID) (map[crm.CustomerID]string, error)
}

// CadenceSource gives the contact cadence of a dealer's customers, in
// months, from their grade's service strategy (grading.Service
// implements it). The grade_care rule plans one contact per period.
type CadenceSource interface {
	// Cadences returns the cadence of each customer that has one.
	Cadences(ctx context.Context, dealer crm.DealerID) (map[crm.CustomerID]int, error)
}

// ConfigStamper is an optional capability of a GradeSource, CadenceSource
// or MembershipSource whose answers depend on its own configuration as
// well as on its data (grading.Service: each grade's contact cadence).
// ConfigStamp digests that configuration; the stamp of a daily run
// includes it, so that a re-run of the day after the configuration
// changed is not skipped (WithSharedDatabase).
type ConfigStamper interface {
	ConfigStamp() string
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

// MembershipLookup is an optional capability of a MembershipSource: the
// memberships of some customers in one read (the call list's page).
// Without it the call list reads every membership of the dealer per page.
type MembershipLookup interface {
	// MembershipsOf returns the current membership of each of customers
	// that is a member.
	MembershipsOf(ctx context.Context, dealer crm.DealerID, customers []crm.CustomerID) (map[crm.CustomerID]Membership, error)
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
	call     CallPolicy
	// reports keeps the daily run's report snapshots: the task store
	// when it is a ReportStore, else nil.
	reports ReportStore
	log     *slog.Logger
	// shared says the sources read the task store's database
	// (WithSharedDatabase); config is the digest of the configuration
	// a run depends on (configStamp).
	shared bool
	config string
}

// NewService returns a Service reading crm data through svc and keeping
// tasks in tasks. A bad policy is a *crm.ValidationError.
func NewService(svc *crm.Service, tasks TaskStore, opts ...Option) (*Service, error) {
	if svc == nil || tasks == nil {
		return nil, dealercrm.Errorf(dealercrm.Invalid, "lifecycle: NewService needs a crm service and a task store")
	}
	s := &Service{crm: svc, tasks: tasks, policy: DefaultPolicy(), now: time.Now, newID: dealercrm.NewID, call: DefaultCallPolicy()}
	for _, o := range opts {
		o(s)
	}
	if err := s.call.Validate(); err != nil {
		return nil, fmt.Errorf("lifecycle: %w", err)
	}
	p, err := NewPlanner(s.policy, s.cal)
	if err != nil {
		return nil, fmt.Errorf("lifecycle: %w", err)
	}
	s.planner, s.cal = p, p.cal
	s.reports, _ = tasks.(ReportStore)
	s.config = configStamp(s.policy, s.cal, s.call, s.grades, s.cadences, s.members)
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
	// Stamp is the stamp of the records the facts were read from, the
	// part of InputStamper.InputStamp that covers them, when the source
	// gives it (adapters/postgres); empty otherwise.
	Stamp string
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
	subs, _, err := s.load(ctx, dealer)
	return subs, err
}

// load is Load, returning also the stamp of the facts (Facts.Stamp).
func (s *Service) load(ctx context.Context, dealer crm.DealerID) ([]Subject, string, error) {
	st := s.crm.Store()
	var f Facts
	var err error
	if src, ok := st.(FactSource); ok {
		if f, err = src.LifecycleFacts(ctx, dealer); err != nil {
			return nil, "", fmt.Errorf("lifecycle: load facts of %s: %w", dealer, err)
		}
	} else if f, err = LoadFacts(ctx, st, dealer); err != nil {
		return nil, "", err
	}
	soldHere := make(map[crm.VehicleID]bool, len(f.Sold))
	for _, v := range f.Sold {
		soldHere[v] = true
	}
	var grades map[crm.CustomerID]string
	if s.grades != nil {
		if grades, err = s.grades.Grades(ctx, dealer); err != nil {
			return nil, "", fmt.Errorf("lifecycle: load grades: %w", err)
		}
	}
	var cadences map[crm.CustomerID]int
	if s.cadences != nil {
		if cadences, err = s.cadences.Cadences(ctx, dealer); err != nil {
			return nil, "", fmt.Errorf("lifecycle: load cadences: %w", err)
		}
	}
	var members map[crm.CustomerID]Membership
	if s.members != nil {
		if members, err = s.members.Memberships(ctx, dealer); err != nil {
			return nil, "", fmt.Errorf("lifecycle: load memberships: %w", err)
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
	at := make(map[crm.VehicleID]int, len(f.Vehicles))
	for i := range f.Vehicles {
		at[f.Vehicles[i].ID] = i
	}
	byVehicle := groupBy(len(f.Vehicles), f.Orders, func(o *crm.ServiceOrder) (int, bool) { i, ok := at[o.VehicleID]; return i, ok })
	polBy := groupBy(len(f.Vehicles), f.Policies, func(p *crm.InsurancePolicy) (int, bool) { i, ok := at[p.VehicleID]; return i, ok })
	compBy := map[crm.CustomerID][]crm.Complaint{}
	for _, c := range f.Complaints {
		compBy[c.CustomerID] = append(compBy[c.CustomerID], c)
	}
	out := make([]Subject, 0, len(f.Vehicles))
	for i, v := range f.Vehicles {
		owner := owners[v.OwnerID]
		sub := FactsOf(v, owner, byVehicle[i], polBy[i], compBy[v.OwnerID])
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
	return out, f.Stamp, nil
}

// groupBy returns the items of each of n positions (key gives an item's;
// false drops it), each group in the items' order, as subslices of one
// array: appending 100,000 service orders to 20,000 growing per-vehicle
// slices was a tenth of the Go CPU of a Postgres daily run.
func groupBy[T any](n int, items []T, key func(*T) (int, bool)) [][]T {
	keys := make([]int, len(items))
	start := make([]int, n+1)
	for i := range items {
		k, ok := key(&items[i])
		if !ok {
			k = -1
		} else {
			start[k+1]++
		}
		keys[i] = k
	}
	for k := range n {
		start[k+1] += start[k]
	}
	all := make([]T, start[n])
	next := slices.Clone(start[:n])
	for i, k := range keys {
		if k >= 0 {
			all[next[k]] = items[i]
			next[k]++
		}
	}
	out := make([][]T, n)
	for k := range out {
		out[k] = all[start[k]:start[k+1]:start[k+1]]
	}
	return out
}

// RunResult counts what a run changed.
type RunResult struct {
	Date        dealercrm.Date `json:"date"`
	Subjects    int            `json:"subjects"`
	Created     int            `json:"created"`
	Rescheduled int            `json:"rescheduled"`
	Cancelled   int            `json:"cancelled"`
	Overdue     int            `json:"overdue"`
	// Skipped is set when the run read nothing but stamps and wrote
	// nothing: its inputs had not changed since the run of the same day
	// that stored the report snapshot (WithSharedDatabase). Subjects is
	// then that run's.
	Skipped bool `json:"skipped,omitempty"`
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
// When the task store keeps report snapshots (ReportStore), the run also
// stores the reports of the subjects it loaded as of date (Reports), from
// which KPIs, Comebacks and Abnormal serve today's requests.
//
// Each run is a span lifecycle.Service.Run, counted in the metrics
// dealercrm.lifecycle.runs, .duration and .tasks (docs/observability.md).
func (s *Service) Run(ctx context.Context, dealer crm.DealerID, date dealercrm.Date) (res RunResult, err error) {
	ctx, span := startRun(ctx, dealer, date)
	start := time.Now()
	defer func() { s.endRun(ctx, span, start, dealer, date, res, err) }()
	n, same, err := s.unchanged(ctx, dealer, date)
	if err != nil {
		return RunResult{}, fmt.Errorf("lifecycle: run %s: the last run: %w", dealer, err)
	}
	if same {
		return RunResult{Date: date, Subjects: n, Skipped: true}, nil
	}
	stamp, err := s.stampBefore(ctx, dealer, date)
	if err != nil {
		return RunResult{}, fmt.Errorf("lifecycle: run %s: stamping the inputs: %w", dealer, err)
	}
	erased, err := s.erasures(ctx, dealer)
	if err != nil {
		return RunResult{}, fmt.Errorf("lifecycle: run %s: %w", dealer, err)
	}
	subs, facts, err := s.load(ctx, dealer)
	if err != nil {
		return RunResult{}, err
	}
	if stamp != nil {
		stamp.facts = facts
	}
	return s.runSubjects(ctx, dealer, date, subs, erased, stamp)
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
	return s.runSubjects(ctx, dealer, date, subs, erased, nil)
}

// runSubjects is RunSubjects with the erasures read before the subjects
// were loaded, and the stamp of its inputs read before that (nil for
// none: the snapshot then gets no stamp).
func (s *Service) runSubjects(ctx context.Context, dealer crm.DealerID, date dealercrm.Date, subs []Subject, erased map[crm.CustomerID]int64, stamp *runStamp) (RunResult, error) {
	res, due, own, err := s.reconcileAll(ctx, dealer, date, subs)
	if own.wrote() {
		n, again, eerr := s.eraseAgain(ctx, dealer, erased)
		if len(again) > 0 {
			stamp = nil
		}
		// A task erased again is cancelled: it is not due.
		due = slices.DeleteFunc(due, func(t Task) bool { return again[t.CustomerID] })
		if eerr != nil {
			eerr = fmt.Errorf("lifecycle: run %s on %s: erasing again: %w", dealer, date, eerr)
		}
		res.Cancelled += n
		err = errors.Join(err, eerr)
	}
	if err != nil {
		return RunResult{}, err
	}
	// The day's task.due events, once per task and day (keyed): written
	// after the tasks, through the crm store's event writer, since they
	// report no change of the run's but what stands on the day.
	if evs := DueEvents(due, date, s.now()); len(evs) > 0 {
		if err := s.crm.Store().Events().Add(ctx, evs...); err != nil {
			return RunResult{}, fmt.Errorf("lifecycle: run %s on %s: due events: %w", dealer, date, err)
		}
	}
	text, err := s.stampAfter(ctx, dealer, stamp, own.created, own.replaced)
	if err != nil {
		return RunResult{}, fmt.Errorf("lifecycle: run %s on %s: stamping the tasks: %w", dealer, date, err)
	}
	if err := s.saveReports(ctx, dealer, date, subs, erased, text); err != nil {
		return RunResult{}, err
	}
	return res, nil
}

// written counts the tasks a run wrote: created and replaced.
type written struct{ created, replaced int }

// wrote reports whether the run wrote any task.
func (w written) wrote() bool { return w.created+w.replaced > 0 }

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
// read, and returns how many tasks it cancelled and those customers.
func (s *Service) eraseAgain(ctx context.Context, dealer crm.DealerID, before map[crm.CustomerID]int64) (int, map[crm.CustomerID]bool, error) {
	es, err := s.tasks.Erasures(ctx, dealer)
	if err != nil {
		return 0, nil, err
	}
	n := 0
	again := map[crm.CustomerID]bool{}
	for _, e := range es {
		if e.Count == before[e.CustomerID] {
			continue
		}
		again[e.CustomerID] = true
		c, err := s.tasks.EraseCustomer(ctx, dealer, e.CustomerID, nil, s.now().UTC().Truncate(time.Microsecond))
		n += c
		if err != nil {
			return n, again, err
		}
	}
	return n, again, nil
}

// reconcileAll reconciles and writes the plan of subs in passes (see
// RunSubjects) and reports what it wrote, also when it fails. due are the
// tasks due on date as the last pass left them: what it read with what it
// wrote over it.
func (s *Service) reconcileAll(ctx context.Context, dealer crm.DealerID, date dealercrm.Date, subs []Subject) (res RunResult, due []Task, own written, err error) {
	res = RunResult{Date: date, Subjects: len(subs)}
	var again []int // after the first pass: the subjects to plan again
	desc := newDescriber(s.planner, date, subs)
	for pass := 1; ; pass++ {
		stored, err := s.storedTasks(ctx, dealer, date)
		if err != nil {
			return RunResult{}, nil, own, fmt.Errorf("lifecycle: run %s: %w", dealer, err)
		}
		var ch Changes
		if pass == 1 {
			ch = s.planner.Reconcile(subs, stored, date)
		} else {
			ch = s.planner.ReconcileEach(len(again), func(i int, sub *Subject) { *sub = subs[again[i]] }, stored, date)
		}
		// What the call list shows of each task's subject: set on the
		// tasks written anyway, and the other active tasks whose
		// description changed are written for it.
		desc.describe(ch.Create)
		desc.describe(ch.Replace)
		ch.Replace = append(ch.Replace, desc.stale(stored, ch.Replace)...)
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
			return RunResult{}, nil, own, fmt.Errorf("lifecycle: run %s on %s: %w", dealer, date, err)
		}
		lostIDs := make(map[TaskID]bool, len(lost))
		for _, t := range lost {
			lostIDs[t.ID] = true
		}
		for _, t := range ch.Create {
			if !lostIDs[t.ID] {
				own.created++
			}
		}
		for _, t := range ch.Replace {
			if !lostIDs[t.ID] {
				own.replaced++
			}
		}
		r := ch.Result
		uncount(&r, lost, stored)
		res.Created += r.Created
		res.Rescheduled += r.Rescheduled
		res.Cancelled += r.Cancelled
		res.Overdue += r.Overdue
		if len(lost) == 0 {
			return res, dueOn(date, stored, ch.Create, ch.Replace), own, nil
		}
		if pass == maxRunPasses {
			return RunResult{}, nil, own, dealercrm.Errorf(dealercrm.Conflict, "lifecycle: run %s on %s: tasks kept changing during %d passes; run again", dealer, date, pass)
		}
		again = subjectsOf(subs, lost)
	}
}

// dueOn returns the tasks due on date of stored with written (every
// write of a pass that lost none) over them.
func dueOn(date dealercrm.Date, stored []Task, written ...[]Task) []Task {
	byID := map[TaskID]int{}
	var out []Task
	add := func(t *Task) {
		if i, ok := byID[t.ID]; ok {
			out[i] = *t
		} else if t.Due == date {
			byID[t.ID] = len(out)
			out = append(out, *t)
		}
	}
	for i := range stored {
		add(&stored[i])
	}
	for _, ts := range written {
		for i := range ts {
			add(&ts[i])
		}
	}
	return out
}

// storedTasks reads the stored tasks a run on date reconciles with.
func (s *Service) storedTasks(ctx context.Context, dealer crm.DealerID, date dealercrm.Date) ([]Task, error) {
	lo := date.AddDays(-s.policy.KeepDays - s.policy.HorizonDays)
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
