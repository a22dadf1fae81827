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
	s.Readings = room[Reading](len(v.Odometer))
	for _, r := range v.Odometer {
		s.Readings = append(s.Readings, Reading{Date: r.Date, KM: r.KM})
	}
	s.Visits = room[Visit](len(orders))
	for _, o := range orders {
		if o.VehicleID != v.ID {
			continue
		}
		s.Visits = append(s.Visits, Visit{OrderID: o.ID, DealerID: o.DealerID, Date: o.Date, Closed: o.ClosedDate, KM: o.OdometerKM, Kind: o.Kind, Payer: o.Payer, AdvisorID: o.AdvisorID, Complaint: o.Complaint, Amount: o.Total()})
	}
	slices.SortStableFunc(s.Visits, func(a, b Visit) int { return a.Date.Compare(b.Date) })
	s.Policies = room[PolicyTerm](len(policies))
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
	// The lists stay nil when empty, as appending to nil leaves them.
	s.Readings, s.Visits, s.Policies = nilIfEmpty(s.Readings), nilIfEmpty(s.Visits), nilIfEmpty(s.Policies)
	return s
}

// room returns an empty list with room for n, nil for none.
func room[T any](n int) []T {
	if n == 0 {
		return nil
	}
	return make([]T, 0, n)
}

// nilIfEmpty returns nil for an empty list, else l.
func nilIfEmpty[T any](l []T) []T {
	if len(l) == 0 {
		return nil
	}
	return l
}

// Planner evaluates a Policy on a Calendar. It is pure: no I/O, no clock.
type Planner struct {
	policy Policy
	cal    *Calendar
	rules  []planRule // the enabled rules, in policy order
	// consents is the number of distinct (purpose, channels) pairs of the
	// rules (planRule.consent).
	consents int
	// needStage reports that a rule has a stage condition.
	needStage bool
	// festivals are the care festivals of the policy (Policy.Festivals).
	festivals map[FestivalKey]bool
}

// planRule is an enabled rule with what the planner derives from it once.
type planRule struct {
	*Rule
	index  int // in Planner.rules
	anchor anchorKind
	span   ruleSpan
	// consent numbers the rule's (purpose, channels) pair: rules sharing
	// one decide the channel once per subject.
	consent int
}

// NewPlanner validates p and returns a Planner; a nil cal is DefaultCalendar().
func NewPlanner(p Policy, cal *Calendar) (*Planner, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if cal == nil {
		cal = DefaultCalendar()
	}
	pl := &Planner{policy: p, cal: cal, festivals: map[FestivalKey]bool{}}
	festivals := p.Festivals
	if len(festivals) == 0 {
		festivals = DefaultFestivals()
	}
	for _, f := range festivals {
		pl.festivals[f] = true
	}
	type consent struct {
		purpose  crm.Purpose
		channels []crm.Channel
	}
	var consents []consent
	for i := range pl.policy.Rules {
		r := &pl.policy.Rules[i]
		pl.needStage = pl.needStage || len(r.Stages) > 0
		if r.Disabled {
			continue
		}
		c := slices.IndexFunc(consents, func(c consent) bool { return c.purpose == r.Purpose && slices.Equal(c.channels, r.Channels) })
		if c < 0 {
			c = len(consents)
			consents = append(consents, consent{r.Purpose, r.Channels})
		}
		pl.rules = append(pl.rules, planRule{Rule: r, index: len(pl.rules), anchor: anchors[r.Anchor], span: spanOf(r), consent: c})
	}
	pl.consents = len(consents)
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
	// GoneCodes is Gone as message codes with parameters.
	GoneCodes map[Kind]Message `json:"gone_codes,omitempty"`
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
	e := evaluator{pl: pl}
	e.plan(&k, asOf, scope{all: true, ahead: pl.window(asOf.AddDays(-pl.policy.KeepDays), asOf.AddDays(aheadDays))})
	out := Evaluation{Stage: e.stage, Usage: *e.usage(), Gone: e.goneWhy, Tasks: make([]Task, len(e.tasks))}
	if len(e.goneMsg) > 0 {
		out.GoneCodes = make(map[Kind]Message, len(e.goneMsg))
		for k, m := range e.goneMsg {
			out.GoneCodes[k] = Message{Code: m.code, Params: m.params}
		}
	}
	for i := range e.tasks {
		p := &e.tasks[i]
		out.Tasks[i] = e.task(p, e.key(p).String())
	}
	slices.SortFunc(out.Tasks, byDueAndKey)
	return out
}

// byDueAndKey orders tasks by due date, then key.
func byDueAndKey(a, b Task) int {
	if c := a.Due.Compare(b.Due); c != 0 {
		return c
	}
	return strings.Compare(a.Key, b.Key)
}

// Stage returns the stage of subject s as of asOf, explained, and its
// usage: what Evaluate gives, without planning any task.
func (pl *Planner) Stage(s *Subject, asOf dealercrm.Date) (StageResult, Usage) {
	k := known(s, asOf)
	e := evaluator{pl: pl}
	e.reset(&k, asOf, scope{all: true})
	e.classify()
	return e.stage, *e.usage()
}

// window is the span of due dates a plan covers, both days included.
type window struct {
	lo, hi dealercrm.Date
	// reach holds, per rule of the planner (planRule.index), the anchor
	// dates whose tasks may fall in the window (see ruleSpan).
	reach []dateRange
}

// dateRange is the dates from from to to, both included; all dates when
// !bounded.
type dateRange struct {
	bounded  bool
	from, to dealercrm.Date
}

// window returns the window from lo to hi.
func (pl *Planner) window(lo, hi dealercrm.Date) window {
	w := window{lo: lo, hi: hi, reach: make([]dateRange, len(pl.rules))}
	for i, r := range pl.rules {
		if r.span.bounded {
			w.reach[i] = dateRange{bounded: true, from: lo.AddDays(-r.span.hi), to: hi.AddDays(-r.span.lo)}
		}
	}
	return w
}

// planned is a task of a subject's plan: reminder n of occurrence occ of
// a rule. Its reason and assignee are worked out only for the tasks a
// caller keeps (evaluator.task): most are dropped.
type planned struct {
	rule     *planRule
	occ      int     // in evaluator.occs
	off      *Offset // the rule's offset; nil for a repeat
	n        int
	due, end dealercrm.Date
	channel  crm.Channel
	subject  subjectRef
}

// subjectRef names the subject of a planned task: the vehicle, or the
// owner for the customer anchors (anchorKind.customer).
type subjectRef struct {
	customer bool
	id       string
}

func (s subjectRef) appendTo(b []byte) []byte {
	if s.customer {
		b = append(b, "customer:"...)
	} else {
		b = append(b, "vehicle:"...)
	}
	return append(b, s.id...)
}

// taskKey identifies a planned task: a dealer has one task per key.
// Task.Key is its String form, "kind|vehicle:ID|ref|basis|n" ("customer:ID"
// for the owner's tasks; no ref when the anchor event has no identity).
type taskKey struct {
	kind    Kind
	subject subjectRef
	ref     string
	basis   dealercrm.Date
	n       int
}

// appendTo appends the String form of k to b.
func (k taskKey) appendTo(b []byte) []byte {
	b = append(b, k.kind...)
	b = append(b, '|')
	b = k.subject.appendTo(b)
	if k.ref != "" {
		b = append(b, '|')
		b = append(b, k.ref...)
	}
	b = append(b, '|')
	b, _ = k.basis.AppendText(b)
	b = append(b, '|')
	return strconv.AppendInt(b, int64(k.n), 10)
}

// String returns the key as stored in Task.Key.
func (k taskKey) String() string { return string(k.appendTo(make([]byte, 0, 64))) }

// evaluator plans one subject at a time; Reconcile's workers reuse one
// (and its buffers) for many subjects.
type evaluator struct {
	pl    *Planner
	s     *Subject
	asOf  dealercrm.Date
	scope scope
	win   window // of the current rule
	// goneWhy says why rules plan nothing (scope.explains), and goneMsg
	// the same as message codes.
	goneWhy map[Kind]string
	goneMsg map[Kind]message
	stage   StageResult
	// usageOK reports that usageOf is computed (on first use).
	usageOK bool
	usageOf Usage
	// firstMaint and lastMaint are the first and last maintenance visits.
	firstMaint dealercrm.Date
	lastMaint  *Visit
	occs       []occurrence
	tasks      []planned
	// channels holds, per planRule.consent, the channel decided for the
	// subject (consented reports whether one was).
	channels  []crm.Channel
	consented []int8 // 0 undecided, 1 consented, -1 not
	cutoffDay dealercrm.Date
	cutoff    time.Time // consents given before it count: asOf + 1 day
	fest      map[int][]Festival
}

// reset readies e for subject s.
func (e *evaluator) reset(s *Subject, asOf dealercrm.Date, sc scope) {
	e.s, e.asOf, e.scope = s, asOf, sc
	e.goneWhy, e.goneMsg, e.stage, e.usageOK, e.usageOf = nil, nil, StageResult{}, false, Usage{}
	e.firstMaint, e.lastMaint = dealercrm.Date{}, nil
	for i := range s.Visits {
		if v := &s.Visits[i]; v.maintenance() {
			if e.firstMaint.IsZero() {
				e.firstMaint = v.Date
			}
			e.lastMaint = v
		}
	}
	clear(e.occs)
	clear(e.tasks)
	e.occs, e.tasks = e.occs[:0], e.tasks[:0]
	if n := e.pl.consents; len(e.consented) != n {
		e.channels, e.consented = make([]crm.Channel, n), make([]int8, n)
	}
	clear(e.consented)
	if e.cutoffDay != asOf || e.cutoff.IsZero() {
		e.cutoffDay, e.cutoff = asOf, asOf.AddDays(1).Time(time.UTC)
	}
}

// scope says how far a plan looks and what it explains: every rule over
// ahead, explained (Evaluate), or the rules of kinds over ahead, explained,
// and the others over due (Reconcile: the kinds of the subject's active
// stored tasks up to the horizon, to match them; the others only as far
// as they may create tasks).
type scope struct {
	all   bool
	kinds []Kind
	due   window
	ahead window
}

// explains reports whether scope sc plans rules of kind k over its ahead
// window and explains why they plan nothing.
func (sc *scope) explains(k Kind) bool { return sc.all || slices.Contains(sc.kinds, k) }

// plan sets e.tasks to the tasks of s in scope sc as of asOf, and
// e.goneWhy to why rules plan nothing.
func (e *evaluator) plan(s *Subject, asOf dealercrm.Date, sc scope) {
	e.reset(s, asOf, sc)
	if sc.all || e.pl.needStage {
		e.classify()
	}
	for i := range e.pl.rules {
		r := &e.pl.rules[i]
		if !e.applies(r) {
			continue
		}
		e.win = sc.due
		if sc.explains(r.Kind) {
			e.win = sc.ahead
		}
		first := len(e.occs)
		r.anchor.dates(e, r)
		if len(e.occs) == first {
			continue
		}
		subject := subjectRef{id: string(s.VehicleID)}
		if r.anchor.customer {
			subject = subjectRef{customer: true, id: string(s.Owner.ID)}
		}
		kept := len(e.tasks)
		for o := first; o < len(e.occs); o++ {
			e.remind(r, o, planned{rule: r, occ: o, subject: subject})
		}
		// The channel (a scan of the owner's consents) is decided only
		// when the rule plans a task or why it does not is wanted.
		if len(e.tasks) == kept && !e.explains(r.Kind) {
			continue
		}
		ch, ok := e.channel(r)
		if !ok {
			e.tasks = e.tasks[:kept]
			if e.explains(r.Kind) {
				e.gone(r.Kind, CodeGoneNoConsent, fmt.Sprintf("no consent for %s by %v", r.Purpose, r.Channels), "purpose", string(r.Purpose), "channels", listParam(r.Channels))
			}
			continue
		}
		for i := kept; i < len(e.tasks); i++ {
			e.tasks[i].channel = ch
		}
	}
}

// applies reports whether the conditions of r (stage, grade, tier) hold,
// noting why not.
func (e *evaluator) applies(r *planRule) bool {
	s := e.s
	switch {
	case len(r.Stages) > 0 && !slices.Contains(r.Stages, e.stage.Stage):
		if e.explains(r.Kind) {
			e.gone(r.Kind, CodeGoneStage, fmt.Sprintf("the vehicle is in stage %s, the rule wants %v", e.stage.Stage, r.Stages), "stage", string(e.stage.Stage), "want", listParam(r.Stages))
		}
	case len(r.Grades) > 0 && !slices.Contains(r.Grades, s.Grade):
		if e.explains(r.Kind) {
			e.gone(r.Kind, CodeGoneGrade, fmt.Sprintf("the customer's grade %q is not one of %v", s.Grade, r.Grades), "grade", s.Grade, "want", listParam(r.Grades))
		}
	case len(r.Tiers) > 0 && !slices.Contains(r.Tiers, s.Tier):
		if e.explains(r.Kind) {
			e.gone(r.Kind, CodeGoneTier, fmt.Sprintf("the customer's club tier %q is not one of %v", s.Tier, r.Tiers), "tier", s.Tier, "want", listParam(r.Tiers))
		}
	default:
		return true
	}
	return false
}

// occur adds an occurrence of the current rule's anchor.
func (e *evaluator) occur(o occurrence) { e.occs = append(e.occs, o) }

// explains reports whether the reason a rule of kind k plans nothing is
// wanted and not yet given (the first reason per kind stands).
func (e *evaluator) explains(k Kind) bool {
	if _, ok := e.goneWhy[k]; ok {
		return false
	}
	return e.scope.explains(k)
}

// gone notes why the rule of kind k plans nothing, when wanted: in words,
// and as message code with parameters (key-value pairs).
func (e *evaluator) gone(k Kind, code, why string, kv ...string) {
	if !e.explains(k) {
		return
	}
	if e.goneWhy == nil {
		e.goneWhy, e.goneMsg = map[Kind]string{}, map[Kind]message{}
	}
	e.goneWhy[k] = why
	e.goneMsg[k] = message{code: code, params: params(kv...)}
}

// remind adds the reminders of occurrence o of rule r due in the window:
// one per offset, then the repeats after the first.
func (e *evaluator) remind(r *planRule, o int, p planned) {
	occ := &e.occs[o]
	if r.Repeat == nil && e.outside(r, occ.anchor) {
		return
	}
	add := func(due dealercrm.Date, off *Offset) {
		p.n++
		p.off = off
		p.due = e.pl.cal.Apply(r.Shift, due)
		p.end = p.due.AddDays(r.WindowDays - 1)
		// Nothing is planned for a vehicle before it was delivered: a
		// car delivered today has no holiday or birthday of last month
		// to catch up on.
		if p.due.After(e.win.hi) || p.end.Before(e.win.lo) || p.end.Before(e.s.Delivery) {
			return
		}
		e.tasks = append(e.tasks, p)
	}
	for i := range r.Offsets {
		add(r.Offsets[i].From(occ.anchor), &r.Offsets[i])
	}
	if r.Repeat == nil || len(r.Offsets) == 0 {
		return
	}
	first := r.Offsets[0].From(occ.anchor)
	for i := 1; r.Repeat.Max <= 0 || p.n < r.Repeat.Max; i++ {
		due := first.AddDays(i * r.Repeat.EveryDays)
		if due.After(e.win.hi) || (!occ.until.IsZero() && !due.Before(occ.until)) {
			return
		}
		add(due, nil)
	}
}

// outside reports that no offset of r from anchor (shifted off
// non-working days, with its window) can reach the window: a
// conservative test before any calendar arithmetic.
func (e *evaluator) outside(r *planRule, anchor dealercrm.Date) bool {
	reach := &e.win.reach[r.index]
	return reach.bounded && anchor.Valid() && (anchor.Before(reach.from) || anchor.After(reach.to))
}

// ruleSpan bounds, in days from the anchor, where the tasks of a rule's
// offsets (shifted off non-working days, with their window) can fall.
type ruleSpan struct {
	bounded bool // lo and hi hold (false: no offsets, or absurd ones)
	lo, hi  int
}

func spanOf(r *Rule) ruleSpan {
	if len(r.Offsets) == 0 {
		return ruleSpan{}
	}
	lo, hi := math.MaxInt, math.MinInt
	for _, off := range r.Offsets {
		if off.Months > 1000 || off.Months < -1000 || off.Days > 1_000_000 || off.Days < -1_000_000 {
			return ruleSpan{}
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
	return ruleSpan{bounded: true, lo: lo - slack, hi: hi + slack + max(r.WindowDays-1, 0)}
}

// classify sets the subject's stage, explained for Evaluate.
func (e *evaluator) classify() {
	s := e.s
	e.stage = e.pl.policy.Stages.classify(StageInput{Brand: s.Brand, Model: s.Model, Delivery: s.Delivery,
		KM: e.usage().KMOn(e.asOf), FirstMaintenance: e.firstMaint, OpenRepurchaseLead: s.OpenRepurchaseLead}, e.asOf, e.scope.all)
}

// usage returns the subject's odometer usage, computed on first use.
func (e *evaluator) usage() *Usage {
	if !e.usageOK {
		e.usageOK = true
		s := e.s
		var buf [8]Reading
		readings := append(buf[:0], s.Readings...)
		for i := range s.Visits {
			if v := &s.Visits[i]; v.KM > 0 {
				readings = append(readings, Reading{Date: v.Date, KM: v.KM})
			}
		}
		e.usageOf = e.pl.policy.Odometer.usage(readings, e.scope.all)
	}
	return &e.usageOf
}

// festivals returns the care festivals of year y the policy chose, cached.
func (e *evaluator) festivals(y int) []Festival {
	fs, ok := e.fest[y]
	if !ok {
		if e.fest == nil {
			e.fest = map[int][]Festival{}
		}
		fs = slices.DeleteFunc(e.pl.cal.Festivals(y), func(f Festival) bool { return !e.pl.festivals[f.Key] })
		e.fest[y] = fs
	}
	return fs
}

// key returns the key of planned task p.
func (e *evaluator) key(p *planned) taskKey {
	o := &e.occs[p.occ]
	return taskKey{kind: p.rule.Kind, subject: p.subject, ref: o.ref, basis: o.basis, n: p.n}
}

// task returns planned task p as a Task with key.
func (e *evaluator) task(p *planned, key string) Task {
	r, s := p.rule, e.s
	t := Task{DealerID: s.DealerID, Key: key, Kind: r.Kind, VehicleID: s.VehicleID, CustomerID: s.customerID(),
		AnchorDate: e.occs[p.occ].anchor, Due: p.due, WindowEnd: p.end, Channel: p.channel, Purpose: r.Purpose,
		OwnerRole: r.Owner, Reason: e.reason(p), Status: StatusOpen}
	m := e.reasonMessage(p)
	t.ReasonCode, t.ReasonParams = m.code, m.params
	if p.subject.customer {
		t.VehicleID = ""
	}
	t.AssigneeID, t.ExcludedStaffID = e.assignee(p)
	if t.WindowEnd.Before(e.asOf) {
		t.Status = StatusOverdue
	}
	return t
}

// reason says why planned task p exists.
func (e *evaluator) reason(p *planned) string {
	r, o := p.rule, &e.occs[p.occ]
	why := r.anchor.why(e, o)
	if p.off != nil {
		return why + "; " + p.off.String() + " " + string(r.Anchor)
	}
	return why + "; reminder " + strconv.Itoa(p.n) + ", every " + strconv.Itoa(r.Repeat.EveryDays) + " days"
}

// assignee returns the staff member in charge of planned task p and the
// one excluded from it.
func (e *evaluator) assignee(p *planned) (assignee, excluded crm.StaffID) {
	r := p.rule
	if o := e.s.Owner; o != nil {
		switch r.Owner {
		case RoleConsultant:
			assignee = o.ConsultantID
		case RoleAdvisor:
			assignee = o.AdvisorID
		}
	}
	if r.NotJobAdvisor {
		ref := e.occs[p.occ].ref
		for _, v := range e.s.Visits {
			if string(v.OrderID) == ref {
				excluded = v.AdvisorID
			}
		}
		if assignee != "" && assignee == excluded {
			assignee = ""
		}
	}
	return assignee, excluded
}

// channel returns the first channel of r the owner consented to for
// r.Purpose (any channel when r has no purpose), decided once per
// subject for the rules sharing a purpose and channels.
func (e *evaluator) channel(r *planRule) (crm.Channel, bool) {
	if r.Purpose == "" {
		return r.Channels[0], true
	}
	if e.consented[r.consent] == 0 {
		e.consented[r.consent] = -1
		if ch, ok := e.consentedChannel(r.Rule); ok {
			e.channels[r.consent], e.consented[r.consent] = ch, 1
		}
	}
	return e.channels[r.consent], e.consented[r.consent] > 0
}

func (e *evaluator) consentedChannel(r *Rule) (crm.Channel, bool) {
	o := e.s.Owner
	if o == nil {
		return "", false
	}
	for _, ch := range r.Channels {
		for _, cs := range o.Consents {
			if cs.Purpose == r.Purpose && cs.Channel == ch && cs.Granted && cs.At.Before(e.cutoff) {
				return ch, true
			}
		}
	}
	return "", false
}

// predictDate returns the date the vehicle reaches lim after a service
// at (from, km): the earlier of the predicted distance date and the age
// limit.
func (e *evaluator) predictDate(from dealercrm.Date, km int64, lim Limit) dealercrm.Date {
	byAge := from.AddMonths(lim.Months)
	if byKM, ok := e.usage().DateAt(addKM(km, lim.KM), from); ok && byKM.Before(byAge) {
		return byKM
	}
	return byAge
}

// predictWhy explains predictDate: what is predicted when, and why.
func (e *evaluator) predictWhy(from dealercrm.Date, km int64, lim Limit, what string) string {
	byAge := from.AddMonths(lim.Months)
	u := e.usage()
	target := addKM(km, lim.KM)
	if byKM, ok := u.DateAt(target, from); ok && byKM.Before(byAge) {
		src := "average"
		if u.Estimated {
			src = "default"
		}
		return what + " predicted on " + byKM.String() + " when the odometer reaches " + strconv.FormatInt(target, 10) + " km (" +
			src + " " + strconv.FormatFloat(u.KMPerDay, 'f', 1, 64) + " km/day), before " + byAge.String()
	}
	return what + " due on " + byAge.String() + ", " + strconv.Itoa(lim.Months) + " months after " + from.String() + ", before " +
		strconv.FormatInt(target, 10) + " km"
}

// predictParams adds the parameters of predictDate to m: the due date,
// the odometer target km, the age limit limit_months after from, and by
// ("km" when the odometer is predicted to reach km first, at km_per_day,
// "age" otherwise).
func (e *evaluator) predictParams(from dealercrm.Date, km int64, lim Limit, m map[string]string) {
	byAge := from.AddMonths(lim.Months)
	u := e.usage()
	target := addKM(km, lim.KM)
	m["km"], m["limit_months"], m["due"], m["by"] = strconv.FormatInt(target, 10), strconv.Itoa(lim.Months), dateParam(byAge), "age"
	if byKM, ok := u.DateAt(target, from); ok && byKM.Before(byAge) {
		m["due"], m["by"], m["km_per_day"] = dateParam(byKM), "km", strconv.FormatFloat(u.KMPerDay, 'f', 1, 64)
	}
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
	if d := (dealercrm.Date{Year: y, Month: b.Month, Day: b.Day}); d.Valid() {
		return d
	}
	if b.Month == time.February && b.Day == 29 && dealercrm.NewDate(y, time.February, 29).Month != time.February {
		return dealercrm.NewDate(y, time.February, 28)
	}
	return dealercrm.NewDate(y, b.Month, b.Day)
}
