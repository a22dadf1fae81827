package campaign

import (
	"context"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
)

// GradeLister is what campaign reads current grades through;
// *grading.Service implements it.
type GradeLister interface {
	ListStates(ctx context.Context, dealer crm.DealerID, f grading.StateFilter) (crm.Page[grading.State], error)
}

// Grades returns an AttributeSource giving each graded customer's current
// grade, for RefreshProfiles.
func Grades(g GradeLister) AttributeSource {
	return AttributeFunc(func(ctx context.Context, dealer crm.DealerID, _ dealercrm.Date, fn func(crm.CustomerID, Attributes) error) error {
		return crm.Each(ctx, func(after string) (crm.Page[grading.State], error) {
			return g.ListStates(ctx, dealer, grading.StateFilter{PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
		}, func(s *grading.State) error {
			return fn(s.CustomerID, Attributes{Grade: string(s.Grade)})
		})
	})
}
