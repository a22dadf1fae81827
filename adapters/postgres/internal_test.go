package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
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
