package memory_test

import (
	"context"
	"testing"

	"github.com/dealercrm/dealercrm"
	"github.com/dealercrm/dealercrm/adapters/memory"
	"github.com/dealercrm/dealercrm/crm"
	"github.com/dealercrm/dealercrm/crm/crmtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStore(t *testing.T) {
	crmtest.RunStoreTests(t, func(*testing.T) crm.Store { return memory.New() })
}

func TestTxStoreAfterInTx(t *testing.T) {
	s := memory.New()
	var leaked crm.Store
	require.NoError(t, s.InTx(t.Context(), func(_ context.Context, tx crm.Store) error {
		leaked = tx
		return nil
	}), "InTx")
	d := crmtest.Dealer(crm.DealerID(dealercrm.NewID()))
	err := leaked.Dealers().Create(t.Context(), &d)
	require.ErrorIs(t, err, dealercrm.ErrFailedPrecondition, "a transaction's Store used after InTx returned fails")
	_, err = s.Dealers().Get(t.Context(), d.ID)
	require.ErrorIs(t, err, crm.ErrNotFound, "and writes nothing")
}

func TestCanceledContext(t *testing.T) {
	s := memory.New()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	d := crmtest.Dealer(crm.DealerID(dealercrm.NewID()))
	require.ErrorIs(t, s.Dealers().Create(ctx, &d), context.Canceled, "Create with a canceled context")
	require.ErrorIs(t, s.InTx(ctx, func(context.Context, crm.Store) error { return nil }), context.Canceled, "InTx with a canceled context")
}

func TestMissingKeys(t *testing.T) {
	s := memory.New()
	dealer := crm.DealerID(dealercrm.NewID())
	for _, tc := range []struct {
		name  string
		c     crm.Customer
		field string
	}{
		{"NoID", crm.Customer{Record: crm.Record{DealerID: dealer}, Name: "Li Wei"}, "id"},
		{"NoDealer", crm.Customer{ID: "c1", Name: "Li Wei"}, "dealer_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Customers().Create(t.Context(), &tc.c)
			var ve *crm.ValidationError
			require.ErrorAs(t, err, &ve, "Create without keys is invalid")
			assert.True(t, ve.Has(tc.field, crm.RuleRequired), "the error names %s, got %v", tc.field, ve.Fields)
		})
	}
}

func TestUpsertValidationNamesItems(t *testing.T) {
	s := memory.New()
	dealer := crm.DealerID(dealercrm.NewID())
	existing := crmtest.Customer(dealer, 1)
	require.NoError(t, s.Customers().Create(t.Context(), &existing), "Create")

	noID := crmtest.Customer(dealer, 2)
	noID.ID = ""
	known := crmtest.Customer(dealer, 1) // an existing record needs no ID
	known.ID = ""
	noExt := crmtest.Customer(dealer, 3)
	noExt.ExternalID = ""
	dup := crmtest.Customer(dealer, 4)
	dup.ExternalID = known.ExternalID

	noText := crmtest.Customer(dealer, 5)
	noText.Hobbies = []string{"golf", "nul\x00"}

	// The batch on its own first: external IDs and text.
	_, err := s.Customers().Upsert(t.Context(), dealer, []crm.Customer{known, noID, noExt, dup, noText})
	var ve *crm.ValidationError
	require.ErrorAs(t, err, &ve, "a malformed batch is a *crm.ValidationError")
	assert.Equal(t, []crm.FieldError{
		{Field: "items[2].external_id", Rule: crm.RuleRequired, Message: "is required"},
		{Field: "items[3].external_id", Rule: crm.RuleUnique, Message: "repeats the external id of items[0]"},
		{Field: "items[4].hobbies[1]", Rule: crm.RuleText, Message: "must not contain a NUL character"},
	}, ve.Fields, "every broken item is named")

	// Then, against what is stored: new records need an ID.
	_, err = s.Customers().Upsert(t.Context(), dealer, []crm.Customer{known, noID})
	require.ErrorAs(t, err, &ve, "a new record without an ID is a *crm.ValidationError")
	assert.Equal(t, []crm.FieldError{
		{Field: "items[1].id", Rule: crm.RuleRequired, Message: "is required for a new record"},
	}, ve.Fields, "the new item without an ID is named")
}

func TestConflictMessages(t *testing.T) {
	s := memory.New()
	dealer := crm.DealerID(dealercrm.NewID())
	v := crmtest.Vehicle(dealer, "", 1)
	require.NoError(t, s.Vehicles().Create(t.Context(), &v), "Create")
	w := crmtest.Vehicle(dealer, "", 2)
	w.VIN = v.VIN
	err := s.Vehicles().Create(t.Context(), &w)
	require.ErrorIs(t, err, crm.ErrConflict, "a taken VIN")
	assert.Equal(t, "vin is already registered to another vehicle of this dealer", dealercrm.ErrorMessage(err),
		"the message names the key in words, not the VIN, the other record or the store")
	var ce *crm.ConflictError
	require.ErrorAs(t, err, &ce, "a taken key is a *crm.ConflictError")
	assert.Equal(t, crm.ConflictError{Entity: "vehicle", Field: "vin"}, *ce)
}

// populate stores n customers of one dealer.
func populate(b *testing.B, n int) (*memory.Store, crm.DealerID, []crm.Customer) {
	b.Helper()
	s := memory.New()
	d := crmtest.Dealer(crm.DealerID(dealercrm.NewID()))
	require.NoError(b, s.Dealers().Create(b.Context(), &d))
	cs := make([]crm.Customer, n)
	for i := range cs {
		cs[i] = crmtest.Customer(d.ID, i)
	}
	_, err := s.Customers().Upsert(b.Context(), d.ID, cs)
	require.NoError(b, err)
	return s, d.ID, cs
}

func BenchmarkGet(b *testing.B) {
	s, dealer, cs := populate(b, 10_000)
	for i := 0; b.Loop(); i++ {
		if _, err := s.Customers().Get(b.Context(), dealer, cs[i%len(cs)].ID); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkList(b *testing.B) {
	s, dealer, cs := populate(b, 10_000)
	for _, f := range []struct {
		name   string
		filter crm.CustomerFilter
	}{
		{"Page", crm.CustomerFilter{}},
		{"SparseFilter", crm.CustomerFilter{Mobile: cs[len(cs)-1].Mobile}},
	} {
		b.Run(f.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.Customers().List(b.Context(), dealer, f.filter); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkUpsert10k(b *testing.B) {
	s, dealer, cs := populate(b, 10_000)
	b.Run("Unchanged", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Customers().Upsert(b.Context(), dealer, cs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Created", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			s := memory.New()
			b.StartTimer()
			if _, err := s.Customers().Upsert(b.Context(), dealer, cs); err != nil {
				b.Fatal(err)
			}
		}
	})
}
