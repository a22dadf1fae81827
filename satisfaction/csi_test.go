package satisfaction_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/i18n"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/satisfaction"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/language"
)

// twoIndicators: speed weighs 3 times price (0.75 / 0.25).
func twoIndicators() satisfaction.Hierarchy {
	return satisfaction.Hierarchy{ID: "h", Name: "h", Root: satisfaction.Node{ID: "goal", Comparisons: satisfaction.MatrixFromUpper(2, 3),
		Children: []satisfaction.Node{{ID: "service", Weights: []float64{1}, Children: []satisfaction.Node{{ID: "speed"}}}, {ID: "price"}}}}
}

func TestCSIWorkedNumbers(t *testing.T) {
	h := twoIndicators()
	w, err := h.Weigh()
	require.NoError(t, err)
	q := satisfaction.Questionnaire{ID: "q", Scale: satisfaction.Likert5, Items: []satisfaction.Item{{ID: "a", IndicatorID: "speed"}, {ID: "b", IndicatorID: "price"}}}
	agg, err := satisfaction.NewAggregator(q, w, satisfaction.Month, dealercrm.Date{}, dealercrm.Date{})
	require.NoError(t, err)
	// Likert 5 → 0..100: 5 = 100, 4 = 75, 3 = 50, 1 = 0.
	rs := []satisfaction.Response{
		{QuestionnaireID: "q", StaffID: "adv1", Department: satisfaction.DepartmentService, Date: dealercrm.MustParseDate("2025-01-10"),
			Answers: []satisfaction.Answer{{ItemID: "a", Value: 5}, {ItemID: "b", Value: 3}}},
		{QuestionnaireID: "q", StaffID: "adv2", Department: satisfaction.DepartmentService, Date: dealercrm.MustParseDate("2025-02-10"),
			Answers: []satisfaction.Answer{{ItemID: "b", Value: 1}, {ItemID: "a", Value: 4}}},
	}
	assert.InDelta(t, 0.75*100+0.25*50, agg.Score(&rs[0]), 1e-9, "response score 87.5")
	for i := range rs {
		agg.Add(&rs[i])
	}
	r := agg.Report()
	// speed mean (100+75)/2 = 87.5, price mean (50+0)/2 = 25; CSI = 0.75·87.5 + 0.25·25 = 71.875.
	assert.Equal(t, 71.88, r.CSI)
	assert.Equal(t, 2, r.Responses)
	assert.Equal(t, []satisfaction.Score{{Key: "adv1", CSI: 87.5, Responses: 1}, {Key: "adv2", CSI: 56.25, Responses: 1}}, r.ByStaff)
	assert.Equal(t, []satisfaction.Score{{Key: "2025-01", CSI: 87.5, Responses: 1}, {Key: "2025-02", CSI: 56.25, Responses: 1}}, r.ByPeriod)
	require.Len(t, r.Criteria, 1)
	assert.Equal(t, satisfaction.Score{Key: "service", Name: "service", CSI: 87.5, Responses: 2}, r.Criteria[0])

	p := r.Priorities(0)
	require.Len(t, p, 2)
	// speed: 0.75 × (100−87.5) = 9.375; price: 0.25 × 75 = 18.75.
	assert.Equal(t, "price", p[0].IndicatorID)
	assert.InDelta(t, 18.75, p[0].Priority, 1e-9)
	assert.Equal(t, satisfaction.LowPriority, p[0].Quadrant, "less important, below average")
	assert.Equal(t, satisfaction.KeepUp, p[1].Quadrant, "important, above average")
}

func TestQuadrants(t *testing.T) {
	r := satisfaction.Report{Indicators: []satisfaction.IndicatorScore{
		{ID: "fix", Weight: 0.4, Score: 50, Answers: 1}, {ID: "keep", Weight: 0.3, Score: 90, Answers: 1},
		{ID: "low", Weight: 0.1, Score: 40, Answers: 1}, {ID: "over", Weight: 0.2, Score: 95, Answers: 1},
	}}
	got := map[string]satisfaction.Quadrant{}
	for _, p := range r.Priorities(100) {
		got[p.IndicatorID] = p.Quadrant
	}
	assert.Equal(t, map[string]satisfaction.Quadrant{"fix": satisfaction.FixFirst, "keep": satisfaction.KeepUp,
		"low": satisfaction.LowPriority, "over": satisfaction.PossibleOverkill}, got)
}

func TestServiceClosedLoop(t *testing.T) {
	ctx := context.Background()
	crmSvc := crm.NewService(memory.New())
	dealer := crm.DealerID("D1")
	_, err := crmSvc.CreateDealer(ctx, crm.Dealer{ID: dealer, Name: "4S"})
	require.NoError(t, err)
	cust, err := crmSvc.CreateCustomer(ctx, dealer, crm.Customer{Name: "王先生", Kind: crm.Individual})
	require.NoError(t, err)
	clock := func() time.Time { return time.Date(2025, 3, 2, 8, 0, 0, 0, time.UTC) }
	svc, err := satisfaction.NewService(memory.NewSatisfactionStore(), satisfaction.WithRecords(crmSvc),
		satisfaction.WithFollowUps(satisfaction.CRMComplaints{CRM: crmSvc}), satisfaction.WithClock(clock))
	require.NoError(t, err)
	_, err = svc.CreateHierarchy(ctx, dealer, satisfaction.DefaultHierarchy())
	require.NoError(t, err)
	q, err := svc.CreateQuestionnaire(ctx, dealer, satisfaction.DefaultServiceQuestionnaire())
	require.NoError(t, err)
	happy := satisfaction.Response{ExternalID: "call-1", QuestionnaireID: q.ID, CustomerID: cust.ID, StaffID: "adv1", Date: dealercrm.MustParseDate("2025-03-01"),
		Answers: []satisfaction.Answer{{ItemID: "q1", Value: 5}, {ItemID: "q2", Value: 4}, {ItemID: "q6", Value: 5}}}
	r, err := svc.RecordResponse(ctx, dealer, happy)
	require.NoError(t, err)
	assert.Empty(t, r.FollowUp, "a satisfied customer needs no follow-up")
	assert.Equal(t, satisfaction.DepartmentService, r.Department)

	unhappy := satisfaction.Response{ExternalID: "call-2", QuestionnaireID: q.ID, CustomerID: cust.ID, StaffID: "adv2", Date: dealercrm.MustParseDate("2025-03-02"),
		Answers: []satisfaction.Answer{{ItemID: "q1", Value: 2}, {ItemID: "q5", Value: 1}, {ItemID: "q6", Value: 2}}, Comment: "收费不清楚"}
	r, err = svc.RecordResponse(ctx, dealer, unhappy)
	require.NoError(t, err)
	require.NotEmpty(t, r.FollowUp, "a score below 60 opens a follow-up")
	assert.Less(t, r.Score, 60.0)
	cp, err := crmSvc.GetComplaint(ctx, dealer, crm.ComplaintID(r.FollowUp))
	require.NoError(t, err)
	assert.Equal(t, "satisfaction survey", cp.Category)
	assert.Equal(t, crm.ComplaintOpen, cp.Status)
	assert.Contains(t, cp.Description, "收费不清楚")

	again, err := svc.RecordResponse(ctx, dealer, unhappy)
	require.NoError(t, err)
	assert.Equal(t, r.ID, again.ID, "a replayed call is not recorded twice")
	assert.Equal(t, r.FollowUp, again.FollowUp, "and opens no second complaint")
	page, err := crmSvc.ListComplaints(ctx, dealer, crm.ComplaintFilter{})
	require.NoError(t, err)
	assert.Len(t, page.Items, 1)

	_, err = svc.RecordResponse(ctx, dealer, satisfaction.Response{QuestionnaireID: q.ID, Date: dealercrm.MustParseDate("2025-03-02"),
		Answers: []satisfaction.Answer{{ItemID: "q1", Value: 7}}})
	assert.ErrorIs(t, err, dealercrm.ErrInvalid, "7 is off a 5-point scale")
	var ve *crm.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.True(t, ve.Has("answers[0].value", satisfaction.RuleRange), "%v", ve)
	_, err = svc.CreateQuestionnaire(ctx, dealer, satisfaction.Questionnaire{Name: "x", Department: satisfaction.DepartmentSales, Scale: satisfaction.NPS,
		HierarchyID: satisfaction.DefaultHierarchyID, Items: []satisfaction.Item{{ID: "i", IndicatorID: "sales"}}})
	assert.ErrorIs(t, err, dealercrm.ErrInvalid, "items must score indicators (leaves), not criteria")
	require.ErrorAs(t, err, &ve)
	assert.True(t, ve.Has("items[0].indicator_id", crm.RuleReference), "%v", ve)

	rep, err := svc.Report(ctx, dealer, q.ID, satisfaction.ReportRequest{})
	require.NoError(t, err)
	assert.Equal(t, 2, rep.Responses)
	prio, err := svc.Priorities(ctx, dealer, q.ID, satisfaction.ReportRequest{}, 0)
	require.NoError(t, err)
	assert.NotEmpty(t, prio)
}

// TestLifecycleFollowUps: with LifecycleTasks a dissatisfied answer opens
// the CR department's follow-up task (SPEC §6 → §2.2), once, never for the
// advisor the customer rated, and the daily run leaves it alone.
func TestLifecycleFollowUps(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	clock := func() time.Time { return time.Date(2025, 3, 2, 8, 0, 0, 0, time.UTC) }
	crmSvc := crm.NewService(store, crm.WithClock(clock))
	dealer := crm.DealerID("D1")
	_, err := crmSvc.CreateDealer(ctx, crm.Dealer{ID: dealer, Name: "4S"})
	require.NoError(t, err)
	cust, err := crmSvc.CreateCustomer(ctx, dealer, crm.Customer{Name: "王先生", Kind: crm.Individual, AdvisorID: "adv2"})
	require.NoError(t, err)
	lc, err := lifecycle.NewService(crmSvc, memory.NewTaskStore(), lifecycle.WithClock(clock))
	require.NoError(t, err)
	svc, err := satisfaction.NewService(memory.NewSatisfactionStore(), satisfaction.WithRecords(crmSvc),
		satisfaction.WithFollowUps(satisfaction.LifecycleTasks{Tasks: lc}), satisfaction.WithClock(clock))
	require.NoError(t, err)
	_, err = svc.CreateHierarchy(ctx, dealer, satisfaction.DefaultHierarchy())
	require.NoError(t, err)
	q, err := svc.CreateQuestionnaire(ctx, dealer, satisfaction.DefaultServiceQuestionnaire())
	require.NoError(t, err)
	unhappy := satisfaction.Response{ExternalID: "call-2", QuestionnaireID: q.ID, CustomerID: cust.ID, StaffID: "adv2", Date: dealercrm.MustParseDate("2025-03-02"),
		Answers: []satisfaction.Answer{{ItemID: "q1", Value: 2}, {ItemID: "q5", Value: 1}, {ItemID: "q6", Value: 2}}, Comment: "收费不清楚"}
	r, err := svc.RecordResponse(ctx, dealer, unhappy)
	require.NoError(t, err)
	require.NotEmpty(t, r.FollowUp)
	task, err := lc.Tasks().Get(ctx, dealer, lifecycle.TaskID(r.FollowUp))
	require.NoError(t, err)
	assert.Equal(t, lifecycle.KindSurveyFollowUp, task.Kind)
	assert.Equal(t, "survey_follow_up|ref:survey:"+string(r.ID), task.Key)
	assert.Equal(t, cust.ID, task.CustomerID)
	assert.Equal(t, lifecycle.RoleCR, task.OwnerRole)
	assert.Equal(t, crm.ChannelPhone, task.Channel)
	assert.Equal(t, "2025-03-02", task.Due.String())
	assert.Equal(t, "2025-03-03", task.WindowEnd.String(), "a two-day window")
	assert.Equal(t, crm.StaffID("adv2"), task.ExcludedStaffID, "not the advisor the customer rated")
	assert.Contains(t, task.Reason, "收费不清楚")
	assert.Equal(t, "satisfaction.follow_up.low.comment", task.ReasonCode, "low answers and a comment")
	assert.Equal(t, "收费不清楚", task.ReasonParams["comment"])
	assert.NotEmpty(t, task.ReasonParams["low"])
	assert.Equal(t, string(r.ID), task.ReasonParams["response"])
	// The clerk reads the survey's name, the score against the line (the
	// default 60) and what the customer marked low, each out of 5; never
	// the questionnaire's or the response's ID.
	zh := i18n.Default().Render(language.Chinese, task.ReasonCode, task.ReasonParams)
	// Each low answer by its indicator's name in the hierarchy.
	assert.Equal(t, "回访问卷《售后回访》得分"+task.ReasonParams["score"]+"，低于跟进线60。低分项："+
		"施工前说明 2/5; 费用清楚 1/5; 总体满意度 2/5。客户意见：收费不清楚", zh)
	assert.NotContains(t, zh, string(r.ID))
	assert.NotContains(t, task.Reason, string(r.ID), "the English text")

	// A retried follow-up (the response recorded again) finds its task.
	again, err := satisfaction.LifecycleTasks{Tasks: lc}.OpenFollowUp(ctx, satisfaction.FollowUpRequest{DealerID: dealer, ResponseID: r.ID,
		CustomerID: cust.ID, Date: r.Date, Score: r.Score, Threshold: 60})
	require.NoError(t, err)
	assert.Equal(t, r.FollowUp, again)

	// The daily run does not cancel it (the customer has no vehicle plan
	// of that kind); after its window it is overdue.
	_, err = crmSvc.CreateVehicle(ctx, dealer, crm.Vehicle{ID: "v1", VIN: "LSVAM4187C2184847", Model: "Lavida", OwnerID: cust.ID,
		DeliveryDate: dealercrm.MustParseDate("2024-01-10"), Price: decimal.NewFromInt(100000)})
	require.NoError(t, err)
	res, err := lc.Run(ctx, dealer, dealercrm.MustParseDate("2025-03-02"))
	require.NoError(t, err)
	assert.Zero(t, res.Cancelled)
	res, err = lc.Run(ctx, dealer, dealercrm.MustParseDate("2025-03-05"))
	require.NoError(t, err)
	assert.Zero(t, res.Cancelled)
	task, err = lc.Tasks().Get(ctx, dealer, lifecycle.TaskID(r.FollowUp))
	require.NoError(t, err)
	assert.Equal(t, lifecycle.StatusOverdue, task.Status)
}

// BenchmarkCSI1M aggregates 1,000,000 responses of a 30-item questionnaire
// on a 30-indicator hierarchy, in memory.
func BenchmarkCSI1M(b *testing.B) {
	root := satisfaction.Node{ID: "goal", Weights: []float64{1, 2, 3, 4, 5}}
	var items []satisfaction.Item
	for c := range 5 {
		crit := satisfaction.Node{ID: fmt.Sprintf("c%d", c), Weights: []float64{1, 1, 2, 2, 3, 3}}
		for i := range 6 {
			id := fmt.Sprintf("c%d.i%d", c, i)
			crit.Children = append(crit.Children, satisfaction.Node{ID: id})
			items = append(items, satisfaction.Item{ID: "q" + id, IndicatorID: id})
		}
		root.Children = append(root.Children, crit)
	}
	w, err := satisfaction.WeighHierarchy(root)
	if err != nil {
		b.Fatal(err)
	}
	q := satisfaction.Questionnaire{ID: "q", Scale: satisfaction.Likert10, Items: items}
	const n = 1_000_000
	rs := make([]satisfaction.Response, n)
	for i := range rs {
		r := &rs[i]
		r.QuestionnaireID = "q"
		r.StaffID = crm.StaffID(fmt.Sprintf("adv%02d", i%40))
		r.Department = satisfaction.Departments()[i%2]
		r.Date = dealercrm.NewDate(2025, time.Month(1+i%12), 1+i%28)
		r.Answers = make([]satisfaction.Answer, len(items))
		for j, it := range items {
			r.Answers[j] = satisfaction.Answer{ItemID: it.ID, Value: 1 + (i*7+j*3)%10}
		}
	}
	b.ResetTimer()
	for b.Loop() {
		agg, err := satisfaction.NewAggregator(q, w, satisfaction.Month, dealercrm.Date{}, dealercrm.Date{})
		if err != nil {
			b.Fatal(err)
		}
		for i := range rs {
			agg.Add(&rs[i])
		}
		if agg.Report().Responses != n {
			b.Fatal("lost responses")
		}
	}
}

// TestDefaultsInOneLanguage: the default hierarchy and questionnaires are
// dealer data shown as they are, so each name and question is in one
// language: Chinese by default (Han characters, no English words), English
// when asked for (no Han characters).
func TestDefaultsInOneLanguage(t *testing.T) {
	texts := func(lang string) []string {
		h := satisfaction.DefaultHierarchyIn(lang)
		out := []string{h.Name, h.Description}
		var walk func(n satisfaction.Node)
		walk = func(n satisfaction.Node) {
			out = append(out, n.Name)
			for _, c := range n.Children {
				walk(c)
			}
		}
		walk(h.Root)
		for _, q := range []satisfaction.Questionnaire{satisfaction.DefaultServiceQuestionnaireIn(lang), satisfaction.DefaultSalesQuestionnaireIn(lang)} {
			out = append(out, q.Name)
			for _, it := range q.Items {
				out = append(out, it.Text)
			}
		}
		return out
	}
	han := regexp.MustCompile(`\p{Han}`)
	word := regexp.MustCompile(`[a-z]{2,}`) // an English word; SSI, CSI, J.D. Power's initials and "4S" are names
	zh := texts("zh-CN")
	assert.Equal(t, zh, texts(""), "Chinese unless English is asked for")
	assert.Equal(t, zh, texts("ja"))
	for _, s := range zh {
		assert.Regexp(t, han, s)
		assert.NotRegexp(t, word, strings.ReplaceAll(s, "Power", ""), "no English in %q", s)
	}
	for _, s := range texts("en") {
		assert.NotRegexp(t, han, s, "no Chinese in %q", s)
		assert.NotEmpty(t, s)
	}
	assert.Equal(t, zh, texts("zh-Hans"))
	assert.Equal(t, texts("en"), texts("en-GB"))
	assert.Equal(t, texts("en"), texts("EN_us"))
	assert.Equal(t, satisfaction.DefaultHierarchy(), satisfaction.DefaultHierarchyIn("zh-CN"))
}
