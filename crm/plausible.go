package crm

import (
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/shopspring/decimal"
)

// Plausible input (SPEC §0). An entity's Validate checks what the record
// alone can tell; the rules below also need the Service's Limits and the
// dealer's today, so the Service runs them as a separate step of create,
// update, the lead operations, conversion and import: every entity has a
// plausible method (part of the entity constraint, so a new entity cannot
// be without one), and the text of every string field is checked by one
// reflective walk (checker.text), so a new string field is covered without
// being listed.
//
// Which dates describe past events, and so may not lie after the dealer's
// today (plus Limits.FutureDays) nor before 1900-01-01:
//
//   - customer: birthday, consents[].at;
//   - lead: follow_ups[].at, lost_requests[].requested_at and decided_at
//     (expected_close and next_follow_up_at are forecasts);
//   - vehicle: purchase_date, delivery_date, registration_date (a planned
//     delivery is not a vehicle's delivery date), odometer[].date;
//   - sale: date; service order: date, closed_date;
//   - interaction: at; complaint: opened, resolved;
//   - event participation: date, once attended (an invitation may be to a
//     future event);
//   - every record imported with its DMS creation time: created_at.
//
// An insurance policy's start and end are not: a policy runs into the
// future. Amounts (prices, gross profit, value-chain amounts and profits,
// labour, parts, premiums) have the ceiling Limits.MaxAmount, either sign;
// odometer readings Limits.MaxOdometerKM.

// earliestDate is the earliest date of a past event or a birthday: nobody
// alive was born before it, and no car was sold.
var earliestDate = dealercrm.Date{Year: 1900, Month: time.January, Day: 1}

// checker returns a checker for input of dealer d: the Service's limits and
// the dealer's today by the Service's clock.
func (s *Service) checker(d *Dealer) checker {
	return checker{limits: s.limits, today: d.Today(s.Now()), loc: d.Location()}
}

// past checks the date of a past event (or a birthday): not after the
// dealer's today plus FutureDays, not before 1900-01-01.
func (c *checker) past(field string, d dealercrm.Date) {
	if d.IsZero() || !d.Valid() {
		return // required and format are Validate's rules
	}
	if fe, bad := c.limits.CheckPast(field, d, c.today); bad {
		c.add(fe.Field, fe.Rule, "%s", fe.Message)
		return
	}
	if d.Before(earliestDate) {
		c.add(field, RuleMin, "must not be before %s", earliestDate)
	}
}

// pastTime checks the instant of a past event by its date in the dealer's
// zone.
func (c *checker) pastTime(field string, t time.Time) {
	if t.IsZero() || c.loc == nil {
		return
	}
	c.past(field, dealercrm.DateIn(t, c.loc))
}

// amount checks a money amount against MaxAmount, either sign.
func (c *checker) amount(field string, v decimal.Decimal) {
	if fe, bad := c.limits.CheckAmount(field, v); bad {
		c.add(fe.Field, fe.Rule, "%s", fe.Message)
	}
}

// odometer checks an odometer reading against MaxOdometerKM.
func (c *checker) odometer(field string, km int64) {
	if fe, bad := c.limits.CheckOdometer(field, km); bad {
		c.add(fe.Field, fe.Rule, "%s", fe.Message)
	}
}

// text adds a RuleText error for every string in v that CheckText
// refuses, named by its JSON path (see CheckTexts, the one walk every layer
// uses).
func (c *checker) text(v any) { c.Fields = append(c.Fields, CheckTexts(c.Prefix, v)...) }

// validate runs v's own Validate and the text check of its every string
// field, and answers with one *ValidationError listing both.
func validate(entity string, v interface{ Validate() error }) error {
	var c checker
	c.text(v)
	err := v.Validate()
	if len(c.Fields) == 0 {
		return err
	}
	if err == nil {
		return c.err(entity)
	}
	ve, ok := asValidation(err)
	if !ok {
		return err
	}
	return &ValidationError{Entity: ve.Entity, Fields: append(ve.Fields, c.Fields...)}
}

// plausible adds to c the errors of v against the limits and the dealer's
// today that c carries.
func plausible[T any, P entity[T]](c *checker, v P) {
	c.pastTime("created_at", v.Meta().CreatedAt)
	v.plausible(c)
}

func (c *Customer) plausible(k *checker) {
	k.past("birthday", c.Birthday)
	for i, cs := range c.Consents {
		k.pastTime(indexed("consents", i)+".at", cs.At)
	}
}

func (l *Lead) plausible(k *checker) {
	for i, f := range l.FollowUps {
		k.pastTime(indexed("follow_ups", i)+".at", f.At)
	}
	for i, r := range l.LostRequests {
		p := indexed("lost_requests", i)
		k.pastTime(p+".requested_at", r.RequestedAt)
		k.pastTime(p+".decided_at", r.DecidedAt)
	}
}

func (v *Vehicle) plausible(k *checker) {
	k.past("purchase_date", v.PurchaseDate)
	k.past("delivery_date", v.DeliveryDate)
	k.past("registration_date", v.RegistrationDate)
	k.amount("price", v.Price)
	for i, r := range v.Odometer {
		f := indexed("odometer", i)
		k.past(f+".date", r.Date)
		k.odometer(f+".km", r.KM)
	}
}

func (s *Sale) plausible(k *checker) {
	k.past("date", s.Date)
	k.amount("price", s.Price)
	k.amount("gross_profit", s.GrossProfit)
	for i, it := range s.Items {
		f := indexed("items", i)
		k.amount(f+".amount", it.Amount)
		k.amount(f+".profit", it.Profit)
	}
}

func (o *ServiceOrder) plausible(k *checker) {
	k.past("date", o.Date)
	k.past("closed_date", o.ClosedDate)
	k.odometer("odometer_km", o.OdometerKM)
	k.amount("labour", o.Labour)
	k.amount("parts", o.Parts)
}

func (p *InsurancePolicy) plausible(k *checker) {
	k.amount("premium", p.Premium)
}

func (i *Interaction) plausible(k *checker) {
	k.pastTime("at", i.At)
}

func (c *Complaint) plausible(k *checker) {
	k.past("opened", c.Opened)
	k.past("resolved", c.Resolved)
}

func (e *EventParticipation) plausible(k *checker) {
	if e.Attended {
		k.past("date", e.Date)
	}
}
