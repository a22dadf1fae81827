package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// KindSurveyFollowUp is the follow-up of a dissatisfied survey answer
// (SPEC §6: it opens a complaint follow-up task), opened through
// Service.OpenFollowUp rather than planned.
const KindSurveyFollowUp Kind = "survey_follow_up"

// FollowUp is a task outside the plan, opened by another process when
// something happens (a dissatisfied survey answer). Kind and Ref make its
// key, "kind|ref:Ref": opening the same follow-up twice gives the first
// task back. The daily run never plans, reschedules or cancels it; it only
// turns it overdue when its window ends.
type FollowUp struct {
	Kind Kind `json:"kind"`
	// Ref identifies the event, e.g. "survey:" + a response ID.
	Ref        string         `json:"ref"`
	CustomerID crm.CustomerID `json:"customer_id,omitempty"`
	VehicleID  crm.VehicleID  `json:"vehicle_id,omitempty"`
	Due        dealercrm.Date `json:"due"`
	// WindowDays is how many days, the due day included, the task may be
	// done in (default 2).
	WindowDays int `json:"window_days,omitempty"`
	// Channel defaults to a phone call; Purpose is empty (answering the
	// customer needs no marketing consent).
	Channel crm.Channel `json:"channel,omitempty"`
	Purpose crm.Purpose `json:"purpose,omitempty"`
	// OwnerRole defaults to the CR department.
	OwnerRole  Role        `json:"owner_role,omitempty"`
	AssigneeID crm.StaffID `json:"assignee_id,omitempty"`
	// ExcludedStaffID must not do the task (the person the customer was
	// unhappy with).
	ExcludedStaffID crm.StaffID `json:"excluded_staff_id,omitempty"`
	Reason          string      `json:"reason"`
	// ReasonCode and ReasonParams give the reason as a message code with
	// parameters, for rendering in the reader's language; without a code
	// the task's is CodeFollowUp with Reason as its text parameter.
	ReasonCode   string            `json:"reason_code,omitempty"`
	ReasonParams map[string]string `json:"reason_params,omitempty"`
}

// key returns the follow-up's task key. Its subject ("ref:…") is neither
// a vehicle nor a customer, which keeps the daily run's hands off it.
func (f *FollowUp) key() string { return string(f.Kind) + "|ref:" + f.Ref }

func (f *FollowUp) check() error {
	var c crm.Checker
	if f.Kind == "" || strings.Contains(string(f.Kind), "|") {
		c.Add("kind", crm.RuleRequired, "a kind without \"|\" is required")
	}
	if f.Ref == "" {
		c.Add("ref", crm.RuleRequired, "is required")
	}
	if f.CustomerID == "" && f.VehicleID == "" {
		c.Add("customer_id", crm.RuleRequired, "a customer or a vehicle is required")
	}
	if !f.Due.Valid() {
		c.Add("due", crm.RuleRequired, "a valid date is required")
	}
	if f.WindowDays < 0 {
		c.Add("window_days", RuleNegative, "must not be negative, got %d", f.WindowDays)
	}
	if f.Channel != "" && !f.Channel.Valid() {
		c.Add("channel", crm.RuleEnum, "%q is not a channel", f.Channel)
	}
	if f.Purpose != "" && !f.Purpose.Valid() {
		c.Add("purpose", crm.RuleEnum, "%q is not a purpose", f.Purpose)
	}
	if f.OwnerRole != "" && !f.OwnerRole.Valid() {
		c.Add("owner_role", crm.RuleEnum, "%q is not a role", f.OwnerRole)
	}
	if f.Reason == "" {
		c.Add("reason", crm.RuleRequired, "is required")
	}
	return c.Err("follow-up")
}

// OpenFollowUp opens a follow-up task for a dealer, or returns the task
// already opened for the same kind and Ref. Invalid input is a
// *crm.ValidationError naming the field.
func (s *Service) OpenFollowUp(ctx context.Context, dealer crm.DealerID, f FollowUp) (Task, error) {
	if err := f.check(); err != nil {
		return Task{}, err
	}
	key := f.key()
	if t, err := s.tasks.GetByKey(ctx, dealer, key); err == nil {
		return t, nil
	} else if !errors.Is(err, dealercrm.ErrNotFound) {
		return Task{}, fmt.Errorf("lifecycle: follow-up %s: %w", key, err)
	}
	window := f.WindowDays
	if window == 0 {
		window = 2
	}
	ch, role := f.Channel, f.OwnerRole
	if ch == "" {
		ch = crm.ChannelPhone
	}
	if role == "" {
		role = RoleCR
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	t := Task{ID: TaskID(s.newID()), DealerID: dealer, Key: key, Kind: f.Kind, CustomerID: f.CustomerID, VehicleID: f.VehicleID,
		AnchorDate: f.Due, Due: f.Due, WindowEnd: f.Due.AddDays(window - 1), Channel: ch, Purpose: f.Purpose, OwnerRole: role,
		AssigneeID: f.AssigneeID, ExcludedStaffID: f.ExcludedStaffID, Reason: f.Reason, Status: StatusOpen, CreatedAt: now, UpdatedAt: now}
	crm.NoteAudit(ctx, string(t.ID))
	t.ReasonCode, t.ReasonParams = f.ReasonCode, maps.Clone(f.ReasonParams)
	if t.ReasonCode == "" {
		t.ReasonCode, t.ReasonParams = CodeFollowUp, params("text", f.Reason)
	}
	if t.AssigneeID != "" && t.AssigneeID == t.ExcludedStaffID {
		t.AssigneeID = ""
	}
	if err := t.Validate(); err != nil {
		return Task{}, err
	}
	lost, err := s.tasks.Apply(ctx, dealer, []Task{t}, nil)
	if err != nil {
		return Task{}, fmt.Errorf("lifecycle: follow-up %s: %w", key, err)
	}
	if len(lost) > 0 {
		// Opened concurrently: the first one stands.
		prev, err := s.tasks.GetByKey(ctx, dealer, key)
		if err != nil {
			return Task{}, fmt.Errorf("lifecycle: follow-up %s: %w", key, err)
		}
		return prev, nil
	}
	t.Version = 1
	return t, nil
}
