package crm

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dealercrm/dealercrm"
	"github.com/shopspring/decimal"
)

// Limits are the bounds of plausible input (SPEC §0): a date that describes
// a past event may not lie after the dealer's today, and amounts, points and
// odometer readings have ceilings. A value outside them is a validation
// error, never a state that blocks later work (a redemption dated 9999-12-31
// would freeze a ledger; labour of 1e400 would poison every sum).
//
// Every service that takes input (crm, loyalty, satisfaction, campaign,
// lifecycle) has a WithLimits option; a host passes the same Limits to all.
// The zero value of a field means its default (DefaultLimits).
type Limits struct {
	// FutureDays is how many days after the dealer's today a date of a past
	// event (a sale, a service order, a survey answer, a points posting, a
	// campaign response) may lie. Default 0: not after today.
	FutureDays int
	// MaxAmount is the ceiling of one money amount in CNY: an order line
	// (labour, parts), a price, a premium, a fee. Default 10,000,000.
	MaxAmount decimal.Decimal
	// MaxPoints is the ceiling of the points of one posting. Default
	// 10,000,000.
	MaxPoints int64
	// MaxOdometerKM is the ceiling of an odometer reading. Default
	// 2,000,000 km.
	MaxOdometerKM int64
}

// Defaults of Limits.
const (
	DefaultMaxPoints     int64 = 10_000_000
	DefaultMaxOdometerKM int64 = 2_000_000
)

// DefaultMaxAmount is the default ceiling of one money amount, CNY.
var DefaultMaxAmount = decimal.NewFromInt(10_000_000)

// Validation rules of Limits and of text, named in FieldError.Rule.
const (
	// RuleFuture: a date of a past event lies after the dealer's today.
	RuleFuture = "future"
	// RuleMax: a value is above its ceiling.
	RuleMax = "max"
	// RuleText: text that is not valid UTF-8 or holds a NUL character.
	RuleText = "text"
)

// DefaultLimits returns the SPEC's defaults.
func DefaultLimits() Limits {
	return Limits{MaxAmount: DefaultMaxAmount, MaxPoints: DefaultMaxPoints, MaxOdometerKM: DefaultMaxOdometerKM}
}

// OrDefault returns l with every unset field (zero, or negative) at its
// default. FutureDays keeps its value when it is positive.
func (l Limits) OrDefault() Limits {
	d := DefaultLimits()
	if l.FutureDays < 0 {
		l.FutureDays = 0
	}
	if !l.MaxAmount.IsPositive() {
		l.MaxAmount = d.MaxAmount
	}
	if l.MaxPoints <= 0 {
		l.MaxPoints = d.MaxPoints
	}
	if l.MaxOdometerKM <= 0 {
		l.MaxOdometerKM = d.MaxOdometerKM
	}
	return l
}

// Latest returns the latest date a past event may carry when the dealer's
// today is today.
func (l Limits) Latest(today dealercrm.Date) dealercrm.Date {
	return today.AddDays(max(l.FutureDays, 0))
}

// CheckPast returns the FieldError of a date of a past event that lies after
// the dealer's today (plus FutureDays), or false when it does not. The zero
// Date passes (required is another rule).
func (l Limits) CheckPast(field string, d, today dealercrm.Date) (FieldError, bool) {
	if d.IsZero() || today.IsZero() {
		return FieldError{}, false
	}
	if latest := l.Latest(today); d.After(latest) {
		return FieldError{Field: field, Rule: RuleFuture, Message: "must not be after " + latest.String() + " (the dealer's today)"}, true
	}
	return FieldError{}, false
}

// MaxAmountDecimals is the most decimal places an amount may carry: money
// is kept to the fen with room for rates, and a value like 1e-9999 would
// make every sum it enters work on ten-thousand-digit numbers.
const MaxAmountDecimals = 8

// CheckAmount returns the FieldError of an amount above MaxAmount (or below
// its negative, for amounts that may be negative) or with more than
// MaxAmountDecimals decimal places, or false. It judges the size from the
// digits and the exponent before any arithmetic, so that 1e9999 costs
// nothing to refuse.
func (l Limits) CheckAmount(field string, v decimal.Decimal) (FieldError, bool) {
	l = l.OrDefault()
	if v.IsZero() {
		return FieldError{}, false
	}
	over := FieldError{Field: field, Rule: RuleMax, Message: "must not exceed " + l.MaxAmount.String() + " CNY"}
	// The number of digits before the decimal point: NumDigits + exponent.
	intDigits := int64(v.NumDigits()) + int64(v.Exponent())
	maxDigits := int64(l.MaxAmount.NumDigits()) + int64(l.MaxAmount.Exponent())
	decimals := FieldError{Field: field, Rule: RuleFormat, Message: "has more than " + strconv.Itoa(MaxAmountDecimals) + " decimal places"}
	switch {
	case intDigits > maxDigits:
		return over, true
	case intDigits < -MaxAmountDecimals:
		// Below 10^-8 (NumDigits may be one off: hence <, not <=) and not
		// zero: truncating decimal.New(1, -1e9) would first build a number
		// of a billion digits.
		return decimals, true
	case v.Exponent() < -MaxAmountDecimals && !v.Equal(v.Truncate(MaxAmountDecimals)):
		return decimals, true
	case intDigits == maxDigits && v.Abs().GreaterThan(l.MaxAmount):
		return over, true
	}
	return FieldError{}, false
}

// CheckPoints returns the FieldError of a posting of more than MaxPoints
// points (either sign), or false.
func (l Limits) CheckPoints(field string, n int64) (FieldError, bool) {
	l = l.OrDefault()
	if n > l.MaxPoints || n < -l.MaxPoints {
		return FieldError{Field: field, Rule: RuleMax, Message: "must not exceed " + strconv.FormatInt(l.MaxPoints, 10) + " points"}, true
	}
	return FieldError{}, false
}

// CheckOdometer returns the FieldError of an odometer reading above
// MaxOdometerKM, or false.
func (l Limits) CheckOdometer(field string, km int64) (FieldError, bool) {
	l = l.OrDefault()
	if km > l.MaxOdometerKM {
		return FieldError{Field: field, Rule: RuleMax, Message: "must not exceed " + strconv.FormatInt(l.MaxOdometerKM, 10) + " km"}, true
	}
	return FieldError{}, false
}

// CheckText returns the FieldError of text that is not valid UTF-8 or holds
// a NUL character (which PostgreSQL cannot store in text), or false. Both
// are refused rather than repaired: a silently replaced character changes
// what the caller wrote.
func CheckText(field, s string) (FieldError, bool) {
	switch {
	case !utf8.ValidString(s):
		return FieldError{Field: field, Rule: RuleText, Message: "is not valid UTF-8"}, true
	case strings.IndexByte(s, 0) >= 0:
		return FieldError{Field: field, Rule: RuleText, Message: "must not contain a NUL character"}, true
	}
	return FieldError{}, false
}

// Today returns the dealer's calendar date at instant now, in the dealer's
// time zone.
func (d *Dealer) Today(now time.Time) dealercrm.Date { return dealercrm.DateIn(now, d.Location()) }
