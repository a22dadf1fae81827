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

// TestErrorConflictNamesTheKey: a taken key is a *crm.ConflictError naming
// the field in words a client can act on, without the value, the
// constraint or the SQLSTATE, and without the driver's error.
func TestErrorConflictNamesTheKey(t *testing.T) {
	ctx := context.Background()
	s := pgtest.NewStore(t)
	dealer := newDealer(t, s)
	owner := crmtest.Customer(dealer, 1)
	require.NoError(t, s.Customers().Create(ctx, &owner))
	v := crmtest.Vehicle(dealer, owner.ID, 1)
	require.NoError(t, s.Vehicles().Create(ctx, &v))

	cases := []struct {
		name, key string
		change    func(*crm.Vehicle)
	}{
		{"ID", "id", func(w *crm.Vehicle) { w.ID = v.ID }},
		{"ExternalID", "external_id", func(w *crm.Vehicle) { w.ExternalID = v.ExternalID }},
		{"VIN", "vin", func(w *crm.Vehicle) { w.VIN = v.VIN }},
		{"IDFirst", "id", func(w *crm.Vehicle) { w.ID, w.ExternalID, w.VIN = v.ID, v.ExternalID, v.VIN }},
		{"ExternalIDBeforeVIN", "external_id", func(w *crm.Vehicle) { w.ExternalID, w.VIN = v.ExternalID, v.VIN }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := crmtest.Vehicle(dealer, owner.ID, 2)
			tc.change(&w)
			err := s.Vehicles().Create(ctx, &w)
			require.Error(t, err)
			assert.ErrorIs(t, err, crm.ErrConflict)
			var ce *crm.ConflictError
			require.ErrorAs(t, err, &ce, "a taken key is a *crm.ConflictError")
			assert.Equal(t, crm.ConflictError{Entity: "vehicle", Field: tc.key}, *ce)
			assert.Equal(t, tc.key+" is already registered to another vehicle of this dealer", dealercrm.ErrorMessage(err))
			assert.NotContains(t, err.Error(), v.VIN, "the key's value is not repeated")
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
	assert.Equal(t, "the database is unavailable; retry later", dealercrm.ErrorMessage(err))
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

// TestTranslateNamesNothing: the errors translate makes of real Postgres
// failures are decided by SQLSTATE alone and their messages name no
// SQLSTATE, constraint or store (issue 12): a unique violation is a
// Conflict for races insert-or-detect cannot see, a value Postgres refuses
// (22xxx, such as a NUL escape in jsonb) is Invalid, not 500.
func TestTranslateNamesNothing(t *testing.T) {
	ctx := context.Background()
	db, schema := pgtest.Schema(t)
	tbl := `"` + schema + `".k`
	_, err := db.ExecContext(ctx, "CREATE TABLE "+tbl+" (dealer_id text, id text, CONSTRAINT k_pkey PRIMARY KEY (dealer_id, id))")
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, "INSERT INTO "+tbl+" VALUES ('d', '13800138000')")
	require.NoError(t, err)

	cases := []struct {
		name, sql string
		code      dealercrm.Code
		message   string
	}{
		{"UniqueViolation", "INSERT INTO " + tbl + " VALUES ('d', '13800138000')", dealercrm.Conflict,
			"customer: a unique value was taken by another write at the same time; retry or change it"},
		{"NULInJSON", `SELECT '"\u0000"'::jsonb`, dealercrm.Invalid,
			"customer: a value is out of range or not valid for the database"},
		{"DateOutOfRange", "SELECT '5874897-12-31'::date + 1", dealercrm.Invalid,
			"customer: a value is out of range or not valid for the database"},
		{"NotNull", "INSERT INTO " + tbl + " VALUES ('d', NULL)", dealercrm.Invalid,
			"customer: a value is out of range or not valid for the database"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.ExecContext(ctx, tc.sql)
			require.Error(t, err, "Postgres refuses the statement")
			got := postgres.Translate("customer", err)
			assert.Equal(t, tc.code, dealercrm.ErrorCode(got), "%v", got)
			assert.Equal(t, tc.message, dealercrm.ErrorMessage(got))
			crmtest.AssertCleanMessage(t, errors.New(dealercrm.ErrorMessage(got)))
			assert.NotContains(t, dealercrm.ErrorMessage(got), "13800138000", "no value from the driver's detail")
		})
	}
}
