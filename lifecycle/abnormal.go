package lifecycle

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// AbnormalPolicy configures activity statuses, service classes, the
// abnormal-customer classes and the KPIs (SPEC §2.3, seeds 000 and 004).
// Every threshold of the package docs' formulas is a field here.
type AbnormalPolicy struct {
	// AtRiskMonths, LostMonths and DeepLostMonths grade the time since the
	// last visit (6, 12, 24).
	AtRiskMonths   int `json:"at_risk_months"`
	LostMonths     int `json:"lost_months"`
	DeepLostMonths int `json:"deep_lost_months"`
	// NearChurnFactor flags near-churn when the time since the last visit
	// exceeds this multiple of the customer's own average interval (1.5).
	NearChurnFactor float64 `json:"near_churn_factor"`
	// CadenceMinVisits is how many visits it takes to know a customer's
	// own cadence (3: two intervals).
	CadenceMinVisits int `json:"cadence_min_visits"`
	// SisterMonths is how recent a visit at a sister store of the group
	// must be to flag near-churn (12).
	SisterMonths int `json:"sister_months"`
	// LongAbsentMonths flags long-absent 长期未入库 (12).
	LongAbsentMonths int `json:"long_absent_months"`
	// ComplaintMonths is how recent a complaint must be (6).
	ComplaintMonths int `json:"complaint_months"`
	// RepairOnlyMonths is the look-back for repair-only (12).
	RepairOnlyMonths int `json:"repair_only_months"`
	// ClassMonths is the look-back of the service classes (12);
	// ClassAVisits (4) and ClassBVisits (2) are the least paid visits of
	// classes A and B; one paid visit is C, none D.
	ClassMonths  int `json:"class_months"`
	ClassAVisits int `json:"class_a_visits"`
	ClassBVisits int `json:"class_b_visits"`
	// PaidOnly counts customer-paid visits only for the activity status,
	// the cadence and the KPIs.
	PaidOnly bool `json:"paid_only,omitempty"`
	// ChurnMonths is the churn window (6): of the VINs that visited in
	// month N−6, those that did not return in months N−5…N.
	ChurnMonths int `json:"churn_months"`
	// BaseMonths is the look-back that makes a vehicle part of the
	// retention and capture base (12).
	BaseMonths int `json:"base_months"`
	// RenewalBase is the denominator of the insurance renewal rate.
	RenewalBase RenewalBase `json:"renewal_base"`
}

// RenewalBase chooses the denominator of the insurance renewal rate 续保率.
type RenewalBase string

// The renewal denominators.
const (
	// RenewalAllDue counts every policy falling due in the period.
	RenewalAllDue RenewalBase = "all_due"
	// RenewalActiveDue counts the policies falling due of vehicles that
	// visited the dealer in the BaseMonths before the policy's end (the
	// active base 有效基盘).
	RenewalActiveDue RenewalBase = "active_due"
)

// Valid reports whether b is a known RenewalBase.
func (b RenewalBase) Valid() bool { return b == RenewalAllDue || b == RenewalActiveDue }

// DefaultAbnormalPolicy returns the SPEC §2.3 defaults.
func DefaultAbnormalPolicy() AbnormalPolicy {
	return AbnormalPolicy{AtRiskMonths: 6, LostMonths: 12, DeepLostMonths: 24, NearChurnFactor: 1.5, CadenceMinVisits: 3,
		SisterMonths: 12, LongAbsentMonths: 12, ComplaintMonths: 6, RepairOnlyMonths: 12,
		ClassMonths: 12, ClassAVisits: 4, ClassBVisits: 2, ChurnMonths: 6, BaseMonths: 12, RenewalBase: RenewalAllDue}
}

func (a AbnormalPolicy) check(c *crm.Checker) {
	if a.AtRiskMonths <= 0 || a.LostMonths <= a.AtRiskMonths || a.DeepLostMonths <= a.LostMonths {
		c.Add("abnormal.lost_months", RuleOverlap, "want 0 < at_risk_months < lost_months < deep_lost_months, got %d, %d, %d", a.AtRiskMonths, a.LostMonths, a.DeepLostMonths)
	}
	if a.NearChurnFactor <= 1 {
		c.Add("abnormal.near_churn_factor", RuleRange, "must be above 1, got %g", a.NearChurnFactor)
	}
	if a.CadenceMinVisits < 2 {
		c.Add("abnormal.cadence_min_visits", RuleRange, "must be at least 2, got %d", a.CadenceMinVisits)
	}
	if a.ComplaintMonths <= 0 || a.RepairOnlyMonths <= 0 {
		c.Add("abnormal.complaint_months", RuleRange, "complaint_months and repair_only_months must be positive")
	}
	if a.SisterMonths <= 0 || a.LongAbsentMonths <= 0 || a.ClassMonths <= 0 || a.ChurnMonths <= 0 || a.BaseMonths <= 0 {
		c.Add("abnormal.months", RuleRange, "sister_months, long_absent_months, class_months, churn_months and base_months must be positive")
	}
	if a.ClassBVisits < 2 || a.ClassAVisits <= a.ClassBVisits {
		c.Add("abnormal.class_a_visits", RuleOverlap, "want 2 <= class_b_visits < class_a_visits, got %d, %d", a.ClassBVisits, a.ClassAVisits)
	}
	if !a.RenewalBase.Valid() {
		c.Add("abnormal.renewal_base", RuleRange, "want all_due or active_due, got %q", a.RenewalBase)
	}
}

// Activity is a vehicle's activity status by the months since its last
// visit to the dealer.
type Activity string

// The activity statuses.
const (
	ActivityActive   Activity = "active"    // visited within AtRiskMonths
	ActivityAtRisk   Activity = "at_risk"   // AtRiskMonths (6) without a visit
	ActivityLost     Activity = "lost"      // LostMonths (12) without a visit
	ActivityDeepLost Activity = "deep_lost" // DeepLostMonths (24): the deep-lost pool
)

// ServiceClass is a vehicle's class by paid visits in ClassMonths: A, B,
// C or D; empty for a vehicle known for less than ClassMonths without a
// paid visit (too new to class).
type ServiceClass string

// The service classes.
const (
	ClassA ServiceClass = "A" // at least ClassAVisits (4) paid visits
	ClassB ServiceClass = "B" // ClassBVisits (2) up to ClassAVisits − 1
	ClassC ServiceClass = "C" // one paid visit
	ClassD ServiceClass = "D" // no paid visit for over ClassMonths
)

// AbnormalClass is an abnormal-customer class of seed 004.
type AbnormalClass string

// The abnormal classes.
const (
	// NearChurn 濒临流失: the time since the last visit is well beyond the
	// customer's own cadence, or the car was serviced at a sister store.
	NearChurn AbnormalClass = "near_churn"
	// LongAbsent 长期未入库: no visit for LongAbsentMonths.
	LongAbsent AbnormalClass = "long_absent"
	// Complained 曾抱怨或投诉: a complaint in ComplaintMonths, no visit since.
	Complained AbnormalClass = "complained"
	// RepairOnly 只维修不保养: repairs but no maintenance in RepairOnlyMonths.
	RepairOnly AbnormalClass = "repair_only"
)

// AbnormalClasses returns every AbnormalClass, in order.
func AbnormalClasses() []AbnormalClass {
	return []AbnormalClass{NearChurn, LongAbsent, Complained, RepairOnly}
}

// Valid reports whether c is a known AbnormalClass.
func (c AbnormalClass) Valid() bool { return slices.Contains(AbnormalClasses(), c) }

// Abnormality is one abnormal class of a vehicle, explained.
type Abnormality struct {
	Class  AbnormalClass `json:"class"`
	Reason string        `json:"reason"`
	// ReasonCode and ReasonParams are Reason as a message code with
	// parameters (AbnormalCodes).
	ReasonCode   string            `json:"reason_code,omitempty"`
	ReasonParams map[string]string `json:"reason_params,omitempty"`
}

// AbnormalCodes returns the reason codes of abnormal classes.
func AbnormalCodes() []string {
	return []string{codeSisterStore, codeCadence, codeLongAbsent, codeRepairOnly, codeComplaint, codeComplaintInService}
}

// The reason codes of abnormal classes; their parameters follow each.
const (
	codeSisterStore        = "lifecycle.abnormal.sister_store"         // dealer, date
	codeCadence            = "lifecycle.abnormal.cadence"              // days, last, factor, cadence_days
	codeLongAbsent         = "lifecycle.abnormal.long_absent"          // months, since
	codeRepairOnly         = "lifecycle.abnormal.repair_only"          // repairs, months
	codeComplaint          = "lifecycle.abnormal.complaint"            // complaint, date
	codeComplaintInService = "lifecycle.abnormal.complaint_in_service" // order, date
)

// Assessment is a vehicle's activity, service class and abnormal classes
// as of a day.
type Assessment struct {
	VehicleID  crm.VehicleID  `json:"vehicle_id"`
	VIN        string         `json:"vin,omitempty"`
	CustomerID crm.CustomerID `json:"customer_id,omitempty"`
	AsOf       dealercrm.Date `json:"as_of"`
	// LastVisit is the last counted visit here (zero: none); the activity
	// then counts from the delivery date.
	LastVisit dealercrm.Date `json:"last_visit,omitempty"`
	// MonthsSince is the whole months from the last visit (or delivery).
	MonthsSince int      `json:"months_since"`
	Activity    Activity `json:"activity,omitempty"`
	// PaidVisits counts customer-paid visits here in ClassMonths.
	PaidVisits int          `json:"paid_visits"`
	Class      ServiceClass `json:"class,omitempty"`
	// CadenceDays is the customer's own average interval between visits
	// here; zero when fewer than CadenceMinVisits.
	CadenceDays float64       `json:"cadence_days,omitempty"`
	Abnormal    []Abnormality `json:"abnormal,omitempty"`
}

// Has reports whether the assessment carries class c.
func (a *Assessment) Has(c AbnormalClass) bool {
	return slices.ContainsFunc(a.Abnormal, func(x Abnormality) bool { return x.Class == c })
}

// Paid reports whether v was paid by the customer: warranty work and
// insurer-, manufacturer- and dealer-paid visits are not.
func (v Visit) Paid() bool { return v.Payer == crm.PayerCustomer && v.Kind != crm.ServiceWarranty }

// repair reports whether v is a repair (general, accident or warranty).
func (v Visit) repair() bool {
	return v.Kind == crm.ServiceRepair || v.Kind == crm.ServiceAccident || v.Kind == crm.ServiceWarranty
}

// MonthsBetween returns the whole months from a to b (0 when b is not
// after a): the largest n with a + n months ≤ b, month ends clamped.
func MonthsBetween(a, b dealercrm.Date) int {
	if !b.After(a) {
		return 0
	}
	n := (b.Year-a.Year)*12 + int(b.Month) - int(a.Month)
	for n > 0 && a.AddMonths(n).After(b) {
		n--
	}
	return n
}

// within reports whether d lies in (asOf − months, asOf].
func within(d, asOf dealercrm.Date, months int) bool {
	return d.After(asOf.AddMonths(-months)) && !d.After(asOf)
}

// Assess grades subject s as of asOf, using only visits and complaints
// known that day. Visits whose DealerID is neither empty nor the
// subject's are visits at sister stores: they only flag near-churn.
func (a AbnormalPolicy) Assess(s *Subject, asOf dealercrm.Date) Assessment {
	out := Assessment{VehicleID: s.VehicleID, VIN: s.VIN, CustomerID: s.customerID(), AsOf: asOf}
	own := make([]Visit, 0, len(s.Visits))
	var sister *Visit
	for i := range s.Visits {
		v := s.Visits[i]
		if v.Date.After(asOf) {
			continue
		}
		if !ownVisit(s, &v) {
			if within(v.Date, asOf, a.SisterMonths) {
				sister = &s.Visits[i]
			}
			continue
		}
		own = append(own, v)
		if v.Paid() && within(v.Date, asOf, a.ClassMonths) {
			out.PaidVisits++
		}
	}
	counted := own
	if a.PaidOnly {
		counted = slices.DeleteFunc(slices.Clone(own), func(v Visit) bool { return !v.Paid() })
	}
	since := s.Delivery
	if n := len(counted); n > 0 {
		out.LastVisit = counted[n-1].Date
		since = out.LastVisit
		if n >= a.CadenceMinVisits {
			out.CadenceDays = float64(out.LastVisit.DaysSince(counted[0].Date)) / float64(n-1)
		}
	}
	if !since.IsZero() && !since.After(asOf) {
		out.MonthsSince = MonthsBetween(since, asOf)
		switch m := out.MonthsSince; {
		case m >= a.DeepLostMonths:
			out.Activity = ActivityDeepLost
		case m >= a.LostMonths:
			out.Activity = ActivityLost
		case m >= a.AtRiskMonths:
			out.Activity = ActivityAtRisk
		default:
			out.Activity = ActivityActive
		}
	}
	known := since
	if len(own) > 0 && (known.IsZero() || own[0].Date.Before(known)) {
		known = own[0].Date
	}
	switch {
	case out.PaidVisits >= a.ClassAVisits:
		out.Class = ClassA
	case out.PaidVisits >= a.ClassBVisits:
		out.Class = ClassB
	case out.PaidVisits == 1:
		out.Class = ClassC
	case !known.IsZero() && MonthsBetween(known, asOf) >= a.ClassMonths:
		out.Class = ClassD
	}
	add := func(c AbnormalClass, m message, format string, args ...any) {
		out.Abnormal = append(out.Abnormal, Abnormality{Class: c, Reason: fmt.Sprintf(format, args...), ReasonCode: m.code, ReasonParams: m.params})
	}
	// Near-churn by cadence only below long-absent: past it the customer
	// is long-absent, whatever the cadence.
	days := 0
	if !out.LastVisit.IsZero() {
		days = asOf.DaysSince(out.LastVisit)
	}
	longAbsent := !since.IsZero() && out.MonthsSince >= a.LongAbsentMonths
	switch {
	case sister != nil && (out.LastVisit.IsZero() || sister.Date.After(out.LastVisit)):
		add(NearChurn, message{codeSisterStore, params("dealer", string(sister.DealerID), "date", dateParam(sister.Date))},
			"serviced at sister store %s on %s, after the last visit here", sister.DealerID, sister.Date)
	case out.CadenceDays > 0 && !longAbsent && float64(days) > a.NearChurnFactor*out.CadenceDays:
		add(NearChurn, message{codeCadence, params("days", strconv.Itoa(days), "last", dateParam(out.LastVisit),
			"factor", strconv.FormatFloat(a.NearChurnFactor, 'g', -1, 64), "cadence_days", strconv.FormatFloat(out.CadenceDays, 'f', 0, 64))},
			"%d days since the last visit on %s, over %g × the own cadence of %.0f days", days, out.LastVisit, a.NearChurnFactor, out.CadenceDays)
	}
	if longAbsent {
		add(LongAbsent, message{codeLongAbsent, params("months", strconv.Itoa(out.MonthsSince), "since", dateParam(since))},
			"no visit for %d months (since %s)", out.MonthsSince, since)
	}
	a.complained(s, own, asOf, add)
	var repairs, maint int
	for _, v := range own {
		if within(v.Date, asOf, a.RepairOnlyMonths) {
			switch {
			case v.maintenance():
				maint++
			case v.repair():
				repairs++
			}
		}
	}
	if repairs > 0 && maint == 0 {
		add(RepairOnly, message{codeRepairOnly, params("repairs", strconv.Itoa(repairs), "months", strconv.Itoa(a.RepairOnlyMonths))},
			"%d repair visit(s) and no maintenance in %d months", repairs, a.RepairOnlyMonths)
	}
	return out
}

// complained adds Complained for the latest complaint (a complaint record
// or a visit marked with one) opened in ComplaintMonths with no visit here
// after it.
func (a AbnormalPolicy) complained(s *Subject, own []Visit, asOf dealercrm.Date, add func(AbnormalClass, message, string, ...any)) {
	var last dealercrm.Date
	what := ""
	var m message
	for _, c := range s.Complaints {
		if within(c.Opened, asOf, a.ComplaintMonths) && !c.Opened.Before(last) {
			last, what = c.Opened, "complaint "+string(c.ID)
			m = message{codeComplaint, params("complaint", string(c.ID), "date", dateParam(c.Opened))}
		}
	}
	for _, v := range own {
		if v.Complaint && within(v.Date, asOf, a.ComplaintMonths) && !v.Date.Before(last) {
			last, what = v.Date, "complaint during service order "+string(v.OrderID)
			m = message{codeComplaintInService, params("order", string(v.OrderID), "date", dateParam(v.Date))}
		}
	}
	if last.IsZero() {
		return
	}
	for _, v := range own {
		if v.Date.After(last) && !v.Date.After(asOf) {
			return
		}
	}
	add(Complained, m, "%s on %s and no visit since", what, last)
}
