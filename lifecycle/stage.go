package lifecycle

import (
	"fmt"
	"github.com/dealercrm/dealercrm/crm"
	"slices"
	"strconv"

	"github.com/dealercrm/dealercrm"
)

// Stage is where a vehicle and its owner are in the ownership lifecycle
// (SPEC §2.1, book 001 ch.2).
type Stage string

// The stages, in lifecycle order.
const (
	StageHoneymoon       Stage = "honeymoon"         // 蜜月期: delivery until the first maintenance
	StageEarlyUse        Stage = "early_use"         // 使用早期: until the end of the 三包 period
	StageWarrantyMidLate Stage = "warranty_mid_late" // 保修中后期: until the manufacturer warranty ends
	StagePostWarranty    Stage = "post_warranty"     // 出保后
	StageRepurchase      Stage = "repurchase"        // 再购期: old car or an open add/replacement lead
)

var allStages = []Stage{StageHoneymoon, StageEarlyUse, StageWarrantyMidLate, StagePostWarranty, StageRepurchase}

// Stages returns every Stage, in lifecycle order.
func Stages() []Stage { return slices.Clone(allStages) }

// Valid reports whether s is a known Stage.
func (s Stage) Valid() bool { return slices.Contains(allStages, s) }

// ParseStage returns s as a Stage, or a *crm.ValidationError.
func ParseStage(s string) (Stage, error) {
	if Stage(s).Valid() {
		return Stage(s), nil
	}
	c := crm.Checker{}
	c.Add("stage", "enum", "%q is not one of %v", s, allStages)
	return "", c.Err("stage")
}

// Limit is an age and distance limit: whichever is reached first ends it.
// A zero KM means the limit has no distance part.
type Limit struct {
	Months int   `json:"months"`
	KM     int64 `json:"km,omitempty"`
}

// String formats l as "24 months / 50000 km".
func (l Limit) String() string {
	if l.KM == 0 {
		return fmt.Sprintf("%d months", l.Months)
	}
	return fmt.Sprintf("%d months / %d km", l.Months, l.KM)
}

// StagePolicy holds the limits that end each stage (SPEC §2.1). Each limit
// counts from the delivery date; the later stage's limits must be larger
// in both age and distance.
type StagePolicy struct {
	// Honeymoon ends at the first maintenance or at this limit (6 months / 5,000 km).
	Honeymoon Limit `json:"honeymoon"`
	// EarlyUse ends with the 三包 period (2 years / 50,000 km).
	EarlyUse Limit `json:"early_use"`
	// Warranty is the manufacturer warranty (3 years / 100,000 km) unless
	// WarrantyByModel has the vehicle's "brand/model" or "model".
	Warranty Limit `json:"warranty"`
	// WarrantyByModel overrides Warranty per "brand/model" or "model".
	WarrantyByModel map[string]Limit `json:"warranty_by_model,omitempty"`
	// StatutoryWarranty is the legal minimum a warranty may not undercut
	// (3 years / 60,000 km).
	StatutoryWarranty Limit `json:"statutory_warranty"`
	// RepurchaseMonths is the vehicle age at which the owner enters the
	// repurchase stage (72 months: the average replacement cycle in China
	// is about 6.4 years).
	RepurchaseMonths int `json:"repurchase_months"`
}

// DefaultStagePolicy returns the SPEC §2.1 defaults.
func DefaultStagePolicy() StagePolicy {
	return StagePolicy{
		Honeymoon:         Limit{Months: 6, KM: 5000},
		EarlyUse:          Limit{Months: 24, KM: 50000},
		Warranty:          Limit{Months: 36, KM: 100000},
		StatutoryWarranty: Limit{Months: 36, KM: 60000},
		RepurchaseMonths:  72,
	}
}

// WarrantyFor returns the warranty limit for a brand and model.
func (p StagePolicy) WarrantyFor(brand, model string) Limit {
	if l, ok := p.WarrantyByModel[brand+"/"+model]; ok {
		return l
	}
	if l, ok := p.WarrantyByModel[model]; ok {
		return l
	}
	return p.Warranty
}

func (p StagePolicy) check(c *crm.Checker) {
	pos := func(field string, l Limit) {
		if l.Months <= 0 {
			c.Add(field+".months", RuleRange, "must be positive, got %d", l.Months)
		}
		if l.KM < 0 {
			c.Add(field+".km", RuleNegative, "must not be negative, got %d", l.KM)
		}
	}
	order := func(field string, a, b Limit, an, bn string) {
		if b.Months <= a.Months {
			c.Add(field+".months", RuleOverlap, "%s (%d months) must end after %s (%d months)", bn, b.Months, an, a.Months)
		}
		if a.KM > 0 && b.KM > 0 && b.KM <= a.KM {
			c.Add(field+".km", RuleOverlap, "%s (%d km) must end after %s (%d km)", bn, b.KM, an, a.KM)
		}
	}
	pos("honeymoon", p.Honeymoon)
	pos("early_use", p.EarlyUse)
	pos("statutory_warranty", p.StatutoryWarranty)
	order("early_use", p.Honeymoon, p.EarlyUse, "honeymoon", "early use")
	warranties := map[string]Limit{"warranty": p.Warranty}
	for k, l := range p.WarrantyByModel {
		warranties["warranty_by_model."+k] = l
	}
	keys := make([]string, 0, len(warranties))
	for k := range warranties {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, f := range keys {
		l := warranties[f]
		pos(f, l)
		order(f, p.EarlyUse, l, "early use", "the warranty")
		if l.Months < p.StatutoryWarranty.Months || (l.KM > 0 && l.KM < p.StatutoryWarranty.KM) {
			c.Add(f, RuleStatutory, "%s is below the statutory minimum %s", l, p.StatutoryWarranty)
		}
		if p.RepurchaseMonths <= l.Months {
			c.Add("repurchase_months", RuleOverlap, "repurchase at %d months must come after %s ends (%d months)", p.RepurchaseMonths, f, l.Months)
		}
	}
}

// Decider names what decided a stage.
type Decider string

// The deciders of a StageResult.
const (
	ByAge              Decider = "age"               // the age limit was reached first
	ByOdometer         Decider = "odometer"          // the distance limit was reached first
	ByFirstMaintenance Decider = "first_maintenance" // the first maintenance was done
	ByLead             Decider = "lead"              // an open add/replacement lead
	ByNone             Decider = "none"              // no limit reached yet
)

// StageResult is a classified stage with its explanation.
type StageResult struct {
	Stage Stage `json:"stage"`
	// Decider is the limit or event that decided the stage.
	Decider Decider `json:"decider"`
	// Reason explains the decision in a sentence, in English.
	Reason string `json:"reason"`
	// ReasonCode and ReasonParams are Reason as a message code with
	// parameters: "lifecycle.stage.<stage>.<decider>" (StageCodes).
	ReasonCode   string            `json:"reason_code,omitempty"`
	ReasonParams map[string]string `json:"reason_params,omitempty"`
	// AgeMonths is the vehicle age in whole months on the evaluation date.
	AgeMonths int `json:"age_months"`
	// KM is the odometer estimate used (last reading extrapolated).
	KM int64 `json:"km"`
}

// StageCodes returns the reason codes of stages, one per stage and the
// deciders that may decide it.
func StageCodes() []string {
	return []string{"lifecycle.stage.repurchase.lead", "lifecycle.stage.repurchase.age",
		"lifecycle.stage.post_warranty.age", "lifecycle.stage.post_warranty.odometer",
		"lifecycle.stage.warranty_mid_late.age", "lifecycle.stage.warranty_mid_late.odometer",
		"lifecycle.stage.early_use.first_maintenance", "lifecycle.stage.early_use.age", "lifecycle.stage.early_use.odometer",
		"lifecycle.stage.honeymoon.none"}
}

// code sets the reason code and parameters of r: the stage and decider,
// the vehicle's age_months and km, the deciding limit_months and
// limit_km, the delivered date and the first_maintenance date.
func (r *StageResult) code(in StageInput, lim Limit) {
	r.ReasonCode = "lifecycle.stage." + string(r.Stage) + "." + string(r.Decider)
	r.ReasonParams = params("age_months", strconv.Itoa(r.AgeMonths), "km", strconv.FormatInt(r.KM, 10),
		"limit_months", strconv.Itoa(lim.Months), "limit_km", strconv.FormatInt(lim.KM, 10),
		"delivered", dateParam(in.Delivery), "first_maintenance", dateParam(in.FirstMaintenance))
}

// StageInput is what Classify needs to know about a vehicle.
type StageInput struct {
	Brand, Model string
	Delivery     dealercrm.Date
	// KM is the odometer (estimated) on the evaluation date.
	KM int64
	// FirstMaintenance is the date of the first maintenance, if done.
	FirstMaintenance dealercrm.Date
	// OpenRepurchaseLead reports an open add or replacement purchase lead.
	OpenRepurchaseLead bool
}

// monthsBetween counts whole months from a to b, with month-end clamping.
func monthsBetween(a, b dealercrm.Date) int {
	if b.Before(a) {
		return 0
	}
	m := (b.Year-a.Year)*12 + int(b.Month) - int(a.Month)
	for m > 0 && a.AddMonths(m).After(b) {
		m--
	}
	return m
}

// Classify places a vehicle in its stage on date asOf and says why.
// The first limit reached, by age (months from delivery, clamped at month
// end) or odometer, ends a stage.
func (p StagePolicy) Classify(in StageInput, asOf dealercrm.Date) StageResult {
	return p.classify(in, asOf, true)
}

// classify is Classify; without explain the result has no Reason.
func (p StagePolicy) classify(in StageInput, asOf dealercrm.Date, explain bool) (r StageResult) {
	r = StageResult{AgeMonths: monthsBetween(in.Delivery, asOf), KM: in.KM}
	// lim is the limit that decided the stage (in the honeymoon, the one
	// not yet reached), for the reason's parameters.
	var lim Limit
	if explain {
		defer func() { r.code(in, lim) }()
	}
	if in.OpenRepurchaseLead {
		r.Stage, r.Decider, r.Reason = StageRepurchase, ByLead, "the owner has an open add or replacement purchase lead"
		return r
	}
	if !asOf.Before(in.Delivery.AddMonths(p.RepurchaseMonths)) {
		r.Stage, r.Decider = StageRepurchase, ByAge
		if explain {
			r.Reason = fmt.Sprintf("vehicle age %d months reached the repurchase age of %d months", r.AgeMonths, p.RepurchaseMonths)
			lim = Limit{Months: p.RepurchaseMonths}
		}
		return r
	}
	// reached reports which part of l is reached, if any.
	reached := func(l Limit) Decider {
		if !asOf.Before(in.Delivery.AddMonths(l.Months)) {
			return ByAge
		}
		if l.KM > 0 && in.KM >= l.KM {
			return ByOdometer
		}
		return ""
	}
	why := func(d Decider, l Limit) string {
		if d == ByAge {
			return fmt.Sprintf("vehicle age %d months reached %d months", r.AgeMonths, l.Months)
		}
		return fmt.Sprintf("odometer %d km reached %d km before %d months", in.KM, l.KM, l.Months)
	}
	w := p.WarrantyFor(in.Brand, in.Model)
	if d := reached(w); d != "" {
		r.Stage, r.Decider, lim = StagePostWarranty, d, w
		if explain {
			r.Reason = why(d, w) + ": the warranty (" + w.String() + ") has ended"
		}
		return r
	}
	if d := reached(p.EarlyUse); d != "" {
		r.Stage, r.Decider, lim = StageWarrantyMidLate, d, p.EarlyUse
		if explain {
			r.Reason = why(d, p.EarlyUse) + ": the 三包 period (" + p.EarlyUse.String() + ") has ended"
		}
		return r
	}
	if !in.FirstMaintenance.IsZero() && !in.FirstMaintenance.After(asOf) {
		r.Stage, r.Decider = StageEarlyUse, ByFirstMaintenance
		if explain {
			r.Reason = "first maintenance done on " + in.FirstMaintenance.String()
		}
		return r
	}
	if d := reached(p.Honeymoon); d != "" {
		r.Stage, r.Decider, lim = StageEarlyUse, d, p.Honeymoon
		if explain {
			r.Reason = why(d, p.Honeymoon) + ": the honeymoon limit (" + p.Honeymoon.String() + ") has passed"
		}
		return r
	}
	r.Stage, r.Decider, lim = StageHoneymoon, ByNone, p.Honeymoon
	if explain {
		r.Reason = fmt.Sprintf("delivered %s, first maintenance not yet done, %d months and %d km below %s", in.Delivery, r.AgeMonths, in.KM, p.Honeymoon)
	}
	return r
}

// Deciders returns every Decider.
func Deciders() []Decider { return []Decider{ByAge, ByOdometer, ByFirstMaintenance, ByLead, ByNone} }
