package loyalty

import (
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/shopspring/decimal"
)

// requestHash returns the idempotency hash of a command (Command.Hash):
// the SHA-256 of the command's name and the canonical encoding of its
// whole request, every exported field whatever its JSON tag. It is the
// only place a command's hash is built, so that no field of a request can
// be left out: a request that differs in any field under a stored key is
// an ErrIdempotencyConflict, the same request a replay. Callers pass the
// request with its defaults filled in (the posting date), and clear what a
// default key must not cover (see Earn, Bonus, Reverse).
//
// The encoding writes a struct as its fields' names and values in
// declaration order, strings with their length, slices with their
// length, maps in key order, and values with a text form (decimals,
// dates) as that text: decimal.Decimal's is canonical (1280.50 and 1280.5
// hash alike), times are taken in UTC, dates as year, month and day. TestRequestHashCoversEveryField
// changes every field of every command's request and checks the hash.
func requestHash(command string, req any) string {
	b := appendCanonical(append(make([]byte, 0, 512), command...), reflect.ValueOf(req))
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	dateType      = reflect.TypeFor[dealercrm.Date]()
	decimalType   = reflect.TypeFor[decimal.Decimal]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// appendCanonical appends the canonical encoding of v to b.
func appendCanonical(b []byte, v reflect.Value) []byte {
	if !v.IsValid() {
		return append(b, 'n')
	}
	// The common types with a text form are written without the
	// allocations of the generic path.
	switch t := v.Type(); {
	case t == dateType:
		d, _ := reflect.TypeAssert[dealercrm.Date](v)
		b = strconv.AppendInt(append(b, 'D'), int64(d.Year), 10)
		b = strconv.AppendInt(append(b, '-'), int64(d.Month), 10)
		return append(strconv.AppendInt(append(b, '-'), int64(d.Day), 10), ';')
	case t == decimalType:
		d, _ := reflect.TypeAssert[decimal.Decimal](v)
		return appendString(append(b, 'x'), d.String())
	case t == timeType:
		at, _ := reflect.TypeAssert[time.Time](v)
		return append(at.UTC().AppendFormat(append(b, 't'), time.RFC3339Nano), ';')
	case t.Implements(textMarshaler) && v.Kind() != reflect.Pointer:
		text, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		if err != nil {
			panic(fmt.Sprintf("loyalty: request hash: %v", err))
		}
		return appendString(append(b, 'x'), string(text))
	}
	switch v.Kind() {
	case reflect.String:
		return appendString(append(b, 's'), v.String())
	case reflect.Bool:
		return strconv.AppendBool(append(b, 'b'), v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return append(strconv.AppendInt(append(b, 'i'), v.Int(), 10), ';')
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return append(strconv.AppendUint(append(b, 'u'), v.Uint(), 10), ';')
	case reflect.Float32, reflect.Float64:
		return append(strconv.AppendFloat(append(b, 'f'), v.Float(), 'g', -1, 64), ';')
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return append(b, 'n')
		}
		return appendCanonical(append(b, 'p'), v.Elem())
	case reflect.Slice, reflect.Array:
		b = append(strconv.AppendInt(append(b, '['), int64(v.Len()), 10), ';')
		for i := range v.Len() {
			b = appendCanonical(b, v.Index(i))
		}
		return b
	case reflect.Map:
		entries := make([][]byte, 0, v.Len())
		for it := v.MapRange(); it.Next(); {
			entries = append(entries, appendCanonical(appendCanonical(nil, it.Key()), it.Value()))
		}
		slices.SortFunc(entries, func(x, y []byte) int { return slices.Compare(x, y) })
		b = append(strconv.AppendInt(append(b, 'm'), int64(len(entries)), 10), ';')
		for _, e := range entries {
			b = append(b, e...)
		}
		return b
	case reflect.Struct:
		b = append(b, '{')
		for _, f := range exportedFields(v.Type()) {
			b = appendCanonical(appendString(b, f.name), v.Field(f.index))
		}
		return append(b, '}')
	}
	panic(fmt.Sprintf("loyalty: request hash: cannot encode a %s", v.Type()))
}

type exportedField struct {
	index int
	name  string
}

// fieldsByType caches exportedFields: reflect.Type.Field allocates.
var fieldsByType sync.Map

// exportedFields returns the exported fields of struct type t in
// declaration order.
func exportedFields(t reflect.Type) []exportedField {
	if fs, ok := fieldsByType.Load(t); ok {
		return fs.([]exportedField)
	}
	var fs []exportedField
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() {
			fs = append(fs, exportedField{index: i, name: f.Name})
		}
	}
	fieldsByType.Store(t, fs)
	return fs
}

// appendString appends s with its length, so that no two sequences of
// strings encode alike.
func appendString(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}
