package lifecycle

import "github.com/dealercrm/dealercrm"

func d(s string) dealercrm.Date { return dealercrm.MustParseDate(s) }

// OfficialYears returns the PRC holiday arrangements shipped with the
// package: 2024 (国办发明电〔2023〕7号), 2025 (国办发明电〔2024〕12号) and
// 2026 (published 2025-11-04). They were transcribed from the State
// Council notices and cross-checked with the holiday data of
// github.com/6tail/lunar-go v1.4.6. A dealer adds each new year with
// NewCalendar when the State Council publishes it (usually in November).
func OfficialYears() []OfficialYear {
	return []OfficialYear{
		{Year: 2024, Holidays: []Period{
			{"元旦", d("2024-01-01"), d("2024-01-01")},
			{"春节", d("2024-02-10"), d("2024-02-17")},
			{"清明节", d("2024-04-04"), d("2024-04-06")},
			{"劳动节", d("2024-05-01"), d("2024-05-05")},
			{"端午节", d("2024-06-08"), d("2024-06-10")},
			{"中秋节", d("2024-09-15"), d("2024-09-17")},
			{"国庆节", d("2024-10-01"), d("2024-10-07")},
		}, Workdays: []dealercrm.Date{d("2024-02-04"), d("2024-02-18"), d("2024-04-07"), d("2024-04-28"), d("2024-05-11"), d("2024-09-14"), d("2024-09-29"), d("2024-10-12")}},
		{Year: 2025, Holidays: []Period{
			{"元旦", d("2025-01-01"), d("2025-01-01")},
			{"春节", d("2025-01-28"), d("2025-02-04")},
			{"清明节", d("2025-04-04"), d("2025-04-06")},
			{"劳动节", d("2025-05-01"), d("2025-05-05")},
			{"端午节", d("2025-05-31"), d("2025-06-02")},
			{"国庆节、中秋节", d("2025-10-01"), d("2025-10-08")},
		}, Workdays: []dealercrm.Date{d("2025-01-26"), d("2025-02-08"), d("2025-04-27"), d("2025-09-28"), d("2025-10-11")}},
		{Year: 2026, Holidays: []Period{
			{"元旦", d("2026-01-01"), d("2026-01-03")},
			{"春节", d("2026-02-15"), d("2026-02-23")},
			{"清明节", d("2026-04-04"), d("2026-04-06")},
			{"劳动节", d("2026-05-01"), d("2026-05-05")},
			{"端午节", d("2026-06-19"), d("2026-06-21")},
			{"中秋节", d("2026-09-25"), d("2026-09-27")},
			{"国庆节", d("2026-10-01"), d("2026-10-07")},
		}, Workdays: []dealercrm.Date{d("2026-01-04"), d("2026-02-14"), d("2026-02-28"), d("2026-05-09"), d("2026-09-20"), d("2026-10-10")}},
	}
}

// LunarTable returns the Gregorian dates of Spring Festival, Dragon Boat
// and Mid-Autumn for 2020–2036. The dates were computed with
// github.com/6tail/lunar-go v1.4.6 (not a dependency: it was used once to
// derive this table) and checked against the published dates (Spring
// Festival 2027-02-06 and 2028-01-26, among others; see calendar_test.go).
func LunarTable() []LunarFestivals {
	rows := [][4]string{
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
	out := make([]LunarFestivals, len(rows))
	for i, r := range rows {
		sf := d(r[1])
		out[i] = LunarFestivals{Year: sf.Year, SpringFest: sf, DragonBoat: d(r[2]), MidAutumn: d(r[3])}
	}
	return out
}
