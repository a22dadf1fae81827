package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"
)

// newDealer stores a fixture dealer in s.
func newDealer(t *testing.T, s crm.Store) crm.DealerID {
	t.Helper()
	d := crmtest.Dealer(crm.DealerID(dealercrm.NewID()))
	require.NoError(t, s.Dealers().Create(context.Background(), &d))
	return d.ID
}

// assertNoDriverError asserts that no pgdriver error can be dug out of err:
// domain errors (conflict on a key, not found) do not carry the driver's,
// whose detail holds the key's values. Other storage errors keep theirs
// under a code, for logs.
func assertNoDriverError(t *testing.T, err error) {
	t.Helper()
	var pgErr pgdriver.Error
	assert.False(t, errors.As(err, &pgErr), "no pgdriver.Error leaks: %v", err)
}

func TestErrorConflictNamesTheKey(t *testing.T) {
	ctx := context.Background()
	s := pgtest.NewStore(t)
	dealer := newDealer(t, s)
	owner := crmtest.Customer(dealer, 1)
	require.NoError(t, s.Customers().Create(ctx, &owner))
	v := crmtest.Vehicle(dealer, owner.ID, 1)
	require.NoError(t, s.Vehicles().Create(ctx, &v))

	cases := []struct {
		name, key, constraint string
		change                func(*crm.Vehicle)
	}{
		{"ID", "id", "vehicles_pkey", func(w *crm.Vehicle) { w.ID = v.ID }},
		{"ExternalID", "external_id", "vehicles_external_id_key", func(w *crm.Vehicle) { w.ExternalID = v.ExternalID }},
		{"VIN", "vin", "vehicles_vin_key", func(w *crm.Vehicle) { w.VIN = v.VIN }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := crmtest.Vehicle(dealer, owner.ID, 2)
			tc.change(&w)
			err := s.Vehicles().Create(ctx, &w)
			require.Error(t, err)
			assert.ErrorIs(t, err, crm.ErrConflict)
			assert.Equal(t, dealercrm.Conflict, dealercrm.ErrorCode(err))
			msg := dealercrm.ErrorMessage(err)
			assert.Contains(t, msg, tc.key+" is already taken", "the message names the key")
			assert.Contains(t, msg, tc.constraint, "the message names the constraint")
			assert.NotContains(t, msg, v.VIN, "the key's value (from the driver's detail) is not repeated")
			assertNoDriverError(t, err)
		})
	}
}

func TestErrorNotFound(t *testing.T) {
	ctx := context.Background()
	s := pgtest.NewStore(t)
	dealer := newDealer(t, s)
	_, err := s.Customers().Get(ctx, dealer, "missing")
	assert.ErrorIs(t, err, crm.ErrNotFound)
	assert.Equal(t, dealercrm.NotFound, dealercrm.ErrorCode(err))
	assert.Equal(t, "customer missing not found", dealercrm.ErrorMessage(err))
	assert.False(t, errors.Is(err, sql.ErrNoRows), "sql.ErrNoRows does not leak")
	_, err = s.Dealers().Get(ctx, "missing")
	assert.ErrorIs(t, err, crm.ErrNotFound)
	_, err = s.Dealers().Update(ctx, "missing", func(*crm.Dealer) error { return nil })
	assert.ErrorIs(t, err, crm.ErrNotFound)
}

// TestErrorTextPostgresCannotStore: NUL and invalid UTF-8 are invalid input
// on every write path, never silently changed.
func TestErrorTextPostgresCannotStore(t *testing.T) {
	ctx := context.Background()
	s := pgtest.NewStore(t)
	dealer := newDealer(t, s)
	for _, bad := range []string{"nul\x00byte", "latin1 \xe9"} {
		c := crmtest.Customer(dealer, 1)
		c.Name = bad
		err := s.Customers().Create(ctx, &c)
		assert.Equal(t, dealercrm.Invalid, dealercrm.ErrorCode(err), "Create of %q: %v", bad, err)

		c.Name = "fine"
		require.NoError(t, s.Customers().Create(ctx, &c))
		_, err = s.Customers().Update(ctx, dealer, c.ID, func(c *crm.Customer) error { c.Hobbies = []string{bad}; return nil })
		assert.Equal(t, dealercrm.Invalid, dealercrm.ErrorCode(err), "Update to %q: %v", bad, err)

		items := []crm.Customer{crmtest.Customer(dealer, 2), crmtest.Customer(dealer, 3)}
		items[1].Occupation = bad
		_, err = s.Customers().Upsert(ctx, dealer, items)
		assert.Equal(t, dealercrm.Invalid, dealercrm.ErrorCode(err), "Upsert with %q: %v", bad, err)
		assert.Contains(t, err.Error(), "items[1].occupation", "the error names the item and the column")

		d := crmtest.Dealer(crm.DealerID(dealercrm.NewID()))
		d.Name = bad
		assert.Equal(t, dealercrm.Invalid, dealercrm.ErrorCode(s.Dealers().Create(ctx, &d)), "dealer Create with %q", bad)
		require.NoError(t, s.Customers().Delete(ctx, dealer, c.ID))
	}
}

// TestErrorUnavailable: a server that does not answer gives code
// Unavailable, and the message users see does not show where it was.
func TestErrorUnavailable(t *testing.T) {
	pgtest.DB(t) // skip like the other tests when there is no server at all
	sqldb := sql.OpenDB(pgdriver.NewConnector(
		pgdriver.WithAddr("127.0.0.1:1"), pgdriver.WithInsecure(true), pgdriver.WithDialTimeout(time.Second)))
	db := bun.NewDB(sqldb, pgdialect.New())
	t.Cleanup(func() { _ = db.Close() })
	s, err := postgres.New(db)
	require.NoError(t, err, "New does not connect")

	ctx := context.Background()
	_, err = s.Customers().Get(ctx, "d", "c")
	assert.Equal(t, dealercrm.Unavailable, dealercrm.ErrorCode(err), "%v", err)
	assert.ErrorIs(t, err, dealercrm.ErrUnavailable)
	assert.Equal(t, "postgres: database unavailable", dealercrm.ErrorMessage(err))
	assert.False(t, strings.Contains(dealercrm.ErrorMessage(err), "127.0.0.1"), "no address in the user-facing message")

	err = s.InTx(ctx, func(context.Context, crm.Store) error { return nil })
	assert.Equal(t, dealercrm.Unavailable, dealercrm.ErrorCode(err), "InTx: %v", err)
	err = s.Migrate(ctx)
	assert.Equal(t, dealercrm.Unavailable, dealercrm.ErrorCode(err), "Migrate: %v", err)

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	live := pgtest.NewStore(t)
	_, err = live.Customers().List(cancelled, "d", crm.CustomerFilter{})
	assert.Equal(t, dealercrm.Unavailable, dealercrm.ErrorCode(err), "a cancelled context: %v", err)
	assert.ErrorIs(t, err, context.Canceled, "the context's error stays visible")
}
