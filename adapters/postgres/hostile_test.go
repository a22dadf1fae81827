package postgres_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
)

func TestHostileInput(t *testing.T) {
	crmtest.RunHostileInputTests(t, func(t *testing.T) crm.Store { return pgtest.NewStore(t) })
}
