// Package content compares values as a database gives them back: decimals
// by value (100.50 equals 100.5), times by instant (whatever their
// location), and a nil slice or map equal to an empty one. Structs compare
// by their exported fields (the entities have no others).
//
// It is the one comparison of stored content in the module: the memory
// adapter uses Equal to tell an unchanged upsert from a changed one, and
// crmtest's Equal assertion reports Diff's lines. It lives under internal/
// so that production code (adapters/memory) and test support (crm/crmtest)
// share it without either importing the other, and without growing a domain
// package's API.
package content

import (
	"fmt"
	"reflect"
	"time"

	"github.com/shopspring/decimal"
)

var (
	timeType    = reflect.TypeFor[time.Time]()
	decimalType = reflect.TypeFor[decimal.Decimal]()
)

// Equal reports whether a and b hold the same content (see the package
// documentation). It stops at the first difference and builds no paths.
func Equal(a, b any) bool {
	c := comparer{}
	c.walk("", reflect.ValueOf(a), reflect.ValueOf(b))
	return !c.differ
}

// Diff returns the differences between want and got under the rules of
// Equal, one "path: want …, got …" line each; nil when they are equal.
func Diff(want, got any) []string {
	c := comparer{all: true}
	c.walk("", reflect.ValueOf(want), reflect.ValueOf(got))
	return c.diffs
}

// comparer walks two values side by side. With all unset it stops at the
// first difference and records only that there is one.
type comparer struct {
	all    bool
	differ bool
	diffs  []string
}

func (c *comparer) report(path, format string, args ...any) {
	c.differ = true
	if !c.all {
		return
	}
	if path == "" {
		path = "value"
	}
	c.diffs = append(c.diffs, path+": "+fmt.Sprintf(format, args...))
}

func (c *comparer) walk(path string, w, g reflect.Value) {
	if c.differ && !c.all {
		return
	}
	if !w.IsValid() || !g.IsValid() {
		if w.IsValid() != g.IsValid() {
			c.report(path, "want %v, got %v", w, g)
		}
		return
	}
	if w.Type() != g.Type() {
		c.report(path, "want type %s, got %s", w.Type(), g.Type())
		return
	}
	switch w.Type() {
	case timeType:
		wt, gt := w.Interface().(time.Time), g.Interface().(time.Time)
		if !wt.Equal(gt) {
			c.report(path, "want %s, got %s", wt.Format(time.RFC3339Nano), gt.Format(time.RFC3339Nano))
		}
		return
	case decimalType:
		wd, gd := w.Interface().(decimal.Decimal), g.Interface().(decimal.Decimal)
		if !wd.Equal(gd) {
			c.report(path, "want %s, got %s", wd, gd)
		}
		return
	}
	switch w.Kind() {
	case reflect.Pointer, reflect.Interface:
		if w.IsNil() || g.IsNil() {
			if w.IsNil() != g.IsNil() {
				c.report(path, "want %s, got %s", nilness(w), nilness(g))
			}
			return
		}
		c.walk(path, w.Elem(), g.Elem())
	case reflect.Struct:
		for i := range w.NumField() {
			f := w.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			p := path // an embedded struct's fields read as the outer struct's
			switch {
			case f.Anonymous || !c.all:
			case path == "":
				p = f.Name
			default:
				p = path + "." + f.Name
			}
			c.walk(p, w.Field(i), g.Field(i))
		}
	case reflect.Slice, reflect.Array:
		if w.Len() != g.Len() {
			c.report(path, "want %d elements, got %d: want %v, got %v", w.Len(), g.Len(), w, g)
			return
		}
		for i := range w.Len() {
			p := path
			if c.all {
				p = fmt.Sprintf("%s[%d]", path, i)
			}
			c.walk(p, w.Index(i), g.Index(i))
		}
	case reflect.Map:
		if w.Len() != g.Len() {
			c.report(path, "want %d entries, got %d: want %v, got %v", w.Len(), g.Len(), w, g)
			return
		}
		for _, k := range w.MapKeys() {
			gv := g.MapIndex(k)
			if !gv.IsValid() {
				c.report(path, "want key %v, missing", k)
				continue
			}
			p := path
			if c.all {
				p = fmt.Sprintf("%s[%v]", path, k)
			}
			c.walk(p, w.MapIndex(k), gv)
		}
	case reflect.Func:
		if !w.IsNil() || !g.IsNil() {
			c.report(path, "want %s func, got %s func", nilness(w), nilness(g))
		}
	default:
		if !w.Equal(g) {
			c.report(path, "want %#v, got %#v", w, g)
		}
	}
}

func nilness(v reflect.Value) string {
	if v.IsNil() {
		return "nil"
	}
	return "non-nil"
}
