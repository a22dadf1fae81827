package memory_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
)

func TestAuditStore(t *testing.T) {
	crmtest.RunAuditStoreTests(t, func(t *testing.T) crm.AuditStore { return memory.NewAuditStore() })
}
