package crm

import (
	"context"
	"fmt"
	"time"
)

// CustomerExport is everything dealercrm holds about one customer, for a
// data-access request under PIPL (个人信息保护法) Art. 45.
type CustomerExport struct {
	Customer       Customer             `json:"customer"`
	Leads          []Lead               `json:"leads"`
	Vehicles       []Vehicle            `json:"vehicles"`
	Sales          []Sale               `json:"sales"`
	ServiceOrders  []ServiceOrder       `json:"service_orders"`
	Policies       []InsurancePolicy    `json:"policies"`
	Interactions   []Interaction        `json:"interactions"`
	Complaints     []Complaint          `json:"complaints"`
	Participations []EventParticipation `json:"participations"`
	ExportedAt     time.Time            `json:"exported_at"`
}

// ExportCustomer collects every record of the dealer that belongs to the
// customer (leads as customer or referrer, vehicles owned, sales, service
// orders, policies, interactions, complaints, event participations) in one
// consistent read. It returns ErrNotFound for an unknown customer.
func (s *Service) ExportCustomer(ctx context.Context, dealer DealerID, id CustomerID) (CustomerExport, error) {
	var out CustomerExport
	err := s.store.InTx(ctx, func(ctx context.Context, tx Store) error {
		c, err := tx.Customers().Get(ctx, dealer, id)
		if err != nil {
			return err
		}
		out = CustomerExport{Customer: c, ExportedAt: s.Now()}
		return firstErr(
			allInto(ctx, &out.Leads, func(after string) (Page[Lead], error) {
				return tx.Leads().List(ctx, dealer, LeadFilter{CustomerID: id, PageRequest: page(after)})
			}),
			allInto(ctx, &out.Vehicles, func(after string) (Page[Vehicle], error) {
				return tx.Vehicles().List(ctx, dealer, VehicleFilter{OwnerID: id, PageRequest: page(after)})
			}),
			allInto(ctx, &out.Sales, func(after string) (Page[Sale], error) {
				return tx.Sales().List(ctx, dealer, SaleFilter{CustomerID: id, PageRequest: page(after)})
			}),
			allInto(ctx, &out.ServiceOrders, func(after string) (Page[ServiceOrder], error) {
				return tx.ServiceOrders().List(ctx, dealer, ServiceOrderFilter{CustomerID: id, PageRequest: page(after)})
			}),
			allInto(ctx, &out.Policies, func(after string) (Page[InsurancePolicy], error) {
				return tx.Policies().List(ctx, dealer, PolicyFilter{CustomerID: id, PageRequest: page(after)})
			}),
			allInto(ctx, &out.Interactions, func(after string) (Page[Interaction], error) {
				return tx.Interactions().List(ctx, dealer, InteractionFilter{CustomerID: id, PageRequest: page(after)})
			}),
			allInto(ctx, &out.Complaints, func(after string) (Page[Complaint], error) {
				return tx.Complaints().List(ctx, dealer, ComplaintFilter{CustomerID: id, PageRequest: page(after)})
			}),
			allInto(ctx, &out.Participations, func(after string) (Page[EventParticipation], error) {
				return tx.Participations().List(ctx, dealer, ParticipationFilter{CustomerID: id, PageRequest: page(after)})
			}),
		)
	})
	if err != nil {
		return CustomerExport{}, fmt.Errorf("crm: export customer %s: %w", id, err)
	}
	return out, nil
}

// allInto collects every item of a listing into out, an empty (not nil)
// slice when there is none, so exports show [] rather than null.
func allInto[T any](ctx context.Context, out *[]T, list func(after string) (Page[T], error)) error {
	v, err := All(ctx, list)
	if v == nil {
		v = []T{}
	}
	*out = v
	return err
}

// page is the PageRequest of one full-size page after a cursor.
func page(after string) PageRequest { return PageRequest{After: after, Limit: MaxLimit} }

// ErasedName replaces the name of an erased customer or lead.
const ErasedName = "(erased)"

// EraseCustomer erases the customer's personal information (PIPL Art. 47)
// in one transaction, keeping the records the law or the books still need:
//
//   - the customer keeps its ID, kind, external ID and staff in charge; name
//     becomes ErasedName, and mobile, gender, birthday, family stage,
//     region, occupation, industry, income band, hobbies and source are
//     cleared; every consent is withdrawn (a record that says so remains).
//   - leads of the customer (as buyer or referrer): name and mobile of the
//     customer's own leads are erased, follow-up and lost-request notes
//     cleared; a referral keeps the prospect's own data but drops the link.
//   - interactions: notes cleared; complaints: descriptions cleared.
//   - vehicles, sales, service orders and insurance policies are kept as
//     they are: they carry no personal data beyond the customer reference,
//     and financial and repair records must be kept (repair records at
//     least 6 years).
//
// Erasure is idempotent. A host DMS that imports the customer again with
// its personal data restores it: erase it in the DMS too.
func (s *Service) EraseCustomer(ctx context.Context, dealer DealerID, id CustomerID) error {
	err := s.store.InTx(ctx, func(ctx context.Context, tx Store) error {
		now := s.Now()
		_, err := tx.Customers().Update(ctx, dealer, id, func(c *Customer) error {
			consents := c.Consents
			*c = Customer{
				ID: c.ID, Record: c.Record, Kind: c.Kind, Name: ErasedName,
				ConsultantID: c.ConsultantID, AdvisorID: c.AdvisorID,
			}
			for _, cs := range consents {
				c.SetConsent(Consent{Purpose: cs.Purpose, Channel: cs.Channel, Granted: false, At: now, Source: "erasure"})
			}
			c.UpdatedAt = now
			return nil
		})
		if err != nil {
			return err
		}
		var leads []Lead
		if err := allInto(ctx, &leads, func(after string) (Page[Lead], error) {
			return tx.Leads().List(ctx, dealer, LeadFilter{CustomerID: id, PageRequest: page(after)})
		}); err != nil {
			return err
		}
		for _, l := range leads {
			if _, err := tx.Leads().Update(ctx, dealer, l.ID, func(l *Lead) error {
				if l.ReferrerID == id {
					l.ReferrerID = ""
				}
				if l.CustomerID == id {
					l.Name, l.Mobile = ErasedName, ""
					for i := range l.FollowUps {
						l.FollowUps[i].Note = ""
					}
					for i := range l.LostRequests {
						l.LostRequests[i].Note, l.LostRequests[i].DecisionNote = "", ""
					}
				}
				l.UpdatedAt = now
				return nil
			}); err != nil {
				return err
			}
		}
		var interactions []Interaction
		if err := allInto(ctx, &interactions, func(after string) (Page[Interaction], error) {
			return tx.Interactions().List(ctx, dealer, InteractionFilter{CustomerID: id, PageRequest: page(after)})
		}); err != nil {
			return err
		}
		for _, in := range interactions {
			if _, err := tx.Interactions().Update(ctx, dealer, in.ID, func(in *Interaction) error {
				in.Note, in.UpdatedAt = "", now
				return nil
			}); err != nil {
				return err
			}
		}
		var complaints []Complaint
		if err := allInto(ctx, &complaints, func(after string) (Page[Complaint], error) {
			return tx.Complaints().List(ctx, dealer, ComplaintFilter{CustomerID: id, PageRequest: page(after)})
		}); err != nil {
			return err
		}
		for _, cp := range complaints {
			if _, err := tx.Complaints().Update(ctx, dealer, cp.ID, func(cp *Complaint) error {
				cp.Description, cp.UpdatedAt = "", now
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("crm: erase customer %s: %w", id, err)
	}
	return nil
}
