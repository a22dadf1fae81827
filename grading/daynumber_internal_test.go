package grading

import (
	"testing"

	"github.com/dealercrm/dealercrm"
)

// TestDayNumber checks dayNumber against Date.DaysSince across leap years
// and century rules.
func TestDayNumber(t *testing.T) {
	base := dealercrm.NewDate(1899, 12, 31)
	for d := base; d.Year < 2101; d = d.AddDays(17) {
		if got, want := dayNumber(d)-dayNumber(base), d.DaysSince(base); got != want {
			t.Fatalf("%s: %d days, want %d", d, got, want)
		}
	}
}
