package lifecycletest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// taskTypes are the event types of tasks.
var taskTypes = []crm.EventType{crm.EventTaskCreated, crm.EventTaskRescheduled, crm.EventTaskCancelled, crm.EventTaskDue, crm.EventTaskDone}

// taskEvent is an event as the tests compare it: its type, its task and
// its payload.
type taskEvent struct {
	Type    crm.EventType
	Task    string
	Payload lifecycle.TaskEvent
}

// readTaskEvents reads the dealer's task events after seq after, in
// sequence order, checking that they are numbered one after another.
func readTaskEvents(t *testing.T, es crm.EventStore, dealer crm.DealerID, after int64) (out []taskEvent, last int64) {
	t.Helper()
	last = after
	for _, e := range crmtest.ReadEvents(t, es, dealer, crm.EventFilter{After: after, Types: taskTypes}) {
		require.Greater(t, e.Seq, last, "sequence order")
		last = e.Seq
		require.Equal(t, crm.SubjectTask, e.Subject.Kind, "a task event is about a task")
		require.Equal(t, 1, e.Version)
		var p lifecycle.TaskEvent
		require.NoError(t, json.Unmarshal(e.Payload, &p))
		require.Equal(t, e.Subject.ID, string(p.TaskID), "the subject is the payload's task")
		out = append(out, taskEvent{Type: e.Type, Task: e.Subject.ID, Payload: p})
	}
	return out, last
}

// RunEventTests runs the task events' contract (lifecycle.TaskEvents,
// DeletedTaskEvents, DueEvents) on a backend: newStores returns an empty
// crm store and task store of one backend, and the backend's event
// store, which both write to.
//
// Worked example (NewTask: thank-you call of customer c1's v1, due
// 2026-01-31, staff S01): two tasks created make two task.created; t1
// moved to 2026-02-03 makes a task.rescheduled with previous due
// 2026-01-31; a lost replacement and a lost creation make none; an
// assignment makes none; t1's outcome makes task.done with the outcome;
// t2 cancelled makes task.cancelled; erasing c1 cancels the open t3
// (task.cancelled with its dates) and deletes the open birthday care t4
// (task.cancelled without dates), and writes nothing for the closed
// t1 and t2. Then the daily run: task.created for what it creates and one
// task.due per open task due that day, none again on a second run.
func RunEventTests(t *testing.T, newStores func(t *testing.T) (crm.Store, lifecycle.TaskStore, crm.EventStore)) {
	ctx := context.Background()
	t.Run("TaskStore", func(t *testing.T) {
		_, s, es := newStores(t)
		created := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
		t1, t2 := NewTask("d1", "t1", "k1"), NewTask("d1", "t2", "k2")
		apply(t, s, "d1", []lifecycle.Task{t1, t2}, nil)
		base := lifecycle.TaskEvent{Kind: lifecycle.KindThankYou3DC, CustomerID: "c1", VehicleID: "v1",
			Due: dealercrm.MustParseDate("2026-01-31"), WindowEnd: dealercrm.MustParseDate("2026-01-31"), Status: lifecycle.StatusOpen,
			Channel: crm.ChannelPhone, OwnerRole: lifecycle.RoleConsultant, StaffID: "S01", ReasonCode: "lifecycle.reason.delivery_3dc"}
		with := func(id string, f func(p *lifecycle.TaskEvent)) lifecycle.TaskEvent {
			p := base
			p.TaskID = lifecycle.TaskID(id)
			if f != nil {
				f(&p)
			}
			return p
		}
		got, seq := readTaskEvents(t, es, "d1", 0)
		assert.ElementsMatch(t, []taskEvent{
			{crm.EventTaskCreated, "t1", with("t1", nil)},
			{crm.EventTaskCreated, "t2", with("t2", nil)},
		}, got, "two tasks created: two task.created")
		all := crmtest.ReadEvents(t, es, "d1", crm.EventFilter{Types: taskTypes})
		require.Len(t, all, 2)
		assert.Equal(t, created, all[0].At, "at the task's time")
		assert.NotContains(t, string(all[0].Payload), "delivered on", "no free text")
		assert.NotContains(t, string(all[0].Payload), "2026-01-28", "no reason parameters")

		// t1 rescheduled by the run (a replacement with a new due date);
		// a stale replacement of t2 and a creation of a taken key are
		// lost and make no event.
		read1, err := s.Get(ctx, "d1", "t1")
		require.NoError(t, err)
		read2, err := s.Get(ctx, "d1", "t2")
		require.NoError(t, err)
		moved := read1
		moved.Due, moved.WindowEnd, moved.UpdatedAt = dealercrm.MustParseDate("2026-02-03"), dealercrm.MustParseDate("2026-02-04"), created.Add(time.Hour)
		stale := read2
		stale.Version, stale.Due, stale.WindowEnd = 7, dealercrm.MustParseDate("2026-03-01"), dealercrm.MustParseDate("2026-03-01")
		lost, err := s.Apply(ctx, "d1", []lifecycle.Task{NewTask("d1", "t9", "k1")}, []lifecycle.Task{moved, stale})
		require.NoError(t, err)
		assert.Equal(t, []lifecycle.TaskID{"t9", "t2"}, ids(lost), "the taken key and the stale version are lost")
		got, seq = readTaskEvents(t, es, "d1", seq)
		assert.Equal(t, []taskEvent{{crm.EventTaskRescheduled, "t1", with("t1", func(p *lifecycle.TaskEvent) {
			p.Due, p.WindowEnd, p.PreviousDue = dealercrm.MustParseDate("2026-02-03"), dealercrm.MustParseDate("2026-02-04"), dealercrm.MustParseDate("2026-01-31")
		})}}, got, "one task.rescheduled from 2026-01-31 to 2026-02-03; the lost writes make none")

		// An assignment changes neither due date nor status: no event.
		_, err = s.UpdateMany(ctx, "d1", []lifecycle.TaskID{"t1", "t2"}, func(t *lifecycle.Task) error { t.AssigneeID = "S02"; return nil })
		require.NoError(t, err)
		got, seq = readTaskEvents(t, es, "d1", seq)
		assert.Empty(t, got, "an assignment makes no event")

		// t1's outcome: task.done; t2 cancelled: task.cancelled.
		_, err = s.Update(ctx, "d1", "t1", func(t *lifecycle.Task) error {
			t.Status, t.Outcome, t.StatusReason, t.StatusReasonCode = lifecycle.StatusDone, crm.OutcomeReached, "outcome reached", lifecycle.CodeOutcome
			t.Note, t.UpdatedAt = "happy", created.Add(2*time.Hour)
			return nil
		})
		require.NoError(t, err)
		_, err = s.UpdateMany(ctx, "d1", []lifecycle.TaskID{"t2"}, func(t *lifecycle.Task) error {
			t.Status, t.StatusReason, t.StatusReasonCode, t.UpdatedAt = lifecycle.StatusCancelled, "sold the car", lifecycle.CodeCancelledByStaff, created.Add(3*time.Hour)
			return nil
		})
		require.NoError(t, err)
		got, seq = readTaskEvents(t, es, "d1", seq)
		assert.Equal(t, []taskEvent{
			{crm.EventTaskDone, "t1", with("t1", func(p *lifecycle.TaskEvent) {
				p.Due, p.WindowEnd = dealercrm.MustParseDate("2026-02-03"), dealercrm.MustParseDate("2026-02-04")
				p.Status, p.Outcome, p.StaffID, p.StatusReasonCode = lifecycle.StatusDone, crm.OutcomeReached, "S02", lifecycle.CodeOutcome
			})},
			{crm.EventTaskCancelled, "t2", with("t2", func(p *lifecycle.TaskEvent) {
				p.Status, p.StaffID, p.StatusReasonCode = lifecycle.StatusCancelled, "S02", lifecycle.CodeCancelledByStaff
			})},
		}, got, "the outcome makes task.done, the cancellation task.cancelled")

		// Erasing c1: the open t3 is cancelled (with its dates), the open
		// birthday care t4 deleted (without them); the closed t1 and t2
		// make none.
		t3, t4 := NewTask("d1", "t3", "k3"), NewTask("d1", "t4", "k4")
		t4.Kind, t4.Due, t4.WindowEnd = lifecycle.KindBirthdayCare, dealercrm.MustParseDate("2026-02-14"), dealercrm.MustParseDate("2026-02-14")
		apply(t, s, "d1", []lifecycle.Task{t3, t4}, nil)
		_, seq = readTaskEvents(t, es, "d1", seq)
		erased := time.Date(2026, 2, 20, 9, 0, 0, 0, time.UTC)
		n, err := s.EraseCustomer(ctx, "d1", "c1", nil, erased)
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		got, seq = readTaskEvents(t, es, "d1", seq)
		assert.ElementsMatch(t, []taskEvent{
			{crm.EventTaskCancelled, "t3", with("t3", func(p *lifecycle.TaskEvent) {
				p.Status, p.ReasonCode, p.StatusReasonCode = lifecycle.StatusCancelled, lifecycle.CodeErased, lifecycle.CodeErased
			})},
			{crm.EventTaskCancelled, "t4", with("t4", func(p *lifecycle.TaskEvent) {
				p.Kind, p.Due, p.WindowEnd = lifecycle.KindBirthdayCare, dealercrm.Date{}, dealercrm.Date{}
				p.Status, p.ReasonCode, p.StatusReasonCode = lifecycle.StatusCancelled, lifecycle.CodeErased, lifecycle.CodeErased
			})},
		}, got, "an erasure cancels the open tasks; a deleted birthday call's event has no dates")
		for _, e := range crmtest.ReadEvents(t, es, "d1", crm.EventFilter{Types: []crm.EventType{crm.EventTaskCancelled}}) {
			if e.Subject.ID == "t4" {
				assert.NotContains(t, string(e.Payload), "02-14", "no birthday in the event")
				assert.Equal(t, erased, e.At)
			}
		}
		n, err = s.EraseCustomer(ctx, "d1", "c1", nil, erased.Add(time.Hour))
		require.NoError(t, err)
		assert.Zero(t, n)
		got, _ = readTaskEvents(t, es, "d1", seq)
		assert.Empty(t, got, "erasing again makes no event")
		assert.Empty(t, crmtest.ReadEvents(t, es, "d2", crm.EventFilter{}), "another dealer has none")
	})
	t.Run("Run", func(t *testing.T) {
		cs, ts, es := newStores(t)
		crmSvc := seedFleet(t, cs, 1, 1, "2026-01-28")
		svc := newService(t, crmSvc, ts)
		day := dealercrm.MustParseDate("2026-01-31")
		r, err := svc.Run(ctx, "d1", day)
		require.NoError(t, err)
		require.Equal(t, 2, r.Created, "the 3DC call and the one-on-one visit")
		tdc, err := ts.GetByKey(ctx, "d1", "delivery_3dc|vehicle:v1|2026-01-28|1")
		require.NoError(t, err)
		require.Equal(t, day, tdc.Due)
		got, seq := readTaskEvents(t, es, "d1", 0)
		var types []crm.EventType
		for _, e := range got {
			types = append(types, e.Type)
		}
		assert.Equal(t, []crm.EventType{crm.EventTaskCreated, crm.EventTaskCreated, crm.EventTaskDue}, types,
			"two tasks created, then the one due today")
		due := got[2]
		assert.Equal(t, string(tdc.ID), due.Task, "the 3DC call is due on 2026-01-31")
		assert.Equal(t, day, due.Payload.Due)
		assert.Equal(t, lifecycle.StatusOpen, due.Payload.Status)

		r, err = svc.Run(ctx, "d1", day)
		require.NoError(t, err)
		assert.Zero(t, r.Created)
		got, seq = readTaskEvents(t, es, "d1", seq)
		assert.Empty(t, got, "a second run of the day writes no task.due again and changes nothing")

		// Two days later the run marks the call overdue: no event of it;
		// a task.due is of a task due that day.
		_, err = svc.Run(ctx, "d1", day.AddDays(2))
		require.NoError(t, err)
		got, _ = readTaskEvents(t, es, "d1", seq)
		for _, e := range got {
			assert.NotEqual(t, string(tdc.ID), e.Task, "going overdue makes no event")
			if e.Type == crm.EventTaskDue {
				assert.Equal(t, day.AddDays(2), e.Payload.Due)
			}
		}
		// An outcome through the service: task.done.
		_, _, err = svc.RecordOutcome(ctx, "d1", tdc.ID, lifecycle.Outcome{Outcome: crm.OutcomeReached, Note: "happy", StaffID: "S01"})
		require.NoError(t, err)
		all := crmtest.ReadEvents(t, es, "d1", crm.EventFilter{Types: []crm.EventType{crm.EventTaskDone}})
		require.Len(t, all, 1)
		assert.Equal(t, tdc.ID, lifecycle.TaskID(all[0].Subject.ID))
		assert.NotContains(t, string(all[0].Payload), "happy", "no note")
	})
	t.Run("RunDuringErasure", func(t *testing.T) {
		// The customer is erased after the run read the records and
		// before it writes: it creates their tasks, erases them again
		// (two task.cancelled) and writes no task.due for them.
		cs, ts, es := newStores(t)
		crmSvc := seedFleet(t, cs, 1, 1, "2026-01-28")
		svc := newService(t, crmSvc, ts)
		hooked := &hookStore{TaskStore: ts, before: func() { require.NoError(t, svc.EraseCustomer(ctx, "d1", "c1")) }}
		_, err := newService(t, crmSvc, hooked).Run(ctx, "d1", dealercrm.MustParseDate("2026-01-31"))
		require.NoError(t, err)
		got, _ := readTaskEvents(t, es, "d1", 0)
		var types []crm.EventType
		for _, e := range got {
			types = append(types, e.Type)
		}
		assert.Equal(t, []crm.EventType{crm.EventTaskCreated, crm.EventTaskCreated, crm.EventTaskCancelled, crm.EventTaskCancelled}, types,
			"created, erased again: no task.due of a cancelled task")
	})
}
