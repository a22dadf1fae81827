package crm

import (
	"fmt"
	"slices"
)

// ParseEnum returns s as T when it is one of all, else a *ValidationError
// naming field with RuleEnum. Every package's Parse function of an enum
// goes through it.
func ParseEnum[T ~string](field, s string, all []T) (T, error) {
	if slices.Contains(all, T(s)) {
		return T(s), nil
	}
	return "", &ValidationError{Entity: field, Fields: []FieldError{{Field: field, Rule: RuleEnum, Message: fmt.Sprintf("%q is not one of %v", s, all)}}}
}

// CheckEnum records on c that field's v is not a value valid accepts
// (RuleEnum), or is empty while required (RuleRequired), and reports
// whether v passed. It is the one enum check of every package's
// validation.
func CheckEnum[T ~string](c *Checker, field string, v T, valid func(T) bool, required bool) bool {
	switch {
	case v == "" && required:
		c.Add(field, RuleRequired, "is required")
	case v != "" && !valid(v):
		c.Add(field, RuleEnum, "%q is not one of the allowed values", string(v))
	default:
		return true
	}
	return false
}
