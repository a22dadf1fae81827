package lifecycle_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTaskEvents: the rules of lifecycle.TaskEvents, one change each, on
// a thank-you call due 2026-01-31.
func TestTaskEvents(t *testing.T) {
	at := time.Date(2026, 1, 31, 9, 0, 0, 0, time.UTC)
	base := lifecycle.Task{ID: "t1", DealerID: "d1", Key: "k1", Kind: lifecycle.KindThankYou3DC, CustomerID: "c1", VehicleID: "v1",
		Due: dealercrm.MustParseDate("2026-01-31"), WindowEnd: dealercrm.MustParseDate("2026-01-31"), Channel: crm.ChannelPhone,
		OwnerRole: lifecycle.RoleConsultant, AssigneeID: "S01", Reason: "delivered on 2026-01-28", ReasonCode: "lifecycle.reason.delivery_3dc",
		Status: lifecycle.StatusOpen, Note: "call after 6 pm", UpdatedAt: at.Add(-time.Hour)}
	change := func(f func(*lifecycle.Task)) lifecycle.Task {
		n := base
		f(&n)
		return n
	}
	for _, tc := range []struct {
		name string
		old  *lifecycle.Task
		next lifecycle.Task
		want []crm.EventType
	}{
		{"creation", nil, base, []crm.EventType{crm.EventTaskCreated}},
		{"new due", &base, change(func(t *lifecycle.Task) { t.Due, t.WindowEnd = t.Due.AddDays(3), t.WindowEnd.AddDays(3) }), []crm.EventType{crm.EventTaskRescheduled}},
		{"done", &base, change(func(t *lifecycle.Task) { t.Status, t.Outcome = lifecycle.StatusDone, crm.OutcomeReached }), []crm.EventType{crm.EventTaskDone}},
		{"cancelled with a new due", &base, change(func(t *lifecycle.Task) { t.Status, t.Due = lifecycle.StatusCancelled, t.Due.AddDays(1) }), []crm.EventType{crm.EventTaskCancelled}},
		{"overdue", &base, change(func(t *lifecycle.Task) { t.Status = lifecycle.StatusOverdue }), nil},
		{"skipped", &base, change(func(t *lifecycle.Task) { t.Status = lifecycle.StatusSkipped }), nil},
		{"assigned", &base, change(func(t *lifecycle.Task) { t.AssigneeID = "S02" }), nil},
		{"done again", func() *lifecycle.Task {
			d := change(func(t *lifecycle.Task) { t.Status = lifecycle.StatusDone })
			return &d
		}(),
			change(func(t *lifecycle.Task) { t.Status, t.Note = lifecycle.StatusDone, "x" }), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs := lifecycle.TaskEvents(tc.old, tc.next, at)
			var got []crm.EventType
			for _, e := range evs {
				got = append(got, e.Type)
				require.NoError(t, crm.CheckEvent(e))
				assert.Equal(t, at, e.At)
				assert.Equal(t, crm.EventSubject{Kind: crm.SubjectTask, ID: "t1"}, e.Subject)
				assert.NotContains(t, string(e.Payload), "6 pm", "no note")
				assert.NotContains(t, string(e.Payload), "delivered on", "no reason text")
			}
			assert.Equal(t, tc.want, got)
		})
	}
	moved := change(func(t *lifecycle.Task) {
		t.Due, t.WindowEnd = dealercrm.MustParseDate("2026-02-03"), dealercrm.MustParseDate("2026-02-03")
	})
	var p lifecycle.TaskEvent
	require.NoError(t, json.Unmarshal(lifecycle.TaskEvents(&base, moved, time.Time{})[0].Payload, &p))
	assert.Equal(t, dealercrm.MustParseDate("2026-01-31"), p.PreviousDue)
	assert.Equal(t, dealercrm.MustParseDate("2026-02-03"), p.Due)
	assert.Equal(t, base.UpdatedAt, lifecycle.TaskEvents(&base, moved, time.Time{})[0].At, "without a time: the task's UpdatedAt")

	// task.due: the open tasks due on the day, keyed by task and day.
	overdue := change(func(t *lifecycle.Task) { t.ID, t.Status = "t2", lifecycle.StatusOverdue })
	later := change(func(t *lifecycle.Task) { t.ID, t.Due = "t3", t.Due.AddDays(1) })
	due := lifecycle.DueEvents([]lifecycle.Task{base, overdue, later}, base.Due, at)
	require.Len(t, due, 1, "only t1 is open and due on 2026-01-31")
	assert.Equal(t, "task.due:t1:2026-01-31", due[0].Key)
	assert.Equal(t, crm.EventTaskDue, due[0].Type)

	// An erasure's deleted birthday call: task.cancelled without dates;
	// a closed one: none.
	bday := change(func(t *lifecycle.Task) {
		t.Kind, t.Due, t.WindowEnd = lifecycle.KindBirthdayCare, dealercrm.MustParseDate("1980-02-14"), dealercrm.MustParseDate("1980-02-14")
	})
	del := lifecycle.DeletedTaskEvents(bday, at)
	require.Len(t, del, 1)
	assert.Equal(t, crm.EventTaskCancelled, del[0].Type)
	assert.NotContains(t, string(del[0].Payload), "02-14")
	bday.Status = lifecycle.StatusDone
	assert.Empty(t, lifecycle.DeletedTaskEvents(bday, at))
}

// TestStaleLeadEvent: a new stale-lead task is the lead going stale — a
// task.created and a lead.stale, keyed by the lead and the day its silence
// began, so that the next stale stretch reports again and this one once.
func TestStaleLeadEvent(t *testing.T) {
	at := time.Date(2026, 6, 1, 2, 0, 0, 0, time.UTC)
	task := lifecycle.Task{ID: "t9", DealerID: "d1", Key: "stale:l1:2026-03-02", Kind: lifecycle.KindStaleLead, LeadID: "l1",
		Due: dealercrm.MustParseDate("2026-05-31"), WindowEnd: dealercrm.MustParseDate("2026-06-06"), OwnerRole: lifecycle.RoleManager,
		ReasonCode: lifecycle.CodeLeadStale, ReasonParams: map[string]string{"level": "B", "since": "2026-03-02", "days": "90"},
		Status: lifecycle.StatusOpen}
	evs := lifecycle.TaskEvents(nil, task, at)
	require.Len(t, evs, 2)
	assert.Equal(t, crm.EventTaskCreated, evs[0].Type)
	assert.Equal(t, crm.EventLeadStale, evs[1].Type)
	assert.Equal(t, crm.EventSubject{Kind: crm.SubjectLead, ID: "l1"}, evs[1].Subject)
	assert.Equal(t, "lead.stale:l1:2026-03-02T00:00:00Z", evs[1].Key)
	var p map[string]any
	require.NoError(t, json.Unmarshal(evs[1].Payload, &p))
	assert.Equal(t, map[string]any{"lead_id": "l1", "to": "B", "status": "open", "since": "2026-03-02T00:00:00Z"}, p)
	done := task
	done.Status = lifecycle.StatusDone
	assert.Len(t, lifecycle.TaskEvents(&task, done, at), 1, "closing the task is no new staleness")
}

// TestTaskEventsWithoutTimes: a task a host writes through the store
// without times still makes a valid event (at the time of writing), so
// its write is not refused.
func TestTaskEventsWithoutTimes(t *testing.T) {
	task := lifecycle.Task{ID: "t1", DealerID: "d1", Key: "k1", Kind: lifecycle.KindMaintenance, CustomerID: "c1",
		Due: dealercrm.MustParseDate("2026-05-04"), WindowEnd: dealercrm.MustParseDate("2026-05-10"), Status: lifecycle.StatusOpen}
	before := time.Now()
	evs := lifecycle.TaskEvents(nil, task, time.Time{})
	require.Len(t, evs, 1)
	require.NoError(t, crm.CheckEvent(evs[0]))
	assert.False(t, evs[0].At.Before(before.Truncate(time.Microsecond)), "written now")
}
