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
