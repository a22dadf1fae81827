package crm

import (
	"fmt"
	"slices"
)

// parseEnum returns s as T when it is one of all.
func parseEnum[T ~string](kind, s string, all []T) (T, error) {
	if slices.Contains(all, T(s)) {
		return T(s), nil
	}
	return "", &ValidationError{Entity: kind, Fields: []FieldError{{Field: kind, Rule: RuleEnum, Message: fmt.Sprintf("%q is not one of %v", s, all)}}}
}
