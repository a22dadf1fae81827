package postgres_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/webhook/webhooktest"
)

func newWebhookBackend(t *testing.T) webhooktest.Backend {
	s := pgtest.NewStore(t)
	return webhooktest.Backend{Store: s.Webhooks(), Events: s.EventStore(), Add: s.Events().Add}
}

func TestWebhookStore(t *testing.T) { webhooktest.RunStoreTests(t, newWebhookBackend) }

func TestWebhookDelivery(t *testing.T) { webhooktest.RunDeliveryTests(t, newWebhookBackend) }
