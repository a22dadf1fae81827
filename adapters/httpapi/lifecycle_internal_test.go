package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
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
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(h.openapi, &doc))
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	registered := slices.Clone(h.patterns)
	for _, p := range []string{"GET /v1/tasks", "POST /v1/tasks/{id}/outcome", "GET /v1/vehicles/{id}/plan", "GET /v1/reports/abnormal", "GET /v1/reports/kpis"} {
		assert.Contains(t, registered, p)
	}
	slices.Sort(documented)
	slices.Sort(registered)
	assert.Equal(t, registered, documented, "the OpenAPI document lists exactly the registered routes")
	wildcard := regexp.MustCompile(`\{[^}]+\}`)
	for _, p := range documented {
		method, path, _ := strings.Cut(p, " ")
		req := httptest.NewRequest(method, wildcard.ReplaceAllString(path, "x1"), nil)
		_, pattern := h.mux.Handler(req)
		assert.Equal(t, p, pattern)
	}
}
