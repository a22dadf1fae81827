package campaign

import (
	"fmt"
	"strings"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
)

// Errors returned by the campaign package. Test them with errors.Is.
var (
	// ErrNotFound: no such campaign, member or profile for this dealer.
	ErrNotFound = dealercrm.ErrNotFound
	// ErrConflict: a campaign with this ID exists.
	ErrConflict = dealercrm.ErrConflict
	// ErrInvalidTransition: the campaign lifecycle does not allow the change
	// (draft → approved → running → completed → evaluated). A refused
	// status change is a *TransitionError, which says more.
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

// TransitionError is a status change the campaign lifecycle forbids: it
// names the campaign's status, the status asked for and the statuses it
// may move to. errors.Is(err, ErrInvalidTransition) holds.
type TransitionError struct {
	From, To Status
	// Allowed are the statuses From may move to, in lifecycle order; none
	// for evaluated.
	Allowed []Status
}

// Error implements error: "campaign: cannot move a running campaign to
// draft (allowed: completed)".
func (e *TransitionError) Error() string {
	allowed := "none"
	if len(e.Allowed) > 0 {
		names := make([]string, len(e.Allowed))
		for i, s := range e.Allowed {
			names[i] = string(s)
		}
		allowed = strings.Join(names, ", ")
	}
	return fmt.Sprintf("campaign: cannot move %s %s campaign to %s (allowed: %s)", article(string(e.From)), e.From, e.To, allowed)
}

// ErrorCode implements dealercrm.Coder.
func (e *TransitionError) ErrorCode() dealercrm.Code { return dealercrm.FailedPrecondition }

// Is makes errors.Is(err, ErrInvalidTransition) true.
func (e *TransitionError) Is(target error) bool {
	return target == ErrInvalidTransition || target == dealercrm.ErrFailedPrecondition
}

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

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

// checker collects field errors into a *crm.ValidationError.
type checker struct {
	errs []crm.FieldError
}

func (c *checker) add(field, rule, format string, args ...any) {
	c.errs = append(c.errs, crm.FieldError{Field: field, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) err(entity string) error {
	if len(c.errs) == 0 {
		return nil
	}
	return &crm.ValidationError{Entity: entity, Fields: c.errs}
}
