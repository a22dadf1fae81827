package content_test

import (
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/internal/content"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
)

type record struct {
	Name   string
	Price  decimal.Decimal
	At     time.Time
	Tags   []string
	Counts map[string]int
	Next   *record
	hidden int
}

// TestEqualAgreesWithDiff checks that Equal, which stops at the first
// difference, says what Diff says.
func TestEqualAgreesWithDiff(t *testing.T) {
	at := time.Date(2024, 3, 1, 9, 30, 0, 0, time.UTC)
	d := decimal.RequireFromString
	tests := []struct {
		name string
		a, b any
		same bool
	}{
		{"Same", record{Name: "a", Price: d("1.50"), At: at}, record{Name: "a", Price: d("1.5"), At: at.In(time.FixedZone("CST", 8*3600))}, true},
		{"NilAndEmpty", record{}, record{Tags: []string{}, Counts: map[string]int{}}, true},
		{"Unexported", record{hidden: 1}, record{hidden: 2}, true},
		{"Name", record{Name: "a"}, record{Name: "b"}, false},
		{"Price", record{Price: d("1.5")}, record{Price: d("1.51")}, false},
		{"Instant", record{At: at}, record{At: at.Add(1)}, false},
		{"Nested", record{Next: &record{Tags: []string{"x"}}}, record{Next: &record{Tags: []string{"y"}}}, false},
		{"NilPointer", record{}, record{Next: &record{}}, false},
		{"MapValue", record{Counts: map[string]int{"a": 1}}, record{Counts: map[string]int{"a": 2}}, false},
		{"Type", record{}, 1, false},
		{"Nil", nil, record{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.same, content.Equal(tc.a, tc.b), "Equal")
			assert.Equal(t, tc.same, len(content.Diff(tc.a, tc.b)) == 0, "Diff: %v", content.Diff(tc.a, tc.b))
		})
	}
}
