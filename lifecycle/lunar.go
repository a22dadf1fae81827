package lifecycle

import (
	"math"
	"sync"

	"github.com/6tail/lunar-go/calendar"

	"github.com/dealercrm/dealercrm"
)

// The lunar years the package converts: those github.com/6tail/lunar-go
// computes whose twelfth month still ends within a dealercrm.Date year
// (1–9999). The dates are astronomical (new moons and solar terms at
// UTC+8), as the published Chinese calendar (GB/T 33661-2017) defines them.
const (
	MinLunarYear = 1
	MaxLunarYear = 9998
)

// lunarMonth is one month of a lunar year: its number (1–12), whether it
// is the leap month 闰月 that repeats that number, the Gregorian date of
// its first day and its length (29 or 30 days).
type lunarMonth struct {
	month int
	leap  bool
	first dealercrm.Date
	days  int
}

// lunarYears caches the months of each lunar year computed with lunar-go:
// computing a year takes the new moons of two solar years, while a daily
// run asks for the same few years for every customer.
type lunarYears struct {
	mu    sync.RWMutex
	years map[int][]lunarMonth
}

// months returns the months of lunar year y in order (12, or 13 with a
// leap month), nil outside MinLunarYear–MaxLunarYear.
func (c *lunarYears) months(y int) []lunarMonth {
	if y < MinLunarYear || y > MaxLunarYear {
		return nil
	}
	c.mu.RLock()
	ms, ok := c.years[y]
	c.mu.RUnlock()
	if ok {
		return ms
	}
	ly := calendar.NewLunarYear(y)
	for e := ly.GetMonthsInYear().Front(); e != nil; e = e.Next() {
		m := e.Value.(*calendar.LunarMonth)
		// lunar-go numbers a leap month with the negative of the month
		// it repeats; its Julian day numbers change date at noon.
		n := m.GetMonth()
		first := dealercrm.DateOfDay(int(math.Floor(m.GetFirstJulianDay()+0.5)) - 2440588)
		ms = append(ms, lunarMonth{month: max(n, -n), leap: n < 0, first: first, days: m.GetDayCount()})
	}
	c.mu.Lock()
	if c.years == nil {
		c.years = map[int][]lunarMonth{}
	}
	c.years[y] = ms
	c.mu.Unlock()
	return ms
}

// LunarDate is a date in the Chinese lunar calendar (农历).
type LunarDate struct {
	Year  int  `json:"year"`
	Month int  `json:"month"` // 1–12
	Leap  bool `json:"leap,omitempty"`
	Day   int  `json:"day"` // 1–30
}

// ToLunar returns the lunar date of Gregorian date d, and false when d
// is not valid or outside the lunar years the calendar converts.
func (c *Calendar) ToLunar(d dealercrm.Date) (LunarDate, bool) {
	if !d.Valid() {
		return LunarDate{}, false
	}
	// Lunar year y begins between 21 January and 20 February of
	// Gregorian year y: d belongs to lunar year d.Year or the one before.
	for _, y := range []int{d.Year, d.Year - 1} {
		ms := c.lunarYears.months(y)
		for i := len(ms) - 1; i >= 0; i-- {
			if m := ms[i]; !d.Before(m.first) {
				if n := d.DaysSince(m.first); n < m.days {
					return LunarDate{Year: y, Month: m.month, Leap: m.leap, Day: n + 1}, true
				}
				break
			}
		}
	}
	return LunarDate{}, false
}

// FromLunar returns the Gregorian date of day day of the ordinary (not
// leap) month month of lunar year year, and false when the year is outside
// MinLunarYear–MaxLunarYear or the month is not 1–12 or the day not 1–30.
// Day 30 of a month of 29 days that year is its 29th, the last day of the
// month: the rule Chinese families follow for a birthday on the 30th.
func (c *Calendar) FromLunar(year, month, day int) (dealercrm.Date, bool) {
	if month < 1 || month > 12 || day < 1 || day > 30 {
		return dealercrm.Date{}, false
	}
	for _, m := range c.lunarYears.months(year) {
		if m.month == month && !m.leap {
			return m.first.AddDays(min(day, m.days) - 1), true
		}
	}
	return dealercrm.Date{}, false
}

// LunarBirthdayIn returns the Gregorian date of the lunar birthday of a
// customer born on Gregorian date born, in lunar year y: the lunar month
// and day of the birth, in lunar year y. A birth in a leap month 闰月 is
// celebrated in the ordinary month of that number (leap months recur
// rarely, and families celebrate in the ordinary month); a birth on the
// 30th falls on the 29th in years when that month has 29 days. The
// birthday of lunar year y may fall in January or February of Gregorian
// year y+1 (births in the 11th and 12th lunar months). It returns false
// when born or y is outside the lunar years the calendar converts.
func (c *Calendar) LunarBirthdayIn(born dealercrm.Date, y int) (dealercrm.Date, bool) {
	l, ok := c.ToLunar(born)
	if !ok {
		return dealercrm.Date{}, false
	}
	return c.FromLunar(y, l.Month, l.Day)
}
