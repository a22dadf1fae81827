package lifecycle

import (
	"fmt"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
)

func TestDaysFromCivilTable(t *testing.T) {
	for d := dealercrm.NewDate(1890, 1, 1); d.Year < 2210; d = d.AddDays(1) {
		if got, want := daysFromCivil(d.Year, int(d.Month), d.Day), civilDays(d.Year, int(d.Month), d.Day); got != want {
			t.Fatalf("daysFromCivil(%v) = %d, want %d", d, got, want)
		}
	}
	if got := daysFromCivil(1970, 1, 1); got != 0 {
		t.Fatalf("1970-01-01 is day %d", got)
	}
}

func TestFastDateMatchesDate(t *testing.T) {
	ds := []dealercrm.Date{{}, {Year: 2026, Month: 2, Day: 30}, {Year: 2026, Month: 13, Day: 1}, {Year: 1, Month: 1, Day: 1}, {Year: 9999, Month: 12, Day: 31}}
	for d := dealercrm.NewDate(1895, 1, 1); d.Year < 2105; d = d.AddDays(13) {
		ds = append(ds, d)
	}
	ns := []int{0, 1, -1, 2, -7, 27, 28, 29, 30, 31, -30, 59, 60, 364, 365, 366, -365, -366, 1461, -90, 2920, 36524, 146097, -146097}
	for _, d := range ds {
		for _, n := range ns {
			if got, want := addDays(d, n), d.AddDays(n); got != want {
				t.Fatalf("addDays(%v, %d) = %v, want %v", d, n, got, want)
			}
			if got, want := addMonths(d, n), d.AddMonths(n); got != want {
				t.Fatalf("addMonths(%v, %d) = %v, want %v", d, n, got, want)
			}
			e := d.AddDays(n * 37)
			if got, want := daysSince(d, e), d.DaysSince(e); got != want {
				t.Fatalf("daysSince(%v, %v) = %d, want %d", d, e, got, want)
			}
		}
		if got, want := string(appendDate(nil, d)), d.String(); got != want {
			t.Fatalf("appendDate(%v) = %q, want %q", d, got, want)
		}
	}
	for y := 1999; y < 2031; y++ {
		for _, b := range []dealercrm.Date{dealercrm.NewDate(1980, time.February, 29), dealercrm.NewDate(1981, time.December, 31), dealercrm.NewDate(1990, time.March, 1)} {
			var want dealercrm.Date
			if b.Month == time.February && b.Day == 29 && dealercrm.NewDate(y, time.February, 29).Month != time.February {
				want = dealercrm.NewDate(y, time.February, 28)
			} else {
				want = dealercrm.NewDate(y, b.Month, b.Day)
			}
			if got := BirthdayIn(b, y); got != want {
				t.Fatalf("BirthdayIn(%v, %d) = %v, want %v", b, y, got, want)
			}
		}
	}
}

func TestOffsetStringMatchesFmt(t *testing.T) {
	for _, o := range []Offset{{}, {Days: 3}, {Days: -7}, {Months: 1}, {Months: -2, Days: 5}, {Months: 12, Days: -1}, {Days: -2147483648}} {
		want := ""
		if o.Months != 0 {
			want = fmt.Sprintf("%+d months", o.Months)
		}
		if o.Days != 0 || want == "" {
			if want != "" {
				want += " "
			}
			want += fmt.Sprintf("%+d days", o.Days)
		}
		if got := o.String(); got != want {
			t.Errorf("%#v.String() = %q, want %q", o, got, want)
		}
	}
}
