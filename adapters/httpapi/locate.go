package httpapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
)

// encoding/json names the field of a type error it detects itself (a
// number where a string goes) but not of an error returned by a value's
// own UnmarshalJSON (a date "1990/01/01", an amount "12,5"), nor of an
// unknown field in a structured way. locateError finds that field by
// decoding the body again, value by value, along dst's type: the first
// value that fails on its own is the culprit.

// locateError returns the JSON path (region.city, vehicles[3].vin) of the
// first value of body that does not decode into a value of type t, and
// whether the path is an unknown field rather than a bad value; "" when
// no single value is to blame.
func locateError(body []byte, t reflect.Type) (path string, unknown bool) {
	return locate(body, t, "", 0)
}

// maxLocateDepth bounds the walk (a body is at most a few levels deep).
const maxLocateDepth = 32

func locate(raw []byte, t reflect.Type, path string, depth int) (string, bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if depth > maxLocateDepth {
		return "", false
	}
	if reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]()) {
		if json.Unmarshal(raw, reflect.New(t).Interface()) != nil {
			return path, false
		}
		return "", false
	}
	switch t.Kind() {
	case reflect.Struct:
		return locateObject(raw, path, depth, func(key string) (reflect.Type, bool) { return fieldType(t, key) })
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return "", false
		}
		return locateObject(raw, path, depth, func(string) (reflect.Type, bool) { return t.Elem(), true })
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return "", false // not an array: encoding/json names it
		}
		for i, it := range items {
			if p, u := locate(it, t.Elem(), path+"["+strconv.Itoa(i)+"]", depth+1); p != "" {
				return p, u
			}
		}
	}
	return "", false
}

// locateObject walks the members of a JSON object in document order; elem
// gives the type of a member, false for an unknown one.
func locateObject(raw []byte, path string, depth int, elem func(key string) (reflect.Type, bool)) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if dec.Decode(&v) != nil {
			return "", false
		}
		p := key
		if path != "" {
			p = path + "." + key
		}
		ft, ok := elem(key)
		if !ok {
			return p, true
		}
		if got, u := locate(v, ft, p, depth+1); got != "" {
			return got, u
		}
	}
	return "", false
}

// fieldType returns the type of struct t's field that encoding/json
// decodes key into: an exact name first, then a case-insensitive one,
// embedded structs flattened.
func fieldType(t reflect.Type, key string) (reflect.Type, bool) {
	var fold reflect.Type
	var walk func(t reflect.Type) (reflect.Type, bool)
	walk = func(t reflect.Type) (reflect.Type, bool) {
		for i := range t.NumField() {
			f := t.Field(i)
			name := jsonName(f)
			if name == "-" || (!f.IsExported() && !f.Anonymous) {
				continue
			}
			if f.Anonymous && f.Tag.Get("json") == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					if got, ok := walk(ft); ok {
						return got, true
					}
					continue
				}
			}
			if name == key {
				return f.Type, true
			}
			if fold == nil && strings.EqualFold(name, key) {
				fold = f.Type
			}
		}
		return nil, false
	}
	if got, ok := walk(t); ok {
		return got, true
	}
	return fold, fold != nil
}
