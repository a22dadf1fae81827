package lifecycle

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// ErasedReason is the reason and the status reason of a task erased with
// its customer (Task.Erase): the cancellation reason of a task that was
// open, and the neutral text that replaces what a task said about the
// person.
const ErasedReason = "erased"

// CodeErased is the reason code and status reason code of an erased task
// (Task.Erase), without parameters.
const CodeErased = "lifecycle.erased"

// Erase removes from t what may identify or quote its customer, for an
// erasure under PIPL (Service.EraseCustomer), and reports whether it
// changed t:
//
//   - an open or overdue task is cancelled: it leaves the call list;
//   - Reason and StatusReason become ErasedReason: a reason may quote a
//     survey comment (a survey follow-up), a plate or a birthday, and a
//     status reason is what staff wrote when they skipped, cancelled or
//     rescheduled the task;
//   - ReasonCode and StatusReasonCode become CodeErased, without
//     parameters (they held the same personal data);
//   - Note, what staff recorded with the outcome, is cleared.
//
// The key, kind, customer and vehicle IDs, dates, channel, purpose,
// roles, staff, the status of a closed task, its outcome and interaction
// stay: they name no one, and they are the statistics (outcome counts,
// KPIs). UpdatedAt becomes at when t changes; erasing again changes
// nothing.
func (t *Task) Erase(at time.Time) bool {
	if !t.Status.Active() && t.Reason == ErasedReason && t.StatusReason == ErasedReason && t.Note == "" &&
		t.ReasonCode == CodeErased && t.StatusReasonCode == CodeErased && t.ReasonParams == nil && t.StatusReasonParams == nil {
		return false
	}
	if t.Status.Active() {
		t.Status = StatusCancelled
	}
	t.Reason, t.StatusReason, t.Note, t.UpdatedAt = ErasedReason, ErasedReason, "", at
	t.ReasonCode, t.ReasonParams, t.StatusReasonCode, t.StatusReasonParams = CodeErased, nil, CodeErased, nil
	return true
}

// DatesArePersonal reports whether t's very key and dates are personal
// data: a birthday-care call is due the day before a birthday, so even an
// anonymised one would still tell the birth month and day. Erasure
// deletes such a task (TaskStore.EraseCustomer) instead of keeping it.
func (t *Task) DatesArePersonal() bool { return t.Kind == KindBirthdayCare }

var _ crm.PersonalData = (*Service)(nil)

// PersonalDataSection implements crm.PersonalData: "tasks".
func (s *Service) PersonalDataSection() string { return "tasks" }

// ExportCustomer implements crm.PersonalData: every task of the dealer's
// customer, of any status, as a []Task in ID order (kind, dates, reason,
// status and its reason, outcome, note and interaction): the tasks whose
// CustomerID is the customer, and the tasks without a customer of the
// vehicles the customer owns (a follow-up opened for a vehicle only). An
// empty list when there is none; an empty customer ID is ErrInvalid.
func (s *Service) ExportCustomer(ctx context.Context, dealer crm.DealerID, id crm.CustomerID) (any, error) {
	if id == "" {
		return nil, dealercrm.Errorf(dealercrm.Invalid, "lifecycle: export: a customer ID is required")
	}
	out, err := s.customerTasks(ctx, dealer, id)
	if err != nil {
		return nil, fmt.Errorf("lifecycle: export customer %s: %w", id, err)
	}
	return out, nil
}

// customerTasks returns the tasks ExportCustomer exports.
func (s *Service) customerTasks(ctx context.Context, dealer crm.DealerID, id crm.CustomerID) ([]Task, error) {
	list := func(f TaskFilter) ([]Task, error) {
		return crm.All(ctx, func(after string) (crm.Page[Task], error) {
			f.PageRequest = crm.PageRequest{After: after, Limit: crm.MaxLimit}
			return s.tasks.List(ctx, dealer, f)
		})
	}
	out, err := list(TaskFilter{CustomerID: id})
	if err != nil {
		return nil, err
	}
	vehicles, err := s.vehiclesOf(ctx, dealer, id)
	if err != nil {
		return nil, err
	}
	for _, v := range vehicles {
		ts, err := list(TaskFilter{VehicleID: v})
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			if t.CustomerID == "" {
				out = append(out, t)
			}
		}
	}
	slices.SortFunc(out, func(a, b Task) int { return strings.Compare(string(a.ID), string(b.ID)) })
	if out == nil {
		out = []Task{}
	}
	return out, nil
}

// vehiclesOf returns the IDs of the vehicles the customer owns.
func (s *Service) vehiclesOf(ctx context.Context, dealer crm.DealerID, id crm.CustomerID) ([]crm.VehicleID, error) {
	var out []crm.VehicleID
	err := crm.Each(ctx, func(after string) (crm.Page[crm.Vehicle], error) {
		return s.crm.Store().Vehicles().List(ctx, dealer, crm.VehicleFilter{OwnerID: id, PageRequest: crm.PageRequest{After: after, Limit: crm.MaxLimit}})
	}, func(v *crm.Vehicle) error {
		out = append(out, v.ID)
		return nil
	})
	return out, err
}

// EraseCustomer implements crm.PersonalData: it erases the tasks
// ExportCustomer exports (Task.Erase), in one transaction of the task
// store (TaskStore.EraseCustomer). Open and overdue tasks are cancelled
// with reason ErasedReason, so they leave the call list (DueOn); the
// free text of every task — reasons (a survey follow-up quotes the
// survey comment), status reasons and outcome notes — becomes
// ErasedReason or is cleared. Kind, dates, status, outcome and the links
// stay for the statistics. The keys stay too, so neither the daily run
// nor a replayed follow-up opens a task again that the erasure closed.
// Birthday-care tasks are deleted: their dates are the birthday
// (Task.DatesArePersonal).
//
// The daily run plans no task of a consent-gated rule for the erased
// customer (crm's erasure withdraws every consent) and no birthday care
// (the birthday is cleared); a run that loaded the crm records before
// the erasure and writes after it erases again what it planned for them
// (see RunSubjects). It is idempotent; an empty customer ID is
// ErrInvalid.
func (s *Service) EraseCustomer(ctx context.Context, dealer crm.DealerID, id crm.CustomerID) error {
	if id == "" {
		return dealercrm.Errorf(dealercrm.Invalid, "lifecycle: erase: a customer ID is required")
	}
	vehicles, err := s.vehiclesOf(ctx, dealer, id)
	if err != nil {
		return fmt.Errorf("lifecycle: erase customer %s: %w", id, err)
	}
	if _, err := s.tasks.EraseCustomer(ctx, dealer, id, vehicles, s.now().UTC().Truncate(time.Microsecond)); err != nil {
		return fmt.Errorf("lifecycle: erase customer %s: %w", id, err)
	}
	// The stored morning reports name abnormal customers and vehicles:
	// they go, and are computed live until the next run.
	if s.reports != nil {
		if err := s.reports.DropReports(ctx, dealer); err != nil {
			return fmt.Errorf("lifecycle: erase customer %s: the stored reports: %w", id, err)
		}
	}
	return nil
}
