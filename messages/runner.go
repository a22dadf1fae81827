package messages

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// DayResult is what RunDay did.
type DayResult struct {
	Plan     PlanResult     `json:"plan"`
	Dispatch DispatchResult `json:"dispatch"`
}

// RunDay is the daily job of jobs.Messages: Plan for day, then Dispatch
// at the service's clock. Safe to run twice: a planned send is not
// planned again, a sent one not sent again.
func (s *Service) RunDay(ctx context.Context, dealer crm.DealerID, day dealercrm.Date) (DayResult, error) {
	var r DayResult
	var err error
	if r.Plan, err = s.Plan(ctx, dealer, day); err != nil {
		return r, err
	}
	r.Dispatch, err = s.Dispatch(ctx, dealer, s.clock())
	return r, err
}

// DefaultEvery is how often a Runner dispatches by default.
const DefaultEvery = 5 * time.Minute

// Runner dispatches every dealer's due sends in process, every Every
// (DefaultEvery when 0): the daily job plans and sends once a day, and
// the Runner sends what quiet hours held (soon after 08:00), what the
// frequency cap released and the retries of failed sends. A deployment
// of several replicas may run one in each: a send is claimed before it is
// sent (see Service.Dispatch).
type Runner struct {
	Service *Service
	Every   time.Duration
	// OnError receives each dealer's dispatch error; nil drops them after
	// logging with the service's logger.
	OnError func(dealer crm.DealerID, err error)
}

// Tick dispatches the due sends of every dealer once, at the service's
// clock, and returns the sum of what it did.
func (r *Runner) Tick(ctx context.Context) (DispatchResult, error) {
	s := r.Service
	var total DispatchResult
	var errs []error
	err := crm.Each(ctx, func(after string) (crm.Page[crm.Dealer], error) {
		return s.crm.ListDealers(ctx, crm.DealerFilter{PageRequest: crm.PageRequest{After: after}})
	}, func(d *crm.Dealer) error {
		res, err := s.Dispatch(ctx, d.ID, s.clock())
		total.Sent += res.Sent
		total.Held += res.Held
		total.Refused += res.Refused
		total.Failed += res.Failed
		if err != nil {
			if r.OnError != nil {
				r.OnError(d.ID, err)
			} else {
				s.log.ErrorContext(ctx, "messages: dispatch", "dealer", d.ID, "err", err)
			}
			errs = append(errs, fmt.Errorf("dealer %s: %w", d.ID, err))
		}
		return nil
	})
	return total, errors.Join(append(errs, err)...)
}

// Run ticks until ctx ends, then returns nil.
func (r *Runner) Run(ctx context.Context) error {
	every := r.Every
	if every <= 0 {
		every = DefaultEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		_, _ = r.Tick(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
