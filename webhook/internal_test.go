package webhook

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestBackoff works the backoff out: 5 s doubling to a 1 h cap, jittered
// to between half the wait (jitter 0) and all of it (jitter n-1).
func TestBackoff(t *testing.T) {
	low := &Runner{cfg: newConfig([]Option{WithJitter(func(int64) int64 { return 0 })})}
	high := &Runner{cfg: newConfig([]Option{WithJitter(func(n int64) int64 { return n - 1 })})}
	for _, tc := range []struct {
		attempt   int
		low, high time.Duration
	}{
		{1, 2500 * time.Millisecond, 5 * time.Second},
		{2, 5 * time.Second, 10 * time.Second},
		{3, 10 * time.Second, 20 * time.Second},
		{10, 21*time.Minute + 20*time.Second, 42*time.Minute + 40*time.Second}, // 5 s · 2⁹ = 2560 s
		{11, 30 * time.Minute, time.Hour},                                      // capped
		{500, 30 * time.Minute, time.Hour},
	} {
		assert.Equal(t, tc.low, low.backoff(tc.attempt), "attempt %d, least jitter", tc.attempt)
		assert.Equal(t, tc.high, high.backoff(tc.attempt), "attempt %d, most jitter", tc.attempt)
	}
}
