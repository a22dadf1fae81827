package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// ListTasks returns the dealer's tasks matching f.
func (s *Service) ListTasks(ctx context.Context, dealer crm.DealerID, f TaskFilter) (crm.Page[Task], error) {
	p, err := s.tasks.List(ctx, dealer, f)
	if err != nil {
		return p, fmt.Errorf("lifecycle: list tasks: %w", err)
	}
	return p, nil
}

// DueOn returns the open and overdue tasks due on or before date: the
// day's work list.
func (s *Service) DueOn(ctx context.Context, dealer crm.DealerID, date dealercrm.Date, f TaskFilter) (crm.Page[Task], error) {
	f.Due.To = date
	if len(f.Statuses) == 0 {
		f.Statuses = []Status{StatusOpen, StatusOverdue}
	}
	return s.ListTasks(ctx, dealer, f)
}

// Plan is a vehicle's plan as of a day: its stage (explained), usage and
// the tasks the plan schedules for it. The rows are planned tasks, not
// stored ones: the daily run creates a task when it falls due, and
// ListTasks and DueOn give the stored tasks with their status.
type Plan struct {
	VehicleID crm.VehicleID  `json:"vehicle_id"`
	AsOf      dealercrm.Date `json:"as_of"`
	Stage     StageResult    `json:"stage"`
	Usage     Usage          `json:"usage"`
	// Tasks are the planned tasks due from AsOf − KeepDays (never before
	// the delivery) to AsOf + HorizonDays, in due order.
	Tasks []PlannedTask `json:"tasks"`
	// Gone explains, per rule kind, why the rule plans nothing (first
	// maintenance done, no consent…).
	Gone map[Kind]string `json:"gone,omitempty"`
	// GoneCodes is Gone as message codes with parameters.
	GoneCodes map[Kind]Message `json:"gone_codes,omitempty"`
}

// Message is a text as a message code with parameters, rendered in the
// reader's language by package i18n (see reasons.go).
type Message struct {
	Code   string            `json:"code"`
	Params map[string]string `json:"params,omitempty"`
}

// PlannedTask is a row of a Plan: a task as the plan schedules it, with
// the key the daily run stores it under. It is not a stored task, so it
// has no ID, status, outcome or timestamps; Planned is always true, which
// says so to a reader of the JSON.
type PlannedTask struct {
	Planned    bool           `json:"planned"`
	Key        string         `json:"key"`
	Kind       Kind           `json:"kind"`
	VehicleID  crm.VehicleID  `json:"vehicle_id,omitempty"`
	CustomerID crm.CustomerID `json:"customer_id,omitempty"`
	AnchorDate dealercrm.Date `json:"anchor_date"`
	Due        dealercrm.Date `json:"due"`
	WindowEnd  dealercrm.Date `json:"window_end"`
	Channel    crm.Channel    `json:"channel"`
	Purpose    crm.Purpose    `json:"purpose,omitempty"`
	OwnerRole  Role           `json:"owner_role"`
	AssigneeID crm.StaffID    `json:"assignee_id,omitempty"`
	// ExcludedStaffID must not do the task (the advisor who did the job).
	ExcludedStaffID crm.StaffID       `json:"excluded_staff_id,omitempty"`
	Reason          string            `json:"reason"`
	ReasonCode      string            `json:"reason_code"`
	ReasonParams    map[string]string `json:"reason_params,omitempty"`
}

// planOf returns the Plan of vehicle id from its evaluation.
func planOf(id crm.VehicleID, asOf dealercrm.Date, ev *Evaluation) Plan {
	p := Plan{VehicleID: id, AsOf: asOf, Stage: ev.Stage, Usage: ev.Usage, Gone: ev.Gone, GoneCodes: ev.GoneCodes, Tasks: make([]PlannedTask, len(ev.Tasks))}
	for i, t := range ev.Tasks {
		p.Tasks[i] = PlannedTask{Planned: true, Key: t.Key, Kind: t.Kind, VehicleID: t.VehicleID, CustomerID: t.CustomerID,
			AnchorDate: t.AnchorDate, Due: t.Due, WindowEnd: t.WindowEnd, Channel: t.Channel, Purpose: t.Purpose, OwnerRole: t.OwnerRole,
			AssigneeID: t.AssigneeID, ExcludedStaffID: t.ExcludedStaffID, Reason: t.Reason, ReasonCode: t.ReasonCode, ReasonParams: t.ReasonParams}
	}
	return p
}

// PlanFor evaluates one vehicle as of asOf: its stage (explained), usage
// and the tasks planned from asOf − KeepDays to asOf + HorizonDays. It
// only uses what was known on asOf, so a past date answers "what was
// due, and why, that day".
func (s *Service) PlanFor(ctx context.Context, dealer crm.DealerID, id crm.VehicleID, asOf dealercrm.Date) (Plan, error) {
	st := s.crm.Store()
	v, err := st.Vehicles().Get(ctx, dealer, id)
	if err != nil {
		return Plan{}, fmt.Errorf("lifecycle: plan %s: %w", id, err)
	}
	var owner *crm.Customer
	if v.OwnerID != "" {
		if c, err := st.Customers().Get(ctx, dealer, v.OwnerID); err == nil {
			owner = &c
		}
	}
	orders, err := crm.All(ctx, func(a string) (crm.Page[crm.ServiceOrder], error) {
		return st.ServiceOrders().List(ctx, dealer, crm.ServiceOrderFilter{VehicleID: id, PageRequest: crm.PageRequest{After: a, Limit: crm.MaxLimit}})
	})
	if err != nil {
		return Plan{}, fmt.Errorf("lifecycle: plan %s: %w", id, err)
	}
	pols, err := crm.All(ctx, func(a string) (crm.Page[crm.InsurancePolicy], error) {
		return st.Policies().List(ctx, dealer, crm.PolicyFilter{VehicleID: id, PageRequest: crm.PageRequest{After: a, Limit: crm.MaxLimit}})
	})
	if err != nil {
		return Plan{}, fmt.Errorf("lifecycle: plan %s: %w", id, err)
	}
	var comps []crm.Complaint
	if owner != nil {
		comps, err = crm.All(ctx, func(a string) (crm.Page[crm.Complaint], error) {
			return st.Complaints().List(ctx, dealer, crm.ComplaintFilter{CustomerID: owner.ID, PageRequest: crm.PageRequest{After: a, Limit: crm.MaxLimit}})
		})
		if err != nil {
			return Plan{}, fmt.Errorf("lifecycle: plan %s: %w", id, err)
		}
	}
	sub := FactsOf(v, owner, orders, pols, comps)
	ev := s.planner.Evaluate(&sub, asOf, s.policy.HorizonDays)
	return planOf(id, asOf, &ev), nil
}

// Outcome is the result of a contact made for a task.
type Outcome struct {
	Outcome crm.Outcome `json:"outcome"`
	Note    string      `json:"note,omitempty"`
	StaffID crm.StaffID `json:"staff_id,omitempty"`
	// Channel defaults to the task's channel.
	Channel crm.Channel `json:"channel,omitempty"`
	// At defaults to now.
	At time.Time `json:"at,omitzero"`
	// AppointmentDate is the date booked: required with
	// crm.OutcomeAppointment, refused with any other outcome.
	AppointmentDate dealercrm.Date `json:"appointment_date,omitzero"`
	// CloseCovered applies the outcome to the tasks the call covers too
	// (CallPolicy, CallGroup): the customer's other open and overdue tasks
	// due by the day of the call whose kinds may share a call.
	CloseCovered bool `json:"close_covered,omitempty"`
}

// check validates o: a known outcome and an appointment date exactly
// with an appointment.
func (o *Outcome) check() error {
	var c crm.Checker
	if !o.Outcome.Valid() {
		c.Add("outcome", crm.RuleEnum, "%q is not an outcome", o.Outcome)
	}
	switch {
	case o.Outcome == crm.OutcomeAppointment && !o.AppointmentDate.Valid():
		c.Add("appointment_date", crm.RuleRequired, "is required with outcome %s", crm.OutcomeAppointment)
	case o.Outcome != crm.OutcomeAppointment && !o.AppointmentDate.IsZero():
		c.Add("appointment_date", RuleRange, "is only recorded with outcome %s", crm.OutcomeAppointment)
	}
	return c.Err("task outcome")
}

// RecordOutcome logs a contact for a task as a crm.Interaction carrying
// the task key and applies the outcome to the task — and, with
// o.CloseCovered, to the tasks the call covers — in one transaction:
//
//   - reached, refused, appointment booked: the task is done (an
//     appointment records its date, which is required);
//   - no answer (crm.OutcomeNoAnswer): one more attempt is counted; below
//     CallPolicy.MaxAttempts the task stays open, due again (pinned) on
//     the next working day after the day of the call, its window as long
//     as before; the last attempt closes it as skipped ("no answer after
//     3 attempts").
//
// A lead follow-up done also logs the contact on the lead (see
// logLeadContact). A closed task is a *dealercrm.TransitionError
// (errors.Is ErrTaskClosed); a bad outcome or a missing appointment date
// a *crm.ValidationError. The interaction is written once, however often
// the task store runs the update, and removed again when the update
// fails.
func (s *Service) RecordOutcome(ctx context.Context, dealer crm.DealerID, id TaskID, o Outcome) (Task, crm.Interaction, error) {
	ts, in, err := s.recordOutcome(ctx, dealer, id, o)
	if err != nil {
		return Task{}, crm.Interaction{}, err
	}
	return ts[0], in, nil
}

// RecordCallOutcome is RecordOutcome returning every task the outcome
// changed: the task first, then the covered ones (o.CloseCovered) in ID
// order.
func (s *Service) RecordCallOutcome(ctx context.Context, dealer crm.DealerID, id TaskID, o Outcome) ([]Task, crm.Interaction, error) {
	return s.recordOutcome(ctx, dealer, id, o)
}

func (s *Service) recordOutcome(ctx context.Context, dealer crm.DealerID, id TaskID, o Outcome) ([]Task, crm.Interaction, error) {
	if err := o.check(); err != nil {
		return nil, crm.Interaction{}, err
	}
	at := o.At
	if at.IsZero() {
		at = s.now()
	}
	ids := []TaskID{id}
	var day dealercrm.Date
	if o.CloseCovered || o.Outcome == crm.OutcomeNoAnswer {
		var err error
		if day, err = s.dayOf(ctx, dealer, at); err != nil {
			return nil, crm.Interaction{}, fmt.Errorf("lifecycle: record outcome of %s: %w", id, err)
		}
	}
	if o.CloseCovered {
		lead, err := s.tasks.Get(ctx, dealer, id)
		if err != nil {
			return nil, crm.Interaction{}, fmt.Errorf("lifecycle: record outcome of %s: %w", id, err)
		}
		more, err := s.covered(ctx, dealer, lead, day)
		if err != nil {
			return nil, crm.Interaction{}, fmt.Errorf("lifecycle: record outcome of %s: %w", id, err)
		}
		ids = append(ids, more...)
	}
	// The interaction is written through the crm service, outside the task
	// store's transaction: it is created once however often the store
	// runs the update (a Postgres store retries on serialisation
	// failures), and removed again when the update fails.
	var in crm.Interaction
	created := false
	now := s.now().UTC().Truncate(time.Microsecond)
	ts, err := s.tasks.UpdateMany(ctx, dealer, ids, func(t *Task) error {
		if err := t.Status.move(t.Status); err != nil {
			return err
		}
		if o.StaffID != "" && o.StaffID == t.ExcludedStaffID {
			c := crm.Checker{}
			c.Add("staff_id", "excluded", "%s did the job and may not do its follow-up", o.StaffID)
			return c.Err("task outcome")
		}
		if !created {
			ch := o.Channel
			if ch == "" {
				ch = t.Channel
			}
			var err error
			in, err = s.crm.CreateInteraction(ctx, dealer, crm.Interaction{
				CustomerID: t.CustomerID, VehicleID: t.VehicleID, LeadID: t.LeadID, Channel: ch, Direction: crm.Outbound,
				Purpose: string(t.Kind), Outcome: o.Outcome, Note: o.Note, StaffID: o.StaffID, At: at, TaskKey: t.Key,
			})
			if err != nil {
				return err
			}
			created = true
		}
		t.Outcome, t.Note, t.InteractionID, t.UpdatedAt = o.Outcome, o.Note, in.ID, now
		covering := ""
		if t.ID != id {
			covering = fmt.Sprintf(" (covered by the call of task %s)", id)
		}
		switch o.Outcome {
		case crm.OutcomeNoAnswer:
			t.Attempts++
			if t.Attempts >= s.call.MaxAttempts {
				t.Status, t.StatusReason = StatusSkipped, fmt.Sprintf("no answer after %d attempts", t.Attempts)+covering
				t.StatusReasonCode, t.StatusReasonParams = CodeNoAnswerGaveUp, params("attempts", strconv.Itoa(t.Attempts))
				return nil
			}
			retry := s.cal.NextWorkingDay(day.AddDays(1))
			t.StatusReason = fmt.Sprintf("no answer (attempt %d of %d), retry on %s", t.Attempts, s.call.MaxAttempts, retry) + covering
			t.StatusReasonCode, t.StatusReasonParams = CodeNoAnswerRetry, params("attempt", strconv.Itoa(t.Attempts), "max", strconv.Itoa(s.call.MaxAttempts), "retry", retry.String())
			t.WindowEnd = retry.AddDays(t.WindowEnd.DaysSince(t.Due))
			t.Due, t.Pinned, t.Status = retry, true, StatusOpen
		case crm.OutcomeAppointment:
			t.Status, t.AppointmentDate = StatusDone, o.AppointmentDate
			t.StatusReason = fmt.Sprintf("outcome %s for %s", o.Outcome, o.AppointmentDate) + covering
			t.StatusReasonCode, t.StatusReasonParams = CodeAppointment, params("date", o.AppointmentDate.String())
		default:
			t.Status, t.StatusReason = StatusDone, "outcome "+string(o.Outcome)+covering
			t.StatusReasonCode, t.StatusReasonParams = CodeOutcome, params("outcome", string(o.Outcome))
		}
		if t.ID != id && t.Status == StatusDone {
			t.StatusReasonCode, t.StatusReasonParams = CodeCovered, params("outcome", string(o.Outcome), "task", string(id))
		}
		return nil
	})
	if err != nil {
		if created {
			if derr := s.crm.DeleteInteraction(ctx, dealer, in.ID); derr != nil {
				err = errors.Join(err, fmt.Errorf("removing interaction %s again: %w", in.ID, derr))
			}
		}
		return nil, crm.Interaction{}, fmt.Errorf("lifecycle: record outcome of %s: %w", id, err)
	}
	return ts, in, s.logLeadContact(ctx, dealer, &ts[0], &in)
}

// close moves an active task to a final status with a reason.
func (s *Service) close(ctx context.Context, dealer crm.DealerID, id TaskID, to Status, code, reason string) (Task, error) {
	if reason == "" {
		c := crm.Checker{}
		c.Add("reason", crm.RuleRequired, "a reason is required")
		return Task{}, c.Err("task")
	}
	t, err := s.tasks.Update(ctx, dealer, id, func(t *Task) error {
		if err := t.Status.move(to); err != nil {
			return err
		}
		t.Status, t.StatusReason = to, reason
		t.StatusReasonCode, t.StatusReasonParams = code, params("note", reason)
		t.UpdatedAt = s.now().UTC().Truncate(time.Microsecond)
		return nil
	})
	if err != nil {
		return Task{}, fmt.Errorf("lifecycle: %s task %s: %w", to, id, err)
	}
	return t, nil
}

// Skip closes a task without doing it, with a reason.
func (s *Service) Skip(ctx context.Context, dealer crm.DealerID, id TaskID, reason string) (Task, error) {
	return s.close(ctx, dealer, id, StatusSkipped, CodeSkipped, reason)
}

// Cancel closes a task whose reason vanished, with the reason.
func (s *Service) Cancel(ctx context.Context, dealer crm.DealerID, id TaskID, reason string) (Task, error) {
	return s.close(ctx, dealer, id, StatusCancelled, CodeCancelledByStaff, reason)
}

// Reschedule moves an active task to a new due date chosen by staff (it is
// then pinned: the daily run keeps the date), with a reason.
func (s *Service) Reschedule(ctx context.Context, dealer crm.DealerID, id TaskID, due dealercrm.Date, reason string) (Task, error) {
	var c crm.Checker
	if !due.Valid() {
		c.Add("due", crm.RuleRequired, "a valid date is required")
	}
	if reason == "" {
		c.Add("reason", crm.RuleRequired, "a reason is required")
	}
	if err := c.Err("task"); err != nil {
		return Task{}, err
	}
	t, err := s.tasks.Update(ctx, dealer, id, func(t *Task) error {
		if err := t.Status.move(StatusOpen); err != nil {
			return err
		}
		t.StatusReason = fmt.Sprintf("rescheduled from %s to %s: %s", t.Due, due, reason)
		t.StatusReasonCode, t.StatusReasonParams = CodeRescheduledByStaff, params("from", t.Due.String(), "to", due.String(), "note", reason)
		t.WindowEnd = due.AddDays(t.WindowEnd.DaysSince(t.Due))
		t.Due, t.Pinned, t.Status = due, true, StatusOpen
		t.UpdatedAt = s.now().UTC().Truncate(time.Microsecond)
		return nil
	})
	if err != nil {
		return Task{}, fmt.Errorf("lifecycle: reschedule task %s: %w", id, err)
	}
	return t, nil
}
