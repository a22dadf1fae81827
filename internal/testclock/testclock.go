// Package testclock is the clock tests advance by hand: a time.Now that
// stands still until told, safe for concurrent use (a scheduler and the
// test read it at once).
package testclock

import (
	"sync"
	"time"
)

// Clock is a clock a test advances. The zero Clock stands at the zero
// time; New sets it.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New returns a Clock standing at t.
func New(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the time the clock stands at; pass c.Now as a clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set moves the clock to t (back or on): a worked example that jumps to
// 21:30, then to 08:00 the next morning.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}
