package dealercrm_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDateAddMonthsClampsToMonthEnd(t *testing.T) {
	// SPEC §2.2 / issue 3: delivery Jan 31 + 1 month is Feb 28 (29 in a leap year).
	cases := []struct {
		from   string
		months int
		want   string
	}{
		{"2025-01-31", 1, "2025-02-28"},
		{"2024-01-31", 1, "2024-02-29"},
		{"2024-03-31", -1, "2024-02-29"},
		{"2024-08-31", 1, "2024-09-30"},
		{"2024-12-15", 1, "2025-01-15"},
		{"2024-01-31", 13, "2025-02-28"},
	}
	for _, c := range cases {
		t.Run(c.from, func(t *testing.T) {
			got := dealercrm.MustParseDate(c.from).AddMonths(c.months)
			assert.Equal(t, c.want, got.String(), "%s + %d months", c.from, c.months)
		})
	}
	assert.Equal(t, "2025-02-28", dealercrm.MustParseDate("2024-02-29").AddYears(1).String(), "Feb 29 birthday in a non-leap year")
}

// FuzzParseDate: ParseDate answers as time.Parse with layout
// time.DateOnly does, for any text: the same date, or an error for the
// same inputs (its fast path for plain dates must not widen or narrow
// what it accepts).
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2024-02-29", "2023-02-29", "0000-01-01", "9999-12-31", "2024-13-01", "2024-00-10", "2024-04-31",
		"2024-1-05", "2024/01/02", "+024-01-02", "2024-01-0x", "２０２４-01-02", "2024-01-02 ", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := dealercrm.ParseDate(s)
		want, werr := time.Parse(time.DateOnly, s)
		if werr != nil {
			if err == nil {
				t.Fatalf("ParseDate(%q) = %v, time.Parse rejects it: %v", s, got, werr)
			}
			return
		}
		if err != nil {
			t.Fatalf("ParseDate(%q): %v, time.Parse reads %v", s, err, want)
		}
		if got != dealercrm.DateOf(want) {
			t.Fatalf("ParseDate(%q) = %v, time.Parse reads %v", s, got, want)
		}
	})
}

func BenchmarkParseDate(b *testing.B) {
	for b.Loop() {
		if _, err := dealercrm.ParseDate("2026-12-04"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDateParseAndJSON(t *testing.T) {
	_, err := dealercrm.ParseDate("2023-02-29")
	assert.Error(t, err, "2023 is not a leap year")
	_, err = dealercrm.ParseDate("2024/01/02")
	assert.Error(t, err)

	type doc struct {
		D dealercrm.Date `json:"d"`
		Z dealercrm.Date `json:"z"`
	}
	b, err := json.Marshal(doc{D: dealercrm.NewDate(2024, time.March, 5)})
	require.NoError(t, err)
	assert.JSONEq(t, `{"d":"2024-03-05","z":null}`, string(b))

	var back doc
	require.NoError(t, json.Unmarshal([]byte(`{"d":"2024-03-05","z":""}`), &back))
	assert.Equal(t, dealercrm.NewDate(2024, time.March, 5), back.D)
	assert.True(t, back.Z.IsZero())
	assert.Error(t, json.Unmarshal([]byte(`{"d":20240305}`), &back))
}

func TestDateArithmetic(t *testing.T) {
	d := dealercrm.MustParseDate("2024-02-27")
	assert.Equal(t, "2024-03-01", d.AddDays(3).String(), "leap day counted")
	assert.Equal(t, 3, d.AddDays(3).DaysSince(d))
	assert.True(t, d.Before(d.AddDays(1)))
	assert.True(t, d.AddDays(1).After(d))
	assert.Equal(t, 0, d.Compare(dealercrm.NewDate(2024, 2, 27)))

	// 2024-03-01 00:30 in Shanghai is still 2024-02-29 in UTC.
	sh, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	at := time.Date(2024, 3, 1, 0, 30, 0, 0, sh)
	assert.Equal(t, "2024-03-01", dealercrm.DateIn(at, sh).String())
	assert.Equal(t, "2024-02-29", dealercrm.DateIn(at, time.UTC).String())
}

func TestNewIDIsOrdered(t *testing.T) {
	prev := dealercrm.NewID()
	for range 10000 {
		id := dealercrm.NewID()
		require.Len(t, id, 36)
		require.Greater(t, id, prev, "IDs must increase in byte order")
		prev = id
	}
}

// TestDateValidMatchesNormalisation checks the fast calendar rule against
// the definition (a date is valid when time.Date leaves it as it is) over
// four centuries of leap years, the ends of the range and beyond.
func TestDateValidMatchesNormalisation(t *testing.T) {
	years := []int{-1, 0, 1, 2, 4, 100, 9999, 10000, 1 << 40}
	for y := 1900; y <= 2300; y++ {
		years = append(years, y)
	}
	invalid := 0
	for _, y := range years {
		for m := time.Month(-1); m <= 14; m++ {
			for d := -1; d <= 33; d++ {
				date := dealercrm.Date{Year: y, Month: m, Day: d}
				want := !date.IsZero() && dealercrm.NewDate(y, m, d) == date
				if got := date.Valid(); got != want {
					t.Fatalf("%+v: Valid() = %v, want %v", date, got, want)
				}
				if !want {
					invalid++
				}
			}
		}
	}
	assert.Greater(t, invalid, 0)
	assert.True(t, dealercrm.Date{Year: 2024, Month: 2, Day: 29}.Valid(), "2024 is a leap year")
	assert.False(t, dealercrm.Date{Year: 2100, Month: 2, Day: 29}.Valid(), "2100 is not")
	assert.True(t, dealercrm.Date{Year: 2000, Month: 2, Day: 29}.Valid(), "2000 is")
}

// TestDayArithmeticMatchesTime: the integer calendar (DayNumber,
// DateOfDay, AddDays, AddMonths, DaysSince) gives what time.Date gives,
// over every day from 1600 to 2400 and the edges of the years 1 and 9999,
// and for dates that are not valid (normalised as NewDate does).
func TestDayArithmeticMatchesTime(t *testing.T) {
	byTime := func(d dealercrm.Date) int { return int(d.Time(time.UTC).Unix() / 86400) }
	check := func(d dealercrm.Date) {
		t.Helper()
		n := d.DayNumber()
		if want := byTime(d); n != want {
			t.Fatalf("%v.DayNumber() = %d, want %d", d, n, want)
		}
		if got := dealercrm.DateOfDay(n); got != d {
			t.Fatalf("DateOfDay(%d) = %v, want %v", n, got, d)
		}
		for _, k := range []int{-400, -31, -1, 1, 27, 365, 1000} {
			if got, want := d.AddDays(k), dealercrm.DateOf(d.Time(time.UTC).AddDate(0, 0, k)); got != want {
				t.Fatalf("%v.AddDays(%d) = %v, want %v", d, k, got, want)
			}
		}
		for _, k := range []int{-25, -12, -1, 1, 11, 13, 120} {
			first := time.Date(d.Year, d.Month+time.Month(k), 1, 0, 0, 0, 0, time.UTC)
			last := first.AddDate(0, 1, -1).Day()
			want := dealercrm.Date{Year: first.Year(), Month: first.Month(), Day: min(d.Day, last)}
			if got := d.AddMonths(k); got != want {
				t.Fatalf("%v.AddMonths(%d) = %v, want %v", d, k, got, want)
			}
		}
	}
	for d := dealercrm.NewDate(1600, 1, 1); d.Year < 2400; d = d.AddDays(1) {
		check(d)
	}
	for _, s := range []string{"0001-01-01", "0001-03-01", "9999-12-31", "2000-02-29", "1900-02-28", "2100-03-01"} {
		check(dealercrm.MustParseDate(s))
	}
	assert.Equal(t, 0, dealercrm.MustParseDate("1970-01-01").DayNumber())
	assert.Equal(t, 365, dealercrm.MustParseDate("2026-12-03").DaysSince(dealercrm.MustParseDate("2025-12-03")))
	// Not valid: normalised as NewDate normalises.
	odd := dealercrm.Date{Year: 2026, Month: 13, Day: 0}
	assert.Equal(t, dealercrm.NewDate(2026, 13, 0), dealercrm.DateOfDay(odd.DayNumber()))
	assert.Equal(t, dealercrm.MustParseDate("2027-01-01"), odd.AddDays(1))
	assert.Equal(t, dealercrm.MustParseDate("2027-01-31"), odd.AddMonths(1))
}

// TestDateAppendTextMatchesString: AppendText appends what String gives,
// for the zero Date, dates outside years 0–9999 and every day of 1890–2210.
func TestDateAppendTextMatchesString(t *testing.T) {
	dates := []dealercrm.Date{{}, {Year: -1, Month: 3, Day: 4}, {Year: 12345, Month: 1, Day: 2}, {Year: 7}, {Year: 2024, Month: 13, Day: 40}}
	for d := dealercrm.NewDate(1890, 1, 1); d.Year < 2210; d = d.AddDays(1) {
		dates = append(dates, d)
	}
	for _, d := range dates {
		b, err := d.AppendText([]byte("x"))
		require.NoError(t, err)
		if string(b) != "x"+d.String() {
			t.Fatalf("AppendText(%#v) = %q, want %q", d, b, "x"+d.String())
		}
	}
}
