package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
)

func TestTranslateWithoutPostgres(t *testing.T) {
	coded := &crm.ValidationError{Entity: "x"}
	cases := []struct {
		name string
		err  error
		want dealercrm.Code
	}{
		{"Nil", nil, ""},
		{"Coded", coded, dealercrm.Invalid},
		{"Cancelled", fmt.Errorf("read: %w", context.Canceled), dealercrm.Unavailable},
		{"Deadline", context.DeadlineExceeded, dealercrm.Unavailable},
		{"EOF", io.ErrUnexpectedEOF, dealercrm.Unavailable},
		{"Other", errors.New("boom"), dealercrm.Internal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := translate("customer", tc.err)
			assert.Equal(t, tc.want, dealercrm.ErrorCode(err))
			if tc.err != nil {
				assert.ErrorIs(t, err, tc.err, "the cause stays reachable")
			}
		})
	}
	assert.Same(t, error(coded), translate("x", coded), "coded errors pass unchanged")
	assert.Equal(t, "internal error", dealercrm.ErrorMessage(translate("x", errors.New("secret detail"))))
	assert.False(t, retryable(translate("x", errors.New("boom"))))
}

func TestTextArray(t *testing.T) {
	cases := []struct {
		text string
		want []string
	}{
		{`{}`, []string{}},
		{`{a}`, []string{"a"}},
		{`{golf,camping}`, []string{"golf", "camping"}},
		{`{"",NULLS,"NULL","a b","a,b","{x}","q\"q","b\\s","\\x41","''"}`, []string{"", "NULLS", "NULL", "a b", "a,b", "{x}", `q"q`, `b\s`, `\x41`, "''"}},
	}
	for _, tc := range cases {
		got, err := parseTextArray(tc.text)
		require.NoError(t, err, tc.text)
		assert.Equal(t, tc.want, got, tc.text)
		v, err := textArray(tc.want).Value()
		require.NoError(t, err)
		back, err := parseTextArray(v.(string))
		require.NoError(t, err)
		assert.Equal(t, tc.want, back, "Value writes what Scan reads: %s", v)
	}
	for _, bad := range []string{``, `{`, `{a,}`, `{"a}`, `{a"b}`, `{NULL}`, `{{a}}`, `{"a"b}`} {
		_, err := parseTextArray(bad)
		assert.Error(t, err, "%q is not a one-dimensional text array without NULLs", bad)
	}
}

func TestSQLDate(t *testing.T) {
	var d sqlDate
	require.NoError(t, d.Scan("2024-02-29"))
	assert.Equal(t, dealercrm.NewDate(2024, 2, 29), d.date())
	require.NoError(t, d.Scan(nil))
	assert.True(t, d.date().IsZero())
	v, err := d.Value()
	require.NoError(t, err)
	assert.Nil(t, v, "the zero Date is NULL")
	assert.Error(t, d.Scan(42))
}

func TestAppendArrayElem(t *testing.T) {
	assert.Equal(t, `"a\"b\\c'd"`, string(appendArrayElem(nil, `a"b\c'd`, false)))
	assert.Equal(t, `"a\"b\\c''d"`, string(appendArrayElem(nil, `a"b\c'd`, true)), "in SQL, ' is doubled")
}

func TestToParams(t *testing.T) {
	cases := map[string]map[string]string{
		``:                                 nil,
		`{}`:                               nil,
		`{ }`:                              nil,
		`{"n": "3"}`:                       {"n": "3"},
		`{"n": "3", "date": "2026-11-29"}`: {"n": "3", "date": "2026-11-29"},
		`{"name":"王 芳","plate" : "沪A·12345"}`: {"name": "王 芳", "plate": "沪A·12345"},
		`{"q": "say \"hi\"", "u": "\u4e2d"}`:  {"q": `say "hi"`, "u": "中"},
		`{"a": "}", "b": ","}`:                {"a": "}", "b": ","},
		`{"a": 1}`:                            nil, // not what paramsDoc writes
		`not json`:                            nil,
	}
	for in, want := range cases {
		assert.Equal(t, want, toParams(jsonDoc(in)), in)
	}
}

// FuzzPlainParams checks plainParams against encoding/json: whatever it
// accepts, json.Unmarshal accepts with the same map.
func FuzzPlainParams(f *testing.F) {
	for _, s := range []string{`{"n": "3"}`, `{"a": "b", "c": "d"}`, `{"a":"}"}`, `{"a": "\u00e9"}`, `{"a" "b"}`, `{"a": "b",}`, "{\"a\": \"\x01\"}", "{\"a\": \"\xff\"}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := plainParams(s)
		if !ok {
			return
		}
		var want map[string]string
		if err := json.Unmarshal([]byte(s), &want); err != nil {
			t.Fatalf("plainParams accepted %q, encoding/json: %v", s, err)
		}
		if !maps.Equal(p, want) {
			t.Fatalf("plainParams(%q) = %v, encoding/json %v", s, p, want)
		}
	})
}

// TestEncodeArrays: a column with one value in every row of two or more
// is that value's literal, NULL included; any other column is the array
// of its values, whichever row first differs; with one row every column
// is an array. The arguments are the single values, then the arrays.
func TestEncodeArrays(t *testing.T) {
	type row struct {
		A string `bun:"a"`
		B string `bun:"b,nullzero"`
		C string `bun:"c,nullzero"`
		D int64  `bun:"d"`
	}
	c := newRowCodec[row]()
	cases := []struct {
		name   string
		rows   []row
		single []bool
		args   []any
	}{
		{"One row", []row{{"x", "", "it's", 1}}, []bool{false, false, false, false},
			[]any{bun.Safe(`'{"x"}'`), bun.Safe(`'{NULL}'`), bun.Safe(`'{"it''s"}'`), bun.Safe(`'{"1"}'`)}},
		{"Same everywhere but A", []row{{"x", "", "it's", 7}, {"y", "", "it's", 7}, {"z", "", "it's", 7}}, []bool{false, true, true, true},
			[]any{bun.Safe(`NULL`), bun.Safe(`'it''s'`), bun.Safe(`'7'`), bun.Safe(`'{"x","y","z"}'`)}},
		{"Differs at the last row", []row{{"x", "", "q", 1}, {"x", "", "q", 1}, {"x", "b", `"`, 2}}, []bool{true, false, false, false},
			[]any{bun.Safe(`'x'`), bun.Safe(`'{NULL,NULL,"b"}'`), bun.Safe(`'{"q","q","\""}'`), bun.Safe(`'{"1","1","2"}'`)}},
		{"NULL then a value", []row{{"x", "", "", 1}, {"y", "b", "", 1}}, []bool{false, false, true, true},
			[]any{bun.Safe(`NULL`), bun.Safe(`'1'`), bun.Safe(`'{"x","y"}'`), bun.Safe(`'{NULL,"b"}'`)}},
	}
	var buf []byte
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args, single, b, err := encodeArrays(c, buf, tc.rows, 0)
			require.NoError(t, err)
			buf = b
			assert.Equal(t, tc.single, single)
			assert.Equal(t, tc.args, args)
		})
	}
	_, _, _, err := encodeArrays(c, nil, []row{{"x", "", "", 1}, {"x", "", "a\x00", 1}}, 5)
	assert.ErrorContains(t, err, "items[6].c", "a bad text is named by its row, in a single column too")
}
