package memory_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/apikey"
	"github.com/dealercrm/dealercrm/apikey/apikeytest"
)

func TestKeyStore(t *testing.T) {
	apikeytest.RunStoreTests(t, func(t *testing.T) apikey.Store { return memory.NewKeyStore() })
}
