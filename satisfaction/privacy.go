package satisfaction

import (
	"context"
	"fmt"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

var _ crm.PersonalData = (*Service)(nil)

// PersonalDataSection implements crm.PersonalData: "survey_responses".
func (s *Service) PersonalDataSection() string { return "survey_responses" }

// ExportCustomer implements crm.PersonalData: every survey response of the
// dealer's customer, as a []Response in ID order (answers, comment, date,
// questionnaire, staff member, score and follow-up reference); an empty
// list when there is none. An empty customer ID is ErrInvalid.
func (s *Service) ExportCustomer(ctx context.Context, dealer crm.DealerID, id crm.CustomerID) (any, error) {
	if id == "" {
		return nil, dealercrm.Errorf(dealercrm.Invalid, "satisfaction: export: a customer ID is required")
	}
	out, err := crm.All(ctx, func(after string) (crm.Page[Response], error) {
		return s.store.ListResponses(ctx, dealer, ResponseFilter{CustomerID: id, PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	})
	if err != nil {
		return nil, fmt.Errorf("satisfaction: export customer %s: %w", id, err)
	}
	if out == nil {
		out = []Response{}
	}
	return out, nil
}

// EraseCustomer implements crm.PersonalData: it clears the free-text
// comment of every response of the dealer's customer, the only text a
// caller writes on a response, which may quote the person (a phone
// number, a complaint in their words). The responses stay, with their
// answers and scores, for the anonymised CSI statistics, and so does the
// external ID (the call centre's or DMS's record number, not personal
// data), so that a replayed call log still finds its response and does
// not record it, comment and all, a second time. The follow-up the
// response opened is erased by its own package: the lifecycle task or
// the crm complaint that quotes the comment.
//
// It is idempotent; an empty customer ID is ErrInvalid.
func (s *Service) EraseCustomer(ctx context.Context, dealer crm.DealerID, id crm.CustomerID) error {
	if id == "" {
		return dealercrm.Errorf(dealercrm.Invalid, "satisfaction: erase: a customer ID is required")
	}
	if _, err := s.store.EraseComments(ctx, dealer, id, s.stamp()); err != nil {
		return fmt.Errorf("satisfaction: erase customer %s: %w", id, err)
	}
	return nil
}
