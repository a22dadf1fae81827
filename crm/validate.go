package crm

import (
	"strings"
	"time"
	"unicode"

	"github.com/dealercrm/dealercrm"
	"github.com/shopspring/decimal"
)

// vinWeights are the ISO 3779 / FMVSS 115 / GB 16735 position weights.
var vinWeights = [17]int{8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2}

// vinValue transliterates a VIN character to its numeric value; ok is false
// for characters a VIN may not contain (I, O, Q, punctuation).
func vinValue(r byte) (v int, ok bool) {
	switch {
	case r >= '0' && r <= '9':
		return int(r - '0'), true
	case r >= 'A' && r <= 'H':
		return int(r-'A') + 1, true
	case r >= 'J' && r <= 'N':
		return int(r-'J') + 1, true
	case r == 'P':
		return 7, true
	case r == 'R':
		return 9, true
	case r >= 'S' && r <= 'Z':
		return int(r-'S') + 2, true
	}
	return 0, false
}

// NormalizeVIN upper-cases a VIN and removes surrounding space.
func NormalizeVIN(vin string) string { return strings.ToUpper(strings.TrimSpace(vin)) }

// CheckVIN validates a normalised VIN: 17 characters, none of I, O, Q, and the
// check digit in position 9 (weighted sum modulo 11, 10 written as X), which
// Chinese VINs (GB 16735) carry as North American ones do. It returns the rule
// broken (RuleVINLength, RuleVINChars, RuleVINCheck) or "".
func CheckVIN(vin string) (rule string) {
	if len(vin) != 17 {
		return RuleVINLength
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v, ok := vinValue(vin[i])
		if !ok {
			return RuleVINChars
		}
		sum += v * vinWeights[i]
	}
	want := byte('0' + sum%11)
	if sum%11 == 10 {
		want = 'X'
	}
	if vin[8] != want {
		return RuleVINCheck
	}
	return ""
}

// NormalizeMobile removes spaces, hyphens and parentheses from a phone number
// and turns a Chinese number written with its country code (+86 or 0086)
// into the 11-digit national form. Other input is returned cleaned but
// otherwise unchanged, for CheckMobile to judge.
func NormalizeMobile(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' || r == '(' || r == ')' {
			return -1
		}
		return r
	}, s)
	if strings.HasPrefix(s, "0086") {
		s = "+86" + s[4:]
	}
	if rest, ok := strings.CutPrefix(s, "+86"); ok && len(rest) == 11 && rest[0] == '1' {
		return rest
	}
	return s
}

// CheckMobile reports whether s (normalised) is a Chinese mobile number — 11
// digits starting 13–19 — or an international number in E.164 form (+, then
// 7 to 15 digits, the first not 0).
func CheckMobile(s string) bool {
	if len(s) == 11 && s[0] == '1' && s[1] >= '3' && s[1] <= '9' {
		return allDigits(s)
	}
	if len(s) >= 8 && len(s) <= 16 && s[0] == '+' && s[1] != '0' {
		return allDigits(s[1:])
	}
	return false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// MaskMobile returns a mobile number with its middle hidden, for logs:
// 13800138000 → 138****8000. PIPL: never log a number in full.
func MaskMobile(s string) string {
	if len(s) < 7 {
		return strings.Repeat("*", len(s))
	}
	return s[:3] + strings.Repeat("*", len(s)-7) + s[len(s)-4:]
}

func (c *checker) vin(field, vin string) {
	if vin == "" {
		c.add(field, RuleRequired, "is required")
		return
	}
	switch CheckVIN(vin) {
	case RuleVINLength:
		c.add(field, RuleVINLength, "must be 17 characters, got %d", len(vin))
	case RuleVINChars:
		c.add(field, RuleVINChars, "may contain only digits and letters other than I, O and Q")
	case RuleVINCheck:
		c.add(field, RuleVINCheck, "check digit (position 9) does not match")
	}
}

func (c *checker) mobile(field, v string) {
	if v != "" && !CheckMobile(v) {
		c.add(field, RuleMobile, "must be a Chinese mobile number (11 digits) or E.164 (+…)")
	}
}

func (c *checker) idNumber(field, v string) {
	if v != "" && !CheckIDNumber(v) {
		c.add(field, RuleFormat, "must be a PRC resident ID card number: 18 characters whose last is the check character, or 15 digits, with a valid birth date")
	}
}

func (c *checker) nonNegative(field string, d decimal.Decimal) {
	if d.IsNegative() {
		c.add(field, RuleNonNegative, "must not be negative")
	}
}

func (c *checker) date(field string, d dealercrm.Date, required bool) {
	switch {
	case d.IsZero() && required:
		c.add(field, RuleRequired, "is required")
	case !d.IsZero() && !d.Valid():
		c.add(field, RuleFormat, "is not a calendar date")
	}
}

func (c *checker) order(field string, start, end dealercrm.Date) {
	if !start.IsZero() && !end.IsZero() && end.Before(start) {
		c.add(field, RuleOrder, "must not be before the start")
	}
}

func (c *checker) timeRequired(field string, t time.Time) {
	if t.IsZero() {
		c.add(field, RuleRequired, "is required")
	}
}
