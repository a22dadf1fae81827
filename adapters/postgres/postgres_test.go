package postgres_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
)

// TestStore runs the crm conformance suite; every subtest gets a fresh,
// migrated schema of its own.
func TestStore(t *testing.T) {
	crmtest.RunStoreTests(t, func(t *testing.T) crm.Store { return pgtest.NewStore(t) })
}
