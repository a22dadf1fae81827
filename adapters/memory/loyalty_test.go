package memory_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/dealercrm/dealercrm/loyalty/loyaltytest"
)

func TestLoyaltyStoreConformance(t *testing.T) {
	loyaltytest.RunStoreTests(t, func(*testing.T) loyalty.Store { return memory.NewLoyaltyStore() })
}

func TestLoyaltyPrivacy(t *testing.T) {
	loyaltytest.RunPrivacyTests(t, func(*testing.T) (crm.Store, loyalty.Store) { return memory.New(), memory.NewLoyaltyStore() })
}

func TestLoyaltyEvents(t *testing.T) {
	loyaltytest.RunEventTests(t, func(*testing.T) loyaltytest.EventStores {
		s := memory.NewStores()
		return loyaltytest.EventStores{Loyalty: s.Loyalty, Events: s.Events, Writer: s.CRM.Events()}
	})
}
