package httpapi

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHeavyRoutes checks the heavy flag of the route table with every
// module (issue 12): every report, grading run, import, segment preview,
// audience freeze and export is heavy, and nothing else.
func TestHeavyRoutes(t *testing.T) {
	svc, modules := newModules(t)
	var opts []Option
	for _, m := range modules {
		opts = append(opts, m.opt)
	}
	h, ok := NewHandler(svc, opts...).(*handler)
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
		"GET /v1/customers/duplicates",
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
