package crm

import "context"

// CreateCustomer validates v and stores it as a new customer of dealer, with a
// new ID unless v brings one. It returns a *ValidationError listing every bad
// field (including references to records that do not exist), ErrNotFound when
// the dealer does not exist, and ErrConflict when a unique key is taken.
func (s *Service) CreateCustomer(ctx context.Context, dealer DealerID, v Customer) (Customer, error) {
	v = v.Clone()
	return create(ctx, s, customerKind, dealer, &v)
}

// GetCustomer returns the customer, or ErrNotFound.
func (s *Service) GetCustomer(ctx context.Context, dealer DealerID, id CustomerID) (Customer, error) {
	return get(ctx, s, customerKind, dealer, id)
}

// UpdateCustomer applies fn to the stored customer and saves the result atomically
// after validating it again. ID, dealer and creation time cannot be changed.
// It returns fn's error as it is, ErrNotFound, a *ValidationError or
// ErrConflict.
func (s *Service) UpdateCustomer(ctx context.Context, dealer DealerID, id CustomerID, fn func(*Customer) error) (Customer, error) {
	return update(ctx, s, customerKind, dealer, id, fn)
}

// DeleteCustomer removes the customer, or returns ErrNotFound.
func (s *Service) DeleteCustomer(ctx context.Context, dealer DealerID, id CustomerID) error {
	return remove(ctx, s, customerKind, dealer, id)
}

// ListCustomers returns one page of the dealer's customer records matching f.
func (s *Service) ListCustomers(ctx context.Context, dealer DealerID, f CustomerFilter) (Page[Customer], error) {
	return list(ctx, s, customerKind, dealer, f)
}

// CreateLead validates v and stores it as a new lead of dealer, with a
// new ID unless v brings one. It returns a *ValidationError listing every bad
// field (including references to records that do not exist), ErrNotFound when
// the dealer does not exist, and ErrConflict when a unique key is taken.
//
// A new lead starts at level N unless it brings another open level, and gets
// its first follow-up scheduled (see Lead.ScheduleFirst). Its level, status,
// follow-ups and lost requests change only through SetLeadLevel,
// LogFollowUp, RequestLost, DecideLost and ConvertLead.
func (s *Service) CreateLead(ctx context.Context, dealer DealerID, v Lead) (Lead, error) {
	v = v.Clone()
	l, err := create(ctx, s, leadKind, dealer, &v)
	return s.watched(ctx, dealer, l, err)
}

// GetLead returns the lead, or ErrNotFound.
func (s *Service) GetLead(ctx context.Context, dealer DealerID, id LeadID) (Lead, error) {
	return get(ctx, s, leadKind, dealer, id)
}

// UpdateLead applies fn to the stored lead and saves the result atomically
// after validating it again. ID, dealer and creation time cannot be changed.
// It returns fn's error as it is, ErrNotFound, a *ValidationError or
// ErrConflict.
func (s *Service) UpdateLead(ctx context.Context, dealer DealerID, id LeadID, fn func(*Lead) error) (Lead, error) {
	l, err := update(ctx, s, leadKind, dealer, id, fn)
	return s.watched(ctx, dealer, l, err)
}

// DeleteLead removes the lead, or returns ErrNotFound.
func (s *Service) DeleteLead(ctx context.Context, dealer DealerID, id LeadID) error {
	err := remove(ctx, s, leadKind, dealer, id)
	if err == nil {
		s.leadChanged(ctx, dealer, id, nil)
	}
	return err
}

// ListLeads returns one page of the dealer's lead records matching f.
func (s *Service) ListLeads(ctx context.Context, dealer DealerID, f LeadFilter) (Page[Lead], error) {
	return list(ctx, s, leadKind, dealer, f)
}

// CreateVehicle validates v and stores it as a new vehicle of dealer, with a
// new ID unless v brings one. It returns a *ValidationError listing every bad
// field (including references to records that do not exist), ErrNotFound when
// the dealer does not exist, and ErrConflict when a unique key is taken.
func (s *Service) CreateVehicle(ctx context.Context, dealer DealerID, v Vehicle) (Vehicle, error) {
	v = v.Clone()
	return create(ctx, s, vehicleKind, dealer, &v)
}

// GetVehicle returns the vehicle, or ErrNotFound.
func (s *Service) GetVehicle(ctx context.Context, dealer DealerID, id VehicleID) (Vehicle, error) {
	return get(ctx, s, vehicleKind, dealer, id)
}

// UpdateVehicle applies fn to the stored vehicle and saves the result atomically
// after validating it again. ID, dealer and creation time cannot be changed.
// It returns fn's error as it is, ErrNotFound, a *ValidationError or
// ErrConflict.
func (s *Service) UpdateVehicle(ctx context.Context, dealer DealerID, id VehicleID, fn func(*Vehicle) error) (Vehicle, error) {
	return update(ctx, s, vehicleKind, dealer, id, fn)
}

// DeleteVehicle removes the vehicle, or returns ErrNotFound.
func (s *Service) DeleteVehicle(ctx context.Context, dealer DealerID, id VehicleID) error {
	return remove(ctx, s, vehicleKind, dealer, id)
}

// ListVehicles returns one page of the dealer's vehicle records matching f.
func (s *Service) ListVehicles(ctx context.Context, dealer DealerID, f VehicleFilter) (Page[Vehicle], error) {
	return list(ctx, s, vehicleKind, dealer, f)
}

// CreateSale validates v and stores it as a new sale of dealer, with a
// new ID unless v brings one. It returns a *ValidationError listing every bad
// field (including references to records that do not exist), ErrNotFound when
// the dealer does not exist, and ErrConflict when a unique key is taken.
func (s *Service) CreateSale(ctx context.Context, dealer DealerID, v Sale) (Sale, error) {
	v = v.Clone()
	return create(ctx, s, saleKind, dealer, &v)
}

// GetSale returns the sale, or ErrNotFound.
func (s *Service) GetSale(ctx context.Context, dealer DealerID, id SaleID) (Sale, error) {
	return get(ctx, s, saleKind, dealer, id)
}

// UpdateSale applies fn to the stored sale and saves the result atomically
// after validating it again. ID, dealer and creation time cannot be changed.
// It returns fn's error as it is, ErrNotFound, a *ValidationError or
// ErrConflict.
func (s *Service) UpdateSale(ctx context.Context, dealer DealerID, id SaleID, fn func(*Sale) error) (Sale, error) {
	return update(ctx, s, saleKind, dealer, id, fn)
}

// DeleteSale removes the sale, or returns ErrNotFound.
func (s *Service) DeleteSale(ctx context.Context, dealer DealerID, id SaleID) error {
	return remove(ctx, s, saleKind, dealer, id)
}

// ListSales returns one page of the dealer's sale records matching f.
func (s *Service) ListSales(ctx context.Context, dealer DealerID, f SaleFilter) (Page[Sale], error) {
	return list(ctx, s, saleKind, dealer, f)
}

// CreateServiceOrder validates v and stores it as a new service order of dealer, with a
// new ID unless v brings one. It returns a *ValidationError listing every bad
// field (including references to records that do not exist), ErrNotFound when
// the dealer does not exist, and ErrConflict when a unique key is taken.
func (s *Service) CreateServiceOrder(ctx context.Context, dealer DealerID, v ServiceOrder) (ServiceOrder, error) {
	v = v.Clone()
	return create(ctx, s, serviceOrderKind, dealer, &v)
}

// GetServiceOrder returns the service order, or ErrNotFound.
func (s *Service) GetServiceOrder(ctx context.Context, dealer DealerID, id ServiceOrderID) (ServiceOrder, error) {
	return get(ctx, s, serviceOrderKind, dealer, id)
}

// UpdateServiceOrder applies fn to the stored service order and saves the result atomically
// after validating it again. ID, dealer and creation time cannot be changed.
// It returns fn's error as it is, ErrNotFound, a *ValidationError or
// ErrConflict.
func (s *Service) UpdateServiceOrder(ctx context.Context, dealer DealerID, id ServiceOrderID, fn func(*ServiceOrder) error) (ServiceOrder, error) {
	return update(ctx, s, serviceOrderKind, dealer, id, fn)
}

// DeleteServiceOrder removes the service order, or returns ErrNotFound.
func (s *Service) DeleteServiceOrder(ctx context.Context, dealer DealerID, id ServiceOrderID) error {
	return remove(ctx, s, serviceOrderKind, dealer, id)
}

// ListServiceOrders returns one page of the dealer's service order records matching f.
func (s *Service) ListServiceOrders(ctx context.Context, dealer DealerID, f ServiceOrderFilter) (Page[ServiceOrder], error) {
	return list(ctx, s, serviceOrderKind, dealer, f)
}

// CreateInsurancePolicy validates v and stores it as an new insurance policy of dealer, with a
// new ID unless v brings one. It returns a *ValidationError listing every bad
// field (including references to records that do not exist), ErrNotFound when
// the dealer does not exist, and ErrConflict when a unique key is taken.
func (s *Service) CreateInsurancePolicy(ctx context.Context, dealer DealerID, v InsurancePolicy) (InsurancePolicy, error) {
	v = v.Clone()
	return create(ctx, s, policyKind, dealer, &v)
}

// GetInsurancePolicy returns the insurance policy, or ErrNotFound.
func (s *Service) GetInsurancePolicy(ctx context.Context, dealer DealerID, id PolicyID) (InsurancePolicy, error) {
	return get(ctx, s, policyKind, dealer, id)
}

// UpdateInsurancePolicy applies fn to the stored insurance policy and saves the result atomically
// after validating it again. ID, dealer and creation time cannot be changed.
// It returns fn's error as it is, ErrNotFound, a *ValidationError or
// ErrConflict.
func (s *Service) UpdateInsurancePolicy(ctx context.Context, dealer DealerID, id PolicyID, fn func(*InsurancePolicy) error) (InsurancePolicy, error) {
	return update(ctx, s, policyKind, dealer, id, fn)
}

// DeleteInsurancePolicy removes the insurance policy, or returns ErrNotFound.
func (s *Service) DeleteInsurancePolicy(ctx context.Context, dealer DealerID, id PolicyID) error {
	return remove(ctx, s, policyKind, dealer, id)
}

// ListInsurancePolicies returns one page of the dealer's insurance policy records matching f.
func (s *Service) ListInsurancePolicies(ctx context.Context, dealer DealerID, f PolicyFilter) (Page[InsurancePolicy], error) {
	return list(ctx, s, policyKind, dealer, f)
}

// CreateInteraction validates v and stores it as an new interaction of dealer, with a
// new ID unless v brings one. It returns a *ValidationError listing every bad
// field (including references to records that do not exist), ErrNotFound when
// the dealer does not exist, and ErrConflict when a unique key is taken.
func (s *Service) CreateInteraction(ctx context.Context, dealer DealerID, v Interaction) (Interaction, error) {
	v = v.Clone()
	return create(ctx, s, interactionKind, dealer, &v)
}

// GetInteraction returns the interaction, or ErrNotFound.
func (s *Service) GetInteraction(ctx context.Context, dealer DealerID, id InteractionID) (Interaction, error) {
	return get(ctx, s, interactionKind, dealer, id)
}

// UpdateInteraction applies fn to the stored interaction and saves the result atomically
// after validating it again. ID, dealer and creation time cannot be changed.
// It returns fn's error as it is, ErrNotFound, a *ValidationError or
// ErrConflict.
func (s *Service) UpdateInteraction(ctx context.Context, dealer DealerID, id InteractionID, fn func(*Interaction) error) (Interaction, error) {
	return update(ctx, s, interactionKind, dealer, id, fn)
}

// DeleteInteraction removes the interaction, or returns ErrNotFound.
func (s *Service) DeleteInteraction(ctx context.Context, dealer DealerID, id InteractionID) error {
	return remove(ctx, s, interactionKind, dealer, id)
}

// ListInteractions returns one page of the dealer's interaction records matching f.
func (s *Service) ListInteractions(ctx context.Context, dealer DealerID, f InteractionFilter) (Page[Interaction], error) {
	return list(ctx, s, interactionKind, dealer, f)
}

// CreateComplaint validates v and stores it as a new complaint of dealer, with a
// new ID unless v brings one. It returns a *ValidationError listing every bad
// field (including references to records that do not exist), ErrNotFound when
// the dealer does not exist, and ErrConflict when a unique key is taken.
func (s *Service) CreateComplaint(ctx context.Context, dealer DealerID, v Complaint) (Complaint, error) {
	v = v.Clone()
	return create(ctx, s, complaintKind, dealer, &v)
}

// GetComplaint returns the complaint, or ErrNotFound.
func (s *Service) GetComplaint(ctx context.Context, dealer DealerID, id ComplaintID) (Complaint, error) {
	return get(ctx, s, complaintKind, dealer, id)
}

// UpdateComplaint applies fn to the stored complaint and saves the result atomically
// after validating it again. ID, dealer and creation time cannot be changed.
// It returns fn's error as it is, ErrNotFound, a *ValidationError or
// ErrConflict.
//
// Status changes follow the complaint state machine (ComplaintStatus.CanMove).
func (s *Service) UpdateComplaint(ctx context.Context, dealer DealerID, id ComplaintID, fn func(*Complaint) error) (Complaint, error) {
	return update(ctx, s, complaintKind, dealer, id, fn)
}

// DeleteComplaint removes the complaint, or returns ErrNotFound.
func (s *Service) DeleteComplaint(ctx context.Context, dealer DealerID, id ComplaintID) error {
	return remove(ctx, s, complaintKind, dealer, id)
}

// ListComplaints returns one page of the dealer's complaint records matching f.
func (s *Service) ListComplaints(ctx context.Context, dealer DealerID, f ComplaintFilter) (Page[Complaint], error) {
	return list(ctx, s, complaintKind, dealer, f)
}

// CreateEventParticipation validates v and stores it as an new event participation of dealer, with a
// new ID unless v brings one. It returns a *ValidationError listing every bad
// field (including references to records that do not exist), ErrNotFound when
// the dealer does not exist, and ErrConflict when a unique key is taken.
func (s *Service) CreateEventParticipation(ctx context.Context, dealer DealerID, v EventParticipation) (EventParticipation, error) {
	v = v.Clone()
	return create(ctx, s, participationKind, dealer, &v)
}

// GetEventParticipation returns the event participation, or ErrNotFound.
func (s *Service) GetEventParticipation(ctx context.Context, dealer DealerID, id ParticipationID) (EventParticipation, error) {
	return get(ctx, s, participationKind, dealer, id)
}

// UpdateEventParticipation applies fn to the stored event participation and saves the result atomically
// after validating it again. ID, dealer and creation time cannot be changed.
// It returns fn's error as it is, ErrNotFound, a *ValidationError or
// ErrConflict.
func (s *Service) UpdateEventParticipation(ctx context.Context, dealer DealerID, id ParticipationID, fn func(*EventParticipation) error) (EventParticipation, error) {
	return update(ctx, s, participationKind, dealer, id, fn)
}

// DeleteEventParticipation removes the event participation, or returns ErrNotFound.
func (s *Service) DeleteEventParticipation(ctx context.Context, dealer DealerID, id ParticipationID) error {
	return remove(ctx, s, participationKind, dealer, id)
}

// ListEventParticipations returns one page of the dealer's event participation records matching f.
func (s *Service) ListEventParticipations(ctx context.Context, dealer DealerID, f ParticipationFilter) (Page[EventParticipation], error) {
	return list(ctx, s, participationKind, dealer, f)
}
