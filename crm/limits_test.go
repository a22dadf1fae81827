package crm_test

import (
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
)

// TestLimits: the SPEC §0 defaults, worked at their edges.
func TestLimits(t *testing.T) {
	l := crm.DefaultLimits()
	today := dealercrm.MustParseDate("2026-12-03")

	_, bad := l.CheckPast("date", today, today)
	assert.False(t, bad, "today is not in the future")
	fe, bad := l.CheckPast("date", dealercrm.MustParseDate("2026-12-04"), today)
	assert.True(t, bad, "tomorrow is in the future with 0 days' tolerance")
	assert.Equal(t, crm.RuleFuture, fe.Rule)
	_, bad = crm.Limits{FutureDays: 1}.CheckPast("date", dealercrm.MustParseDate("2026-12-04"), today)
	assert.False(t, bad, "one day of tolerance admits tomorrow")
	_, bad = l.CheckPast("date", dealercrm.MustParseDate("9999-12-31"), today)
	assert.True(t, bad)

	_, bad = l.CheckAmount("labour", decimal.RequireFromString("10000000"))
	assert.False(t, bad, "10,000,000 CNY is the ceiling itself")
	_, bad = l.CheckAmount("labour", decimal.RequireFromString("10000000.01"))
	assert.True(t, bad)
	_, bad = l.CheckAmount("labour", decimal.RequireFromString("1e400"))
	assert.True(t, bad)
	_, bad = l.CheckAmount("gross_profit", decimal.RequireFromString("-1e400"))
	assert.True(t, bad, "a negative amount beyond the ceiling")
	_, bad = crm.Limits{}.CheckAmount("labour", decimal.RequireFromString("10000001"))
	assert.True(t, bad, "the zero Limits means the defaults")

	_, bad = l.CheckPoints("points", 10_000_000)
	assert.False(t, bad)
	_, bad = l.CheckPoints("points", 10_000_001)
	assert.True(t, bad)
	_, bad = l.CheckPoints("points", -10_000_001)
	assert.True(t, bad)

	_, bad = l.CheckOdometer("odometer_km", 2_000_000)
	assert.False(t, bad)
	_, bad = l.CheckOdometer("odometer_km", 9223372036854775807)
	assert.True(t, bad)

	_, bad = crm.CheckText("name", "王芳")
	assert.False(t, bad)
	fe, bad = crm.CheckText("name", "a\x00b")
	assert.True(t, bad)
	assert.Equal(t, crm.RuleText, fe.Rule)
	_, bad = crm.CheckText("name", "\xff")
	assert.True(t, bad)
}

// TestCheckAmountHugeExponents: amounts whose exponent would make
// arithmetic explode are judged from their digits, at once.
func TestCheckAmountHugeExponents(t *testing.T) {
	l := crm.DefaultLimits()
	for _, tc := range []struct {
		in   string
		rule string
	}{
		{"1e9999", crm.RuleMax},
		{"-1e9999", crm.RuleMax},
		{"99999999", crm.RuleMax},
		{"1e-9999", crm.RuleFormat},
		{"0.123456789", crm.RuleFormat},
		{"9999999.99", ""},
		{"0.12345678", ""},
		{"1.50000000000", ""},
		{"0", ""},
		{"10000000", ""},
	} {
		d, err := decimal.NewFromString(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		fe, bad := l.CheckAmount("amount", d)
		if tc.rule == "" {
			assert.False(t, bad, "%s passes", tc.in)
		} else if assert.True(t, bad, "%s is refused", tc.in) {
			assert.Equal(t, tc.rule, fe.Rule, tc.in)
		}
	}
}
