package campaign

import (
	"github.com/dealercrm/dealercrm"
)

// Errors returned by the campaign package. Test them with errors.Is.
var (
	// ErrNotFound: no such campaign, member or profile for this dealer.
	ErrNotFound = dealercrm.ErrNotFound
	// ErrConflict: a campaign with this ID exists.
	ErrConflict = dealercrm.ErrConflict
	// ErrInvalidTransition: the campaign lifecycle does not allow the change
	// (draft → approved → running → completed → evaluated). A refused
	// status change is a *dealercrm.TransitionError, which says from, to
	// and what is allowed, and errors.Is this sentinel.
	ErrInvalidTransition = &dealercrm.Error{Code: dealercrm.FailedPrecondition, Message: "campaign: invalid status transition"}
	// ErrNotEditable: the campaign's plan (segments, channels, budget) can
	// change only while it is a draft.
	ErrNotEditable = &dealercrm.Error{Code: dealercrm.FailedPrecondition, Message: "campaign: only a draft can be edited"}
	// ErrCostNotAllowed: costs are booked only while running or completed.
	ErrCostNotAllowed = &dealercrm.Error{Code: dealercrm.FailedPrecondition, Message: "campaign: costs are booked only while running or completed"}
	// ErrCostConflict: a cost line ID was booked before, with other values
	// or under another idempotency key: a line is booked once.
	ErrCostConflict = &dealercrm.Error{Code: dealercrm.Conflict, Message: "campaign: the cost line ID is booked already"}
	// ErrIdempotencyConflict: the idempotency key was used before to book
	// another cost line.
	ErrIdempotencyConflict = &dealercrm.Error{Code: dealercrm.Conflict, Message: "campaign: the idempotency key was used for another cost line"}
	// ErrAudienceFrozen: the audience was frozen already.
	ErrAudienceFrozen = &dealercrm.Error{Code: dealercrm.FailedPrecondition, Message: "campaign: the audience is frozen already"}
	// ErrNoAudience: the campaign has no frozen audience.
	ErrNoAudience = &dealercrm.Error{Code: dealercrm.FailedPrecondition, Message: "campaign: the audience is not frozen"}
	// ErrNotContacted: a response was recorded for a member who was not
	// contacted (excluded for lack of consent, or in the holdout).
	ErrNotContacted = &dealercrm.Error{Code: dealercrm.FailedPrecondition, Message: "campaign: the customer was not contacted"}
	// ErrNotRunning: responses are recorded only while running or completed.
	ErrNotRunning = &dealercrm.Error{Code: dealercrm.FailedPrecondition, Message: "campaign: responses are recorded only while running or completed"}
)

// Validation rules named in the FieldErrors of a *crm.ValidationError,
// beyond the crm rules (crm.RuleRequired, crm.RuleEnum, …).
const (
	RuleUnknownField = "unknown_field" // a segment field not in the whitelist
	RuleOperator     = "operator"      // an operator the field does not support
	RuleValueType    = "value_type"    // a value of the wrong JSON type
	RuleShape        = "shape"         // a segment node that is not exactly one of and/or/not/leaf
	RuleRange        = "range"         // a number outside its allowed range
	RuleTooLarge     = "too_large"     // a segment too deep or with too many nodes
)
