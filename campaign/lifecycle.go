package campaign

import (
	"context"
	"slices"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
)

// StatusLister is what campaign reads lifecycle stages and abnormal
// classes through; *lifecycle.Service implements it.
type StatusLister interface {
	Statuses(ctx context.Context, dealer crm.DealerID, asOf dealercrm.Date, fn func(*lifecycle.VehicleStatus) error) error
}

// Lifecycle returns an AttributeSource giving each owner's lifecycle
// stage and abnormal classes as of the refresh date, for
// RefreshProfiles. An owner of several vehicles gets the earliest stage
// among them (the newest car: the stages' order is lifecycle.Stages())
// and the union of their abnormal classes, in lifecycle.AbnormalClasses()
// order. Vehicles without an owner are skipped.
func Lifecycle(l StatusLister) AttributeSource {
	return AttributeFunc(func(ctx context.Context, dealer crm.DealerID, asOf dealercrm.Date, fn func(crm.CustomerID, Attributes) error) error {
		type acc struct {
			stage    int // index in lifecycle.Stages(), -1 for none
			abnormal []lifecycle.AbnormalClass
		}
		stages := lifecycle.Stages()
		byOwner := map[crm.CustomerID]*acc{}
		var order []crm.CustomerID
		err := l.Statuses(ctx, dealer, asOf, func(s *lifecycle.VehicleStatus) error {
			if s.CustomerID == "" {
				return nil
			}
			a := byOwner[s.CustomerID]
			if a == nil {
				a = &acc{stage: -1}
				byOwner[s.CustomerID] = a
				order = append(order, s.CustomerID)
			}
			if i := slices.Index(stages, s.Stage.Stage); i >= 0 && (a.stage < 0 || i < a.stage) {
				a.stage = i
			}
			for _, x := range s.Abnormal {
				if !slices.Contains(a.abnormal, x.Class) {
					a.abnormal = append(a.abnormal, x.Class)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		classes := lifecycle.AbnormalClasses()
		for _, id := range order {
			a := byOwner[id]
			var attrs Attributes
			if a.stage >= 0 {
				attrs.Stage = string(stages[a.stage])
			}
			slices.SortFunc(a.abnormal, func(x, y lifecycle.AbnormalClass) int { return slices.Index(classes, x) - slices.Index(classes, y) })
			for _, x := range a.abnormal {
				attrs.Abnormal = append(attrs.Abnormal, string(x))
			}
			if err := fn(id, attrs); err != nil {
				return err
			}
		}
		return nil
	})
}
