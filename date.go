package dealercrm

import (
	"bytes"
	"fmt"
	"time"
)

// DefaultTimeZone is the zone of a dealer that does not name its own.
const DefaultTimeZone = "Asia/Shanghai"

// Date is a calendar date in a dealer's local zone: "three days after
// delivery" is a Date, not 72 hours. The zero Date means "not set".
//
// Dates are comparable with ==, ordered with Compare, and marshal to JSON and
// text as "2006-01-02".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// NewDate returns the normalised date for year, month and day: day 0 is the
// last day of the previous month, month 13 is January of the next year, as
// with time.Date.
func NewDate(year int, month time.Month, day int) Date {
	return DateOf(time.Date(year, month, day, 0, 0, 0, 0, time.UTC))
}

// DateOf returns the calendar date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// DateIn returns the calendar date of t in loc (the dealer's zone).
func DateIn(t time.Time, loc *time.Location) Date {
	return DateOf(t.In(loc))
}

// ParseDate parses "2006-01-02". It rejects dates that do not exist
// (2023-02-29).
func ParseDate(s string) (Date, error) {
	if d, ok := parsePlain(s); ok {
		return d, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// parsePlain parses a date that exists, written as ten ASCII characters
// "YYYY-MM-DD": what the database and the API send, without time.Parse's
// layout walk (a call list page parses 250 dates). Anything else is not
// ok, for time.Parse to accept or reject (FuzzParseDate checks that the
// two agree).
func parsePlain(s string) (Date, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, false
	}
	n := 0
	for i := range len(s) {
		if i == 4 || i == 7 {
			continue
		}
		c := s[i] - '0'
		if c > 9 {
			return Date{}, false
		}
		n = n*10 + int(c)
	}
	d := Date{Year: n / 10000, Month: time.Month(n / 100 % 100), Day: n % 100}
	if d.Month < time.January || d.Month > time.December || d.Day < 1 || d.Day > DaysIn(d.Year, d.Month) {
		return Date{}, false
	}
	return d, true
}

// MustParseDate is ParseDate for constants in tests and examples; it panics
// on a malformed date.
func MustParseDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// IsZero reports whether d is the zero Date ("not set").
func (d Date) IsZero() bool { return d == Date{} }

// String returns "2006-01-02", or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	if !d.fourDigits() {
		return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
	}
	var b [10]byte
	return string(d.appendPlain(b[:0]))
}

// fourDigits reports whether String writes d without fmt: a year of
// four digits, a month and a day of two.
func (d Date) fourDigits() bool {
	return d.Year >= 0 && d.Year <= 9999 && d.Month >= 1 && d.Month <= 12 && d.Day >= 1 && d.Day <= 99
}

// appendPlain appends d as YYYY-MM-DD; d must be fourDigits.
func (d Date) appendPlain(b []byte) []byte {
	y, m := d.Year, int(d.Month)
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d.Day/10), byte('0'+d.Day%10))
}

// Time returns midnight of d in loc (UTC when loc is nil).
func (d Date) Time(loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// Valid reports whether d is a real calendar date (the zero Date is not).
func (d Date) Valid() bool {
	if d.Year >= 1 && d.Year <= 9999 {
		// The common case, without normalising through time.Date.
		return d.Month >= time.January && d.Month <= time.December && d.Day >= 1 && d.Day <= DaysIn(d.Year, d.Month)
	}
	return !d.IsZero() && NewDate(d.Year, d.Month, d.Day) == d
}

// DaysIn returns the number of days of month m (January to December) of
// year y in the Gregorian calendar.
func DaysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// The calendar arithmetic below works on day numbers (DayNumber): plain
// integer operations, no time.Time, so that a scheduler or a grading run
// can do it for millions of dates. Dates that are not valid (a month 13, a
// day 0) are first normalised as NewDate does.

// DayNumber returns the number of days from 1970-01-01 to d (negative
// before it) in the proleptic Gregorian calendar: d.DayNumber() -
// e.DayNumber() is d.DaysSince(e), and DateOfDay is its inverse. A date
// that is not valid is normalised first (NewDate).
func (d Date) DayNumber() int {
	if !d.plain() {
		d = NewDate(d.Year, d.Month, d.Day)
	}
	// H. Hinnant, days_from_civil.
	y, m := d.Year, int(d.Month)
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	doy := (153*((m+9)%12)+2)/5 + d.Day - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// DateOfDay returns the date of day number n (see DayNumber).
func DateOfDay(n int) Date {
	// H. Hinnant, civil_from_days.
	z := n + 719468
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return Date{Year: y, Month: time.Month(m), Day: day}
}

// plain reports whether d is a calendar date as it stands: a month from 1
// to 12 and a day of that month (any year).
func (d Date) plain() bool {
	return d.Month >= time.January && d.Month <= time.December && d.Day >= 1 && d.Day <= DaysIn(d.Year, d.Month)
}

// AddDays returns d plus n calendar days (n may be negative).
func (d Date) AddDays(n int) Date {
	if dd := d.Day + n; dd >= 1 && dd <= 28 && d.plain() {
		return Date{Year: d.Year, Month: d.Month, Day: dd} // the common case
	}
	return DateOfDay(d.DayNumber() + n)
}

// AddMonths returns d plus n months, clamped to the end of the target month:
// January 31 plus one month is February 28 (29 in a leap year), never March.
func (d Date) AddMonths(n int) Date {
	if !d.plain() {
		d = NewDate(d.Year, d.Month, d.Day)
	}
	months := d.Year*12 + int(d.Month) - 1 + n
	y, m := months/12, months%12
	if m < 0 {
		y, m = y-1, m+12
	}
	month := time.Month(m + 1)
	return Date{Year: y, Month: month, Day: min(d.Day, DaysIn(y, month))}
}

// AddYears returns d plus n years, with February 29 clamped to February 28 in
// a year that is not a leap year.
func (d Date) AddYears(n int) Date { return d.AddMonths(12 * n) }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return cmpInt(d.Year, e.Year)
	case d.Month != e.Month:
		return cmpInt(int(d.Month), int(e.Month))
	default:
		return cmpInt(d.Day, e.Day)
	}
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// DaysSince returns the number of calendar days from e to d (d − e).
func (d Date) DaysSince(e Date) int { return d.DayNumber() - e.DayNumber() }

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// AppendText implements encoding.TextAppender: it appends d.String() to b
// (without formatting through fmt for years 0 to 9999), so that a hot
// path can build keys holding dates without allocating.
func (d Date) AppendText(b []byte) ([]byte, error) {
	if d.IsZero() || !d.fourDigits() {
		return append(b, d.String()...), nil
	}
	return d.appendPlain(b), nil
}

// UnmarshalText implements encoding.TextUnmarshaler; "" is the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalJSON encodes d as "2006-01-02", or null for the zero Date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	b := make([]byte, 0, 12)
	b = append(b, '"')
	b, _ = d.AppendText(b)
	return append(b, '"'), nil
}

// UnmarshalJSON accepts "2006-01-02", "" and null.
func (d *Date) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*d = Date{}
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("date: want a string YYYY-MM-DD")
	}
	return d.UnmarshalText(b[1 : len(b)-1])
}
