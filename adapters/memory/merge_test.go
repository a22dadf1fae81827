package memory_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/backend"
	"github.com/dealercrm/dealercrm/backend/backendtest"
	"github.com/dealercrm/dealercrm/crm"
)

func TestMergeCustomers(t *testing.T) {
	backendtest.RunMergeTests(t, func(*testing.T) backend.Stores { return memory.NewStores() }, nil)
}

func TestDuplicateCandidates(t *testing.T) {
	backendtest.RunDuplicateTests(t, func(*testing.T) crm.Store { return memory.New() })
}
