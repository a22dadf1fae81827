package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bump appends a hobby: one counted change of a customer.
func bump(ctx context.Context, s crm.Store, dealer crm.DealerID, id crm.CustomerID) error {
	_, err := s.Customers().Update(ctx, dealer, id, func(c *crm.Customer) error {
		c.Hobbies = append(c.Hobbies, "bump")
		return nil
	})
	return err
}

func bumps(t *testing.T, s crm.Store, dealer crm.DealerID, id crm.CustomerID) int {
	t.Helper()
	c, err := s.Customers().Get(context.Background(), dealer, id)
	require.NoError(t, err)
	n := 0
	for _, h := range c.Hobbies {
		if h == "bump" {
			n++
		}
	}
	return n
}

// crossedUpdates runs two transactions that lock customers a and b in
// opposite orders, meeting in the middle on their first attempt, so that
// Postgres detects a deadlock (after deadlock_timeout, 1 s by default) and
// aborts one of them. It returns both InTx errors and the attempts made.
func crossedUpdates(t *testing.T, s *postgres.Store, dealer crm.DealerID, a, b crm.CustomerID) ([2]error, int32) {
	t.Helper()
	ctx := context.Background()
	var met sync.WaitGroup
	met.Add(2)
	var attempts atomic.Int32
	var errs [2]error
	var wg sync.WaitGroup
	for i, order := range [2][2]crm.CustomerID{{a, b}, {b, a}} {
		wg.Go(func() {
			first := true
			errs[i] = s.InTx(ctx, func(ctx context.Context, tx crm.Store) error {
				attempts.Add(1)
				if err := bump(ctx, tx, dealer, order[0]); err != nil {
					return err
				}
				if first {
					first = false
					met.Done()
					met.Wait()
				}
				return bump(ctx, tx, dealer, order[1])
			})
		})
	}
	wg.Wait()
	return errs, attempts.Load()
}

// TestInTxRetriesDeadlock: the transaction Postgres aborts as a deadlock
// victim is run again by InTx, and both commit their changes once.
func TestInTxRetriesDeadlock(t *testing.T) {
	s := pgtest.NewStore(t)
	dealer := newDealer(t, s)
	ctx := context.Background()
	a, b := crmtest.Customer(dealer, 1), crmtest.Customer(dealer, 2)
	require.NoError(t, s.Customers().Create(ctx, &a))
	require.NoError(t, s.Customers().Create(ctx, &b))

	errs, attempts := crossedUpdates(t, s, dealer, a.ID, b.ID)
	assert.NoError(t, errs[0], "first transaction")
	assert.NoError(t, errs[1], "second transaction")
	// At least one retry. Under load the victim's retry may lock its first
	// row again before the survivor, whose wait that row ended, takes it:
	// a second deadlock and a fourth attempt, still within the retries.
	assert.GreaterOrEqual(t, attempts, int32(3), "the deadlock victim ran again")
	assert.Equal(t, 2, bumps(t, s, dealer, a.ID), "both transactions changed customer a once")
	assert.Equal(t, 2, bumps(t, s, dealer, b.ID), "both transactions changed customer b once")
}

// TestInTxRetriesExhausted: with a single attempt, the deadlock victim's
// error comes back with code Conflict and its changes are rolled back.
func TestInTxRetriesExhausted(t *testing.T) {
	db, schema := pgtest.Schema(t)
	s, err := postgres.New(db, postgres.WithSchema(schema), postgres.WithTxRetries(1))
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, s.Migrate(ctx))
	dealer := newDealer(t, s)
	a, b := crmtest.Customer(dealer, 1), crmtest.Customer(dealer, 2)
	require.NoError(t, s.Customers().Create(ctx, &a))
	require.NoError(t, s.Customers().Create(ctx, &b))

	errs, attempts := crossedUpdates(t, s, dealer, a.ID, b.ID)
	assert.Equal(t, int32(2), attempts, "no retry")
	failed := errors.Join(errs[0], errs[1])
	require.Error(t, failed, "one transaction is the deadlock victim")
	assert.False(t, errs[0] != nil && errs[1] != nil, "only one of them")
	assert.ErrorIs(t, failed, crm.ErrConflict)
	assert.Equal(t, dealercrm.Conflict, dealercrm.ErrorCode(failed))
	assert.Equal(t, "concurrent transactions clashed; retry", dealercrm.ErrorMessage(failed), "users see a message without driver details")
	assert.Equal(t, 1, bumps(t, s, dealer, a.ID), "the victim's change of a is rolled back")
	assert.Equal(t, 1, bumps(t, s, dealer, b.ID), "the victim's change of b is rolled back")
}

// TestUpdateAcrossStores: concurrent read-modify-write transactions through
// two Store values on the same tables lose no update: the row lock of
// Update serialises them in Postgres, not in Go.
func TestUpdateAcrossStores(t *testing.T) {
	db, schema := pgtest.Schema(t)
	ctx := context.Background()
	var stores [2]*postgres.Store
	for i := range stores {
		s, err := postgres.New(db, postgres.WithSchema(schema))
		require.NoError(t, err)
		require.NoError(t, s.Migrate(ctx))
		stores[i] = s
	}
	dealer := newDealer(t, stores[0])
	c := crmtest.Customer(dealer, 1)
	require.NoError(t, stores[0].Customers().Create(ctx, &c))

	const n = 24
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			s := stores[i%2]
			if i%3 == 0 {
				errs[i] = bump(ctx, s, dealer, c.ID) // Update in a transaction of its own
				return
			}
			errs[i] = s.InTx(ctx, func(ctx context.Context, tx crm.Store) error {
				if _, err := tx.Customers().Get(ctx, dealer, c.ID); err != nil {
					return err
				}
				return bump(ctx, tx, dealer, c.ID)
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		assert.NoError(t, err, "writer %d", i)
	}
	assert.Equal(t, n, bumps(t, stores[1], dealer, c.ID), "every one of %d concurrent updates is kept", n)
}

// TestInTxRollback: everything a failed transaction did through tx —
// create, update, upsert, delete, in several stores — is undone.
func TestInTxRollback(t *testing.T) {
	s := pgtest.NewStore(t)
	dealer := newDealer(t, s)
	ctx := context.Background()
	kept := crmtest.Customer(dealer, 1)
	require.NoError(t, s.Customers().Create(ctx, &kept))
	doomed := crmtest.Customer(dealer, 2)
	require.NoError(t, s.Customers().Create(ctx, &doomed))

	fail := errors.New("fail")
	for _, how := range []string{"error", "panic"} {
		t.Run(how, func(t *testing.T) {
			fresh := crmtest.Customer(dealer, 3)
			run := func() error {
				return s.InTx(ctx, func(ctx context.Context, tx crm.Store) error {
					if err := tx.Customers().Create(ctx, &fresh); err != nil {
						return err
					}
					if err := bump(ctx, tx, dealer, kept.ID); err != nil {
						return err
					}
					if _, err := tx.Vehicles().Upsert(ctx, dealer, []crm.Vehicle{crmtest.Vehicle(dealer, fresh.ID, 1)}); err != nil {
						return err
					}
					if err := tx.Customers().Delete(ctx, dealer, doomed.ID); err != nil {
						return err
					}
					if how == "panic" {
						panic(fail)
					}
					return fail
				})
			}
			if how == "panic" {
				assert.PanicsWithValue(t, fail, func() { _ = run() }, "the panic goes on after the rollback")
			} else {
				assert.Same(t, fail, run(), "InTx returns fn's error as it is")
			}
			_, err := s.Customers().Get(ctx, dealer, fresh.ID)
			assert.ErrorIs(t, err, crm.ErrNotFound, "the created customer is rolled back")
			assert.Equal(t, 0, bumps(t, s, dealer, kept.ID), "the update is rolled back")
			p, err := s.Vehicles().List(ctx, dealer, crm.VehicleFilter{})
			require.NoError(t, err)
			assert.Empty(t, p.Items, "the upserted vehicle is rolled back")
			_, err = s.Customers().Get(ctx, dealer, doomed.ID)
			assert.NoError(t, err, "the delete is rolled back")
		})
	}
}

// TestInTxFailedWritesLeaveTxUsable: a write that fails inside a
// transaction — a Create, an Update or an Upsert that takes a unique key —
// undoes its own writes only (it runs under a savepoint), as in the memory
// store; the transaction goes on and commits. Update inside the transaction
// sees its uncommitted rows.
func TestInTxFailedWritesLeaveTxUsable(t *testing.T) {
	s := pgtest.NewStore(t)
	dealer := newDealer(t, s)
	ctx := context.Background()
	owner := crmtest.Customer(dealer, 1)
	require.NoError(t, s.Customers().Create(ctx, &owner))
	taken := crmtest.Vehicle(dealer, owner.ID, 1)
	require.NoError(t, s.Vehicles().Create(ctx, &taken))

	before := crmtest.Vehicle(dealer, owner.ID, 2)
	after := crmtest.Vehicle(dealer, owner.ID, 3)
	batch := []crm.Vehicle{crmtest.Vehicle(dealer, owner.ID, 4), crmtest.Vehicle(dealer, owner.ID, 5)}
	batch[1].VIN = taken.VIN
	dup := crmtest.Vehicle(dealer, owner.ID, 6)
	dup.VIN = taken.VIN
	conflict := func(what string, err error) error {
		if errors.Is(err, crm.ErrConflict) {
			return nil
		}
		return fmt.Errorf("%s: want a conflict, got %v", what, err)
	}
	err := s.InTx(ctx, func(ctx context.Context, tx crm.Store) error {
		if err := tx.Vehicles().Create(ctx, &before); err != nil {
			return err
		}
		_, err := tx.Vehicles().Upsert(ctx, dealer, batch)
		if err := conflict("Upsert", err); err != nil {
			return err
		}
		if err := conflict("Create", tx.Vehicles().Create(ctx, &dup)); err != nil {
			return err
		}
		_, err = tx.Vehicles().Update(ctx, dealer, before.ID, func(v *crm.Vehicle) error { v.VIN = taken.VIN; return nil })
		if err := conflict("Update", err); err != nil {
			return err
		}
		if err := tx.Vehicles().Create(ctx, &after); err != nil {
			return err
		}
		_, err = tx.Vehicles().Update(ctx, dealer, after.ID, func(v *crm.Vehicle) error { v.Plate = "沪A00001"; return nil })
		return err
	})
	require.NoError(t, err, "the transaction survives the failed writes")

	for _, v := range []crm.Vehicle{before, after} {
		got, err := s.Vehicles().Get(ctx, dealer, v.ID)
		require.NoError(t, err, "the writes around the failed ones commit")
		assert.Equal(t, v.VIN, got.VIN, "the failed Update changed nothing")
	}
	got, err := s.Vehicles().Get(ctx, dealer, after.ID)
	require.NoError(t, err)
	assert.Equal(t, "沪A00001", got.Plate, "Update inside the transaction changed the uncommitted row")
	m, err := s.Vehicles().ResolveExternalIDs(ctx, dealer, []string{batch[0].ExternalID, batch[1].ExternalID, dup.ExternalID})
	require.NoError(t, err)
	assert.Empty(t, m, "nothing of the failed writes is kept")
}
