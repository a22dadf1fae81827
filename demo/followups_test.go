package demo_test

import (
	"context"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/demo"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/satisfaction"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Dissatisfied answers open follow-up tasks; WorkFollowUps closes the
// season's old ones with an interaction each, leaves the last week's,
// and changes nothing when run again.
func TestWorkFollowUps(t *testing.T) {
	ctx := context.Background()
	data := demo.Generate(demo.Options{Seed: 7, Today: today, Customers: 120})
	svc := crm.NewService(memory.New())
	tasks := memory.NewTaskStore()
	lc, err := lifecycle.NewService(svc, tasks)
	require.NoError(t, err)
	sat, err := satisfaction.NewService(memory.NewSatisfactionStore(), satisfaction.WithRecords(svc), satisfaction.WithFollowUps(satisfaction.LifecycleTasks{Tasks: lc}))
	require.NoError(t, err)
	require.NoError(t, demo.Seed(ctx, svc, data))
	require.NoError(t, demo.SeedSatisfaction(ctx, svc, sat, data))

	followUps := func(dealer crm.DealerID) []lifecycle.Task {
		all, err := crm.All(ctx, func(after string) (crm.Page[lifecycle.Task], error) {
			return lc.ListTasks(ctx, dealer, lifecycle.TaskFilter{PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
		})
		require.NoError(t, err)
		var out []lifecycle.Task
		for _, tk := range all {
			if tk.Kind == lifecycle.KindSurveyFollowUp {
				out = append(out, tk)
			}
		}
		return out
	}
	dealer := data.Dealers[0].Dealer.ID
	opened := followUps(dealer)
	require.NotEmpty(t, opened, "the season's dissatisfied answers")
	require.NoError(t, demo.WorkFollowUps(ctx, lc, data))
	cutoff := today.AddDays(-demo.FollowUpGraceDays)
	done := 0
	for _, tk := range followUps(dealer) {
		if tk.Due.Before(cutoff) {
			assert.Equal(t, lifecycle.StatusDone, tk.Status, "%s due %s", tk.Key, tk.Due)
			assert.NotEmpty(t, tk.InteractionID)
			done++
		} else {
			assert.True(t, tk.Status.Active(), "%s due %s is left for the CR team", tk.Key, tk.Due)
		}
	}
	assert.Positive(t, done)
	interactions, err := crm.All(ctx, func(after string) (crm.Page[crm.Interaction], error) {
		return svc.Store().Interactions().List(ctx, dealer, crm.InteractionFilter{PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	})
	require.NoError(t, err)
	require.NoError(t, demo.WorkFollowUps(ctx, lc, data))
	again, err := crm.All(ctx, func(after string) (crm.Page[crm.Interaction], error) {
		return svc.Store().Interactions().List(ctx, dealer, crm.InteractionFilter{PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	})
	require.NoError(t, err)
	assert.Len(t, again, len(interactions), "a second run records nothing")
}
