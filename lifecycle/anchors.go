package lifecycle

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// anchorKind is how the dates of one Anchor are computed: where a rule's
// offsets count from, for one subject, and why.
type anchorKind struct {
	// customer reports that the anchor is the owner's (birthday, festival,
	// grade cadence): the rule's tasks are the customer's, planned once
	// for all their vehicles, and their key names the customer.
	customer bool
	// dates adds the anchor's occurrences for the evaluator's subject
	// (evaluator.occur), or notes why there are none (evaluator.gone).
	dates func(e *evaluator, r *planRule)
	// why says why occurrence o exists (the start of a task's reason).
	why func(e *evaluator, o *occurrence) string
	// params adds the parameters of occurrence o to a task's reason
	// message (reasons.go); it reports a lunar birthday, whose code has
	// its own template.
	params func(e *evaluator, o *occurrence, m map[string]string) (lunar bool)
}

// anchors maps every Anchor to the computation of its dates: the one
// place to read or change when an anchor falls due.
var anchors = map[Anchor]anchorKind{
	AnchorDelivery:          {dates: deliveryDates, why: deliveryWhy, params: deliveryParams},
	AnchorFirstMaintenance:  {dates: firstMaintenanceDates, why: firstMaintenanceWhy, params: firstMaintenanceParams},
	AnchorMaintenance:       {dates: maintenanceDates, why: maintenanceWhy, params: maintenanceParams},
	AnchorServiceClosed:     {dates: serviceClosedDates, why: serviceClosedWhy, params: serviceClosedParams},
	AnchorComplaintResolved: {dates: complaintResolvedDates, why: complaintResolvedWhy, params: complaintResolvedParams},
	AnchorPolicyEnd:         {dates: policyEndDates, why: policyEndWhy, params: policyEndParams},
	AnchorInspection:        {dates: inspectionDates, why: inspectionWhy, params: inspectionParams},
	AnchorWarrantyEnd:       {dates: warrantyEndDates, why: warrantyEndWhy, params: warrantyEndParams},
	AnchorMembershipEnd:     {dates: membershipEndDates, why: membershipEndWhy, params: membershipEndParams},
	AnchorBirthday:          {customer: true, dates: birthdayDates, why: birthdayWhy, params: birthdayParams},
	AnchorHoliday:           {customer: true, dates: holidayDates, why: holidayWhy, params: holidayParams},
	AnchorCadence:           {customer: true, dates: cadenceDates, why: cadenceWhy, params: cadenceParams},
}

// occurrence is one instance of a rule's anchor for a subject.
type occurrence struct {
	ref    string         // the anchor event's identity in the task key
	basis  dealercrm.Date // the anchor event's date in the task key
	anchor dealercrm.Date // the date offsets count from
	until  dealercrm.Date // repeats stop before this date (zero: none)
	idx    int            // the visit, complaint or policy index; the inspection year
	name   string         // the festival or inspection rule name
	fest   FestivalKey    // the festival
}

// onDate adds the occurrence on date d, or notes why there is none when
// d is not known.
func onDate(e *evaluator, r *planRule, d dealercrm.Date, code, unknown string) {
	if d.IsZero() {
		e.gone(r.Kind, code, unknown)
		return
	}
	e.occur(occurrence{basis: d, anchor: d})
}

// deliveryDates: the delivery.
func deliveryDates(e *evaluator, r *planRule) {
	onDate(e, r, e.s.Delivery, CodeGoneNoDelivery, "no delivery date")
}

func deliveryWhy(e *evaluator, _ *occurrence) string {
	return "delivered on " + e.s.Delivery.String()
}

// firstMaintenanceDates: the predicted first maintenance, reminded until
// it is done or lost (首保流失).
func firstMaintenanceDates(e *evaluator, r *planRule) {
	s, p := e.s, &e.pl.policy
	if s.Delivery.IsZero() {
		e.gone(r.Kind, CodeGoneNoDelivery, "no delivery date")
		return
	}
	if !e.firstMaint.IsZero() {
		if e.explains(r.Kind) {
			e.gone(r.Kind, CodeGoneFirstMaintenanceDone, fmt.Sprintf("first maintenance done on %s", e.firstMaint), "date", e.firstMaint.String())
		}
		return
	}
	lost := s.Delivery.AddMonths(p.Maintenance.FirstLostMonths)
	if !e.asOf.Before(lost) {
		if e.explains(r.Kind) {
			e.gone(r.Kind, CodeGoneFirstMaintenanceLost, fmt.Sprintf("first maintenance lost (首保流失) on %s, %d months after delivery", lost, p.Maintenance.FirstLostMonths),
				"date", lost.String(), "months", strconv.Itoa(p.Maintenance.FirstLostMonths))
		}
		return
	}
	due := e.predictDate(s.Delivery, 0, p.Maintenance.First)
	e.occur(occurrence{basis: s.Delivery, anchor: due, until: lost})
}

func firstMaintenanceWhy(e *evaluator, _ *occurrence) string {
	return e.predictWhy(e.s.Delivery, 0, e.pl.policy.Maintenance.First, "first maintenance")
}

// maintenanceDates: the next regular maintenance predicted from the last.
func maintenanceDates(e *evaluator, r *planRule) {
	lm := e.lastMaint
	if lm == nil {
		e.gone(r.Kind, CodeGoneNoMaintenance, "no maintenance done yet")
		return
	}
	due := e.predictDate(lm.Date, lm.KM, e.pl.policy.Maintenance.IntervalFor(e.s.Model))
	e.occur(occurrence{ref: string(lm.OrderID), basis: lm.Date, anchor: due})
}

func maintenanceWhy(e *evaluator, _ *occurrence) string {
	lm := e.lastMaint
	return "last maintenance on " + lm.Date.String() + "; " + e.predictWhy(lm.Date, lm.KM, e.pl.policy.Maintenance.IntervalFor(e.s.Model), "next maintenance")
}

// serviceClosedDates: every service order, on the day it closed.
func serviceClosedDates(e *evaluator, _ *planRule) {
	for i, v := range e.s.Visits {
		closed := v.Closed
		if closed.IsZero() {
			closed = v.Date
		}
		e.occur(occurrence{ref: string(v.OrderID), basis: closed, anchor: closed, idx: i})
	}
}

func serviceClosedWhy(e *evaluator, o *occurrence) string {
	v := &e.s.Visits[o.idx]
	return string(v.Kind) + " service order " + string(v.OrderID) + " closed on " + o.basis.String()
}

// complaintResolvedDates: every resolved complaint, on the day it was
// resolved.
func complaintResolvedDates(e *evaluator, _ *planRule) {
	for i, c := range e.s.Complaints {
		if !c.Resolved.IsZero() {
			e.occur(occurrence{ref: string(c.ID), basis: c.Resolved, anchor: c.Resolved, idx: i})
		}
	}
}

func complaintResolvedWhy(e *evaluator, o *occurrence) string {
	return fmt.Sprintf("complaint %s resolved on %s", e.s.Complaints[o.idx].ID, o.basis)
}

// policyEndDates: the end of every policy not yet renewed.
func policyEndDates(e *evaluator, r *planRule) {
	for i, t := range e.s.Policies {
		if by := renewedBy(e.s.Policies, t); by != "" {
			if e.explains(r.Kind) {
				e.gone(r.Kind, CodeGonePolicyRenewed, fmt.Sprintf("policy %s renewed by %s", t.ID, by), "policy", string(t.ID), "by", string(by))
			}
			continue
		}
		e.occur(occurrence{ref: string(t.ID), basis: t.End, anchor: t.End, idx: i})
	}
}

func policyEndWhy(e *evaluator, o *occurrence) string {
	t := &e.s.Policies[o.idx]
	return string(t.Kind) + " insurance " + string(t.ID) + " ends on " + t.End.String()
}

// inspectionDates: the inspection years of the rule in force on the
// registration (else delivery) date, up to a year after the window.
func inspectionDates(e *evaluator, r *planRule) {
	reg := e.s.Registration
	if reg.IsZero() {
		reg = e.s.Delivery
	}
	if reg.IsZero() {
		e.gone(r.Kind, CodeGoneNoRegistration, "no registration or delivery date")
		return
	}
	ir, ok := inspectionRule(e.pl.policy.Inspection, reg)
	if !ok {
		if e.explains(r.Kind) {
			e.gone(r.Kind, CodeGoneNoInspectionRule, fmt.Sprintf("no inspection rule for cars registered on %s", reg), "date", reg.String())
		}
		return
	}
	last := e.win.hi.AddDays(366)
	for age := 1; age <= 30; age++ {
		due := reg.AddMonths(12 * age)
		if due.After(last) {
			break
		}
		if slices.Contains(ir.Years, age) || (ir.YearlyAfter > 0 && age > ir.YearlyAfter) {
			e.occur(occurrence{basis: due, anchor: due, idx: age, name: ir.Name})
		}
	}
}

func inspectionWhy(_ *evaluator, o *occurrence) string {
	return fmt.Sprintf("inspection due on %s (year %d, %s)", o.basis, o.idx, o.name)
}

// warrantyEndDates: the end of the brand's and model's warranty.
func warrantyEndDates(e *evaluator, r *planRule) {
	s := e.s
	if s.Delivery.IsZero() {
		e.gone(r.Kind, CodeGoneNoDelivery, "no delivery date")
		return
	}
	end := s.Delivery.AddMonths(e.pl.policy.Stages.WarrantyFor(s.Brand, s.Model).Months)
	e.occur(occurrence{basis: end, anchor: end})
}

func warrantyEndWhy(e *evaluator, o *occurrence) string {
	return fmt.Sprintf("the warranty (%s) ends on %s", e.pl.policy.Stages.WarrantyFor(e.s.Brand, e.s.Model), o.basis)
}

// membershipEndDates: the end of the owner's club membership.
func membershipEndDates(e *evaluator, r *planRule) {
	onDate(e, r, e.s.MembershipEnd, CodeGoneNoMembership, "no membership")
}

func membershipEndWhy(_ *evaluator, o *occurrence) string {
	return "membership ends on " + o.basis.String()
}

// birthdayDates: the owner's birthdays of the window's years and the
// next, those a rule without repeats can reach. A lunar birthday
// (crm.BirthdayLunar) is the lunar month and day of birth in each lunar
// year (Calendar.LunarBirthdayIn); the one of the lunar year before the
// window's first may fall in its January or February.
func birthdayDates(e *evaluator, r *planRule) {
	o := e.s.Owner
	if o == nil || o.Birthday.IsZero() {
		e.gone(r.Kind, CodeGoneNoBirthday, "no birthday recorded")
		return
	}
	lunar := o.BirthdayCalendar == crm.BirthdayLunar
	from := e.win.lo.Year
	if lunar {
		if _, ok := e.pl.cal.ToLunar(o.Birthday); !ok {
			e.gone(r.Kind, CodeGoneNoLunarDate, fmt.Sprintf("no lunar date for the birthday %s", o.Birthday), "date", o.Birthday.String())
			return
		}
		from--
	}
	for y := from; y <= e.win.hi.Year+1; y++ {
		b := BirthdayIn(o.Birthday, y)
		if lunar {
			var ok bool
			if b, ok = e.pl.cal.LunarBirthdayIn(o.Birthday, y); !ok {
				continue
			}
		}
		if r.Repeat == nil && e.outside(r, b) {
			continue
		}
		e.occur(occurrence{basis: b, anchor: b})
	}
}

func birthdayWhy(e *evaluator, o *occurrence) string {
	if c := e.s.Owner; c != nil && c.BirthdayCalendar == crm.BirthdayLunar {
		if l, ok := e.pl.cal.ToLunar(c.Birthday); ok {
			return fmt.Sprintf("lunar birthday (农历 %d/%d) on %s", l.Month, l.Day, o.basis)
		}
	}
	return "birthday on " + o.basis.String()
}

// holidayDates: the care festivals of the window's years and the next,
// those a rule without repeats can reach.
func holidayDates(e *evaluator, r *planRule) {
	if e.s.Owner == nil {
		e.gone(r.Kind, CodeGoneNoOwner, "no owner")
		return
	}
	for y := e.win.lo.Year; y <= e.win.hi.Year+1; y++ {
		for _, f := range e.festivals(y) {
			if r.Repeat == nil && e.outside(r, f.Date) {
				continue
			}
			e.occur(occurrence{basis: f.Date, anchor: f.Date, name: f.Name, fest: f.Key})
		}
	}
}

func holidayWhy(_ *evaluator, o *occurrence) string {
	return o.name + " on " + o.basis.String()
}

// cadenceDates: the first day of every contact period of the owner's
// grade cadence whose tasks may reach the window.
func cadenceDates(e *evaluator, r *planRule) {
	if e.s.Owner == nil {
		e.gone(r.Kind, CodeGoneNoOwner, "no owner")
		return
	}
	c := e.s.CadenceMonths
	if c <= 0 {
		e.gone(r.Kind, CodeGoneNoCadence, "no contact cadence for the customer (not graded, or the grade has none)")
		return
	}
	from, to := e.win.lo, e.win.hi
	if reach := e.win.reach[r.index]; reach.bounded {
		from, to = reach.from, reach.to
	}
	lo, hi := from.Year*12+int(from.Month)-1, to.Year*12+int(to.Month)
	if lo < 12 || hi >= 10000*12 || hi-lo > 1200 {
		return
	}
	for t := lo + (c-lo%c)%c; t <= hi; t += c {
		d := dealercrm.Date{Year: t / 12, Month: time.Month(t%12 + 1), Day: 1}
		e.occur(occurrence{basis: d, anchor: d})
	}
}

func cadenceWhy(e *evaluator, o *occurrence) string {
	return fmt.Sprintf("grade %s contact cadence: every %d months, period from %s", e.s.Grade, e.s.CadenceMonths, o.basis)
}

// The params functions add an occurrence's parameters to a task's reason
// message (evaluator.reasonMessage), mirroring the why functions above.

func deliveryParams(e *evaluator, _ *occurrence, m map[string]string) bool {
	m["delivered"] = dateParam(e.s.Delivery)
	return false
}

func firstMaintenanceParams(e *evaluator, _ *occurrence, m map[string]string) bool {
	e.predictParams(e.s.Delivery, 0, e.pl.policy.Maintenance.First, m)
	return false
}

func maintenanceParams(e *evaluator, _ *occurrence, m map[string]string) bool {
	lm := e.lastMaint
	m["last"] = dateParam(lm.Date)
	e.predictParams(lm.Date, lm.KM, e.pl.policy.Maintenance.IntervalFor(e.s.Model), m)
	return false
}

func serviceClosedParams(e *evaluator, o *occurrence, m map[string]string) bool {
	v := &e.s.Visits[o.idx]
	m["order"], m["service_kind"], m["closed"] = string(v.OrderID), string(v.Kind), dateParam(o.basis)
	return false
}

func complaintResolvedParams(e *evaluator, o *occurrence, m map[string]string) bool {
	m["complaint"], m["resolved"] = string(e.s.Complaints[o.idx].ID), dateParam(o.basis)
	return false
}

func policyEndParams(e *evaluator, o *occurrence, m map[string]string) bool {
	t := &e.s.Policies[o.idx]
	m["policy"], m["insurance_kind"], m["end"] = string(t.ID), string(t.Kind), dateParam(t.End)
	return false
}

func inspectionParams(_ *evaluator, o *occurrence, m map[string]string) bool {
	m["due"], m["year"], m["rule"] = dateParam(o.basis), strconv.Itoa(o.idx), o.name
	return false
}

func warrantyEndParams(e *evaluator, o *occurrence, m map[string]string) bool {
	w := e.pl.policy.Stages.WarrantyFor(e.s.Brand, e.s.Model)
	m["end"], m["warranty_months"], m["warranty_km"] = dateParam(o.basis), strconv.Itoa(w.Months), strconv.FormatInt(w.KM, 10)
	return false
}

func membershipEndParams(_ *evaluator, o *occurrence, m map[string]string) bool {
	m["end"] = dateParam(o.basis)
	return false
}

func birthdayParams(e *evaluator, o *occurrence, m map[string]string) bool {
	m["date"] = dateParam(o.basis)
	if c := e.s.Owner; c != nil && c.BirthdayCalendar == crm.BirthdayLunar {
		if l, ok := e.pl.cal.ToLunar(c.Birthday); ok {
			m["lunar_month"], m["lunar_day"] = strconv.Itoa(l.Month), strconv.Itoa(l.Day)
			return true
		}
	}
	return false
}

func holidayParams(_ *evaluator, o *occurrence, m map[string]string) bool {
	m["date"], m["name"], m["festival"] = dateParam(o.basis), o.name, string(o.fest)
	return false
}

func cadenceParams(e *evaluator, o *occurrence, m map[string]string) bool {
	m["grade"], m["cadence_months"], m["from"] = e.s.Grade, strconv.Itoa(e.s.CadenceMonths), dateParam(o.basis)
	return false
}
