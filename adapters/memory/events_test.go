package memory_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
)

func TestEventStore(t *testing.T) {
	crmtest.RunEventStoreTests(t, func(t *testing.T) (crm.Store, crm.EventStore) {
		s := memory.NewStores()
		return s.CRM, s.Events
	})
}
