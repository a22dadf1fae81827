package postgres_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/backend"
	"github.com/dealercrm/dealercrm/messages"
	"github.com/dealercrm/dealercrm/messages/messagestest"
)

func TestMessageStore(t *testing.T) {
	messagestest.RunStoreTests(t, func(t *testing.T) messages.Store { return pgtest.NewStore(t).Messages() })
}

func TestMessageService(t *testing.T) {
	messagestest.RunServiceTests(t, func(t *testing.T) backend.Stores { return pgtest.NewStore(t).Stores() })
}
