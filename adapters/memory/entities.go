package memory

import (
	"slices"

	"github.com/dealercrm/dealercrm/crm"
)

// Schemas of the stored entities.

func recordUTC(r *crm.Record) {
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
}

var dealerSchema = &schema[crm.Dealer, crm.DealerID]{
	kind: "dealer",
	id:   func(d *crm.Dealer) *crm.DealerID { return &d.ID },
	utc:  func(d *crm.Dealer) { d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC() },
}

var customerSchema = &schema[crm.Customer, crm.CustomerID]{
	kind: "customer",
	id:   func(c *crm.Customer) *crm.CustomerID { return &c.ID },
	rec:  func(c *crm.Customer) *crm.Record { return &c.Record },
	utc: func(c *crm.Customer) {
		recordUTC(&c.Record)
		for i := range c.Consents {
			c.Consents[i].At = c.Consents[i].At.UTC()
		}
	},
}

var leadSchema = &schema[crm.Lead, crm.LeadID]{
	kind: "lead",
	id:   func(l *crm.Lead) *crm.LeadID { return &l.ID },
	rec:  func(l *crm.Lead) *crm.Record { return &l.Record },
	utc: func(l *crm.Lead) {
		recordUTC(&l.Record)
		l.LastContactAt, l.NextFollowUpAt = l.LastContactAt.UTC(), l.NextFollowUpAt.UTC()
		for i := range l.FollowUps {
			l.FollowUps[i].At = l.FollowUps[i].At.UTC()
		}
		for i := range l.LostRequests {
			r := &l.LostRequests[i]
			r.RequestedAt, r.DecidedAt = r.RequestedAt.UTC(), r.DecidedAt.UTC()
		}
	},
}

var vehicleSchema = &schema[crm.Vehicle, crm.VehicleID]{
	kind:    "vehicle",
	id:      func(v *crm.Vehicle) *crm.VehicleID { return &v.ID },
	rec:     func(v *crm.Vehicle) *crm.Record { return &v.Record },
	alt:     func(v *crm.Vehicle) string { return v.VIN },
	altName: "vin",
	utc:     func(v *crm.Vehicle) { recordUTC(&v.Record) },
}

var saleSchema = &schema[crm.Sale, crm.SaleID]{
	kind: "sale",
	id:   func(s *crm.Sale) *crm.SaleID { return &s.ID },
	rec:  func(s *crm.Sale) *crm.Record { return &s.Record },
	utc:  func(s *crm.Sale) { recordUTC(&s.Record) },
}

var serviceOrderSchema = &schema[crm.ServiceOrder, crm.ServiceOrderID]{
	kind: "service order",
	id:   func(o *crm.ServiceOrder) *crm.ServiceOrderID { return &o.ID },
	rec:  func(o *crm.ServiceOrder) *crm.Record { return &o.Record },
	utc:  func(o *crm.ServiceOrder) { recordUTC(&o.Record) },
}

var policySchema = &schema[crm.InsurancePolicy, crm.PolicyID]{
	kind: "insurance policy",
	id:   func(p *crm.InsurancePolicy) *crm.PolicyID { return &p.ID },
	rec:  func(p *crm.InsurancePolicy) *crm.Record { return &p.Record },
	utc:  func(p *crm.InsurancePolicy) { recordUTC(&p.Record) },
}

var interactionSchema = &schema[crm.Interaction, crm.InteractionID]{
	kind: "interaction",
	id:   func(i *crm.Interaction) *crm.InteractionID { return &i.ID },
	rec:  func(i *crm.Interaction) *crm.Record { return &i.Record },
	utc: func(i *crm.Interaction) {
		recordUTC(&i.Record)
		i.At = i.At.UTC()
	},
}

var complaintSchema = &schema[crm.Complaint, crm.ComplaintID]{
	kind: "complaint",
	id:   func(c *crm.Complaint) *crm.ComplaintID { return &c.ID },
	rec:  func(c *crm.Complaint) *crm.Record { return &c.Record },
	utc:  func(c *crm.Complaint) { recordUTC(&c.Record) },
}

var participationSchema = &schema[crm.EventParticipation, crm.ParticipationID]{
	kind: "event participation",
	id:   func(p *crm.EventParticipation) *crm.ParticipationID { return &p.ID },
	rec:  func(p *crm.EventParticipation) *crm.Record { return &p.Record },
	utc:  func(p *crm.EventParticipation) { recordUTC(&p.Record) },
}

// Filters. An empty filter field matches everything.

// is reports whether filter value f is empty or equal to v.
func is[T comparable](f, v T) bool {
	var zero T
	return f == zero || f == v
}

func matchDealer(d *crm.Dealer, f *crm.DealerFilter) bool { return is(f.GroupID, d.GroupID) }

func matchCustomer(c *crm.Customer, f *crm.CustomerFilter) bool {
	return is(f.Kind, c.Kind) && is(f.Mobile, c.Mobile) && is(f.IDNumber, c.IDNumber) &&
		is(f.ConsultantID, c.ConsultantID) && is(f.AdvisorID, c.AdvisorID) && f.MatchName(c.Name)
}

func matchLead(l *crm.Lead, f *crm.LeadFilter) bool {
	return is(f.Status, l.Status) &&
		(len(f.Levels) == 0 || slices.Contains(f.Levels, l.Level)) &&
		is(f.ConsultantID, l.ConsultantID) &&
		(f.CustomerID == "" || f.CustomerID == l.CustomerID || f.CustomerID == l.ReferrerID) &&
		is(f.Source, l.Source) &&
		(len(f.IDs) == 0 || slices.Contains(f.IDs, l.ID))
}

func matchVehicle(v *crm.Vehicle, f *crm.VehicleFilter) bool {
	return is(f.OwnerID, v.OwnerID) && is(f.VIN, v.VIN) && is(f.Model, v.Model) && f.MatchPlate(v.Plate)
}

func matchSale(s *crm.Sale, f *crm.SaleFilter) bool {
	return is(f.CustomerID, s.CustomerID) && is(f.VehicleID, s.VehicleID) &&
		is(f.ConsultantID, s.ConsultantID) && f.Dates.Contains(s.Date)
}

func matchServiceOrder(o *crm.ServiceOrder, f *crm.ServiceOrderFilter) bool {
	return is(f.CustomerID, o.CustomerID) && is(f.VehicleID, o.VehicleID) &&
		is(f.AdvisorID, o.AdvisorID) && is(f.Kind, o.Kind) && f.Dates.Contains(o.Date)
}

func matchPolicy(p *crm.InsurancePolicy, f *crm.PolicyFilter) bool {
	return is(f.CustomerID, p.CustomerID) && is(f.VehicleID, p.VehicleID) && f.Ends.Contains(p.End)
}

func matchInteraction(i *crm.Interaction, f *crm.InteractionFilter) bool {
	return is(f.CustomerID, i.CustomerID) && is(f.LeadID, i.LeadID) && is(f.StaffID, i.StaffID) &&
		(f.From.IsZero() || !i.At.Before(f.From)) &&
		(f.To.IsZero() || i.At.Before(f.To))
}

func matchComplaint(c *crm.Complaint, f *crm.ComplaintFilter) bool {
	return is(f.CustomerID, c.CustomerID) && is(f.Status, c.Status)
}

func matchParticipation(p *crm.EventParticipation, f *crm.ParticipationFilter) bool {
	return is(f.CustomerID, p.CustomerID) && is(f.EventID, p.EventID)
}
