package grading

import (
	"context"
	"errors"
	"fmt"

	"github.com/dealercrm/dealercrm/crm"
)

// CustomerData is what grading holds about one customer, the "grades"
// section of a PIPL export (see Service.ExportCustomer).
type CustomerData struct {
	// State is the current grade with its score, top contributing metrics
	// and model; nil when the customer was never graded.
	State *State `json:"state"`
	// History are the grade changes, oldest first.
	History []Change `json:"history"`
}

var _ crm.PersonalData = (*Service)(nil)

// PersonalDataSection implements crm.PersonalData: grading's section of an
// export is "grades".
func (s *Service) PersonalDataSection() string { return "grades" }

// ExportCustomer implements crm.PersonalData: it returns the CustomerData
// of the dealer's customer (a nil state and an empty history for a
// customer never graded).
func (s *Service) ExportCustomer(ctx context.Context, dealer crm.DealerID, id crm.CustomerID) (any, error) {
	out := CustomerData{}
	st, err := s.store.GetState(ctx, dealer, id)
	switch {
	case err == nil:
		out.State = &st
	case !errors.Is(err, ErrNotFound):
		return nil, fmt.Errorf("grading: export %s: %w", id, err)
	}
	if out.History, err = s.store.History(ctx, dealer, id); err != nil {
		return nil, fmt.Errorf("grading: export %s: history: %w", id, err)
	}
	return out, nil
}

// EraseCustomer implements crm.PersonalData: it deletes the customer's
// grade and history of changes, a profile of the person (run records keep
// their counts). It is idempotent. The erased customer stays in the crm
// records, anonymised, with its sales and service orders (kept by law), so
// a later run grades it again, from scratch (its first grading, as a
// customer without history): a grade of an anonymised record.
func (s *Service) EraseCustomer(ctx context.Context, dealer crm.DealerID, id crm.CustomerID) error {
	if err := s.store.DeleteCustomer(ctx, dealer, id); err != nil {
		return fmt.Errorf("grading: erase %s: %w", id, err)
	}
	return nil
}
