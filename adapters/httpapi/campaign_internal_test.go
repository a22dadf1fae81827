package httpapi

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/satisfaction"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCampaignOpenAPIMatchesRoutes: every campaign route is documented and
// routed to itself, alone and next to every other module (no schema name
// clashes).
func TestCampaignOpenAPIMatchesRoutes(t *testing.T) {
	store := memory.New()
	svc := crm.NewService(store)
	csvc, err := campaign.NewService(store, memory.NewCampaignStore())
	require.NoError(t, err)
	base := newTestHandler(t)
	h, ok := NewHandler(svc, WithCampaigns(csvc)).(*handler)
	require.True(t, ok)
	documented := requireRoutesDocumented(t, h)
	assert.Len(t, documented, len(base.patterns)+18, "campaign adds 18 routes")
	assert.Contains(t, string(h.openapi), `"/v1/campaign-segments/preview"`)
	assert.Contains(t, string(h.openapi), `"#/components/schemas/CampaignSegment"`)
	assert.Contains(t, string(h.openapi), `"vehicle.odometer"`, "the segment fields are documented")

	lc, err := lifecycle.NewService(svc, memory.NewTaskStore())
	require.NoError(t, err)
	gr, err := grading.NewService(store, memory.NewGradingStore())
	require.NoError(t, err)
	sat, err := satisfaction.NewService(memory.NewSatisfactionStore())
	require.NoError(t, err)
	all, ok := NewHandler(svc, WithLifecycle(lc), WithGrading(gr), WithSatisfaction(sat), WithCampaigns(csvc)).(*handler)
	require.True(t, ok)
	requireRoutesDocumented(t, all)
}
