package crm

import (
	"fmt"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
)

// Sentinel errors of the crm package. Each carries a dealercrm code, so
// errors.Is(err, dealercrm.ErrNotFound) holds for ErrNotFound as well.
var (
	// ErrNotFound: the record does not exist for this dealer.
	ErrNotFound = dealercrm.ErrNotFound
	// ErrConflict: a unique key (ID, external ID, VIN) is already taken.
	ErrConflict = dealercrm.ErrConflict
	// ErrInvalidTransition: the state machine does not allow the change
	// (a lead level change, a complaint status change). A refused change
	// is a *dealercrm.TransitionError, which says from, to and what is
	// allowed, and errors.Is this sentinel.
	ErrInvalidTransition = &dealercrm.Error{Code: dealercrm.FailedPrecondition, Message: "crm: invalid state transition"}
	// ErrLeadClosed: the lead is converted or lost and can no longer change.
	ErrLeadClosed = &dealercrm.Error{Code: dealercrm.FailedPrecondition, Message: "crm: lead is closed"}
	// ErrLostRequestPending: a lost (战败) request awaits a manager's decision.
	ErrLostRequestPending = &dealercrm.Error{Code: dealercrm.FailedPrecondition, Message: "crm: a lost request is pending"}
	// ErrNoLostRequest: there is no pending lost request to decide.
	ErrNoLostRequest = &dealercrm.Error{Code: dealercrm.FailedPrecondition, Message: "crm: no pending lost request"}
	// ErrInUse: the record is still referenced (a customer with vehicles).
	ErrInUse = &dealercrm.Error{Code: dealercrm.FailedPrecondition, Message: "crm: record is still referenced"}
	// ErrOwnLostRequest: the member of staff who requested that a lead be
	// marked lost tried to decide the request (SPEC §9: a manager decides,
	// never the requester).
	ErrOwnLostRequest = &dealercrm.Error{Code: dealercrm.PermissionDenied, Message: "crm: the requester of a lost request cannot decide it"}
)

// Validation rules named in FieldError.Rule.
const (
	RuleRequired    = "required"     // a value must be given
	RuleEnum        = "enum"         // the value is not one of the allowed constants
	RuleNonNegative = "non_negative" // money or a count below zero
	RuleFormat      = "format"       // malformed (date, zone, ID)
	RuleVINLength   = "vin_length"   // a VIN is not 17 characters
	RuleVINChars    = "vin_chars"    // a VIN has I, O, Q or a non-alphanumeric character
	RuleVINCheck    = "vin_check_digit"
	RuleMobile      = "mobile"     // not a CN mobile (11 digits, 1[3-9]…) nor E.164
	RuleOrder       = "order"      // an end before its start
	RuleMaxLength   = "max_length" // text too long
	RuleUnique      = "unique"     // duplicated within one request
	RuleReference   = "reference"  // refers to a record that does not exist
	RuleImmutable   = "immutable"  // a field that may not be changed this way
	RuleMin         = "min"        // below its floor (a birthday before 1900)
	RuleRange       = "range"      // outside its bounds (a page size, a negative cursor)
	// RuleWindow: a lead's level disagrees with the level its expected
	// close date gives by the dealer's windows (SPEC §1.1).
	RuleWindow = "window"
)

// FieldError is one broken rule: the field (JSON name, dotted path for nested
// fields, e.g. "items[2].amount"), the rule and a human-readable message.
type FieldError struct {
	Field   string `json:"field"`
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

// ValidationError lists every field of an input that broke a rule. Its code
// is dealercrm.Invalid: errors.Is(err, dealercrm.ErrInvalid) is true.
type ValidationError struct {
	// Entity names what was validated ("customer", "vehicle").
	Entity string
	// Fields are the broken rules, in field order.
	Fields []FieldError
	// Total counts every broken rule when Fields lists only the first of
	// them (an import lists the first MaxImportErrors); 0 when Fields is
	// complete.
	Total int
}

// Error implements error.
func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "crm: invalid %s:", e.Entity)
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteString(";")
		}
		fmt.Fprintf(&b, " %s: %s", f.Field, f.Message)
	}
	if e.Total > len(e.Fields) {
		fmt.Fprintf(&b, "; and %d more", e.Total-len(e.Fields))
	}
	return b.String()
}

// ErrorCode implements dealercrm.Coder.
func (e *ValidationError) ErrorCode() dealercrm.Code { return dealercrm.Invalid }

// Is makes errors.Is(err, dealercrm.ErrInvalid) true.
func (e *ValidationError) Is(target error) bool { return target == dealercrm.ErrInvalid }

// Has reports whether field broke rule (any rule when rule is "").
func (e *ValidationError) Has(field, rule string) bool {
	for _, f := range e.Fields {
		if f.Field == field && (rule == "" || f.Rule == rule) {
			return true
		}
	}
	return false
}

// Checker collects the field errors of one input into a *ValidationError.
// It is the one validation checker of dealercrm: crm, lifecycle, loyalty,
// grading, satisfaction and campaign build their validation errors with
// it, so every caller (and every HTTP answer) sees the same shape.
//
//	var c crm.Checker
//	if p.Points < 0 {
//		c.Add("points", crm.RuleNonNegative, "must not be negative, got %d", p.Points)
//	}
//	return c.Err("program")
type Checker struct {
	// Prefix goes before every field name added ("lead_policy.").
	Prefix string
	// Fields are the broken rules so far, in the order added.
	Fields []FieldError
}

// Add records that field broke rule, with a formatted message.
func (c *Checker) Add(field, rule, format string, args ...any) {
	c.Fields = append(c.Fields, FieldError{Field: c.Prefix + field, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

// Append records field errors made elsewhere (Limits.CheckPast, CheckTexts),
// their fields prefixed.
func (c *Checker) Append(fields ...FieldError) {
	for _, f := range fields {
		f.Field = c.Prefix + f.Field
		c.Fields = append(c.Fields, f)
	}
}

// Err returns nil when no rule was broken, else a *ValidationError of
// entity listing the fields.
func (c *Checker) Err(entity string) error {
	if len(c.Fields) == 0 {
		return nil
	}
	return &ValidationError{Entity: entity, Fields: c.Fields}
}

// checker is crm's Checker with what the checks of plausible input (past,
// pastTime, amount, odometer) also need: the Service's limits and the
// dealer's today and time zone. Service.checker sets them; a checker
// without them (today zero) passes every date.
type checker struct {
	Checker
	limits Limits
	today  dealercrm.Date
	loc    *time.Location
}

func (c *checker) add(field, rule, format string, args ...any) { c.Add(field, rule, format, args...) }

func (c *checker) required(field, v string) {
	if strings.TrimSpace(v) == "" {
		c.add(field, RuleRequired, "is required")
	}
}

func (c *checker) maxLen(field, v string, n int) {
	if len([]rune(v)) > n {
		c.add(field, RuleMaxLength, "is longer than %d characters", n)
	}
}

func (c *checker) err(entity string) error { return c.Err(entity) }
