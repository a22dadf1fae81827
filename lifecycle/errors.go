package lifecycle

import (
	"fmt"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
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

// checker collects field errors into a *crm.ValidationError, so that HTTP
// adapters map configuration errors like every other validation error.
type checker struct {
	prefix string
	errs   []crm.FieldError
}

func (c *checker) add(field, rule, format string, args ...any) {
	c.errs = append(c.errs, crm.FieldError{Field: c.prefix + field, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) err(entity string) error {
	if len(c.errs) == 0 {
		return nil
	}
	return &crm.ValidationError{Entity: entity, Fields: c.errs}
}
