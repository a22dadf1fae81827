package lifecycle

import (
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConfigStamp: the stamp of a run's configuration is stable and moves
// with the policy, the call policy and the calendar.
func TestConfigStamp(t *testing.T) {
	base := configStamp(DefaultPolicy(), DefaultCalendar(), DefaultCallPolicy())
	require.Len(t, base, 32)
	assert.Equal(t, base, configStamp(DefaultPolicy(), DefaultCalendar(), DefaultCallPolicy()), "stable")

	p := DefaultPolicy()
	p.Rules = p.Rules[1:]
	assert.NotEqual(t, base, configStamp(p, DefaultCalendar(), DefaultCallPolicy()), "a rule less")

	call := DefaultCallPolicy()
	call.MaxAttempts++
	assert.NotEqual(t, base, configStamp(DefaultPolicy(), DefaultCalendar(), call), "another call policy")

	years := OfficialYears()
	last := years[len(years)-1]
	next := OfficialYear{Year: last.Year + 1, Holidays: []Period{{Name: "元旦", From: dealercrm.NewDate(last.Year+1, 1, 1), To: dealercrm.NewDate(last.Year+1, 1, 1)}}}
	cal, err := NewCalendar(append(years, next), nil)
	require.NoError(t, err)
	assert.NotEqual(t, base, configStamp(DefaultPolicy(), cal, DefaultCallPolicy()), "a year published")

	// The sources that are ConfigStampers (grading.Service's cadences).
	assert.Equal(t, base, configStamp(DefaultPolicy(), DefaultCalendar(), DefaultCallPolicy(), nil, struct{}{}), "sources without configuration")
	a := configStamp(DefaultPolicy(), DefaultCalendar(), DefaultCallPolicy(), configured("monthly"))
	assert.NotEqual(t, base, a, "a configured source")
	assert.Equal(t, a, configStamp(DefaultPolicy(), DefaultCalendar(), DefaultCallPolicy(), configured("monthly")), "stable")
	assert.NotEqual(t, a, configStamp(DefaultPolicy(), DefaultCalendar(), DefaultCallPolicy(), configured("quarterly")), "configured otherwise")
}

// configured is a source whose configuration is its value.
type configured string

func (c configured) ConfigStamp() string { return string(c) }
