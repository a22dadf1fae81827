package lifecycle

import (
	"time"

	"github.com/dealercrm/dealercrm"
)

// Integer calendar arithmetic for the scheduler's hot paths: the same
// results as dealercrm.Date's methods (which go through time.Date) for
// valid dates, falling back to them otherwise.

// plain reports whether d is a valid date in the years the fast paths
// handle.
func plain(d dealercrm.Date) bool { return d.Year > 0 && d.Year < 10000 && d.Valid() }

// The years the table path of daysFromCivil covers, and for each the
// day number of its January 1 and whether it is a leap year.
const (
	tableFirstYear = 1900
	tableYears     = 300
)

var (
	yearDays  [tableYears]int32
	yearLeap  [tableYears]uint8
	monthDays = [2][13]int{
		{0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334},
		{0, 0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335},
	}
)

func init() {
	for i := range yearDays {
		y := tableFirstYear + i
		yearDays[i] = int32(civilDays(y, 1, 1))
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			yearLeap[i] = 1
		}
	}
}

// daysFromCivil returns the days from 1970-01-01 to y-m-d, valid dates:
// two table lookups for the years 1900–2199 (the scheduler's hot path),
// civilDays otherwise.
func daysFromCivil(y, m, d int) int {
	if i := y - tableFirstYear; uint(i) < tableYears && uint(m-1) < 12 {
		return int(yearDays[i]) + monthDays[yearLeap[i]][m] + d - 1
	}
	return civilDays(y, m, d)
}

// civilDays returns the days from 1970-01-01 to y-m-d (H. Hinnant).
func civilDays(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y / 400 // y > 0 here
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int) dealercrm.Date {
	z += 719468
	era := z / 146097
	if z < 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return dealercrm.Date{Year: y, Month: time.Month(m), Day: d}
}

// addDays is d.AddDays(n).
func addDays(d dealercrm.Date, n int) dealercrm.Date {
	if !plain(d) || n > 3_000_000 || n < -3_000_000 {
		return d.AddDays(n)
	}
	if n == 0 {
		return d
	}
	if dd := d.Day + n; dd >= 1 && dd <= 28 {
		return dealercrm.Date{Year: d.Year, Month: d.Month, Day: dd}
	}
	r := civilFromDays(daysFromCivil(d.Year, int(d.Month), d.Day) + n)
	if !plain(r) {
		return d.AddDays(n)
	}
	return r
}

// addMonths is d.AddMonths(n).
func addMonths(d dealercrm.Date, n int) dealercrm.Date {
	if !plain(d) || n > 1_000_000 || n < -1_000_000 {
		return d.AddMonths(n)
	}
	t := d.Year*12 + int(d.Month) - 1 + n
	if t < 12 || t >= 10000*12 {
		return d.AddMonths(n)
	}
	y, m := t/12, time.Month(t%12+1)
	return dealercrm.Date{Year: y, Month: m, Day: min(d.Day, dealercrm.DaysIn(y, m))}
}

// daysSince is d.DaysSince(e).
func daysSince(d, e dealercrm.Date) int {
	if !plain(d) || !plain(e) || d.Year-e.Year > 250 || e.Year-d.Year > 250 {
		return d.DaysSince(e)
	}
	return daysFromCivil(d.Year, int(d.Month), d.Day) - daysFromCivil(e.Year, int(e.Month), e.Day)
}
