package client_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/client"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/grading"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder answers every request with status and body and keeps the last
// request's query and headers.
type recorder struct {
	status int
	ctype  string
	body   string
	query  string
	header http.Header
}

func (rec *recorder) server(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.query, rec.header = r.URL.RawQuery, r.Header.Clone()
		if rec.ctype != "" {
			w.Header().Set("Content-Type", rec.ctype)
		}
		w.WriteHeader(rec.status)
		_, _ = io.WriteString(w, rec.body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestQueryEncoding checks how each kind of parameter is written: dates
// as YYYY-MM-DD, instants in RFC 3339, lists comma-separated, a flag
// asked false as false, numbers without exponent, zero values left out.
func TestQueryEncoding(t *testing.T) {
	rec := &recorder{status: http.StatusOK, body: `{"items":[]}`}
	c, err := client.New(rec.server(t), "key")
	require.NoError(t, err)
	ctx := context.Background()

	no := false
	_, err = c.ListAPIKeys(ctx, client.ListAPIKeysParams{Active: &no})
	require.NoError(t, err)
	assert.Equal(t, "active=false", rec.query)

	_, err = c.ListSales(ctx, client.ListSalesParams{DateFrom: dealercrm.NewDate(2026, 3, 5), CustomerID: "c 1"})
	require.NoError(t, err)
	assert.Equal(t, "customer_id=c+1&date_from=2026-03-05", rec.query)

	at := time.Date(2026, 12, 4, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))
	_, err = c.ListInteractions(ctx, client.ListInteractionsParams{From: at, Limit: 20})
	require.NoError(t, err)
	assert.Equal(t, "from=2026-12-04T09%3A30%3A00%2B08%3A00&limit=20", rec.query)

	_, err = c.ListEvents(ctx, client.ListEventsParams{After: 41, Types: []crm.EventType{crm.EventPointsEarned, crm.EventConsentChanged}})
	require.NoError(t, err)
	assert.Equal(t, "after=41&types=points.earned%2Cconsent.changed", rec.query)

	_, err = c.GetParetoReport(ctx, client.GetParetoReportParams{TopShare: 0.2, Basis: grading.Basis("profit")})
	require.NoError(t, err)
	assert.Equal(t, "basis=profit&top_share=0.2", rec.query)
	assert.Equal(t, "Bearer key", rec.header.Get("Authorization"))
	assert.Empty(t, rec.header.Get("Idempotency-Key"), "a read carries no key")
}

// TestNotProblemDetails: an answer that is not problem details (a proxy's
// error page) keeps its status, and its code follows the status.
func TestNotProblemDetails(t *testing.T) {
	rec := &recorder{status: http.StatusBadGateway, ctype: "text/html", body: "<html>bad gateway</html>"}
	c, err := client.New(rec.server(t), "key", client.WithRetries(0))
	require.NoError(t, err)
	_, err = c.GetDealer(context.Background())
	var apiErr *client.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadGateway, apiErr.Status)
	assert.Equal(t, "unavailable", apiErr.Code)
	assert.Equal(t, "<html>bad gateway</html>", apiErr.Detail)
	assert.ErrorIs(t, err, dealercrm.ErrUnavailable)
	assert.NotErrorIs(t, err, dealercrm.ErrNotFound)
}

func TestNewRefusesABadBaseURL(t *testing.T) {
	for _, u := range []string{"", "crm.example.com", "ftp://crm.example.com", "https://", "https://crm.example.com/?a=1"} {
		_, err := client.New(u, "key")
		assert.ErrorIs(t, err, dealercrm.ErrInvalid, "%q", u)
	}
	c, err := client.New("https://crm.example.com/api/", "key")
	require.NoError(t, err)
	_, err = c.GetCustomer(context.Background(), "")
	assert.ErrorIs(t, err, dealercrm.ErrInvalid, "an empty ID is refused before anything is sent")
}
