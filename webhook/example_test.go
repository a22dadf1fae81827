package webhook_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/webhook"
)

// Example subscribes a receiver to a dealer's points events and delivers
// one; the receiver checks the signature with Verify.
func Example() {
	ctx := context.Background()
	stores := memory.NewStores()
	var secret string
	received := make(chan string, 1)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify(secret, r.Header, body, time.Now(), 0); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		received <- r.Header.Get("webhook-id")
	}))
	defer receiver.Close()

	// Tests and intranets allow http and private addresses; production
	// keeps the defaults (https, public addresses only).
	opts := []webhook.Option{webhook.AllowHTTP(), webhook.AllowPrivate()}
	svc, err := webhook.NewService(stores.Webhooks, stores.Events, opts...)
	if err != nil {
		log.Fatal(err)
	}
	sub, s, err := svc.Create(ctx, "dealer-1", webhook.Input{URL: receiver.URL, Types: []crm.EventType{crm.EventPointsEarned}})
	if err != nil {
		log.Fatal(err)
	}
	secret = s

	ev := crm.NewEvent("dealer-1", crm.EventPointsEarned, crm.EventSubject{Kind: crm.SubjectCustomer, ID: "c-1"}, time.Now(), map[string]int{"points": 120})
	if err := stores.CRM.Events().Add(ctx, ev); err != nil {
		log.Fatal(err)
	}
	run, err := webhook.NewRunner(stores.Webhooks, stores.Events, opts...)
	if err != nil {
		log.Fatal(err)
	}
	n, err := run.RunOnce(ctx) // or run.Start(ctx) … run.Stop()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("attempts:", n)
	fmt.Println("received, webhook-id = event ID:", <-received == ev.ID)
	sub, _ = svc.Get(ctx, "dealer-1", sub.ID)
	fmt.Println("cursor:", sub.Cursor, sub.State)
	// Output:
	// attempts: 1
	// received, webhook-id = event ID: true
	// cursor: 1 enabled
}
