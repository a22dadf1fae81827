package httpapi

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGradingOpenAPIMatchesRoutes is TestOpenAPIMatchesRoutes with the
// grading module: every grading route is documented and routed to itself.
func TestGradingOpenAPIMatchesRoutes(t *testing.T) {
	store := memory.New()
	gsvc, err := grading.NewService(store, memory.NewGradingStore())
	require.NoError(t, err)
	base := newTestHandler(t)
	h, ok := NewHandler(crm.NewService(store), WithGrading(gsvc)).(*handler)
	require.True(t, ok)
	documented := requireRoutesDocumented(t, h)
	assert.Len(t, documented, len(base.patterns)+7, "grading adds 7 routes")
	assert.Contains(t, string(h.openapi), `"/v1/grading/runs"`)
	assert.Contains(t, string(h.openapi), `"champions"`, "the segment enumeration is documented")
	assert.Contains(t, string(h.openapi), `"#/components/schemas/GradeState"`, "grading schemas carry a prefix")
}
