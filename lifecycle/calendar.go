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
	Key  FestivalKey    `json:"key"`
	Name string         `json:"name"`
	Date dealercrm.Date `json:"date"`
}

// FestivalKey names a care festival; Policy.Festivals chooses among them.
type FestivalKey string

// The FestivalKey values.
const (
	FestivalNewYear     FestivalKey = "new_year"        // 元旦, 1 January
	FestivalSpring      FestivalKey = "spring_festival" // 春节, lunar 1/1
	FestivalLantern     FestivalKey = "lantern"         // 元宵节, lunar 1/15
	FestivalLabour      FestivalKey = "labour_day"      // 劳动节, 1 May
	FestivalDragonBoat  FestivalKey = "dragon_boat"     // 端午节, lunar 5/5
	FestivalQixi        FestivalKey = "qixi"            // 七夕, lunar 7/7
	FestivalMidAutumn   FestivalKey = "mid_autumn"      // 中秋节, lunar 8/15
	FestivalDoubleNinth FestivalKey = "double_ninth"    // 重阳节, lunar 9/9
	FestivalNational    FestivalKey = "national_day"    // 国庆节, 1 October
)

var allFestivals = []FestivalKey{FestivalNewYear, FestivalSpring, FestivalLantern, FestivalLabour,
	FestivalDragonBoat, FestivalQixi, FestivalMidAutumn, FestivalDoubleNinth, FestivalNational}

// FestivalKeys returns every FestivalKey, in order.
func FestivalKeys() []FestivalKey { return slices.Clone(allFestivals) }

// Valid reports whether k is a known FestivalKey.
func (k FestivalKey) Valid() bool { return slices.Contains(allFestivals, k) }

// DefaultFestivals returns the festivals care is sent for by default (SPEC
// §2.2): New Year's Day, Spring Festival, Labour Day, Dragon Boat,
// Mid-Autumn and National Day. Lantern, Qixi and Double Ninth are there to
// be chosen in Policy.Festivals.
func DefaultFestivals() []FestivalKey {
	return []FestivalKey{FestivalNewYear, FestivalSpring, FestivalLabour, FestivalDragonBoat, FestivalMidAutumn, FestivalNational}
}

// festivalNames are the names care festivals carry in task reasons.
var festivalNames = map[FestivalKey]string{
	FestivalNewYear:     "元旦 New Year's Day",
	FestivalSpring:      "春节 Spring Festival",
	FestivalLantern:     "元宵节 Lantern Festival",
	FestivalLabour:      "劳动节 Labour Day",
	FestivalDragonBoat:  "端午节 Dragon Boat Festival",
	FestivalQixi:        "七夕 Qixi Festival",
	FestivalMidAutumn:   "中秋节 Mid-Autumn Festival",
	FestivalDoubleNinth: "重阳节 Double Ninth Festival",
	FestivalNational:    "国庆节 National Day",
}

// LunarFestivals are the Gregorian dates of the lunar festivals of a year.
type LunarFestivals struct {
	Year        int            `json:"year"`
	SpringFest  dealercrm.Date `json:"spring_festival"` // 春节, 1st day of the 1st lunar month
	Lantern     dealercrm.Date `json:"lantern"`         // 元宵, 15th day of the 1st lunar month
	DragonBoat  dealercrm.Date `json:"dragon_boat"`     // 端午, 5th day of the 5th lunar month
	Qixi        dealercrm.Date `json:"qixi"`            // 七夕, 7th day of the 7th lunar month
	MidAutumn   dealercrm.Date `json:"mid_autumn"`      // 中秋, 15th day of the 8th lunar month
	DoubleNinth dealercrm.Date `json:"double_ninth"`    // 重阳, 9th day of the 9th lunar month
}

// lunarFestivalDays are the lunar month and day of each lunar festival,
// with where it is kept in LunarFestivals.
var lunarFestivalDays = []struct {
	key        FestivalKey
	month, day int
	field      func(*LunarFestivals) *dealercrm.Date
}{
	{FestivalSpring, 1, 1, func(l *LunarFestivals) *dealercrm.Date { return &l.SpringFest }},
	{FestivalLantern, 1, 15, func(l *LunarFestivals) *dealercrm.Date { return &l.Lantern }},
	{FestivalDragonBoat, 5, 5, func(l *LunarFestivals) *dealercrm.Date { return &l.DragonBoat }},
	{FestivalQixi, 7, 7, func(l *LunarFestivals) *dealercrm.Date { return &l.Qixi }},
	{FestivalMidAutumn, 8, 15, func(l *LunarFestivals) *dealercrm.Date { return &l.MidAutumn }},
	{FestivalDoubleNinth, 9, 9, func(l *LunarFestivals) *dealercrm.Date { return &l.DoubleNinth }},
}

// Calendar is a PRC working-day calendar: weekends are days off except the
// adjusted working days (调休), official holidays are days off. Years it has
// no official data for fall back to plain weekends, and Published says so.
// Lunar dates (festivals, lunar birthdays) are computed with
// github.com/6tail/lunar-go for MinLunarYear–MaxLunarYear.
// A Calendar is immutable and safe for concurrent use.
type Calendar struct {
	off   map[dealercrm.Date]string
	work  map[dealercrm.Date]bool
	years map[int]bool
	lunar map[int]LunarFestivals // overrides, by year
	// lunarYears caches lunar-go's months of the years asked for.
	lunarYears lunarYears
}

// NewCalendar builds a calendar from official years and, optionally,
// lunar festival dates that override the computed ones: a non-zero date
// of lunar replaces the computed date of its festival in its year (lunar
// is nil in the default calendar; it exists for callers of the 2020–2036
// table that preceded the computation). It rejects overlapping or
// misplaced periods with a *crm.ValidationError.
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
		for _, f := range lunarFestivalDays {
			if d := *f.field(&l); !d.IsZero() && d.Year != l.Year {
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
// official years in OfficialYears and lunar dates computed with lunar-go.
func DefaultCalendar() *Calendar {
	c, err := NewCalendar(OfficialYears(), nil)
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

// Lunar returns the lunar festival dates of year (computed, or as
// NewCalendar's lunar overrides them), and false when year is outside
// MinLunarYear–MaxLunarYear and has no override.
func (c *Calendar) Lunar(year int) (LunarFestivals, bool) {
	l, over := c.lunar[year]
	ok := over
	for _, f := range lunarFestivalDays {
		if p := f.field(&l); p.IsZero() {
			if d, found := c.FromLunar(year, f.month, f.day); found {
				*p, ok = d, true
			}
		}
	}
	l.Year = year
	return l, ok
}

// Festivals returns every care festival of year in date order (see
// FestivalKeys): New Year's Day, Spring Festival, Lantern, Labour Day,
// Dragon Boat, Qixi, Mid-Autumn, Double Ninth and National Day; a Planner
// keeps those of Policy.Festivals. Qingming (tomb-sweeping) is a holiday
// but no occasion for care messages, so it is left out. Lunar festivals
// are omitted for years without lunar dates.
func (c *Calendar) Festivals(year int) []Festival {
	fs := []Festival{
		{Key: FestivalNewYear, Date: dealercrm.NewDate(year, time.January, 1)},
		{Key: FestivalLabour, Date: dealercrm.NewDate(year, time.May, 1)},
		{Key: FestivalNational, Date: dealercrm.NewDate(year, time.October, 1)},
	}
	l, _ := c.Lunar(year)
	for _, f := range lunarFestivalDays {
		if d := *f.field(&l); !d.IsZero() {
			fs = append(fs, Festival{Key: f.key, Date: d})
		}
	}
	for i := range fs {
		fs[i].Name = festivalNames[fs[i].Key]
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
