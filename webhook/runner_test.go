package webhook_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/webhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// attempt makes a subscription of a new memory backend to url, writes one
// event, runs the runner once with opts and returns the attempt's log
// entry.
func attempt(t *testing.T, url string, opts ...webhook.Option) webhook.Delivery {
	t.Helper()
	ctx := context.Background()
	stores := memory.NewStores()
	svc, err := webhook.NewService(stores.Webhooks, stores.Events, webhook.AllowHTTP(), webhook.AllowPrivate())
	require.NoError(t, err)
	sub, _, err := svc.Create(ctx, "d1", webhook.Input{URL: url})
	require.NoError(t, err)
	require.NoError(t, stores.CRM.Events().Add(ctx, crm.NewEvent("d1", crm.EventTaskDone, crm.EventSubject{Kind: crm.SubjectTask, ID: "t1"}, time.Now(), struct{}{})))
	run, err := webhook.NewRunner(stores.Webhooks, stores.Events, append([]webhook.Option{webhook.AllowHTTP()}, opts...)...)
	require.NoError(t, err)
	n, err := run.RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n, "one attempt")
	log, err := svc.Deliveries(ctx, "d1", sub.ID, webhook.DeliveryFilter{})
	require.NoError(t, err)
	require.Len(t, log.Items, 1)
	return log.Items[0]
}

func TestRunnerRefusesPrivateAddresses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("a loopback receiver is reached without AllowPrivate")
	}))
	defer srv.Close()
	// The URL names localhost: the name passes the subscription's check,
	// and the dial refuses the address it resolves to.
	url := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	d := attempt(t, url)
	assert.False(t, d.OK())
	assert.Zero(t, d.Status)
	assert.Contains(t, d.Error, "is not a public address")
}

func TestRunnerFollowsNoRedirect(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the redirect was followed")
	}))
	defer target.Close()
	srv := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	defer srv.Close()
	d := attempt(t, srv.URL, webhook.AllowPrivate())
	assert.False(t, d.OK())
	assert.Equal(t, http.StatusTemporaryRedirect, d.Status, "a redirect is a failure")
}

func TestRunnerClipsTheAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(strings.Repeat("x", 1<<20)))
	}))
	defer srv.Close()
	d := attempt(t, srv.URL, webhook.AllowPrivate())
	assert.Equal(t, http.StatusInternalServerError, d.Status)
	assert.True(t, strings.HasPrefix(d.Error, "status 500: xxx"), d.Error)
	assert.LessOrEqual(t, len(d.Error), 500, "the log keeps at most 500 bytes of an error")
}

func TestNewRunnerChecksTheLease(t *testing.T) {
	stores := memory.NewStores()
	_, err := webhook.NewRunner(stores.Webhooks, stores.Events, webhook.WithTimeout(time.Minute), webhook.WithLease(time.Second))
	assert.Error(t, err, "a lease shorter than a request could end under a live worker")
}
