package lifecycle_test

import (
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Spring Festival dates as published (issue 3; Hong Kong Observatory
// Gregorian–lunar conversion tables).
func TestLunarFestivals(t *testing.T) {
	c := lifecycle.DefaultCalendar()
	for year, want := range map[int]string{2020: "2020-01-25", 2021: "2021-02-12", 2022: "2022-02-01", 2023: "2023-01-22",
		2024: "2024-02-10", 2025: "2025-01-29", 2026: "2026-02-17", 2027: "2027-02-06", 2028: "2028-01-26"} {
		l, ok := c.Lunar(year)
		require.True(t, ok, "lunar data for %d", year)
		assert.Equal(t, want, l.SpringFest.String(), "Spring Festival %d", year)
	}
	l, _ := c.Lunar(2025)
	assert.Equal(t, "2025-05-31", l.DragonBoat.String())
	assert.Equal(t, "2025-10-06", l.MidAutumn.String())
	for y := 2020; y <= 2035; y++ {
		l, ok := c.Lunar(y)
		require.True(t, ok, "lunar data for %d", y)
		// Spring Festival falls between 21 January and 20 February; the
		// Dragon Boat Festival (5/5) is 4 lunar months and 4 days later
		// (119–123 days, a month more in years with a leap month before
		// it) and Mid-Autumn (8/15) 3 lunar months and 10 days after that
		// (96–100 days, or 125–130 with a leap month).
		assert.True(t, l.SpringFest.After(date(itoa(y)+"-01-20")) && l.SpringFest.Before(date(itoa(y)+"-02-21")), "%d", y)
		gap := l.DragonBoat.DaysSince(l.SpringFest)
		assert.True(t, (gap >= 119 && gap <= 123) || (gap >= 148 && gap <= 153), "%d: Spring Festival to Dragon Boat %d days", y, gap)
		gap = l.MidAutumn.DaysSince(l.DragonBoat)
		assert.True(t, (gap >= 96 && gap <= 100) || (gap >= 125 && gap <= 130), "%d: Dragon Boat to Mid-Autumn %d days", y, gap)
	}
}

func itoa(y int) string { return date("2000-01-01").AddYears(y - 2000).String()[:4] }

// Working days from the State Council notices for 2025 and 2026.
func TestWorkingDays(t *testing.T) {
	c := lifecycle.DefaultCalendar()
	assert.True(t, c.Published(2026))
	assert.False(t, c.Published(2030))
	for d, want := range map[string]bool{
		"2025-01-26": true,  // Sunday, adjusted working day (调休)
		"2025-01-28": false, // Spring Festival holiday
		"2025-02-08": true,  // Saturday, adjusted working day
		"2025-10-08": false, // National Day + Mid-Autumn
		"2025-10-11": true,  // Saturday, adjusted working day
		"2026-01-04": true,  // Sunday, adjusted working day
		"2026-02-23": false, // Spring Festival 2026, 9 days
		"2026-02-28": true,  // Saturday, adjusted working day
		"2026-03-07": false, // an ordinary Saturday
		"2026-03-09": true,  // an ordinary Monday
		"2030-03-09": false, // Saturday in an unpublished year
	} {
		assert.Equal(t, want, c.IsWorkingDay(date(d)), d)
	}
	assert.Equal(t, "2026-02-24", c.NextWorkingDay(date("2026-02-15")).String())
	assert.Equal(t, "2026-02-14", c.PrevWorkingDay(date("2026-02-15")).String(), "the adjusted Saturday")
	assert.Equal(t, "2025-10-09", c.Apply(lifecycle.ShiftNext, date("2025-10-01")).String())
	name, ok := c.Holiday(date("2026-10-03"))
	assert.True(t, ok)
	assert.Equal(t, "国庆节", name)
}

func TestCalendarRejectsBadData(t *testing.T) {
	_, err := lifecycle.NewCalendar([]lifecycle.OfficialYear{{Year: 2027,
		Holidays: []lifecycle.Period{{Name: "a", From: date("2027-02-05"), To: date("2027-02-10")}, {Name: "b", From: date("2027-02-10"), To: date("2027-02-11")}},
		Workdays: []dealercrm.Date{date("2027-02-06")}}}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "overlaps")
	assert.Contains(t, err.Error(), "both a holiday and a working day")
	// A dealer adds a newly published year.
	years := append(lifecycle.OfficialYears(), lifecycle.OfficialYear{Year: 2027, Holidays: []lifecycle.Period{{Name: "元旦", From: date("2027-01-01"), To: date("2027-01-01")}}})
	c, err := lifecycle.NewCalendar(years, nil)
	require.NoError(t, err)
	assert.True(t, c.Published(2027))
	assert.False(t, c.IsWorkingDay(date("2027-01-01")))
}
