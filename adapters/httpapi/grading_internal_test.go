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
	slices.Sort(documented)
	registered := slices.Clone(h.patterns)
	slices.Sort(registered)
	assert.Equal(t, registered, documented, "the mux and the OpenAPI document list the same operations")
	assert.Len(t, registered, len(base.patterns)+7, "grading adds 7 routes")
	wildcard := regexp.MustCompile(`\{[^}]+\}`)
	for _, p := range documented {
		method, path, _ := strings.Cut(p, " ")
		req := httptest.NewRequest(method, wildcard.ReplaceAllString(path, "x1"), nil)
		_, pattern := h.mux.Handler(req)
		assert.Equal(t, p, pattern)
	}
	assert.Contains(t, string(h.openapi), `"/v1/grading/runs"`)
	assert.Contains(t, string(h.openapi), `"champions"`, "the segment enumeration is documented")
	assert.Contains(t, string(h.openapi), `"#/components/schemas/GradeState"`, "grading schemas carry a prefix")
}
