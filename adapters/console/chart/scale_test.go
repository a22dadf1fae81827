package chart

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNiceAxisStepsAreOneTwoFiveTimesPowerOfTen(t *testing.T) {
	for _, r := range [][2]float64{
		{0, 1}, {0, 97}, {-3, 7}, {0, 0.013}, {0.81, 0.93}, {0, 12345678}, {-1e6, -2}, {3, 3}, {0, 0}, {-1e300, 1e300}, {1e-9, 2e-9},
	} {
		a := niceAxis(r[0], r[1], 5)
		m := a.step / math.Pow(10, math.Floor(math.Log10(a.step)))
		assert.Contains(t, []float64{1, 2, 5}, math.Round(m*1e9)/1e9, "step %g for %v", a.step, r)
		assert.LessOrEqual(t, a.min, r[0], "axis starts at or below %v", r)
		assert.GreaterOrEqual(t, a.max, r[1], "axis ends at or above %v", r)
		assert.GreaterOrEqual(t, len(a.ticks), 3, "ticks for %v: %v", r, a.ticks)
		assert.LessOrEqual(t, len(a.ticks), 11, "ticks for %v: %v", r, a.ticks)
		for i := 1; i < len(a.ticks); i++ {
			assert.InDelta(t, a.step, a.ticks[i]-a.ticks[i-1], a.step*1e-6, "evenly spaced")
		}
	}
}

func TestTruncateCountsChineseAsTwoColumns(t *testing.T) {
	assert.Equal(t, "首次保养", truncate("首次保养", 8), "fits")
	assert.Equal(t, "首次保…", truncate("首次保养回厂率", 8), "3 characters and … in 8 columns")
	assert.Equal(t, "Renewal…", truncate("Renewal rate", 8))
	assert.Equal(t, "A卡…", truncate("A卡线索转化", 5), "mixed")
	assert.Equal(t, "首…", truncate("首次", 1), "at least one character survives")
}
