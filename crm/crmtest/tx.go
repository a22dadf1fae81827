package crmtest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/dealercrm/dealercrm/crm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// txEnv is one transaction test: a fresh store with one dealer.
type txEnv struct {
	s      crm.Store
	dealer crm.DealerID
}

func runTxTests(t *testing.T, newStore func(*testing.T) crm.Store) {
	tests := []struct {
		name string
		run  func(*testing.T, txEnv)
	}{
		{"Commit", testTxCommit},
		{"RollbackOnError", testTxRollbackOnError},
		{"RollbackOnPanic", testTxRollbackOnPanic},
		{"Nested", testTxNested},
		{"NestedRollback", testTxNestedRollback},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			tc.run(t, txEnv{s: s, dealer: newDealer(t, s)})
		})
	}
}

// steps runs fns in order and returns the first error, naming its step.
func steps(fns ...func() error) error {
	for i, fn := range fns {
		if err := fn(); err != nil {
			return fmt.Errorf("step %d: %w", i+1, err)
		}
	}
	return nil
}

var errRollback = errors.New("crmtest: roll back")

func (e txEnv) assertCustomer(t *testing.T, want crm.Customer, msg string) {
	t.Helper()
	got, err := e.s.Customers().Get(t.Context(), e.dealer, want.ID)
	require.NoError(t, err, "%s: Get of customer", msg)
	Equal(t, want, got, msg)
}

func (e txEnv) assertNoCustomer(t *testing.T, id crm.CustomerID, msg string) {
	t.Helper()
	_, err := e.s.Customers().Get(t.Context(), e.dealer, id)
	assert.ErrorIs(t, err, crm.ErrNotFound, msg)
}

func (e txEnv) assertNoVehicle(t *testing.T, id crm.VehicleID, msg string) {
	t.Helper()
	_, err := e.s.Vehicles().Get(t.Context(), e.dealer, id)
	assert.ErrorIs(t, err, crm.ErrNotFound, msg)
}

func testTxCommit(t *testing.T, e txEnv) {
	c := Customer(e.dealer, 1)
	v := Vehicle(e.dealer, c.ID, 1)
	changed := c.Clone()
	mutate := customerSpec().mutate
	mutate(&changed)

	err := e.s.InTx(t.Context(), func(ctx context.Context, tx crm.Store) error {
		return steps(
			func() error { return tx.Customers().Create(ctx, &c) },
			func() error { return tx.Vehicles().Create(ctx, &v) },
			func() error {
				got, err := tx.Customers().Get(ctx, e.dealer, c.ID)
				if err != nil {
					return err
				}
				Equal(t, c, got, "Get inside the transaction sees its own Create")
				return nil
			},
			func() error {
				got, err := tx.Vehicles().GetByExternalID(ctx, e.dealer, v.ExternalID)
				if err != nil {
					return err
				}
				Equal(t, v, got, "GetByExternalID inside the transaction sees its own Create")
				return nil
			},
			func() error {
				p, err := tx.Vehicles().List(ctx, e.dealer, crm.VehicleFilter{OwnerID: c.ID})
				if err != nil {
					return err
				}
				assert.Len(t, p.Items, 1, "List inside the transaction sees its own Create")
				return nil
			},
			func() error {
				m, err := tx.Customers().ResolveExternalIDs(ctx, e.dealer, []string{c.ExternalID})
				if err != nil {
					return err
				}
				assert.Equal(t, map[string]crm.CustomerID{c.ExternalID: c.ID}, m, "ResolveExternalIDs inside the transaction sees its own Create")
				return nil
			},
			func() error {
				_, err := tx.Customers().Update(ctx, e.dealer, c.ID, func(x *crm.Customer) error { mutate(x); return nil })
				return err
			},
			func() error {
				got, err := tx.Customers().Get(ctx, e.dealer, c.ID)
				if err != nil {
					return err
				}
				Equal(t, changed, got, "Get inside the transaction sees its own Update")
				return nil
			},
		)
	})
	require.NoError(t, err, "InTx whose fn succeeds")
	e.assertCustomer(t, changed, "the customer written in the transaction is committed")
	got, err := e.s.Vehicles().Get(t.Context(), e.dealer, v.ID)
	require.NoError(t, err, "the vehicle written in the transaction is committed")
	Equal(t, v, got, "the committed vehicle")
}

func testTxRollbackOnError(t *testing.T, e txEnv) {
	ctx := t.Context()
	kept, gone := Customer(e.dealer, 1), Customer(e.dealer, 2)
	require.NoError(t, e.s.Customers().Create(ctx, &kept), "Create")
	require.NoError(t, e.s.Customers().Create(ctx, &gone), "Create")
	dealer, err := e.s.Dealers().Get(ctx, e.dealer)
	require.NoError(t, err, "Get of the dealer")
	c := Customer(e.dealer, 3)
	v := Vehicle(e.dealer, c.ID, 3)
	up := Customer(e.dealer, 4)
	other := Dealer(newDealerID())

	err = e.s.InTx(ctx, func(ctx context.Context, tx crm.Store) error {
		err := steps(
			func() error { return tx.Customers().Create(ctx, &c) },
			func() error { return tx.Vehicles().Create(ctx, &v) },
			func() error {
				_, err := tx.Customers().Update(ctx, e.dealer, kept.ID, func(x *crm.Customer) error { x.Name = "changed"; return nil })
				return err
			},
			func() error { return tx.Customers().Delete(ctx, e.dealer, gone.ID) },
			func() error { _, err := tx.Customers().Upsert(ctx, e.dealer, []crm.Customer{up}); return err },
			func() error { return tx.Dealers().Create(ctx, &other) },
			func() error {
				_, err := tx.Dealers().Update(ctx, e.dealer, func(d *crm.Dealer) error { d.Name = "changed"; return nil })
				return err
			},
		)
		if err != nil {
			return err
		}
		return errRollback
	})
	assert.ErrorIs(t, err, errRollback, "InTx returns fn's error")

	e.assertNoCustomer(t, c.ID, "a Create in a rolled-back transaction is undone")
	e.assertNoVehicle(t, v.ID, "a Create in a rolled-back transaction is undone, in every store")
	e.assertCustomer(t, kept, "an Update in a rolled-back transaction is undone")
	e.assertCustomer(t, gone, "a Delete in a rolled-back transaction is undone")
	e.assertNoCustomer(t, up.ID, "an Upsert in a rolled-back transaction is undone")
	_, err = e.s.Dealers().Get(ctx, other.ID)
	assert.ErrorIs(t, err, crm.ErrNotFound, "a dealer created in a rolled-back transaction is undone")
	got, err := e.s.Dealers().Get(ctx, e.dealer)
	require.NoError(t, err, "Get of the dealer")
	Equal(t, dealer, got, "a dealer update in a rolled-back transaction is undone")
}

func testTxRollbackOnPanic(t *testing.T, e txEnv) {
	ctx := t.Context()
	c := Customer(e.dealer, 1)
	assert.PanicsWithValue(t, "crmtest: panic in fn", func() {
		_ = e.s.InTx(ctx, func(ctx context.Context, tx crm.Store) error {
			if err := tx.Customers().Create(ctx, &c); err != nil {
				return err
			}
			panic("crmtest: panic in fn")
		})
	}, "InTx re-panics with fn's panic")
	e.assertNoCustomer(t, c.ID, "a Create in a transaction that panicked is undone")

	after := Customer(e.dealer, 2)
	require.NoError(t, e.s.Customers().Create(ctx, &after), "the store works after a transaction panicked")
	require.NoError(t, e.s.InTx(ctx, func(context.Context, crm.Store) error { return nil }), "so does InTx")
}

func testTxNested(t *testing.T, e txEnv) {
	c := Customer(e.dealer, 1)
	v := Vehicle(e.dealer, c.ID, 1)
	err := e.s.InTx(t.Context(), func(ctx context.Context, tx crm.Store) error {
		return steps(
			func() error {
				return tx.InTx(ctx, func(ctx context.Context, inner crm.Store) error { return inner.Customers().Create(ctx, &c) })
			},
			func() error {
				_, err := tx.Customers().Get(ctx, e.dealer, c.ID)
				return err
			},
			func() error { return tx.Vehicles().Create(ctx, &v) },
		)
	})
	require.NoError(t, err, "InTx with a nested InTx")
	e.assertCustomer(t, c, "the nested transaction's write is committed")
	_, err = e.s.Vehicles().Get(t.Context(), e.dealer, v.ID)
	assert.NoError(t, err, "the outer transaction's write is committed")
}

func testTxNestedRollback(t *testing.T, e txEnv) {
	c := Customer(e.dealer, 1)
	v := Vehicle(e.dealer, c.ID, 1)
	err := e.s.InTx(t.Context(), func(ctx context.Context, tx crm.Store) error {
		err := steps(
			func() error {
				return tx.InTx(ctx, func(ctx context.Context, inner crm.Store) error { return inner.Customers().Create(ctx, &c) })
			},
			func() error { return tx.Vehicles().Create(ctx, &v) },
		)
		if err != nil {
			return err
		}
		return errRollback
	})
	assert.ErrorIs(t, err, errRollback, "InTx returns fn's error")
	e.assertNoCustomer(t, c.ID, "a nested transaction's write rolls back with the outer transaction")
	e.assertNoVehicle(t, v.ID, "the outer transaction's write rolls back")

	c2 := Customer(e.dealer, 2)
	err = e.s.InTx(t.Context(), func(ctx context.Context, tx crm.Store) error {
		err := tx.InTx(ctx, func(ctx context.Context, inner crm.Store) error {
			if err := inner.Customers().Create(ctx, &c2); err != nil {
				return err
			}
			return errRollback
		})
		assert.ErrorIs(t, err, errRollback, "a nested InTx returns its fn's error")
		return err
	})
	assert.ErrorIs(t, err, errRollback, "InTx returns fn's error")
	e.assertNoCustomer(t, c2.ID, "a write of a nested transaction that failed is undone")
}
