package memory_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/grading/gradingtest"
)

func TestGradingStoreConformance(t *testing.T) {
	gradingtest.RunStoreTests(t, func(*testing.T) grading.Store { return memory.NewGradingStore() })
}
