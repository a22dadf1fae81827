package postgres

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
	"github.com/uptrace/bun"
)

// jsonDoc is the text of a jsonb column. A type of its own tells the bulk
// encoder to cast the column to jsonb; to bun it is a plain string.
type jsonDoc string

// jsonText is the text of a json column: a document the adapter only
// reads and writes whole, which Postgres keeps and prints as sent instead
// of parsing it into jsonb and printing it back (a customer's consents,
// migration 0036). The bulk encoder casts it to json.
type jsonText string

// The bulk path of Upsert sends each column of a chunk of rows as one
// text[] literal and lets Postgres unnest them; a column with the same
// value in every row goes as that value, once (see encodeArrays):
//
//	INSERT INTO … (c0, c1, c2, …) SELECT u.c0, 'x'::text, u.c1::date, …
//	FROM unnest('{…}'::text[], '{…}'::text[], …) AS u(c0, c1, …) …
//
// Measured on a 2-core machine (PostgreSQL 15, default settings), with
// 100,000 customers and 100,000 vehicles in one transaction:
//
//   - bun's multi-row VALUES, 1,000 rows per statement: about 14,000 rows/s.
//     Postgres spends 1.4 times longer on a VALUES list with a constant
//     per cell than on the same rows as arrays, and bun's reflection-based
//     formatting cost as much CPU again on the Go side.
//   - arrays, 5,000 rows per statement, with the next chunk encoded while
//     Postgres writes the current one (repo.pipeline): about 40,000 rows/s.
//   - COPY into a temporary table and one INSERT … SELECT … ON CONFLICT:
//     no faster end to end for 100,000 customers (2.9–3.6 s against
//     2.9–3.1 s), and it needs a dedicated connection for pgdriver.CopyFrom,
//     a temporary table per call (catalog churn for small batches) and a
//     second code path. Not used.
//
// A statement has one literal per column whatever the number of rows, far
// below the 65,535 bind parameters Postgres allows should a driver ever send
// them as parameters.

// column encodes one field of a row type as the text of an array element.
type column struct {
	name  string
	index []int
	// cast is the SQL type the text element is cast to; "" for text.
	cast string
	// text appends the field's text to b, or reports NULL.
	text func(b []byte, f reflect.Value) ([]byte, bool)
}

// rowCodec encodes the rows of one row type, column by column.
type rowCodec struct {
	columns []column
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	decimalType   = reflect.TypeFor[decimal.Decimal]()
	dateType      = reflect.TypeFor[sqlDate]()
	docType       = reflect.TypeFor[jsonDoc]()
	docPtrType    = reflect.TypeFor[*jsonDoc]()
	jsonTextType  = reflect.TypeFor[jsonText]()
	textArrayType = reflect.TypeFor[textArray]()
)

// newRowCodec derives the codec of row type R from its bun tags and field
// types. It panics on a field type it does not know: rows are ours.
func newRowCodec[R any]() *rowCodec {
	c := &rowCodec{}
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			idx := append(append([]int(nil), index...), i)
			tag := f.Tag.Get("bun")
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				if !strings.HasPrefix(tag, "table:") {
					walk(f.Type, idx)
				}
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			nullZero := strings.Contains(","+opts+",", ",nullzero,")
			date := strings.Contains(","+opts+",", ",type:date,")
			c.columns = append(c.columns, newColumn(t.Name()+"."+f.Name, name, idx, f.Type, nullZero, date))
		}
	}
	walk(reflect.TypeFor[R](), nil)
	return c
}

func newColumn(field, name string, index []int, t reflect.Type, nullZero, date bool) column {
	col := column{name: name, index: index}
	// A time.Time in a date column (bun's type:date) is its day in UTC,
	// as the rows hold their dates; a nil *time.Time is NULL.
	day := func(b []byte, tm time.Time) []byte { return tm.UTC().AppendFormat(b, "2006-01-02") }
	switch {
	case date && t == timeType:
		col.cast = "date"
		col.text = func(b []byte, f reflect.Value) ([]byte, bool) {
			return day(b, f.Interface().(time.Time)), false
		}
	case date && t == reflect.PointerTo(timeType):
		col.cast = "date"
		col.text = func(b []byte, f reflect.Value) ([]byte, bool) {
			if f.IsNil() {
				return b, true
			}
			return day(b, *f.Interface().(*time.Time)), false
		}
	case t == dateType:
		col.cast = "date"
		col.text = func(b []byte, f reflect.Value) ([]byte, bool) {
			d := f.Addr().Interface().(*sqlDate).date()
			if d.IsZero() {
				return b, true
			}
			return append(b, d.String()...), false
		}
	case t == timeType:
		col.cast = "timestamptz"
		col.text = func(b []byte, f reflect.Value) ([]byte, bool) {
			tm := f.Addr().Interface().(*time.Time)
			if nullZero && tm.IsZero() {
				return b, true
			}
			return tm.UTC().AppendFormat(b, "2006-01-02T15:04:05.999999Z07:00"), false
		}
	case t == decimalType:
		col.cast = "numeric"
		col.text = func(b []byte, f reflect.Value) ([]byte, bool) {
			return append(b, f.Addr().Interface().(*decimal.Decimal).String()...), false
		}
	case t == docType, t == jsonTextType:
		col.cast = "jsonb"
		if t == jsonTextType {
			col.cast = "json"
		}
		col.text = func(b []byte, f reflect.Value) ([]byte, bool) { return append(b, f.String()...), false }
	case t == docPtrType:
		col.cast = "jsonb"
		col.text = func(b []byte, f reflect.Value) ([]byte, bool) {
			if f.IsNil() {
				return b, true
			}
			return append(b, f.Elem().String()...), false
		}
	case t.Kind() == reflect.String:
		col.text = func(b []byte, f reflect.Value) ([]byte, bool) {
			s := f.String()
			if nullZero && s == "" {
				return b, true
			}
			return append(b, s...), false
		}
	case t.Kind() == reflect.Bool:
		col.cast = "boolean"
		col.text = func(b []byte, f reflect.Value) ([]byte, bool) {
			if f.Bool() {
				return append(b, 't'), false
			}
			return append(b, 'f'), false
		}
	case t.Kind() == reflect.Int64, t.Kind() == reflect.Int:
		col.cast = "bigint"
		col.text = func(b []byte, f reflect.Value) ([]byte, bool) { return strconv.AppendInt(b, f.Int(), 10), false }
	case t == textArrayType:
		// A text[] cell travels as the text of an array literal.
		col.cast = "text[]"
		col.text = func(b []byte, f reflect.Value) ([]byte, bool) {
			return f.Interface().(textArray).appendText(b), false
		}
	default:
		panic(fmt.Sprintf("postgres: row field %s: no bulk encoding for %s", field, t))
	}
	return col
}

// Text Postgres cannot store. bun would turn invalid UTF-8 into U+FFFD
// and fail on NUL with a malformed statement; the stores reject both by
// field before they write (crm.CheckTexts), and the bulk encoder checks
// again, as a last guard, what it puts into a statement.
var (
	errNUL  = errors.New("text contains a NUL character, which Postgres cannot store")
	errUTF8 = errors.New("text is not valid UTF-8")
)

func checkText(b []byte) error {
	if bytes.IndexByte(b, 0) >= 0 {
		return errNUL
	}
	if !utf8.Valid(b) {
		return errUTF8
	}
	return nil
}

// appendArrayElem appends s as a double-quoted array element; with sql,
// also escaped for the single-quoted SQL literal the array is sent in
// (standard_conforming_strings is on, which pgdriver requires, so only '
// needs doubling).
func appendArrayElem[S ~string | ~[]byte](b []byte, s S, sql bool) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\'':
			if sql {
				b = append(b, '\'')
			}
			b = append(b, c)
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// appendLiteral appends s as a quoted SQL string literal. With
// standard_conforming_strings on, which pgdriver requires, only a single
// quote needs doubling. s holds no NUL (the stores check text first).
func appendLiteral[S ~string | ~[]byte](b []byte, s S) []byte {
	b = slices.Grow(b, len(s)+2)
	b = append(b, '\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			b = append(b, '\'')
		}
		b = append(b, s[i])
	}
	return append(b, '\'')
}

// appendTextArray appends ss as the literal of a text[]: '{"a","b"}'.
func appendTextArray(b []byte, ss []string) []byte {
	b = append(b, "'{"...)
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendArrayElem(b, s, true)
	}
	return append(b, "}'"...)
}

// names returns the quoted column names, comma-separated.
func (c *rowCodec) names() string {
	q := make([]string, len(c.columns))
	for i, col := range c.columns {
		q[i] = quoteIdent(col.name)
	}
	return strings.Join(q, ", ")
}

// selectFrom returns the SELECT of the upsert statement of a chunk:
//
//	SELECT u.c0, ?::timestamptz, u.c1::date, … FROM unnest(?::text[], …) AS u(c0, c1, …)
//
// A column is unnested from an array, cast to its type, or, where
// single[j], one value for every row (?::type, see encodeArrays). The
// placeholders are the single values in column order, then the arrays.
func (c *rowCodec) selectFrom(single []bool) string {
	var sel, arrays, aliases strings.Builder
	n := 0
	for j, col := range c.columns {
		if j > 0 {
			sel.WriteString(", ")
		}
		if single[j] {
			sel.WriteString("?::" + cmp.Or(col.cast, "text"))
			continue
		}
		if n > 0 {
			arrays.WriteString(", ")
			aliases.WriteString(", ")
		}
		fmt.Fprintf(&sel, "u.c%d", n)
		if col.cast != "" {
			sel.WriteString("::" + col.cast)
		}
		arrays.WriteString("?::text[]")
		fmt.Fprintf(&aliases, "c%d", n)
		n++
	}
	return "SELECT " + sel.String() + " FROM unnest(" + arrays.String() + ") AS u(" + aliases.String() + ")"
}

// encodeArrays returns, for each column, the SQL literal of a text[]
// with the column's value in every row, '{"a","b",NULL}', or, when every
// row holds the same value and there are two rows or more, the literal of
// that value, 'a' or NULL (single[j] is then true). So the dealer, the
// batch's times and the fields a source leaves empty are parsed once per
// chunk, not once per row: in the import benchmark (docs/benchmarks.md),
// 20 of 25 customer columns and 10 of 16 vehicle columns, which had taken
// Postgres about a quarter of the customers' statement. Some column
// remains an array, which gives the statement its rows: the rows'
// external IDs differ (Upsert checks the batch first). With one row every
// column is an array, as all would be single. rows must not be empty.
//
// The literals come in the order of the statement's placeholders (see
// selectFrom) and are bun.Safe, which bun writes in place of its
// placeholder as it is, so that the statement's template, which query
// hooks (bunotel's db.statement) record, holds no values. They share one
// string, made in b, which encodeArrays returns for the next call. Errors
// name the row as items[offset+i].
func encodeArrays[R any](c *rowCodec, b []byte, rows []R, offset int) (args []any, single []bool, _ []byte, err error) {
	b = b[:0]
	var scratch, first []byte
	elem := func(b, text []byte, null bool) []byte {
		if null {
			return append(b, "NULL"...)
		}
		return appendArrayElem(b, text, true)
	}
	ends := make([]int, len(c.columns))
	single = make([]bool, len(c.columns))
	for j, col := range c.columns {
		// The column's array is written from the first row whose value
		// differs from the first row's; until then the column is single.
		same, firstNull := true, false
		for i := range rows {
			f := reflect.ValueOf(&rows[i]).Elem().FieldByIndex(col.index)
			var null bool
			scratch, null = col.text(scratch[:0], f)
			if !null {
				if err := checkText(scratch); err != nil {
					return nil, nil, b, fmt.Errorf("items[%d].%s: %w", offset+i, col.name, err)
				}
			}
			switch {
			case i == 0:
				first, firstNull = append(first[:0], scratch...), null
				continue
			case !same:
				b = append(b, ',')
			case null == firstNull && (null || bytes.Equal(scratch, first)):
				continue
			default:
				same = false
				b = append(b, "'{"...)
				for range i {
					b = append(elem(b, first, firstNull), ',')
				}
			}
			b = elem(b, scratch, null)
		}
		switch {
		case !same:
			b = append(b, "}'"...)
		case len(rows) == 1:
			b = append(elem(append(b, "'{"...), first, firstNull), "}'"...)
			same = false
		case firstNull:
			b = append(b, "NULL"...)
		default:
			b = appendLiteral(b, first)
		}
		single[j] = same
		ends[j] = len(b)
	}
	all := string(b)
	var singles, arrays []any
	start := 0
	for j, end := range ends {
		if single[j] {
			singles = append(singles, bun.Safe(all[start:end]))
		} else {
			arrays = append(arrays, bun.Safe(all[start:end]))
		}
		start = end
	}
	return append(singles, arrays...), single, b, nil
}
