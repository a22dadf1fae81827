package memory_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/grading/gradingtest"
)

func TestGradingStoreConformance(t *testing.T) {
	gradingtest.RunStoreTests(t, func(*testing.T) grading.Store { return memory.NewGradingStore() })
}

func TestGradingServiceConformance(t *testing.T) {
	gradingtest.RunServiceTests(t, func(*testing.T) (crm.Store, grading.Store) { return memory.New(), memory.NewGradingStore() })
}
