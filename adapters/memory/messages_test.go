package memory_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/messages"
	"github.com/dealercrm/dealercrm/messages/messagestest"
)

func TestMessageStore(t *testing.T) {
	messagestest.RunStoreTests(t, func(*testing.T) messages.Store { return memory.NewMessageStore() })
}
