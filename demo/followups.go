package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
)

// FollowUpGraceDays is how long the demo CR department takes to answer a
// dissatisfied survey: WorkFollowUps closes the follow-ups due earlier.
const FollowUpGraceDays = 7

// WorkFollowUps plays the CR department's past work on survey follow-ups
// (SeedSatisfaction opens them through satisfaction.LifecycleTasks): each
// survey_follow_up task still open and due more than FollowUpGraceDays
// before data's today gets an outcome — the customer reached on the due
// day by a CR agent of the store — so that today's list holds today's
// work rather than a season's backlog. Running it again changes nothing.
func WorkFollowUps(ctx context.Context, lc *lifecycle.Service, data Data) error {
	before := data.Options.Today.AddDays(-FollowUpGraceDays - 1)
	for _, d := range data.Dealers {
		dealer := d.Dealer.ID
		var agent crm.StaffID
		for _, s := range d.Staff {
			if s.Role == RoleCR {
				agent = s.ID
				break
			}
		}
		tasks, err := crm.All(ctx, func(after string) (crm.Page[lifecycle.Task], error) {
			return lc.ListTasks(ctx, dealer, lifecycle.TaskFilter{Statuses: []lifecycle.Status{lifecycle.StatusOpen, lifecycle.StatusOverdue},
				OwnerRole: lifecycle.RoleCR, Due: crm.DateRange{To: before}, PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
		})
		if err != nil {
			return fmt.Errorf("demo: follow-ups of %s: %w", dealer, err)
		}
		for _, t := range tasks {
			if t.Kind != lifecycle.KindSurveyFollowUp {
				continue
			}
			staff := agent
			if staff == t.ExcludedStaffID {
				staff = ""
			}
			at := t.Due.Time(d.Dealer.Location()).Add(10 * time.Hour)
			if _, _, err := lc.RecordOutcome(ctx, dealer, t.ID, lifecycle.Outcome{Outcome: crm.OutcomeReached, StaffID: staff, At: at,
				Note: "回访致歉，问题已处理 — apologised, the problem is dealt with"}); err != nil {
				return fmt.Errorf("demo: follow-up %s of %s: %w", t.Key, dealer, err)
			}
		}
	}
	return nil
}
