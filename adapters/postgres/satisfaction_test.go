package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/i18n"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/satisfaction"
	"github.com/dealercrm/dealercrm/satisfaction/satisfactiontest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/language"
)

func TestSatisfactionStore(t *testing.T) {
	satisfactiontest.RunStoreTests(t, func(t *testing.T) satisfaction.Store {
		return pgtest.NewStore(t).Satisfaction()
	})
}

func TestSatisfactionService(t *testing.T) {
	satisfactiontest.RunServiceTests(t, func(t *testing.T) (crm.Store, satisfaction.Store) {
		s := pgtest.NewStore(t)
		return s, s.Satisfaction()
	})
}

func TestSatisfactionEvents(t *testing.T) {
	satisfactiontest.RunEventTests(t, func(t *testing.T) (crm.Store, satisfaction.Store, crm.EventStore) {
		s := pgtest.NewStore(t)
		return s, s.Satisfaction(), s.EventStore()
	})
}

// TestSurveyFollowUpNameMigration runs migration 0034 over a survey
// follow-up opened before it (its reason parameters without the
// questionnaire's name): the task gets the name, and its reason reads as
// a new one's.
func TestSurveyFollowUpNameMigration(t *testing.T) {
	ctx := context.Background()
	s := pgtest.NewStore(t)
	clock := func() time.Time { return time.Date(2025, 3, 2, 8, 0, 0, 0, time.UTC) }
	crmSvc := crm.NewService(s, crm.WithClock(clock))
	d, err := crmSvc.CreateDealer(ctx, crm.Dealer{ID: crm.DealerID(dealercrm.NewID()), Name: "4S"})
	require.NoError(t, err)
	cust, err := crmSvc.CreateCustomer(ctx, d.ID, crm.Customer{Name: "王先生", Kind: crm.Individual})
	require.NoError(t, err)
	lc, err := lifecycle.NewService(crmSvc, s.LifecycleTasks(), lifecycle.WithClock(clock))
	require.NoError(t, err)
	svc, err := satisfaction.NewService(s.Satisfaction(), satisfaction.WithRecords(crmSvc),
		satisfaction.WithFollowUps(satisfaction.LifecycleTasks{Tasks: lc}), satisfaction.WithClock(clock))
	require.NoError(t, err)
	_, err = svc.CreateHierarchy(ctx, d.ID, satisfaction.DefaultHierarchy())
	require.NoError(t, err)
	q, err := svc.CreateQuestionnaire(ctx, d.ID, satisfaction.DefaultServiceQuestionnaire())
	require.NoError(t, err)
	r, err := svc.RecordResponse(ctx, d.ID, satisfaction.Response{QuestionnaireID: q.ID, CustomerID: cust.ID, Date: dealercrm.MustParseDate("2025-03-02"),
		Answers: []satisfaction.Answer{{ItemID: "q5", Value: 1}, {ItemID: "q6", Value: 2}}})
	require.NoError(t, err)
	require.NotEmpty(t, r.FollowUp)
	id := lifecycle.TaskID(r.FollowUp)
	want, err := s.LifecycleTasks().Get(ctx, d.ID, id)
	require.NoError(t, err)
	require.Equal(t, q.Name, want.ReasonParams["name"])

	// As a task opened before 0034 was stored: no name.
	_, err = pgtest.DB(t).ExecContext(ctx, "UPDATE "+s.TableName(postgres.TableLifecycleTasks)+" SET reason_params = reason_params - 'name' WHERE id = ?", string(id))
	require.NoError(t, err)
	old, err := s.LifecycleTasks().Get(ctx, d.ID, id)
	require.NoError(t, err)
	assert.Contains(t, i18n.Default().Render(language.Chinese, old.ReasonCode, old.ReasonParams), "《{name}》", "before the migration")

	for range 2 { // and again: it changes nothing the second time
		runMigration(t, s, "0034_survey_follow_up_name.tx.up.sql")
		got, err := s.LifecycleTasks().Get(ctx, d.ID, id)
		require.NoError(t, err)
		assert.Equal(t, want.ReasonParams, got.ReasonParams)
		assert.Equal(t, "回访问卷《售后回访》得分"+want.ReasonParams["score"]+"，低于跟进线60。低分项："+
			"费用清楚 1/5; 总体满意度 2/5",
			i18n.Default().Render(language.Chinese, got.ReasonCode, got.ReasonParams))
	}
}
