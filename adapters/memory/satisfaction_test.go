package memory_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/satisfaction"
	"github.com/dealercrm/dealercrm/satisfaction/satisfactiontest"
)

func TestSatisfactionStore(t *testing.T) {
	satisfactiontest.RunStoreTests(t, func(*testing.T) satisfaction.Store { return memory.NewSatisfactionStore() })
}

func TestSatisfactionService(t *testing.T) {
	satisfactiontest.RunServiceTests(t, func(*testing.T) (crm.Store, satisfaction.Store) {
		return memory.New(), memory.NewSatisfactionStore()
	})
}

func TestSatisfactionEvents(t *testing.T) {
	satisfactiontest.RunEventTests(t, func(*testing.T) (crm.Store, satisfaction.Store, crm.EventStore) {
		s := memory.NewStores()
		return s.CRM, s.Satisfaction, s.Events
	})
}
