package crmtest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/internal/content"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
)

// Equal asserts that got equals want as a store may give it back: decimals
// are compared by value (1234.50 equals 1234.5), times by instant (whatever
// their location), and a nil slice or map equals an empty one. Everything
// else must be equal field by field; unexported fields other than those of
// time.Time and decimal.Decimal are not compared. On a difference it reports
// the path of every differing field and returns false.
func Equal(t testing.TB, want, got any, msgAndArgs ...any) bool {
	t.Helper()
	diffs := Diff(want, got)
	if len(diffs) == 0 {
		return true
	}
	return assert.Fail(t, "values differ:\n\t"+strings.Join(diffs, "\n\t"), msgAndArgs...)
}

// Diff returns the differences between want and got under the rules of
// Equal, one "path: want …, got …" line each; nil when they are equal. The
// memory adapter tells an unchanged upsert by the same rules
// (internal/content).
func Diff(want, got any) []string { return content.Diff(want, got) }

// nonUTC returns the paths of the non-zero times in v that are not in UTC.
func nonUTC(v any) []string {
	var out []string
	eachTime(reflect.ValueOf(v), "", func(path string, t reflect.Value) {
		tt := t.Interface().(time.Time)
		if !tt.IsZero() && tt.Location() != time.UTC {
			out = append(out, fmt.Sprintf("%s is in %s", path, tt.Location()))
		}
	})
	return out
}

// inZone moves every time in *v to loc (the same instants).
func inZone(v any, loc *time.Location) {
	eachTime(reflect.ValueOf(v), "", func(_ string, t reflect.Value) {
		if t.CanSet() {
			t.Set(reflect.ValueOf(t.Interface().(time.Time).In(loc)))
		}
	})
}

// eachTime calls fn for every time.Time reachable from v through exported
// fields, pointers and slices.
func eachTime(v reflect.Value, path string, fn func(string, reflect.Value)) {
	if !v.IsValid() {
		return
	}
	if v.Type() == reflect.TypeFor[time.Time]() {
		fn(path, v)
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			eachTime(v.Elem(), path, fn)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[decimal.Decimal]() {
			return
		}
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				eachTime(v.Field(i), path+"."+f.Name, fn)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			eachTime(v.Index(i), fmt.Sprintf("%s[%d]", path, i), fn)
		}
	}
}
