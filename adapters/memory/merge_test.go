package memory_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/backend"
	"github.com/dealercrm/dealercrm/backend/backendtest"
)

func TestMergeCustomers(t *testing.T) {
	backendtest.RunMergeTests(t, func(*testing.T) backend.Stores { return memory.NewStores() }, nil)
}
