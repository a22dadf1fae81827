package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/backend"
	"github.com/dealercrm/dealercrm/backend/backendtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/require"
)

// TestMergeCustomers runs the merge suite; the rows referring to a
// customer are counted in every table of the schema with a column that
// names customers, found in the catalog, so that a new table is covered
// without a change here.
func TestMergeCustomers(t *testing.T) {
	var store *postgres.Store
	backendtest.RunMergeTests(t, func(t *testing.T) backend.Stores {
		store = pgtest.NewStore(t)
		return store.Stores()
	}, func(t *testing.T, dealer crm.DealerID, customer crm.CustomerID) map[string]int {
		return customerRefs(t, store, dealer, customer)
	})
}

// customerRefs counts per table and column the rows of dealer whose
// customer_id, owner_id or referrer_id is customer.
func customerRefs(t *testing.T, s *postgres.Store, dealer crm.DealerID, customer crm.CustomerID) map[string]int {
	t.Helper()
	ctx := context.Background()
	db := pgtest.DB(t)
	rows, err := db.QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = ? AND column_name IN ('customer_id', 'owner_id', 'referrer_id') ORDER BY 1, 2`, s.Schema())
	require.NoError(t, err)
	type col struct{ table, column string }
	var cols []col
	for rows.Next() {
		var c col
		require.NoError(t, rows.Scan(&c.table, &c.column))
		cols = append(cols, c)
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	require.GreaterOrEqual(t, len(cols), 20, "the catalog lists the tables that name customers")
	out := map[string]int{}
	for _, c := range cols {
		var n int
		q := fmt.Sprintf(`SELECT count(*) FROM %q.%q WHERE dealer_id = ? AND %q = ?`, s.Schema(), c.table, c.column)
		require.NoError(t, db.QueryRowContext(ctx, q, string(dealer), string(customer)).Scan(&n))
		out[c.table+"."+c.column] = n
	}
	return out
}

// TestDuplicateCandidates runs the duplicate search suite on the SQL of
// FindDuplicates.
func TestDuplicateCandidates(t *testing.T) {
	backendtest.RunDuplicateTests(t, func(t *testing.T) crm.Store { return pgtest.NewStore(t) })
}
