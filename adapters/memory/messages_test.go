package memory_test

import (
	"github.com/dealercrm/dealercrm/backend"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/messages"
	"github.com/dealercrm/dealercrm/messages/messagestest"
)

func TestMessageStore(t *testing.T) {
	messagestest.RunStoreTests(t, func(*testing.T) messages.Store { return memory.NewMessageStore() })
}

func TestMessageService(t *testing.T) {
	messagestest.RunServiceTests(t, func(*testing.T) backend.Stores { return memory.NewStores() })
}
