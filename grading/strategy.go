package grading

import (
	"context"

	"github.com/dealercrm/dealercrm/crm"
)

// Strategy is the service strategy of a grade (seed 002, 不同级别客户的服务策略):
// the benefits a customer of the grade gets and how often the CR
// department contacts it.
type Strategy struct {
	Grade    Grade    `json:"grade"`
	Benefits []string `json:"benefits"`
	// ContactMonths is the contact cadence in months.
	ContactMonths int `json:"contact_months"`
}

// DefaultStrategies returns the default strategies: A monthly with
// tailored services (pick-up and drop-off, priority booking), B quarterly
// with extra services (free wash and wax), C half-yearly with the basic
// warranty and maintenance service.
func DefaultStrategies() []Strategy {
	return []Strategy{
		{Grade: GradeA, ContactMonths: 1, Benefits: []string{"免费接送车 pick-up and drop-off", "优先预约与维修 priority booking", "专属客户经理 dedicated advisor", "VIP 活动邀请 VIP events"}},
		{Grade: GradeB, ContactMonths: 3, Benefits: []string{"免费洗车打蜡 free wash and wax", "会员积分与优惠 member points and offers"}},
		{Grade: GradeC, ContactMonths: 6, Benefits: []string{"基础保修保养 warranty and maintenance", "品牌与产品资讯 brand news"}},
	}
}

// StrategySource gives the service strategy of a customer's current grade.
// The lifecycle plan consumes it (or an interface of its own with the same
// method) to set contact cadences; *Service implements it.
type StrategySource interface {
	// StrategyFor returns the strategy of the customer's grade, or
	// ErrNotFound when the customer was never graded.
	StrategyFor(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID) (Strategy, error)
}
