package lifecycle

import (
	"fmt"
	"github.com/dealercrm/dealercrm/crm"
	"slices"
	"time"

	"github.com/dealercrm/dealercrm"
)

// Period is a named run of days off in an official holiday calendar.
type Period struct {
	Name string         `json:"name"`
	From dealercrm.Date `json:"from"`
	To   dealercrm.Date `json:"to"`
}

// OfficialYear is one year of the PRC holiday arrangement published by the
// General Office of the State Council (国务院办公厅关于…部分节假日安排的通知):
// the days off and the adjusted working weekends (调休).
type OfficialYear struct {
	Year     int              `json:"year"`
	Holidays []Period         `json:"holidays"`
	Workdays []dealercrm.Date `json:"workdays"`
}

// Festival is a holiday a dealer sends care for.
type Festival struct {
	Name string         `json:"name"`
	Date dealercrm.Date `json:"date"`
}

// LunarFestivals are the Gregorian dates of the lunar festivals of a year.
type LunarFestivals struct {
	Year       int            `json:"year"`
	SpringFest dealercrm.Date `json:"spring_festival"` // 春节, 1st day of the 1st lunar month
	DragonBoat dealercrm.Date `json:"dragon_boat"`     // 端午, 5th day of the 5th lunar month
	MidAutumn  dealercrm.Date `json:"mid_autumn"`      // 中秋, 15th day of the 8th lunar month
}

// Calendar is a PRC working-day calendar: weekends are days off except the
// adjusted working days (调休), official holidays are days off. Years it has
// no official data for fall back to plain weekends, and Published says so.
// A Calendar is immutable and safe for concurrent use.
type Calendar struct {
	off   map[dealercrm.Date]string
	work  map[dealercrm.Date]bool
	years map[int]bool
	lunar map[int]LunarFestivals
}

// NewCalendar builds a calendar from official years and lunar festival
// dates. It rejects overlapping or misplaced periods with a
// *crm.ValidationError.
func NewCalendar(years []OfficialYear, lunar []LunarFestivals) (*Calendar, error) {
	c := &Calendar{off: map[dealercrm.Date]string{}, work: map[dealercrm.Date]bool{}, years: map[int]bool{}, lunar: map[int]LunarFestivals{}}
	var k crm.Checker
	for i, y := range years {
		k.Prefix = fmt.Sprintf("years[%d].", i)
		if c.years[y.Year] {
			k.Add("year", RuleDuplicate, "year %d is given twice", y.Year)
		}
		c.years[y.Year] = true
		for j, p := range y.Holidays {
			f := fmt.Sprintf("holidays[%d]", j)
			if !p.From.Valid() || !p.To.Valid() || p.To.Before(p.From) || p.To.DaysSince(p.From) > 14 {
				k.Add(f, RuleRange, "%s: %s to %s is not a period of at most 15 days", p.Name, p.From, p.To)
				continue
			}
			for d := p.From; !d.After(p.To); d = d.AddDays(1) {
				if _, dup := c.off[d]; dup {
					k.Add(f, RuleOverlap, "%s overlaps another holiday on %s", p.Name, d)
				}
				c.off[d] = p.Name
			}
		}
		for j, d := range y.Workdays {
			if !d.Valid() {
				k.Add(fmt.Sprintf("workdays[%d]", j), RuleRange, "not a valid date")
				continue
			}
			if _, clash := c.off[d]; clash {
				k.Add(fmt.Sprintf("workdays[%d]", j), RuleOverlap, "%s is both a holiday and a working day", d)
			}
			c.work[d] = true
		}
	}
	k.Prefix = ""
	for i, l := range lunar {
		if _, dup := c.lunar[l.Year]; dup {
			k.Add(fmt.Sprintf("lunar[%d].year", i), RuleDuplicate, "year %d is given twice", l.Year)
		}
		for _, d := range []dealercrm.Date{l.SpringFest, l.DragonBoat, l.MidAutumn} {
			if d.Year != l.Year {
				k.Add(fmt.Sprintf("lunar[%d]", i), RuleRange, "%s is not in %d", d, l.Year)
			}
		}
		c.lunar[l.Year] = l
	}
	if err := k.Err("holiday calendar"); err != nil {
		return nil, err
	}
	return c, nil
}

// DefaultCalendar returns the calendar shipped with the package: the
// official years in OfficialYears and the lunar festivals 2020–2036.
func DefaultCalendar() *Calendar {
	c, err := NewCalendar(OfficialYears(), LunarTable())
	if err != nil {
		panic(err) // shipped data is tested
	}
	return c
}

// Published reports whether the calendar has the official arrangement for year.
func (c *Calendar) Published(year int) bool { return c.years[year] }

// IsWorkingDay reports whether d is a working day: an adjusted working day,
// or a weekday that is not an official holiday.
func (c *Calendar) IsWorkingDay(d dealercrm.Date) bool {
	if c.work[d] {
		return true
	}
	if _, off := c.off[d]; off {
		return false
	}
	wd := d.Time(time.UTC).Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// Holiday returns the name of the official holiday on d, if any.
func (c *Calendar) Holiday(d dealercrm.Date) (string, bool) {
	n, ok := c.off[d]
	return n, ok
}

// NextWorkingDay returns d when it is a working day, else the first working day after it.
func (c *Calendar) NextWorkingDay(d dealercrm.Date) dealercrm.Date {
	for i := 0; i < maxShiftDays && !c.IsWorkingDay(d); i++ {
		d = d.AddDays(1)
	}
	return d
}

// PrevWorkingDay returns d when it is a working day, else the last working day before it.
func (c *Calendar) PrevWorkingDay(d dealercrm.Date) dealercrm.Date {
	for i := 0; i < maxShiftDays && !c.IsWorkingDay(d); i++ {
		d = d.AddDays(-1)
	}
	return d
}

// Lunar returns the lunar festival dates of year, and false when the
// calendar has no data for it.
func (c *Calendar) Lunar(year int) (LunarFestivals, bool) {
	l, ok := c.lunar[year]
	return l, ok
}

// Festivals returns the care festivals of year in date order: New Year's
// Day, Spring Festival, Labour Day, Dragon Boat, Mid-Autumn and National
// Day. Qingming (tomb-sweeping) is a holiday but no occasion for care
// messages, so it is left out. Lunar festivals are omitted for years
// without lunar data.
func (c *Calendar) Festivals(year int) []Festival {
	fs := []Festival{
		{Name: "元旦 New Year's Day", Date: dealercrm.NewDate(year, time.January, 1)},
		{Name: "劳动节 Labour Day", Date: dealercrm.NewDate(year, time.May, 1)},
		{Name: "国庆节 National Day", Date: dealercrm.NewDate(year, time.October, 1)},
	}
	if l, ok := c.lunar[year]; ok {
		fs = append(fs,
			Festival{Name: "春节 Spring Festival", Date: l.SpringFest},
			Festival{Name: "端午节 Dragon Boat Festival", Date: l.DragonBoat},
			Festival{Name: "中秋节 Mid-Autumn Festival", Date: l.MidAutumn})
	}
	slices.SortFunc(fs, func(a, b Festival) int { return a.Date.Compare(b.Date) })
	return fs
}

// Shift says how a due date that must fall on a working day moves.
type Shift string

// The Shift values.
const (
	ShiftNone Shift = ""         // keep the calendar date (calls happen on weekends too)
	ShiftNext Shift = "next"     // move to the next working day
	ShiftPrev Shift = "previous" // move to the previous working day
)

// Valid reports whether s is a known Shift.
func (s Shift) Valid() bool { return s == ShiftNone || s == ShiftNext || s == ShiftPrev }

// Apply moves d by s on calendar c.
func (c *Calendar) Apply(s Shift, d dealercrm.Date) dealercrm.Date {
	switch s {
	case ShiftNext:
		return c.NextWorkingDay(d)
	case ShiftPrev:
		return c.PrevWorkingDay(d)
	}
	return d
}

// maxShiftDays bounds how far NextWorkingDay and PrevWorkingDay move a date.
const maxShiftDays = 60
