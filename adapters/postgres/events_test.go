package postgres_test

import (
	"testing"
	"time"

	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
)

func TestEventStore(t *testing.T) {
	crmtest.RunEventStoreTests(t, func(t *testing.T) (crm.Store, crm.EventStore) {
		s := pgtest.NewStore(t)
		return s, s.EventStore().WithPoll(10 * time.Millisecond)
	})
}
