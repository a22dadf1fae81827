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
