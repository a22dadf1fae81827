package crm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// PersonalData is what a package beside crm keeps about a customer: its
// part of a PIPL export and of an erasure. lifecycle, loyalty, grading,
// satisfaction and campaign services implement it; the host hands them to
// Service.AddPersonalData, so that ExportCustomer and EraseCustomer reach
// every copy of a person's data, not only the crm records.
type PersonalData interface {
	// PersonalDataSection names the package's section of an export
	// ("loyalty", "tasks"): a JSON member name, unique per service.
	PersonalDataSection() string
	// ExportCustomer returns everything the package holds about the
	// customer of dealer, as a JSON-encodable value (an empty list or
	// object when there is nothing).
	ExportCustomer(ctx context.Context, dealer DealerID, id CustomerID) (any, error)
	// EraseCustomer erases the customer's personal data the package holds
	// (free text, plates, profiles, open work for them), keeping what the
	// law or the books need in anonymised form. It is idempotent, and it
	// runs after the crm records are erased, so that a retry after a
	// failure completes the erasure.
	EraseCustomer(ctx context.Context, dealer DealerID, id CustomerID) error
}

// AddPersonalData registers the packages beside crm that keep data about
// customers, so that ExportCustomer and EraseCustomer cover them. Call it
// while wiring, before serving; a section registered twice is replaced.
func (s *Service) AddPersonalData(parts ...PersonalData) {
	s.privacyMu.Lock()
	defer s.privacyMu.Unlock()
	for _, p := range parts {
		s.privacy = slices.DeleteFunc(s.privacy, func(q PersonalData) bool {
			return q.PersonalDataSection() == p.PersonalDataSection()
		})
		s.privacy = append(s.privacy, p)
	}
}

func (s *Service) personalData() []PersonalData {
	s.privacyMu.Lock()
	defer s.privacyMu.Unlock()
	return slices.Clone(s.privacy)
}

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
	// Sections hold the other packages' data about the customer, by
	// section name (see PersonalData): with the default wiring "tasks"
	// (lifecycle), "loyalty" (membership and points ledger), "grades"
	// (grade and its history), "survey_responses" (satisfaction) and
	// "campaigns" (campaign memberships and the segment profile).
	Sections   map[string]any `json:"sections"`
	ExportedAt time.Time      `json:"exported_at"`
}

// ExportCustomer collects every record of the dealer that belongs to the
// customer (leads as customer or referrer, vehicles owned, sales, service
// orders, policies, interactions, complaints, event participations) in one
// consistent read, then each registered package's section (see
// AddPersonalData). It returns ErrNotFound for an unknown customer.
func (s *Service) ExportCustomer(ctx context.Context, dealer DealerID, id CustomerID) (CustomerExport, error) {
	out, err := s.exportRecords(ctx, dealer, id)
	if err != nil {
		return CustomerExport{}, err
	}
	out.Sections = map[string]any{}
	for _, p := range s.personalData() {
		v, err := p.ExportCustomer(ctx, dealer, id)
		if err != nil {
			return CustomerExport{}, fmt.Errorf("crm: export customer %s: %s: %w", id, p.PersonalDataSection(), err)
		}
		out.Sections[p.PersonalDataSection()] = v
	}
	return out, nil
}

func (s *Service) exportRecords(ctx context.Context, dealer DealerID, id CustomerID) (CustomerExport, error) {
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
//     becomes ErasedName, and mobile, gender, birthday and its calendar, family stage,
//     region, occupation, industry, income band, hobbies and source are
//     cleared; every consent is withdrawn (a record that says so remains).
//   - leads of the customer (as buyer or referrer): name and mobile of the
//     customer's own leads are erased, follow-up and lost-request notes
//     cleared; a referral keeps the prospect's own data but drops the link.
//   - interactions: notes cleared; complaints: descriptions cleared.
//   - vehicles keep their VIN (repair records name it) but lose their plate,
//     which identifies the person on the road.
//   - sales, service orders and insurance policies are kept as they are:
//     they carry no personal data beyond the customer reference, and
//     financial and repair records must be kept (repair records at least 6
//     years).
//
// Then each registered package erases its part (see AddPersonalData):
// open tasks are cancelled, survey comments, ledger reasons and task
// reasons that may quote the person are cleared, grades and segment
// profiles are deleted.
//
// Erasure is idempotent: after a failure part-way (a package's store
// unavailable), calling it again completes it. A host DMS that imports the
// customer again with its personal data restores it: erase it in the DMS
// too.
func (s *Service) EraseCustomer(ctx context.Context, dealer DealerID, id CustomerID) error {
	if err := s.eraseRecords(ctx, dealer, id); err != nil {
		return err
	}
	var errs []error
	for _, p := range s.personalData() {
		if err := p.EraseCustomer(ctx, dealer, id); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.PersonalDataSection(), err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("crm: erase customer %s (call again to complete it): %w", id, err)
	}
	return nil
}

func (s *Service) eraseRecords(ctx context.Context, dealer DealerID, id CustomerID) error {
	err := s.store.InTx(ctx, func(ctx context.Context, tx Store) error {
		now := s.Now()
		var before Customer
		erased, err := tx.Customers().Update(ctx, dealer, id, func(c *Customer) error {
			before = c.Clone()
			consents := c.Consents
			*c = Customer{
				ID: c.ID, Record: c.Record, Kind: c.Kind, Name: ErasedName,
				ConsultantID: c.ConsultantID, AdvisorID: c.AdvisorID, MergedInto: c.MergedInto,
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
		// Erasing again reports it again: the host may have missed it, and
		// the event names nobody.
		evs := append(ConsentEvents(&before, &erased),
			NewEvent(dealer, EventCustomerErased, EventSubject{Kind: SubjectCustomer, ID: string(id)}, now, ErasedEvent{CustomerID: id}))
		if err := tx.Events().Add(ctx, evs...); err != nil {
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
		var vehicles []Vehicle
		if err := allInto(ctx, &vehicles, func(after string) (Page[Vehicle], error) {
			return tx.Vehicles().List(ctx, dealer, VehicleFilter{OwnerID: id, PageRequest: page(after)})
		}); err != nil {
			return err
		}
		for _, v := range vehicles {
			if v.Plate == "" {
				continue
			}
			if _, err := tx.Vehicles().Update(ctx, dealer, v.ID, func(v *Vehicle) error {
				v.Plate, v.UpdatedAt = "", now
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
