package lifecycle

import (
	"github.com/dealercrm/dealercrm"
)

// Errors returned by the lifecycle package. Test them with errors.Is.
var (
	// ErrTaskNotFound is returned when a task does not exist for the dealer.
	ErrTaskNotFound = &dealercrm.Error{Code: dealercrm.NotFound, Message: "lifecycle: task not found"}
	// ErrTaskClosed matches the *dealercrm.TransitionError returned when
	// a done, skipped or cancelled task is changed.
	ErrTaskClosed = &dealercrm.Error{Code: dealercrm.FailedPrecondition, Message: "lifecycle: task is closed"}
)

// Validation rules named in the FieldErrors of a *crm.ValidationError
// returned for a bad Policy, beyond the crm rules (RuleRequired, RuleEnum…).
const (
	RuleNegative  = "negative"          // a number that must not be negative
	RuleOverlap   = "overlap"           // stage limits out of order or overlapping
	RuleStatutory = "statutory_minimum" // below the statutory minimum
	RuleAnchor    = "anchor"            // an unknown anchor event
	RuleDuplicate = "duplicate"         // a name used twice
	RuleRange     = "range"             // a number outside its allowed range
)
