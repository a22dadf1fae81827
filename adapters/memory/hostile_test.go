package memory_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
)

func TestHostileInput(t *testing.T) {
	crmtest.RunHostileInputTests(t, func(*testing.T) crm.Store { return memory.New() })
}
