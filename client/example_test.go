package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/httpapi"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/client"
	"github.com/dealercrm/dealercrm/crm"
)

// serve starts the HTTP API over memory stores with dealer SH01 and its
// key demo-key — the server a host would run as a service (cmd/dealercrm
// serve, examples/server) — and returns its URL and a function that stops
// it.
func serve() (string, func()) {
	stores := memory.NewStores()
	svc := crm.NewService(stores.CRM)
	if _, err := svc.CreateDealer(context.Background(), crm.Dealer{ID: "SH01", Name: "上海浦东 4S 店"}); err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.NewHandler(svc, httpapi.WithAPIKeys(map[string]crm.DealerID{"demo-key": "SH01"}),
		httpapi.WithEvents(stores.Events)))
	return srv.URL, srv.Close
}

// Example creates a customer, lists the customers page by page and reads
// a validation error.
func Example() {
	baseURL, stop := serve()
	defer stop()
	ctx := context.Background()

	c, err := client.New(baseURL, "demo-key", client.WithLanguage("en"))
	if err != nil {
		log.Fatal(err)
	}
	cu, err := c.CreateCustomer(ctx, client.CustomerInput{Name: "王伟", Mobile: "139 1234 5678", Source: crm.SourceWalkIn})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created", cu.Name, cu.Mobile, "for", cu.DealerID)
	if _, err := c.CreateCustomer(ctx, client.CustomerInput{Name: "李娜", Source: crm.SourceReferral}); err != nil {
		log.Fatal(err)
	}

	// Every customer, one page of one at a time.
	for cu, err := range c.AllCustomers(ctx, client.ListCustomersParams{Limit: 1}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("listed", cu.Name)
	}

	// A customer without a name: 422, naming the field.
	_, err = c.CreateCustomer(ctx, client.CustomerInput{Source: crm.SourceWalkIn})
	var apiErr *client.Error
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.Status, apiErr.Code, apiErr.Fields[0].Field, apiErr.Fields[0].Rule)
	}
	fmt.Println("invalid:", errors.Is(err, dealercrm.ErrInvalid))
	// Output:
	// created 王伟 13912345678 for SH01
	// listed 王伟
	// listed 李娜
	// 422 invalid name required
	// invalid: true
}

// ExampleClient_FollowEvents follows the dealer's event feed from the
// start: a consent answer recorded through the API is an event.
func ExampleClient_FollowEvents() {
	baseURL, stop := serve()
	defer stop()
	ctx := context.Background()
	c, err := client.New(baseURL, "demo-key")
	if err != nil {
		log.Fatal(err)
	}
	cu, err := c.CreateCustomer(ctx, client.CustomerInput{Name: "王伟", Source: crm.SourceWalkIn})
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.SetCustomerConsent(ctx, cu.ID, client.ConsentInput{Purpose: crm.PurposeMarketing,
		Channel: crm.ChannelSMS, Granted: true, Source: "showroom form"})
	if err != nil {
		log.Fatal(err)
	}

	// Keep e.Seq to follow on from there after a restart (p.After).
	for e, err := range c.FollowEvents(ctx, client.ListEventsParams{}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(e.Seq, e.Type, e.Subject.Kind, e.Subject.ID == string(cu.ID))
		break
	}
	// Output:
	// 1 consent.changed customer true
}

// ExampleNewIdempotencyKey shows the key of a command that moves points:
// made once, kept with the command, sent with every attempt.
func ExampleNewIdempotencyKey() {
	key := client.NewIdempotencyKey()
	fmt.Println(len(key))
	// A retry of c.PostEarning(ctx, key, in) with the same key and input
	// answers the first receipt, with Replayed set.
	// Output: 36
}
