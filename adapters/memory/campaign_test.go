package memory_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/campaign/campaigntest"
)

func TestCampaignStoreConformance(t *testing.T) {
	campaigntest.RunStoreTests(t, func(*testing.T) campaign.Store { return memory.NewCampaignStore() })
}
