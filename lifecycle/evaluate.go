package lifecycle

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
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
		s.Visits = append(s.Visits, Visit{OrderID: o.ID, DealerID: o.DealerID, Date: o.Date, Closed: o.ClosedDate, KM: o.OdometerKM, Kind: o.Kind, Payer: o.Payer, AdvisorID: o.AdvisorID, Complaint: o.Complaint})
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
}

// NewPlanner validates p and returns a Planner; a nil cal is DefaultCalendar().
func NewPlanner(p Policy, cal *Calendar) (*Planner, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if cal == nil {
		cal = DefaultCalendar()
	}
	return &Planner{policy: p, cal: cal}, nil
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
// after it are ignored; consents count from their time): its stage, usage and the tasks due between asOf − KeepDays
// and asOf + aheadDays.
func (pl *Planner) Evaluate(s *Subject, asOf dealercrm.Date, aheadDays int) Evaluation {
	k := known(s, asOf)
	e := evaluator{pl: pl, s: &k, asOf: asOf, lo: asOf.AddDays(-pl.policy.KeepDays), hi: asOf.AddDays(aheadDays)}
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
}

func (e *evaluator) gone(k Kind, format string, args ...any) {
	if e.out.Gone == nil {
		e.out.Gone = map[Kind]string{}
	}
	if _, ok := e.out.Gone[k]; !ok {
		e.out.Gone[k] = fmt.Sprintf(format, args...)
	}
}

func (e *evaluator) run() {
	s, p := e.s, &e.pl.policy
	readings := slices.Clone(s.Readings)
	for i := range s.Visits {
		v := &s.Visits[i]
		if v.KM > 0 {
			readings = append(readings, Reading{Date: v.Date, KM: v.KM})
		}
		if v.maintenance() {
			if e.firstMaint.IsZero() {
				e.firstMaint = v.Date
			}
			e.lastMaint = v
		}
	}
	e.out.Usage = p.Odometer.Usage(readings)
	e.out.Stage = p.Stages.Classify(StageInput{Brand: s.Brand, Model: s.Model, Delivery: s.Delivery,
		KM: e.out.Usage.KMOn(e.asOf), FirstMaintenance: e.firstMaint, OpenRepurchaseLead: s.OpenRepurchaseLead}, e.asOf)
	for i := range p.Rules {
		r := &p.Rules[i]
		if r.Disabled {
			continue
		}
		if len(r.Stages) > 0 && !slices.Contains(r.Stages, e.out.Stage.Stage) {
			e.gone(r.Kind, "the vehicle is in stage %s, the rule wants %v", e.out.Stage.Stage, r.Stages)
			continue
		}
		if len(r.Grades) > 0 && !slices.Contains(r.Grades, s.Grade) {
			e.gone(r.Kind, "the customer's grade %q is not one of %v", s.Grade, r.Grades)
			continue
		}
		e.rule(r)
	}
}

// occurrence is one anchor instance of a rule.
type occurrence struct {
	ref    string         // the anchor event's identity in the key
	basis  dealercrm.Date // the anchor event's date in the key
	anchor dealercrm.Date // the date offsets count from
	until  dealercrm.Date // repeats stop before this date (zero: none)
	why    string
}

func (e *evaluator) rule(r *Rule) {
	s, p := e.s, &e.pl.policy
	var occ []occurrence
	subject := "vehicle:" + string(s.VehicleID)
	switch r.Anchor {
	case AnchorDelivery:
		if s.Delivery.IsZero() {
			e.gone(r.Kind, "no delivery date")
			return
		}
		occ = append(occ, occurrence{basis: s.Delivery, anchor: s.Delivery, why: "delivered on " + s.Delivery.String()})
	case AnchorFirstMaintenance:
		if s.Delivery.IsZero() {
			e.gone(r.Kind, "no delivery date")
			return
		}
		if !e.firstMaint.IsZero() {
			e.gone(r.Kind, "first maintenance done on %s", e.firstMaint)
			return
		}
		lost := s.Delivery.AddMonths(p.Maintenance.FirstLostMonths)
		if !e.asOf.Before(lost) {
			e.gone(r.Kind, "first maintenance lost (首保流失) on %s, %d months after delivery", lost, p.Maintenance.FirstLostMonths)
			return
		}
		due, why := e.predict(s.Delivery, 0, p.Maintenance.First, "first maintenance")
		occ = append(occ, occurrence{basis: s.Delivery, anchor: due, until: lost, why: why})
	case AnchorMaintenance:
		if e.lastMaint == nil {
			e.gone(r.Kind, "no maintenance done yet")
			return
		}
		lm := e.lastMaint
		due, why := e.predict(lm.Date, lm.KM, p.Maintenance.IntervalFor(s.Model), "next maintenance")
		occ = append(occ, occurrence{ref: string(lm.OrderID), basis: lm.Date, anchor: due, why: "last maintenance on " + lm.Date.String() + "; " + why})
	case AnchorServiceClosed:
		for _, v := range s.Visits {
			closed := v.Closed
			if closed.IsZero() {
				closed = v.Date
			}
			occ = append(occ, occurrence{ref: string(v.OrderID), basis: closed, anchor: closed, why: fmt.Sprintf("%s service order %s closed on %s", v.Kind, v.OrderID, closed)})
		}
	case AnchorComplaintResolved:
		for _, c := range s.Complaints {
			if !c.Resolved.IsZero() {
				occ = append(occ, occurrence{ref: string(c.ID), basis: c.Resolved, anchor: c.Resolved, why: fmt.Sprintf("complaint %s resolved on %s", c.ID, c.Resolved)})
			}
		}
	case AnchorPolicyEnd:
		for _, t := range s.Policies {
			if by := renewedBy(s.Policies, t); by != "" {
				e.gone(r.Kind, "policy %s renewed by %s", t.ID, by)
				continue
			}
			occ = append(occ, occurrence{ref: string(t.ID), basis: t.End, anchor: t.End, why: fmt.Sprintf("%s insurance %s ends on %s", t.Kind, t.ID, t.End)})
		}
	case AnchorInspection:
		reg := s.Registration
		if reg.IsZero() {
			reg = s.Delivery
		}
		if reg.IsZero() {
			e.gone(r.Kind, "no registration or delivery date")
			return
		}
		ir, ok := inspectionRule(p.Inspection, reg)
		if !ok {
			e.gone(r.Kind, "no inspection rule for cars registered on %s", reg)
			return
		}
		for age := 1; age <= 30; age++ {
			due := reg.AddYears(age)
			if due.AddDays(-366).After(e.hi) {
				break
			}
			if slices.Contains(ir.Years, age) || (ir.YearlyAfter > 0 && age > ir.YearlyAfter) {
				occ = append(occ, occurrence{basis: due, anchor: due, why: fmt.Sprintf("inspection due on %s (year %d, %s)", due, age, ir.Name)})
			}
		}
	case AnchorWarrantyEnd:
		if s.Delivery.IsZero() {
			e.gone(r.Kind, "no delivery date")
			return
		}
		w := p.Stages.WarrantyFor(s.Brand, s.Model)
		end := s.Delivery.AddMonths(w.Months)
		occ = append(occ, occurrence{basis: end, anchor: end, why: fmt.Sprintf("the warranty (%s) ends on %s", w, end)})
	case AnchorMembershipEnd:
		if s.MembershipEnd.IsZero() {
			e.gone(r.Kind, "no membership")
			return
		}
		occ = append(occ, occurrence{basis: s.MembershipEnd, anchor: s.MembershipEnd, why: "membership ends on " + s.MembershipEnd.String()})
	case AnchorBirthday:
		if s.Owner == nil || s.Owner.Birthday.IsZero() {
			e.gone(r.Kind, "no birthday recorded")
			return
		}
		subject = "customer:" + string(s.Owner.ID)
		for y := e.lo.Year; y <= e.hi.Year+1; y++ {
			b := BirthdayIn(s.Owner.Birthday, y)
			occ = append(occ, occurrence{basis: b, anchor: b, why: "birthday on " + b.String()})
		}
	case AnchorHoliday:
		if s.Owner == nil {
			e.gone(r.Kind, "no owner")
			return
		}
		subject = "customer:" + string(s.Owner.ID)
		for y := e.lo.Year; y <= e.hi.Year+1; y++ {
			for _, f := range e.pl.cal.Festivals(y) {
				occ = append(occ, occurrence{basis: f.Date, anchor: f.Date, why: f.Name + " on " + f.Date.String()})
			}
		}
	}
	if len(occ) == 0 {
		return
	}
	ch, ok := e.channel(r)
	if !ok {
		e.gone(r.Kind, "no consent for %s by %v", r.Purpose, r.Channels)
		return
	}
	for _, o := range occ {
		e.emit(r, subject, ch, o)
	}
}

// emit adds the tasks of one occurrence that fall in [lo, hi].
func (e *evaluator) emit(r *Rule, subject string, ch crm.Channel, o occurrence) {
	n := 0
	// why is formatted only for tasks in the window: most occurrences
	// (past birthdays, festivals, reminders) fall outside it, and the
	// daily run over a million vehicles is dominated by formatting.
	add := func(due dealercrm.Date, why func() string) {
		n++
		due = e.pl.cal.Apply(r.Shift, due)
		end := due.AddDays(r.WindowDays - 1)
		if due.After(e.hi) || end.Before(e.lo) {
			return
		}
		e.out.Tasks = append(e.out.Tasks, e.task(r, subject, ch, o, n, due, why()))
	}
	for _, off := range r.Offsets {
		add(off.From(o.anchor), func() string { return fmt.Sprintf("%s; %s %s", o.why, off, r.Anchor) })
	}
	if r.Repeat == nil || len(r.Offsets) == 0 {
		return
	}
	first := r.Offsets[0].From(o.anchor)
	for i := 1; ; i++ {
		if r.Repeat.Max > 0 && n >= r.Repeat.Max {
			return
		}
		due := first.AddDays(i * r.Repeat.EveryDays)
		if due.After(e.hi) || (!o.until.IsZero() && !due.Before(o.until)) {
			return
		}
		k := n + 1
		add(due, func() string { return fmt.Sprintf("%s; reminder %d, every %d days", o.why, k, r.Repeat.EveryDays) })
	}
}

func (e *evaluator) task(r *Rule, subject string, ch crm.Channel, o occurrence, n int, due dealercrm.Date, why string) Task {
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
	t := Task{DealerID: e.s.DealerID, Key: b.String(), Kind: r.Kind, VehicleID: e.s.VehicleID, CustomerID: e.s.customerID(),
		AnchorDate: o.anchor, Due: due, WindowEnd: due.AddDays(r.WindowDays - 1), Channel: ch, Purpose: r.Purpose,
		OwnerRole: r.Owner, Reason: why, Status: StatusOpen}
	if strings.HasPrefix(subject, "customer:") {
		t.VehicleID = ""
	}
	if o := e.s.Owner; o != nil {
		switch r.Owner {
		case RoleConsultant:
			t.AssigneeID = o.ConsultantID
		case RoleAdvisor:
			t.AssigneeID = o.AdvisorID
		}
	}
	if r.NotJobAdvisor {
		for _, v := range e.s.Visits {
			if string(v.OrderID) == o.ref {
				t.ExcludedStaffID = v.AdvisorID
			}
		}
		if t.AssigneeID != "" && t.AssigneeID == t.ExcludedStaffID {
			t.AssigneeID = ""
		}
	}
	if t.WindowEnd.Before(e.asOf) {
		t.Status = StatusOverdue
	}
	return t
}

// channel picks the first channel of r the owner consented to for r.Purpose.
func (e *evaluator) channel(r *Rule) (crm.Channel, bool) {
	if r.Purpose == "" {
		return r.Channels[0], true
	}
	o := e.s.Owner
	if o == nil {
		return "", false
	}
	cutoff := e.asOf.AddDays(1).Time(time.UTC)
	for _, ch := range r.Channels {
		for _, cs := range o.Consents {
			if cs.Purpose == r.Purpose && cs.Channel == ch && cs.Granted && cs.At.Before(cutoff) {
				return ch, true
			}
		}
	}
	return "", false
}

// predict returns the date the vehicle reaches lim after a service at
// (from, km): the earlier of the predicted distance date and the age limit.
func (e *evaluator) predict(from dealercrm.Date, km int64, lim Limit, what string) (dealercrm.Date, string) {
	byAge := from.AddMonths(lim.Months)
	u := e.out.Usage
	target := km + lim.KM
	if byKM, ok := u.DateAt(target, from); ok && byKM.Before(byAge) {
		src := "average"
		if u.Estimated {
			src = "default"
		}
		return byKM, fmt.Sprintf("%s predicted on %s when the odometer reaches %d km (%s %.1f km/day), before %s", what, byKM, target, src, u.KMPerDay, byAge)
	}
	return byAge, fmt.Sprintf("%s due on %s, %d months after %s, before %d km", what, byAge, lim.Months, from, target)
}

// renewedBy returns the ID of a later policy of the same kind that
// renews t, if any.
func renewedBy(all []PolicyTerm, t PolicyTerm) crm.PolicyID {
	for _, o := range all {
		if o.ID != t.ID && o.Kind == t.Kind && o.Start.After(t.Start) && !o.Start.After(t.End.AddDays(1)) {
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
	if b.Month == time.February && b.Day == 29 && dealercrm.NewDate(y, time.February, 29).Month != time.February {
		return dealercrm.NewDate(y, time.February, 28)
	}
	return dealercrm.NewDate(y, b.Month, b.Day)
}
