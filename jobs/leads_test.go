package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/jobs"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var _ jobs.LeadRunner = (*lifecycle.Service)(nil)

// TestLeadFollowUpsJob runs the LeadFollowUps job of Defaults over a real
// lifecycle service on the memory backend, for two days after downtime:
// a walk-in of 03-08 15:00 Shanghai (no watcher registered, so only the
// job makes its task) gets its first call due 03-09, which the run of
// 03-10 finds overdue.
func TestLeadFollowUpsJob(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC)
	people := crm.NewService(memory.New(), crm.WithClock(func() time.Time { return now }))
	shop, err := people.CreateDealer(ctx, crm.Dealer{ID: "d-shanghai", Name: "Shanghai 4S", TimeZone: "Asia/Shanghai"})
	require.NoError(t, err)
	_, err = people.CreateLead(ctx, shop.ID, crm.Lead{ID: "L1", Name: "李娜", Source: crm.SourceWalkIn, ConsultantID: "S07"})
	require.NoError(t, err)
	tasks := memory.NewTaskStore()
	lc, err := lifecycle.NewService(people, tasks, lifecycle.WithClock(func() time.Time { return now }))
	require.NoError(t, err)

	defs := jobs.Defaults(jobs.Services{Leads: lc})
	require.Len(t, defs, 1, "only the services given have jobs")
	job := defs[0]
	assert.Equal(t, jobs.LeadFollowUps, job.Kind)

	runs := memory.NewRunStore()
	first, err := jobs.RunDay(ctx, runs, job, shop, dealercrm.NewDate(2026, 3, 8), 0)
	require.NoError(t, err)
	require.Len(t, first, 1)
	assert.Equal(t, jobs.Counts{"leads": 1, "tasks_created": 1, "tasks_rescheduled": 0, "tasks_closed": 0, "tasks_overdue": 0}, first[0].Counts, "03-08: the first call is made a task")
	done, err := jobs.RunDay(ctx, runs, job, shop, dealercrm.NewDate(2026, 3, 10), 0)
	require.NoError(t, err)
	require.Len(t, done, 2, "the missed 03-09 runs before 03-10")
	assert.Equal(t, jobs.Counts{"leads": 1, "tasks_created": 0, "tasks_rescheduled": 0, "tasks_closed": 0, "tasks_overdue": 0}, done[0].Counts, "03-09: the first call is due today")
	assert.Equal(t, jobs.Counts{"leads": 1, "tasks_created": 0, "tasks_rescheduled": 0, "tasks_closed": 0, "tasks_overdue": 1}, done[1].Counts, "03-10: it is overdue")

	tk, err := tasks.GetByKey(ctx, shop.ID, "lead_follow_up|lead:L1|0")
	require.NoError(t, err)
	assert.Equal(t, dealercrm.NewDate(2026, 3, 9), tk.Due)
	assert.Equal(t, lifecycle.StatusOverdue, tk.Status)
	assert.Equal(t, crm.StaffID("S07"), tk.AssigneeID)

	c, err := job.Run(ctx, shop.ID, dealercrm.NewDate(2026, 3, 10))
	require.NoError(t, err)
	assert.Equal(t, jobs.Counts{"leads": 1, "tasks_created": 0, "tasks_rescheduled": 0, "tasks_closed": 0, "tasks_overdue": 0}, c, "running the day again changes nothing")
}
