package lifecycle

import (
	"fmt"
	"strconv"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
)

// RepairClass is the statutory class of a workshop job, which sets its
// quality warranty 质量保证期 (机动车维修管理规定, art. 38).
type RepairClass string

// The repair classes.
const (
	// RepairMajor is a vehicle overhaul or assembly repair 整车修理或总成修理
	// (20,000 km or 100 days).
	RepairMajor RepairClass = "major"
	// RepairLevel2 is level-2 maintenance 二级维护 (5,000 km or 30 days).
	RepairLevel2 RepairClass = "level2"
	// RepairMinor is level-1 maintenance, minor and special repairs
	// 一级维护、小修及专项修理 (2,000 km or 10 days).
	RepairMinor RepairClass = "minor"
)

// RepairClasses returns every RepairClass.
func RepairClasses() []RepairClass { return []RepairClass{RepairMajor, RepairLevel2, RepairMinor} }

// Valid reports whether c is a known RepairClass.
func (c RepairClass) Valid() bool { return c == RepairMajor || c == RepairLevel2 || c == RepairMinor }

// QualityTerm is a quality warranty: it ends at KM kilometres or Days
// days after the job, whichever comes first.
type QualityTerm struct {
	KM   int64 `json:"km"`
	Days int   `json:"days"`
}

// ComebackPolicy says when a repair is a comeback 返修 (SPEC §2.3): the
// same vehicle returning for a repair within the quality warranty of an
// earlier job.
type ComebackPolicy struct {
	// Major, Level2 and Minor are the statutory terms (20,000 km / 100
	// days, 5,000 km / 30 days, 2,000 km / 10 days).
	Major  QualityTerm `json:"major"`
	Level2 QualityTerm `json:"level2"`
	Minor  QualityTerm `json:"minor"`
	// MajorAmount classifies repairs without a class of their own: a
	// repair, accident or warranty job of at least this amount (labour
	// plus parts, CNY) is major, a smaller one minor (5,000).
	MajorAmount decimal.Decimal `json:"major_amount"`
	// MaintenanceClass is the class of maintenance jobs, first maintenance
	// included (level2: the scheduled maintenance of a 4S store covers the
	// inspection items of 二级维护).
	MaintenanceClass RepairClass `json:"maintenance_class"`
}

// DefaultComebackPolicy returns the statutory terms of SPEC §2.3.
func DefaultComebackPolicy() ComebackPolicy {
	return ComebackPolicy{
		Major:  QualityTerm{KM: 20000, Days: 100},
		Level2: QualityTerm{KM: 5000, Days: 30},
		Minor:  QualityTerm{KM: 2000, Days: 10},
		// 5,000 CNY is also the seed's "one normal repair" upgrade bar.
		MajorAmount:      decimal.NewFromInt(5000),
		MaintenanceClass: RepairLevel2,
	}
}

func (c ComebackPolicy) check(k *crm.Checker) {
	for f, t := range map[string]QualityTerm{"comebacks.major": c.Major, "comebacks.level2": c.Level2, "comebacks.minor": c.Minor} {
		if t.KM <= 0 || t.Days <= 0 {
			k.Add(f, RuleRange, "km and days must be positive, got %d km / %d days", t.KM, t.Days)
		}
	}
	if c.MajorAmount.IsNegative() {
		k.Add("comebacks.major_amount", RuleNegative, "must not be negative, got %s", c.MajorAmount)
	}
	if !c.MaintenanceClass.Valid() {
		k.Add("comebacks.maintenance_class", crm.RuleEnum, "%q is not a repair class; want major, level2 or minor", c.MaintenanceClass)
	}
}

// Class returns the repair class of visit v and whether it is a workshop
// job at all (accessory installation is not).
func (c ComebackPolicy) Class(v *Visit) (RepairClass, bool) {
	switch {
	case v.maintenance():
		return c.MaintenanceClass, true
	case v.repair():
		if !v.Amount.LessThan(c.MajorAmount) {
			return RepairMajor, true
		}
		return RepairMinor, true
	}
	return "", false
}

// Term returns the quality warranty of class rc.
func (c ComebackPolicy) Term(rc RepairClass) QualityTerm {
	switch rc {
	case RepairMajor:
		return c.Major
	case RepairLevel2:
		return c.Level2
	}
	return c.Minor
}

// Comeback is a repair within the quality warranty of an earlier job.
type Comeback struct {
	VehicleID crm.VehicleID      `json:"vehicle_id"`
	OrderID   crm.ServiceOrderID `json:"order_id"`
	Date      dealercrm.Date     `json:"date"`
	// Of is the earlier job whose warranty the comeback falls in.
	Of     crm.ServiceOrderID `json:"of"`
	OfDate dealercrm.Date     `json:"of_date"`
	Class  RepairClass        `json:"class"`
	Days   int                `json:"days"`
	// KM is the distance since the earlier job; -1 when a reading is
	// missing (the term's days alone decide).
	KM     int64  `json:"km"`
	Reason string `json:"reason"`
	// ReasonCode and ReasonParams are Reason as a message code with
	// parameters: CodeComebackKM, or CodeComeback when a reading is
	// missing.
	ReasonCode   string            `json:"reason_code,omitempty"`
	ReasonParams map[string]string `json:"reason_params,omitempty"`
}

// The reason codes of a comeback; parameters service_kind, order, date,
// days, km (CodeComebackKM only), class, of, closed, term_km, term_days.
const (
	CodeComeback   = "lifecycle.comeback"
	CodeComebackKM = "lifecycle.comeback.km"
)

// Jobs counts the workshop jobs of subject s at its own dealer dated in
// [from, to]: the denominator of the comeback rate.
func (c ComebackPolicy) Jobs(s *Subject, from, to dealercrm.Date) int {
	n := 0
	for i := range s.Visits {
		v := &s.Visits[i]
		if !ownVisit(s, v) || v.Date.Before(from) || v.Date.After(to) {
			continue
		}
		if _, ok := c.Class(v); ok {
			n++
		}
	}
	return n
}

// comebackReturn reports whether v is a return that may be a comeback: a
// general or warranty repair (accident repairs are new damage).
func comebackReturn(v *Visit) bool {
	return v.Kind == crm.ServiceRepair || v.Kind == crm.ServiceWarranty
}

// Comebacks returns the comebacks of subject s among its own-store visits
// dated in [from, to]: each general or warranty repair that comes back
// within the quality warranty of an earlier job of the vehicle (days
// since that job closed ≤ the term's days and, when both readings are
// known, kilometres since it ≤ the term's km), attributed to the latest
// such job. Visits must be sorted
// by date, as FactsOf sorts them.
func (c ComebackPolicy) Comebacks(s *Subject, from, to dealercrm.Date) []Comeback {
	var out []Comeback
	for i := range s.Visits {
		v := &s.Visits[i]
		if !ownVisit(s, v) || v.Date.Before(from) || v.Date.After(to) || !comebackReturn(v) {
			continue
		}
		if cb, ok := c.comeback(s, i); ok {
			out = append(out, cb)
		}
	}
	return out
}

// maxDays is the longest term in days.
func (c ComebackPolicy) maxDays() int { return max(c.Major.Days, c.Level2.Days, c.Minor.Days) }

// comeback finds the latest earlier own-store job of visit i whose
// warranty visit i falls in.
func (c ComebackPolicy) comeback(s *Subject, i int) (Comeback, bool) {
	v := &s.Visits[i]
	for j := i - 1; j >= 0; j-- {
		p := &s.Visits[j]
		if !ownVisit(s, p) {
			continue
		}
		rc, ok := c.Class(p)
		if !ok {
			continue
		}
		closed := p.Closed
		if closed.IsZero() {
			closed = p.Date
		}
		days := v.Date.DaysSince(closed)
		if days < 0 {
			continue // still in the workshop when v opened
		}
		t := c.Term(rc)
		km := int64(-1)
		if v.KM > 0 && p.KM > 0 && v.KM >= p.KM {
			km = v.KM - p.KM
		}
		if days > c.maxDays() {
			return Comeback{}, false // earlier jobs are out of any term
		}
		if days > t.Days || km > t.KM {
			continue // an older job may have a longer term
		}
		why := fmt.Sprintf("%s %s on %s came back %d days", v.Kind, v.OrderID, v.Date, days)
		if km >= 0 {
			why += fmt.Sprintf(" and %d km", km)
		}
		why += fmt.Sprintf(" after %s job %s closed on %s, within its warranty of %d km / %d days", rc, p.OrderID, closed, t.KM, t.Days)
		code, ps := CodeComeback, params("service_kind", string(v.Kind), "order", string(v.OrderID), "date", dateParam(v.Date),
			"days", strconv.Itoa(days), "class", string(rc), "of", string(p.OrderID), "closed", dateParam(closed),
			"term_km", strconv.FormatInt(t.KM, 10), "term_days", strconv.Itoa(t.Days))
		if km >= 0 {
			code, ps["km"] = CodeComebackKM, strconv.FormatInt(km, 10)
		}
		return Comeback{VehicleID: s.VehicleID, OrderID: v.OrderID, Date: v.Date, Of: p.OrderID, OfDate: closed, Class: rc,
			Days: days, KM: km, Reason: why, ReasonCode: code, ReasonParams: ps}, true
	}
	return Comeback{}, false
}

// ownVisit reports whether v is a visit at the subject's own dealer.
func ownVisit(s *Subject, v *Visit) bool {
	return v.DealerID == "" || s.DealerID == "" || v.DealerID == s.DealerID
}
