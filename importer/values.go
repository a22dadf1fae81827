package importer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/shopspring/decimal"
	"golang.org/x/text/width"
)

// The value parsers turn what dealerships type into spreadsheets into the
// values of crm records. They convert and never judge: whether a mobile
// number is one, or a purchase date lies in the future, is crm's
// validation, so that an import and an API call refuse the same things.

// ErrValue is the error of a value the parsers cannot read.
var ErrValue = errors.New("importer: unreadable value")

// CleanText trims spaces of every width — the full-width space U+3000 and
// the no-break space spreadsheets are full of — and drops zero-width
// characters and byte-order marks: "　张三 " is "张三".
func CleanText(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff':
			return -1
		}
		return r
	}, s)
	return strings.TrimFunc(s, unicode.IsSpace)
}

// narrow cleans s and folds full-width letters and digits to ASCII
// ("１３８" is "138"), for codes: mobiles, VINs, dates, amounts.
func narrow(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return CleanText(width.Narrow.String(s))
		}
	}
	return strings.TrimSpace(s) // ASCII: nothing to fold, no wide spaces
}

// CleanMobile folds a phone number to the form crm.NormalizeMobile
// completes: full-width digits become ASCII, spaces, dashes and brackets
// go, and +86 or 0086 before an 11-digit number goes:
// "+86 138-0013-8000" is "13800138000". Whether the result is a mobile
// number is crm's check.
func CleanMobile(s string) string { return crm.NormalizeMobile(narrow(s)) }

// excelEpoch is day 0 of Excel's 1900 date system as Excel counts from
// March 1900 on (it takes 1900 for a leap year: serial 60 is the
// non-existent 1900-02-29).
var excelEpoch = dealercrm.NewDate(1899, 12, 30)

// maxExcelSerial is 9999-12-31, the last date Excel shows.
const maxExcelSerial = 2958465

// ParseDate reads a date as dealerships write it: 2024/3/5, 2024-03-05,
// 2024.3.5, 2024年3月5日, 20240305, with a time after it or not
// ("2024/3/5 14:30"), or an Excel serial date (45356, the number a date
// cell holds; its fraction is the time of day). An empty value is the zero
// Date. A date that does not exist (2023/2/29) or a serial before
// 1900-03-01 is an error wrapping ErrValue.
func ParseDate(s string) (dealercrm.Date, error) {
	s = narrow(s)
	if s == "" {
		return dealercrm.Date{}, nil
	}
	if i := strings.IndexAny(s, " T"); i > 0 {
		s = s[:i]
	}
	bad := fmt.Errorf("%w: date %q", ErrValue, s)
	if allDigits(s) && len(s) == 8 {
		return ymd(s[:4], s[4:6], s[6:], bad)
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil && allDigitsDot(s) {
		if n < 61 || n > maxExcelSerial {
			return dealercrm.Date{}, bad
		}
		return excelEpoch.AddDays(int(n)), nil
	}
	parts := strings.FieldsFunc(strings.TrimSuffix(s, "日"), func(r rune) bool {
		return r == '/' || r == '-' || r == '.' || r == '年' || r == '月'
	})
	if len(parts) != 3 || len(parts[0]) != 4 {
		return dealercrm.Date{}, bad
	}
	return ymd(parts[0], parts[1], parts[2], bad)
}

func ymd(y, m, d string, bad error) (dealercrm.Date, error) {
	if !allDigits(y) || !allDigits(m) || !allDigits(d) || len(m) > 2 || len(d) > 2 {
		return dealercrm.Date{}, bad
	}
	// dealercrm.ParseDate rejects the dates that do not exist.
	date, err := dealercrm.ParseDate(y + "-" + pad2(m) + "-" + pad2(d))
	if err != nil {
		return dealercrm.Date{}, bad
	}
	return date, nil
}

func pad2(s string) string {
	if len(s) == 1 {
		return "0" + s
	}
	return s
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func allDigitsDot(s string) bool {
	dot := false
	for i := 0; i < len(s); i++ {
		if s[i] == '.' && !dot && i > 0 {
			dot = true
			continue
		}
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// ParseGender reads 男/女 (also 男性, 女性, 先生, 女士, M, F, male,
// female); 未知, 保密 and an empty value are crm.GenderUnknown and "".
// Anything else is an error wrapping ErrValue.
func ParseGender(s string) (crm.Gender, error) {
	switch strings.ToLower(narrow(s)) {
	case "":
		return "", nil
	case "男", "男性", "先生", "m", "male":
		return crm.Male, nil
	case "女", "女性", "女士", "f", "female":
		return crm.Female, nil
	case "未知", "保密", "unknown":
		return crm.GenderUnknown, nil
	}
	return "", fmt.Errorf("%w: gender %q", ErrValue, s)
}

// currency removes what surrounds the digits of an amount.
var currency = strings.NewReplacer("¥", "", "￥", "", "元", "", ",", "", " ", "", "RMB", "", "CNY", "", "rmb", "")

// ParseAmount reads an amount of yuan: "¥259,800.00", "￥259800",
// "259800元", "25.98万" (ten thousands, as car prices are quoted) and
// "RMB 259,800" are all 259800. An empty value is zero. A value with
// anything else in it is an error wrapping ErrValue; whether it may be
// negative is crm's check.
func ParseAmount(s string) (decimal.Decimal, error) {
	s = narrow(s)
	if s == "" {
		return decimal.Zero, nil
	}
	orig := s
	s = currency.Replace(s)
	wan := false
	if rest, ok := strings.CutSuffix(s, "万"); ok {
		s, wan = rest, true
	}
	if s == "" || strings.ContainsAny(s, "eE_") || strings.HasPrefix(s, "+") {
		return decimal.Zero, fmt.Errorf("%w: amount %q", ErrValue, orig)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero, fmt.Errorf("%w: amount %q", ErrValue, orig)
	}
	if wan {
		d = d.Shift(4)
	}
	return d, nil
}
