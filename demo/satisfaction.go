package demo

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/satisfaction"
)

// streamSurvey is the random stream of a store's survey season, apart from
// the streams of Generate so that the crm data does not depend on it.
const streamSurvey = 4

// SurveySeasonMonths is how far back before Options.Today the demo survey
// season starts.
const SurveySeasonMonths = 3

// DealerSurveys is the return-visit survey season of one demo store: the
// default hierarchy, its two call questionnaires and the responses.
type DealerSurveys struct {
	DealerID crm.DealerID `json:"dealer_id"`
	// Hierarchy is satisfaction.DefaultHierarchy.
	Hierarchy satisfaction.Hierarchy `json:"hierarchy"`
	// Questionnaires are the post-service call (售后回访) and the delivery
	// call (交车回访) questionnaires of the default hierarchy.
	Questionnaires []satisfaction.Questionnaire `json:"questionnaires"`
	// Responses are the calls of the season, in date order within each
	// questionnaire. Like the crm batch, CustomerID, SaleID and
	// ServiceOrderID hold external IDs ("SH01-RO-000123"); SeedSatisfaction
	// resolves them. ExternalID ("SH01-CS-RO-000123") makes recording them
	// idempotent.
	Responses []satisfaction.Response `json:"responses"`
}

// Surveys returns the demo survey season of data: for each store, a
// return-visit call after most service orders closed and most sales made
// in the SurveySeasonMonths before Options.Today, answered on the default
// questionnaires. Answers depend on the advisor or consultant — some staff
// are clearly better than others — with a few dissatisfied customers whose
// low answers open complaint follow-ups when seeded. It is pure and
// deterministic: the same Data gives the same surveys.
func Surveys(data Data) []DealerSurveys {
	opts := data.Options.withDefaults()
	from, to := opts.Today.AddMonths(-SurveySeasonMonths), opts.Today.AddDays(-1)
	out := make([]DealerSurveys, 0, len(data.Dealers))
	for i, d := range data.Dealers {
		r := newRnd(opts.Seed, i, streamSurvey, 0)
		svcQ, salesQ := satisfaction.DefaultServiceQuestionnaire(), satisfaction.DefaultSalesQuestionnaire()
		ds := DealerSurveys{DealerID: d.Dealer.ID, Hierarchy: satisfaction.DefaultHierarchy(),
			Questionnaires: []satisfaction.Questionnaire{svcQ, salesQ}}
		skill := staffSkill(r, d.Staff)
		call := func(q *satisfaction.Questionnaire, kind, ext string, customer crm.CustomerID, staff crm.StaffID, done date, delay int) *satisfaction.Response {
			day := done.AddDays(delay)
			if day.Before(from) || day.After(to) || customer == "" {
				return nil
			}
			resp := satisfaction.Response{ExternalID: d.Code + "-CS-" + ext, QuestionnaireID: q.ID,
				CustomerID: customer, StaffID: staff, Date: day}
			// A few customers are unhappy with the whole visit, whoever
			// served them; the rest answer around their staff member's level.
			mean := 4.35 + skill[staff]
			if r.pct(5) {
				mean = 2.2
			}
			for k, it := range q.Items {
				v := mean + itemBias[kind][k] + r.r.NormFloat64()*0.45
				resp.Answers = append(resp.Answers, satisfaction.Answer{ItemID: it.ID, Value: int(min(5, max(1, math.Round(v))))})
			}
			if low := lowest(resp.Answers); low <= 2 {
				resp.Comment = pick(r, lowComments[kind])
			} else if r.pct(8) {
				resp.Comment = pick(r, praise[kind])
			}
			return &resp
		}
		for _, o := range d.Batch.ServiceOrders {
			if o.ClosedDate.IsZero() || !r.pct(70) {
				continue
			}
			if resp := call(&svcQ, "service", o.ExternalID, o.CustomerID, o.AdvisorID, o.ClosedDate, r.between(1, 3)); resp != nil {
				resp.ServiceOrderID = crm.ServiceOrderID(o.ExternalID)
				ds.Responses = append(ds.Responses, *resp)
			}
		}
		for _, s := range d.Batch.Sales {
			if !r.pct(85) {
				continue
			}
			if resp := call(&salesQ, "sales", s.ExternalID, s.CustomerID, s.ConsultantID, s.Date, r.between(3, 7)); resp != nil {
				resp.SaleID = crm.SaleID(s.ExternalID)
				ds.Responses = append(ds.Responses, *resp)
			}
		}
		out = append(out, ds)
	}
	return out
}

// staffSkill gives each advisor and consultant an offset to the mean
// answer: most a little above or below it, one of each role clearly better
// and one clearly worse, so that the breakdown by staff tells them apart.
func staffSkill(r rnd, staff []Staff) map[crm.StaffID]float64 {
	out := map[crm.StaffID]float64{}
	seen := map[Role]int{}
	for _, s := range staff {
		if s.Role != RoleAdvisor && s.Role != RoleConsultant {
			continue
		}
		switch seen[s.Role] {
		case 0:
			out[s.ID] = 0.45
		case 1:
			out[s.ID] = -0.6
		default:
			out[s.ID] = float64(r.between(-3, 3)) / 10
		}
		seen[s.Role]++
	}
	return out
}

func lowest(as []satisfaction.Answer) int {
	low := math.MaxInt
	for _, a := range as {
		low = min(low, a.Value)
	}
	return low
}

// itemBias shifts each item of the default questionnaires: customers rate
// price clarity and on-time delivery lower than courtesy, as return-visit
// surveys usually find.
var itemBias = map[string][]float64{
	// explanation, reception speed, fixed right, on time, price clarity, overall
	"service": {0, 0.1, 0.05, -0.3, -0.45, 0},
	// delivered on time, features explained, price transparency, knowledge, greeting, overall
	"sales": {-0.2, 0.1, -0.4, 0.15, 0.2, 0},
}

var lowComments = map[string][]string{
	"service": {"结算时多了一项没有提前说明的费用。", "等了很久才有人接待。", "说好下午四点交车,结果拖到晚上。", "同样的异响第二次来修了。", "服务顾问态度比较敷衍。"},
	"sales":   {"交车比约定晚了一周。", "价格和当初谈的不一致,多收了上牌费。", "交车时功能没讲清楚,车机都不会用。", "销售顾问回复消息很慢。"},
}

var praise = map[string][]string{
	"service": {"服务顾问很专业,解释得很清楚。", "休息区很舒服,洗车也很干净。"},
	"sales":   {"销售顾问很耐心,试驾安排得很好。", "交车仪式很用心。"},
}

// SeedSatisfaction writes the survey season of data (see Surveys) through
// svc, after Seed has imported data through crmSvc: for each store it
// creates the default hierarchy and questionnaires unless they exist, and
// records each response with its external references resolved to the
// imported records. svc replays responses by external ID, so seeding again
// changes nothing, and a dissatisfied response opens its follow-up once.
//
// Errors: a reference that was not imported (Seed was not run) is
// ErrNotFound; the services' errors otherwise.
func SeedSatisfaction(ctx context.Context, crmSvc *crm.Service, svc *satisfaction.Service, data Data) error {
	store := crmSvc.Store()
	for _, ds := range Surveys(data) {
		dealer := ds.DealerID
		wrap := func(err error) error { return fmt.Errorf("demo: seed surveys of dealer %s: %w", dealer, err) }
		if _, err := svc.GetHierarchy(ctx, dealer, ds.Hierarchy.ID); errors.Is(err, satisfaction.ErrNotFound) {
			if _, err := svc.CreateHierarchy(ctx, dealer, ds.Hierarchy); err != nil && !errors.Is(err, satisfaction.ErrConflict) {
				return wrap(err)
			}
		} else if err != nil {
			return wrap(err)
		}
		for _, q := range ds.Questionnaires {
			if _, err := svc.GetQuestionnaire(ctx, dealer, q.ID); errors.Is(err, satisfaction.ErrNotFound) {
				if _, err := svc.CreateQuestionnaire(ctx, dealer, q); err != nil && !errors.Is(err, satisfaction.ErrConflict) {
					return wrap(err)
				}
			} else if err != nil {
				return wrap(err)
			}
		}
		for _, resp := range ds.Responses {
			c, err := store.Customers().GetByExternalID(ctx, dealer, string(resp.CustomerID))
			if err != nil {
				return wrap(fmt.Errorf("customer %s: %w", resp.CustomerID, err))
			}
			resp.CustomerID = c.ID
			if resp.ServiceOrderID != "" {
				o, err := store.ServiceOrders().GetByExternalID(ctx, dealer, string(resp.ServiceOrderID))
				if err != nil {
					return wrap(fmt.Errorf("service order %s: %w", resp.ServiceOrderID, err))
				}
				resp.ServiceOrderID = o.ID
			}
			if resp.SaleID != "" {
				s, err := store.Sales().GetByExternalID(ctx, dealer, string(resp.SaleID))
				if err != nil {
					return wrap(fmt.Errorf("sale %s: %w", resp.SaleID, err))
				}
				resp.SaleID = s.ID
			}
			if _, err := svc.RecordResponse(ctx, dealer, resp); err != nil {
				return wrap(fmt.Errorf("response %s: %w", resp.ExternalID, err))
			}
		}
	}
	return nil
}
