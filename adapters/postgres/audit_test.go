package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/postgres"
	"github.com/dealercrm/dealercrm/adapters/postgres/pgtest"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuditStore(t *testing.T) {
	crmtest.RunAuditStoreTests(t, func(t *testing.T) crm.AuditStore { return pgtest.NewStore(t).Audit() })
}

func ptr[T any](v T) *T { return &v }

// auditFixture is a migrated store with one dealer and a pending record
// for a request of that dealer.
func auditFixture(t *testing.T) (*postgres.Store, crm.DealerID, crm.AuditRecord) {
	t.Helper()
	s := pgtest.NewStore(t)
	dealer := crm.DealerID(dealercrm.NewID())
	require.NoError(t, s.Dealers().Create(t.Context(), ptr(crmtest.Dealer(dealer))))
	rec := crm.AuditRecord{ID: dealercrm.NewID(), DealerID: dealer, At: crmtest.Base, KeyID: "k1", StaffID: "S01",
		Operation: "postCustomer", RequestID: "req-1", Outcome: crm.AuditFailed}
	return s, dealer, rec
}

// auditRows returns the dealer's audit trail.
func auditRows(t *testing.T, s *postgres.Store, dealer crm.DealerID) []crm.AuditRecord {
	t.Helper()
	p, err := s.Audit().List(context.Background(), dealer, crm.AuditFilter{})
	require.NoError(t, err)
	return p.Items
}

// TestAuditSameTransaction checks that a request's pending audit record
// commits with its change, in the same transaction, and only then.
func TestAuditSameTransaction(t *testing.T) {
	t.Run("ServiceCreate", func(t *testing.T) {
		s, dealer, rec := auditFixture(t)
		pending := crm.NewAuditPending(rec, true)
		ctx := crm.WithAudit(t.Context(), pending)
		_, err := crm.NewService(s).CreateCustomer(ctx, dealer, crmtest.Customer(dealer, 1))
		require.NoError(t, err)
		assert.True(t, pending.Claimed(), "the transaction of the create claimed the record")
		rows := auditRows(t, s, dealer)
		require.Len(t, rows, 1, "exactly one record")
		want := pending.Record(crm.AuditOK)
		require.Len(t, want.Records, 1, "the new customer's ID")
		crmtest.Equal(t, want, rows[0], "the pending record as it stands, ok")
	})
	t.Run("StoreWriteOnPool", func(t *testing.T) {
		s, dealer, rec := auditFixture(t)
		pending := crm.NewAuditPending(rec, false)
		ctx := crm.WithAudit(t.Context(), pending)
		require.NoError(t, s.Customers().Create(ctx, ptr(crmtest.Customer(dealer, 1))))
		assert.True(t, pending.Claimed(), "a write outside InTx runs in a transaction that claims the record")
		require.Len(t, auditRows(t, s, dealer), 1)
		require.NoError(t, s.Customers().Create(ctx, ptr(crmtest.Customer(dealer, 2))))
		assert.Len(t, auditRows(t, s, dealer), 1, "a second write of the request writes no second record")
	})
	t.Run("RolledBack", func(t *testing.T) {
		s, dealer, rec := auditFixture(t)
		pending := crm.NewAuditPending(rec, true)
		ctx := crm.WithAudit(t.Context(), pending)
		boom := errors.New("boom")
		err := s.InTx(ctx, func(ctx context.Context, tx crm.Store) error {
			if err := tx.Customers().Create(ctx, ptr(crmtest.Customer(dealer, 1))); err != nil {
				return err
			}
			return boom
		})
		require.ErrorIs(t, err, boom)
		assert.False(t, pending.Claimed(), "a rolled back transaction claims nothing")
		assert.Empty(t, auditRows(t, s, dealer), "no record")
		p, err := s.Customers().List(t.Context(), dealer, crm.CustomerFilter{})
		require.NoError(t, err)
		assert.Empty(t, p.Items, "nor the change")
	})
	t.Run("WriteFails", func(t *testing.T) {
		s, dealer, rec := auditFixture(t)
		first := crmtest.Customer(dealer, 1)
		require.NoError(t, s.Customers().Create(t.Context(), &first))
		pending := crm.NewAuditPending(rec, true)
		ctx := crm.WithAudit(t.Context(), pending)
		dup := crmtest.Customer(dealer, 2)
		dup.ExternalID = first.ExternalID
		_, err := crm.NewService(s).CreateCustomer(ctx, dealer, dup)
		require.ErrorIs(t, err, crm.ErrConflict)
		err = s.Customers().Create(ctx, &dup)
		require.ErrorIs(t, err, crm.ErrConflict, "the store's own write fails too")
		assert.False(t, pending.Claimed(), "a failed write claims nothing")
		assert.Empty(t, auditRows(t, s, dealer))
	})
	t.Run("ReadOnlyTransaction", func(t *testing.T) {
		s, dealer, rec := auditFixture(t)
		pending := crm.NewAuditPending(rec, true)
		ctx := crm.WithAudit(t.Context(), pending)
		require.NoError(t, s.InTx(ctx, func(ctx context.Context, tx crm.Store) error {
			_, err := tx.Customers().List(ctx, dealer, crm.CustomerFilter{})
			return err
		}))
		assert.False(t, pending.Claimed(), "a transaction that only read leaves the record to the adapter")
		assert.Empty(t, auditRows(t, s, dealer))
	})
	t.Run("NoPending", func(t *testing.T) {
		s, dealer, _ := auditFixture(t)
		_, err := crm.NewService(s).CreateCustomer(t.Context(), dealer, crmtest.Customer(dealer, 1))
		require.NoError(t, err)
		require.NoError(t, s.Customers().Create(crm.WithAudit(t.Context(), nil), ptr(crmtest.Customer(dealer, 2))))
		assert.Empty(t, auditRows(t, s, dealer), "no pending record, no audit row")
	})
	t.Run("AppendDoesNotClaim", func(t *testing.T) {
		s, dealer, rec := auditFixture(t)
		pending := crm.NewAuditPending(rec, true)
		ctx := crm.WithAudit(t.Context(), pending)
		other := crmtest.AuditRecord(dealer, crmtest.Base)
		require.NoError(t, s.Audit().Append(ctx, other))
		assert.False(t, pending.Claimed(), "Append writes what it is given, not the pending record")
		rows := auditRows(t, s, dealer)
		require.Len(t, rows, 1)
		assert.Equal(t, other.ID, rows[0].ID)
	})
	t.Run("BadPendingRecord", func(t *testing.T) {
		s, dealer, rec := auditFixture(t)
		rec.Reason = "a\x00b"
		pending := crm.NewAuditPending(rec, true)
		err := s.Customers().Create(crm.WithAudit(t.Context(), pending), ptr(crmtest.Customer(dealer, 1)))
		var ve *crm.ValidationError
		require.ErrorAs(t, err, &ve, "a record no store keeps fails its transaction")
		assert.True(t, ve.Has("reason", ""))
		assert.False(t, pending.Claimed(), "given back")
		assert.Empty(t, auditRows(t, s, dealer))
		p, err := s.Customers().List(t.Context(), dealer, crm.CustomerFilter{})
		require.NoError(t, err)
		assert.Empty(t, p.Items, "the change rolled back with it")
	})
	t.Run("TouchDoesNotClaim", func(t *testing.T) {
		s, _, rec := auditFixture(t)
		pending := crm.NewAuditPending(rec, true)
		require.NoError(t, s.Keys().Touch(crm.WithAudit(t.Context(), pending), "k404", crmtest.Base))
		assert.False(t, pending.Claimed(), "authentication's bookkeeping is not the request's change")
	})
	t.Run("AppendInTx", func(t *testing.T) {
		s, dealer, rec := auditFixture(t)
		pending := crm.NewAuditPending(rec, true)
		ctx := crm.WithAudit(t.Context(), pending)
		dup := crmtest.AuditRecord(dealer, crmtest.Base)
		require.NoError(t, s.Audit().Append(t.Context(), dup))
		err := s.InTx(ctx, func(ctx context.Context, tx crm.Store) error {
			var ce *crm.ConflictError
			require.ErrorAs(t, tx.(*postgres.Store).Audit().Append(ctx, dup), &ce, "a taken ID")
			return tx.Customers().Create(ctx, ptr(crmtest.Customer(dealer, 1)))
		})
		require.NoError(t, err, "the conflict left the transaction usable")
		assert.True(t, pending.Claimed())
		assert.Len(t, auditRows(t, s, dealer), 2, "the first record and the pending one")
	})
}

// TestAuditAppendOnly checks that the trigger of migration 0024 refuses
// an UPDATE of the audit log and lets Purge's DELETE through.
func TestAuditAppendOnly(t *testing.T) {
	ctx := t.Context()
	s := pgtest.NewStore(t)
	db := pgtest.DB(t)
	r := crmtest.AuditRecord("d1", crmtest.Base)
	require.NoError(t, s.Audit().Append(ctx, r))
	_, err := db.ExecContext(ctx, "UPDATE "+s.TableName(postgres.TableAuditLog)+" SET outcome = 'denied' WHERE id = ?", r.ID)
	require.Error(t, err, "an UPDATE is refused")
	assert.Contains(t, err.Error(), "append-only")
	got := auditRows(t, s, "d1")
	require.Len(t, got, 1)
	assert.Equal(t, crm.AuditOK, got[0].Outcome, "unchanged")

	n, err := s.Audit().Purge(ctx, "d1", crmtest.Base.Add(time.Second))
	require.NoError(t, err)
	assert.Equal(t, 1, n, "DELETE stays allowed")
}
