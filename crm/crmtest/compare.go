package crmtest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
)

var (
	timeType    = reflect.TypeFor[time.Time]()
	decimalType = reflect.TypeFor[decimal.Decimal]()
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
// Equal, one "path: want …, got …" line each; nil when they are equal.
func Diff(want, got any) []string {
	var out []string
	diff(&out, "", reflect.ValueOf(want), reflect.ValueOf(got))
	return out
}

func diff(out *[]string, path string, w, g reflect.Value) {
	report := func(format string, args ...any) {
		p := path
		if p == "" {
			p = "value"
		}
		*out = append(*out, p+": "+fmt.Sprintf(format, args...))
	}
	if !w.IsValid() || !g.IsValid() {
		if w.IsValid() != g.IsValid() {
			report("want %v, got %v", w, g)
		}
		return
	}
	if w.Type() != g.Type() {
		report("want type %s, got %s", w.Type(), g.Type())
		return
	}
	switch w.Type() {
	case timeType:
		wt, gt := w.Interface().(time.Time), g.Interface().(time.Time)
		if !wt.Equal(gt) {
			report("want %s, got %s", wt.Format(time.RFC3339Nano), gt.Format(time.RFC3339Nano))
		}
		return
	case decimalType:
		wd, gd := w.Interface().(decimal.Decimal), g.Interface().(decimal.Decimal)
		if !wd.Equal(gd) {
			report("want %s, got %s", wd, gd)
		}
		return
	}
	switch w.Kind() {
	case reflect.Pointer, reflect.Interface:
		if w.IsNil() || g.IsNil() {
			if w.IsNil() != g.IsNil() {
				report("want %s, got %s", nilness(w), nilness(g))
			}
			return
		}
		diff(out, path, w.Elem(), g.Elem())
	case reflect.Struct:
		for i := range w.NumField() {
			f := w.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			p := path // an embedded struct's fields read as the outer struct's
			switch {
			case f.Anonymous:
			case path == "":
				p = f.Name
			default:
				p = path + "." + f.Name
			}
			diff(out, p, w.Field(i), g.Field(i))
		}
	case reflect.Slice, reflect.Array:
		if w.Len() != g.Len() {
			report("want %d elements, got %d: want %v, got %v", w.Len(), g.Len(), w, g)
			return
		}
		for i := range w.Len() {
			diff(out, fmt.Sprintf("%s[%d]", path, i), w.Index(i), g.Index(i))
		}
	case reflect.Map:
		if w.Len() != g.Len() {
			report("want %d entries, got %d: want %v, got %v", w.Len(), g.Len(), w, g)
			return
		}
		for _, k := range w.MapKeys() {
			gv := g.MapIndex(k)
			if !gv.IsValid() {
				report("want key %v, missing", k)
				continue
			}
			diff(out, fmt.Sprintf("%s[%v]", path, k), w.MapIndex(k), gv)
		}
	default:
		if !reflect.DeepEqual(w.Interface(), g.Interface()) {
			report("want %#v, got %#v", w, g)
		}
	}
}

func nilness(v reflect.Value) string {
	if v.IsNil() {
		return "nil"
	}
	return "non-nil"
}

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
	if v.Type() == timeType {
		fn(path, v)
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			eachTime(v.Elem(), path, fn)
		}
	case reflect.Struct:
		if v.Type() == decimalType {
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
