package messages

import (
	"context"
	"fmt"
	"time"

	"github.com/dealercrm/dealercrm/crm"
)

var _ crm.PersonalData = (*Service)(nil)

// PersonalDataSection implements crm.PersonalData: "messages".
func (s *Service) PersonalDataSection() string { return "messages" }

// customerSends returns every send to the customer, in ID order.
func (s *Service) customerSends(ctx context.Context, dealer crm.DealerID, id crm.CustomerID) ([]Send, error) {
	return crm.All(ctx, func(after string) (crm.Page[Send], error) {
		return s.store.List(ctx, dealer, Filter{CustomerID: id, PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	})
}

// ExportCustomer implements crm.PersonalData: the customer's sends, with
// their recipients and parameters.
func (s *Service) ExportCustomer(ctx context.Context, dealer crm.DealerID, id crm.CustomerID) (any, error) {
	sends, err := s.customerSends(ctx, dealer, id)
	if err != nil {
		return nil, fmt.Errorf("messages: export %s: %w", id, err)
	}
	if sends == nil {
		sends = []Send{}
	}
	return sends, nil
}

// EraseCustomer implements crm.PersonalData: the customer's sends lose
// their recipient, parameters and error text (which may quote them); one
// not sent yet is refused (ReasonGone) and never sent. The records of
// what was sent when, by which template and with which result stay, for
// the books. Erasing again changes nothing.
func (s *Service) EraseCustomer(ctx context.Context, dealer crm.DealerID, id crm.CustomerID) error {
	sends, err := s.customerSends(ctx, dealer, id)
	if err != nil {
		return fmt.Errorf("messages: erase %s: %w", id, err)
	}
	now := s.clock()
	for _, snd := range sends {
		_, err := s.store.Update(ctx, dealer, snd.ID, func(x *Send) error {
			x.Recipient, x.Params, x.Error = "", nil, ""
			if x.Status == StatusQueued || x.Status == StatusHeld || x.Status == StatusFailed && !x.Next.IsZero() {
				x.Status, x.Reason, x.ReasonParams, x.Next = StatusRefused, ReasonGone, map[string]string{"customer": string(id)}, time.Time{}
			}
			x.UpdatedAt = now
			return nil
		})
		if err != nil {
			return fmt.Errorf("messages: erase %s: %w", id, err)
		}
	}
	return nil
}
