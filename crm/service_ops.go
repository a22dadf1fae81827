package crm

import (
	"context"
	"fmt"
	"time"

	"github.com/dealercrm/dealercrm"
)

// CreateDealer validates and stores a new dealer. The dealer's ID is
// required (dealers are usually numbered by the OEM or the group).
func (s *Service) CreateDealer(ctx context.Context, d Dealer) (Dealer, error) {
	d = d.Clone()
	d.CreatedAt = s.Now()
	d.UpdatedAt = d.CreatedAt
	if err := validate("dealer", &d); err != nil {
		return Dealer{}, err
	}
	if err := s.store.Dealers().Create(ctx, &d); err != nil {
		return Dealer{}, fmt.Errorf("crm: create dealer %s: %w", d.ID, err)
	}
	return d, nil
}

// GetDealer returns the dealer, or ErrNotFound.
func (s *Service) GetDealer(ctx context.Context, id DealerID) (Dealer, error) {
	d, err := s.store.Dealers().Get(ctx, id)
	if err != nil {
		return d, fmt.Errorf("crm: get dealer %s: %w", id, err)
	}
	return d, nil
}

// UpdateDealer applies fn to the dealer and saves it after validation; the
// ID and creation time cannot change.
func (s *Service) UpdateDealer(ctx context.Context, id DealerID, fn func(*Dealer) error) (Dealer, error) {
	d, err := s.store.Dealers().Update(ctx, id, func(d *Dealer) error {
		created := d.CreatedAt
		if err := fn(d); err != nil {
			return err
		}
		d.ID, d.CreatedAt, d.UpdatedAt = id, created, s.Now()
		return validate("dealer", d)
	})
	if err != nil {
		return d, fmt.Errorf("crm: update dealer %s: %w", id, err)
	}
	return d, nil
}

// ListDealers returns one page of dealers, optionally of one group.
func (s *Service) ListDealers(ctx context.Context, f DealerFilter) (Page[Dealer], error) {
	p, err := s.store.Dealers().List(ctx, f)
	if err != nil {
		return p, fmt.Errorf("crm: list dealers: %w", err)
	}
	return p, nil
}

// SetConsent records a customer's answer for one purpose and channel (see
// Customer.SetConsent: an answer older than the stored one is ignored). The
// answer's time defaults to now and may not lie after the dealer's today:
// an answer dated in the future would outrank every later one.
func (s *Service) SetConsent(ctx context.Context, dealer DealerID, id CustomerID, cs Consent) (Customer, error) {
	if cs.At.IsZero() {
		cs.At = s.Now()
	}
	return s.UpdateCustomer(ctx, dealer, id, func(c *Customer) error {
		c.SetConsent(cs)
		return nil
	})
}

// updateLead runs op on the stored lead with the dealer's lead policy and
// today, bypassing the guard that keeps state-machine fields out of
// UpdateLead, and checks the result as UpdateLead would.
func (s *Service) updateLead(ctx context.Context, dealer DealerID, id LeadID, op func(l *Lead, p LeadPolicy, today dealercrm.Date, now time.Time) error) (Lead, error) {
	var out Lead
	err := s.store.InTx(ctx, func(ctx context.Context, tx Store) error {
		d, err := tx.Dealers().Get(ctx, dealer)
		if err != nil {
			return fmt.Errorf("dealer %s: %w", dealer, err)
		}
		var before Lead
		out, err = tx.Leads().Update(ctx, dealer, id, func(l *Lead) error {
			before = l.Clone()
			now := s.Now()
			if err := op(l, d.Policy(), d.Today(now), now); err != nil {
				return err
			}
			l.UpdatedAt = now
			if err := validate("lead", l); err != nil {
				return err
			}
			c := s.checker(&d)
			plausible(&c, l)
			return c.err("lead")
		})
		if err != nil {
			return err
		}
		return tx.Events().Add(ctx, LeadEvents(&before, &out, out.UpdatedAt)...)
	})
	if err != nil {
		return out, fmt.Errorf("crm: lead %s: %w", id, err)
	}
	return s.watched(ctx, dealer, out, nil)
}

// SetLeadLevel moves an open lead to another level and reschedules its next
// follow-up by the new level's cadence. It returns ErrLeadClosed for a
// closed lead and a *dealercrm.TransitionError (ErrInvalidTransition) for D or F (see
// Lead.SetLevel). A lead with an expected close date takes H, A, B, C or N
// only as its windows give it (SPEC §1.1): another is a *ValidationError
// on level (rule window); move the date instead.
func (s *Service) SetLeadLevel(ctx context.Context, dealer DealerID, id LeadID, level IntentLevel) (Lead, error) {
	return s.updateLead(ctx, dealer, id, func(l *Lead, p LeadPolicy, today dealercrm.Date, now time.Time) error {
		if err := l.SetLevel(level, p, now); err != nil {
			return err
		}
		if w, ok := l.WindowLevel(p, today); ok && w != level {
			return l.windowError("level", level, w, today)
		}
		return nil
	})
}

// LogFollowUp appends a follow-up to an open lead (see Lead.LogFollowUp).
// Its time defaults to now and may not lie after the dealer's today. When
// the lead has an expected close date (the follow-up's, else its own) and
// is at H, A, B, C or N, its level after the contact is the one the windows
// give (SPEC §1.1): a follow-up level that disagrees is a *ValidationError
// on level (rule window).
func (s *Service) LogFollowUp(ctx context.Context, dealer DealerID, id LeadID, f FollowUp) (Lead, error) {
	return s.updateLead(ctx, dealer, id, func(l *Lead, p LeadPolicy, today dealercrm.Date, now time.Time) error {
		if f.At.IsZero() {
			f.At = now
		}
		f.At = f.At.UTC().Truncate(time.Microsecond)
		after := *l
		if f.Level != "" {
			after.Level = f.Level
		}
		if !f.ExpectedClose.IsZero() {
			after.ExpectedClose = f.ExpectedClose
		}
		if w, ok := after.WindowLevel(p, today); ok {
			switch {
			case f.Level != "" && f.Level != w:
				return after.windowError("level", f.Level, w, today)
			case w != l.Level:
				f.Level = w
			}
		}
		return l.LogFollowUp(f, p)
	})
}

// RequestLost files a consultant's request to mark the lead lost (战败),
// for a manager to decide with DecideLost; by is required.
func (s *Service) RequestLost(ctx context.Context, dealer DealerID, id LeadID, reason LostReason, note string, by StaffID) (Lead, error) {
	return s.updateLead(ctx, dealer, id, func(l *Lead, _ LeadPolicy, _ dealercrm.Date, now time.Time) error {
		return l.RequestLost(reason, note, by, now)
	})
}

// DecideLost records a manager's approval or rejection of the pending lost
// request; approval closes the lead as lost with the request's reason. The
// manager is required and may not be who requested it: that is
// ErrOwnLostRequest (code PermissionDenied).
func (s *Service) DecideLost(ctx context.Context, dealer DealerID, id LeadID, approve bool, manager StaffID, note string) (Lead, error) {
	return s.updateLead(ctx, dealer, id, func(l *Lead, _ LeadPolicy, _ dealercrm.Date, now time.Time) error {
		return l.DecideLost(approve, manager, note, now)
	})
}

// Conversion is what a lead turns into when the car is sold (A卡 → C卡).
type Conversion struct {
	// Customer is the new customer. Ignored when the lead belongs to an
	// existing customer (add or replacement purchase); empty fields default
	// from the lead (name, mobile, source, consultant).
	Customer Customer `json:"customer"`
	// Vehicle is the car sold; its owner is set to the customer.
	Vehicle Vehicle `json:"vehicle"`
	// Sale is the sale; vehicle, customer, lead and (by default) consultant
	// are set from the conversion.
	Sale Sale `json:"sale"`
}

// ConversionResult holds the records a conversion wrote.
type ConversionResult struct {
	Lead     Lead     `json:"lead"`
	Customer Customer `json:"customer"`
	Vehicle  Vehicle  `json:"vehicle"`
	Sale     Sale     `json:"sale"`
}

// ConvertLead closes an open lead as delivered (D) and writes the customer
// (unless the lead is an existing customer's), the vehicle and the sale in
// one transaction: either all of them exist afterwards or none. Validation
// errors name fields with a "customer.", "vehicle." or "sale." prefix. It
// returns ErrLeadClosed for a converted or lost lead and
// ErrLostRequestPending while a lost request awaits a decision.
func (s *Service) ConvertLead(ctx context.Context, dealer DealerID, id LeadID, conv Conversion) (ConversionResult, error) {
	var res ConversionResult
	err := s.store.InTx(ctx, func(ctx context.Context, tx Store) error {
		now := s.Now()
		lead, err := tx.Leads().Get(ctx, dealer, id)
		if err != nil {
			return err
		}
		if err := lead.mustBeOpen(); err != nil {
			return err
		}
		if _, ok := lead.PendingLostRequest(); ok {
			return ErrLostRequestPending
		}
		d, err := tx.Dealers().Get(ctx, dealer)
		if err != nil {
			return fmt.Errorf("dealer %s: %w", dealer, err)
		}
		cust, veh, sale := s.conversionRecords(dealer, lead, conv)
		NoteAudit(ctx, string(sale.ID), string(veh.ID), string(cust.ID))
		// Check all three first, so that one answer lists every bad field.
		c := s.checker(&d)
		if lead.CustomerID == "" {
			cust.Normalize()
			collect(&c, "customer.", validate("customer", &cust))
			c.Prefix = "customer."
			cust.plausible(&c)
		}
		veh.Normalize()
		collect(&c, "vehicle.", validate("vehicle", &veh))
		c.Prefix = "vehicle."
		veh.plausible(&c)
		collect(&c, "sale.", validate("sale", &sale))
		c.Prefix = "sale."
		sale.plausible(&c)
		c.Prefix = ""
		if err := c.err("conversion"); err != nil {
			return err
		}

		ts := NewService(tx, WithClock(func() time.Time { return now }), WithIDGenerator(s.newID), WithLimits(s.limits))
		if lead.CustomerID != "" {
			cust, err = tx.Customers().Get(ctx, dealer, lead.CustomerID)
		} else {
			cust, err = ts.CreateCustomer(ctx, dealer, cust)
		}
		if err != nil {
			return err
		}
		if veh, err = ts.CreateVehicle(ctx, dealer, veh); err != nil {
			return err
		}
		if sale, err = ts.CreateSale(ctx, dealer, sale); err != nil {
			return err
		}
		before := lead.Clone()
		lead, err = tx.Leads().Update(ctx, dealer, id, func(l *Lead) error {
			if err := l.markConverted(cust.ID, sale.ID); err != nil {
				return err
			}
			l.UpdatedAt = now
			return nil
		})
		if err != nil {
			return err
		}
		if err := tx.Events().Add(ctx, LeadEvents(&before, &lead, now)...); err != nil {
			return err
		}
		res = ConversionResult{Lead: lead, Customer: cust, Vehicle: veh, Sale: sale}
		return nil
	})
	if err != nil {
		return ConversionResult{}, fmt.Errorf("crm: convert lead %s: %w", id, err)
	}
	s.leadChanged(ctx, dealer, id, &res.Lead)
	return res, nil
}

// conversionRecords builds the customer, vehicle and sale of a conversion,
// with IDs, the dealer and the links between them; fields the caller left
// empty default from the lead.
func (s *Service) conversionRecords(dealer DealerID, lead Lead, conv Conversion) (Customer, Vehicle, Sale) {
	cust := conv.Customer.Clone()
	if lead.CustomerID != "" {
		cust = Customer{ID: lead.CustomerID}
	}
	if cust.ID == "" {
		cust.ID = CustomerID(s.newID())
	}
	cust.DealerID = dealer
	if cust.Name == "" {
		cust.Name = lead.Name
	}
	if cust.Mobile == "" {
		cust.Mobile = lead.Mobile
	}
	if cust.Source == "" {
		cust.Source = lead.Source
	}
	if cust.ConsultantID == "" {
		cust.ConsultantID = lead.ConsultantID
	}

	veh := conv.Vehicle.Clone()
	if veh.ID == "" {
		veh.ID = VehicleID(s.newID())
	}
	veh.DealerID, veh.OwnerID = dealer, cust.ID
	if veh.Model == "" {
		veh.Model = lead.ModelOfInterest
	}

	sale := conv.Sale.Clone()
	if sale.ID == "" {
		sale.ID = SaleID(s.newID())
	}
	sale.DealerID, sale.VehicleID, sale.CustomerID, sale.LeadID = dealer, veh.ID, cust.ID, lead.ID
	if sale.ConsultantID == "" {
		sale.ConsultantID = lead.ConsultantID
	}
	if sale.Price.IsZero() {
		sale.Price = veh.Price
	}
	return cust, veh, sale
}

// collect moves the fields of a *ValidationError into c under prefix.
func collect(c *checker, prefix string, err error) {
	if ve, ok := asValidation(err); ok {
		for _, f := range ve.Fields {
			f.Field = prefix + f.Field
			c.Fields = append(c.Fields, f)
		}
	}
}
