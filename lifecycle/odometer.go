package lifecycle

import (
	"cmp"
	"fmt"
	"github.com/dealercrm/dealercrm/crm"
	"math"
	"slices"

	"github.com/dealercrm/dealercrm"
)

// Reading is one odometer reading.
type Reading struct {
	Date dealercrm.Date `json:"date"`
	KM   int64          `json:"km"`
}

// OdometerPolicy configures odometer prediction (SPEC §2.2).
type OdometerPolicy struct {
	// DefaultKMPerDay is used with fewer than MinReadings usable readings (40 km/day).
	DefaultKMPerDay float64 `json:"default_km_per_day"`
	// MaxKMPerDay marks a reading absurd when reaching it needs more (1,000 km/day).
	MaxKMPerDay float64 `json:"max_km_per_day"`
	// MinReadings is the number of usable readings an average needs (2).
	MinReadings int `json:"min_readings"`
}

// DefaultOdometerPolicy returns the defaults.
func DefaultOdometerPolicy() OdometerPolicy {
	return OdometerPolicy{DefaultKMPerDay: 40, MaxKMPerDay: 1000, MinReadings: 2}
}

func (p OdometerPolicy) check(c *crm.Checker) {
	if p.DefaultKMPerDay <= 0 || p.DefaultKMPerDay > p.MaxKMPerDay {
		c.Add("odometer.default_km_per_day", RuleRange, "must be positive and at most max_km_per_day, got %g", p.DefaultKMPerDay)
	}
	if p.MinReadings < 2 {
		c.Add("odometer.min_readings", RuleRange, "an average needs at least 2 readings, got %d", p.MinReadings)
	}
}

// Usage is the estimated use of a vehicle.
type Usage struct {
	// KMPerDay is the average daily distance.
	KMPerDay float64 `json:"km_per_day"`
	// Estimated is true when KMPerDay is the configured default.
	Estimated bool `json:"estimated"`
	// Last is the latest usable reading (zero without one).
	Last Reading `json:"last"`
	// Ignored explains each reading left out (decreasing or absurd).
	Ignored []string `json:"ignored,omitempty"`
}

// Usage averages the usable readings: it sorts them by date, ignores a
// negative reading, a reading below an earlier one (a decreasing
// odometer) or one that would need more than MaxKMPerDay since the
// previous usable reading (absurd), keeps the highest of one day, and
// takes (last km − first km) / days between them. With fewer than
// MinReadings usable readings on distinct days it uses DefaultKMPerDay.
// Any int64 is a reading: the arithmetic cannot overflow.
func (p OdometerPolicy) Usage(readings []Reading) Usage {
	return p.usage(slices.Clone(readings), true)
}

// usage is Usage over rs, which it sorts in place; without explain the
// ignored readings are not described.
func (p OdometerPolicy) usage(rs []Reading, explain bool) Usage {
	slices.SortStableFunc(rs, func(a, b Reading) int {
		if c := a.Date.Compare(b.Date); c != 0 {
			return c
		}
		return cmp.Compare(a.KM, b.KM)
	})
	var u Usage
	var okBuf [8]Reading
	ok := okBuf[:0]
	for _, r := range rs {
		if r.KM < 0 {
			// Usable readings are not negative, so differences of two
			// of them cannot overflow.
			if !explain {
				u.Ignored = append(u.Ignored, "")
				continue
			}
			u.Ignored = append(u.Ignored, fmt.Sprintf("%s %d km: below 0 km", r.Date, r.KM))
			continue
		}
		if len(ok) > 0 {
			prev := ok[len(ok)-1]
			days := r.Date.DaysSince(prev.Date)
			switch {
			case r.KM < prev.KM:
				if !explain {
					u.Ignored = append(u.Ignored, "")
					continue
				}
				u.Ignored = append(u.Ignored, fmt.Sprintf("%s %d km: below %d km read on %s", r.Date, r.KM, prev.KM, prev.Date))
				continue
			case days == 0:
				ok[len(ok)-1] = r // same day: keep the higher reading
				continue
			case float64(r.KM-prev.KM)/float64(days) > p.MaxKMPerDay:
				if !explain {
					u.Ignored = append(u.Ignored, "")
					continue
				}
				u.Ignored = append(u.Ignored, fmt.Sprintf("%s %d km: %d km in %d days is more than %g km/day", r.Date, r.KM, r.KM-prev.KM, days, p.MaxKMPerDay))
				continue
			}
		}
		ok = append(ok, r)
	}
	if len(ok) > 0 {
		u.Last = ok[len(ok)-1]
	}
	if len(ok) < p.MinReadings {
		u.KMPerDay, u.Estimated = p.DefaultKMPerDay, true
		return u
	}
	first := ok[0]
	u.KMPerDay = float64(u.Last.KM-first.KM) / float64(u.Last.Date.DaysSince(first.Date))
	return u
}

// KMOn estimates the odometer on date d, at most math.MaxInt64.
func (u Usage) KMOn(d dealercrm.Date) int64 {
	if u.Last.Date.IsZero() || !d.After(u.Last.Date) {
		return u.Last.KM
	}
	more := math.Round(u.KMPerDay * float64(d.DaysSince(u.Last.Date)))
	if !(more < float64(math.MaxInt64-max(u.Last.KM, 0))) {
		return math.MaxInt64
	}
	return u.Last.KM + int64(more)
}

// DateAt predicts the first day the odometer reaches km, counting from
// the last reading (or from since without one). It returns false when the
// vehicle does not move.
func (u Usage) DateAt(km int64, since dealercrm.Date) (dealercrm.Date, bool) {
	from := u.Last.Date
	if from.IsZero() {
		from = since
	}
	if u.Last.KM >= km {
		return from, true
	}
	if u.KMPerDay <= 0 {
		return dealercrm.Date{}, false
	}
	days := math.Ceil((float64(km) - float64(u.Last.KM)) / u.KMPerDay)
	if !(days <= 365*50) {
		return dealercrm.Date{}, false
	}
	return from.AddDays(int(days)), true
}

// addKM returns km + more, at most math.MaxInt64 (more is not negative).
func addKM(km, more int64) int64 {
	if km > math.MaxInt64-more {
		return math.MaxInt64
	}
	return km + more
}
