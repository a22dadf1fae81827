package postgres_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/messages"
	"github.com/dealercrm/dealercrm/messages/messagestest"
)

func TestMessageStore(t *testing.T) {
	messagestest.RunStoreTests(t, func(t *testing.T) messages.Store { return pgtest.NewStore(t).Messages() })
}
