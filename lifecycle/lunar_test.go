package lifecycle_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The lunar festivals of 2025 and 2026, as published (the State Council
// holiday notices 国办发明电〔2024〕12号 and of 2025-11-04 for 春节, 端午 and
// 中秋; the Hong Kong Observatory's Gregorian–lunar conversion tables for
// all six), each checked against github.com/6tail/lunar-go v1.4.7.
func TestLunarFestivalWorkedDates(t *testing.T) {
	c := lifecycle.DefaultCalendar()
	for _, tc := range []struct {
		year                                                      int
		spring, lantern, dragonBoat, qixi, midAutumn, doubleNinth string
	}{
		{2025, "2025-01-29", "2025-02-12", "2025-05-31", "2025-08-29", "2025-10-06", "2025-10-29"},
		{2026, "2026-02-17", "2026-03-03", "2026-06-19", "2026-08-19", "2026-09-25", "2026-10-18"},
	} {
		l, ok := c.Lunar(tc.year)
		require.True(t, ok, "lunar dates for %d", tc.year)
		assert.Equal(t, tc.year, l.Year)
		assert.Equal(t, tc.spring, l.SpringFest.String(), "春节 %d", tc.year)
		assert.Equal(t, tc.lantern, l.Lantern.String(), "元宵 %d", tc.year)
		assert.Equal(t, tc.dragonBoat, l.DragonBoat.String(), "端午 %d", tc.year)
		assert.Equal(t, tc.qixi, l.Qixi.String(), "七夕 %d", tc.year)
		assert.Equal(t, tc.midAutumn, l.MidAutumn.String(), "中秋 %d", tc.year)
		assert.Equal(t, tc.doubleNinth, l.DoubleNinth.String(), "重阳 %d", tc.year)
	}
	var keys []lifecycle.FestivalKey
	var days []string
	for _, f := range c.Festivals(2026) {
		keys = append(keys, f.Key)
		days = append(days, f.Date.String())
	}
	assert.ElementsMatch(t, lifecycle.FestivalKeys(), keys, "every festival")
	assert.Equal(t, []string{"2026-01-01", "2026-02-17", "2026-03-03", "2026-05-01", "2026-06-19", "2026-08-19", "2026-09-25", "2026-10-01", "2026-10-18"}, days)
	_, ok := c.Lunar(lifecycle.MaxLunarYear + 1)
	assert.False(t, ok, "no lunar dates beyond MaxLunarYear")
}

// TestLunarTableEqualsComputed checks the hand table of Spring Festival,
// Dragon Boat and Mid-Autumn 2020–2036 that the package shipped before it
// computed lunar dates with lunar-go: every date is the same.
func TestLunarTableEqualsComputed(t *testing.T) {
	table := [][4]string{
		{"2020", "2020-01-25", "2020-06-25", "2020-10-01"},
		{"2021", "2021-02-12", "2021-06-14", "2021-09-21"},
		{"2022", "2022-02-01", "2022-06-03", "2022-09-10"},
		{"2023", "2023-01-22", "2023-06-22", "2023-09-29"},
		{"2024", "2024-02-10", "2024-06-10", "2024-09-17"},
		{"2025", "2025-01-29", "2025-05-31", "2025-10-06"},
		{"2026", "2026-02-17", "2026-06-19", "2026-09-25"},
		{"2027", "2027-02-06", "2027-06-09", "2027-09-15"},
		{"2028", "2028-01-26", "2028-05-28", "2028-10-03"},
		{"2029", "2029-02-13", "2029-06-16", "2029-09-22"},
		{"2030", "2030-02-03", "2030-06-05", "2030-09-12"},
		{"2031", "2031-01-23", "2031-06-24", "2031-10-01"},
		{"2032", "2032-02-11", "2032-06-12", "2032-09-19"},
		{"2033", "2033-01-31", "2033-06-01", "2033-09-08"},
		{"2034", "2034-02-19", "2034-06-20", "2034-09-27"},
		{"2035", "2035-02-08", "2035-06-10", "2035-09-16"},
		{"2036", "2036-01-28", "2036-05-30", "2036-10-04"},
	}
	c := lifecycle.DefaultCalendar()
	for _, r := range table {
		sf := date(r[1])
		l, ok := c.Lunar(sf.Year)
		require.True(t, ok, "lunar dates for %d", sf.Year)
		assert.Equal(t, r[1:], []string{l.SpringFest.String(), l.DragonBoat.String(), l.MidAutumn.String()}, r[0])
		// 元宵 is 14 days after 春节, in every year.
		assert.Equal(t, 14, l.Lantern.DaysSince(l.SpringFest), r[0])
	}
}

// A caller's lunar dates override the computed ones, field by field.
func TestLunarOverride(t *testing.T) {
	c, err := lifecycle.NewCalendar(nil, []lifecycle.LunarFestivals{{Year: 2030, MidAutumn: date("2030-09-13")}})
	require.NoError(t, err)
	l, ok := c.Lunar(2030)
	require.True(t, ok)
	assert.Equal(t, "2030-09-13", l.MidAutumn.String(), "overridden")
	assert.Equal(t, "2030-02-03", l.SpringFest.String(), "computed")
	_, err = lifecycle.NewCalendar(nil, []lifecycle.LunarFestivals{{Year: 2030, Qixi: date("2031-08-05")}})
	assert.ErrorContains(t, err, "2031-08-05 is not in 2030")
}

// Lunar conversions both ways, and the rules for a lunar birthday:
// a leap-month birth is celebrated in the ordinary month, the 30th of a
// 29-day month is its 29th. Dates checked with lunar-go and the Hong Kong
// Observatory tables.
func TestLunarConversions(t *testing.T) {
	c := lifecycle.DefaultCalendar()
	for _, tc := range []struct {
		solar string
		lunar lifecycle.LunarDate
	}{
		{"2025-01-29", lifecycle.LunarDate{Year: 2025, Month: 1, Day: 1}},
		{"2025-01-28", lifecycle.LunarDate{Year: 2024, Month: 12, Day: 29}},            // 除夕
		{"2025-07-25", lifecycle.LunarDate{Year: 2025, Month: 6, Leap: true, Day: 1}},  // 闰六月 2025
		{"2023-04-19", lifecycle.LunarDate{Year: 2023, Month: 2, Leap: true, Day: 29}}, // 闰二月 2023
		{"1990-10-03", lifecycle.LunarDate{Year: 1990, Month: 8, Day: 15}},
	} {
		got, ok := c.ToLunar(date(tc.solar))
		require.True(t, ok, tc.solar)
		assert.Equal(t, tc.lunar, got, tc.solar)
		if !tc.lunar.Leap {
			back, ok := c.FromLunar(tc.lunar.Year, tc.lunar.Month, tc.lunar.Day)
			require.True(t, ok)
			assert.Equal(t, tc.solar, back.String(), "and back")
		}
	}
	for _, tc := range []struct {
		born string
		year int
		want string
		why  string
	}{
		{"1990-10-03", 2026, "2026-09-25", "8/15, Mid-Autumn"},
		{"1990-10-03", 2025, "2025-10-06", "8/15, Mid-Autumn"},
		{"2025-07-25", 2026, "2026-07-14", "born 闰六月初一: the ordinary 6/1"},
		{"1985-02-19", 2024, "2025-01-28", "born 1984 12/30; the 12th month of 2024 has 29 days: its 29th, 除夕, in January 2025"},
		{"1985-02-19", 2025, "2026-02-16", "the 12th month of 2025 has 29 days too: 除夕 2026"},
		{"1990-01-26", 1989, "1990-01-26", "born 1989 12/30, a 30-day month"},
	} {
		got, ok := c.LunarBirthdayIn(date(tc.born), tc.year)
		require.True(t, ok, tc.why)
		assert.Equal(t, tc.want, got.String(), tc.why)
	}
	_, ok := c.FromLunar(2025, 13, 1)
	assert.False(t, ok, "no 13th month")
}

// A dealer chooses the festivals of holiday care: Lantern, Qixi and
// Double Ninth are off by default and planned once chosen (2026 dates as
// in TestLunarFestivalWorkedDates, care the day before; the evaluation
// also keeps the last KeepDays, 90: Mid-Autumn and Double Ninth 2025).
func TestFestivalChoice(t *testing.T) {
	s := lifecycle.Subject{DealerID: "d1", VehicleID: "v1", Model: "M", Owner: consenting("c1")}
	ev := planner(t).Evaluate(&s, date("2026-01-01"), 320)
	assert.Equal(t, []string{"2025-10-05", "2025-12-31", "2026-02-16", "2026-04-30", "2026-06-18", "2026-09-24", "2026-09-30"}, dues(ev, lifecycle.KindHolidayCare), "the default six")

	p := lifecycle.DefaultPolicy()
	p.Festivals = []lifecycle.FestivalKey{lifecycle.FestivalSpring, lifecycle.FestivalLantern, lifecycle.FestivalQixi, lifecycle.FestivalDoubleNinth}
	pl, err := lifecycle.NewPlanner(p, nil)
	require.NoError(t, err)
	ev = pl.Evaluate(&s, date("2026-01-01"), 320)
	assert.Equal(t, []string{"2025-10-28", "2026-02-16", "2026-03-02", "2026-08-18", "2026-10-17"}, dues(ev, lifecycle.KindHolidayCare))
	for _, task := range ev.Tasks {
		if task.Kind == lifecycle.KindHolidayCare && task.Due.String() == "2026-08-18" {
			assert.Contains(t, task.Reason, "七夕 Qixi Festival on 2026-08-19")
		}
	}

	p.Festivals = nil
	pl, err = lifecycle.NewPlanner(p, nil)
	require.NoError(t, err)
	ev = pl.Evaluate(&s, date("2026-01-01"), 320)
	assert.Equal(t, []string{"2025-10-05", "2025-12-31", "2026-02-16", "2026-04-30", "2026-06-18", "2026-09-24", "2026-09-30"}, dues(ev, lifecycle.KindHolidayCare), "none chosen: the defaults")

	p.Festivals = []lifecycle.FestivalKey{lifecycle.FestivalQixi, "valentines", lifecycle.FestivalQixi}
	_, err = lifecycle.NewPlanner(p, nil)
	require.Error(t, err)
	assert.ErrorContains(t, err, `"valentines" is not a festival`)
	assert.ErrorContains(t, err, `festival "qixi" is given twice`)
}

// A lunar birthday 农历生日 is planned on each year's Gregorian date of the
// lunar month and day of birth: born 1990-10-03, lunar 8/15 (Mid-Autumn),
// the birthday falls on 2026-09-25 (TestLunarFestivalWorkedDates) and the
// care call the day before; the same customer on the solar calendar is
// called on 10-02. Born 1985-02-19, lunar 1984 12/30: the birthday of
// lunar 2024 is the 29th of its 29-day 12th month, 2025-01-28 (除夕).
func TestLunarBirthdayCare(t *testing.T) {
	pl := planner(t)
	for _, tc := range []struct {
		born string
		cal  crm.BirthdayCalendar
		asOf string
		want []string
		why  string
	}{
		{"1990-10-03", "", "2026-09-01", []string{"2026-10-02"}, "birthday on 2026-10-03"},
		{"1990-10-03", crm.BirthdaySolar, "2026-09-01", []string{"2026-10-02"}, "birthday on 2026-10-03"},
		{"1990-10-03", crm.BirthdayLunar, "2026-09-01", []string{"2026-09-24"}, "lunar birthday (农历 8/15) on 2026-09-25"},
		{"1985-02-19", crm.BirthdayLunar, "2025-01-01", []string{"2025-01-27"}, "lunar birthday (农历 12/30) on 2025-01-28"},
	} {
		t.Run(tc.born+" "+string(tc.cal), func(t *testing.T) {
			c := consenting("c1")
			c.Birthday, c.BirthdayCalendar = date(tc.born), tc.cal
			s := lifecycle.Subject{DealerID: "d1", VehicleID: "v1", Model: "M", Owner: c}
			ev := pl.Evaluate(&s, date(tc.asOf), 60)
			assert.Equal(t, tc.want, dues(ev, lifecycle.KindBirthdayCare))
			for _, task := range ev.Tasks {
				if task.Kind == lifecycle.KindBirthdayCare {
					assert.Contains(t, task.Reason, tc.why)
				}
			}
		})
	}
}

// The daily run on the memory stores creates the birthday care task of a
// customer stored with a lunar birthday on the converted date.
func TestRunLunarBirthday(t *testing.T) {
	f := newFixture(t)
	c := *consenting("c1")
	c.DealerID, c.Birthday, c.BirthdayCalendar = "d1", date("1990-10-03"), crm.BirthdayLunar
	_, err := f.crm.CreateCustomer(f.ctx, "d1", c)
	require.NoError(t, err)
	f.vehicle(t, "v1", "c1", "2020-01-10")
	f.run(t, "2026-09-24")
	task := f.task(t, lifecycle.KindBirthdayCare)
	assert.Equal(t, "2026-09-24", task.Due.String(), "the day before lunar 8/15 of 2026")
	assert.Equal(t, "birthday_care|customer:c1|2026-09-25|1", task.Key)
}
