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
			all(ctx, tx.Leads(), dealer, LeadFilter{CustomerID: id}, pageOf[LeadFilter], &out.Leads),
			all(ctx, tx.Vehicles(), dealer, VehicleFilter{OwnerID: id}, pageOf[VehicleFilter], &out.Vehicles),
			all(ctx, tx.Sales(), dealer, SaleFilter{CustomerID: id}, pageOf[SaleFilter], &out.Sales),
			all(ctx, tx.ServiceOrders(), dealer, ServiceOrderFilter{CustomerID: id}, pageOf[ServiceOrderFilter], &out.ServiceOrders),
			all(ctx, tx.Policies(), dealer, PolicyFilter{CustomerID: id}, pageOf[PolicyFilter], &out.Policies),
			all(ctx, tx.Interactions(), dealer, InteractionFilter{CustomerID: id}, pageOf[InteractionFilter], &out.Interactions),
			all(ctx, tx.Complaints(), dealer, ComplaintFilter{CustomerID: id}, pageOf[ComplaintFilter], &out.Complaints),
			all(ctx, tx.Participations(), dealer, ParticipationFilter{CustomerID: id}, pageOf[ParticipationFilter], &out.Participations),
		)
	})
	if err != nil {
		return CustomerExport{}, fmt.Errorf("crm: export customer %s: %w", id, err)
	}
	return out, nil
}

// pageOf reaches the PageRequest embedded in a filter.
func pageOf[F any](f *F) *PageRequest {
	switch f := any(f).(type) {
	case *LeadFilter:
		return &f.PageRequest
	case *VehicleFilter:
		return &f.PageRequest
	case *SaleFilter:
		return &f.PageRequest
	case *ServiceOrderFilter:
		return &f.PageRequest
	case *PolicyFilter:
		return &f.PageRequest
	case *InteractionFilter:
		return &f.PageRequest
	case *ComplaintFilter:
		return &f.PageRequest
	case *ParticipationFilter:
		return &f.PageRequest
	case *CustomerFilter:
		return &f.PageRequest
	}
	panic(fmt.Sprintf("crm: %T has no PageRequest", f))
}

// all appends every record matching f to out, walking the pages.
func all[T any, ID ~string, F any](ctx context.Context, repo Repository[T, ID, F], dealer DealerID, f F, page func(*F) *PageRequest, out *[]T) error {
	page(&f).Limit = MaxLimit
	*out = []T{}
	for {
		p, err := repo.List(ctx, dealer, f)
		if err != nil {
			return err
		}
		*out = append(*out, p.Items...)
		if p.Next == "" {
			return nil
		}
		page(&f).After = p.Next
	}
}

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
		if err := all(ctx, tx.Leads(), dealer, LeadFilter{CustomerID: id}, pageOf[LeadFilter], &leads); err != nil {
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
		if err := all(ctx, tx.Interactions(), dealer, InteractionFilter{CustomerID: id}, pageOf[InteractionFilter], &interactions); err != nil {
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
		if err := all(ctx, tx.Complaints(), dealer, ComplaintFilter{CustomerID: id}, pageOf[ComplaintFilter], &complaints); err != nil {
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
