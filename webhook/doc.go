// Package webhook delivers a dealer's events (crm.Event, SPEC §8) to the
// host's systems as signed HTTP POSTs: subscriptions, delivery at least
// once in sequence order, a delivery log, disabling and replay.
//
// It is an integration package, not a domain one: it speaks HTTP
// (net/http) to receivers, and keeps its state behind a Store port with a
// memory and a Postgres implementation (adapters/memory,
// adapters/postgres; backend.Stores.Webhooks).
//
// # Subscriptions
//
// A Subscription is a dealer's URL, the event types it wants (all when
// none are named) and a secret ("whsec_…", shown once). Service checks
// and manages them: Create (the subscription starts after the dealer's
// last event, or after the sequence number given), Update (URL, types,
// enabled or disabled by hand), Delete, Replay (from a sequence number:
// the cursor goes back and the subscription is enabled) and Deliveries
// (the log of attempts, newest first, kept 7 days by default). A URL is
// absolute, https (http only with AllowHTTP), without user info, at most
// MaxURL bytes; receivers at loopback, private or link-local addresses
// are refused unless AllowPrivate — checked again on every dial, after
// DNS, so that a name that resolves to the host's own network later
// (DNS rebinding) is refused too.
//
// # Delivery
//
// A Runner claims due subscriptions (Store.Claim: a lease on each, so
// that runners on several replicas share the work and no subscription
// has two workers at once), reads the events after each one's cursor
// (crm.EventStore.List, filtered by its types) and POSTs them one by one
// in sequence order: the JSON of the crm.Event, with the Standard
// Webhooks headers webhook-id (the event ID), webhook-timestamp and
// webhook-signature ("v1," and the base64 HMAC-SHA256 of id.timestamp.body
// under the secret's key: Sign, Verify). The cursor moves after each 2xx.
// A crash between the 2xx and the cursor's write sends the event again:
// delivery is at least once, and receivers deduplicate on webhook-id.
// Sequence order implies order per subject (the record an event is
// about).
//
// A failed attempt (no answer, a timeout, a status other than 2xx — a
// redirect too) holds the subscription at that event: it is tried again
// after a backoff that doubles from WithBackoff's first wait to its cap,
// with jitter; after DisableAfter (3 days) of failure the subscription is
// disabled with the reason (the last status or error), and waits for a
// replay or an update that enables it.
//
//	svc, _ := webhook.NewService(stores.Webhooks, stores.Events)
//	sub, secret, err := svc.Create(ctx, dealer, webhook.Input{URL: "https://dms.example/hooks"})
//	run, _ := webhook.NewRunner(stores.Webhooks, stores.Events)
//	run.Start(ctx)
//	defer run.Stop()
//
// Receivers verify requests with any Standard Webhooks library, or with
// Verify.
package webhook
