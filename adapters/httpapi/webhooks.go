package httpapi

import (
	"net/http"
	"reflect"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/webhook"
)

// WithWebhooks serves the dealer's webhook subscriptions (package
// webhook) to a principal with permission webhooks.manage (the admin):
//
//	GET    /v1/webhooks                   the dealer's subscriptions (state)
//	POST   /v1/webhooks                   a new subscription: 201 with its secret, shown this once
//	GET    /v1/webhooks/{id}              one subscription (never its secret)
//	PATCH  /v1/webhooks/{id}              change its URL or types, disable or enable it
//	DELETE /v1/webhooks/{id}              remove it and its delivery log
//	POST   /v1/webhooks/{id}/replay       deliver again from a sequence number ({"from": seq}), enabling it
//	GET    /v1/webhooks/{id}/deliveries   its delivery log, newest first (failed)
//
// Delivery itself is a webhook.Runner's, which the host runs beside the
// handler.
func WithWebhooks(svc *webhook.Service) Option {
	return func(c *config) {
		c.modules = append(c.modules, module{routes: func() []route { return webhookRoutes(svc) }, schemas: webhookSchemas})
	}
}

// newWebhook is the answer of a subscription's creation.
type newWebhook struct {
	Webhook webhook.Subscription `json:"webhook"`
	// Secret signs the deliveries ("whsec_…"), shown this once.
	Secret string `json:"secret"`
}

// replayInput is the body of POST /v1/webhooks/{id}/replay.
type replayInput struct {
	// From is the first sequence number delivered again (from 1).
	From int64 `json:"from"`
}

func webhookSchemas(r *schemaRegistry) {
	r.addNames(map[reflect.Type]string{
		reflect.TypeFor[webhook.Subscription](): "Webhook",
		reflect.TypeFor[webhook.Input]():        "WebhookInput",
		reflect.TypeFor[webhook.Update]():       "WebhookUpdate",
		reflect.TypeFor[webhook.Delivery]():     "WebhookDelivery",
		reflect.TypeFor[newWebhook]():           "NewWebhook",
		reflect.TypeFor[replayInput]():          "WebhookReplay",
	})
	addEnum(r, webhook.States()...)
	addEnum(r, crm.EventTypes()...)
	r.docs["Webhook"] = "A webhook subscription: the URL that receives the dealer's events (of the types listed; all when none), signed by the Standard Webhooks convention, in sequence order from the cursor; its state, and while failing, its attempts. The secret is never shown again."
	r.docs["NewWebhook"] = "A subscription just made, with its secret: the only time the secret is shown. Verify each delivery's webhook-signature with it (any Standard Webhooks library)."
	r.docs["WebhookDelivery"] = "One attempt at delivering an event: its status (0 when no answer came), duration and error."
}

func webhookRoutes(svc *webhook.Service) []route {
	const tag = "Webhooks"
	params := paged(func(f *webhook.Filter) *crm.PageRequest { return &f.PageRequest },
		enumParam("state", "The subscriptions in this state.", func(f *webhook.Filter) *webhook.State { return &f.State }))
	logParams := paged(func(f *webhook.DeliveryFilter) *crm.PageRequest { return &f.PageRequest },
		boolParam("failed", "Only the failed attempts.", func(f *webhook.DeliveryFilter) *bool { return &f.Failed }))
	id := func(c *call) webhook.ID { return webhook.ID(c.r.PathValue("id")) }
	return []route{
		query(route{method: http.MethodGet, path: "/v1/webhooks", op: "listWebhooks", tag: tag,
			summary: "List the webhook subscriptions of the key's dealer, in ID order (never their secrets)",
			status:  http.StatusOK, result: reflect.TypeFor[webhook.Subscription](), list: true},
			params, forDealer(svc.List)),
		command(route{method: http.MethodPost, path: "/v1/webhooks", op: "createWebhook", tag: tag,
			summary: "Subscribe a URL to the dealer's events (https; the types listed, all when none): 201 with the secret, shown this once; delivery starts after the dealer's latest event unless after is given",
			status:  http.StatusCreated, location: "the new subscription"},
			func(c *call, in webhook.Input) (newWebhook, error) {
				s, secret, err := svc.Create(c.r.Context(), c.dealer, in)
				return created(c, "webhooks", s.ID, newWebhook{Webhook: s, Secret: secret}, err)
			}),
		byID(route{method: http.MethodGet, path: "/v1/webhooks/{id}", op: "getWebhook", tag: tag,
			summary: "Get a webhook subscription of the key's dealer: its state, cursor and failures (never its secret)", status: http.StatusOK},
			svc.Get),
		command(route{method: http.MethodPatch, path: "/v1/webhooks/{id}", op: "updateWebhook", tag: tag,
			summary: "Change a subscription's URL or types, or disable or enable it (enabled again, it goes on from its cursor, its failures forgotten); absent fields are left alone",
			status:  http.StatusOK},
			forID(svc.Update)),
		fetch(route{method: http.MethodDelete, path: "/v1/webhooks/{id}", op: "deleteWebhook", tag: tag,
			summary: "Remove a subscription and its delivery log", status: http.StatusNoContent},
			func(c *call) (struct{}, error) { return struct{}{}, svc.Delete(c.r.Context(), c.dealer, id(c)) }),
		command(route{method: http.MethodPost, path: "/v1/webhooks/{id}/replay", op: "replayWebhook", tag: tag,
			summary: "Deliver a subscription's events again from sequence number from (inclusive), and enable it; events past their retention are skipped",
			status:  http.StatusOK},
			func(c *call, in replayInput) (webhook.Subscription, error) {
				return svc.Replay(c.r.Context(), c.dealer, id(c), in.From)
			}),
		query(route{method: http.MethodGet, path: "/v1/webhooks/{id}/deliveries", op: "listWebhookDeliveries", tag: tag,
			summary: "List a subscription's delivery attempts, newest first (kept 7 days)",
			status:  http.StatusOK, result: reflect.TypeFor[webhook.Delivery](), list: true},
			logParams, func(c *call, f webhook.DeliveryFilter) (crm.Page[webhook.Delivery], error) {
				return svc.Deliveries(c.r.Context(), c.dealer, id(c), f)
			}),
	}
}
