package lifecycle

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
)

// Visit is a service order as the scheduler sees it.
type Visit struct {
	OrderID   crm.ServiceOrderID `json:"order_id"`
	DealerID  crm.DealerID       `json:"dealer_id"` // a sister store of the group when not the subject's dealer
	Date      dealercrm.Date     `json:"date"`
	Closed    dealercrm.Date     `json:"closed,omitempty"`
	KM        int64              `json:"km"`
	Kind      crm.ServiceKind    `json:"kind"`
	Payer     crm.Payer          `json:"payer"`
	AdvisorID crm.StaffID        `json:"advisor_id,omitempty"`
	// Complaint marks a visit during which the customer complained.
	Complaint bool `json:"complaint,omitempty"`
	// Amount is labour plus parts (CNY): it classifies repairs for
	// comebacks (ComebackPolicy.MajorAmount).
	Amount decimal.Decimal `json:"amount,omitzero"`
}

// maintenance reports whether v is a maintenance visit.
func (v Visit) maintenance() bool {
	return v.Kind == crm.ServiceFirstMaintenance || v.Kind == crm.ServiceMaintenance
}

// PolicyTerm is an insurance policy term.
type PolicyTerm struct {
	ID    crm.PolicyID      `json:"id"`
	Kind  crm.InsuranceKind `json:"kind"`
	Start dealercrm.Date    `json:"start"`
	End   dealercrm.Date    `json:"end"`
	// Recorded is when the policy was recorded (renewals are sold before
	// they start); zero when unknown.
	Recorded dealercrm.Date `json:"recorded,omitempty"`
}

// ComplaintFact is a complaint as the scheduler sees it.
type ComplaintFact struct {
	ID       crm.ComplaintID `json:"id"`
	Opened   dealercrm.Date  `json:"opened"`
	Resolved dealercrm.Date  `json:"resolved,omitempty"`
}

// Subject is everything the plan needs about one vehicle and its owner.
// Build it with FactsOf or directly (batch loaders, benchmarks).
type Subject struct {
	DealerID  crm.DealerID  `json:"dealer_id"`
	VehicleID crm.VehicleID `json:"vehicle_id"`
	// VIN is the normalised VIN, the key of group-level (sister store) views.
	VIN          string         `json:"vin,omitempty"`
	Brand        string         `json:"brand,omitempty"`
	Model        string         `json:"model"`
	Delivery     dealercrm.Date `json:"delivery"`
	Registration dealercrm.Date `json:"registration,omitempty"`
	Readings     []Reading      `json:"readings,omitempty"`
	// Visits are sorted by date (FactsOf sorts them).
	Visits     []Visit         `json:"visits,omitempty"`
	Policies   []PolicyTerm    `json:"policies,omitempty"`
	Complaints []ComplaintFact `json:"complaints,omitempty"`
	// Owner is the customer; nil when unknown (no consent, no care tasks).
	Owner *crm.Customer `json:"-"`
	// OpenRepurchaseLead reports an open add/replacement purchase lead.
	OpenRepurchaseLead bool `json:"open_repurchase_lead,omitempty"`
	// MembershipEnd is the end of the owner's club membership, if any.
	MembershipEnd dealercrm.Date `json:"membership_end,omitempty"`
	// Tier is the owner's club tier, if a member.
	Tier string `json:"tier,omitempty"`
	// CadenceMonths is the owner's contact cadence from the grade's
	// service strategy (a CadenceSource); 0 when none.
	CadenceMonths int `json:"cadence_months,omitempty"`
	// Grade is the owner's grade (from a GradeSource), if known.
	Grade string `json:"grade,omitempty"`
	// SoldHere reports that the dealer sold the vehicle (a crm.Sale
	// exists): the own-store customers 自店客户 of the capture KPI.
	SoldHere bool `json:"sold_here,omitempty"`
}

// customerID returns the owner's ID, if known.
func (s *Subject) customerID() crm.CustomerID {
	if s.Owner == nil {
		return ""
	}
	return s.Owner.ID
}

// FactsOf builds a Subject from crm records. Orders, policies and
// complaints of other vehicles are ignored.
func FactsOf(v crm.Vehicle, owner *crm.Customer, orders []crm.ServiceOrder, policies []crm.InsurancePolicy, complaints []crm.Complaint) Subject {
	s := Subject{DealerID: v.DealerID, VehicleID: v.ID, VIN: crm.NormalizeVIN(v.VIN), Brand: v.Brand, Model: v.Model, Delivery: v.DeliveryDate, Registration: v.RegistrationDate, Owner: owner}
	for _, r := range v.Odometer {
		s.Readings = append(s.Readings, Reading{Date: r.Date, KM: r.KM})
	}
	for _, o := range orders {
		if o.VehicleID != v.ID {
			continue
		}
		s.Visits = append(s.Visits, Visit{OrderID: o.ID, DealerID: o.DealerID, Date: o.Date, Closed: o.ClosedDate, KM: o.OdometerKM, Kind: o.Kind, Payer: o.Payer, AdvisorID: o.AdvisorID, Complaint: o.Complaint, Amount: o.Total()})
	}
	slices.SortStableFunc(s.Visits, func(a, b Visit) int { return a.Date.Compare(b.Date) })
	for _, p := range policies {
		if p.VehicleID == v.ID {
			s.Policies = append(s.Policies, PolicyTerm{ID: p.ID, Kind: p.Kind, Start: p.Start, End: p.End, Recorded: dealercrm.DateOf(p.CreatedAt)})
		}
	}
	for _, c := range complaints {
		if c.VehicleID == v.ID || (c.VehicleID == "" && owner != nil && c.CustomerID == owner.ID) {
			s.Complaints = append(s.Complaints, ComplaintFact{ID: c.ID, Opened: c.Opened, Resolved: c.Resolved})
		}
	}
	return s
}

// Planner evaluates a Policy on a Calendar. It is pure: no I/O, no clock.
type Planner struct {
	policy Policy
	cal    *Calendar
	spans  []ruleSpan // of policy.Rules, by index
	// needStage reports that a rule has a stage condition.
	needStage bool
}

// NewPlanner validates p and returns a Planner; a nil cal is DefaultCalendar().
func NewPlanner(p Policy, cal *Calendar) (*Planner, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if cal == nil {
		cal = DefaultCalendar()
	}
	pl := &Planner{policy: p, cal: cal}
	pl.needStage = slices.ContainsFunc(pl.policy.Rules, func(r Rule) bool { return len(r.Stages) > 0 })
	pl.spans = make([]ruleSpan, len(pl.policy.Rules))
	for i := range pl.policy.Rules {
		pl.spans[i] = spanOf(&pl.policy.Rules[i])
	}
	return pl, nil
}

// Policy returns the planner's policy.
func (pl *Planner) Policy() Policy { return pl.policy }

// Calendar returns the planner's calendar.
func (pl *Planner) Calendar() *Calendar { return pl.cal }

// Evaluation is the plan of one subject on one day.
type Evaluation struct {
	Stage StageResult `json:"stage"`
	Usage Usage       `json:"usage"`
	// Tasks are the planned tasks due from asOf − KeepDays to the upper
	// bound, in due order, without ID or timestamps.
	Tasks []Task `json:"tasks"`
	// Gone explains, per rule kind, why the rule plans nothing (first
	// maintenance done, no consent…).
	Gone map[Kind]string `json:"gone,omitempty"`
}

// known returns s restricted to what was known on asOf.
func known(s *Subject, asOf dealercrm.Date) Subject {
	k := *s
	if slices.ContainsFunc(s.Readings, func(r Reading) bool { return r.Date.After(asOf) }) {
		k.Readings = slices.DeleteFunc(slices.Clone(s.Readings), func(r Reading) bool { return r.Date.After(asOf) })
	}
	if n := len(s.Visits); n > 0 && s.Visits[n-1].Date.After(asOf) {
		k.Visits = slices.DeleteFunc(slices.Clone(s.Visits), func(v Visit) bool { return v.Date.After(asOf) })
	}
	if slices.ContainsFunc(s.Policies, func(p PolicyTerm) bool { return p.Recorded.After(asOf) }) {
		k.Policies = slices.DeleteFunc(slices.Clone(s.Policies), func(p PolicyTerm) bool { return p.Recorded.After(asOf) })
	}
	if slices.ContainsFunc(s.Complaints, func(c ComplaintFact) bool { return c.Opened.After(asOf) || c.Resolved.After(asOf) }) {
		cs := make([]ComplaintFact, 0, len(s.Complaints))
		for _, c := range s.Complaints {
			if c.Opened.After(asOf) {
				continue
			}
			if c.Resolved.After(asOf) {
				c.Resolved = dealercrm.Date{}
			}
			cs = append(cs, c)
		}
		k.Complaints = cs
	}
	return k
}

// Evaluate plans subject s as of asOf, using only what was known that day
// (readings, visits and complaints dated after asOf and policies recorded
// after it are ignored; consents count from their time): its stage,
// usage and the tasks due between asOf − KeepDays and asOf + aheadDays.
// No task whose window ends before the delivery is planned, for any rule.
func (pl *Planner) Evaluate(s *Subject, asOf dealercrm.Date, aheadDays int) Evaluation {
	k := known(s, asOf)
	e := evaluator{pl: pl, s: &k, asOf: asOf, lo: addDays(asOf, -pl.policy.KeepDays), hi: addDays(asOf, aheadDays)}
	e.run()
	slices.SortFunc(e.out.Tasks, func(a, b Task) int {
		if c := a.Due.Compare(b.Due); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return e.out
}

type evaluator struct {
	pl     *Planner
	s      *Subject
	asOf   dealercrm.Date
	lo, hi dealercrm.Date
	out    Evaluation
	// lastMaint is the last maintenance visit, if any.
	firstMaint dealercrm.Date
	lastMaint  *Visit
	// sink, when set (Reconcile), receives the planned tasks instead of
	// out.Tasks, and decides which reasons are worth formatting.
	sink     *reconciler
	chans    []channelMemo
	chansBuf [8]channelMemo
	bit      uint64 // the rule\'s kind bit (reconcileIndex.kindBit)
	// loN and hiN are lo and hi as day numbers, when loHiPlain.
	loN, hiN  int
	loHiPlain bool
	occ       []occurrence // reused across rules
	// explain is stage's explain; usageDone reports that out.Usage is set.
	explain, usageDone bool
	span               ruleSpan // of the current rule (outside)
	// chDone reports that ch and chOK hold the current rule's channel.
	chDone bool
	ch     crm.Channel
	chOK   bool
	cutoff time.Time // consents given before it count
}

// needGone reports whether the reason a rule of kind k plans nothing is
// wanted: always by Evaluate, by Reconcile only for a kind the subject
// has active tasks of (and only the first reason per kind).
func (e *evaluator) needGone(k Kind) bool {
	if _, ok := e.out.Gone[k]; ok {
		return false
	}
	return e.sink == nil || e.sink.wantGone(e.bit)
}

func (e *evaluator) gone(k Kind, format string, args ...any) {
	if !e.needGone(k) {
		return
	}
	if e.out.Gone == nil {
		e.out.Gone = map[Kind]string{}
	}
	e.out.Gone[k] = fmt.Sprintf(format, args...)
}

func (e *evaluator) run() {
	s, p := e.s, &e.pl.policy
	var asOfN int
	if ix := e.index(); ix != nil && ix.plain && e.lo == ix.keepFrom && (e.hi == ix.date || e.hi == ix.ahead) && e.asOf == ix.date {
		// Reconcile: the same window for every subject, in day numbers once.
		e.loHiPlain, e.loN, e.hiN, asOfN = true, ix.keepN, ix.dateN, ix.dateN
		if e.hi == ix.ahead {
			e.hiN = ix.aheadN
		}
	} else if e.loHiPlain = plain(e.lo) && plain(e.hi) && plain(e.asOf); e.loHiPlain {
		e.loN, e.hiN = daysFromCivil(e.lo.Year, int(e.lo.Month), e.lo.Day), daysFromCivil(e.hi.Year, int(e.hi.Month), e.hi.Day)
		asOfN = daysFromCivil(e.asOf.Year, int(e.asOf.Month), e.asOf.Day)
	}
	lo, loN, hi, hiN := e.lo, e.loN, e.hi, e.hiN
	// Without a stored task to match, Reconcile needs only the tasks it
	// may create: due by asOf, window ending on or after createFrom.
	var createFrom dealercrm.Date
	var createFromN int
	narrow := false
	if e.sink != nil {
		createFrom = e.sink.ix.createFrom
		narrow = !createFrom.Before(lo) && !createFrom.After(e.asOf) && (!e.loHiPlain || plain(createFrom))
		if narrow && e.loHiPlain {
			createFromN = e.sink.ix.createN
			if !e.sink.ix.plain {
				createFromN = daysFromCivil(createFrom.Year, int(createFrom.Month), createFrom.Day)
			}
		}
	}
	e.stage(e.sink == nil)
	for i := range p.Rules {
		r := &p.Rules[i]
		if r.Disabled {
			continue
		}
		// The rule's kind bit first: the conditions' reasons are wanted
		// only for the kinds of the subject's stored tasks.
		e.bit = ^uint64(0)
		if len(p.Rules) <= 64 {
			e.bit = 1 << i
		}
		if len(r.Stages) > 0 && !slices.Contains(r.Stages, e.out.Stage.Stage) {
			if e.needGone(r.Kind) {
				e.gone(r.Kind, "the vehicle is in stage %s, the rule wants %v", e.out.Stage.Stage, r.Stages)
			}
			continue
		}
		if len(r.Grades) > 0 && !slices.Contains(r.Grades, s.Grade) {
			if e.needGone(r.Kind) {
				e.gone(r.Kind, "the customer's grade %q is not one of %v", s.Grade, r.Grades)
			}
			continue
		}
		if len(r.Tiers) > 0 && !slices.Contains(r.Tiers, s.Tier) {
			if e.needGone(r.Kind) {
				e.gone(r.Kind, "the customer's club tier %q is not one of %v", s.Tier, r.Tiers)
			}
			continue
		}
		// Reconcile looks ahead only for the kinds of the subject's
		// active tasks: the other rules only create tasks due by asOf.
		e.lo, e.loN, e.hi, e.hiN = lo, loN, hi, hiN
		if narrow && !e.sink.lookAhead(e.bit) {
			e.lo, e.loN, e.hi, e.hiN = createFrom, createFromN, e.asOf, asOfN
		}
		if i < len(e.pl.spans) && e.pl.spans[i].rule == r {
			e.span = e.pl.spans[i]
		}
		e.rule(r)
	}
}

// index returns the reconcile index when Reconcile runs the evaluator.
func (e *evaluator) index() *reconcileIndex {
	if e.sink == nil {
		return nil
	}
	return e.sink.ix
}

// stage finds the subject's first and last maintenance and sets its usage
// and stage, explained when explain. Reconcile (explain false) skips the
// stage when no rule has a stage condition, and leaves the usage to the
// first prediction that needs it.
func (e *evaluator) stage(explain bool) {
	s, p := e.s, &e.pl.policy
	for i := range s.Visits {
		if v := &s.Visits[i]; v.maintenance() {
			if e.firstMaint.IsZero() {
				e.firstMaint = v.Date
			}
			e.lastMaint = v
		}
	}
	e.explain = explain
	if !explain && !e.pl.needStage {
		return
	}
	e.out.Stage = p.Stages.classify(StageInput{Brand: s.Brand, Model: s.Model, Delivery: s.Delivery,
		KM: e.usage().KMOn(e.asOf), FirstMaintenance: e.firstMaint, OpenRepurchaseLead: s.OpenRepurchaseLead}, e.asOf, explain)
}

// usage returns the subject's odometer usage, computed on first use.
func (e *evaluator) usage() *Usage {
	if !e.usageDone {
		e.usageDone = true
		s := e.s
		var buf [8]Reading
		readings := append(buf[:0], s.Readings...)
		for i := range s.Visits {
			if v := &s.Visits[i]; v.KM > 0 {
				readings = append(readings, Reading{Date: v.Date, KM: v.KM})
			}
		}
		e.out.Usage = e.pl.policy.Odometer.usage(readings, e.explain)
	}
	return &e.out.Usage
}

// Stage returns the stage of subject s as of asOf, explained, and its
// usage: what Evaluate gives, without planning any task.
func (pl *Planner) Stage(s *Subject, asOf dealercrm.Date) (StageResult, Usage) {
	k := known(s, asOf)
	e := evaluator{pl: pl, s: &k, asOf: asOf}
	e.stage(true)
	return e.out.Stage, *e.usage()
}

// occurrence is one anchor instance of a rule. Its reason is formatted
// only for the tasks kept (whyOf): most occurrences (past birthdays and
// festivals, reminders outside the window) are dropped.
type occurrence struct {
	ref    string         // the anchor event's identity in the key
	basis  dealercrm.Date // the anchor event's date in the key
	anchor dealercrm.Date // the date offsets count from
	until  dealercrm.Date // repeats stop before this date (zero: none)
	idx    int            // the visit, complaint or policy index; the inspection year
	name   string         // the festival or inspection rule name
	// inside reports that outside(rule, anchor) was checked and is false.
	inside bool
}

// whyOf formats why occurrence o of rule r exists.
func (e *evaluator) whyOf(r *Rule, o *occurrence) string {
	s, p := e.s, &e.pl.policy
	switch r.Anchor {
	case AnchorDelivery:
		return "delivered on " + s.Delivery.String()
	case AnchorFirstMaintenance:
		_, why := e.predict(s.Delivery, 0, p.Maintenance.First, "first maintenance")
		return why
	case AnchorMaintenance:
		lm := e.lastMaint
		_, why := e.predict(lm.Date, lm.KM, p.Maintenance.IntervalFor(s.Model), "next maintenance")
		return "last maintenance on " + lm.Date.String() + "; " + why
	case AnchorServiceClosed:
		v := &s.Visits[o.idx]
		return string(v.Kind) + " service order " + string(v.OrderID) + " closed on " + o.basis.String()
	case AnchorComplaintResolved:
		return fmt.Sprintf("complaint %s resolved on %s", s.Complaints[o.idx].ID, o.basis)
	case AnchorPolicyEnd:
		t := &s.Policies[o.idx]
		return string(t.Kind) + " insurance " + string(t.ID) + " ends on " + t.End.String()
	case AnchorInspection:
		return fmt.Sprintf("inspection due on %s (year %d, %s)", o.basis, o.idx, o.name)
	case AnchorWarrantyEnd:
		return fmt.Sprintf("the warranty (%s) ends on %s", p.Stages.WarrantyFor(s.Brand, s.Model), o.basis)
	case AnchorMembershipEnd:
		return "membership ends on " + o.basis.String()
	case AnchorBirthday:
		return "birthday on " + o.basis.String()
	case AnchorCadence:
		return fmt.Sprintf("grade %s contact cadence: every %d months, period from %s", s.Grade, s.CadenceMonths, o.basis)
	case AnchorHoliday:
		return o.name + " on " + o.basis.String()
	}
	return ""
}

// rule plans the tasks of rule r, reusing e.occ for its occurrences.
func (e *evaluator) rule(r *Rule) {
	e.occ = e.ruleOcc(r, e.occ[:0])[:0]
}

// ruleOcc is rule with the occurrence buffer occ; it returns the buffer
// (grown) for the next rule.
func (e *evaluator) ruleOcc(r *Rule, occ []occurrence) []occurrence {
	s, p := e.s, &e.pl.policy
	cust := false
	switch r.Anchor {
	case AnchorDelivery:
		if s.Delivery.IsZero() {
			e.gone(r.Kind, "no delivery date")
			return occ
		}
		occ = append(occ, occurrence{basis: s.Delivery, anchor: s.Delivery})
	case AnchorFirstMaintenance:
		if s.Delivery.IsZero() {
			e.gone(r.Kind, "no delivery date")
			return occ
		}
		if !e.firstMaint.IsZero() {
			if e.needGone(r.Kind) {
				e.gone(r.Kind, "first maintenance done on %s", e.firstMaint)
			}
			return occ
		}
		lost := addMonths(s.Delivery, p.Maintenance.FirstLostMonths)
		if !e.asOf.Before(lost) {
			if e.needGone(r.Kind) {
				e.gone(r.Kind, "first maintenance lost (首保流失) on %s, %d months after delivery", lost, p.Maintenance.FirstLostMonths)
			}
			return occ
		}
		due := e.predictDate(s.Delivery, 0, p.Maintenance.First)
		occ = append(occ, occurrence{basis: s.Delivery, anchor: due, until: lost})
	case AnchorMaintenance:
		if e.lastMaint == nil {
			e.gone(r.Kind, "no maintenance done yet")
			return occ
		}
		lm := e.lastMaint
		due := e.predictDate(lm.Date, lm.KM, p.Maintenance.IntervalFor(s.Model))
		occ = append(occ, occurrence{ref: string(lm.OrderID), basis: lm.Date, anchor: due})
	case AnchorServiceClosed:
		for i, v := range s.Visits {
			closed := v.Closed
			if closed.IsZero() {
				closed = v.Date
			}
			occ = append(occ, occurrence{ref: string(v.OrderID), basis: closed, anchor: closed, idx: i})
		}
	case AnchorComplaintResolved:
		for i, c := range s.Complaints {
			if !c.Resolved.IsZero() {
				occ = append(occ, occurrence{ref: string(c.ID), basis: c.Resolved, anchor: c.Resolved, idx: i})
			}
		}
	case AnchorPolicyEnd:
		for i, t := range s.Policies {
			if by := renewedBy(s.Policies, t); by != "" {
				if e.needGone(r.Kind) {
					e.gone(r.Kind, "policy %s renewed by %s", t.ID, by)
				}
				continue
			}
			occ = append(occ, occurrence{ref: string(t.ID), basis: t.End, anchor: t.End, idx: i})
		}
	case AnchorInspection:
		reg := s.Registration
		if reg.IsZero() {
			reg = s.Delivery
		}
		if reg.IsZero() {
			e.gone(r.Kind, "no registration or delivery date")
			return occ
		}
		ir, ok := inspectionRule(p.Inspection, reg)
		if !ok {
			if e.needGone(r.Kind) {
				e.gone(r.Kind, "no inspection rule for cars registered on %s", reg)
			}
			return occ
		}
		for age := 1; age <= 30; age++ {
			due := addMonths(reg, 12*age)
			if e.loHiPlain && plain(due) {
				if daysFromCivil(due.Year, int(due.Month), due.Day)-366 > e.hiN {
					break
				}
			} else if addDays(due, -366).After(e.hi) {
				break
			}
			if slices.Contains(ir.Years, age) || (ir.YearlyAfter > 0 && age > ir.YearlyAfter) {
				occ = append(occ, occurrence{basis: due, anchor: due, idx: age, name: ir.Name})
			}
		}
	case AnchorWarrantyEnd:
		if s.Delivery.IsZero() {
			e.gone(r.Kind, "no delivery date")
			return occ
		}
		w := p.Stages.WarrantyFor(s.Brand, s.Model)
		end := addMonths(s.Delivery, w.Months)
		occ = append(occ, occurrence{basis: end, anchor: end})
	case AnchorMembershipEnd:
		if s.MembershipEnd.IsZero() {
			e.gone(r.Kind, "no membership")
			return occ
		}
		occ = append(occ, occurrence{basis: s.MembershipEnd, anchor: s.MembershipEnd})
	case AnchorBirthday:
		if s.Owner == nil || s.Owner.Birthday.IsZero() {
			e.gone(r.Kind, "no birthday recorded")
			return occ
		}
		cust = true
		for y := e.lo.Year; y <= e.hi.Year+1; y++ {
			b := BirthdayIn(s.Owner.Birthday, y)
			if r.Repeat == nil && e.outside(r, b) {
				continue // as emit would
			}
			occ = append(occ, occurrence{basis: b, anchor: b, inside: r.Repeat == nil})
		}
	case AnchorHoliday:
		if s.Owner == nil {
			e.gone(r.Kind, "no owner")
			return occ
		}
		cust = true
		for y := e.lo.Year; y <= e.hi.Year+1; y++ {
			for _, f := range e.festivals(y) {
				if r.Repeat == nil && e.outside(r, f.Date) {
					continue // as emit would
				}
				occ = append(occ, occurrence{basis: f.Date, anchor: f.Date, name: f.Name, inside: r.Repeat == nil})
			}
		}
	case AnchorCadence:
		if s.Owner == nil {
			e.gone(r.Kind, "no owner")
			return occ
		}
		c := s.CadenceMonths
		if c <= 0 {
			if e.needGone(r.Kind) {
				e.gone(r.Kind, "no contact cadence for the customer (not graded, or the grade has none)")
			}
			return occ
		}
		cust = true
		// The periods whose first day, moved by the offsets, may reach
		// [lo, hi].
		from, to := e.lo, e.hi
		if sp := e.spanFor(r); sp.bounded {
			from, to = addDays(from, -sp.hi), addDays(to, -sp.lo)
		}
		lo, hi := from.Year*12+int(from.Month)-1, to.Year*12+int(to.Month)
		if lo < 12 || hi >= 10000*12 || hi-lo > 1200 {
			return occ
		}
		for t := lo + (c-lo%c)%c; t <= hi; t += c {
			d := dealercrm.Date{Year: t / 12, Month: time.Month(t%12 + 1), Day: 1}
			occ = append(occ, occurrence{basis: d, anchor: d})
		}
	}
	if len(occ) == 0 {
		return occ
	}
	// The channel (a scan of the owner's consents) is decided at the
	// first task inside the window, or at the end when a reason is wanted:
	// most occurrences fall outside it.
	e.chDone = false
	subject := ""
	if e.sink == nil {
		if cust {
			subject = "customer:" + string(s.Owner.ID)
		} else {
			subject = "vehicle:" + string(s.VehicleID)
		}
	}
	for i := range occ {
		if !e.emit(r, subject, cust, &occ[i]) {
			return occ
		}
	}
	if !e.chDone && e.needGone(r.Kind) {
		e.resolveChannel(r)
	}
	return occ
}

// resolveChannel decides the channel of rule r's tasks for the subject,
// noting why r plans nothing when the owner consented to none.
func (e *evaluator) resolveChannel(r *Rule) {
	e.chDone = true
	e.ch, e.chOK = e.channel(r)
	if !e.chOK && e.needGone(r.Kind) {
		e.gone(r.Kind, "no consent for %s by %v", r.Purpose, r.Channels)
	}
}

// festivals returns the care festivals of year y (cached by Reconcile).
func (e *evaluator) festivals(y int) []Festival {
	if e.sink != nil {
		return e.sink.festivals(y)
	}
	return e.pl.cal.Festivals(y)
}

// reminderWhy formats the reason of reminder n of an occurrence: off is
// the offset for the offset reminders, nil for a repeat.
func (e *evaluator) reminderWhy(r *Rule, o *occurrence, off *Offset, n int) string {
	if off != nil {
		return e.whyOf(r, o) + "; " + off.String() + " " + string(r.Anchor)
	}
	return e.whyOf(r, o) + "; reminder " + strconv.Itoa(n) + ", every " + strconv.Itoa(r.Repeat.EveryDays) + " days"
}

// emit adds the tasks of one occurrence that fall in [lo, hi]. Reasons
// are formatted only for the tasks kept. It reports false when the owner
// consented to none of the rule's channels (no task of the rule at all).
func (e *evaluator) emit(r *Rule, subject string, cust bool, o *occurrence) bool {
	if r.Repeat == nil && !o.inside && e.outside(r, o.anchor) {
		return true
	}
	n := 0
	add := func(due dealercrm.Date, off *Offset) bool {
		n++
		due = e.pl.cal.Apply(r.Shift, due)
		end := addDays(due, r.WindowDays-1)
		// Nothing is planned for a vehicle before it was delivered: a
		// car delivered today has no holiday or birthday of last month
		// to catch up on.
		if due.After(e.hi) || end.Before(e.lo) || end.Before(e.s.Delivery) {
			return true
		}
		if !e.chDone {
			e.resolveChannel(r)
		}
		if !e.chOK {
			return false
		}
		if e.sink != nil {
			e.sink.candidate(e, r, cust, e.ch, o, n, off, due, end)
			return true
		}
		e.out.Tasks = append(e.out.Tasks, e.task(r, subject, cust, e.ch, o, n, due, e.reminderWhy(r, o, off, n)))
		return true
	}
	for i := range r.Offsets {
		if !add(r.Offsets[i].From(o.anchor), &r.Offsets[i]) {
			return false
		}
	}
	if r.Repeat == nil || len(r.Offsets) == 0 {
		return true
	}
	first := r.Offsets[0].From(o.anchor)
	for i := 1; ; i++ {
		if r.Repeat.Max > 0 && n >= r.Repeat.Max {
			return true
		}
		due := addDays(first, i*r.Repeat.EveryDays)
		if due.After(e.hi) || (!o.until.IsZero() && !due.Before(o.until)) {
			return true
		}
		if !add(due, nil) {
			return false
		}
	}
}

// outside reports that no offset of r from anchor (shifted off
// non-working days, with its window) can reach [lo, hi]: a conservative
// test in day numbers, before any calendar arithmetic.
func (e *evaluator) outside(r *Rule, anchor dealercrm.Date) bool {
	sp := e.spanFor(r)
	if !e.loHiPlain || !sp.bounded || !plain(anchor) {
		return false
	}
	a := daysFromCivil(anchor.Year, int(anchor.Month), anchor.Day)
	return a+sp.hi < e.loN || a+sp.lo > e.hiN
}

// ruleSpan bounds, in days from the anchor, where the tasks of a rule's
// offsets (shifted off non-working days, with their window) can fall.
type ruleSpan struct {
	rule    *Rule
	ok      bool // computed for rule
	bounded bool // lo and hi hold (false: no offsets, or absurd ones)
	lo, hi  int
}

// spanFor returns the span of r, the current rule.
func (e *evaluator) spanFor(r *Rule) *ruleSpan {
	if !e.span.ok || e.span.rule != r {
		e.span = spanOf(r)
	}
	return &e.span
}

func spanOf(r *Rule) ruleSpan {
	sp := ruleSpan{rule: r, ok: true}
	if len(r.Offsets) == 0 {
		return sp
	}
	lo, hi := math.MaxInt, math.MinInt
	for _, off := range r.Offsets {
		if off.Months > 1000 || off.Months < -1000 || off.Days > 1_000_000 || off.Days < -1_000_000 {
			return sp
		}
		// a month is 28 to 31 days
		l, h := off.Days+28*off.Months, off.Days+31*off.Months
		if off.Months < 0 {
			l, h = h, l
		}
		lo, hi = min(lo, l), max(hi, h)
	}
	slack := 0
	if r.Shift != ShiftNone {
		slack = maxShiftDays
	}
	sp.bounded, sp.lo, sp.hi = true, lo-slack, hi+slack+max(r.WindowDays-1, 0)
	return sp
}

// appendKey appends the task key of reminder n of occurrence o to b.
func (e *evaluator) appendKey(b []byte, r *Rule, cust bool, o *occurrence, n int) []byte {
	b = append(b, r.Kind...)
	b = append(b, '|')
	if cust {
		b = append(b, "customer:"...)
		b = append(b, e.s.Owner.ID...)
	} else {
		b = append(b, "vehicle:"...)
		b = append(b, e.s.VehicleID...)
	}
	if o.ref != "" {
		b = append(b, '|')
		b = append(b, o.ref...)
	}
	b = append(b, '|')
	b = appendDate(b, o.basis)
	b = append(b, '|')
	return strconv.AppendInt(b, int64(n), 10)
}

// appendDate appends d.String() to b.
func appendDate(b []byte, d dealercrm.Date) []byte {
	if d.IsZero() || d.Year < 0 || d.Year > 9999 || d.Month < 1 || d.Month > 12 || d.Day < 1 || d.Day > 99 {
		return append(b, d.String()...)
	}
	y, m := d.Year, int(d.Month)
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d.Day/10), byte('0'+d.Day%10))
}

func (e *evaluator) task(r *Rule, subject string, cust bool, ch crm.Channel, o *occurrence, n int, due dealercrm.Date, why string) Task {
	var b strings.Builder
	b.Grow(len(r.Kind) + len(subject) + len(o.ref) + 20)
	b.WriteString(string(r.Kind))
	b.WriteByte('|')
	b.WriteString(subject)
	if o.ref != "" {
		b.WriteByte('|')
		b.WriteString(o.ref)
	}
	b.WriteByte('|')
	b.WriteString(o.basis.String())
	b.WriteByte('|')
	b.WriteString(strconv.Itoa(n))
	return e.taskWithKey(r, b.String(), cust, ch, o, due, why)
}

func (e *evaluator) taskWithKey(r *Rule, key string, cust bool, ch crm.Channel, o *occurrence, due dealercrm.Date, why string) Task {
	t := Task{DealerID: e.s.DealerID, Key: key, Kind: r.Kind, VehicleID: e.s.VehicleID, CustomerID: e.s.customerID(),
		AnchorDate: o.anchor, Due: due, WindowEnd: addDays(due, r.WindowDays-1), Channel: ch, Purpose: r.Purpose,
		OwnerRole: r.Owner, Reason: why, Status: StatusOpen}
	if cust {
		t.VehicleID = ""
	}
	t.AssigneeID, t.ExcludedStaffID = e.assignee(r, o)
	if t.WindowEnd.Before(e.asOf) {
		t.Status = StatusOverdue
	}
	return t
}

// assignee returns the staff member in charge of a task of r for o and
// the one excluded from it.
func (e *evaluator) assignee(r *Rule, o *occurrence) (assignee, excluded crm.StaffID) {
	if o := e.s.Owner; o != nil {
		switch r.Owner {
		case RoleConsultant:
			assignee = o.ConsultantID
		case RoleAdvisor:
			assignee = o.AdvisorID
		}
	}
	if r.NotJobAdvisor {
		for _, v := range e.s.Visits {
			if string(v.OrderID) == o.ref {
				excluded = v.AdvisorID
			}
		}
		if assignee != "" && assignee == excluded {
			assignee = ""
		}
	}
	return assignee, excluded
}

// channelMemo is a channel decision for a purpose and list of channels.
type channelMemo struct {
	purpose  crm.Purpose
	channels *crm.Channel // the list's first element
	n        int
	ch       crm.Channel
	ok       bool
}

// channel picks the first channel of r the owner consented to for
// r.Purpose; rules sharing a purpose and channel list decide once.
func (e *evaluator) channel(r *Rule) (crm.Channel, bool) {
	if r.Purpose == "" {
		return r.Channels[0], true
	}
	if len(r.Channels) == 0 {
		return "", false
	}
	for _, m := range e.chans {
		if m.purpose == r.Purpose && m.channels == &r.Channels[0] && m.n == len(r.Channels) {
			return m.ch, m.ok
		}
	}
	ch, ok := e.consented(r)
	if len(e.chans) < cap(e.chansBuf) {
		if e.chans == nil {
			e.chans = e.chansBuf[:0]
		}
		e.chans = append(e.chans, channelMemo{purpose: r.Purpose, channels: &r.Channels[0], n: len(r.Channels), ch: ch, ok: ok})
	}
	return ch, ok
}

func (e *evaluator) consented(r *Rule) (crm.Channel, bool) {
	o := e.s.Owner
	if o == nil {
		return "", false
	}
	if e.cutoff.IsZero() {
		e.cutoff = addDays(e.asOf, 1).Time(time.UTC)
	}
	cutoff := e.cutoff
	for _, ch := range r.Channels {
		for _, cs := range o.Consents {
			if cs.Purpose == r.Purpose && cs.Channel == ch && cs.Granted && cs.At.Before(cutoff) {
				return ch, true
			}
		}
	}
	return "", false
}

// predictDate is the date of predict without its reason.
func (e *evaluator) predictDate(from dealercrm.Date, km int64, lim Limit) dealercrm.Date {
	byAge := addMonths(from, lim.Months)
	if byKM, ok := e.usage().DateAt(addKM(km, lim.KM), from); ok && byKM.Before(byAge) {
		return byKM
	}
	return byAge
}

// predict returns the date the vehicle reaches lim after a service at
// (from, km): the earlier of the predicted distance date and the age limit.
func (e *evaluator) predict(from dealercrm.Date, km int64, lim Limit, what string) (dealercrm.Date, string) {
	byAge := addMonths(from, lim.Months)
	u := e.usage()
	target := addKM(km, lim.KM)
	if byKM, ok := u.DateAt(target, from); ok && byKM.Before(byAge) {
		src := "average"
		if u.Estimated {
			src = "default"
		}
		return byKM, what + " predicted on " + byKM.String() + " when the odometer reaches " + strconv.FormatInt(target, 10) + " km (" +
			src + " " + strconv.FormatFloat(u.KMPerDay, 'f', 1, 64) + " km/day), before " + byAge.String()
	}
	return byAge, what + " due on " + byAge.String() + ", " + strconv.Itoa(lim.Months) + " months after " + from.String() + ", before " +
		strconv.FormatInt(target, 10) + " km"
}

// renewedBy returns the ID of a later policy of the same kind that
// renews t, if any.
func renewedBy(all []PolicyTerm, t PolicyTerm) crm.PolicyID {
	for _, o := range all {
		if o.ID != t.ID && o.Kind == t.Kind && o.Start.After(t.Start) && !o.Start.After(addDays(t.End, 1)) {
			return o.ID
		}
	}
	return ""
}

// inspectionRule returns the latest rule in force on the registration date.
func inspectionRule(rules []InspectionRule, reg dealercrm.Date) (InspectionRule, bool) {
	var best InspectionRule
	found := false
	for _, r := range rules {
		if !reg.Before(r.EffectiveFrom) && (!found || r.EffectiveFrom.After(best.EffectiveFrom)) {
			best, found = r, true
		}
	}
	return best, found
}

// BirthdayIn returns the birthday b in year y; a 29 February birthday is
// celebrated on 28 February in common years.
func BirthdayIn(b dealercrm.Date, y int) dealercrm.Date {
	if y > 0 && y < 10000 && plain(b) && b.Day <= dealercrm.DaysIn(y, b.Month) {
		return dealercrm.Date{Year: y, Month: b.Month, Day: b.Day}
	}
	if b.Month == time.February && b.Day == 29 && dealercrm.NewDate(y, time.February, 29).Month != time.February {
		return dealercrm.NewDate(y, time.February, 28)
	}
	return dealercrm.NewDate(y, b.Month, b.Day)
}
