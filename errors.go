package dealercrm

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Code classifies an error. The set is closed: adapters map each code to
// their own vocabulary (an HTTP status, a gRPC code) in exactly one place.
type Code string

// The error codes of dealercrm.
const (
	// Invalid means the input broke a rule; the caller must change it.
	Invalid Code = "invalid"
	// NotFound means the record does not exist for this dealer.
	NotFound Code = "not_found"
	// Conflict means the input clashes with stored state: a duplicate key,
	// an idempotency key reused with other input, a concurrent change.
	Conflict Code = "conflict"
	// FailedPrecondition means the record is not in a state that allows the
	// operation (an invalid state transition).
	FailedPrecondition Code = "failed_precondition"
	// PermissionDenied means the caller may not do this.
	PermissionDenied Code = "permission_denied"
	// Unavailable means a dependency could not be reached; retrying may help.
	Unavailable Code = "unavailable"
	// Internal means a bug or an unexpected failure.
	Internal Code = "internal"
)

// Error is an error with a code. Domain packages build their sentinels from
// it, so that errors.Is(err, crm.ErrLeadNotOpen) and ErrorCode(err) both work.
type Error struct {
	// Code classifies the error.
	Code Code
	// Message is a short, human-readable description without personal data.
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string { return e.Message }

// ErrorCode implements Coder.
func (e *Error) ErrorCode() Code { return e.Code }

// Is reports whether target is an *Error with the same code and message, or
// one of the bare code sentinels (ErrNotFound, ...) with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	if t.Message == "" || t.Message == string(t.Code) {
		return t.Code == e.Code
	}
	return t.Code == e.Code && t.Message == e.Message
}

// Errorf returns an *Error with code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Sentinels for each code: errors.Is(err, dealercrm.ErrNotFound) is true for
// every error whose code is NotFound, whatever its message.
var (
	ErrInvalid            = &Error{Code: Invalid}
	ErrNotFound           = &Error{Code: NotFound}
	ErrConflict           = &Error{Code: Conflict}
	ErrFailedPrecondition = &Error{Code: FailedPrecondition}
	ErrPermissionDenied   = &Error{Code: PermissionDenied}
	ErrUnavailable        = &Error{Code: Unavailable}
	ErrInternal           = &Error{Code: Internal}
)

// TransitionError is a state change a state machine forbids: which
// machine, the state the record is in, the one asked for and the ones
// allowed from there. Every package with a state machine returns it (crm's
// lead level, lead status and complaint status, lifecycle's task status,
// campaign's status, loyalty's membership), so a caller needs one
// errors.As for all of them. Its code is FailedPrecondition:
// errors.Is(err, ErrFailedPrecondition) holds, and so does errors.Is(err,
// Sentinel) for the package's sentinel it carries
// (crm.ErrInvalidTransition, ...).
type TransitionError struct {
	// Machine names the state machine: "lead level", "campaign status",
	// "membership".
	Machine string
	// From is the state the record is in; "" (shown as "none") before
	// there is one.
	From string
	// To is the state asked for; for a machine driven by events (loyalty's
	// membership: join, renew, ...) it is the event.
	To string
	// Allowed are the targets (states or events) allowed from From, in the
	// machine's order; empty when From is final.
	Allowed []string
	// Sentinel is the package's error that errors.Is matches besides
	// ErrFailedPrecondition, with code FailedPrecondition; nil for none.
	Sentinel error
}

// NewTransitionError returns the TransitionError of from → to in machine,
// with the targets allowed from from and the package's sentinel. From and
// to are a package's typed states (to and allowed may be its typed events).
func NewTransitionError[F, T ~string](machine string, from F, to T, allowed []T, sentinel error) *TransitionError {
	e := &TransitionError{Machine: machine, From: string(from), To: string(to), Sentinel: sentinel}
	for _, a := range allowed {
		e.Allowed = append(e.Allowed, string(a))
	}
	return e
}

// Error says machine, from, to and what is allowed: "invalid lead level
// transition N → D (allowed from N: H, A, B, C, N, O)", or "(allowed from
// closed: none, closed is final)".
func (e *TransitionError) Error() string {
	from := e.From
	if from == "" {
		from = "none"
	}
	allowed := "none, " + from + " is final"
	if len(e.Allowed) > 0 {
		allowed = strings.Join(e.Allowed, ", ")
	}
	return fmt.Sprintf("invalid %s transition %s → %s (allowed from %s: %s)", e.Machine, from, e.To, from, allowed)
}

// ErrorCode implements Coder.
func (e *TransitionError) ErrorCode() Code { return FailedPrecondition }

// Is matches ErrFailedPrecondition and the Sentinel. The sentinel is not
// unwrapped: ErrorMessage would then show its short message instead of
// this one.
func (e *TransitionError) Is(target error) bool {
	return ErrFailedPrecondition.Is(target) || (e.Sentinel != nil && errors.Is(e.Sentinel, target))
}

// Coder is implemented by error types that carry their own code, such as
// crm.ValidationError.
type Coder interface {
	ErrorCode() Code
}

// ErrorCode returns the code of the first error in err's chain that has one,
// or Internal when none has. ErrorCode(nil) is "". A cancelled or expired
// context (context.Canceled, context.DeadlineExceeded) is Unavailable: the
// caller gave up or ran out of time, and every backend says so alike.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var c Coder
	if errors.As(err, &c) {
		return c.ErrorCode()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Unavailable
	}
	return Internal
}

// ErrorMessage returns the message of the first *Error in err's chain, or a
// generic message for errors without a code, so that internal details are not
// shown to end users.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "the request was cancelled or ran out of time; retry"
	}
	if ErrorCode(err) != Internal {
		return err.Error()
	}
	return "internal error"
}
