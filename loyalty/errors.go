package loyalty

import (
	"fmt"

	"github.com/dealercrm/dealercrm"
)

// Errors of the package. Each carries a dealercrm code, so that
// errors.Is(err, dealercrm.ErrFailedPrecondition) holds for
// ErrInsufficientPoints too.
var (
	// ErrNotFound: no such membership or entry for this dealer.
	ErrNotFound = dealercrm.ErrNotFound
	// ErrInsufficientPoints: a redemption or deduction asks for more
	// points than are available; nothing was posted.
	ErrInsufficientPoints = &dealercrm.Error{Code: dealercrm.FailedPrecondition, Message: "loyalty: insufficient points"}
	// ErrInvalidTransition: the membership state machine does not allow
	// the change. A refused change is a *dealercrm.TransitionError whose
	// To is the event and Allowed the events the state allows, and
	// errors.Is this sentinel.
	ErrInvalidTransition = &dealercrm.Error{Code: dealercrm.FailedPrecondition, Message: "loyalty: invalid membership transition"}
	// ErrNotMember: the customer has no active membership.
	ErrNotMember = &dealercrm.Error{Code: dealercrm.FailedPrecondition, Message: "loyalty: not an active member"}
	// ErrNotEligible: no enabled renewal or upgrade rule is met.
	ErrNotEligible = &dealercrm.Error{Code: dealercrm.FailedPrecondition, Message: "loyalty: no rule is met"}
	// ErrTopTier: the member is already in the highest tier.
	ErrTopTier = &dealercrm.Error{Code: dealercrm.FailedPrecondition, Message: "loyalty: already in the top tier"}
	// ErrQuotaExhausted: a free service's yearly quota is used up.
	ErrQuotaExhausted = &dealercrm.Error{Code: dealercrm.FailedPrecondition, Message: "loyalty: free service quota used up"}
	// ErrNotReversible: the entry is a reversal or an expiry.
	ErrNotReversible = &dealercrm.Error{Code: dealercrm.FailedPrecondition, Message: "loyalty: entry cannot be reversed"}
	// ErrAlreadyReversed: the entry has been reversed before.
	//
	// Deprecated: a second reversal of an entry, under any key, answers
	// the first reversal's receipt as a replay (see Service.Reverse);
	// nothing returns this error any more.
	ErrAlreadyReversed = &dealercrm.Error{Code: dealercrm.Conflict, Message: "loyalty: entry already reversed"}
	// ErrUndeclaredSource: a command posts an entry from a source (see
	// Entry.SourceKey) that its Command.Source does not name; the store
	// refuses it, so that a source can never be posted twice by a command
	// that skipped the check.
	ErrUndeclaredSource = &dealercrm.Error{Code: dealercrm.Invalid, Message: "loyalty: a command posts from a source it does not name in Command.Source"}
	// ErrIdempotencyConflict: the idempotency key was used before with
	// other input.
	ErrIdempotencyConflict = &dealercrm.Error{Code: dealercrm.Conflict, Message: "loyalty: idempotency key reused with other input"}
	// ErrBackdated: a posting is dated before the account's latest entry
	// (the ledger is in date order, so that as-of reads are exact).
	ErrBackdated = &dealercrm.Error{Code: dealercrm.Invalid, Message: "loyalty: posting dated before the account's latest entry"}
)

// InsufficientPointsError says how many points were asked for and how many
// were available. errors.Is(err, ErrInsufficientPoints) holds.
type InsufficientPointsError struct {
	Requested, Available int64
}

// Error implements error.
func (e *InsufficientPointsError) Error() string {
	return fmt.Sprintf("loyalty: insufficient points: %d requested, %d available", e.Requested, e.Available)
}

// ErrorCode implements dealercrm.Coder.
func (e *InsufficientPointsError) ErrorCode() dealercrm.Code { return dealercrm.FailedPrecondition }

// Is makes errors.Is(err, ErrInsufficientPoints) true.
func (e *InsufficientPointsError) Is(target error) bool {
	return target == ErrInsufficientPoints || target == dealercrm.ErrFailedPrecondition
}

func insufficient(requested, available int64) error {
	return &InsufficientPointsError{Requested: requested, Available: available}
}
