package httpapi

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/lifecycle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLifecycleOpenAPIMatchesRoutes is TestOpenAPIMatchesRoutes with the
// lifecycle module: its routes are registered and documented alike.
func TestLifecycleOpenAPIMatchesRoutes(t *testing.T) {
	svc := crm.NewService(memory.New())
	lc, err := lifecycle.NewService(svc, memory.NewTaskStore())
	require.NoError(t, err)
	h, ok := NewHandler(svc, WithLifecycle(lc)).(*handler)
	require.True(t, ok)
	documented := requireRoutesDocumented(t, h)
	for _, p := range []string{"GET /v1/tasks", "POST /v1/tasks/{id}/outcome", "GET /v1/vehicles/{id}/plan", "GET /v1/reports/abnormal", "GET /v1/reports/kpis"} {
		assert.Contains(t, documented, p)
	}
}
