package testclock_test

import (
	"fmt"
	"time"

	"github.com/dealercrm/dealercrm/internal/testclock"
)

func ExampleClock() {
	c := testclock.New(time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC))
	now := c.Now // what a service takes as its clock
	c.Advance(24 * time.Hour)
	fmt.Println(now().Format(time.DateTime))
	// Output: 2026-03-11 01:00:00
}
