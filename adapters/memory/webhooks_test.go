package memory_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/webhook/webhooktest"
)

func newWebhookBackend(t *testing.T) webhooktest.Backend {
	s := memory.NewStores()
	return webhooktest.Backend{Store: s.Webhooks, Events: s.Events, Add: s.CRM.Events().Add}
}

func TestWebhookStore(t *testing.T) { webhooktest.RunStoreTests(t, newWebhookBackend) }

func TestWebhookDelivery(t *testing.T) { webhooktest.RunDeliveryTests(t, newWebhookBackend) }
