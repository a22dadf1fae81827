package lifecycle_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunDescribesTasks: the daily run keeps on each active task what the
// call list shows of its subject. A car delivered 2025-03-01, first
// maintenance on 2025-08-01 at 4,800 km, a repair on 2026-03-10 and a
// maintenance on 2026-03-20: on 2026-03-12 it is in early use (first
// maintenance done, under 2 years / 50,000 km), last visit 2026-03-10 —
// on its post-service call, on a follow-up opened before the run and on
// the owner's birthday care, which has no vehicle; a second run that day
// writes nothing; on 2026-03-21 the last visit is 2026-03-20, and the
// tasks are written again for it.
func TestRunDescribesTasks(t *testing.T) {
	f := newFixture(t)
	c := *consenting("c1")
	c.DealerID, c.Birthday = "d1", date("1980-03-13")
	_, err := f.crm.CreateCustomer(f.ctx, "d1", c)
	require.NoError(t, err)
	f.vehicle(t, "v1", "c1", "2025-03-01")
	for _, o := range []crm.ServiceOrder{
		{ID: "o1", Date: date("2025-08-01"), OdometerKM: 4800, Kind: crm.ServiceFirstMaintenance, Payer: crm.PayerManufacturer},
		{ID: "o2", Date: date("2026-03-10"), OdometerKM: 15000, Kind: crm.ServiceRepair, Payer: crm.PayerCustomer},
		{ID: "o3", Date: date("2026-03-20"), OdometerKM: 17000, Kind: crm.ServiceMaintenance, Payer: crm.PayerCustomer},
	} {
		o.Record, o.VehicleID, o.CustomerID, o.ClosedDate = crm.Record{DealerID: "d1"}, "v1", "c1", o.Date
		_, err = f.crm.CreateServiceOrder(f.ctx, "d1", o)
		require.NoError(t, err)
	}
	fu, err := f.svc.OpenFollowUp(f.ctx, "d1", lifecycle.FollowUp{Kind: lifecycle.KindSurveyFollowUp, Ref: "survey:r1", CustomerID: "c1",
		VehicleID: "v1", Due: date("2026-03-05"), Reason: "score 40 below 60"})
	require.NoError(t, err)
	assert.Empty(t, fu.Stage, "no run has seen the follow-up yet")

	active := func() map[lifecycle.TaskID]lifecycle.Task {
		p, err := f.tasks.List(f.ctx, "d1", lifecycle.TaskFilter{Statuses: []lifecycle.Status{lifecycle.StatusOpen, lifecycle.StatusOverdue},
			PageRequest: crm.PageRequest{Limit: crm.MaxLimit}})
		require.NoError(t, err)
		out := map[lifecycle.TaskID]lifecycle.Task{}
		for _, x := range p.Items {
			out[x.ID] = x
		}
		return out
	}
	f.run(t, "2026-03-12")
	before := active()
	cars, people := 0, 0
	for _, x := range before {
		switch {
		case x.VehicleID == "v1":
			cars++
			assert.Equal(t, lifecycle.StageEarlyUse, x.Stage, "%s %s", x.Kind, x.ID)
			assert.Equal(t, date("2026-03-10"), x.LastVisit, "%s %s: the order of 03-20 is after the day", x.Kind, x.ID)
		case x.CustomerID == "c1":
			people++
			assert.Empty(t, x.Stage, "%s %s: a task without a vehicle has no stage", x.Kind, x.ID)
			assert.Equal(t, date("2026-03-10"), x.LastVisit, "%s %s: the customer's last visit", x.Kind, x.ID)
		}
	}
	require.Contains(t, before, fu.ID)
	assert.Greater(t, cars, 1, "the follow-up and planned tasks of the car")
	assert.Positive(t, people, "the birthday care")

	r := f.run(t, "2026-03-12")
	assert.Equal(t, lifecycle.RunResult{Date: date("2026-03-12"), Subjects: 1}, r)
	assert.Equal(t, before, active(), "a second run on the day writes nothing")

	f.run(t, "2026-03-21")
	again := 0
	for id, x := range active() {
		old, ok := before[id]
		if !ok || x.VehicleID != "v1" {
			continue
		}
		assert.Equal(t, date("2026-03-20"), x.LastVisit, "%s %s", x.Kind, x.ID)
		assert.Greater(t, x.Version, old.Version, "%s %s: written for its new description", x.Kind, x.ID)
		again++
	}
	assert.Greater(t, again, 1, "the follow-up and the post-service call are still open")
	got, err := f.tasks.Get(f.ctx, "d1", fu.ID)
	require.NoError(t, err)
	assert.Equal(t, date("2026-03-20"), got.LastVisit, "the follow-up too")
}
