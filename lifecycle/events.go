package lifecycle

import (
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// TaskEvent is the payload (version 1) of the task events (SPEC §8):
// task.created, task.rescheduled, task.cancelled, task.due and task.done.
// Its subject is the task ({Kind: crm.SubjectTask, ID: the task's ID}),
// so a webhook receiver gets one task's events in order. It carries IDs,
// codes and dates only: no names, phones, plates or free text (a task's
// Reason, StatusReason and Note may quote a person; the codes say the
// same without them, and the reason's parameters are left out too).
type TaskEvent struct {
	TaskID TaskID `json:"task_id"`
	Kind   Kind   `json:"kind"`
	// The task's subject: a customer and vehicle, or a lead.
	CustomerID crm.CustomerID `json:"customer_id,omitempty"`
	VehicleID  crm.VehicleID  `json:"vehicle_id,omitempty"`
	LeadID     crm.LeadID     `json:"lead_id,omitempty"`
	// Due and WindowEnd are the task's dates after the change; absent
	// from the task.cancelled event of a task whose dates are personal
	// and that an erasure deleted (DeletedTaskEvents).
	Due       dealercrm.Date `json:"due,omitzero"`
	WindowEnd dealercrm.Date `json:"window_end,omitzero"`
	// PreviousDue is the due date before a task.rescheduled.
	PreviousDue dealercrm.Date `json:"previous_due,omitzero"`
	Status      Status         `json:"status"`
	Channel     crm.Channel    `json:"channel,omitempty"`
	OwnerRole   Role           `json:"owner_role,omitempty"`
	// StaffID is the staff member in charge (Task.AssigneeID); empty for
	// the role's pool.
	StaffID crm.StaffID `json:"staff_id,omitempty"`
	// ReasonCode is why the task exists (Task.ReasonCode) and
	// StatusReasonCode why its status or due date last changed: message
	// codes (reasons.go), rendered by package i18n.
	ReasonCode       string `json:"reason_code,omitempty"`
	StatusReasonCode string `json:"status_reason_code,omitempty"`
	// Outcome is the outcome recorded (task.done).
	Outcome crm.Outcome `json:"outcome,omitempty"`
}

// taskEvent returns the event of type typ about t, at at; prev is the
// previous due date of a task.rescheduled.
func taskEvent(typ crm.EventType, t *Task, prev dealercrm.Date, at time.Time) crm.Event {
	p := TaskEvent{TaskID: t.ID, Kind: t.Kind, CustomerID: t.CustomerID, VehicleID: t.VehicleID, LeadID: t.LeadID,
		Due: t.Due, WindowEnd: t.WindowEnd, PreviousDue: prev, Status: t.Status, Channel: t.Channel, OwnerRole: t.OwnerRole, StaffID: t.AssigneeID,
		ReasonCode: t.ReasonCode, StatusReasonCode: t.StatusReasonCode, Outcome: t.Outcome}
	return crm.NewEvent(t.DealerID, typ, crm.EventSubject{Kind: crm.SubjectTask, ID: string(t.ID)}, at, p)
}

// eventTime is at, or when at is zero the time t was last changed, or
// when the task carries no time either (a host writing tasks through the
// store directly) now.
func eventTime(t *Task, at time.Time) time.Time {
	switch {
	case !at.IsZero():
		return at
	case !t.UpdatedAt.IsZero():
		return t.UpdatedAt
	case !t.CreatedAt.IsZero():
		return t.CreatedAt
	}
	return time.Now()
}

// TaskEvents returns the events of a task written by a store: old is the
// stored task it replaces (nil for a creation), next the task written, at
// when the change happened (when zero: next.UpdatedAt, else its
// CreatedAt, else now). A store calls it for each task it writes, and writes the
// events with the task (TaskStore: Apply, Update, UpdateMany,
// EraseCustomer); a write it does not make (a lost replacement) makes
// none. Of old it reads only Due and Status.
//
// The rules, one task event at most per write:
//
//   - a creation is task.created (a stale-lead task's also lead.stale,
//     the lead's event: crm.StaleLeadEvent);
//   - a status that becomes done is task.done (with the outcome);
//   - a status that becomes cancelled (by the daily run, by staff, by an
//     erasure) is task.cancelled;
//   - else a due date that changes on a task still open or overdue is
//     task.rescheduled, with the previous due date;
//   - anything else (an assignment, an overdue flag, a skip, a new
//     description) makes no event.
func TaskEvents(old *Task, next Task, at time.Time) []crm.Event {
	at = eventTime(&next, at)
	switch {
	case old == nil && next.Kind == KindStaleLead && next.LeadID != "":
		// The manager's stale-lead task is the lead going stale: both
		// events, the lead's keyed by the stretch of silence.
		return []crm.Event{taskEvent(crm.EventTaskCreated, &next, dealercrm.Date{}, at), staleLeadEvent(&next, at)}
	case old == nil:
		return []crm.Event{taskEvent(crm.EventTaskCreated, &next, dealercrm.Date{}, at)}
	case next.Status == StatusDone && old.Status != StatusDone:
		return []crm.Event{taskEvent(crm.EventTaskDone, &next, dealercrm.Date{}, at)}
	case next.Status == StatusCancelled && old.Status != StatusCancelled:
		return []crm.Event{taskEvent(crm.EventTaskCancelled, &next, dealercrm.Date{}, at)}
	case next.Status.Active() && next.Due != old.Due:
		return []crm.Event{taskEvent(crm.EventTaskRescheduled, &next, old.Due, at)}
	}
	return nil
}

// DeletedTaskEvents returns the events of a task that an erasure deletes
// (TaskStore.EraseCustomer deletes the tasks whose dates are personal,
// Task.DatesArePersonal): a task.cancelled when it was still open or
// overdue, with the erased reason codes (CodeErased) and without its
// dates, which would tell the birthday; none for a task already closed
// (its closing event was written then).
func DeletedTaskEvents(old Task, at time.Time) []crm.Event {
	if !old.Status.Active() {
		return nil
	}
	t := old
	t.Status, t.ReasonCode, t.StatusReasonCode = StatusCancelled, CodeErased, CodeErased
	t.Due, t.WindowEnd = dealercrm.Date{}, dealercrm.Date{}
	return []crm.Event{taskEvent(crm.EventTaskCancelled, &t, dealercrm.Date{}, eventTime(&old, at))}
}

// DueEvents returns the task.due events of a dealer's day: one for each
// of tasks that is open and due on day, at at, keyed
// "task.due:<task>:<day>" (crm.Event.Key) so that a run repeated for the
// same day writes none twice. The daily run (Service.Run) writes them
// after its changes.
func DueEvents(tasks []Task, day dealercrm.Date, at time.Time) []crm.Event {
	var out []crm.Event
	for i := range tasks {
		t := &tasks[i]
		if t.Status != StatusOpen || t.Due != day {
			continue
		}
		e := taskEvent(crm.EventTaskDue, t, dealercrm.Date{}, at)
		e.Key = "task.due:" + string(t.ID) + ":" + day.String()
		out = append(out, e)
	}
	return out
}

// staleLeadEvent returns the lead.stale event of a new stale-lead task:
// the lead at the level its reason names, silent since the day the reason
// names (crm.StaleLeadEvent keys it by lead and that day).
func staleLeadEvent(t *Task, at time.Time) crm.Event {
	l := crm.Lead{ID: t.LeadID, Record: crm.Record{DealerID: t.DealerID}, CustomerID: t.CustomerID,
		Level: crm.IntentLevel(t.ReasonParams["level"]), Status: crm.LeadOpen}
	since := t.AnchorDate.Time(time.UTC)
	if d, err := dealercrm.ParseDate(t.ReasonParams["since"]); err == nil {
		since = d.Time(time.UTC)
	}
	return crm.StaleLeadEvent(&l, since, at)
}
