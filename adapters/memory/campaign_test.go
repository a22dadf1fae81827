package memory_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/campaign/campaigntest"
	"github.com/dealercrm/dealercrm/crm"
)

func TestCampaignStoreConformance(t *testing.T) {
	campaigntest.RunStoreTests(t, func(*testing.T) campaign.Store { return memory.NewCampaignStore() })
}

func TestCampaignServiceConformance(t *testing.T) {
	campaigntest.RunServiceTests(t, func(*testing.T) (crm.Store, campaign.Store) { return memory.New(), memory.NewCampaignStore() })
}
