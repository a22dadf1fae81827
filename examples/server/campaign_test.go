package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exerciseCampaigns reads the demo store's finished campaigns and the
// funnel of one, and previews a segment that uses the startup grading.
func exerciseCampaigns(t *testing.T, b banner) {
	t.Helper()
	resp, body := request(t, http.MethodGet, b.base+"/v1/campaigns?status=evaluated", b.keys[0], "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	assert.Contains(t, string(body), "春季保养关怀", "the demo's care campaign")
	assert.Contains(t, string(body), "自驾游俱乐部活动", "the demo's club campaign")
	resp, body = request(t, http.MethodGet, b.base+"/v1/campaigns/demo-sh01-spring-care/funnel", b.keys[0], "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	assert.Contains(t, string(body), `"segment":"lapsed"`)
	resp, body = request(t, http.MethodPost, b.base+"/v1/campaign-segments/preview", b.keys[0],
		`{"segment": {"field": "grade", "op": "in", "value": ["A", "B"]}, "sample": 1}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	assert.NotContains(t, string(body), `"count":0`, "graded customers are in the profiles: %s", body)
}
