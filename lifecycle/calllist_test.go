package lifecycle_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/lifecycle/lifecycletest"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// callAt is 2026-04-30 10:00 in Shanghai (the dealer's zone), the
// Thursday before the Labour Day holidays of 2026 (05-01 to 05-05).
var callAt = time.Date(2026, 4, 30, 2, 0, 0, 0, time.UTC)

// callTasks stores tasks for the call list tests: each NewTask(d1, id,
// id) of customer c1 without a vehicle, due 04-30 to 05-02, changed by
// its edit.
func (f *fixture) callTasks(t *testing.T, edits map[string]func(*lifecycle.Task)) {
	t.Helper()
	var ts []lifecycle.Task
	for id, edit := range edits {
		x := lifecycletest.NewTask("d1", id, "k-"+id)
		x.Due, x.WindowEnd, x.VehicleID = date("2026-04-30"), date("2026-05-02"), ""
		edit(&x)
		ts = append(ts, x)
	}
	lost, err := f.tasks.Apply(f.ctx, "d1", ts, nil)
	require.NoError(t, err)
	require.Empty(t, lost)
}

func (f *fixture) get(t *testing.T, id lifecycle.TaskID) lifecycle.Task {
	t.Helper()
	x, err := f.tasks.Get(f.ctx, "d1", id)
	require.NoError(t, err)
	return x
}

func TestNoAnswerRetriesOnTheNextWorkingDay(t *testing.T) {
	f := newFixture(t)
	f.customer(t, "c1")
	f.callTasks(t, map[string]func(*lifecycle.Task){"t1": func(*lifecycle.Task) {}})
	noAnswer := func(at time.Time) lifecycle.Task {
		x, in, err := f.svc.RecordOutcome(f.ctx, "d1", "t1", lifecycle.Outcome{Outcome: crm.OutcomeNoAnswer, StaffID: "S01", At: at})
		require.NoError(t, err)
		assert.Equal(t, crm.OutcomeNoAnswer, in.Outcome, "each call is logged")
		return x
	}
	// Called on Thursday 04-30: 05-01…05-05 are the Labour Day holidays,
	// so the retry is on Wednesday 05-06, its window (2 days) kept.
	x := noAnswer(callAt)
	assert.Equal(t, lifecycle.StatusOpen, x.Status)
	assert.Equal(t, 1, x.Attempts)
	assert.Equal(t, "2026-05-06", x.Due.String(), "next working day after 04-30")
	assert.Equal(t, "2026-05-08", x.WindowEnd.String(), "the window stays 2 days long")
	assert.True(t, x.Pinned, "the daily run keeps the retry date")
	assert.Equal(t, "no answer (attempt 1 of 3), retry on 2026-05-06", x.StatusReason)
	// Friday 05-08 → Saturday 05-09 is an adjusted working day (调休).
	x = noAnswer(time.Date(2026, 5, 8, 2, 0, 0, 0, time.UTC))
	assert.Equal(t, 2, x.Attempts)
	assert.Equal(t, "2026-05-09", x.Due.String(), "the adjusted working day Saturday 05-09")
	// The third unanswered call closes the task as skipped.
	x = noAnswer(time.Date(2026, 5, 9, 2, 0, 0, 0, time.UTC))
	assert.Equal(t, lifecycle.StatusSkipped, x.Status)
	assert.Equal(t, 3, x.Attempts)
	assert.Equal(t, "no answer after 3 attempts", x.StatusReason)
	_, _, err := f.svc.RecordOutcome(f.ctx, "d1", "t1", lifecycle.Outcome{Outcome: crm.OutcomeNoAnswer, At: callAt})
	assert.ErrorIs(t, err, lifecycle.ErrTaskClosed, "a fourth attempt finds the task closed")

	// A policy of one attempt closes at the first unanswered call.
	svc, err := lifecycle.NewService(f.crm, f.tasks, lifecycle.WithCallPolicy(lifecycle.CallPolicy{MaxAttempts: 1}))
	require.NoError(t, err)
	f.callTasks(t, map[string]func(*lifecycle.Task){"t2": func(*lifecycle.Task) {}})
	x, _, err = svc.RecordOutcome(f.ctx, "d1", "t2", lifecycle.Outcome{Outcome: crm.OutcomeNoAnswer, At: callAt})
	require.NoError(t, err)
	assert.Equal(t, lifecycle.StatusSkipped, x.Status)
	_, err = lifecycle.NewService(f.crm, f.tasks, lifecycle.WithCallPolicy(lifecycle.CallPolicy{}))
	assert.ErrorIs(t, err, dealercrm.ErrInvalid, "0 attempts is no policy")
}

func TestAppointmentBookedRecordsTheDate(t *testing.T) {
	f := newFixture(t)
	f.customer(t, "c1")
	f.callTasks(t, map[string]func(*lifecycle.Task){"t1": func(*lifecycle.Task) {}})
	for name, o := range map[string]lifecycle.Outcome{
		"no date":     {Outcome: crm.OutcomeAppointment},
		"date, other": {Outcome: crm.OutcomeReached, AppointmentDate: date("2026-05-06")},
	} {
		_, _, err := f.svc.RecordOutcome(f.ctx, "d1", "t1", o)
		var ve *crm.ValidationError
		require.ErrorAs(t, err, &ve, name)
		assert.Equal(t, "appointment_date", ve.Fields[0].Field, name)
		assert.Equal(t, lifecycle.StatusOpen, f.get(t, "t1").Status, "%s: the task is untouched", name)
	}
	x, _, err := f.svc.RecordOutcome(f.ctx, "d1", "t1", lifecycle.Outcome{Outcome: crm.OutcomeAppointment, AppointmentDate: date("2026-05-06"), At: callAt})
	require.NoError(t, err)
	assert.Equal(t, lifecycle.StatusDone, x.Status)
	assert.Equal(t, "2026-05-06", x.AppointmentDate.String())
	assert.Equal(t, "2026-05-06", f.get(t, "t1").AppointmentDate.String(), "stored")
}

// TestCloseCoveredTasks: customer c1 has the compulsory and commercial
// insurance renewals of a car (t1, t2), a birthday care (t3), a complaint
// follow-up (t4, alone by default), a maintenance reminder due next week
// (t5) and customer c2 an insurance renewal (t6). One call about t1
// closes t1, t2 and t3.
func TestCloseCoveredTasks(t *testing.T) {
	f := newFixture(t)
	f.customer(t, "c1")
	f.customer(t, "c2")
	edits := map[string]func(*lifecycle.Task){
		"t1": func(x *lifecycle.Task) { x.Kind = lifecycle.KindInsuranceRenewal },
		"t2": func(x *lifecycle.Task) { x.Kind, x.Status = lifecycle.KindInsuranceRenewal, lifecycle.StatusOverdue },
		"t3": func(x *lifecycle.Task) { x.Kind, x.Due = lifecycle.KindBirthdayCare, date("2026-04-29") },
		"t4": func(x *lifecycle.Task) { x.Kind = lifecycle.KindComplaintFollowUp },
		"t5": func(x *lifecycle.Task) {
			x.Kind, x.Due, x.WindowEnd = lifecycle.KindMaintenance, date("2026-05-07"), date("2026-05-09")
		},
		"t6": func(x *lifecycle.Task) { x.Kind, x.CustomerID = lifecycle.KindInsuranceRenewal, "c2" },
	}
	f.callTasks(t, edits)

	// The grouped view shows the call first.
	p, err := f.svc.CallGroups(f.ctx, "d1", date("2026-04-30"), lifecycle.TaskFilter{})
	require.NoError(t, err)
	require.Len(t, p.Items, 2)
	g := p.Items[0]
	assert.Equal(t, crm.CustomerID("c1"), g.CustomerID)
	assert.Equal(t, []lifecycle.TaskID{"t3", "t1", "t2", "t4"}, taskIDs(g.Tasks), "c1's tasks due by 04-30, by due date then ID")
	assert.Equal(t, lifecycle.TaskID("t3"), g.Lead, "the first task that may share a call")
	assert.Equal(t, []lifecycle.TaskID{"t1", "t2"}, g.Covers, "the complaint follow-up is alone")
	assert.Equal(t, "王先生", g.Tasks[0].CustomerName)
	assert.Equal(t, []lifecycle.TaskID{"t6"}, taskIDs(p.Items[1].Tasks))

	ts, in, err := f.svc.RecordCallOutcome(f.ctx, "d1", "t1", lifecycle.Outcome{Outcome: crm.OutcomeReached, StaffID: "S01", At: callAt, CloseCovered: true})
	require.NoError(t, err)
	require.Len(t, ts, 3)
	assert.Equal(t, []lifecycle.TaskID{"t1", "t2", "t3"}, []lifecycle.TaskID{ts[0].ID, ts[1].ID, ts[2].ID})
	for _, x := range ts {
		assert.Equal(t, lifecycle.StatusDone, x.Status, "%s done", x.ID)
		assert.Equal(t, in.ID, x.InteractionID, "%s carries the one interaction", x.ID)
	}
	assert.Equal(t, "outcome reached (covered by the call of task t1)", ts[1].StatusReason)
	for id, want := range map[lifecycle.TaskID]lifecycle.Status{"t4": lifecycle.StatusOpen, "t5": lifecycle.StatusOpen, "t6": lifecycle.StatusOpen} {
		assert.Equal(t, want, f.get(t, id).Status, "%s is not covered", id)
	}
	ins, err := f.crm.ListInteractions(f.ctx, "d1", crm.InteractionFilter{CustomerID: "c1"})
	require.NoError(t, err)
	assert.Len(t, ins.Items, 1, "one call, one interaction")

	// With birthday care alone by policy, a call about an insurance
	// renewal leaves it open.
	f2 := newFixture(t)
	f2.customer(t, "c1")
	f2.callTasks(t, edits)
	svc, err := lifecycle.NewService(f2.crm, f2.tasks, lifecycle.WithCallPolicy(lifecycle.CallPolicy{
		Alone: []lifecycle.Kind{lifecycle.KindComplaintFollowUp, lifecycle.KindBirthdayCare}, MaxAttempts: 3}))
	require.NoError(t, err)
	ts, _, err = svc.RecordCallOutcome(f2.ctx, "d1", "t2", lifecycle.Outcome{Outcome: crm.OutcomeRefused, At: callAt, CloseCovered: true})
	require.NoError(t, err)
	assert.Equal(t, []lifecycle.TaskID{"t2", "t1"}, []lifecycle.TaskID{ts[0].ID, ts[1].ID}, "the task, then the covered ones")
	assert.Equal(t, lifecycle.StatusOpen, f2.get(t, "t3").Status, "birthday care is alone by this policy")
	// A call about a task worked alone covers nothing.
	ts, _, err = svc.RecordCallOutcome(f2.ctx, "d1", "t4", lifecycle.Outcome{Outcome: crm.OutcomeReached, At: callAt, CloseCovered: true})
	require.NoError(t, err)
	assert.Len(t, ts, 1)
	assert.Equal(t, lifecycle.StatusOpen, f2.get(t, "t3").Status)

	// By default, another department's work is never closed by a CR call:
	// the lead tasks and the survey follow-up stay alone.
	def := lifecycle.DefaultCallPolicy()
	for _, k := range []lifecycle.Kind{lifecycle.KindLeadFollowUp, lifecycle.KindStaleLead, lifecycle.KindSurveyFollowUp, lifecycle.KindComplaintFollowUp} {
		assert.False(t, def.Joint(k), "%s is worked alone by default", k)
	}
	assert.True(t, def.Joint(lifecycle.KindInsuranceRenewal))
}

func TestReassignMany(t *testing.T) {
	f := newFixture(t)
	f.callTasks(t, map[string]func(*lifecycle.Task){
		"t1": func(*lifecycle.Task) {},
		"t2": func(x *lifecycle.Task) { x.ExcludedStaffID = "S09" },
		"t3": func(x *lifecycle.Task) { x.Status = lifecycle.StatusDone },
	})
	ts, err := f.svc.ReassignMany(f.ctx, "d1", []lifecycle.TaskID{"t2", "t1"}, "S07")
	require.NoError(t, err)
	assert.Equal(t, []lifecycle.TaskID{"t2", "t1"}, []lifecycle.TaskID{ts[0].ID, ts[1].ID})
	assert.Equal(t, crm.StaffID("S07"), f.get(t, "t1").AssigneeID)
	assert.Equal(t, "assigned to S07", f.get(t, "t2").StatusReason)
	for name, tc := range map[string]struct {
		ids   []lifecycle.TaskID
		staff crm.StaffID
		want  error
	}{
		"closed":   {[]lifecycle.TaskID{"t1", "t3"}, "S08", lifecycle.ErrTaskClosed},
		"excluded": {[]lifecycle.TaskID{"t1", "t2"}, "S09", dealercrm.ErrInvalid},
		"unknown":  {[]lifecycle.TaskID{"t1", "t8"}, "S08", lifecycle.ErrTaskNotFound},
		"no staff": {[]lifecycle.TaskID{"t1"}, "", dealercrm.ErrInvalid},
		"no tasks": {nil, "S08", dealercrm.ErrInvalid},
		"repeated": {[]lifecycle.TaskID{"t1", "t1"}, "S08", dealercrm.ErrInvalid},
	} {
		_, err := f.svc.ReassignMany(f.ctx, "d1", tc.ids, tc.staff)
		assert.ErrorIs(t, err, tc.want, name)
		assert.Equal(t, crm.StaffID("S07"), f.get(t, "t1").AssigneeID, "%s: all or nothing, t1 keeps S07", name)
	}
	x, err := f.svc.Reassign(f.ctx, "d1", "t1", "S02")
	require.NoError(t, err)
	assert.Equal(t, crm.StaffID("S02"), x.AssigneeID)
}

type gradesOf map[crm.CustomerID]string

func (g gradesOf) Grades(context.Context, crm.DealerID) (map[crm.CustomerID]string, error) {
	return g, nil
}

// GradesOf makes gradesOf a lifecycle.GradeLookup, answering only the
// customers asked.
type gradeLookup struct{ gradesOf }

func (g gradeLookup) GradesOf(_ context.Context, _ crm.DealerID, ids []crm.CustomerID) (map[crm.CustomerID]string, error) {
	out := map[crm.CustomerID]string{}
	for _, id := range ids {
		if v, ok := g.gradesOf[id]; ok {
			out[id] = v
		}
	}
	return out, nil
}

type membersOf map[crm.CustomerID]lifecycle.Membership

func (m membersOf) Memberships(context.Context, crm.DealerID) (map[crm.CustomerID]lifecycle.Membership, error) {
	return m, nil
}

// TestCallListEnriched: each task of the list with its customer's name
// and mobile, its car's plate and model, the customer's grade and tier;
// the stage and last visit are the task's own (TestRunDescribesTasks).
func TestCallListEnriched(t *testing.T) {
	f := newFixture(t)
	c := *consenting("c1")
	c.DealerID, c.Mobile = "d1", "13912345678"
	_, err := f.crm.CreateCustomer(f.ctx, "d1", c)
	require.NoError(t, err)
	_, err = f.crm.CreateVehicle(f.ctx, "d1", crm.Vehicle{ID: "v1", Record: crm.Record{DealerID: "d1"}, VIN: vin, Plate: "沪A12345", Model: "Lavida",
		OwnerID: "c1", DeliveryDate: date("2025-03-01"), Price: decimal.NewFromInt(120000)})
	require.NoError(t, err)
	for _, o := range []crm.ServiceOrder{
		{ID: "o1", Date: date("2025-08-01"), OdometerKM: 4800, Kind: crm.ServiceFirstMaintenance, Payer: crm.PayerManufacturer},
		{ID: "o2", Date: date("2026-03-10"), OdometerKM: 15000, Kind: crm.ServiceRepair, Payer: crm.PayerCustomer},
		{ID: "o3", Date: date("2026-05-10"), OdometerKM: 17000, Kind: crm.ServiceMaintenance, Payer: crm.PayerCustomer},
	} {
		o.Record, o.VehicleID, o.CustomerID, o.ClosedDate = crm.Record{DealerID: "d1"}, "v1", "c1", o.Date
		_, err = f.crm.CreateServiceOrder(f.ctx, "d1", o)
		require.NoError(t, err)
	}
	svc, err := lifecycle.NewService(f.crm, f.tasks, lifecycle.WithGrades(gradesOf{"c1": "A"}),
		lifecycle.WithMemberships(membersOf{"c1": {Tier: "gold", End: date("2027-01-01")}}))
	require.NoError(t, err)
	f.callTasks(t, map[string]func(*lifecycle.Task){
		"t1": func(x *lifecycle.Task) { x.VehicleID = "v1" },
		"t2": func(x *lifecycle.Task) { x.Kind = lifecycle.KindBirthdayCare },
		"t3": func(x *lifecycle.Task) { x.CustomerID, x.VehicleID = "c404", "v404" },
		"t4": func(x *lifecycle.Task) { x.Due, x.VehicleID = date("2026-05-01"), "v1" },
	})
	p, err := svc.CallList(f.ctx, "d1", date("2026-04-30"), lifecycle.TaskFilter{})
	require.NoError(t, err)
	require.Equal(t, []lifecycle.TaskID{"t1", "t2", "t3"}, taskIDs(p.Items), "t4 is due after the day")
	want := lifecycle.CallItem{Task: f.get(t, "t1"), CustomerName: "王先生", Mobile: "13912345678", Plate: "沪A12345", Model: "Lavida",
		Grade: "A", Tier: "gold"}
	assert.Equal(t, want, p.Items[0])
	assert.Equal(t, "delivered on 2026-01-28", p.Items[0].Reason, "the task's reason is kept")
	assert.Equal(t, "王先生", p.Items[1].CustomerName, "a task without a vehicle")
	assert.Empty(t, p.Items[1].Plate)
	assert.Equal(t, lifecycle.CallItem{Task: f.get(t, "t3")}, p.Items[2], "unknown records leave the fields empty")

	// The same through the batched lookups of a page's customers.
	lookup, err := lifecycle.NewService(f.crm, f.tasks, lifecycle.WithGrades(gradeLookup{gradesOf{"c1": "A", "c2": "B"}}),
		lifecycle.WithMemberships(membersOf{"c1": {Tier: "gold", End: date("2027-01-01")}}))
	require.NoError(t, err)
	p2, err := lookup.CallList(f.ctx, "d1", date("2026-04-30"), lifecycle.TaskFilter{})
	require.NoError(t, err)
	assert.Equal(t, p, p2, "the grade lookup gives the same list")

	// The page size and cursor hold.
	p, err = svc.CallList(f.ctx, "d1", date("2026-05-01"), lifecycle.TaskFilter{PageRequest: crm.PageRequest{Limit: 3}})
	require.NoError(t, err)
	assert.Equal(t, []lifecycle.TaskID{"t1", "t2", "t3"}, taskIDs(p.Items))
	p, err = svc.CallList(f.ctx, "d1", date("2026-05-01"), lifecycle.TaskFilter{PageRequest: crm.PageRequest{Limit: 3, After: p.Next}})
	require.NoError(t, err)
	assert.Equal(t, []lifecycle.TaskID{"t4"}, taskIDs(p.Items))
	assert.Empty(t, p.Next)
}

func taskIDs(items []lifecycle.CallItem) []lifecycle.TaskID {
	var out []lifecycle.TaskID
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

// countingLeads counts the reads of a crm store's leads.
type countingLeads struct {
	crm.LeadStore
	gets, lists *int
}

func (c countingLeads) Get(ctx context.Context, d crm.DealerID, id crm.LeadID) (crm.Lead, error) {
	*c.gets++
	return c.LeadStore.Get(ctx, d, id)
}

func (c countingLeads) List(ctx context.Context, d crm.DealerID, f crm.LeadFilter) (crm.Page[crm.Lead], error) {
	*c.lists++
	return c.LeadStore.List(ctx, d, f)
}

type countingStore struct {
	crm.Store
	leads countingLeads
}

func (s countingStore) Leads() crm.LeadStore { return s.leads }

// TestCallListLeadsInOneRead: the leads of a page's lead tasks (two tasks
// of lead 1, one of lead 2, one of a deleted lead) are read with one
// list of the leads by ID, not one Get per lead, and each task shows its
// lead.
func TestCallListLeadsInOneRead(t *testing.T) {
	f := newFixture(t)
	var gets, lists int
	store := countingStore{Store: memory.New()}
	store.leads = countingLeads{LeadStore: store.Store.Leads(), gets: &gets, lists: &lists}
	cs := crm.NewService(store)
	_, err := cs.CreateDealer(f.ctx, crm.Dealer{ID: "d1", Name: "Shanghai 4S"})
	require.NoError(t, err)
	var leads []crm.Lead
	for i, name := range []string{"李女士", "赵先生"} {
		l, err := cs.CreateLead(f.ctx, "d1", crm.Lead{ID: crm.LeadID(fmt.Sprintf("L%d", i+1)), Record: crm.Record{DealerID: "d1"}, Name: name,
			Mobile: fmt.Sprintf("1390000000%d", i+1), Level: crm.LevelH, Status: crm.LeadOpen, Source: crm.SourceWalkIn, ModelOfInterest: "ID.4", ConsultantID: "S03"})
		require.NoError(t, err)
		leads = append(leads, l)
	}
	svc, err := lifecycle.NewService(cs, f.tasks)
	require.NoError(t, err)
	f.callTasks(t, map[string]func(*lifecycle.Task){
		"t1": func(x *lifecycle.Task) { x.Kind, x.CustomerID, x.LeadID = lifecycle.KindLeadFollowUp, "", "L1" },
		"t2": func(x *lifecycle.Task) { x.Kind, x.CustomerID, x.LeadID = lifecycle.KindLeadFollowUp, "", "L2" },
		"t3": func(x *lifecycle.Task) { x.Kind, x.CustomerID, x.LeadID = lifecycle.KindStaleLead, "", "L1" },
		"t4": func(x *lifecycle.Task) { x.Kind, x.CustomerID, x.LeadID = lifecycle.KindLeadFollowUp, "", "L404" },
		"t5": func(x *lifecycle.Task) {},
	})
	gets, lists = 0, 0
	p, err := svc.CallList(f.ctx, "d1", date("2026-04-30"), lifecycle.TaskFilter{})
	require.NoError(t, err)
	assert.Equal(t, 0, gets, "no lead read one at a time")
	assert.Equal(t, 1, lists, "one read of the page's leads")
	require.Equal(t, []lifecycle.TaskID{"t1", "t2", "t3", "t4", "t5"}, taskIDs(p.Items))
	l1 := &lifecycle.CallLead{ID: "L1", Name: "李女士", Mobile: "13900000001", Level: crm.LevelH, ModelOfInterest: "ID.4", ConsultantID: "S03"}
	assert.Equal(t, l1, p.Items[0].Lead)
	assert.Equal(t, "赵先生", p.Items[1].Lead.Name)
	assert.Equal(t, l1, p.Items[2].Lead, "two tasks of one lead")
	assert.Nil(t, p.Items[3].Lead, "a deleted lead is left out")
	assert.Nil(t, p.Items[4].Lead, "a customer's task has no lead")
	assert.Equal(t, leads[1].Mobile, p.Items[1].Lead.Mobile)

	lists = 0
	_, err = svc.CallList(f.ctx, "d1", date("2026-04-30"), lifecycle.TaskFilter{Kinds: []lifecycle.Kind{lifecycle.KindThankYou3DC}})
	require.NoError(t, err)
	assert.Equal(t, 0, lists, "no lead task, no read of the leads")
}
