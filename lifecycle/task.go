package lifecycle

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// TaskID identifies a task.
type TaskID string

// Status is the state of a task.
type Status string

// The task statuses.
const (
	StatusOpen      Status = "open"      // to do, inside or before its window
	StatusOverdue   Status = "overdue"   // its window ended and it is not done
	StatusDone      Status = "done"      // done, with an outcome
	StatusSkipped   Status = "skipped"   // deliberately not done, with a reason
	StatusCancelled Status = "cancelled" // its reason vanished (the car was serviced…)
)

var allStatuses = []Status{StatusOpen, StatusOverdue, StatusDone, StatusSkipped, StatusCancelled}

// Valid reports whether s is a known Status.
func (s Status) Valid() bool { return slices.Contains(allStatuses, s) }

// ParseStatus returns s as a Status, or a *crm.ValidationError.
func ParseStatus(s string) (Status, error) {
	if Status(s).Valid() {
		return Status(s), nil
	}
	c := crm.Checker{}
	c.Add("status", crm.RuleEnum, "%q is not one of %v", s, allStatuses)
	return "", c.Err("task")
}

// Active reports whether a task in status s is still to be done.
func (s Status) Active() bool { return s == StatusOpen || s == StatusOverdue }

// transitions is the task state machine. An active task may stay in its
// status (a reschedule, an unanswered call); a closed one may not move.
var transitions = map[Status][]Status{
	StatusOpen:      {StatusOpen, StatusOverdue, StatusDone, StatusSkipped, StatusCancelled},
	StatusOverdue:   {StatusOpen, StatusOverdue, StatusDone, StatusSkipped, StatusCancelled},
	StatusDone:      {},
	StatusSkipped:   {},
	StatusCancelled: {},
}

// CanMove reports whether a task may move from s to to.
func (s Status) CanMove(to Status) bool { return slices.Contains(transitions[s], to) }

// move returns nil when a task may move from s to to, else a
// *dealercrm.TransitionError (machine "task status") that errors.Is
// ErrTaskClosed when s is closed.
func (s Status) move(to Status) error {
	if s.CanMove(to) {
		return nil
	}
	var closed error
	if !s.Active() {
		closed = ErrTaskClosed
	}
	return dealercrm.NewTransitionError("task status", s, to, transitions[s], closed)
}

// Task is a touchpoint for one customer and vehicle: whom to contact,
// about what, by when and who does it.
type Task struct {
	ID       TaskID       `json:"id"`
	DealerID crm.DealerID `json:"dealer_id"`
	// Key is deterministic: rule kind, subject and anchor (event and date)
	// and the reminder number. A dealer has one task per key.
	Key        string         `json:"key"`
	Kind       Kind           `json:"kind"`
	VehicleID  crm.VehicleID  `json:"vehicle_id,omitempty"`
	CustomerID crm.CustomerID `json:"customer_id,omitempty"`
	// LeadID is the lead (prospect, not yet a customer) a lead follow-up
	// or stale-lead task is about; empty for every other task.
	LeadID crm.LeadID `json:"lead_id,omitempty"`
	// AnchorDate is the date the offset counted from (for predicted
	// anchors, the prediction on the last run).
	AnchorDate dealercrm.Date `json:"anchor_date"`
	Due        dealercrm.Date `json:"due"`
	// WindowEnd is the last day of the due window.
	WindowEnd dealercrm.Date `json:"window_end"`
	Channel   crm.Channel    `json:"channel"`
	Purpose   crm.Purpose    `json:"purpose,omitempty"`
	OwnerRole Role           `json:"owner_role"`
	// AssigneeID is the staff member in charge; empty for the role's pool.
	AssigneeID crm.StaffID `json:"assignee_id,omitempty"`
	// ExcludedStaffID must not do the task (the advisor who did the job).
	ExcludedStaffID crm.StaffID `json:"excluded_staff_id,omitempty"`
	// Reason says why the task exists, in English; the HTTP API renders
	// it from ReasonCode in the reader's language.
	Reason string `json:"reason"`
	// ReasonCode and ReasonParams are Reason as a message code with
	// parameters (reasons.go; package i18n renders them). The code is
	// empty only on a task stored before codes existed.
	ReasonCode   string            `json:"reason_code"`
	ReasonParams map[string]string `json:"reason_params,omitempty"`
	// Pinned marks a due date set by staff: the scheduler keeps it.
	Pinned bool   `json:"pinned,omitempty"`
	Status Status `json:"status"`
	// StatusReason says why the status or due date last changed.
	StatusReason string `json:"status_reason,omitempty"`
	// StatusReasonCode and StatusReasonParams are StatusReason as a
	// message code with parameters.
	StatusReasonCode   string            `json:"status_reason_code,omitempty"`
	StatusReasonParams map[string]string `json:"status_reason_params,omitempty"`
	Outcome            crm.Outcome       `json:"outcome,omitempty"`
	Note               string            `json:"note,omitempty"`
	InteractionID      crm.InteractionID `json:"interaction_id,omitempty"`
	// Attempts counts the unanswered calls (crm.OutcomeNoAnswer) made for
	// the task; CallPolicy.MaxAttempts of them close it (RecordOutcome).
	Attempts int `json:"attempts,omitempty"`
	// AppointmentDate is the date booked by an appointment_booked outcome
	// (crm.OutcomeAppointment).
	AppointmentDate dealercrm.Date `json:"appointment_date,omitzero"`
	// Stage and LastVisit describe the task's subject for the call list,
	// as of the daily run that last saw the task active (Service.Run
	// keeps them current and writes a task whose description changed): the
	// vehicle's lifecycle stage (empty for a vehicle not yet delivered and
	// for a task without a vehicle) and the date of its last service order
	// on or before the run's day (for a task without a vehicle, the latest
	// over its customer's vehicles). Empty on a task no run has seen yet.
	Stage     Stage          `json:"stage,omitempty"`
	LastVisit dealercrm.Date `json:"last_visit,omitzero"`
	// Version counts the writes of a stored task: 1 when created, one more
	// on each change. A store replaces a task only while it still has the
	// version the replacement was read with (TaskStore.Apply), so that the
	// daily run never overwrites what staff recorded meanwhile.
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Validate checks a task before it is stored.
func (t *Task) Validate() error {
	var c crm.Checker
	req := func(f, v string) {
		if v == "" {
			c.Add(f, crm.RuleRequired, "is required")
		}
	}
	req("id", string(t.ID))
	req("dealer_id", string(t.DealerID))
	req("key", t.Key)
	req("kind", string(t.Kind))
	if !t.Due.Valid() {
		c.Add("due", crm.RuleRequired, "is required")
	}
	if t.WindowEnd.Before(t.Due) {
		c.Add("window_end", crm.RuleOrder, "must not be before due")
	}
	if !t.Status.Valid() {
		c.Add("status", crm.RuleEnum, "%q is not a status", t.Status)
	}
	if !t.OwnerRole.Valid() {
		c.Add("owner_role", crm.RuleEnum, "%q is not a role", t.OwnerRole)
	}
	if t.Outcome != "" && !t.Outcome.Valid() {
		c.Add("outcome", crm.RuleEnum, "%q is not an outcome", t.Outcome)
	}
	if t.Attempts < 0 {
		c.Add("attempts", RuleNegative, "must not be negative")
	}
	// Text no store could keep (a NUL, invalid UTF-8) in what people and
	// hosts write on a task — a skip reason, a note, an assignee, a
	// reason's parameters — is refused alike by every store. The rest
	// comes from crm records, checked when they were written; the fields
	// are named rather than walked by reflection, which cost the daily run
	// a tenth of its time.
	for f, v := range map[string]string{"reason": t.Reason, "status_reason": t.StatusReason, "note": t.Note,
		"assignee_id": string(t.AssigneeID), "excluded_staff_id": string(t.ExcludedStaffID)} {
		if fe, bad := crm.CheckText(f, v); bad {
			c.Append(fe)
		}
	}
	checkParams(&c, "reason_params", t.ReasonParams)
	checkParams(&c, "status_reason_params", t.StatusReasonParams)
	return c.Err("task")
}

// checkParams adds the FieldError of each parameter whose key or value
// is text no store could keep.
func checkParams(c *crm.Checker, field string, p map[string]string) {
	for k, v := range p {
		if fe, bad := crm.CheckText(field+"["+k+"]", k+v); bad {
			c.Append(fe)
		}
	}
}

// TaskFilter selects tasks. Empty fields match everything; a list
// matches a task whose value is one of its members.
type TaskFilter struct {
	VehicleID  crm.VehicleID  `json:"vehicle_id,omitempty"`
	CustomerID crm.CustomerID `json:"customer_id,omitempty"`
	Statuses   []Status       `json:"statuses,omitempty"`
	OwnerRole  Role           `json:"owner_role,omitempty"`
	AssigneeID crm.StaffID    `json:"assignee_id,omitempty"`
	// Due selects by due date.
	Due crm.DateRange `json:"due"`
	// LeadID selects the tasks of one lead.
	LeadID crm.LeadID `json:"lead_id,omitempty"`
	// HasLead selects only the tasks of a lead (lead follow-ups and stale
	// leads).
	HasLead bool `json:"has_lead,omitempty"`
	// Kinds selects by task kind.
	Kinds []Kind `json:"kinds,omitempty"`
	// Channels selects by channel.
	Channels []crm.Channel `json:"channels,omitempty"`
	// CustomerIDs selects the tasks of some customers (the grouped call
	// list reads a page of customers' tasks with it).
	CustomerIDs []crm.CustomerID `json:"customer_ids,omitempty"`
	crm.PageRequest
}

// Match reports whether t passes f (the memory store uses it; other
// stores must select the same tasks).
func (f TaskFilter) Match(t *Task) bool {
	return (f.VehicleID == "" || t.VehicleID == f.VehicleID) &&
		(f.CustomerID == "" || t.CustomerID == f.CustomerID) &&
		(len(f.Statuses) == 0 || slices.Contains(f.Statuses, t.Status)) &&
		(f.OwnerRole == "" || t.OwnerRole == f.OwnerRole) &&
		(f.AssigneeID == "" || t.AssigneeID == f.AssigneeID) &&
		f.Due.Contains(t.Due) &&
		(f.LeadID == "" || t.LeadID == f.LeadID) &&
		(!f.HasLead || t.LeadID != "") &&
		(len(f.Kinds) == 0 || slices.Contains(f.Kinds, t.Kind)) &&
		(len(f.Channels) == 0 || slices.Contains(f.Channels, t.Channel)) &&
		(len(f.CustomerIDs) == 0 || slices.Contains(f.CustomerIDs, t.CustomerID))
}

// TaskStore keeps tasks. Implementations: adapters/memory and
// adapters/postgres; lifecycletest.RunStoreTests is their contract.
//
// Events: every write (Apply, Update, UpdateMany, EraseCustomer) writes
// the events of the tasks it writes (TaskEvents; for a task an erasure
// deletes, DeletedTaskEvents) with them, atomically — in the write's
// transaction, or under the lock of the change — to the backend's event
// outbox (crm.EventStore). A task not written (a lost replacement, a
// failed write) makes none; lifecycletest.RunEventTests is the contract.
type TaskStore interface {
	// Get returns a task; ErrTaskNotFound (dealercrm.NotFound) when absent.
	Get(ctx context.Context, dealer crm.DealerID, id TaskID) (Task, error)
	// GetByKey returns the task with a key; ErrTaskNotFound when absent.
	GetByKey(ctx context.Context, dealer crm.DealerID, key string) (Task, error)
	// List returns tasks in ID order, a page at a time.
	List(ctx context.Context, dealer crm.DealerID, f TaskFilter) (crm.Page[Task], error)
	// Apply creates and replaces tasks of one dealer in one transaction,
	// without overwriting what was written since they were read
	// (optimistic concurrency): a created task is written unless a task
	// with its ID or key exists (stored with Version 1); a replacement is
	// written only while the stored task has the ID, key and Version the
	// replacement carries (its version then goes up by one). The tasks not
	// written are returned, creations first, each in input order: they are
	// no error (another writer was first; re-read and re-plan them). An
	// invalid task or one of another dealer is an error, and then nothing
	// is written.
	Apply(ctx context.Context, dealer crm.DealerID, create, replace []Task) (lost []Task, err error)
	// Update changes one task under a lock: fn sees the stored task; an
	// error from fn aborts. The version goes up by one. ErrTaskNotFound
	// when absent.
	Update(ctx context.Context, dealer crm.DealerID, id TaskID, fn func(*Task) error) (Task, error)
	// UpdateMany changes several tasks in one transaction, all or
	// nothing: it locks them in ID order, calls fn on each in the order
	// of ids, checks and writes them (each version one up) and returns
	// them in the order of ids. An absent ID is ErrTaskNotFound naming
	// it, a repeated or empty one ErrInvalid, an error from fn (wrapped
	// with the task's ID) aborts; then nothing is written. No ids, no
	// tasks.
	UpdateMany(ctx context.Context, dealer crm.DealerID, ids []TaskID, fn func(*Task) error) ([]Task, error)
	// ListCustomers returns the customers that have tasks matching f
	// (tasks without a customer are left out), each once, in customer ID
	// order, a page at a time (the cursor is the last customer's ID).
	ListCustomers(ctx context.Context, dealer crm.DealerID, f TaskFilter) (crm.Page[crm.CustomerID], error)
	// EraseCustomer erases the dealer's tasks of a customer under PIPL,
	// in one transaction: Task.Erase(at) on every task whose CustomerID
	// is customer and on every task without a customer of the vehicles
	// given, writing those it changes (their Version goes up by one, so
	// that a daily run that read them before cannot write them back),
	// and deleting those whose dates are personal (Task.DatesArePersonal);
	// and it records the erasure (Erasures). It returns how many open or
	// overdue tasks it cancelled or deleted. Erasing again changes no
	// task; an empty customer is ErrInvalid.
	EraseCustomer(ctx context.Context, dealer crm.DealerID, customer crm.CustomerID, vehicles []crm.VehicleID, at time.Time) (cancelled int, err error)
	// Erasures returns the erasures of the dealer's customers' tasks,
	// one per customer, in customer ID order.
	Erasures(ctx context.Context, dealer crm.DealerID) ([]Erasure, error)
}

// Erasure records that the tasks of a customer were erased
// (TaskStore.EraseCustomer). The daily run reads the erasures before it
// loads the crm records and again after it writes (Service.Run): a
// customer erased in between is erased again, since the run may have
// planned tasks from their records as they were before the erasure.
type Erasure struct {
	CustomerID crm.CustomerID `json:"customer_id"`
	// Count is how many times the customer's tasks were erased (by
	// EraseCustomer, or again by a run that began before).
	Count int64 `json:"count"`
	// At is when they were last erased.
	At time.Time `json:"at"`
}

// Statuses returns every Status.
func Statuses() []Status { return slices.Clone(allStatuses) }

// CheckTaskIDs checks the IDs of a bulk change (TaskStore.UpdateMany):
// none empty, none repeated. It returns a *crm.ValidationError naming
// ids[i].
func CheckTaskIDs(ids []TaskID) error {
	var c crm.Checker
	seen := make(map[TaskID]bool, len(ids))
	for i, id := range ids {
		switch {
		case id == "":
			c.Add(fmt.Sprintf("ids[%d]", i), crm.RuleRequired, "is empty")
		case seen[id]:
			c.Add(fmt.Sprintf("ids[%d]", i), crm.RuleUnique, "repeats task %s", id)
		}
		seen[id] = true
	}
	return c.Err("tasks")
}
