package lifecycle_test

import (
	"math"
	"testing"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOdometerOverflowSafe (issue 12, defect 8): whatever the stored
// readings — the largest int64, negative ones, several on one day,
// decreasing ones — the usage, the predicted odometer and the predicted
// dates never wrap around into negative kilometres.
func TestOdometerOverflowSafe(t *testing.T) {
	p := lifecycle.DefaultOdometerPolicy()
	const top = math.MaxInt64
	for name, tc := range map[string]struct {
		readings []lifecycle.Reading
		last     lifecycle.Reading
		perDay   float64
		ignored  int
	}{
		"one huge reading": {[]lifecycle.Reading{{Date: date("2026-01-10"), KM: top}},
			lifecycle.Reading{Date: date("2026-01-10"), KM: top}, 40, 0},
		"huge after zero: absurd": {[]lifecycle.Reading{{Date: date("2026-01-10"), KM: 0}, {Date: date("2026-01-20"), KM: top}},
			lifecycle.Reading{Date: date("2026-01-10"), KM: 0}, 40, 1},
		"lowest then huge: the negative reading is ignored": {[]lifecycle.Reading{{Date: date("2026-01-10"), KM: math.MinInt64}, {Date: date("2026-01-20"), KM: top}},
			lifecycle.Reading{Date: date("2026-01-20"), KM: top}, 40, 1},
		"one day, lowest and 7": {[]lifecycle.Reading{{Date: date("2026-01-10"), KM: 7}, {Date: date("2026-01-10"), KM: math.MinInt64}},
			lifecycle.Reading{Date: date("2026-01-10"), KM: 7}, 40, 1},
		"one day, huge and 5: the higher is kept": {[]lifecycle.Reading{{Date: date("2026-01-10"), KM: top}, {Date: date("2026-01-10"), KM: 5}},
			lifecycle.Reading{Date: date("2026-01-10"), KM: top}, 40, 0},
		"decreasing from huge": {[]lifecycle.Reading{{Date: date("2026-01-10"), KM: top}, {Date: date("2026-01-20"), KM: 1000}},
			lifecycle.Reading{Date: date("2026-01-10"), KM: top}, 40, 1},
		"huge and one km more a day later": {[]lifecycle.Reading{{Date: date("2026-01-10"), KM: top - 1}, {Date: date("2026-01-11"), KM: top}},
			lifecycle.Reading{Date: date("2026-01-11"), KM: top}, 1, 0},
	} {
		t.Run(name, func(t *testing.T) {
			u := p.Usage(tc.readings)
			assert.Equal(t, tc.last, u.Last)
			assert.InDelta(t, tc.perDay, u.KMPerDay, 1e-9)
			assert.Len(t, u.Ignored, tc.ignored, "%q", u.Ignored)
			km := u.KMOn(date("2126-01-10"))
			assert.GreaterOrEqual(t, km, u.Last.KM, "the odometer a century later is not below the last reading")
			if u.Last.KM > top-1_000_000 {
				assert.Equal(t, int64(top), km, "it stops at the largest int64")
			}
			d, ok := u.DateAt(top, date("2026-01-01"))
			if u.Last.KM == top {
				assert.True(t, ok)
				assert.Equal(t, u.Last.Date, d, "reached at the last reading")
			} else {
				assert.False(t, ok, "never reached in 50 years")
			}
		})
	}

	u := p.Usage([]lifecycle.Reading{{Date: date("2026-01-10"), KM: 0}, {Date: date("2026-01-20"), KM: top}})
	assert.Equal(t, []string{"2026-01-20 9223372036854775807 km: 9223372036854775807 km in 10 days is more than 1000 km/day"}, u.Ignored)
	u = p.Usage([]lifecycle.Reading{{Date: date("2026-01-10"), KM: -5}, {Date: date("2026-01-20"), KM: 100}})
	assert.Equal(t, []string{"2026-01-10 -5 km: below 0 km"}, u.Ignored)

	// A vehicle whose odometer read the largest int64 at a maintenance
	// (absurd after 10 km a month earlier, so ignored for the usage): the
	// next maintenance, 5,000 km after it, falls due by age (6 months),
	// not at once at a wrapped-around target.
	pl := planner(t)
	s := lifecycle.Subject{DealerID: "d1", VehicleID: "v1", Model: "M", Delivery: date("2026-01-10"), Owner: consenting("c1"),
		Readings: []lifecycle.Reading{{Date: date("2026-01-10"), KM: 10}},
		Visits:   []lifecycle.Visit{{OrderID: "o1", Date: date("2026-02-10"), Closed: date("2026-02-10"), KM: top, Kind: crm.ServiceFirstMaintenance, Payer: crm.PayerManufacturer}}}
	ev := pl.Evaluate(&s, date("2026-03-01"), 365)
	assert.Equal(t, int64(2010), ev.Stage.KM, "10 km + 40 km/day × 50 days on 03-01")
	assert.Len(t, ev.Usage.Ignored, 1)
	require.Equal(t, []string{"2026-08-03", "2026-09-02"}, dues(ev, lifecycle.KindMaintenance),
		"due 2026-08-10 (02-10 + 6 months), reminders −7 days and 30 days later")
	for _, tk := range ev.Tasks {
		assert.NotRegexp(t, `-\d+ km`, tk.Reason, "no negative km")
	}
	assert.NotRegexp(t, `-\d+ km`, ev.Stage.Reason)
	for _, tk := range ev.Tasks {
		if tk.Kind == lifecycle.KindMaintenance && tk.Due == date("2026-08-03") {
			assert.Equal(t, "last maintenance on 2026-02-10; next maintenance due on 2026-08-10, 6 months after 2026-02-10, before 9223372036854775807 km; -7 days maintenance_due", tk.Reason)
		}
	}
}
