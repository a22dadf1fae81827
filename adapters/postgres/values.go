package postgres

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/shopspring/decimal"
)

// sqlDate is a dealercrm.Date in a date column; the zero Date is NULL.
type sqlDate dealercrm.Date

// Value implements driver.Valuer.
func (d sqlDate) Value() (driver.Value, error) {
	if dealercrm.Date(d).IsZero() {
		return nil, nil
	}
	return dealercrm.Date(d).String(), nil
}

// Scan implements sql.Scanner.
func (d *sqlDate) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case nil:
		*d = sqlDate{}
		return nil
	case time.Time:
		*d = sqlDate(dealercrm.DateOf(v))
		return nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("postgres: cannot scan %T into a date", src)
	}
	v, err := dealercrm.ParseDate(s)
	if err != nil {
		return err
	}
	*d = sqlDate(v)
	return nil
}

func (d sqlDate) date() dealercrm.Date { return dealercrm.Date(d) }

// dbTime prepares a time for storage: in UTC and truncated to microseconds,
// the precision of timestamptz, so that what a write returns is what a read
// gives back (Postgres would round the nanoseconds instead).
func dbTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// utc returns a time read from the database in UTC (the zero time stays zero).
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// jsonDecimal is a decimal in a jsonb document: a JSON number written in
// its shortest form (1234.5 for 1234.50), so that equal values give equal
// documents and an unchanged upsert stays unchanged.
func jsonDecimal(d decimal.Decimal) json.Number { return json.Number(d.String()) }

func parseDecimal(n json.Number) (decimal.Decimal, error) {
	if n == "" {
		return decimal.Zero, nil
	}
	return decimal.NewFromString(string(n))
}

// jsonDate is a dealercrm.Date in a jsonb document ("" for the zero Date).
func jsonDate(d dealercrm.Date) string { return d.String() }

func parseDate(s string) (dealercrm.Date, error) {
	if s == "" {
		return dealercrm.Date{}, nil
	}
	return dealercrm.ParseDate(s)
}

// marshalList encodes items as a jsonb array of the adapter's own document
// type D: the stored format belongs to the adapter, not to the JSON tags of
// the domain types. No items is "[]".
func marshalList[T, D any](items []T, doc func(T) D) (jsonDoc, error) {
	docs := make([]D, len(items))
	for i, v := range items {
		docs[i] = doc(v)
	}
	b, err := json.Marshal(docs)
	if err != nil {
		return "", err
	}
	return jsonDoc(b), nil
}

// unmarshalList decodes a jsonb array written by marshalList; an empty one
// gives nil, as the domain types have it before anything is added.
func unmarshalList[T, D any](s jsonDoc, value func(D) (T, error)) ([]T, error) {
	if s == "" || s == "null" || s == "[]" {
		return nil, nil
	}
	var docs []D
	if err := json.Unmarshal([]byte(s), &docs); err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, nil
	}
	out := make([]T, len(docs))
	for i, d := range docs {
		v, err := value(d)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// textArray is a text[] column. It reads and writes the array text itself:
// bun's array scanner turns a doubled single quote inside an element into
// one and hex-decodes elements that start with \x, which would change what
// was stored.
type textArray []string

// Value implements driver.Valuer: the array's text, {"a","b"}.
func (a textArray) Value() (driver.Value, error) {
	return string(a.appendText(nil)), nil
}

func (a textArray) appendText(b []byte) []byte {
	b = append(b, '{')
	for i, s := range a {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendArrayElem(b, s, false)
	}
	return append(b, '}')
}

// Scan implements sql.Scanner for the text output of a one-dimensional
// text[]: {a,"b c","d\"e"}.
func (a *textArray) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case nil:
		*a = nil
		return nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("postgres: cannot scan %T into a text array", src)
	}
	out, err := parseTextArray(s)
	if err != nil {
		return err
	}
	*a = out
	return nil
}

func parseTextArray(s string) ([]string, error) {
	bad := func(why string) error { return fmt.Errorf("postgres: malformed text array %q: %s", s, why) }
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, bad("no braces")
	}
	body := s[1 : len(s)-1]
	out := []string{}
	for i := 0; i < len(body); {
		if body[i] == '"' {
			var b strings.Builder
			for i++; i < len(body) && body[i] != '"'; i++ {
				if body[i] == '\\' {
					i++
					if i == len(body) {
						return nil, bad("dangling escape")
					}
				}
				b.WriteByte(body[i])
			}
			if i == len(body) {
				return nil, bad("unterminated quote")
			}
			i++ // the closing quote
			out = append(out, b.String())
		} else {
			end := strings.IndexByte(body[i:], ',')
			if end < 0 {
				end = len(body) - i
			}
			tok := body[i : i+end]
			if tok == "NULL" || strings.ContainsAny(tok, `{}"\`) {
				return nil, bad("unexpected element " + tok)
			}
			out = append(out, tok)
			i += end
		}
		if i < len(body) {
			if body[i] != ',' {
				return nil, bad("missing comma")
			}
			i++
			if i == len(body) {
				return nil, bad("trailing comma")
			}
		}
	}
	return out, nil
}

// stringsOf converts a slice of string-kinded values for a text[] column,
// never nil (the column is NOT NULL).
func stringsOf[S ~string](vs []S) textArray {
	out := make(textArray, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// nilIfEmpty returns nil for an empty slice, as the domain types have it.
func nilIfEmpty[S any](vs []S) []S {
	if len(vs) == 0 {
		return nil
	}
	return vs
}

// Key columns every dealer-owned row has; an upsert never changes them
// (updated_at only with the content).
var metaColumns = map[string]bool{"dealer_id": true, "id": true, "external_id": true, "created_at": true, "updated_at": true}
