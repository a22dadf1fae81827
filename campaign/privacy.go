package campaign

import (
	"context"
	"errors"
	"fmt"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// CustomerData is what package campaign holds about one customer: the
// "campaigns" section of a crm export (see Service.ExportCustomer).
type CustomerData struct {
	// Memberships are the customer's places in frozen audiences, in
	// campaign ID order.
	Memberships []Membership `json:"memberships"`
	// Profile is the customer's segment profile (region, hobbies, family
	// stage, birthday, consents, vehicle, derived attributes); nil when
	// there is none.
	Profile *Profile `json:"profile"`
}

// Membership is a customer's place in a campaign's frozen audience (the
// segment, channel, exclusion or holdout, and the dates of their response,
// visit and conversion with its revenue), with the campaign's name and
// status.
type Membership struct {
	Member
	CampaignName   string `json:"campaign_name"`
	CampaignStatus Status `json:"campaign_status"`
	// Invited reports whether the customer was contacted: neither
	// excluded nor in the holdout (Member.Contacted).
	Invited bool `json:"invited"`
}

var _ crm.PersonalData = (*Service)(nil)

// PersonalDataSection implements crm.PersonalData: "campaigns".
func (s *Service) PersonalDataSection() string { return "campaigns" }

// ExportCustomer implements crm.PersonalData: the customer's campaign
// memberships and segment profile, as a CustomerData. An empty customer
// ID is ErrInvalid.
func (s *Service) ExportCustomer(ctx context.Context, dealer crm.DealerID, id crm.CustomerID) (any, error) {
	if id == "" {
		return nil, dealercrm.Errorf(dealercrm.Invalid, "campaign: export: a customer ID is required")
	}
	members, err := s.store.CustomerMembers(ctx, dealer, id)
	if err != nil {
		return nil, fmt.Errorf("campaign: export customer %s: %w", id, err)
	}
	out := CustomerData{Memberships: make([]Membership, 0, len(members))}
	for _, m := range members {
		ms := Membership{Member: m, Invited: m.Contacted()}
		c, err := s.store.GetCampaign(ctx, dealer, m.CampaignID)
		switch {
		case err == nil:
			ms.CampaignName, ms.CampaignStatus = c.Name, c.Status
		case !errors.Is(err, ErrNotFound):
			return nil, fmt.Errorf("campaign: export customer %s: %w", id, err)
		}
		out.Memberships = append(out.Memberships, ms)
	}
	p, err := s.store.GetProfile(ctx, dealer, id)
	switch {
	case err == nil:
		out.Profile = &p
	case !errors.Is(err, ErrNotFound):
		return nil, fmt.Errorf("campaign: export customer %s: %w", id, err)
	}
	return out, nil
}

// EraseCustomer implements crm.PersonalData: it deletes the customer's
// segment profile, the snapshot of their crm record (region, hobbies,
// family stage, birthday, occupation) that RefreshProfiles stored. The
// next RefreshProfiles builds a new one from the erased crm record: none
// of those attributes and no consent, only what the kept records and the
// other packages give (the vehicle model and dates, the last visit, the
// lifecycle stage). A refresh that read the crm records before the
// erasure and writes after it may store the old profile again, until the
// next refresh replaces it (erasing again removes it at once).
//
// Memberships stay as they are: they hold no free text and nothing that
// names the person (a target name of the dealer's, a channel, an
// exclusion reason, the holdout flag, dates and revenue), and they are
// the funnel counts and revenue of the campaign reports, records the
// books need. It is idempotent; an empty customer ID is ErrInvalid.
func (s *Service) EraseCustomer(ctx context.Context, dealer crm.DealerID, id crm.CustomerID) error {
	if id == "" {
		return dealercrm.Errorf(dealercrm.Invalid, "campaign: erase: a customer ID is required")
	}
	if err := s.store.DeleteProfile(ctx, dealer, id); err != nil {
		return fmt.Errorf("campaign: erase customer %s: %w", id, err)
	}
	return nil
}
