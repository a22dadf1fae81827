package httpapi

import (
	"slices"
	"strings"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/campaign"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/dealercrm/dealercrm/satisfaction"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHeavyRoutes checks the heavy flag of the route table with every
// module (issue 12): every report, grading run, import, segment preview,
// audience freeze and export is heavy, and nothing else.
func TestHeavyRoutes(t *testing.T) {
	store := memory.New()
	svc := crm.NewService(store)
	lc, err := lifecycle.NewService(svc, memory.NewTaskStore())
	require.NoError(t, err)
	gr, err := grading.NewService(store, memory.NewGradingStore())
	require.NoError(t, err)
	sat, err := satisfaction.NewService(memory.NewSatisfactionStore())
	require.NoError(t, err)
	club, err := loyalty.NewService(store, memory.NewLoyaltyStore())
	require.NoError(t, err)
	cs, err := campaign.NewService(store, memory.NewCampaignStore())
	require.NoError(t, err)
	h, ok := NewHandler(svc, WithLifecycle(lc), WithGrading(gr), WithSatisfaction(sat), WithLoyalty(club), WithCampaigns(cs)).(*handler)
	require.True(t, ok)
	var heavy []string
	for _, rt := range h.routes {
		if rt.heavy {
			heavy = append(heavy, rt.pattern())
		}
		if strings.HasPrefix(rt.path, "/v1/reports/") {
			assert.True(t, rt.heavy, "%s is a report: heavy", rt.pattern())
		}
	}
	slices.Sort(heavy)
	assert.Equal(t, []string{
		"GET /v1/campaigns/{id}/funnel",
		"GET /v1/campaigns/{id}/uplift",
		"GET /v1/customers/{id}/export",
		"GET /v1/grading/pareto",
		"GET /v1/grading/rfm",
		"GET /v1/loyalty/liability",
		"GET /v1/reports/abnormal",
		"GET /v1/reports/channels",
		"GET /v1/reports/comebacks",
		"GET /v1/reports/csi",
		"GET /v1/reports/kpis",
		"GET /v1/reports/satisfaction-priorities",
		"GET /v1/reports/value-chain",
		"POST /v1/campaign-profiles/refresh",
		"POST /v1/campaign-segments/preview",
		"POST /v1/campaigns/{id}/attribution",
		"POST /v1/campaigns/{id}/audience",
		"POST /v1/grading/runs",
		"POST /v1/import",
	}, heavy)
}
