package crm

import (
	"slices"
	"strconv"
)

func indexed(field string, i int) string { return field + "[" + strconv.Itoa(i) + "]" }

func contains[T comparable](s []T, v T) bool { return slices.Contains(s, v) }
