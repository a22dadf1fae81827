package campaign

import (
	"context"
	"errors"
	"fmt"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// errNotEnded skips a campaign that another caller completed (or whose
// plan changed) between the listing and the update.
var errNotEnded = errors.New("campaign: not a running campaign past its end")

// CompleteEnded completes the dealer's running campaigns whose end date
// lies before asOf (the dealer's today when zero): a campaign runs through
// its end date, and the day after, it is completed — the daily
// jobs.CampaignEnd. It returns how many campaigns it completed. It is
// idempotent: a completed campaign is not running, so a second call as of
// the same day completes nothing. Campaigns in other statuses are left
// alone (an approved campaign that never ran is not completed).
func (s *Service) CompleteEnded(ctx context.Context, dealer crm.DealerID, asOf dealercrm.Date) (int, error) {
	day, err := s.asOf(ctx, dealer, asOf)
	if err != nil {
		return 0, err
	}
	if !day.Valid() {
		var c crm.Checker
		c.Add("as_of", crm.RuleRequired, "must be a valid date")
		return 0, c.Err("campaign completion")
	}
	var ended []ID
	f := Filter{Status: Running, PageRequest: crm.PageRequest{Limit: crm.MaxLimit}}
	for {
		page, err := s.store.ListCampaigns(ctx, dealer, f)
		if err != nil {
			return 0, fmt.Errorf("campaign: complete ended campaigns of %s: %w", dealer, err)
		}
		for _, c := range page.Items {
			if c.End.Before(day) {
				ended = append(ended, c.ID)
			}
		}
		if page.Next == "" {
			break
		}
		f.After = page.Next
	}
	n := 0
	for _, id := range ended {
		_, err := s.store.UpdateCampaign(ctx, dealer, id, func(c *Campaign) error {
			if c.Status != Running || !c.End.Before(day) {
				return errNotEnded
			}
			c.Status = Completed
			c.UpdatedAt = s.now().UTC()
			return nil
		})
		switch {
		case err == nil:
			n++
		case errors.Is(err, errNotEnded), errors.Is(err, dealercrm.ErrNotFound):
		default:
			return n, fmt.Errorf("campaign: complete %s: %w", id, err)
		}
	}
	return n, nil
}
