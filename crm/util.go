package crm

import (
	"errors"
	"slices"
	"strconv"
)

func indexed(field string, i int) string { return field + "[" + strconv.Itoa(i) + "]" }

func contains[T comparable](s []T, v T) bool { return slices.Contains(s, v) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func asValidation(err error) (*ValidationError, bool) {
	var ve *ValidationError
	ok := errors.As(err, &ve)
	return ve, ok
}
