package lifecycletest

import (
	"context"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runLeadStoreTests checks that a store keeps a task's lead and selects
// by it (TaskFilter.LeadID, HasLead).
func runLeadStoreTests(t *testing.T, s lifecycle.TaskStore) {
	ctx := context.Background()
	a := NewTask("d1", "t1", "lead_follow_up|lead:L1|0")
	a.Kind, a.VehicleID, a.CustomerID, a.LeadID = lifecycle.KindLeadFollowUp, "", "", "L1"
	b := NewTask("d1", "t2", "stale_lead|lead:L2|2026-01-01")
	b.Kind, b.VehicleID, b.CustomerID, b.LeadID, b.OwnerRole, b.AssigneeID = lifecycle.KindStaleLead, "", "", "L2", lifecycle.RoleManager, ""
	c := NewTask("d1", "t3", "delivery_3dc|vehicle:v1|2026-01-28|1")
	apply(t, s, "d1", []lifecycle.Task{a, b, c}, nil)
	got, err := s.Get(ctx, "d1", "t1")
	require.NoError(t, err)
	assert.Equal(t, crm.LeadID("L1"), got.LeadID, "the lead reads back")
	for name, tc := range map[string]struct {
		f    lifecycle.TaskFilter
		want []lifecycle.TaskID
	}{
		"lead":     {lifecycle.TaskFilter{LeadID: "L2"}, []lifecycle.TaskID{"t2"}},
		"has lead": {lifecycle.TaskFilter{HasLead: true}, []lifecycle.TaskID{"t1", "t2"}},
		"manager":  {lifecycle.TaskFilter{OwnerRole: lifecycle.RoleManager}, []lifecycle.TaskID{"t2"}},
		"no lead":  {lifecycle.TaskFilter{LeadID: "L9"}, nil},
	} {
		p, err := s.List(ctx, "d1", tc.f)
		require.NoError(t, err, name)
		assert.Equal(t, tc.want, ids(p.Items), name)
	}
	got.Due, got.WindowEnd = dealercrm.MustParseDate("2026-02-03"), dealercrm.MustParseDate("2026-02-03")
	apply(t, s, "d1", nil, []lifecycle.Task{got})
	got, err = s.Get(ctx, "d1", "t1")
	require.NoError(t, err)
	assert.Equal(t, crm.LeadID("L1"), got.LeadID, "a replacement keeps the lead")
	assert.Equal(t, int64(2), got.Version)
}

// leadClock is a settable clock shared by the crm and lifecycle services.
type leadClock struct{ now time.Time }

func (c *leadClock) Now() time.Time { return c.now }

// runLeadServiceTests runs the lead tasks of SPEC §1.1 over a backend:
// the first call after a showroom visit, the next follow-up by cadence,
// regeneration on a level change and a logged contact, the stale lead on
// the manager's list, closing on conversion and loss, and the daily
// RunLeads healing a missed change, idempotent. Dealer d1 is in
// Asia/Shanghai (UTC+8): due dates are the dealer's local dates.
func runLeadServiceTests(t *testing.T, newStores func(t *testing.T) (crm.Store, lifecycle.TaskStore)) {
	ctx := context.Background()
	date := dealercrm.MustParseDate
	cs, ts := newStores(t)
	// 2026-03-02 15:00 in Shanghai.
	clk := &leadClock{now: time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)}
	people := crm.NewService(cs, crm.WithClock(clk.Now))
	_, err := people.CreateDealer(ctx, crm.Dealer{ID: "d1", Name: "Shanghai 4S d1"})
	require.NoError(t, err)
	svc, err := lifecycle.NewService(people, ts, lifecycle.WithClock(clk.Now))
	require.NoError(t, err)
	people.AddLeadWatchers(svc)
	// unwatched writes through the same store without the watcher: a
	// change whose hook was missed.
	unwatched := crm.NewService(cs, crm.WithClock(clk.Now))

	leadTasks := func(lead crm.LeadID) []lifecycle.Task {
		t.Helper()
		p, err := ts.List(ctx, "d1", lifecycle.TaskFilter{LeadID: lead, PageRequest: crm.PageRequest{Limit: 50}})
		require.NoError(t, err)
		return p.Items
	}
	open := func(lead crm.LeadID, kind lifecycle.Kind) lifecycle.Task {
		t.Helper()
		var out []lifecycle.Task
		for _, tk := range leadTasks(lead) {
			if tk.Kind == kind && tk.Status.Active() {
				out = append(out, tk)
			}
		}
		require.Len(t, out, 1, "one active %s task of lead %s", kind, lead)
		return out[0]
	}
	byKey := func(key string) lifecycle.Task {
		t.Helper()
		tk, err := ts.GetByKey(ctx, "d1", key)
		require.NoError(t, err, key)
		return tk
	}

	// A walk-in at 15:00 on 03-02: the first call is due within 24 hours,
	// by 15:00 on 03-03, so on 03-03.
	_, err = people.CreateLead(ctx, "d1", crm.Lead{ID: "L1", Name: "李娜", Source: crm.SourceWalkIn, ConsultantID: "S07", ModelOfInterest: "Tiguan L"})
	require.NoError(t, err)
	first := open("L1", lifecycle.KindLeadFollowUp)
	assert.Equal(t, "lead_follow_up|lead:L1|0", first.Key)
	assert.Equal(t, date("2026-03-03"), first.Due, "the local date of 03-03 15:00")
	assert.Equal(t, date("2026-03-03"), first.WindowEnd)
	assert.Equal(t, date("2026-03-02"), first.AnchorDate, "the visit")
	assert.Equal(t, lifecycle.RoleConsultant, first.OwnerRole)
	assert.Equal(t, crm.StaffID("S07"), first.AssigneeID, "the lead's consultant")
	assert.Equal(t, crm.LeadID("L1"), first.LeadID)
	assert.Empty(t, first.CustomerID, "a prospect is not a customer")
	assert.Equal(t, "first call within 24 hours of the showroom visit on 2026-03-02", first.Reason)
	assert.Equal(t, lifecycle.StatusOpen, first.Status)

	// A visit at 01:30 on 03-04 Shanghai time (17:30 UTC on 03-03): the
	// first call is due on 03-05 local, not on the UTC date 03-04.
	clk.now = time.Date(2026, 3, 3, 17, 30, 0, 0, time.UTC)
	_, err = people.CreateLead(ctx, "d1", crm.Lead{ID: "L2", Name: "赵伟", Source: crm.SourceWalkIn, ConsultantID: "S08"})
	require.NoError(t, err)
	assert.Equal(t, date("2026-03-05"), open("L2", lifecycle.KindLeadFollowUp).Due)

	// 10:00 on 03-03: the first call is made, the lead is A (every 4
	// days): the first task is done, the next one is due 03-07.
	clk.now = time.Date(2026, 3, 3, 2, 0, 0, 0, time.UTC)
	_, err = people.LogFollowUp(ctx, "d1", "L1", crm.FollowUp{StaffID: "S07", Channel: crm.ChannelPhone, Level: crm.LevelA})
	require.NoError(t, err)
	firstDone := byKey("lead_follow_up|lead:L1|0")
	assert.Equal(t, lifecycle.StatusDone, firstDone.Status, "the first call happened")
	assert.Equal(t, "follow-up logged on 2026-03-03", firstDone.StatusReason)
	next := open("L1", lifecycle.KindLeadFollowUp)
	assert.Equal(t, "lead_follow_up|lead:L1|1", next.Key)
	assert.Equal(t, date("2026-03-07"), next.Due, "03-03 + 4 days")
	assert.Equal(t, "level A lead last contacted on 2026-03-03: follow up every 4 days", next.Reason)

	// 03-04: the consultant moves the lead to B (weekly): the open task is
	// rescheduled in place, 03-03 + 7 days.
	clk.now = time.Date(2026, 3, 4, 2, 0, 0, 0, time.UTC)
	_, err = people.SetLeadLevel(ctx, "d1", "L1", crm.LevelB)
	require.NoError(t, err)
	moved := open("L1", lifecycle.KindLeadFollowUp)
	assert.Equal(t, next.ID, moved.ID, "the same task, rescheduled")
	assert.Equal(t, date("2026-03-10"), moved.Due)
	assert.Equal(t, "rescheduled from 2026-03-07 to 2026-03-10: level B lead last contacted on 2026-03-03: follow up every 7 days", moved.StatusReason)
	assert.Len(t, leadTasks("L1"), 2, "the done first call and the open follow-up")

	// A lead written without the watcher (a missed hook), level C, by web.
	_, err = unwatched.CreateLead(ctx, "d1", crm.Lead{ID: "L3", Name: "钱程", Source: crm.SourceWeb, Level: crm.LevelC, ConsultantID: "S07"})
	require.NoError(t, err)
	assert.Empty(t, leadTasks("L3"), "no hook ran")

	// The daily run on 03-04 heals it: 03-04 10:00 + 15 days = 03-19.
	r, err := svc.RunLeads(ctx, "d1", date("2026-03-04"))
	require.NoError(t, err)
	assert.Equal(t, lifecycle.LeadRun{Date: date("2026-03-04"), Leads: 3, Created: 1}, r)
	assert.Equal(t, date("2026-03-19"), open("L3", lifecycle.KindLeadFollowUp).Due)
	r, err = svc.RunLeads(ctx, "d1", date("2026-03-04"))
	require.NoError(t, err)
	assert.Equal(t, lifecycle.LeadRun{Date: date("2026-03-04"), Leads: 3}, r, "a second run changes nothing")

	// 03-11: L1's follow-up of 03-10 and L2's first call of 03-05 are
	// overdue.
	r, err = svc.RunLeads(ctx, "d1", date("2026-03-11"))
	require.NoError(t, err)
	assert.Equal(t, lifecycle.LeadRun{Date: date("2026-03-11"), Leads: 3, Overdue: 2}, r)
	assert.Equal(t, lifecycle.StatusOverdue, open("L1", lifecycle.KindLeadFollowUp).Status)

	// Staleness, 90 × 24 hours untouched, counted to the end of the day:
	// L1 was last contacted 03-03 10:00, stale from 06-01 10:00; L2 was
	// created 03-04 01:30 and L3 03-04 10:00, both stale on 06-02. On
	// 06-01 L3's follow-up of 03-19 is overdue as well.
	r, err = svc.RunLeads(ctx, "d1", date("2026-06-01"))
	require.NoError(t, err)
	assert.Equal(t, lifecycle.LeadRun{Date: date("2026-06-01"), Leads: 3, Created: 1, Overdue: 1}, r)
	assert.Equal(t, date("2026-06-01"), open("L1", lifecycle.KindStaleLead).Due)
	r, err = svc.RunLeads(ctx, "d1", date("2026-06-02"))
	require.NoError(t, err)
	assert.Equal(t, lifecycle.LeadRun{Date: date("2026-06-02"), Leads: 3, Created: 2}, r, "L2 and L3 are stale")
	stale := open("L3", lifecycle.KindStaleLead)
	assert.Equal(t, "stale_lead|lead:L3|2026-03-04", stale.Key)
	assert.Equal(t, date("2026-06-02"), stale.Due)
	assert.Equal(t, date("2026-06-08"), stale.WindowEnd, "a week to act")
	assert.Equal(t, lifecycle.RoleManager, stale.OwnerRole)
	assert.Empty(t, stale.AssigneeID, "the managers' pool")
	assert.Equal(t, "level C lead untouched since 2026-03-04, more than 90 days", stale.Reason)

	// 06-03: the consultant calls L3: the stale task is closed, the old
	// follow-up is done and the next one is due 06-18.
	clk.now = time.Date(2026, 6, 3, 2, 0, 0, 0, time.UTC)
	_, err = people.LogFollowUp(ctx, "d1", "L3", crm.FollowUp{StaffID: "S07", Channel: crm.ChannelPhone})
	require.NoError(t, err)
	closed := byKey("stale_lead|lead:L3|2026-03-04")
	assert.Equal(t, lifecycle.StatusCancelled, closed.Status)
	assert.Equal(t, "cancelled: lead touched on 2026-06-03", closed.StatusReason)
	assert.Equal(t, lifecycle.StatusDone, byKey("lead_follow_up|lead:L3|0").Status)
	assert.Equal(t, date("2026-06-18"), open("L3", lifecycle.KindLeadFollowUp).Due)

	// 06-05: the consultant works L3's follow-up from the call list: the
	// outcome is logged on the lead too, whose next follow-up, 06-05 + 15
	// days, is the next task.
	clk.now = time.Date(2026, 6, 5, 2, 0, 0, 0, time.UTC)
	done, in, err := svc.RecordOutcome(ctx, "d1", open("L3", lifecycle.KindLeadFollowUp).ID, lifecycle.Outcome{Outcome: crm.OutcomeReached, StaffID: "S07", Note: "test drive on Sunday"})
	require.NoError(t, err)
	assert.Equal(t, lifecycle.StatusDone, done.Status)
	assert.Equal(t, crm.LeadID("L3"), in.LeadID, "the interaction is the lead's")
	l3, err := people.GetLead(ctx, "d1", "L3")
	require.NoError(t, err)
	require.Len(t, l3.FollowUps, 2, "the call is in the lead's follow-up log")
	assert.Equal(t, "test drive on Sunday", l3.FollowUps[1].Note)
	again := open("L3", lifecycle.KindLeadFollowUp)
	assert.Equal(t, "lead_follow_up|lead:L3|2", again.Key)
	assert.Equal(t, date("2026-06-20"), again.Due)

	// L3 gets another consultant: the open follow-up follows the lead.
	_, err = people.UpdateLead(ctx, "d1", "L3", func(l *crm.Lead) error { l.ConsultantID = "S09"; return nil })
	require.NoError(t, err)
	moved = open("L3", lifecycle.KindLeadFollowUp)
	assert.Equal(t, again.ID, moved.ID)
	assert.Equal(t, crm.StaffID("S09"), moved.AssigneeID)
	assert.Equal(t, date("2026-06-20"), moved.Due)
	assert.Equal(t, `reassigned from "S07" to "S09", the lead's consultant`, moved.StatusReason)
	// Ordered (O): no cadence, so no follow-up.
	_, err = people.SetLeadLevel(ctx, "d1", "L3", crm.LevelO)
	require.NoError(t, err)
	assert.Equal(t, "cancelled: lead ordered", byKey("lead_follow_up|lead:L3|2").StatusReason)
	for _, tk := range leadTasks("L3") {
		assert.False(t, tk.Status.Active(), "L3 at O has no open task: %s", tk.Key)
	}

	// L1 is converted and L2 lost: their open tasks are cancelled.
	_, err = people.ConvertLead(ctx, "d1", "L1", crm.Conversion{
		Vehicle: crm.Vehicle{VIN: vin(1), Model: "Tiguan L", DeliveryDate: date("2026-06-03"), Price: decimal.NewFromInt(220000)},
		Sale:    crm.Sale{Date: date("2026-06-03"), Price: decimal.NewFromInt(220000)}})
	require.NoError(t, err)
	_, err = people.RequestLost(ctx, "d1", "L2", crm.LostReasons()[0], "", "S08")
	require.NoError(t, err)
	_, err = people.DecideLost(ctx, "d1", "L2", true, "M01", "")
	require.NoError(t, err)
	for lead, why := range map[crm.LeadID]string{"L1": "cancelled: lead converted", "L2": "cancelled: lead lost"} {
		for _, tk := range leadTasks(lead) {
			assert.False(t, tk.Status.Active(), "%s: %s is closed", lead, tk.Key)
		}
		assert.Contains(t, statusReasons(leadTasks(lead)), why, lead)
	}
	r, err = svc.RunLeads(ctx, "d1", date("2026-06-03"))
	require.NoError(t, err)
	assert.Equal(t, lifecycle.LeadRun{Date: date("2026-06-03"), Leads: 1}, r, "the watcher left the run nothing to do")

	// A lead deleted without the watcher: the run cancels its tasks.
	_, err = people.CreateLead(ctx, "d1", crm.Lead{ID: "L4", Name: "孙丽", Source: crm.SourceCallIn, ConsultantID: "S08"})
	require.NoError(t, err)
	require.NoError(t, unwatched.DeleteLead(ctx, "d1", "L4"))
	r, err = svc.RunLeads(ctx, "d1", date("2026-06-03"))
	require.NoError(t, err)
	assert.Equal(t, lifecycle.LeadRun{Date: date("2026-06-03"), Leads: 1, Closed: 1}, r)
	assert.Equal(t, []string{"cancelled: lead deleted"}, statusReasons(leadTasks("L4")))
}

// runLeadRaceTests: an outcome recorded on a lead follow-up while
// RunLeads is between its read and its write survives, and the run
// settles on the lead as it is after the contact.
func runLeadRaceTests(t *testing.T, newStores func(t *testing.T) (crm.Store, lifecycle.TaskStore)) {
	ctx := context.Background()
	cs, ts := newStores(t)
	clk := &leadClock{now: time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)}
	people := crm.NewService(cs, crm.WithClock(clk.Now))
	_, err := people.CreateDealer(ctx, crm.Dealer{ID: "d1", Name: "Shanghai 4S d1"})
	require.NoError(t, err)
	svc, err := lifecycle.NewService(people, ts, lifecycle.WithClock(clk.Now))
	require.NoError(t, err)
	people.AddLeadWatchers(svc)
	_, err = people.CreateLead(ctx, "d1", crm.Lead{ID: "L1", Name: "李娜", Source: crm.SourceWalkIn, ConsultantID: "S07"})
	require.NoError(t, err)
	first, err := ts.GetByKey(ctx, "d1", "lead_follow_up|lead:L1|0")
	require.NoError(t, err)

	// 03-04 10:00: the run would mark the first call of 03-03 overdue;
	// the consultant records it done after the run read the tasks.
	clk.now = time.Date(2026, 3, 4, 2, 0, 0, 0, time.UTC)
	hooked := &hookStore{TaskStore: ts, before: func() {
		_, _, err := svc.RecordOutcome(ctx, "d1", first.ID, lifecycle.Outcome{Outcome: crm.OutcomeReached, StaffID: "S07"})
		require.NoError(t, err)
	}}
	runner, err := lifecycle.NewService(people, hooked, lifecycle.WithClock(clk.Now))
	require.NoError(t, err)
	r, err := runner.RunLeads(ctx, "d1", dealercrm.MustParseDate("2026-03-04"))
	require.NoError(t, err)
	assert.Equal(t, lifecycle.LeadRun{Date: dealercrm.MustParseDate("2026-03-04"), Leads: 1}, r, "the run wrote nothing: the outcome and the watcher were first")
	got, err := ts.Get(ctx, "d1", first.ID)
	require.NoError(t, err)
	assert.Equal(t, lifecycle.StatusDone, got.Status, "not overdue")
	assert.Equal(t, crm.OutcomeReached, got.Outcome)
	next, err := ts.GetByKey(ctx, "d1", "lead_follow_up|lead:L1|1")
	require.NoError(t, err)
	assert.Equal(t, lifecycle.StatusOpen, next.Status)
	assert.Equal(t, dealercrm.MustParseDate("2026-04-03"), next.Due, "level N: 03-04 + 30 days")
}

func statusReasons(ts []lifecycle.Task) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.StatusReason)
	}
	return out
}
