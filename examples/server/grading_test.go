package main

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exerciseGrading lists the demo store's A customers (the startup run
// graded the group) and reads one's grade with its explanation.
func exerciseGrading(t *testing.T, b banner) {
	t.Helper()
	resp, body := request(t, http.MethodGet, b.base+"/v1/grading/customers?limit=5", b.keys[0], "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	var page struct {
		Items []struct {
			CustomerID string `json:"customer_id"`
			Grade      string `json:"grade"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal(body, &page))
	require.NotEmpty(t, page.Items, "the startup run graded the demo store: %s", body)
	resp, body = request(t, http.MethodGet, b.base+"/v1/grading/customers/"+page.Items[0].CustomerID, b.keys[0], "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	assert.Contains(t, string(body), `"top":[{`, "the grade is explained")
	assert.Contains(t, string(body), `"contact_months"`, "with its service strategy")
}
