package postgres_test

import (
	"testing"

	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/loyalty"
	"github.com/dealercrm/dealercrm/loyalty/loyaltytest"
)

// TestLoyaltyStoreConformance runs the loyalty suite on Postgres, the
// concurrency cases (50 redemptions of 100 from 1,000 points; 20 retries of
// one posting) included.
func TestLoyaltyStoreConformance(t *testing.T) {
	loyaltytest.RunStoreTests(t, func(t *testing.T) loyalty.Store { return pgtest.NewStore(t).Loyalty() })
}
