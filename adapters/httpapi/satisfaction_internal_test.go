package httpapi

import (
	"encoding/json"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/satisfaction"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSatisfactionOpenAPIMatchesRoutes is TestOpenAPIMatchesRoutes with the
// satisfaction module: every registered pattern is documented, every
// documented operation is registered and routed to itself.
func TestSatisfactionOpenAPIMatchesRoutes(t *testing.T) {
	ssvc, err := satisfaction.NewService(memory.NewSatisfactionStore())
	require.NoError(t, err)
	base := newTestHandler(t)
	h, ok := NewHandler(crm.NewService(memory.New()), WithSatisfaction(ssvc)).(*handler)
	require.True(t, ok)
	documented := requireRoutesDocumented(t, h)
	assert.Len(t, documented, len(base.patterns)+14, "satisfaction adds 14 routes")
	var doc struct {
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal(h.openapi, &doc))
	for _, p := range []string{"POST /v1/ahp/weights", "POST /v1/ahp/hierarchy", "POST /v1/questionnaires",
		"POST /v1/survey-responses", "GET /v1/reports/csi", "GET /v1/reports/satisfaction-priorities"} {
		assert.Contains(t, documented, p)
	}
	s := doc.Components.Schemas
	require.Contains(t, s, "ComparisonMatrix", "the matrix's own JSON form is documented")
	assert.Contains(t, string(h.openapi), `"1/3"`, "the matrix schema shows fraction strings")
	for name, want := range map[string]string{"AHPMethod": "geometric_mean", "Scale": "likert5", "RandomIndex": "donegan_dodd",
		"Department": "service", "Quadrant": "fix_first", "Granularity": "quarter"} {
		require.Contains(t, s, name)
		assert.Contains(t, s[name]["enum"], want, "enumeration %s", name)
	}
}
