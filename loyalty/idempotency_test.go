package loyalty

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// commandRequests are the requests of every command hashed with
// requestHash, by the name it hashes them under.
var commandRequests = map[string]reflect.Type{
	"join":    reflect.TypeFor[JoinRequest](),
	"renew":   reflect.TypeFor[ChangeRequest](),
	"earn":    reflect.TypeFor[EarnRequest](),
	"bonus":   reflect.TypeFor[BonusRequest](),
	"redeem":  reflect.TypeFor[RedeemRequest](),
	"reverse": reflect.TypeFor[ReverseRequest](),
	"quote":   reflect.TypeFor[QuoteRequest](),
}

// TestRequestHashCoversEveryField fills every field of every command's
// request, then changes each field in turn (walking into structs,
// pointers and slices by reflection, so that a field added later is
// covered too) and checks that the hash changes: no field is left out of
// the canonical input, so no different request replays a stored one.
func TestRequestHashCoversEveryField(t *testing.T) {
	for name, typ := range commandRequests {
		t.Run(name, func(t *testing.T) {
			base := filled(typ)
			want := requestHash(name, base.Interface())
			assert.Equal(t, want, requestHash(name, filled(typ).Interface()), "the hash is stable")
			assert.NotEqual(t, want, requestHash(name+"x", base.Interface()), "the command's name counts")
			var paths []fieldPath
			walk(typ, nil, &paths)
			require.NotEmpty(t, paths)
			for _, p := range paths {
				v := filled(typ)
				mutate(p.in(v))
				assert.NotEqual(t, want, requestHash(name, v.Interface()), "changing %s%s changes the hash", typ.Name(), p)
			}
		})
	}
}

// TestRequestHashIsCanonical: decimals hash by value (1280.50 as 1280.5),
// times by instant, maps in key order.
func TestRequestHashIsCanonical(t *testing.T) {
	a := QuoteRequest{Labour: decimal.RequireFromString("1280.50"), Parts: decimal.Zero}
	b := QuoteRequest{Labour: decimal.RequireFromString("1280.5"), Parts: decimal.RequireFromString("0.00")}
	assert.Equal(t, requestHash("quote", a), requestHash("quote", b))
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	assert.Equal(t, requestHash("t", at), requestHash("t", at.In(time.FixedZone("CST", 8*3600))))
	m1 := map[string]int{"a": 1, "b": 2, "c": 3}
	m2 := map[string]int{"c": 3, "b": 2, "a": 1}
	for range 10 {
		assert.Equal(t, requestHash("m", m1), requestHash("m", m2))
	}
	assert.NotEqual(t, requestHash("s", []string{"ab", "c"}), requestHash("s", []string{"a", "bc"}))
}

// fieldPath is a way into a request: field indexes, and -1 for a
// pointer's element or a slice's first element.
type fieldPath []int

func (p fieldPath) String() string { return fmt.Sprint([]int(p)) }

func (p fieldPath) in(v reflect.Value) reflect.Value {
	for _, i := range p {
		switch {
		case i >= 0:
			v = v.Field(i)
		case v.Kind() == reflect.Pointer:
			v = v.Elem()
		default:
			v = v.Index(0)
		}
	}
	return v
}

// leaf reports whether values of t are changed as a whole.
func leaf(t reflect.Type) bool {
	return t == reflect.TypeFor[decimal.Decimal]() || t == reflect.TypeFor[dealercrm.Date]() || t == reflect.TypeFor[time.Time]()
}

// walk lists the paths to every field of t, and to its pointers and
// slices themselves.
func walk(t reflect.Type, p fieldPath, out *[]fieldPath) {
	at := append(fieldPath(nil), p...)
	switch {
	case leaf(t):
		*out = append(*out, at)
	case t.Kind() == reflect.Struct:
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				walk(t.Field(i).Type, append(at, i), out)
			}
		}
	case t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice:
		*out = append(*out, at)
		walk(t.Elem(), append(at, -1), out)
	default:
		*out = append(*out, at)
	}
}

// filled returns a value of t with every field set, differently.
func filled(t reflect.Type) reflect.Value {
	v := reflect.New(t).Elem()
	n := 0
	fill(v, &n)
	return v
}

func fill(v reflect.Value, n *int) {
	*n++
	switch {
	case v.Type() == reflect.TypeFor[decimal.Decimal]():
		v.Set(reflect.ValueOf(decimal.New(int64(*n)*125, -2)))
		return
	case v.Type() == reflect.TypeFor[dealercrm.Date]():
		v.Set(reflect.ValueOf(dealercrm.NewDate(2025, 1, 1).AddDays(*n)))
		return
	case v.Type() == reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(time.Date(2025, 1, 1, 0, 0, *n, 0, time.UTC)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprint("v", *n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(*n) + 0.5)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), n)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0), n)
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, n)
		fill(e, n)
		v.SetMapIndex(k, e)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), n)
			}
		}
	default:
		panic(fmt.Sprintf("a request holds a %s: teach fill and requestHash about it", v.Type()))
	}
}

// mutate changes v: a leaf to another value, a pointer to nil, a slice or
// a map to one more element.
func mutate(v reflect.Value) {
	switch {
	case v.Type() == reflect.TypeFor[decimal.Decimal]():
		v.Set(reflect.ValueOf(v.Interface().(decimal.Decimal).Add(decimal.New(1, -2))))
		return
	case v.Type() == reflect.TypeFor[dealercrm.Date]():
		v.Set(reflect.ValueOf(v.Interface().(dealercrm.Date).AddDays(1)))
		return
	case v.Type() == reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(v.Interface().(time.Time).Add(time.Nanosecond)))
		return
	}
	n := 1000
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(v.Uint() + 1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(v.Float() + 1)
	case reflect.Pointer:
		v.SetZero()
	case reflect.Slice:
		e := reflect.New(v.Type().Elem()).Elem()
		fill(e, &n)
		v.Set(reflect.Append(v, e))
	case reflect.Map:
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, &n)
		fill(e, &n)
		v.SetMapIndex(k, e)
	default:
		panic(fmt.Sprintf("cannot change a %s", v.Type()))
	}
}
