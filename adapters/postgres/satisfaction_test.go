package postgres_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/satisfaction"
	"github.com/dealercrm/dealercrm/satisfaction/satisfactiontest"
)

func TestSatisfactionStore(t *testing.T) {
	satisfactiontest.RunStoreTests(t, func(t *testing.T) satisfaction.Store {
		return pgtest.NewStore(t).Satisfaction()
	})
}

func TestSatisfactionService(t *testing.T) {
	satisfactiontest.RunServiceTests(t, func(t *testing.T) (crm.Store, satisfaction.Store) {
		s := pgtest.NewStore(t)
		return s, s.Satisfaction()
	})
}

func TestSatisfactionEvents(t *testing.T) {
	satisfactiontest.RunEventTests(t, func(t *testing.T) (crm.Store, satisfaction.Store, crm.EventStore) {
		s := pgtest.NewStore(t)
		return s, s.Satisfaction(), s.EventStore()
	})
}
