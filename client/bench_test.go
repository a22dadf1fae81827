package client_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/client"
	"github.com/dealercrm/dealercrm/crm"
)

// BenchmarkGetCustomer reads one customer through the client and, for
// comparison, with a bare net/http request and encoding/json, on the
// same loopback server over memory stores: the difference is the
// client's own cost.
func BenchmarkGetCustomer(b *testing.B) {
	// Without the keys' rate limit, which a loop of reads meets (and the
	// client then waits its Retry-After).
	c, srv := newServer(b, memory.NewStores(), httpapi.WithRateLimit(0, 0))
	ctx := context.Background()
	cu, err := c.CreateCustomer(ctx, client.CustomerInput{Name: "王伟", Mobile: "13912345678", Source: crm.SourceWalkIn})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("client", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.GetCustomer(ctx, cu.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("net-http", func(b *testing.B) {
		for b.Loop() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/v1/customers/%s", srv.URL, cu.ID), nil)
			req.Header.Set("Authorization", "Bearer "+keyA)
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != http.StatusOK {
				b.Fatal(err, resp.Status)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
	})
}
